// auROC and average precision by one sort of the scores (O(n log n)); tied scores form one
// threshold, as in scikit-learn's roc_auc_score / average_precision_score.
#include "core/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "core/error.h"

namespace lb {

namespace {

// Indices sorted by decreasing score (stable, so ties keep input order; it does not matter
// for the result since a tie group is handled as a whole).
std::vector<std::size_t> order_desc(std::span<const double> scores) {
  // NaN has no order: it would break the sort and the tie-group walks below.
  for (std::size_t i = 0; i < scores.size(); ++i)
    LB_CHECK(!std::isnan(scores[i]), "score {} is NaN; expected numbers to rank", i);
  std::vector<std::size_t> idx(scores.size());
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  return idx;
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

double auroc(std::span<const double> scores, std::span<const int> labels) {
  LB_CHECK(scores.size() == labels.size(), "{} scores, {} labels", scores.size(), labels.size());
  const auto idx = order_desc(scores);
  // Walk the tie groups from the highest score down. Each positive beats every negative with a
  // lower score and ties with the negatives in its own group (counted as a half): the
  // Mann-Whitney U statistic, U / (P N) = area under the ROC step curve with diagonal ties.
  double pos = 0, neg = 0, u = 0;
  std::size_t i = 0;
  while (i < idx.size()) {
    double gp = 0, gn = 0;
    std::size_t j = i;
    while (j < idx.size() && scores[idx[j]] == scores[idx[i]]) {
      (labels[idx[j]] ? gp : gn) += 1;
      ++j;
    }
    // Positives of this group vs negatives below (not yet seen) is counted later from the
    // negatives' side: each negative adds the positives above it, plus half its own group's.
    u += gn * (pos + 0.5 * gp);
    pos += gp;
    neg += gn;
    i = j;
  }
  if (pos == 0 || neg == 0) return kNaN;
  return u / (pos * neg);
}

double auprc(std::span<const double> scores, std::span<const int> labels) {
  LB_CHECK(scores.size() == labels.size(), "{} scores, {} labels", scores.size(), labels.size());
  const auto idx = order_desc(scores);
  double total_pos = 0;
  for (int l : labels) total_pos += l ? 1 : 0;
  if (total_pos == 0) return kNaN;
  // AP = sum over distinct thresholds k (highest first) of (R_k - R_{k-1}) P_k, where the
  // threshold admits the whole tie group: P_k = tp/(tp+fp), R_k = tp/P (sklearn's definition,
  // no interpolation).
  double tp = 0, fp = 0, ap = 0;
  std::size_t i = 0;
  while (i < idx.size()) {
    double gp = 0;
    std::size_t j = i;
    while (j < idx.size() && scores[idx[j]] == scores[idx[i]]) {
      if (labels[idx[j]]) gp += 1; else fp += 1;
      ++j;
    }
    tp += gp;
    ap += (gp / total_pos) * (tp / (tp + fp));
    i = j;
  }
  return ap;
}

double r_squared(std::span<const double> predictions, std::span<const double> targets) {
  LB_CHECK(predictions.size() == targets.size(), "{} predictions for {} targets", predictions.size(), targets.size());
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (targets.empty()) return nan;
  double mean = 0;
  for (double y : targets) mean += y;
  mean /= static_cast<double>(targets.size());
  double ss_res = 0, ss_tot = 0;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    ss_res += (targets[i] - predictions[i]) * (targets[i] - predictions[i]);
    ss_tot += (targets[i] - mean) * (targets[i] - mean);
  }
  return ss_tot > 0 ? 1.0 - ss_res / ss_tot : nan;
}

double pearson(std::span<const double> a, std::span<const double> b) {
  LB_CHECK(a.size() == b.size(), "{} values against {}", a.size(), b.size());
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (a.empty()) return nan;
  double ma = 0, mb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) ma += a[i], mb += b[i];
  ma /= static_cast<double>(a.size());
  mb /= static_cast<double>(b.size());
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : nan;
}

}  // namespace lb
