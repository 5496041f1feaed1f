// Leiden clustering of a weighted undirected graph: the only file that sees igraph (Debian
// libigraph-dev, 0.10). docs/discovery.md "Motifs" states the objective.
#pragma once

#include <cstdint>
#include <vector>

namespace lb::discover {

struct WeightedGraph {
  int n = 0;                                // nodes 0 .. n-1
  std::vector<std::pair<int, int>> edges;   // each undirected edge once, i < j
  std::vector<double> weights;              // > 0, one per edge
};

struct Clustering {
  std::vector<int> membership;  // per node; clusters numbered from 0 by their lowest node
  int n_clusters = 0;
  double quality = 0;           // modularity (with the resolution) of the kept run
  int best_run = 0;
};

/// Modularity-maximising Leiden (igraph_community_leiden with node weights = weighted degrees and
/// resolution γ / (2m), m = total edge weight), `runs` times from singletons with igraph's
/// default RNG seeded seed + r for run r, iterated until the partition no longer changes; the
/// run of the highest quality is kept (ties: the earlier). igraph is not thread-safe, so with
/// lb::threads() >= 2 the later half of the runs goes to one forked child process (the result is
/// the same as in one process); calls are serialised (igraph's RNG is global). lb::Error when
/// igraph, the pipe, the fork or the child fails. A graph without edges gives singletons.
Clustering leiden(const WeightedGraph& g, double resolution, int runs, std::uint64_t seed);

}  // namespace lb::discover
