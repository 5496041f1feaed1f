// Ranking metrics shared by training logs and the evaluation: auROC (with ties counted as a
// half, the Mann-Whitney statistic) and auPRC as average precision (scikit-learn's
// average_precision_score: sum over thresholds of (R_k - R_{k-1}) P_k).
#pragma once

#include <span>

namespace lb {

/// NaN when there are no positives or no negatives.
double auroc(std::span<const double> scores, std::span<const int> labels);
double auprc(std::span<const double> scores, std::span<const int> labels);

}  // namespace lb
