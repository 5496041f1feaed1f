// Leiden through igraph's C library. igraph reports errors through a handler that aborts by
// default; it is replaced (for the duration of the call) by one that only records the error,
// which is then thrown as lb::Error.
#include "discover/cluster.h"

#include <igraph.h>

#include <mutex>

#include "core/error.h"

namespace lb::discover {

namespace {

std::mutex g_igraph_mutex;  // igraph's RNG and error handler are global

void check(igraph_error_t rc, const char* what) {
  if (rc != IGRAPH_SUCCESS) throw Error(fmt::format("igraph {} failed: {}", what, igraph_strerror(rc)));
}

// Owners of igraph objects, destroyed on every path.
struct Graph {
  igraph_t g;
  explicit Graph(const igraph_vector_int_t* edges, igraph_integer_t n) {
    check(igraph_create(&g, edges, n, IGRAPH_UNDIRECTED), "create");
  }
  ~Graph() { igraph_destroy(&g); }
};
struct IntVec {
  igraph_vector_int_t v;
  explicit IntVec(igraph_integer_t n) { check(igraph_vector_int_init(&v, n), "vector"); }
  ~IntVec() { igraph_vector_int_destroy(&v); }
};
struct RealVec {
  igraph_vector_t v;
  explicit RealVec(igraph_integer_t n) { check(igraph_vector_init(&v, n), "vector"); }
  ~RealVec() { igraph_vector_destroy(&v); }
};

}  // namespace

Clustering leiden(const WeightedGraph& g, double resolution, int runs, std::uint64_t seed) {
  LB_CHECK(g.edges.size() == g.weights.size(), "edges {} weights {}", g.edges.size(), g.weights.size());
  LB_CHECK(runs >= 1, "runs {}", runs);
  Clustering out;
  out.membership.assign(static_cast<std::size_t>(g.n), 0);
  if (g.n == 0) return out;
  double m = 0;
  std::vector<double> strength(static_cast<std::size_t>(g.n), 0.0);
  for (std::size_t e = 0; e < g.edges.size(); ++e) {
    m += g.weights[e];
    strength[static_cast<std::size_t>(g.edges[e].first)] += g.weights[e];
    strength[static_cast<std::size_t>(g.edges[e].second)] += g.weights[e];
  }
  if (g.edges.empty() || !(m > 0)) {
    for (int i = 0; i < g.n; ++i) out.membership[static_cast<std::size_t>(i)] = i;
    out.n_clusters = g.n;
    return out;
  }

  const std::lock_guard<std::mutex> lock(g_igraph_mutex);
  igraph_error_handler_t* previous = igraph_set_error_handler(igraph_error_handler_ignore);
  struct Restore {
    igraph_error_handler_t* h;
    ~Restore() { igraph_set_error_handler(h); }
  } restore{previous};

  IntVec edges(static_cast<igraph_integer_t>(2 * g.edges.size()));
  for (std::size_t e = 0; e < g.edges.size(); ++e) {
    VECTOR(edges.v)[2 * e] = g.edges[e].first;
    VECTOR(edges.v)[2 * e + 1] = g.edges[e].second;
  }
  Graph graph(&edges.v, g.n);
  RealVec w(static_cast<igraph_integer_t>(g.edges.size())), nw(g.n);
  for (std::size_t e = 0; e < g.edges.size(); ++e) VECTOR(w.v)[e] = g.weights[e];
  for (std::size_t i = 0; i < strength.size(); ++i) VECTOR(nw.v)[i] = strength[i];
  IntVec membership(g.n);

  bool have = false;
  for (int r = 0; r < runs; ++r) {
    check(igraph_rng_seed(igraph_rng_default(), static_cast<igraph_uint_t>(seed + static_cast<std::uint64_t>(r))),
          "rng_seed");
    igraph_integer_t nb = 0;
    igraph_real_t quality = 0;
    check(igraph_community_leiden(&graph.g, &w.v, &nw.v, resolution / (2 * m), 0.01, false, -1, &membership.v, &nb,
                                  &quality),
          "community_leiden");
    if (have && !(quality > out.quality)) continue;
    have = true;
    out.quality = quality;
    out.best_run = r;
    // Renumber by lowest node so the labels do not depend on igraph's numbering.
    std::vector<int> label(static_cast<std::size_t>(nb), -1);
    int next = 0;
    for (int i = 0; i < g.n; ++i) {
      auto& l = label[static_cast<std::size_t>(VECTOR(membership.v)[i])];
      if (l < 0) l = next++;
      out.membership[static_cast<std::size_t>(i)] = l;
    }
    out.n_clusters = next;
  }
  return out;
}

}  // namespace lb::discover
