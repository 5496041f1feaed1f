// Tests of the metrics without a planted truth (eval/xai_metrics.cpp, docs/metrics.md): each
// formula on hand-derived maps and against a naive implementation written from its definition.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/rng.h"
#include "eval/evaluate.h"
#include "testing/helpers.h"

namespace lb::eval {
namespace {

// The Gini index from its definition as a mean difference: Σ_i Σ_j |x_i - x_j| / (2 n Σ x).
double naive_gini(const std::vector<double>& a) {
  double sum = 0, diff = 0;
  for (double x : a) sum += std::abs(x);
  for (double x : a)
    for (double y : a) diff += std::abs(std::abs(x) - std::abs(y));
  return diff / (2.0 * static_cast<double>(a.size()) * sum);
}

TEST(XaiMetricsTest, SparsenessOfHandMaps) {
  // One nonzero entry of four: sorted 0,0,0,1, (2*4 - 4 - 1) * 1 / (4 * 1) = 3/4.
  EXPECT_DOUBLE_EQ(gini_sparseness(std::vector<double>{0, 0, 0, 1}), 0.75);
  EXPECT_DOUBLE_EQ(gini_sparseness(std::vector<double>{0, -2, 0, 0}), 0.75);
  // Flat maps have no sparseness, whatever their signs.
  EXPECT_DOUBLE_EQ(gini_sparseness(std::vector<double>{1, -1, 1, -1}), 0.0);
  // |-1|, 2, 3: ((2-4) * 1 + 0 * 2 + 2 * 3) / (3 * 6) = 4/18.
  EXPECT_DOUBLE_EQ(gini_sparseness(std::vector<double>{3, -1, 2}), 4.0 / 18.0);
  EXPECT_TRUE(std::isnan(gini_sparseness(std::vector<double>{0, 0, 0})));
}

TEST(XaiMetricsTest, SparsenessEqualsTheMeanDifferenceGini) {
  Rng rng(7, 0);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<double> a(1 + trial * 3);
    for (double& x : a) x = rng.uniform() - 0.3;
    EXPECT_NEAR(gini_sparseness(a), naive_gini(a), 1e-12) << trial;
  }
}

TEST(XaiMetricsTest, EntropyOfHandMaps) {
  // Shares 1/4, 1/4, 1/2: 2 * (1/4) ln 4 + (1/2) ln 2 = 1.5 ln 2.
  EXPECT_DOUBLE_EQ(attribution_entropy(std::vector<double>{1, -1, 2}), 1.5 * std::log(2.0));
  EXPECT_NEAR(attribution_entropy(std::vector<double>{0.5, 0.5, 0.5, -0.5, 0, 0}), std::log(4.0), 1e-15);
  EXPECT_DOUBLE_EQ(attribution_entropy(std::vector<double>{0, 3, 0}), 0.0);
  EXPECT_TRUE(std::isnan(attribution_entropy(std::vector<double>{0, 0})));
}

TEST(XaiMetricsTest, MetricListInCatalogueOrderAndItsErrors) {
  EvalConfig c;
  EXPECT_EQ(xai_metric_list(c), (std::vector<std::string>{"sparseness", "entropy", "deletion_aopc", "insertion_auc",
                                                          "faithfulness_corr", "random_target_spearman"}));
  c.xai_metrics = " entropy , sparseness";
  EXPECT_EQ(xai_metric_list(c), (std::vector<std::string>{"sparseness", "entropy"}));
  c.xai_metrics = "";
  EXPECT_TRUE(xai_metric_list(c).empty());
  EXPECT_NO_THROW(validate(c));
  c.xai_metrics = "entropy,gini";
  EXPECT_THROW_MSG(validate(c), ConfigError,
                   "eval.xai_metrics: unknown metric; expected comma-separated names of sparseness, entropy, deletion_aopc, "
                   "insertion_auc, faithfulness_corr, ism_pearson, ism_spearman, ism_sign_agreement, random_target_spearman, got 'gini'");
  c.xai_metrics = "entropy,,sparseness";
  EXPECT_THROW_MSG(validate(c), ConfigError,
                   "eval.xai_metrics: unknown metric; expected comma-separated names of sparseness, entropy, deletion_aopc, "
                   "insertion_auc, faithfulness_corr, ism_pearson, ism_spearman, ism_sign_agreement, random_target_spearman, got ''");
}

}  // namespace
}  // namespace lb::eval
