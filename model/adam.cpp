// Adam with PyTorch's update order and bias correction, in double for the scalar factors.
#include "model/adam.h"

#include <cmath>

#include <fmt/format.h>

#include "core/error.h"

namespace lb::model {

void validate(const AdamConfig& c) {
  if (!(c.learning_rate > 0) || !std::isfinite(c.learning_rate))
    throw ConfigError(fmt::format("train.learning_rate: must be positive; expected a value > 0, got {}",
                                  c.learning_rate));
  if (!(c.beta1 >= 0 && c.beta1 < 1))
    throw ConfigError(fmt::format("train.beta1: out of range; expected a value in [0, 1), got {}", c.beta1));
  if (!(c.beta2 >= 0 && c.beta2 < 1))
    throw ConfigError(fmt::format("train.beta2: out of range; expected a value in [0, 1), got {}", c.beta2));
  if (!(c.epsilon > 0) || !std::isfinite(c.epsilon))
    throw ConfigError(fmt::format("train.epsilon: must be positive; expected a value > 0, got {}", c.epsilon));
}

Adam::Adam(const AdamConfig& cfg, const std::vector<Mat*>& params) : cfg_(cfg), params_(params) {
  validate(cfg_);
  for (const Mat* p : params_) {
    m_.push_back(Mat::Zero(p->rows(), p->cols()));
    v_.push_back(Mat::Zero(p->rows(), p->cols()));
  }
}

void Adam::step(const std::vector<Mat>& grads) {
  LB_CHECK(grads.size() == params_.size(), "{} gradients for {} parameters", grads.size(), params_.size());
  ++t_;
  const double t = static_cast<double>(t_);
  // torch.optim.Adam (single-tensor path): step_size = lr / bc1, denom = sqrt(v)/sqrt(bc2) + eps,
  // p -= step_size * m / denom. Equal to the header's formula; the factors are computed in double.
  const double bc1 = 1.0 - std::pow(cfg_.beta1, t);
  const double bc2 = 1.0 - std::pow(cfg_.beta2, t);
  const auto step_size = static_cast<float>(cfg_.learning_rate / bc1);
  const auto inv_sqrt_bc2 = static_cast<float>(1.0 / std::sqrt(bc2));
  // 1 - beta in double, then rounded: 1 - 0.999f would be off by 5e-5 relative (0.999 is not a
  // float), which shows up directly in the step size at t = 1.
  const auto b1 = static_cast<float>(cfg_.beta1), b2 = static_cast<float>(cfg_.beta2);
  const auto c1 = static_cast<float>(1.0 - cfg_.beta1), c2 = static_cast<float>(1.0 - cfg_.beta2);
  const auto eps = static_cast<float>(cfg_.epsilon);
  for (std::size_t j = 0; j < params_.size(); ++j) {
    Mat& p = *params_[j];
    const Mat& g = grads[j];
    LB_CHECK(g.rows() == p.rows() && g.cols() == p.cols(), "gradient {} is {}x{}, parameter {}x{}", j, g.rows(),
             g.cols(), p.rows(), p.cols());
    float* pd = p.data();
    float* md = m_[j].data();
    float* vd = v_[j].data();
    const float* gd = g.data();
    const Eigen::Index n = p.size();
    for (Eigen::Index i = 0; i < n; ++i) {
      md[i] = b1 * md[i] + c1 * gd[i];
      vd[i] = b2 * vd[i] + c2 * gd[i] * gd[i];
      pd[i] -= step_size * md[i] / (std::sqrt(vd[i]) * inv_sqrt_bc2 + eps);
    }
  }
}

}  // namespace lb::model
