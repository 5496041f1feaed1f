// Sequence shuffles (mono, uniform dinucleotide, deeplift-compatible dinucleotide) on base codes
// and on one-hot batches. Draws go through lb::Rng only; no std distributions.
#include "sim/shuffle.h"

#include <array>
#include <cstddef>

#include "core/alphabet.h"
#include "core/error.h"

namespace lb::sim {
namespace {

// Letters of the dinucleotide graph: A C G T plus N as a fifth letter (code 4), so an N run is
// shuffled like any other letter and N-containing dinucleotides are preserved too.
constexpr int kLetters = 5;

// The dinucleotide multigraph of a sequence s[0..n-1]: one edge s[i] -> s[i+1] per position
// i < n-1. `count[u][v]` is the multiplicity of u -> v, `out[u]` the out-degree of u, and
// `offset[u]` the start of u's out-list in a flat buffer of n-1 letters (lists in letter order).
struct EdgeGraph {
  std::array<std::array<int, kLetters>, kLetters> count{};
  std::array<int, kLetters> out{};
  std::array<int, kLetters> offset{};
};

EdgeGraph build_graph(std::span<const std::uint8_t> s) {
  EdgeGraph g;
  for (std::size_t i = 0; i + 1 < s.size(); ++i) ++g.count[s[i]][s[i + 1]];
  int acc = 0;
  for (int u = 0; u < kLetters; ++u) {
    for (int v = 0; v < kLetters; ++v) g.out[u] += g.count[u][v];
    g.offset[u] = acc;
    acc += g.out[u];
  }
  return g;
}

// Walks the graph from s[0], leaving each vertex u through the next unused entry of its out-list
// edges[offset[u] ..]. The lists must make the walk an Eulerian trail (each vertex's final exit
// edges form an arborescence toward the last letter), which both dinucleotide modes guarantee,
// so the walk never runs dry before writing all n letters.
void walk(const EdgeGraph& g, const std::uint8_t* edges, std::uint8_t first, std::uint8_t* out,
          std::size_t n) {
  std::array<int, kLetters> used{};
  std::uint8_t cur = first;
  out[0] = cur;
  for (std::size_t i = 1; i < n; ++i) {
    LB_ASSERT(used[cur] < g.out[cur]);
    cur = edges[g.offset[cur] + used[cur]++];
    out[i] = cur;
  }
}

// Uniform dinucleotide shuffle (Altschul & Erickson 1985; Kandel, Matias, Unger & Winkler 1996;
// the method of uShuffle, Jiang et al. 2008).
//
// A sequence with the same first letter and dinucleotide counts as s is exactly an Eulerian trail
// of the multigraph G (edge s[i] -> s[i+1] per position) from s[0]; it must end at t = s[n-1].
// Give every edge copy a label. The BEST-theorem bijection: a labelled Eulerian trail from s[0]
// to t corresponds one-to-one to
//   (a) for each vertex u != t with out-edges, its LAST exit edge, such that these edges form an
//       arborescence toward t (following last exits from any vertex reaches t, no cycle), and
//   (b) for each vertex, an ordering of its other out-edges (all of them for t),
// because walking from s[0] taking each vertex's edges in that order, last exit last, always
// completes (the last exits prevent stranding any edge) and every trail arises this way.
// So drawing (a) uniformly over labelled arborescences and (b) uniformly gives a uniformly random
// labelled trail. A distinct letter sequence corresponds to exactly prod_uv count[u][v]! labelled
// trails (permute the labels among parallel edges), the same number for every sequence, hence
// every distinct sequence is equally likely.
//
// (a) by Wilson's algorithm (1996), loop-erased random walks toward the root t: the walk leaves u
// along a uniformly random out-edge copy (letter v with probability count[u][v] / out[u]), and
// Wilson's theorem gives each arborescence T probability proportional to
// prod_u count[u][T(u)] / out[u], i.e. proportional to its number of labelled versions; which
// copy of u -> T(u) is the last one is then uniform, so the labelled arborescence is uniform.
// Expected cost is the walk's mean hitting time of t: a few steps on typical sequences, about a
// run length per vertex on runs like A{50}C{50}G{50}T{50} (measured 1.8 us per whole shuffle),
// where rejection of independent choices would accept with probability (1/50)^3.
//
// (b) letters only: each vertex's remaining out-letters (its multiset minus one T(u)) are
// Fisher-Yates shuffled; every distinct arrangement of a multiset is equally likely under a
// uniform permutation of its labelled items, so this is (b) projected to letters.
void dinuc_uniform(std::span<const std::uint8_t> s, Rng& rng, std::uint8_t* edges,
                   std::uint8_t* out) {
  const std::size_t n = s.size();
  const EdgeGraph g = build_graph(s);
  const int root = s[n - 1];

  // Wilson: next[u] is the current loop-erased exit of u; in_tree marks vertices settled.
  std::array<int, kLetters> next{};
  std::array<bool, kLetters> in_tree{};
  in_tree[root] = true;
  for (int start = 0; start < kLetters; ++start) {
    if (in_tree[start] || g.out[start] == 0) continue;  // out == 0 and != root: letter absent
    // Random walk until the tree is hit, remembering only the latest exit of each vertex: a
    // revisit overwrites next[u], which erases the loop closed since the previous visit.
    for (int u = start; !in_tree[u]; u = next[u]) {
      int r = static_cast<int>(rng.below(static_cast<std::uint64_t>(g.out[u])));
      int v = 0;
      while (r >= g.count[u][v]) r -= g.count[u][v++];
      next[u] = v;
    }
    for (int u = start; !in_tree[u]; u = next[u]) in_tree[u] = true;
  }

  // Out-lists: the remaining letters of u in letter order, shuffled, then the last exit.
  for (int u = 0; u < kLetters; ++u) {
    if (g.out[u] == 0) continue;
    std::uint8_t* list = edges + g.offset[u];
    int k = 0;
    for (int v = 0; v < kLetters; ++v) {
      const int c = g.count[u][v] - (u != root && v == next[u] ? 1 : 0);
      for (int j = 0; j < c; ++j) list[k++] = static_cast<std::uint8_t>(v);
    }
    if (u != root) list[k] = static_cast<std::uint8_t>(next[u]);  // the last exit, kept last
    rng.shuffle(list, list + k);  // the root has no last exit: all of its list is shuffled
  }
  walk(g, edges, s[0], out, n);
}

// deeplift-compatible dinucleotide shuffle. What we verified in kundajelab/deeplift
// deeplift/dinuc_shuffle.py (both the older string version and the NumPy-token version) and
// jmschrei/tangermeme tangermeme/ersatz.py (_fast_shuffle, adapted from deeplift's): for each
// letter, the list of next-positions (hence next letters) in original order; each list is
// permuted uniformly except its LAST entry, which stays last (so every letter keeps its original
// last exit, including the final letter's); then a walk from the first letter consumes the lists
// in order. This is the Altschul-Erickson construction with the arborescence fixed to the
// original sequence's one instead of drawn at random, so it only reaches shuffles that share
// the original last exits (9 of the 27 shuffles of ACCCACGATGATG; uniform among those).
// Differences we do not copy: deeplift's and tangermeme's NumPy RNG streams (ours is lb::Rng);
// tangermeme decodes by argmax, turning an N (all-zero) column into A, and its default end=-1
// leaves the final position out of the shuffled region; here N is a fifth letter and the whole
// sequence is shuffled.
void dinuc_compatible(std::span<const std::uint8_t> s, Rng& rng, std::uint8_t* edges,
                      std::uint8_t* out) {
  const std::size_t n = s.size();
  const EdgeGraph g = build_graph(s);
  std::array<int, kLetters> fill{};
  for (std::size_t i = 0; i + 1 < n; ++i) edges[g.offset[s[i]] + fill[s[i]]++] = s[i + 1];
  for (int u = 0; u < kLetters; ++u) {
    if (g.out[u] > 1) rng.shuffle(edges + g.offset[u], edges + g.offset[u] + g.out[u] - 1);
  }
  walk(g, edges, s[0], out, n);
}

// One shuffle of s into out[0..n-1]; `edges` is scratch of at least n letters (reused by
// shuffle_one_hot across draws, so the hot path allocates nothing per edge or per draw).
void shuffle_into(std::span<const std::uint8_t> s, ShuffleKind kind, Rng& rng,
                  std::uint8_t* edges, std::uint8_t* out) {
  const std::size_t n = s.size();
  if (kind == ShuffleKind::Mono) {
    for (std::size_t i = 0; i < n; ++i) out[i] = s[i];
    rng.shuffle(out, out + n);
    return;
  }
  // n <= 2: first and last letter are fixed, so the sequence itself is the only shuffle.
  if (n <= 2) {
    for (std::size_t i = 0; i < n; ++i) out[i] = s[i];
    return;
  }
  if (kind == ShuffleKind::Dinuc) {
    dinuc_uniform(s, rng, edges, out);
  } else {
    dinuc_compatible(s, rng, edges, out);
  }
}

void check_codes(std::span<const std::uint8_t> s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    LB_CHECK(s[i] <= kBaseN, "shuffle: code {} at position {}; expected 0..4", int(s[i]), i);
  }
}

}  // namespace

std::vector<std::uint8_t> shuffle_codes(std::span<const std::uint8_t> codes, ShuffleKind kind,
                                        Rng& rng) {
  check_codes(codes);
  std::vector<std::uint8_t> out(codes.size()), edges(codes.size());
  shuffle_into(codes, kind, rng, edges.data(), out.data());
  return out;
}

Mat shuffle_one_hot(const Mat& x, int n_seqs, int seq_len, ShuffleKind kind, int n_shuffles,
                    std::uint64_t seed, std::uint64_t first_index) {
  LB_CHECK(n_seqs >= 0 && seq_len >= 0 && n_shuffles >= 0,
           "shuffle_one_hot: n_seqs {}, seq_len {}, n_shuffles {}; expected non-negative", n_seqs,
           seq_len, n_shuffles);
  // from_one_hot checks the shape and that every column is one-hot or all zero (N).
  const auto seqs = from_one_hot(x, n_seqs, seq_len);  // N x L codes
  const auto len = static_cast<std::size_t>(seq_len);
  Mat y = Mat::Zero(kNumBases, static_cast<Eigen::Index>(n_seqs) * n_shuffles * seq_len);
  std::vector<std::uint8_t> edges(len), out(len);
  for (int s = 0; s < n_seqs; ++s) {
    // One stream per sequence: the draws of sequence s never depend on the batch it is in.
    Rng rng(seed, first_index + static_cast<std::uint64_t>(s));
    for (int j = 0; j < n_shuffles; ++j) {
      shuffle_into(seqs[static_cast<std::size_t>(s)], kind, rng, edges.data(), out.data());
      const Eigen::Index col0 = (static_cast<Eigen::Index>(s) * n_shuffles + j) * seq_len;
      for (std::size_t l = 0; l < len; ++l) {
        if (out[l] < kNumBases) y(out[l], col0 + static_cast<Eigen::Index>(l)) = 1.0f;
      }
    }
  }
  return y;
}

}  // namespace lb::sim
