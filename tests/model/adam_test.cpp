// Adam: the bias-corrected first step, hand-computed steps, the degenerate betas, validate().
#include "model/adam.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "testing/helpers.h"

namespace lb::model {
namespace {

// Float rounding of a handful of operations: a few ulps of float.
constexpr double kFloatRel = 4e-7;

TEST(AdamTest, FirstStepIsLearningRateTimesSignByBiasCorrection) {
  // At t = 1, m_hat = g and v_hat = g^2, so the update is lr * g / (|g| + eps) whatever the
  // betas: without bias correction it would be lr * 0.1 g / (sqrt(0.001) |g| + eps).
  const std::vector<float> gs{0.5f, -3.0f, 1e-3f, 2e4f, -7.25f, 1e-6f};
  Mat p(2, 3), g(2, 3);
  for (int i = 0; i < 6; ++i) {
    p.data()[i] = 0.25f * static_cast<float>(i);
    g.data()[i] = gs[static_cast<std::size_t>(i)];
  }
  const Mat p0 = p;
  AdamConfig cfg;
  cfg.learning_rate = 0.01;
  Adam adam(cfg, {&p});
  adam.step({g});
  EXPECT_EQ(adam.steps(), 1);
  for (int i = 0; i < 6; ++i) {
    const double gi = g.data()[i];
    const double expected = 0.01 * gi / (std::fabs(gi) + 1e-8);
    const double got = static_cast<double>(p0.data()[i]) - p.data()[i];
    EXPECT_NEAR(got, expected, 1e-9 + kFloatRel * 4 * std::fabs(p0.data()[i]) + kFloatRel * std::fabs(expected))
        << "element " << i;
  }
}

TEST(AdamTest, ThreeStepsMatchHandComputation) {
  // lr 0.1, betas 0.9/0.999, eps 1e-8, p0 = 1, gradients 0.5, -0.25, 1.0:
  // t=1: m = 0.05, v = 0.00025, m^ = 0.5, v^ = 0.25, p = 1 - 0.1*0.5/0.5 = 0.9 (+2e-9 from eps)
  // t=2: m = 0.045 - 0.025 = 0.02, v = 0.00024975 + 0.0000625 = 0.00031225,
  //      m^ = 0.02/0.19 = 0.10526316, v^ = 0.00031225/0.001999 = 0.15620310,
  //      p = 0.900000002 - 0.1*0.10526316/0.39522538 = 0.87336630
  // t=3: m = 0.018 + 0.1 = 0.118, v = 0.00031193775 + 0.001 = 0.00131193775,
  //      m^ = 0.118/0.271 = 0.43542435, v^ = 0.00131193775/0.002997001 = 0.43775019,
  //      p = 0.87336630 - 0.1*0.43542435/0.66162689 = 0.80755514
  Mat p = Mat::Constant(1, 1, 1.0f);
  AdamConfig cfg;
  cfg.learning_rate = 0.1;
  Adam adam(cfg, {&p});
  const double expected[] = {0.900000002, 0.8733662987078463, 0.8075551396770898};
  const float grads[] = {0.5f, -0.25f, 1.0f};
  for (int t = 0; t < 3; ++t) {
    adam.step({Mat::Constant(1, 1, grads[t])});
    EXPECT_NEAR(p(0, 0), expected[t], 1e-6) << "step " << t + 1;
  }
  EXPECT_NEAR(adam.first_moments()[0](0, 0), 0.118, 1e-7);
  EXPECT_NEAR(adam.second_moments()[0](0, 0), 0.00131193775, 1e-10);
  EXPECT_EQ(adam.steps(), 3);
}

TEST(AdamTest, DegenerateBetasGiveSignStepsExactly) {
  // beta1 = beta2 = 0: m = g, v = g^2, no bias correction (1 - 0^t = 1), so every step is
  // exactly lr * g / (|g| + eps) in float (sqrt(g*g) == |g| in IEEE arithmetic).
  AdamConfig cfg;
  cfg.learning_rate = 0.5;
  cfg.beta1 = 0;
  cfg.beta2 = 0;
  cfg.epsilon = 0.25;
  Mat p = Mat::Zero(3, 1);
  Adam adam(cfg, {&p});
  const float gs[3][3] = {{1, -2, 0.5f}, {4, 0, -1}, {-0.75f, 8, 2}};
  Mat expected = Mat::Zero(3, 1);
  for (const auto& step : gs) {
    Mat g(3, 1);
    for (int i = 0; i < 3; ++i) {
      g(i, 0) = step[i];
      expected(i, 0) -= 0.5f * step[i] / (std::fabs(step[i]) + 0.25f);
    }
    adam.step({g});
    for (int i = 0; i < 3; ++i) EXPECT_FLOAT_EQ(p(i, 0), expected(i, 0));
    if (adam.steps() == 1) {
      // By hand: -0.5 * 1/1.25 = -0.4, -0.5 * -2/2.25 = 4/9, -0.5 * 0.5/0.75 = -1/3.
      EXPECT_FLOAT_EQ(p(0, 0), -0.4f);
      EXPECT_FLOAT_EQ(p(1, 0), 4.0f / 9.0f);
      EXPECT_FLOAT_EQ(p(2, 0), -1.0f / 3.0f);
    }
  }
}

TEST(AdamTest, StateRoundTripsForCheckpoints) {
  // Continuing from saved moments and step count equals never stopping.
  AdamConfig cfg;
  Mat a = Mat::Constant(2, 2, 1.0f), b = a;
  Adam full(cfg, {&a});
  Adam first(cfg, {&b});
  const Mat g1 = Mat::Constant(2, 2, 0.3f), g2 = Mat::Constant(2, 2, -0.7f);
  full.step({g1});
  full.step({g2});
  first.step({g1});
  Adam second(cfg, {&b});
  second.first_moments() = first.first_moments();
  second.second_moments() = first.second_moments();
  second.set_steps(first.steps());
  second.step({g2});
  EXPECT_EQ(a, b);
}

TEST(AdamTest, ValidateNamesTheOption) {
  AdamConfig c;
  c.learning_rate = -1;
  EXPECT_THROW_MSG(validate(c), ConfigError, "train.learning_rate: must be positive; expected a value > 0, got -1");
  c = {};
  c.learning_rate = 0;
  EXPECT_THROW_MSG(validate(c), ConfigError, "train.learning_rate: must be positive; expected a value > 0, got 0");
  c = {};
  c.beta1 = 1;
  EXPECT_THROW_MSG(validate(c), ConfigError, "train.beta1: out of range; expected a value in [0, 1), got 1");
  c = {};
  c.beta2 = -0.5;
  EXPECT_THROW_MSG(validate(c), ConfigError, "train.beta2: out of range; expected a value in [0, 1), got -0.5");
  c = {};
  c.epsilon = 0;
  EXPECT_THROW_MSG(validate(c), ConfigError, "train.epsilon: must be positive; expected a value > 0, got 0");
  EXPECT_NO_THROW(validate(AdamConfig{}));
}

}  // namespace
}  // namespace lb::model
