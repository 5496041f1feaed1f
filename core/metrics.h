// Ranking metrics shared by training logs and the evaluation: auROC (with ties counted as a
// half, the Mann-Whitney statistic) and auPRC as average precision (scikit-learn's
// average_precision_score: sum over thresholds of (R_k - R_{k-1}) P_k); for real-valued
// targets the coefficient of determination R^2 and Pearson's r.
#pragma once

#include <span>

namespace lb {

/// NaN when there are no positives or no negatives.
double auroc(std::span<const double> scores, std::span<const int> labels);
double auprc(std::span<const double> scores, std::span<const int> labels);

/// R^2 = 1 - sum (y - p)^2 / sum (y - mean y)^2 of predictions p against targets y (negative
/// when p is worse than the mean); NaN when y is constant or empty.
double r_squared(std::span<const double> predictions, std::span<const double> targets);
/// Pearson's correlation; NaN when either side is constant or empty.
double pearson(std::span<const double> a, std::span<const double> b);

}  // namespace lb
