// Losses on logits, accumulated in double: multi-task sigmoid binary cross-entropy, softmax
// cross-entropy and mean squared error, each returning the mean loss and (optionally) its gradient.
#include <cmath>

#include "core/error.h"
#include "model/network.h"

namespace lb::model {

// BCE(z, y) = -y log s(z) - (1-y) log(1 - s(z)) = max(z,0) - z*y + log1p(exp(-|z|)): the
// rewritten form never exponentiates a positive number, so it is finite for any finite z.
// dBCE/dz = s(z) - y; the mean over all n*T elements divides by n*T.
double sigmoid_bce(const Mat& logits, const Mat& targets, Mat* d_logits) {
  LB_CHECK(logits.rows() == targets.rows() && logits.cols() == targets.cols(), "logits {}x{} vs targets {}x{}",
           logits.rows(), logits.cols(), targets.rows(), targets.cols());
  const Eigen::Index m = logits.size();
  LB_CHECK(m > 0, "sigmoid_bce on no logits");
  const double inv = 1.0 / static_cast<double>(m);
  if (d_logits) d_logits->resize(logits.rows(), logits.cols());
  double sum = 0;
  for (Eigen::Index j = 0; j < m; ++j) {
    const double z = logits.data()[j], y = targets.data()[j];
    sum += std::max(z, 0.0) - z * y + std::log1p(std::exp(-std::abs(z)));
    if (d_logits) {
      // s(z) from the side where exp cannot overflow.
      const double s = z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z));
      d_logits->data()[j] = static_cast<float>((s - y) * inv);
    }
  }
  return sum * inv;
}

// CE(z, k) = logsumexp(z) - z_k with logsumexp(z) = max + log sum exp(z - max) (no overflow);
// dCE/dz = softmax(z) - onehot(k); the mean over n samples divides by n.
double softmax_ce(const Mat& logits, std::span<const int> classes, Mat* d_logits) {
  const Eigen::Index K = logits.rows(), n = logits.cols();
  LB_CHECK(static_cast<Eigen::Index>(classes.size()) == n && n > 0, "{} classes for {} samples", classes.size(), n);
  const double inv = 1.0 / static_cast<double>(n);
  if (d_logits) d_logits->resize(K, n);
  double sum = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const int k = classes[static_cast<std::size_t>(i)];
    LB_CHECK(k >= 0 && k < K, "class {} of sample {} outside [0, {})", k, i, K);
    const double mx = logits.col(i).maxCoeff();
    double se = 0;
    for (Eigen::Index r = 0; r < K; ++r) se += std::exp(double{logits(r, i)} - mx);
    const double lse = mx + std::log(se);
    sum += lse - logits(k, i);
    if (d_logits)
      for (Eigen::Index r = 0; r < K; ++r)
        (*d_logits)(r, i) = static_cast<float>((std::exp(double{logits(r, i)} - lse) - (r == k ? 1.0 : 0.0)) * inv);
  }
  return sum * inv;
}

// MSE(z, y) = (z - y)^2, dMSE/dz = 2 (z - y); the mean over all n*T elements divides by n*T.
double mean_squared_error(const Mat& logits, const Mat& targets, Mat* d_logits) {
  LB_CHECK(logits.rows() == targets.rows() && logits.cols() == targets.cols(), "logits {}x{} vs targets {}x{}",
           logits.rows(), logits.cols(), targets.rows(), targets.cols());
  const Eigen::Index m = logits.size();
  LB_CHECK(m > 0, "mean_squared_error on no logits");
  const double inv = 1.0 / static_cast<double>(m);
  if (d_logits) d_logits->resize(logits.rows(), logits.cols());
  double sum = 0;
  for (Eigen::Index j = 0; j < m; ++j) {
    const double r = double{logits.data()[j]} - double{targets.data()[j]};
    sum += r * r;
    if (d_logits) d_logits->data()[j] = static_cast<float>(2.0 * r * inv);
  }
  return sum * inv;
}

}  // namespace lb::model
