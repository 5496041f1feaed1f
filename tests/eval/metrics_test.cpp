// Tests of eval/metrics: average ranks, Spearman (with ties), sign rates.
#include "eval/metrics.h"

#include <cmath>

#include <gtest/gtest.h>

#include "core/metrics.h"

namespace lb::eval {
namespace {

TEST(MetricsTest, AverageRanksShareTies) {
  EXPECT_EQ(average_ranks(std::vector<double>{3, 1, 3, 2}), (std::vector<double>{3.5, 1, 3.5, 2}));
  EXPECT_EQ(average_ranks(std::vector<double>{5, 5, 5}), (std::vector<double>{2, 2, 2}));
}

TEST(MetricsTest, SpearmanWithTiesByHand) {
  // x ranks 1..5; y = 5,6,7,8,7 ranks 1,2,3.5,5,3.5. Centred (mean 3): dx = -2,-1,0,1,2,
  // dy = -2,-1,.5,2,.5; Σdxdy = 8, Σdx² = 10, Σdy² = 9.5; rho = 8/sqrt(95) = 0.8207826816681233
  // (scipy.stats.spearmanr([1,2,3,4,5],[5,6,7,8,7]) gives the same).
  EXPECT_NEAR(spearman(std::vector<double>{1, 2, 3, 4, 5}, std::vector<double>{5, 6, 7, 8, 7}), 0.8207826816681233,
              1e-12);
  EXPECT_NEAR(spearman(std::vector<double>{1, 2, 3}, std::vector<double>{10, 20, 300}), 1.0, 1e-12);
  EXPECT_NEAR(spearman(std::vector<double>{1, 2, 3}, std::vector<double>{3, 2, 1}), -1.0, 1e-12);
  EXPECT_TRUE(std::isnan(spearman(std::vector<double>{1, 2, 3}, std::vector<double>{4, 4, 4})));
  EXPECT_TRUE(std::isnan(spearman(std::vector<double>{1}, std::vector<double>{2})));
}

TEST(MetricsTest, SignRates) {
  const std::vector<double> s{-1, 0, 0.5, 2};
  EXPECT_DOUBLE_EQ(share_nonpositive(s), 0.5);  // -1 and 0 (a zero score is a false negative)
  EXPECT_DOUBLE_EQ(share_positive(s), 0.5);
  EXPECT_TRUE(std::isnan(share_positive(std::vector<double>{})));
}

TEST(MetricsTest, AurocOneZeroAndHalfWithTies) {
  const std::vector<int> y{0, 0, 1, 1};
  EXPECT_DOUBLE_EQ(auroc(std::vector<double>{0, 1, 2, 3}, y), 1.0);
  EXPECT_DOUBLE_EQ(auroc(std::vector<double>{3, 2, 1, 0}, y), 0.0);
  EXPECT_DOUBLE_EQ(auroc(std::vector<double>{1, 1, 1, 1}, y), 0.5);
}

}  // namespace
}  // namespace lb::eval
