// Seqlets (discover/seqlets.h, docs/discovery.md): planted blocks found exactly with their flanks,
// greedy suppression, negative seqlets, edge drops, the Laplace null against closed forms on
// seeded samples, the FDR rule's realised false discovery rate, floor and cap, determinism, and
// `liftbench seqlets` end to end with each error's exact message.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/rng.h"
#include "discover/seqlets.h"
#include "io/bed.h"
#include "io/npz.h"
#include "testing/helpers.h"

namespace lb::discover {
namespace {

using lb::testing::list_dir;
using lb::testing::read_text;
using lb::testing::run_liftbench;
using lb::testing::TempDir;

// Laplace(m, b) by inversion of a uniform in (0, 1).
double laplace(Rng& rng, double m, double b) {
  double u = 0;
  do u = rng.uniform();
  while (u == 0.0);
  return u < 0.5 ? m + b * std::log(2 * u) : m - b * std::log(2 * (1 - u));
}

constexpr int kN = 40, kL = 100;

// N x L per-base scores: Laplace(0, 0.05) noise, one stream per sequence.
std::vector<double> noise(int n, int len, std::uint64_t seed = 7, double b = 0.05) {
  std::vector<double> x(static_cast<std::size_t>(n) * static_cast<std::size_t>(len));
  for (int i = 0; i < n; ++i) {
    Rng rng(seed, static_cast<std::uint64_t>(i));
    for (int l = 0; l < len; ++l) x[static_cast<std::size_t>(i * len + l)] = laplace(rng, 0, b);
  }
  return x;
}

void plant(std::vector<double>& x, int len, int seq, int from, int to, double value) {  // [from, to]
  for (int l = from; l <= to; ++l) x[static_cast<std::size_t>(seq * len + l)] += value;
}

std::vector<Seqlet> in_seq(const SeqletResult& r, int seq) {
  std::vector<Seqlet> out;
  for (const auto& s : r.seqlets)
    if (s.seq == seq) out.push_back(s);
  return out;
}

double window_sum(const std::vector<double>& x, int len, int seq, int p, int w) {
  double s = 0;
  for (int k = 0; k < w; ++k) s += x[static_cast<std::size_t>(seq * len + p + k)];
  return s;
}

SeqletConfig no_floor() {
  SeqletConfig cfg;
  cfg.min_passing = 0;  // only the FDR rule (and the cap) decide
  return cfg;
}

// One task's slice of an (N, T, 4, L) array: value = 1000 i + 100 t + 10 c + l; the same from a
// '<f4' array (copied from its bytes) and a '<f8' one (converted), and an integer dtype's error.
TEST(SeqletTest, TaskSliceOfEveryDtype) {
  const std::int64_t N = 2, T = 3, L = 2;
  std::vector<double> v;
  for (int i = 0; i < N; ++i)
    for (int t = 0; t < T; ++t)
      for (int c = 0; c < 4; ++c)
        for (int l = 0; l < L; ++l) v.push_back(1000 * i + 100 * t + 10 * c + l);
  const std::vector<float> vf(v.begin(), v.end());
  std::vector<float> want;
  for (int i = 0; i < N; ++i)
    for (int c = 0; c < 4; ++c)
      for (int l = 0; l < L; ++l) want.push_back(static_cast<float>(1000 * i + 100 * 2 + 10 * c + l));
  EXPECT_EQ(task_slice_f32(io::NpyArray::from_f32({N, T, 4, L}, vf), 2, "x"), want);
  EXPECT_EQ(task_slice_f32(io::NpyArray::from_f64({N, T, 4, L}, v), 2, "x"), want);
  io::NpyArray s = io::NpyArray::from_strings({N, T, 4, L}, std::vector<std::string>(static_cast<std::size_t>(N * T * 4 * L), "a"));
  EXPECT_THROW(task_slice_f32(s, 0, "x.npz: array 'm'"), InputError);
}

TEST(SeqletTest, MedianOfOddAndEvenCounts) {
  std::vector<double> a{3, 1, 2};
  EXPECT_EQ(median_of(a), 2.0);
  std::vector<double> b{4, 1, 3, 2};
  EXPECT_EQ(median_of(b), 2.5);
  std::vector<double> c{5};
  EXPECT_EQ(median_of(c), 5.0);
}

// By hand: n = 4, scale 1, q = 0.2. d = 5: 4 e^-5 = 0.027 <= 0.2 x 1; d = 1: 4 e^-1 = 1.47 > 0.4;
// d = 0.5: 2.43 > 0.6; d = 0.2: 3.27 > 0.8. Step-up: the smallest qualifying d.
TEST(SeqletTest, FdrThresholdByHand) {
  EXPECT_EQ(fdr_threshold(std::vector<double>{0.5, 5, 0.2, 1}, 1.0, 0.2), 5.0);
  // Step-up: d = 3 qualifies (100 e^-3 = 4.98 <= 0.2 x 30 with 30 deviations >= 3) though d = 4
  // alone would not (100 e^-4 = 1.83 > 0.2 x 1)... and the smallest qualifying value wins.
  std::vector<double> d(70, 0.1);
  d.push_back(4);
  for (int k = 0; k < 29; ++k) d.push_back(3);
  EXPECT_EQ(fdr_threshold(d, 1.0, 0.2), 3.0);
  EXPECT_TRUE(std::isinf(fdr_threshold(std::vector<double>{0.1, 0.2}, 1.0, 0.2)));
  EXPECT_TRUE(std::isinf(fdr_threshold({}, 1.0, 0.2)));
}

TEST(SeqletTest, WindowSumsByHand) {
  const std::vector<double> x{1, 2, 3, 4, 10, 20, 30, 40};
  EXPECT_EQ(window_sums(x, 2, 4, 3), (std::vector<double>{6, 9, 60, 90}));
  EXPECT_EQ(window_sums(x, 2, 4, 4), (std::vector<double>{10, 100}));
}

TEST(SeqletTest, PlantedBlockFoundExactlyWithItsFlanks) {
  auto x = noise(kN, kL);
  plant(x, kL, 7, 40, 60, 1.0);  // 21 bases: the window at 40
  const SeqletResult r = find_seqlets(x, kN, kL, no_floor());
  ASSERT_EQ(r.seqlets.size(), 1u) << r.n_passing;
  const Seqlet& s = r.seqlets[0];
  EXPECT_EQ(std::tie(s.seq, s.start, s.end, s.sign), std::make_tuple(7, 35, 66, 1));
  EXPECT_EQ(s.score, window_sum(x, kL, 7, 40, 21));
  EXPECT_EQ(r.n_dropped_at_edge, 0);
  EXPECT_EQ(r.limit, "");
  // With the default floor (3% of the windows pass) it is still there, the strongest.
  const SeqletResult d = find_seqlets(x, kN, kL, SeqletConfig{});
  EXPECT_EQ(d.limit, "floor");
  EXPECT_GE(d.n_passing, static_cast<std::int64_t>(std::ceil(0.03 * kN * (kL - 20))));
  const auto strongest = std::max_element(d.seqlets.begin(), d.seqlets.end(),
                                          [](const Seqlet& a, const Seqlet& b) { return a.score < b.score; });
  EXPECT_EQ(std::tie(strongest->seq, strongest->start, strongest->end), std::make_tuple(7, 35, 66));
}

// A (1.0 at 30..50) and B (0.5 at 40..60) overlap: every window holding much of B overlaps the
// best window (30: 10 + 11 x 1.5 = 26.5, above 31: 26), so B's best (p = 40: 16.5 + 5 = 21.5)
// is suppressed; what is left of B beyond the suppressed zone (p = 51: 10 x 0.5 = 5) is its own
// seqlet, its core not overlapping the first.
TEST(SeqletTest, OverlappingCandidatesKeepTheLarger) {
  auto x = noise(kN, kL);
  plant(x, kL, 3, 30, 50, 1.0);
  plant(x, kL, 3, 40, 60, 0.5);
  const SeqletResult r = find_seqlets(x, kN, kL, no_floor());
  const auto s = in_seq(r, 3);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(std::tie(s[0].start, s[0].end, s[0].sign), std::make_tuple(25, 56, 1));
  EXPECT_EQ(s[0].score, window_sum(x, kL, 3, 30, 21));
  EXPECT_NEAR(s[0].score, 26.5, 1.0);
  EXPECT_EQ(std::tie(s[1].start, s[1].end, s[1].sign), std::make_tuple(46, 77, 1));
  EXPECT_NEAR(s[1].score, 5.0, 1.0);
  EXPECT_EQ(r.seqlets.size(), 2u);
}

TEST(SeqletTest, NegativeSeqletsFoundSeparately) {
  auto x = noise(kN, kL);
  plant(x, kL, 7, 40, 60, 1.0);
  plant(x, kL, 12, 60, 80, -1.0);
  plant(x, kL, 20, 20, 40, -0.8);
  plant(x, kL, 20, 35, 55, 0.9);  // a positive seqlet overlapping a negative one: both kept
  const SeqletResult r = find_seqlets(x, kN, kL, no_floor());
  const auto s12 = in_seq(r, 12);
  ASSERT_EQ(s12.size(), 1u);
  EXPECT_EQ(std::tie(s12[0].start, s12[0].end, s12[0].sign), std::make_tuple(55, 86, -1));
  EXPECT_EQ(s12[0].score, window_sum(x, kL, 12, 60, 21));
  EXPECT_LT(s12[0].score, -15);
  int neg = 0, pos = 0;
  for (const auto& s : r.seqlets) (s.sign > 0 ? pos : neg) += 1;
  EXPECT_GE(neg, 2);
  EXPECT_GE(pos, 2);
  const auto s20 = in_seq(r, 20);
  // Per base: -0.8 at 20..34, 0.1 at 35..40, 0.9 at 41..55. The most negative window is 14
  // (-0.8 x 15 = -12), the most positive 35 (0.1 x 6 + 0.9 x 15 = 14.1); their cores overlap.
  ASSERT_EQ(s20.size(), 2u);
  EXPECT_EQ(std::tie(s20[0].start, s20[0].end, s20[0].sign), std::make_tuple(9, 40, -1));
  EXPECT_EQ(std::tie(s20[1].start, s20[1].end, s20[1].sign), std::make_tuple(30, 61, 1));
}

// The best window of a block at an edge is chosen, suppresses its neighbours, and is dropped
// because its flanks do not fit: nothing in that sequence (the window is not shifted inwards).
TEST(SeqletTest, WindowAtTheEdgeWhoseFlanksDoNotFitIsDropped) {
  auto x = noise(kN, kL);
  plant(x, kL, 5, 0, 20, 1.0);
  plant(x, kL, 9, kL - 21, kL - 1, -1.0);
  plant(x, kL, 11, 5, 25, 1.0);  // the flank just fits: [0, 31)
  const SeqletResult r = find_seqlets(x, kN, kL, no_floor());
  EXPECT_TRUE(in_seq(r, 5).empty());
  EXPECT_TRUE(in_seq(r, 9).empty());
  EXPECT_EQ(r.n_dropped_at_edge, 2);
  const auto s11 = in_seq(r, 11);
  ASSERT_EQ(s11.size(), 1u);
  EXPECT_EQ(std::tie(s11[0].start, s11[0].end), std::make_tuple(0, 31));
}

// The fitted null against its closed form: for Laplace(m, b), median = m and, on each side, the
// median deviation is b ln 2. 200,000 samples: the relative standard error of b is about
// 1 / (ln 2 sqrt(100,000)) = 0.5%, so 2% fails only for a wrong estimator (the mean absolute
// deviation without ln 2 is off by 31%; dividing the median deviation by ln 2 twice, 44%).
// Checked: b+ = median deviation (no ln 2) fails this test, SidesAreFittedSeparately and both FDR tests.
TEST(SeqletNullTest, LaplaceFitMatchesTheClosedForm) {
  Rng rng(2026, 1);
  std::vector<double> v(200000);
  for (auto& e : v) e = laplace(rng, 0.3, 1.7);
  const LaplaceNull null = fit_laplace_null(v);
  EXPECT_NEAR(null.location, 0.3, 0.03);
  EXPECT_NEAR(null.scale_pos / 1.7, 1.0, 0.02);
  EXPECT_NEAR(null.scale_neg / 1.7, 1.0, 0.02);
  EXPECT_EQ(null.n_pos + null.n_neg, 200000);
}

// Each side is fitted on its own: +Exp(2) and -Exp(0.5) halves.
TEST(SeqletNullTest, SidesAreFittedSeparately) {
  Rng rng(2026, 2);
  std::vector<double> v(200000);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = i % 2 ? std::abs(laplace(rng, 0, 2.0)) : -std::abs(laplace(rng, 0, 0.5));
  const LaplaceNull null = fit_laplace_null(v);
  EXPECT_NEAR(null.scale_pos / 2.0, 1.0, 0.03);
  EXPECT_NEAR(null.scale_neg / 0.5, 1.0, 0.03);
}

// The FDR rule's realised false discovery proportion, where the truth is known: 100,000
// Laplace(0, 1) null values and 5,000 signal values 4 + Exp(2) on the positive side (9% of that
// side). With the true null (m = 0, b = 1) the rule is Benjamini-Hochberg and the proportion must
// lie in [0.12, 0.25] (its expectation is 0.2 x the null share, 0.18; a scale half the truth
// lets in about half nulls, twice the truth almost none). With the fitted null the signal inflates
// b+ (the side's median deviation moves up the null's quantiles: b+ 17% too large here),
// so the rule is conservative: the proportion must be at most the target and above 0.03. Both
// are printed. Checked: the rule with half the scale in n e^(-d/b) fails this test (0.72 and 0.63),
// PureNullDataHasFewDiscoveries (400 of 400) and the planted-block tests.
double false_discovery_proportion(const std::vector<double>& v, std::size_t n_null, double m, double b,
                                  std::size_t* pass_out) {
  std::vector<double> dev;
  for (const double s : v)
    if (s > m) dev.push_back(s - m);
  const double t = fdr_threshold(dev, b, 0.2);
  std::size_t false_pos = 0, pass = 0;
  for (std::size_t i = 0; i < v.size(); ++i)
    if (v[i] > m && v[i] - m >= t) {
      ++pass;
      false_pos += i < n_null;
    }
  *pass_out = pass;
  std::printf("FDR rule on a mixture, null m %.4f b %.4f: threshold %.3f, %zu pass, false discovery proportion %.3f\n",
              m, b, t, pass, pass ? static_cast<double>(false_pos) / static_cast<double>(pass) : 0.0);
  return pass ? static_cast<double>(false_pos) / static_cast<double>(pass) : 0.0;
}

TEST(SeqletNullTest, FdrRuleControlsTheFalseDiscoveryProportion) {
  Rng rng(2026, 3);
  std::vector<double> v;
  for (int i = 0; i < 100000; ++i) v.push_back(laplace(rng, 0, 1.0));
  const std::size_t n_null = v.size();
  for (int i = 0; i < 5000; ++i) v.push_back(4 + std::abs(laplace(rng, 0, 2.0)));
  std::size_t pass = 0;
  const double exact = false_discovery_proportion(v, n_null, 0.0, 1.0, &pass);
  ASSERT_GT(pass, 1000u);
  EXPECT_GE(exact, 0.12);
  EXPECT_LE(exact, 0.25);
  const LaplaceNull null = fit_laplace_null(v);
  EXPECT_NEAR(null.scale_neg, 1.0, 0.03);  // the side without signal is fitted right
  EXPECT_GT(null.scale_pos, 1.05);
  const double fitted = false_discovery_proportion(v, n_null, null.location, null.scale_pos, &pass);
  ASSERT_GT(pass, 1000u);
  EXPECT_GE(fitted, 0.03);
  EXPECT_LE(fitted, 0.2);
}

// On pure null data every discovery is false, so the FDR is the chance of any discovery, at most
// about the target (Benjamini-Hochberg under the complete null). 400 replicates of 5,000 values:
// the share with a discovery is printed and must lie in [0.1, 0.3] (binomial sd 0.02 around 0.2).
TEST(SeqletNullTest, PureNullDataHasFewDiscoveries) {
  int with_discovery = 0;
  const int reps = 400;
  for (int rep = 0; rep < reps; ++rep) {
    Rng rng(77, static_cast<std::uint64_t>(rep));
    std::vector<double> v(5000);
    for (auto& e : v) e = laplace(rng, 0, 1.0);
    const LaplaceNull null = fit_laplace_null(v);
    std::vector<double> dev;
    for (const double s : v)
      if (s > null.location) dev.push_back(s - null.location);
    with_discovery += !std::isinf(fdr_threshold(dev, null.scale_pos, 0.2));
  }
  const double share = static_cast<double>(with_discovery) / reps;
  std::printf("pure null: %d of %d replicates with a discovery (%.3f)\n", with_discovery, reps, share);
  EXPECT_GE(share, 0.1);
  EXPECT_LE(share, 0.3);
}

TEST(SeqletTest, CapLimitsPassingWindows) {
  auto x = noise(kN, kL);
  for (int i = 0; i < kN; ++i) plant(x, kL, i, 10 * (i % 7), 10 * (i % 7) + 30, i % 2 ? 1.0 : -1.0);
  SeqletConfig cfg;
  cfg.max_passing = 0.05;
  const SeqletResult r = find_seqlets(x, kN, kL, cfg);
  EXPECT_EQ(r.limit, "cap");
  EXPECT_EQ(r.n_passing, static_cast<std::int64_t>(std::floor(0.05 * static_cast<double>(r.n_windows))));
  EXPECT_EQ(r.threshold_pos, r.threshold_neg);
}

// The cap only tightens: strong positive blocks in half the sequences push the positive side over the
// cap, while the negative side is noise the FDR rule passes nowhere (threshold +inf). The common
// cap threshold must not open the negative side. (Checked to fail with both sides set to the cap's
// threshold, as before 2026-11-28: negative noise windows then pass and become seqlets.)
TEST(SeqletTest, CapOnlyTightensASide) {
  auto x = noise(kN, kL);
  for (int i = 0; i < kN; i += 2) plant(x, kL, i, 10 * (i % 7), 10 * (i % 7) + 14, 1.0);
  SeqletConfig cfg = no_floor();
  cfg.max_passing = 0.05;
  const SeqletResult r = find_seqlets(x, kN, kL, cfg);
  EXPECT_EQ(r.limit, "cap");
  EXPECT_GT(r.threshold_pos, r.fdr_threshold_pos);
  EXPECT_EQ(r.threshold_neg, r.fdr_threshold_neg);
  EXPECT_LE(r.n_passing, static_cast<std::int64_t>(std::floor(0.05 * static_cast<double>(r.n_windows))));
  for (const auto& sq : r.seqlets) EXPECT_GT(sq.sign, 0) << "negative seqlet at " << sq.seq << ":" << sq.start;
}

std::vector<std::tuple<int, int, int, int, double>> as_tuples(const std::vector<Seqlet>& v) {
  std::vector<std::tuple<int, int, int, int, double>> out;
  for (const auto& s : v) out.emplace_back(s.seq, s.start, s.end, s.sign, s.score);
  return out;
}

// The same input twice gives the same output; sequences in another order give the same seqlets,
// renumbered (the null depends on the multiset of window sums only).
TEST(SeqletTest, DeterministicAndIndependentOfSequenceOrder) {
  const int n = 300, len = 120;
  auto x = noise(n, len, 11, 0.1);
  Rng rng(5, 0);
  for (int i = 0; i < n; ++i)
    if (rng.uniform() < 0.5) {
      const int at = static_cast<int>(rng.below(len - 15));
      plant(x, len, i, at, at + 14, rng.uniform() < 0.7 ? 0.6 : -0.6);
    }
  const SeqletResult a = find_seqlets(x, n, len, SeqletConfig{});
  const SeqletResult b = find_seqlets(x, n, len, SeqletConfig{});
  EXPECT_EQ(as_tuples(a.seqlets), as_tuples(b.seqlets));
  ASSERT_GT(a.seqlets.size(), 100u);

  std::vector<int> perm(n);  // new position k holds old sequence perm[k]
  std::iota(perm.begin(), perm.end(), 0);
  Rng(9, 0).shuffle(perm.begin(), perm.end());
  std::vector<double> y(x.size());
  for (int k = 0; k < n; ++k)
    std::copy_n(x.begin() + perm[static_cast<std::size_t>(k)] * len, len, y.begin() + k * len);
  const SeqletResult c = find_seqlets(y, n, len, SeqletConfig{});
  EXPECT_EQ(c.null.location, a.null.location);
  EXPECT_EQ(c.threshold_pos, a.threshold_pos);
  EXPECT_EQ(c.threshold_neg, a.threshold_neg);
  auto mapped = c.seqlets;
  for (auto& s : mapped) s.seq = perm[static_cast<std::size_t>(s.seq)];
  auto ta = as_tuples(a.seqlets), tc = as_tuples(mapped);
  std::sort(ta.begin(), ta.end());
  std::sort(tc.begin(), tc.end());
  EXPECT_EQ(ta, tc);
}

TEST(SeqletTest, BadOptionsNameTheOption) {
  const auto x = noise(kN, kL);
  SeqletConfig cfg;
  cfg.window = 0;
  EXPECT_THROW_MSG(find_seqlets(x, kN, kL, cfg), ConfigError, "--window: out of range; expected an integer >= 1, got 0");
  cfg.window = 101;
  EXPECT_THROW_MSG(find_seqlets(x, kN, kL, cfg), ConfigError,
                   "--window: wider than the sequences; expected an integer in [1, 100] (the sequence length), got 101");
  cfg.window = 21;
  cfg.flank = 40;
  EXPECT_THROW_MSG(find_seqlets(x, kN, kL, cfg), ConfigError,
                   "--flank: too wide for the sequences; expected window + 2 x flank <= 100 (the sequence length), got "
                   "21 + 2 x 40");
  cfg.flank = 5;
  cfg.fdr = 0;
  EXPECT_THROW_MSG(find_seqlets(x, kN, kL, cfg), ConfigError, "--fdr: out of range; expected a number in (0, 1), got 0");
  cfg.fdr = 0.2;
  cfg.max_passing = 0.01;
  EXPECT_THROW_MSG(find_seqlets(x, kN, kL, cfg), ConfigError,
                   "--max-passing: out of range; expected a number in [--min-passing = 0.03, 1], got 0.01");
  EXPECT_THROW_MSG(find_seqlets(std::span<const double>(x).first(kL), 1, kL, SeqletConfig{}, "f: "), InputError,
                   "f: too few windows to fit the null; expected at least 100 windows (sequences x (length - window "
                   "+ 1)), got 80 = 1 x (100 - 21 + 1)");
}

// ---- liftbench seqlets ----

// A scores archive: ids seq0..., onehot of random bases, method 'm' (N, 2, 4, L) with the
// per-base scores `x` on task 1 at the observed base (task 0: -x), 0 elsewhere.
void write_scores(const std::string& path, const std::vector<double>& x, int n, int len, bool with_onehot = true) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back(fmt::format("seq{}", i));
  const auto L = static_cast<std::size_t>(len);
  std::vector<float> onehot(static_cast<std::size_t>(n) * 4 * L, 0.0f), m(static_cast<std::size_t>(n) * 2 * 4 * L, 0.0f);
  Rng rng(3, 0);
  for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i)
    for (std::size_t l = 0; l < L; ++l) {
      const std::size_t c = rng.below(4);
      onehot[(i * 4 + c) * L + l] = 1;
      m[((i * 2 + 1) * 4 + c) * L + l] = static_cast<float>(x[i * L + l]);
      m[((i * 2 + 0) * 4 + c) * L + l] = -static_cast<float>(x[i * L + l]);
      m[((i * 2 + 1) * 4 + (c + 1) % 4) * L + l] = 100.0f;  // off the observed base: ignored
    }
  io::NpzArchive a;
  a.emplace_back("ids", io::NpyArray::from_strings({n}, ids));
  if (with_onehot) a.emplace_back("onehot", io::NpyArray::from_f32({n, 4, len}, onehot));
  a.emplace_back("m", io::NpyArray::from_f32({n, 2, 4, len}, m));
  io::write_npz(path, a);
}

// read_task_scores: a `tasks` array maps --task to the array's axis; the per-base score is the
// contribution at the observed base; bad archives are refused with one-line messages.
TEST(SeqletReadTest, TasksArrayIdsAndNonFiniteScores) {
  const int n = 2, len = 3;
  std::vector<float> onehot(n * 4 * len, 0.0f), m(n * 2 * 4 * len, 0.0f);
  for (int i = 0; i < n; ++i)
    for (int l = 0; l < len; ++l) {
      onehot[static_cast<std::size_t>((i * 4 + l) * len + l)] = 1;  // base l at position l
      for (int t = 0; t < 2; ++t)
        for (int c = 0; c < 4; ++c)
          m[static_cast<std::size_t>(((i * 2 + t) * 4 + c) * len + l)] = static_cast<float>(100 * t + 10 * i + l + (c == l ? 0 : 1000));
    }
  const std::vector<std::string> ids{"a", "b"};
  const std::vector<std::int64_t> tasks{2, 0};
  io::NpzArchive a;
  a.emplace_back("ids", io::NpyArray::from_strings({n}, ids));
  a.emplace_back("onehot", io::NpyArray::from_f32({n, 4, len}, onehot));
  a.emplace_back("tasks", io::NpyArray::from_i64({2}, tasks));
  a.emplace_back("m", io::NpyArray::from_f32({n, 2, 4, len}, m));
  const TaskScores ts = read_task_scores(a, "f.npz", "m", 0);  // output 0 is axis 1
  EXPECT_EQ(ts.axis, 1);
  EXPECT_EQ(ts.per_base, (std::vector<double>{100, 101, 102, 110, 111, 112}));
  EXPECT_EQ(read_task_scores(a, "f.npz", "m", 2).per_base, (std::vector<double>{0, 1, 2, 10, 11, 12}));
  EXPECT_THROW_MSG(read_task_scores(a, "f.npz", "m", 1), ConfigError,
                   "--task: task 1 was not attributed; expected one of 2, 0 (the file's 'tasks'), got 1");
  EXPECT_THROW_MSG(read_task_scores(a, "f.npz", "onehot", 0), InputError,
                   "f.npz: array 'onehot': wrong shape; expected (N,T,4,L) with N = 2, L = 3 (from 'ids' and "
                   "'onehot'), got (2,4,3)");
  auto bad = a;
  bad[0].second = io::NpyArray::from_strings({n}, std::vector<std::string>{"a", "b c"});
  EXPECT_THROW_MSG(read_task_scores(bad, "f.npz", "m", 0), InputError,
                   "f.npz: array 'ids': sequence id 'b c' cannot be a BED name; expected a non-empty id without "
                   "whitespace, got 'b c'");
  bad = a;
  m[5] = std::numeric_limits<float>::quiet_NaN();  // sequence a, task axis 0, channel 1, position 2
  bad[3].second = io::NpyArray::from_f32({n, 2, 4, len}, m);
  EXPECT_THROW_MSG(read_task_scores(bad, "f.npz", "m", 2), InputError,
                   "f.npz: array 'm': non-finite score of sequence 'a' (task 2) at channel 1 position 2; expected "
                   "finite contributions, got nan");
}

TEST(SeqletCliTest, WritesBedAndSummary) {
  TempDir tmp;
  auto x = noise(kN, kL);
  plant(x, kL, 7, 40, 60, 1.0);
  plant(x, kL, 12, 60, 80, -1.0);
  write_scores(tmp.file("scores.npz"), x, kN, kL);
  const auto r = run_liftbench(fmt::format("seqlets --scores {} --method m --task 1 --min-passing 0 -o {}",
                                           tmp.file("scores.npz"), tmp.file("s.bed")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto bed = io::read_bed(tmp.file("s.bed"));
  ASSERT_EQ(bed.size(), 2u) << read_text(tmp.file("s.bed"));
  EXPECT_EQ(bed[0].chrom, "seq7");
  EXPECT_EQ(std::tie(bed[0].start, bed[0].end, bed[0].name, bed[0].strand), std::make_tuple(35, 66, "seqlet_1", '.'));
  EXPECT_EQ(bed[1].chrom, "seq12");
  EXPECT_EQ(std::tie(bed[1].start, bed[1].end, bed[1].name), std::make_tuple(55, 86, "seqlet_2"));
  EXPECT_EQ(bed[0].extra.at(0), "pos");
  EXPECT_EQ(bed[1].extra.at(0), "neg");
  const double s7 = std::stod(bed[0].extra.at(1)), s12 = std::stod(bed[1].extra.at(1));
  EXPECT_NEAR(s7, 21, 1.5);
  EXPECT_NEAR(s12, -21, 1.5);
  EXPECT_EQ(std::max(bed[0].score, bed[1].score), 1000);
  EXPECT_NEAR(std::min(bed[0].score, bed[1].score), std::round(1000 * std::min(std::abs(s7), std::abs(s12)) /
                                                                std::max(std::abs(s7), std::abs(s12))), 0.5);
  EXPECT_NE(r.err.find("[M::seqlets] m task 1: 40 sequences x 100 bp, 3200 windows of 21; null Laplace m "),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("2 seqlets (1 positive, 1 negative, 0 dropped at the edges)"), std::string::npos) << r.err;
  // Task 0 holds -x: the signs swap.
  const auto r0 = run_liftbench(fmt::format("seqlets --scores {} --method m --min-passing 0 -o {}",
                                            tmp.file("scores.npz"), tmp.file("s0.bed")));
  ASSERT_EQ(r0.exit_code, 0) << r0.err;
  const auto bed0 = io::read_bed(tmp.file("s0.bed"));
  ASSERT_EQ(bed0.size(), 2u);
  EXPECT_EQ(bed0[0].extra.at(0), "neg");
  EXPECT_EQ(bed0[1].extra.at(0), "pos");
}

// Two runs write the same bytes; the help lists every flag with its default; the command list has it.
TEST(SeqletCliTest, SameBytesTwiceAndHelp) {
  TempDir tmp;
  auto x = noise(kN, kL);
  plant(x, kL, 7, 40, 60, 1.0);
  write_scores(tmp.file("scores.npz"), x, kN, kL);
  for (const char* out : {"a.bed", "b.bed"}) {
    const auto r = run_liftbench(fmt::format("seqlets -q --scores {} --method m --task 1 -o {}", tmp.file("scores.npz"),
                                             tmp.file(out)));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  const std::string a = read_text(tmp.file("a.bed"));
  EXPECT_GT(std::count(a.begin(), a.end(), '\n'), 1);  // the floor: noise seqlets besides the block
  EXPECT_EQ(a, read_text(tmp.file("b.bed")));
  const auto h = run_liftbench("seqlets --help");
  EXPECT_EQ(h.exit_code, 0);
  for (const char* flag : {"--scores FILE", "--method NAME", "--task T (=0)", "--window W (=21)", "--flank F (=5)",
                           "--fdr Q (=0.2)", "--min-passing FRAC (=0.03)", "--max-passing FRAC (=0.2)"})
    EXPECT_NE(h.out.find(flag), std::string::npos) << flag << "\n" << h.out;
  EXPECT_NE(run_liftbench("").out.find("  seqlets    seqlets of one method and task"), std::string::npos);
}

TEST(SeqletCliTest, ErrorsAreOneLineAndLeaveNothing) {
  TempDir tmp;
  auto x = noise(kN, kL);
  write_scores(tmp.file("scores.npz"), x, kN, kL);
  write_scores(tmp.file("nohot.npz"), x, kN, kL, false);
  write_scores(tmp.file("tiny.npz"), std::vector<double>(2 * 30, 0.5), 2, 30);
  const std::string s = tmp.file("scores.npz"), o = tmp.file("out.bed");
  const auto expect_error = [&](const std::string& args, const std::string& message) {
    const auto r = run_liftbench("seqlets " + args + " -o " + o);
    EXPECT_EQ(r.exit_code, 1) << args;
    const auto at = r.err.find("liftbench: error: ");
    EXPECT_EQ(at == std::string::npos ? r.err : r.err.substr(at), "liftbench: error: " + message + "\n") << args;
    EXPECT_EQ(list_dir(tmp.path()), (std::vector<std::string>{"nohot.npz", "scores.npz", "tiny.npz"})) << args;
  };
  expect_error("--scores " + s + " --method deeplift",
               s + ": missing array 'deeplift'; expected an array named 'deeplift', got 'ids', 'onehot', 'm'");
  expect_error("--scores " + tmp.file("nohot.npz") + " --method m",
               tmp.file("nohot.npz") + ": missing array 'onehot'; expected an array named 'onehot', got 'ids', 'm'");
  expect_error("--scores " + s + " --method m --task 2",
               "--task: out of range; expected a task in [0, 1] ('m' has 2 tasks), got 2");
  expect_error("--scores " + s + " --method m --task x", "--task: bad value; expected an integer, got 'x'");
  expect_error("--scores " + s + " --method m --window 0", "--window: out of range; expected an integer >= 1, got 0");
  expect_error("--scores " + s + " --method m --window 101",
               "--window: wider than the sequences; expected an integer in [1, 100] (the sequence length), got 101");
  expect_error("--scores " + s + " --method m --flank=-1", "--flank: out of range; expected an integer >= 0, got -1");
  expect_error("--scores " + s + " --method m --flank 40",
               "--flank: too wide for the sequences; expected window + 2 x flank <= 100 (the sequence length), got "
               "21 + 2 x 40");
  expect_error("--scores " + s + " --method m --fdr 1.5", "--fdr: out of range; expected a number in (0, 1), got 1.5");
  expect_error("--scores " + tmp.file("tiny.npz") + " --method m --window 21 --flank 0",
               tmp.file("tiny.npz") + ": array 'm' task 0: too few windows to fit the null; expected at least 100 "
                                      "windows (sequences x (length - window + 1)), got 20 = 2 x (30 - 21 + 1)");
  expect_error("--method m", "--scores: missing scores file; expected --scores FILE, got nothing");
}

}  // namespace
}  // namespace lb::discover
