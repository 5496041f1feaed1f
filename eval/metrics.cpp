// Ranks, Spearman correlation and sign rates.
#include "eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.h"

namespace lb::eval {

namespace {
}

std::vector<double> average_ranks(std::span<const double> x) {
  const std::size_t n = x.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return x[a] < x[b]; });
  std::vector<double> ranks(n);
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i + 1;
    while (j < n && x[order[j]] == x[order[i]]) ++j;
    // Positions i..j-1 share the mean of the 1-based ranks i+1..j.
    const double r = 0.5 * static_cast<double>(i + 1 + j);
    for (std::size_t k = i; k < j; ++k) ranks[order[k]] = r;
    i = j;
  }
  return ranks;
}

double spearman(std::span<const double> x, std::span<const double> y) {
  LB_CHECK(x.size() == y.size(), "spearman: {} x values but {} y values", x.size(), y.size());
  const std::size_t n = x.size();
  if (n < 2) return kNaN;
  const std::vector<double> rx = average_ranks(x), ry = average_ranks(y);
  const double mean = 0.5 * static_cast<double>(n + 1);  // mean of any average-rank vector
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double dx = rx[i] - mean, dy = ry[i] - mean;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx == 0 || syy == 0) return kNaN;
  return sxy / std::sqrt(sxx * syy);
}

double share_nonpositive(std::span<const double> scores) {
  if (scores.empty()) return kNaN;
  const auto k = std::count_if(scores.begin(), scores.end(), [](double s) { return s <= 0; });
  return static_cast<double>(k) / static_cast<double>(scores.size());
}

double share_positive(std::span<const double> scores) {
  if (scores.empty()) return kNaN;
  const auto k = std::count_if(scores.begin(), scores.end(), [](double s) { return s > 0; });
  return static_cast<double>(k) / static_cast<double>(scores.size());
}

}  // namespace lb::eval
