// auROC and average precision: the limiting cases and small cases derived by hand.
#include "core/metrics.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

namespace lb {
namespace {

double roc(const std::vector<double>& s, const std::vector<int>& l) { return auroc(s, l); }
double prc(const std::vector<double>& s, const std::vector<int>& l) { return auprc(s, l); }

TEST(MetricsTest, PerfectSeparationIsOne) {
  EXPECT_DOUBLE_EQ(roc({0.9, 0.8, 0.2, 0.1}, {1, 1, 0, 0}), 1.0);
  EXPECT_DOUBLE_EQ(prc({0.9, 0.8, 0.2, 0.1}, {1, 1, 0, 0}), 1.0);
}

TEST(MetricsTest, ReversedOrderIsZeroAuroc) {
  EXPECT_DOUBLE_EQ(roc({0.1, 0.2, 0.8, 0.9}, {1, 1, 0, 0}), 0.0);
  // AP of the reversed order: thresholds 0.9, 0.8 admit negatives only (recall unchanged);
  // 0.2 gives tp=1 of 3 admitted (recall 1/2, precision 1/3); 0.1 gives tp=2 of 4
  // (recall +1/2, precision 1/2): AP = 1/2*1/3 + 1/2*1/2 = 5/12.
  EXPECT_DOUBLE_EQ(prc({0.1, 0.2, 0.8, 0.9}, {1, 1, 0, 0}), 5.0 / 12.0);
}

TEST(MetricsTest, AllTiesIsOneHalf) {
  EXPECT_DOUBLE_EQ(roc({0.3, 0.3, 0.3, 0.3, 0.3}, {1, 0, 0, 1, 0}), 0.5);
  // One threshold admits everything: AP = recall 1 x precision 2/5 (the positive rate).
  EXPECT_DOUBLE_EQ(prc({0.3, 0.3, 0.3, 0.3, 0.3}, {1, 0, 0, 1, 0}), 0.4);
}

TEST(MetricsTest, SmallCaseByHand) {
  // scores 0.9 0.8 0.7 0.6 0.5, labels 1 0 1 1 0 (P = 3, N = 2).
  // auROC = pairs (pos > neg) / (P N): 0.9 beats both negatives (2), 0.7 and 0.6 beat 0.5
  // (1 each): 4 / 6.
  // AP: t=0.9: tp=1 fp=0, R=1/3, P=1 -> 1/3; t=0.8: tp=1 fp=1, R unchanged -> 0;
  // t=0.7: tp=2 fp=1, dR=1/3, P=2/3 -> 2/9; t=0.6: tp=3 fp=1, dR=1/3, P=3/4 -> 1/4;
  // t=0.5: dR=0. AP = 1/3 + 2/9 + 1/4 = 29/36 (sklearn's average_precision_score agrees:
  // it sums (R_k - R_{k-1}) P_k over the same thresholds).
  const std::vector<double> s{0.9, 0.8, 0.7, 0.6, 0.5};
  const std::vector<int> l{1, 0, 1, 1, 0};
  EXPECT_DOUBLE_EQ(roc(s, l), 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(prc(s, l), 29.0 / 36.0);
}

TEST(MetricsTest, TiesAreOneThresholdAndHalfAPair) {
  // scores 0.9 0.5 0.5 0.1, labels 1 1 0 0, given out of order to check the sort.
  // auROC: 0.9 beats both negatives (2); the tied positive 0.5 beats 0.1 (1) and ties with the
  // negative 0.5 (1/2): 3.5 / 4.
  // AP: t=0.9: R=1/2, P=1 -> 1/2; t=0.5 admits both tied samples: tp=2 fp=1, dR=1/2, P=2/3 ->
  // 1/3; t=0.1: dR=0. AP = 5/6.
  EXPECT_DOUBLE_EQ(roc({0.5, 0.1, 0.9, 0.5}, {0, 0, 1, 1}), 0.875);
  EXPECT_DOUBLE_EQ(prc({0.5, 0.1, 0.9, 0.5}, {0, 0, 1, 1}), 5.0 / 6.0);
  // scores 0.5 0.5 0.1, labels 1 0 1: t=0.5: tp=1 fp=1, R=1/2, P=1/2 -> 1/4; t=0.1: tp=2
  // fp=1, dR=1/2, P=2/3 -> 1/3. AP = 7/12. Positive-first tie breaking would give
  // 1/2*1 + 1/2*2/3 = 5/6 instead.
  EXPECT_DOUBLE_EQ(prc({0.5, 0.5, 0.1}, {1, 0, 1}), 7.0 / 12.0);
  EXPECT_DOUBLE_EQ(prc({0.5, 0.5, 0.1}, {0, 1, 1}), 7.0 / 12.0);
  // auROC (P = 2, N = 1): 0.5(pos) vs 0.5(neg) = 1/2, 0.1(pos) vs 0.5(neg) = 0: (1/2) / 2.
  EXPECT_DOUBLE_EQ(roc({0.5, 0.5, 0.1}, {1, 0, 1}), 0.25);
}

TEST(MetricsTest, NaNWithoutPositivesOrNegatives) {
  EXPECT_TRUE(std::isnan(roc({0.1, 0.2}, {0, 0})));
  EXPECT_TRUE(std::isnan(roc({0.1, 0.2}, {1, 1})));
  EXPECT_TRUE(std::isnan(prc({0.1, 0.2}, {0, 0})));
  EXPECT_TRUE(std::isnan(roc({}, {})));
  // Without negatives AP is defined (every threshold has precision 1).
  EXPECT_DOUBLE_EQ(prc({0.1, 0.2}, {1, 1}), 1.0);
}

// R^2 and Pearson's r by hand: y = (1, 2, 3, 4), mean 2.5, SS_tot = 5.
TEST(MetricsTest, RSquaredAndPearsonByHand) {
  const std::vector<double> y{1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(r_squared(y, y), 1.0);
  // p = (1, 2, 3, 6): SS_res = 4 -> R^2 = 1 - 4/5.
  EXPECT_DOUBLE_EQ(r_squared(std::vector<double>{1, 2, 3, 6}, y), 0.2);
  // The mean as prediction gives 0; worse than the mean is negative: p = (4, 3, 2, 1), SS_res = 20.
  EXPECT_DOUBLE_EQ(r_squared(std::vector<double>{2.5, 2.5, 2.5, 2.5}, y), 0.0);

  EXPECT_DOUBLE_EQ(r_squared(std::vector<double>{4, 3, 2, 1}, y), -3.0);
  // Pearson is invariant to affine maps and flips sign with them.
  EXPECT_NEAR(pearson(y, std::vector<double>{3, 5, 7, 9}), 1.0, 1e-15);
  EXPECT_NEAR(pearson(y, std::vector<double>{4, 3, 2, 1}), -1.0, 1e-15);
  // (1,2,3,4) vs (1,3,2,4): cov sum 4, var sums 5 and 5 -> 0.8.
  EXPECT_NEAR(pearson(y, std::vector<double>{1, 3, 2, 4}), 0.8, 1e-15);
  EXPECT_TRUE(std::isnan(r_squared(y, std::vector<double>{2, 2, 2, 2})));
  EXPECT_TRUE(std::isnan(pearson(y, std::vector<double>{2, 2, 2, 2})));
  EXPECT_TRUE(std::isnan(r_squared(std::vector<double>{}, std::vector<double>{})));
}

}  // namespace
}  // namespace lb
