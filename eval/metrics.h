// The evaluation's statistics: average ranks, Spearman correlation, and the sign rates behind
// the false-negative / false-positive rates (appendix G(b)). auROC and auPRC are core/metrics.h.
#pragma once

#include <limits>
#include <span>
#include <vector>

namespace lb::eval {

/// The evaluation's "no value" (a statistic of too few values, a missing cell).
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// 1-based ranks of `x` in increasing order, ties given the mean of their ranks
/// (scipy.stats.rankdata's "average").
std::vector<double> average_ranks(std::span<const double> x);

/// Spearman's rho: Pearson correlation of the average ranks (scipy.stats.spearmanr). NaN with
/// fewer than 2 values or when either side is constant.
double spearman(std::span<const double> x, std::span<const double> y);

/// Share of `scores` <= 0 (false negatives among hits that should score) / > 0 (false
/// positives among hits that should not); NaN when empty.
double share_nonpositive(std::span<const double> scores);
double share_positive(std::span<const double> scores);

}  // namespace lb::eval
