// Tests of eval/bootstrap: percentile intervals by hand, coverage and width on normal data,
// thread-count independence, paired against unpaired, and the exact error texts.
#include "eval/bootstrap.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/metrics.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "testing/helpers.h"

namespace lb::eval {
namespace {

// Restores the thread count a test changed.
struct ThreadsGuard {
  int saved = threads();
  ~ThreadsGuard() { set_threads(saved); }
};

std::vector<double> normal_sample(int n, std::uint64_t seed) {
  std::vector<double> x(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) x[static_cast<std::size_t>(i)] = Rng(seed, static_cast<std::uint64_t>(i)).normal();
  return x;
}

double mean_of(const std::vector<double>& x, std::span<const int> idx) {
  double s = 0;
  for (int i : idx) s += x[static_cast<std::size_t>(i)];
  return s / static_cast<double>(idx.size());
}

TEST(BootstrapTest, PercentileInterpolatesLinearly) {
  const std::vector<double> v{1, 2, 3, 4};
  // numpy.percentile([1,2,3,4], [2.5, 50, 97.5]) = 1.075, 2.5, 3.925
  EXPECT_DOUBLE_EQ(percentile_sorted(v, 0.025), 1.075);
  EXPECT_DOUBLE_EQ(percentile_sorted(v, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(percentile_sorted(v, 0.975), 3.925);
  EXPECT_EQ(percentile_sorted(v, 0), 1);
  EXPECT_EQ(percentile_sorted(v, 1), 4);
  EXPECT_TRUE(std::isnan(percentile_sorted({}, 0.5)));
}

TEST(BootstrapTest, ConstantDataGivesZeroWidthInterval) {
  const std::vector<double> x(800, 0.3);
  const Interval ci = bootstrap_mean(x, {});
  EXPECT_EQ(ci.lo, ci.hi);
  EXPECT_EQ(ci.lo, ci.estimate);
  EXPECT_NEAR(ci.estimate, 0.3, 1e-12);
  EXPECT_EQ(ci.n_finite, 1000);
}

TEST(BootstrapTest, RatioOfSumsByHand) {
  // Three sequences with 2, 1 and 3 instances, of which 1, 0 and 3 are false negatives: the
  // estimate is 4/6, not the mean of the per-sequence rates (1/2 + 0 + 1)/3.
  const std::vector<double> num{1, 0, 3}, den{2, 1, 3};
  const Interval ci = bootstrap_ratio({num, den}, {});
  EXPECT_DOUBLE_EQ(ci.estimate, 4.0 / 6.0);
  // Every resample's ratio lies between the smallest and the largest per-sequence rate.
  EXPECT_GE(ci.lo, 0.0);
  EXPECT_LE(ci.hi, 1.0);
  EXPECT_LT(ci.lo, ci.estimate);
  EXPECT_GT(ci.hi, ci.estimate);
}

TEST(BootstrapTest, ResampleRDrawsFromItsOwnStream) {
  // With B = 1 the only resample draws its n indices from Rng(seed, 0).below(n).
  const int n = 7;
  BootstrapConfig cfg;
  cfg.resamples = 1;
  cfg.seed = 42;
  std::vector<int> seen;
  const Interval ci = bootstrap(
      n,
      [&](std::span<const int> idx) {
        if (idx[1] != 1) seen.assign(idx.begin(), idx.end());  // not the identity
        return 0.0;
      },
      cfg);
  Rng rng(42, 0);
  std::vector<int> expected(n);
  for (auto& i : expected) i = static_cast<int>(rng.below(n));
  ASSERT_NE(expected[1], 1);  // so `seen` was recorded from the resample
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(ci.n_finite, 1);
}

TEST(BootstrapTest, MeanOfStandardNormalCoversZeroWithExpectedWidth) {
  // n = 400 draws of N(0, 1): the 95% interval of the mean has width about 2 * 1.96 * s / sqrt(n)
  // (s the sample sd, 0.196 for s = 1). Tolerance 15%: the bootstrap's own Monte Carlo error at
  // B = 1000 is a few per cent. Checked to fail when resampling draws n/2 indices (width x1.41)
  // or resamples without replacement (width 0).
  const int n = 400;
  const auto x = normal_sample(n, 11);
  double m = 0, ss = 0;
  for (double v : x) m += v;
  m /= n;
  for (double v : x) ss += (v - m) * (v - m);
  const double s = std::sqrt(ss / (n - 1));
  const Interval ci = bootstrap_mean(x, {});
  EXPECT_NEAR(ci.estimate, m, 1e-12);
  EXPECT_LT(ci.lo, 0.0);
  EXPECT_GT(ci.hi, 0.0);
  const double expected_width = 2 * 1.96 * s / std::sqrt(double(n));
  EXPECT_NEAR(ci.hi - ci.lo, expected_width, 0.15 * expected_width);
  // The general-statistic path computes the same interval as the ratio path.
  const Interval general = bootstrap(n, [&](std::span<const int> idx) { return mean_of(x, idx); }, {});
  EXPECT_NEAR(general.lo, ci.lo, 1e-12);
  EXPECT_NEAR(general.hi, ci.hi, 1e-12);
}

TEST(BootstrapTest, LevelWidensInterval) {
  const auto x = normal_sample(300, 5);
  BootstrapConfig c80, c99;
  c80.level = 0.8;
  c99.level = 0.99;
  const Interval a = bootstrap_mean(x, c80), b = bootstrap_mean(x, c99);
  EXPECT_LT(b.lo, a.lo);
  EXPECT_GT(b.hi, a.hi);
}

TEST(BootstrapTest, ResultsDoNotDependOnThreads) {
  ThreadsGuard guard;
  // A statistic that is not a mean (auROC of scores against labels), 137 resamples (not a
  // multiple of the chunk).
  const int n = 250;
  const auto scores = normal_sample(n, 3);
  std::vector<int> labels(n);
  for (int i = 0; i < n; ++i) labels[i] = scores[i] + Rng(4, i).normal() > 0;
  const Statistic stat = [&](std::span<const int> idx) {
    std::vector<double> s;
    std::vector<int> l;
    for (int i : idx) {
      s.push_back(scores[i]);
      l.push_back(labels[i]);
    }
    return auroc(s, l);
  };
  BootstrapConfig cfg;
  cfg.resamples = 137;
  set_threads(1);
  const PairedInterval one = paired_bootstrap(n, stat, [&](std::span<const int> idx) { return mean_of(scores, idx); }, cfg);
  set_threads(2);
  const PairedInterval two = paired_bootstrap(n, stat, [&](std::span<const int> idx) { return mean_of(scores, idx); }, cfg);
  EXPECT_EQ(one.a.lo, two.a.lo);
  EXPECT_EQ(one.a.hi, two.a.hi);
  EXPECT_EQ(one.diff.lo, two.diff.lo);
  EXPECT_EQ(one.diff.hi, two.diff.hi);
  EXPECT_EQ(one.p_value, two.p_value);
  // And the seed matters.
  cfg.seed = 2;
  const Interval other = bootstrap(n, stat, cfg);
  EXPECT_NE(other.lo, one.a.lo);
}

TEST(BootstrapTest, IdenticalMethodsGiveExactlyZeroPairedDifference) {
  const auto x = normal_sample(500, 9);
  const std::vector<double> ones(x.size(), 1.0);
  const PairedInterval p = paired_bootstrap_ratio({x, ones}, {x, ones}, {});
  EXPECT_EQ(p.diff.lo, 0.0);
  EXPECT_EQ(p.diff.hi, 0.0);
  EXPECT_EQ(p.diff.estimate, 0.0);
  EXPECT_EQ(p.p_value, 1.0);
  EXPECT_FALSE(p.excludes_zero);
  EXPECT_EQ(p.a.lo, p.b.lo);
  EXPECT_LT(p.a.lo, p.a.hi);  // while each method's own interval is not degenerate
}

TEST(BootstrapTest, PairedDifferenceIsNarrowerThanUnpairedIntervals) {
  // Method b scores every sequence 0.05 above method a plus small noise: the methods' own
  // intervals (width ~0.25) overlap almost entirely, but on the same resampled sequences b
  // is always ahead, so the paired interval excludes 0 and p is 0. Checked to fail when b is
  // resampled with its own indices (the difference interval then covers 0).
  const int n = 250;
  const auto a = normal_sample(n, 21);
  std::vector<double> b(a);
  for (int i = 0; i < n; ++i) b[i] += 0.05 + 0.01 * Rng(22, i).normal();
  const std::vector<double> ones(n, 1.0);
  const PairedInterval p = paired_bootstrap_ratio({a, ones}, {b, ones}, {});
  EXPECT_LT(p.a.lo, p.b.hi);
  EXPECT_GT(p.a.hi, p.b.lo);  // unpaired: overlapping
  EXPECT_LT(p.diff.hi, 0.0);
  EXPECT_GT(p.diff.lo, -0.1);
  EXPECT_NEAR(p.diff.estimate, p.a.estimate - p.b.estimate, 1e-15);
  EXPECT_TRUE(p.excludes_zero);
  EXPECT_EQ(p.p_value, 0.0);
  // Swapping the methods flips the interval.
  const PairedInterval q = paired_bootstrap_ratio({b, ones}, {a, ones}, {});
  EXPECT_NEAR(q.diff.lo, -p.diff.hi, 1e-12);
  EXPECT_NEAR(q.diff.hi, -p.diff.lo, 1e-12);
}

TEST(BootstrapTest, UndefinedResamplesAreLeftOut) {
  // Ratio with a zero denominator in one of two sequences: resamples drawing only sequence 1
  // (probability 1/4) are undefined; every other resample has ratio k/k = 1.
  const std::vector<double> num{1, 0}, den{1, 0};
  const Interval ci = bootstrap_ratio({num, den}, {});
  EXPECT_GT(ci.n_finite, 650);
  EXPECT_LT(ci.n_finite, 850);
  EXPECT_EQ(ci.lo, 1.0);
  EXPECT_EQ(ci.hi, 1.0);
  // Nothing defined: NaN interval.
  const Interval none = bootstrap(3, [](std::span<const int>) { return std::nan(""); }, {});
  EXPECT_EQ(none.n_finite, 0);
  EXPECT_TRUE(std::isnan(none.lo) && std::isnan(none.hi));
  const PairedInterval pn = paired_bootstrap(3, [](std::span<const int>) { return std::nan(""); },
                                             [](std::span<const int>) { return 0.0; }, {});
  EXPECT_TRUE(std::isnan(pn.p_value));
  EXPECT_FALSE(pn.excludes_zero);
}

TEST(BootstrapTest, BadInputMessages) {
  const std::vector<double> empty, three{1, 2, 3}, two{1, 1}, bad{1, std::nan(""), 1};
  EXPECT_THROW_MSG(bootstrap_mean(empty, {}), InputError, "bootstrap: no sequences; expected at least 1, got 0");
  EXPECT_THROW_MSG(bootstrap(0, [](std::span<const int>) { return 0.0; }, {}), InputError,
                   "bootstrap: no sequences; expected at least 1, got 0");
  EXPECT_THROW_MSG(bootstrap_ratio({three, two}, {}), InputError,
                   "bootstrap: numerators and denominators differ in length; expected equal lengths, got 3 and 2");
  EXPECT_THROW_MSG(bootstrap_ratio({bad, three}, {}), InputError,
                   "bootstrap: non-finite value at sequence 1; expected finite numbers, got nan");
  const std::vector<double> ones3(3, 1.0), ones2(2, 1.0);
  EXPECT_THROW_MSG(paired_bootstrap_ratio({three, ones3}, {two, ones2}, {}), InputError,
                   "bootstrap: methods cover different sequences; expected equal lengths, got 3 and 2");
  BootstrapConfig cfg;
  cfg.resamples = 0;
  EXPECT_THROW_MSG(bootstrap_mean(three, cfg), ConfigError,
                   "eval.bootstrap_resamples: too small; expected a value >= 1, got 0");
  cfg.resamples = 10;
  cfg.level = 1;
  EXPECT_THROW_MSG(bootstrap_mean(three, cfg), ConfigError,
                   "eval.bootstrap_level: out of range; expected a value in (0, 1), got 1");
}

}  // namespace
}  // namespace lb::eval
