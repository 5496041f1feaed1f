// Adam (Kingma & Ba 2015) with bias correction, as PyTorch's torch.optim.Adam (no weight decay,
// no amsgrad): m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
// p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace lb::model {

struct AdamConfig {
  double learning_rate = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double epsilon = 1e-8;
};

/// Throws ConfigError naming train.learning_rate / train.beta1 / train.beta2 / train.epsilon.
void validate(const AdamConfig& cfg);

class Adam {
 public:
  Adam(const AdamConfig& cfg, const std::vector<Mat*>& params);
  /// One step with gradients shaped like the parameters (same order).
  void step(const std::vector<Mat>& grads);
  std::int64_t steps() const { return t_; }
  /// State for checkpoints: first and second moments, and the step count.
  std::vector<Mat>& first_moments() { return m_; }
  std::vector<Mat>& second_moments() { return v_; }
  void set_steps(std::int64_t t) { t_ = t; }

 private:
  AdamConfig cfg_;
  std::vector<Mat*> params_;
  std::vector<Mat> m_, v_;
  std::int64_t t_ = 0;
};

}  // namespace lb::model
