// Motifs (discover/motifs.h): the continuous Jaccard by hand, the alignment's offset and strand,
// the symmetries of the fine similarity, a synthetic data set with two planted motifs recovered
// as exactly two motifs, thread-count invariance, and `liftbench discover` end to end with each
// error's exact message.
#include <algorithm>
#include <cmath>
#include <set>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "discover/cluster.h"
#include "discover/motifs.h"
#include "discover/seqlets.h"
#include "io/meme.h"
#include "io/npz.h"
#include "io/tsv.h"
#include "testing/helpers.h"

namespace lb::discover {
namespace {

using lb::testing::list_dir;
using lb::testing::read_text;
using lb::testing::run_liftbench;
using lb::testing::TempDir;

TEST(MotifSimilarityTest, ContinuousJaccardByHand) {
  // Two columns: a = A 0.5 | C 0.5; b = A 0.25 | C 0.25, T 0.5.
  const Window a{0.5f, 0, 0, 0, 0, 0.5f, 0, 0};
  Window b{0.25f, 0, 0, 0, 0, 0.25f, 0, 0.5f};
  // min: 0.25 + 0.25 (+0 for T) = 0.5; max: 0.5 + 0.5 + 0.5 = 1.5.
  EXPECT_DOUBLE_EQ(continuous_jaccard(a, b), 0.5 / 1.5);
  b[5] = -0.25f;  // opposite signs at C: the min counts against: 0.25 - 0.25 = 0
  EXPECT_DOUBLE_EQ(continuous_jaccard(a, b), 0.0);
  EXPECT_DOUBLE_EQ(continuous_jaccard(a, a), 1.0);
  EXPECT_DOUBLE_EQ(continuous_jaccard(Window(8, 0.0f), Window(8, 0.0f)), 0.0);
  const Window neg{-0.5f, 0, 0, 0, 0, -0.5f, 0, 0};
  EXPECT_DOUBLE_EQ(continuous_jaccard(a, neg), -1.0);
}

TEST(MotifSimilarityTest, ReverseComplementSwapsStrandAndChannels) {
  // Column 0: A 1, column 1: G 2  ->  column 0: C 2 (G's complement), column 1: T 1.
  const Window w{1, 0, 0, 0, 0, 0, 2, 0};
  EXPECT_EQ(reverse_complement(w), (Window{0, 2, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(reverse_complement(reverse_complement(w)), w);
}

SeqletTracks tracks_from(Window c, Window h) {
  const auto norm = [](Window& w) {
    double t = 0;
    for (const float v : w) t += std::abs(v);
    if (t > 0)
      for (float& v : w) v = static_cast<float>(v / t);
  };
  norm(c);
  norm(h);
  SeqletTracks t{c, h, reverse_complement(c), reverse_complement(h)};
  return t;
}

Window random_window(Rng& rng, int w, double sparse = 0) {
  Window x(static_cast<std::size_t>(w) * 4);
  for (float& v : x) v = rng.uniform() < sparse ? 0.0f : static_cast<float>(rng.normal());
  return x;
}

TEST(MotifSimilarityTest, ShiftedAndReverseComplementedCopiesAlignExactly) {
  constexpr int W = 31;
  Rng rng(11, 0);
  // A motif of 6 columns at columns 10..15 of a; b holds it at 13..18; c holds its reverse complement.
  Window a(W * 4, 0.0f), ha(W * 4, 0.0f);
  const Window core = random_window(rng, 6), hcore = random_window(rng, 6);
  std::copy(core.begin(), core.end(), a.begin() + 10 * 4);
  std::copy(hcore.begin(), hcore.end(), ha.begin() + 10 * 4);
  Window b(W * 4, 0.0f), hb(W * 4, 0.0f);
  std::copy(core.begin(), core.end(), b.begin() + 13 * 4);
  std::copy(hcore.begin(), hcore.end(), hb.begin() + 13 * 4);
  const SeqletTracks ta = tracks_from(a, ha), tb = tracks_from(b, hb);
  const Alignment s = fine_similarity(ta, tb, 22);
  EXPECT_NEAR(s.similarity, 1.0, 1e-6);
  EXPECT_EQ(s.offset, -3);  // b's column 13 on a's column 10
  EXPECT_EQ(s.strand, 1);
  const SeqletTracks tc = tracks_from(reverse_complement(b), reverse_complement(hb));
  const Alignment r = fine_similarity(ta, tc, 22);
  EXPECT_NEAR(r.similarity, 1.0, 1e-6);
  EXPECT_EQ(r.strand, -1);
  EXPECT_EQ(r.offset, -3);  // the reverse complement of c is b
  // Past the minimum overlap the copy is not reachable: 31 - 22 = 9 columns of shift at most.
  Window d(W * 4, 0.0f), hd(W * 4, 0.0f);
  std::copy(core.begin(), core.end(), d.begin() + 25 * 4);  // 15 columns right of a's copy
  std::copy(hcore.begin(), hcore.end(), hd.begin() + 25 * 4);
  EXPECT_LT(fine_similarity(ta, tracks_from(d, hd), 22).similarity, 0.5);
}

// Equal up to float rounding: the sums run in float, over the overlap in a different order when
// one window is reverse complemented.
TEST(MotifSimilarityTest, SymmetricAndStrandSymmetric) {
  Rng rng(5, 0);
  for (int trial = 0; trial < 20; ++trial) {
    const Window ca = random_window(rng, 31, 0.5), ha = random_window(rng, 31), cb = random_window(rng, 31, 0.5),
                 hb = random_window(rng, 31);
    const SeqletTracks a = tracks_from(ca, ha), b = tracks_from(cb, hb);
    const SeqletTracks arc = tracks_from(reverse_complement(ca), reverse_complement(ha)),
                       brc = tracks_from(reverse_complement(cb), reverse_complement(hb));
    const double s = fine_similarity(a, b, 22).similarity;
    EXPECT_NEAR(fine_similarity(b, a, 22).similarity, s, 1e-6);
    EXPECT_NEAR(fine_similarity(arc, brc, 22).similarity, s, 1e-6);  // both reverse complemented
    EXPECT_NEAR(fine_similarity(a, brc, 22).similarity, fine_similarity(arc, b, 22).similarity, 1e-6);
    EXPECT_NEAR(fine_similarity(a, brc, 22).similarity, s, 1e-6);  // both strands are searched
    EXPECT_LE(s, 1.0 + 1e-6);
    EXPECT_NEAR(fine_similarity(a, a, 22).similarity, 1.0, 1e-6);
  }
}

TEST(MotifClusterTest, LeidenSplitsTwoCliquesAndIsSeeded) {
  // Two 5-cliques joined by one weak edge.
  WeightedGraph g;
  g.n = 10;
  for (int c = 0; c < 2; ++c)
    for (int i = 0; i < 5; ++i)
      for (int j = i + 1; j < 5; ++j) {
        g.edges.emplace_back(5 * c + i, 5 * c + j);
        g.weights.push_back(1.0);
      }
  g.edges.emplace_back(4, 5);
  g.weights.push_back(0.1);
  const Clustering a = leiden(g, 1.0, 5, 1);
  EXPECT_EQ(a.n_clusters, 2);
  EXPECT_EQ(a.membership, (std::vector<int>{0, 0, 0, 0, 0, 1, 1, 1, 1, 1}));
  // Modularity of that split: per clique e_c = 10 / 20.1 of the weight inside, degree share 1/2.
  const double m = 20.1, q = 2 * (10 / m - std::pow((20 + 0.1) / (2 * m), 2));
  EXPECT_NEAR(a.quality, q, 1e-9);
  const Clustering b = leiden(g, 1.0, 5, 1);
  EXPECT_EQ(a.membership, b.membership);
  const Clustering none = leiden(WeightedGraph{3, {}, {}}, 1.0, 2, 1);
  EXPECT_EQ(none.membership, (std::vector<int>{0, 1, 2}));
}

// With two threads the later half of the runs goes to a forked process: the kept run, its
// quality and membership equal those of one process, whichever half it comes from.
TEST(MotifClusterTest, LeidenRunsSplitAcrossAProcessEqualOneProcess) {
  const int saved = lb::threads();
  std::set<bool> from_child;
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    // A noisy graph of 300 nodes (6 planted groups), where runs end in different partitions.
    Rng rng(seed);
    WeightedGraph g;
    g.n = 300;
    for (int i = 0; i < g.n; ++i)
      for (int j = i + 1; j < g.n; ++j) {
        const bool same = i % 6 == j % 6;
        if (rng.uniform() < (same ? 0.08 : 0.03)) {
          g.edges.emplace_back(i, j);
          g.weights.push_back(0.1 + rng.uniform());
        }
      }
    lb::set_threads(1);
    const Clustering one = leiden(g, 1.0, 7, seed);
    lb::set_threads(2);
    const Clustering two = leiden(g, 1.0, 7, seed);
    EXPECT_EQ(one.best_run, two.best_run) << "seed " << seed;
    EXPECT_EQ(one.quality, two.quality) << "seed " << seed;
    EXPECT_EQ(one.n_clusters, two.n_clusters) << "seed " << seed;
    EXPECT_EQ(one.membership, two.membership) << "seed " << seed;
    from_child.insert(one.best_run >= 7 / 2);
  }
  lb::set_threads(saved);
  EXPECT_EQ(from_child.size(), 2u) << "every best run came from one half: the test does not reach both";
}

// ---- synthetic data with two planted motifs ----

constexpr const char* kMotifA = "GATAAG";
constexpr const char* kMotifB = "CAGATGG";

int base_index(char b) { return static_cast<int>(std::string_view("ACGT").find(b)); }

std::string revcomp(const std::string& s) {
  std::string r(s.rbegin(), s.rend());
  for (char& c : r) c = "TGCA"[base_index(c)];
  return r;
}

// N random sequences of length L (seed 3); sequence i carries motif A (i % 3 == 0), B (i % 3 ==
// 1) or nothing, at a random position and strand. Hypothetical scores: N(0, 0.05) noise
// everywhere, plus 1 at the planted base of every planted position; contributions = hypothetical
// x one-hot. Task 0 only.
DiscoveryScores synthetic(int n, int len) {
  DiscoveryScores d;
  const auto L = static_cast<std::size_t>(len);
  d.onehot.assign(static_cast<std::size_t>(n) * 4 * L, 0.0f);
  d.hyp.assign(d.onehot.size(), 0.0f);
  d.contrib.assign(d.onehot.size(), 0.0f);
  d.scores.seq_len = len;
  d.scores.per_base.assign(static_cast<std::size_t>(n) * L, 0.0);
  for (int i = 0; i < n; ++i) {
    Rng rng(3, static_cast<std::uint64_t>(i));
    d.scores.ids.push_back(fmt::format("s{}", i));
    std::string seq(L, 'A');
    for (char& c : seq) c = "ACGT"[rng.below(4)];
    std::vector<char> planted(L, 0);
    if (i % 3 != 2) {
      std::string m = i % 3 == 0 ? kMotifA : kMotifB;
      if (rng.below(2)) m = revcomp(m);
      const auto at = static_cast<std::size_t>(20 + rng.below(L - 40 - m.size()));
      for (std::size_t k = 0; k < m.size(); ++k) seq[at + k] = m[k], planted[at + k] = 1;
    }
    for (std::size_t l = 0; l < L; ++l) {
      const auto b = static_cast<std::size_t>(base_index(seq[l]));
      for (std::size_t c = 0; c < 4; ++c) {
        const std::size_t k = (static_cast<std::size_t>(i) * 4 + c) * L + l;
        d.hyp[k] = static_cast<float>(0.05 * rng.normal() + (planted[l] && c == b ? 1.0 : 0.0));
        d.onehot[k] = c == b ? 1.0f : 0.0f;
        d.contrib[k] = d.hyp[k] * d.onehot[k];
        d.scores.per_base[static_cast<std::size_t>(i) * L + l] += d.contrib[k];
      }
    }
  }
  return d;
}

std::string upper_core(const std::string& consensus) {
  std::string s;
  for (const char c : consensus)
    if (c >= 'A' && c <= 'Z') s += c;
  return s;
}

bool has_motif(const std::string& core, const std::string& m) {
  return core.find(m) != std::string::npos || core.find(revcomp(m)) != std::string::npos;
}

// A hand-made motif: per column an upper-case base carries `core` at that base, a lower-case one
// `flank`, in both the CWM and the hypothetical CWM (times the sign); '.' carries nothing.
Motif hand_motif(const std::string& columns, int sign = 1, float core = 1.0f, float flank = 0.2f) {
  Motif m;
  m.sign = sign;
  for (const char ch : columns) {
    std::array<float, 4> row{};
    if (ch != '.') {
      const bool upper = ch >= 'A' && ch <= 'Z';
      const char b = upper ? ch : static_cast<char>(ch - 'a' + 'A');
      row[static_cast<std::size_t>(base_index(b))] = static_cast<float>(sign) * (upper ? core : flank);
    }
    m.cwm.push_back(row);
    m.hyp_cwm.push_back(row);
    m.pwm.push_back({0.25f, 0.25f, 0.25f, 0.25f});
  }
  return m;
}

TEST(MotifMergeTest, CoreIsTheSpanOfTheHeavyColumns) {
  const CoreSpan c = motif_core(hand_motif("caGATaAGgc", 1, 1.0f, 0.3f));
  EXPECT_EQ(c.first, 2);  // G
  EXPECT_EQ(c.last, 7);   // the last G; the lower-case a inside the span is part of it
  const CoreSpan all = motif_core(hand_motif("..."));  // nothing carried: every column
  EXPECT_EQ(all.first, 0);
  EXPECT_EQ(all.last, 2);
}

// Two flank variants of one core (the kind: caGATAAGgc and ccctGATAAGcg) are the same
// motif: the flanks lie outside both cores and do not count, the cores align exactly at offset 2.
TEST(MotifMergeTest, FlankVariantsOfOneCoreMerge) {
  const Motif a = hand_motif("caGATAAGgc"), b = hand_motif("ccctGATAAGcg");
  const Alignment s = core_similarity(a, b, 0.7);
  EXPECT_NEAR(s.similarity, 1.0, 1e-9);
  EXPECT_EQ(s.offset, -2);  // b's column 4 (its G) on a's column 2
  EXPECT_EQ(s.strand, 1);
  // By hand: a core one column shorter (GATAA) against GATAAG: union of the cores 6 columns, a's
  // 5 core columns of 1 and its flank g of 0.2 there, normalised by 5.2, against 6 x 1/6:
  // Σ min = 5/6 + 0.2/5.2, Σ max = 5/5.2 + 1/6.
  const Motif c = hand_motif("caGATAAgc");
  const double want = (5.0 / 6 + 0.2 / 5.2) / (5.0 / 5.2 + 1.0 / 6);
  EXPECT_NEAR(core_similarity(a, c, 0.7).similarity, want, 1e-6);
  EXPECT_GE(core_similarity(a, c, 0.7).similarity, MotifConfig{}.merge_threshold);
  // The old whole-motif measure penalised those flanks; the core measure is symmetric.
  EXPECT_NEAR(core_similarity(b, a, 0.7).similarity, 1.0, 1e-9);
  EXPECT_EQ(core_similarity(b, a, 0.7).offset, 2);
}

TEST(MotifMergeTest, DifferentMotifsDoNotMerge) {
  // GATA against TAL1 (CAGATGG, which shares GAT with it), and against an A/T-rich motif.
  const Motif gata = hand_motif("caGATAAGgc"), tal = hand_motif("aaCAGATGGtc"), at = hand_motif("ttATTTAAaa");
  EXPECT_LT(core_similarity(gata, tal, 0.7).similarity, MotifConfig{}.merge_threshold);
  EXPECT_LT(core_similarity(gata, at, 0.7).similarity, MotifConfig{}.merge_threshold);
  EXPECT_LT(core_similarity(tal, at, 0.7).similarity, MotifConfig{}.merge_threshold);
  // GATA against TAL1 at GAT on GAT (TAL1 at offset -2; cores 6 and 7 columns, overlapping 5, union
  // 8): GATA's columns over the union carry 0.2, 0.2 and six 1s (total 6.4), TAL1's seven 1s and its
  // t of 0.2 (7.2); the same base at union columns 0-4 (c/C, a/A, G, A, T), different ones at 5-7.
  const double g = 1 / 6.4, f = 0.2 / 6.4, t = 1 / 7.2, tf = 0.2 / 7.2;
  const double by_hand = (2 * f + 3 * t) / (2 * t + 3 * g + 2 * (g + t) + (g + tf));
  const Alignment s = core_similarity(gata, tal, 0.7);
  EXPECT_NEAR(by_hand, 0.3151, 1e-4);
  EXPECT_NEAR(s.similarity, by_hand, 1e-6);  // the best placement (checked against a naive search)
  EXPECT_EQ(s.offset, -2);
  EXPECT_EQ(s.strand, 1);
}

TEST(MotifMergeTest, ReverseComplementsMerge) {
  const Motif a = hand_motif("caGATAAGgc"), a_rc = hand_motif("gcCTTATCtg");  // its reverse complement
  const Alignment s = core_similarity(a, a_rc, 0.7);
  EXPECT_NEAR(s.similarity, 1.0, 1e-9);
  EXPECT_EQ(s.strand, -1);
  EXPECT_EQ(s.offset, 0);
  // A flank variant on the other strand too, and negative motifs read by their sign.
  EXPECT_NEAR(core_similarity(hand_motif("ccctGATAAGcg"), a_rc, 0.7).similarity, 1.0, 1e-9);
  EXPECT_NEAR(core_similarity(hand_motif("caGATAAGgc", -1), hand_motif("gcCTTATCtg", -1), 0.7).similarity, 1.0, 1e-9);
}

TEST(MotifDiscoveryTest, TwoPlantedMotifsAreRecoveredExactly) {
  const int n = 300, len = 100;
  const DiscoveryScores d = synthetic(n, len);
  const SeqletResult sr = find_seqlets(d.scores.per_base, n, len, SeqletConfig{});
  const MotifResult r = discover_motifs(d, sr.seqlets, MotifConfig{});
  std::vector<const Motif*> pos;
  for (const auto& m : r.motifs)
    if (m.sign > 0) pos.push_back(&m);
  ASSERT_EQ(pos.size(), 2u) << r.motifs.size() << " motifs; first " << (r.motifs.empty() ? "" : r.motifs[0].consensus);
  const std::string a = upper_core(pos[0]->consensus), b = upper_core(pos[1]->consensus);
  EXPECT_TRUE((has_motif(a, kMotifA) && has_motif(b, kMotifB)) || (has_motif(a, kMotifB) && has_motif(b, kMotifA)))
      << pos[0]->consensus << " " << pos[1]->consensus;
  // Each holds (nearly) all of its 100 planted instances, and members are seqlets of that motif.
  for (const Motif* m : pos) {
    EXPECT_GE(m->members.size(), 90u) << m->consensus;
    EXPECT_LE(m->members.size(), 110u) << m->consensus;
    const int kind = has_motif(upper_core(m->consensus), kMotifA) ? 0 : 1;
    int right = 0;
    for (const auto& s : m->members) right += sr.seqlets[static_cast<std::size_t>(s.seqlet)].seq % 3 == kind;
    EXPECT_GE(right, static_cast<int>(m->members.size()) - 2) << m->consensus;
    // The PWM is a probability matrix and the trimmed motif is about the planted width.
    EXPECT_GE(m->pwm.size(), 6u);
    EXPECT_LE(m->pwm.size(), 7u + 2 * 2 + 2);
    for (const auto& row : m->pwm) EXPECT_NEAR(row[0] + row[1] + row[2] + row[3], 1.0, 1e-5);
  }
}

// One core (GATAAG) planted with two flanks, TTT...TTT in sequences i % 3 == 0 and CCC...CCC in
// i % 3 == 1 (either strand), nothing in the rest; the flank bases score `flank`, the core bases 1
// (hypothetical: N(0, 0.05) noise plus that at the planted base), as `synthetic`.
DiscoveryScores synthetic_flanks(int n, int len, double flank) {
  DiscoveryScores d;
  const auto L = static_cast<std::size_t>(len);
  d.onehot.assign(static_cast<std::size_t>(n) * 4 * L, 0.0f);
  d.hyp.assign(d.onehot.size(), 0.0f);
  d.contrib.assign(d.onehot.size(), 0.0f);
  d.scores.seq_len = len;
  d.scores.per_base.assign(static_cast<std::size_t>(n) * L, 0.0);
  for (int i = 0; i < n; ++i) {
    Rng rng(4, static_cast<std::uint64_t>(i));
    d.scores.ids.push_back(fmt::format("s{}", i));
    std::string seq(L, 'A');
    for (char& c : seq) c = "ACGT"[rng.below(4)];
    std::vector<double> weight(L, 0.0);
    if (i % 3 != 2) {
      const std::string f = i % 3 == 0 ? "TTT" : "CCC";
      std::string m = f + kMotifA + f;
      std::vector<double> w(m.size(), flank);
      for (std::size_t k = 3; k < 3 + 6; ++k) w[k] = 1.0;
      if (rng.below(2)) m = revcomp(m), std::reverse(w.begin(), w.end());
      const auto at = static_cast<std::size_t>(20 + rng.below(L - 40 - m.size()));
      for (std::size_t k = 0; k < m.size(); ++k) seq[at + k] = m[k], weight[at + k] = w[k];
    }
    for (std::size_t l = 0; l < L; ++l) {
      const auto b = static_cast<std::size_t>(base_index(seq[l]));
      for (std::size_t c = 0; c < 4; ++c) {
        const std::size_t k = (static_cast<std::size_t>(i) * 4 + c) * L + l;
        d.hyp[k] = static_cast<float>(0.05 * rng.normal() + (c == b ? weight[l] : 0.0));
        d.onehot[k] = c == b ? 1.0f : 0.0f;
        d.contrib[k] = d.hyp[k] * d.onehot[k];
        d.scores.per_base[static_cast<std::size_t>(i) * L + l] += d.contrib[k];
      }
    }
  }
  return d;
}

// Leiden splits the two flank variants (each its own cluster when nothing merges), and merging by
// the core gives one motif holding both.
TEST(MotifDiscoveryTest, FlankVariantsOfOneCoreComeOutAsOneMotif) {
  const int n = 300, len = 100;
  const DiscoveryScores d = synthetic_flanks(n, len, 0.4);
  const SeqletResult sr = find_seqlets(d.scores.per_base, n, len, SeqletConfig{});
  MotifConfig apart;
  apart.merge_threshold = 1.0;  // only identical cores merge
  const MotifResult split = discover_motifs(d, sr.seqlets, apart);
  std::vector<const Motif*> pos;
  for (const auto& m : split.motifs)
    if (m.sign > 0) pos.push_back(&m);
  ASSERT_GE(pos.size(), 2u) << "the variants were not split: the test would show nothing";
  const MotifResult merged = discover_motifs(d, sr.seqlets, MotifConfig{});
  pos.clear();
  for (const auto& m : merged.motifs)
    if (m.sign > 0) pos.push_back(&m);
  ASSERT_EQ(pos.size(), 1u) << pos[0]->consensus << " " << pos[1]->consensus;
  EXPECT_TRUE(has_motif(upper_core(pos[0]->consensus), kMotifA)) << pos[0]->consensus;
  // Both variants' sites in it.
  int variant[2] = {0, 0};
  for (const auto& s : pos[0]->members) {
    const int seq = sr.seqlets[static_cast<std::size_t>(s.seqlet)].seq;
    if (seq % 3 != 2) ++variant[seq % 3];
  }
  EXPECT_GE(variant[0], 90);
  EXPECT_GE(variant[1], 90);
}

TEST(MotifDiscoveryTest, IdenticalForAnyThreadCount) {
  const int n = 150, len = 100;
  const DiscoveryScores d = synthetic(n, len);
  const SeqletResult sr = find_seqlets(d.scores.per_base, n, len, SeqletConfig{});
  set_threads(1);
  const MotifResult one = discover_motifs(d, sr.seqlets, MotifConfig{});
  set_threads(2);
  const MotifResult two = discover_motifs(d, sr.seqlets, MotifConfig{});
  set_threads(1);
  ASSERT_EQ(one.motifs.size(), two.motifs.size());
  for (std::size_t k = 0; k < one.motifs.size(); ++k) {
    EXPECT_EQ(one.motifs[k].cwm, two.motifs[k].cwm);
    EXPECT_EQ(one.motifs[k].pwm, two.motifs[k].pwm);
    ASSERT_EQ(one.motifs[k].members.size(), two.motifs[k].members.size());
    for (std::size_t j = 0; j < one.motifs[k].members.size(); ++j) {
      EXPECT_EQ(one.motifs[k].members[j].seqlet, two.motifs[k].members[j].seqlet);
      EXPECT_EQ(one.motifs[k].members[j].offset, two.motifs[k].members[j].offset);
    }
  }
}

TEST(MotifDiscoveryTest, BadOptionsAndTooFewSeqlets) {
  MotifConfig cfg;
  cfg.graph_neighbors = 60;
  EXPECT_THROW_MSG(validate(cfg), ConfigError,
                   "--graph-neighbors: out of range; expected an integer in [1, --coarse-neighbors = 30], got 60");
  cfg = MotifConfig{};
  cfg.min_overlap = 0;
  EXPECT_THROW_MSG(validate(cfg), ConfigError, "--min-overlap: out of range; expected a number in (0, 1], got 0");
  cfg = MotifConfig{};
  cfg.resolution = 0;
  EXPECT_THROW_MSG(validate(cfg), ConfigError, "--resolution: out of range; expected a number > 0, got 0");
  cfg = MotifConfig{};
  cfg.leiden_runs = 0;
  EXPECT_THROW_MSG(validate(cfg), ConfigError, "--leiden-runs: out of range; expected an integer >= 1, got 0");
  cfg = MotifConfig{};
  cfg.trim_threshold = 1.5;
  EXPECT_THROW_MSG(validate(cfg), ConfigError, "--trim-threshold: out of range; expected a number in [0, 1], got 1.5");

  const DiscoveryScores d = synthetic(30, 100);
  const SeqletResult sr = find_seqlets(d.scores.per_base, 30, 100, SeqletConfig{});
  std::int64_t p = 0;
  for (const auto& s : sr.seqlets) p += s.sign > 0;
  cfg = MotifConfig{};
  cfg.min_support = 500;
  EXPECT_THROW_MSG(discover_motifs(d, sr.seqlets, cfg, "f: "), InputError,
                   fmt::format("f: task 0: too few seqlets to cluster; expected at least 500 of one sign "
                               "(--min-support, at least 2), got {} positive and {} negative",
                               p, static_cast<std::int64_t>(sr.seqlets.size()) - p));
}

// ---- liftbench discover ----

void write_scores(const std::string& path, const DiscoveryScores& d, int n, int len, bool with_hyp = true) {
  io::NpzArchive a;
  a.emplace_back("ids", io::NpyArray::from_strings({n}, d.scores.ids));
  a.emplace_back("onehot", io::NpyArray::from_f32({n, 4, len}, d.onehot));
  a.emplace_back("m", io::NpyArray::from_f32({n, 1, 4, len}, d.contrib));
  if (with_hyp) a.emplace_back("m.hypothetical", io::NpyArray::from_f32({n, 1, 4, len}, d.hyp));
  io::write_npz(path, a);
}

TEST(DiscoverCliTest, WritesEveryFileAndTheSameBytesForAnyThreadCount) {
  TempDir tmp;
  const int n = 300, len = 100;
  write_scores(tmp.file("scores.npz"), synthetic(n, len), n, len);
  for (const char* t : {"1", "2"}) {
    const auto r = run_liftbench(fmt::format("discover --scores {} --method m --threads {} -o {}",
                                             tmp.file("scores.npz"), t, tmp.file(std::string("out") + t)));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("[M::discover] m task 0: "), std::string::npos) << r.err;
  }
  const std::vector<std::string> files{"cwm.npz",    "discover.config.ini", "discovered.meme",
                                       "motif_seqlets.tsv", "motifs.tsv",   "seqlets.bed"};
  EXPECT_EQ(list_dir(tmp.file("out1")), files);
  for (const auto& f : files) EXPECT_EQ(read_text(tmp.file("out1/" + f)), read_text(tmp.file("out2/" + f))) << f;

  // The MEME file reads back with liftbench's reader: names, nsites = support, the PWMs.
  const io::MemeFile meme = io::read_meme(tmp.file("out1/discovered.meme"));
  const io::TsvTable motifs = io::read_tsv(tmp.file("out1/motifs.tsv"));
  ASSERT_EQ(meme.motifs.size(), motifs.rows.size());
  ASSERT_GE(meme.motifs.size(), 2u);
  EXPECT_EQ(meme.motifs[0].name, "pos_1");
  EXPECT_EQ(meme.motifs[1].name, "pos_2");
  const io::NpzArchive cwm = io::read_npz(tmp.file("out1/cwm.npz"));
  for (std::size_t k = 0; k < meme.motifs.size(); ++k) {
    EXPECT_EQ(motifs.rows[k][0], meme.motifs[k].name);
    EXPECT_EQ(motifs.rows[k][2], std::to_string(meme.motifs[k].nsites));
    EXPECT_EQ(motifs.rows[k][3], std::to_string(meme.motifs[k].probs.size()));
    const auto pwm = io::find_array(cwm, meme.motifs[k].name + ".pwm", "cwm.npz").to_f32("pwm");
    ASSERT_EQ(pwm.size(), 4 * meme.motifs[k].probs.size());
    for (std::size_t j = 0; j < pwm.size(); ++j) EXPECT_NEAR(meme.motifs[k].probs[j / 4][j % 4], pwm[j], 2e-6);
  }
  const io::TsvTable members = io::read_tsv(tmp.file("out1/motif_seqlets.tsv"));
  std::size_t support = 0;
  for (const auto& row : motifs.rows) support += std::stoul(row[2]);
  EXPECT_EQ(members.rows.size(), support);
  EXPECT_EQ(members.header, (std::vector<std::string>{"motif", "seqlet", "seq_id", "start", "end", "strand", "offset"}));

  const auto h = run_liftbench("discover --help");
  EXPECT_EQ(h.exit_code, 0);
  for (const char* flag : {"--scores FILE", "--method NAME", "--task T (=0)", "--window W (=21)", "--flank F (=5)",
                           "--coarse-neighbors K (=30)", "--graph-neighbors K (=15)", "--min-overlap FRAC (=0.7)",
                           "--resolution G (=1)", "--leiden-runs N (=50)", "--trim-threshold FRAC (=0.3)",
                           "--trim-margin N (=2)", "--min-coverage FRAC (=0.2)", "--merge-threshold S (=0.5)",
                           "--min-support N (=20)", "--seed S (=1)", "--threads N (=0)"})
    EXPECT_NE(h.out.find(flag), std::string::npos) << flag << "\n" << h.out;
  EXPECT_NE(run_liftbench("").out.find("  discover   motifs of one method and task"), std::string::npos);
}

TEST(DiscoverCliTest, ErrorsAreOneLineAndLeaveNothing) {
  TempDir tmp;
  const int n = 60, len = 100;
  const DiscoveryScores d = synthetic(n, len);
  write_scores(tmp.file("scores.npz"), d, n, len);
  write_scores(tmp.file("nohyp.npz"), d, n, len, false);
  const std::string s = tmp.file("scores.npz"), o = tmp.file("out");
  const auto expect_error = [&](const std::string& args, const std::string& message) {
    const auto r = run_liftbench("discover " + args + " -o " + o);
    EXPECT_EQ(r.exit_code, 1) << args;
    const auto at = r.err.find("liftbench: error: ");
    EXPECT_EQ(at == std::string::npos ? r.err : r.err.substr(at), "liftbench: error: " + message + "\n") << args;
    EXPECT_EQ(list_dir(tmp.path()), (std::vector<std::string>{"nohyp.npz", "scores.npz"})) << args;
  };
  expect_error("--scores " + tmp.file("nohyp.npz") + " --method m",
               tmp.file("nohyp.npz") +
                   ": missing array 'm.hypothetical'; expected the hypothetical contributions of 'm' (discovery "
                   "compares seqlets by the scores of all four bases at each position; a method without them, e.g. a "
                   "gradient map, cannot be used), got 'ids', 'onehot', 'm'");
  expect_error("--scores " + s + " --method m --min-support 100000",
               s + ": array 'm' task 0: too few seqlets to cluster; expected at least 100000 of one sign "
                   "(--min-support, at least 2), got 40 positive and 0 negative");
  expect_error("--scores " + s + " --method m --min-support 40",
               s + ": array 'm' task 0: no motif reached the support; expected a cluster of at least 40 seqlets "
                   "(--min-support), got 2 positive and 0 negative clusters, each smaller");
  expect_error("--scores " + s + " --method m --min-support 0",
               "--min-support: out of range; expected an integer >= 1, got 0");
  expect_error("--scores " + s + " --method m --merge-threshold x",
               "--merge-threshold: bad value; expected a number, got 'x'");
  expect_error("--scores " + s + " --method m --seed -1", "--seed: bad value; expected a non-negative integer, got '-1'");
  expect_error("--scores " + s + " --method m --task 1",
               "--task: out of range; expected a task in [0, 0] ('m' has 1 task), got 1");
  expect_error("--scores " + s, "--method: missing method; expected --method NAME, got nothing");
}

}  // namespace
}  // namespace lb::discover
