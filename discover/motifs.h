// Motifs, the second step of motif discovery (docs/discovery.md "Motifs"): the seqlets of one
// method and task, positive and negative apart, compared by a continuous Jaccard similarity of
// their contribution and hypothetical-contribution windows (best offset and strand), joined in a
// sparse k-nearest-neighbour graph, clustered with Leiden (discover/cluster.h), and each cluster
// aligned into a contribution-weight matrix (CWM), a hypothetical CWM and a position probability
// matrix (PWM), trimmed, merged with similar clusters and filtered by support.
//
// Results depend only on the inputs and the seed: the similarity stages run in parallel with
// each item's results stored in its own slot and combined in item order, so any thread count
// gives the same bytes.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "discover/seqlets.h"
#include "io/npz.h"

namespace lb::discover {

/// One method and task of a scores archive with everything discovery reads.
struct DiscoveryScores {
  TaskScores scores;          // ids, length, task, per-base scores (for find_seqlets)
  std::vector<float> onehot;  // N × 4 × L
  std::vector<float> contrib; // N × 4 × L: the method's contributions of the task
  std::vector<float> hyp;     // N × 4 × L: `<method>.hypothetical` of the task
};

/// read_task_scores plus the one-hot, contribution and hypothetical tracks. Errors as
/// read_task_scores, and InputError "<path>: missing array '<method>.hypothetical'; ..." when the
/// method has no hypothetical contributions; wrong shapes and non-finite values likewise.
DiscoveryScores read_discovery_scores(const io::NpzArchive& archive, const std::string& path,
                                      const std::string& method, int task);

/// The options of clustering (defaults: docs/discovery.md "Motifs", with TF-MoDISco-lite's where
/// they carry over).
struct MotifConfig {
  int coarse_neighbors = 30;       // K: candidates per seqlet from the k-mer embedding
  int graph_neighbors = 15;        // k: fine-similarity neighbours kept per seqlet in the graph
  double min_overlap = 0.7;        // share of the window two aligned seqlets must share
  double resolution = 1.0;         // γ of the modularity objective
  int leiden_runs = 50;            // seeded Leiden runs; the best quality is kept
  double trim_threshold = 0.3;     // keep columns with |CWM| sum >= this × the largest
  int trim_margin = 2;             // columns added on each side of the trimmed span
  double min_coverage = 0.2;       // a CWM column needs this share of the members covering it
  double merge_threshold = 0.5;    // merge two motifs whose core_similarity is at least this
  int min_support = 20;            // drop motifs with fewer seqlets
  std::uint64_t seed = 1;
};

/// ConfigError naming the option (--coarse-neighbors, --graph-neighbors, --min-overlap,
/// --resolution, --leiden-runs, --trim-threshold, --trim-margin, --min-coverage,
/// --merge-threshold, --min-support).
void validate(const MotifConfig& cfg);

/// A window of W positions × 4 channels, position-major: w[p * 4 + c].
using Window = std::vector<float>;

/// Reverse complement of a window: position p -> W-1-p, channel c -> 3-c (A<->T, C<->G).
Window reverse_complement(std::span<const float> w);

/// Continuous Jaccard of two equally long windows: Σ min(|a|,|b|) sgn(a) sgn(b) / Σ max(|a|,|b|)
/// (0 when both are all zero).
double continuous_jaccard(std::span<const float> a, std::span<const float> b);

/// How b is placed on a: b's column j sits at a's column j + offset; strand -1: b reverse
/// complemented first.
struct Alignment {
  double similarity = -2;
  int offset = 0;
  int strand = 1;
};

/// The fine similarity of two seqlets, each given as an L1-normalised contribution window and an
/// L1-normalised hypothetical window (W × 4 each, W the same for a and b, and their reverse
/// complements): for every strand and every offset whose overlap is at least `min_overlap`
/// columns, the mean of the continuous Jaccard of the contribution windows and that of the
/// hypothetical windows, each on the two windows zero-padded to their common span; the best
/// (ties: strand + first, then the offset nearest 0, then the lower). Symmetric in a and b, and
/// invariant under reverse complementing both.
struct SeqletTracks {
  Window contrib, hyp, contrib_rc, hyp_rc;  // L1-normalised
};
Alignment fine_similarity(const SeqletTracks& a, const SeqletTracks& b, int min_overlap);

/// The tracks of a window [start, start + width) of sequence `seq` of `x` (N × 4 × L): the
/// contribution and hypothetical windows, sign-flipped for negative seqlets (so every motif's
/// CWM reads positive), L1-normalised.
SeqletTracks seqlet_tracks(const DiscoveryScores& x, int seq, int start, int width, int sign);

struct MotifSeqlet {
  int seqlet = 0;  // index into the seqlets given to discover_motifs
  int strand = 1;  // +1: the window as is; -1: its reverse complement aligns to the motif
  int offset = 0;  // the motif's first (trimmed) column is column `offset` of the window read on `strand`
};

struct Motif {
  int sign = 1;
  std::vector<std::array<float, 4>> cwm, hyp_cwm, pwm;  // trimmed, W rows; CWM of the signed scores
  std::vector<MotifSeqlet> members;                     // by seqlet index
  std::string consensus;  // per column the base of the largest CWM entry (the signed CWM for negative
                          // motifs is negated first), lower case when the column carries < 0.5 of the max
  double total_abs = 0;   // Σ |CWM| over the trimmed columns
};

/// A motif's core: the span from its first to its last trimmed column whose Σ_c |CWM| is at least
/// kCoreShare × the largest column's (the columns its consensus writes in upper case, and what lies
/// between them).
inline constexpr double kCoreShare = 0.5;
struct CoreSpan {
  int first = 0, last = 0;  // inclusive, trimmed columns
};
CoreSpan motif_core(const Motif& m);

/// The similarity that merges motifs (docs/discovery.md "Merging"): b is placed on a at every
/// offset and on both strands (b's columns j on a's j + offset; strand -1: b reverse complemented)
/// where the two cores overlap by at least ceil(min_overlap × the narrower core) columns; at each
/// placement, over the union of the two cores' spans, each motif's hypothetical CWM (times its sign,
/// zero outside its trimmed columns) is L1-normalised there and the two are compared by the
/// continuous Jaccard. The best placement (ties: strand + first, then the offset nearest 0, then
/// the lower). Flank columns outside both cores do not count; 1 for a motif and its own reverse
/// complement; symmetric in a and b.
Alignment core_similarity(const Motif& a, const Motif& b, double min_overlap);

struct MotifResult {
  std::vector<Motif> motifs;  // positive first, then negative; each sign by support (desc)
  std::int64_t n_pos = 0, n_neg = 0;  // seqlets per sign
  std::int64_t clusters_pos = 0, clusters_neg = 0;  // Leiden clusters before merging and filtering
  double quality_pos = 0, quality_neg = 0;          // the best run's modularity
  std::vector<std::string> skipped;  // "negative: 3 seqlets" for signs too small to cluster
};

/// Clusters `seqlets` (from find_seqlets on x.scores) into motifs. A sign with fewer than
/// cfg.min_support seqlets (at least 2) is skipped; when both are, InputError "<where>too few
/// seqlets to cluster; ...".
MotifResult discover_motifs(const DiscoveryScores& x, const std::vector<Seqlet>& seqlets, const MotifConfig& cfg,
                            std::string_view where = {});

}  // namespace lb::discover
