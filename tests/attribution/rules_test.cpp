// The limits of DeepLIFT's nonlinear rules (docs/attribution.md, "Empty parts and vanishing
// differences"): RevealCancel's empty parts take the one-sided limit of their own ratio,
// m+ = ½[f'+(x0) + f'+(x)] and m- = ½[f'-(x0) + f'-(x)]; Rescale at |Δx| < near_zero takes the
// derivative at the reference f'(x0). Hand-derived cases for every sign pattern of (x0, x), a
// one-hot dense unit, two stacked RevealCancel layers where the limit reaches the contributions,
// and a double-precision oracle evaluating the paper's formula with the empty part set to ±1e-9.
// Every case here failed on the earlier rule (f'(x) for any empty part, f'(x) for Rescale).
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "attribution/engine.h"
#include "attribution/mlp_oracle.h"
#include "attribution/onehot.h"
#include "core/rng.h"
#include "model/layers.h"
#include "model/network.h"

namespace lb::attr {
namespace {

using model::Network;
using model::Shape;

constexpr float kTol = 1e-6f;
const std::vector<int> kTask0{0};

Mat col(std::vector<float> v) {
  Mat m(static_cast<Eigen::Index>(v.size()), 1);
  for (std::size_t i = 0; i < v.size(); ++i) m(static_cast<Eigen::Index>(i), 0) = v[i];
  return m;
}

// Dense layers with the given rows and biases, a ReLU between consecutive ones.
Network mlp(int in, const std::vector<std::vector<std::vector<float>>>& weights,
            const std::vector<std::vector<float>>& biases) {
  std::vector<model::LayerPtr> layers;
  int cur = in;
  for (std::size_t l = 0; l < weights.size(); ++l) {
    const int out = static_cast<int>(weights[l].size());
    auto d = std::make_unique<model::Dense>("fc" + std::to_string(l + 1), cur, out);
    for (int o = 0; o < out; ++o) {
      for (int i = 0; i < cur; ++i)
        d->weight()(o, i) = weights[l][static_cast<std::size_t>(o)][static_cast<std::size_t>(i)];
      if (l < biases.size()) d->bias()(o, 0) = biases[l][static_cast<std::size_t>(o)];
    }
    layers.push_back(std::move(d));
    if (l + 1 < weights.size()) layers.push_back(std::make_unique<model::ReLU>("relu" + std::to_string(l + 1)));
    cur = out;
  }
  return Network(Shape{in, 1, 1}, std::move(layers), model::OutputKind::Sigmoid);
}

// ---- One ReLU unit z = i1 + i2 (o = ReLU(z)), i2 = r2 = 0 so that Δi2 = 0 receives the half rule
// ½(m+ + m-) and shows both multipliers; i1 moves z from x0 = r1 to x = x1. With w = 1 > 0 the
// one changing input i1 takes m+ (Δ > 0) or m- (Δ < 0). Expected values by hand from the paper's
// definition; f'+(0) = 1, f'-(0) = 0.
struct SignCase {
  float x0, x;
  float m_plus, m_minus;  // RevealCancel
};

TEST(RulesTest, RevealCancelEmptyPartPerSignPattern) {
  const Network net = mlp(2, {{{1, 1}}, {{1}}}, {});
  const std::vector<SignCase> cases{
      // x0 < 0 < x: Δx+ = x - x0, m+ = f(x)/Δx; empty m- = ½(f'-(x0) + f'-(x)) = ½(0 + 1).
      {-1, 2, 2.0f / 3.0f, 0.5f},
      // x < 0 < x0: m- = (0 - 2)/(-3); empty m+ = ½(f'+(2) + f'+(-1)) = ½(1 + 0). (Old: f'(x) = 0.)
      {2, -1, 0.5f, 2.0f / 3.0f},
      {1, 3, 1, 1},  // both positive: a wire either way
      {3, 1, 1, 1},
      {-2, -1, 0, 0},  // both negative: nothing passes
      {-1, -2, 0, 0},
      // x0 = 0: m+ = 2/2; empty m- = ½(f'-(0) + f'-(2)) = ½.
      {0, 2, 1, 0.5f},
      // x0 = 0, x < 0: m- = 0/(-2); empty m+ = ½(f'+(0) + f'+(-2)) = ½.
      {0, -2, 0.5f, 0},
      // x = 0 from above: m- = (0 - 2)/(-2) = 1; empty m+ = ½(f'+(2) + f'+(0)) = 1. (Old: f'(0) = 0.)
      {2, 0, 1, 1},
      // x = 0 from below: m+ = 0/2; empty m- = ½(f'-(-2) + f'-(0)) = 0.
      {-2, 0, 0, 0},
      // x = x0: both parts empty, m+ = f'+(x0), m- = f'-(x0).
      {0, 0, 1, 0},
      {1, 1, 1, 1},
      {-1, -1, 0, 0},
  };
  for (const SignCase& k : cases) {
    SCOPED_TRACE(::testing::Message() << "x0=" << k.x0 << " x=" << k.x);
    const Mat x = col({k.x, 0}), r = col({k.x0, 0});
    const Mat m = deeplift_multipliers(net, x, Reference{r, true}, 1, kTask0,
                                       uniform_rules(net, Rule::RevealCancel), {});
    const float want_i1 = k.x > k.x0 ? k.m_plus : k.x < k.x0 ? k.m_minus : 0.5f * (k.m_plus + k.m_minus);
    EXPECT_NEAR(m(0, 0), want_i1, kTol);
    EXPECT_NEAR(m(1, 0), 0.5f * (k.m_plus + k.m_minus), kTol);
  }
}

// Rescale falls back to the derivative at the reference input when |Δx| < near_zero: the two
// sides of the kink, where f'(x0) and f'(x) differ.
TEST(RulesTest, RescaleVanishingDifferenceUsesTheReferenceDerivative) {
  const Network net = mlp(1, {{{1}}, {{1}}}, {});
  const auto rules = uniform_rules(net, Rule::Rescale);
  struct Case {
    float x0, x, want;
  };
  for (const Case& k : std::vector<Case>{{5e-8f, 0.0f, 1.0f},   // f'(x0 > 0) = 1 (old f'(0) = 0)
                                         {0.0f, 5e-8f, 0.0f},   // f'(0) = 0 (old f'(x > 0) = 1)
                                         {-5e-8f, 0.0f, 0.0f},
                                         {0.5f, 0.5f, 1.0f},
                                         {0.0f, 0.0f, 0.0f},
                                         {-2.0f, 1.0f, 1.0f / 3.0f}}) {  // far from zero: Δy/Δx
    SCOPED_TRACE(::testing::Message() << "x0=" << k.x0 << " x=" << k.x);
    const Mat m = deeplift_multipliers(net, col({k.x}), Reference{col({k.x0}), true}, 1, kTask0, rules, {});
    EXPECT_NEAR(m(0, 0), k.want, kTol);
  }
}

// A dense unit on one-hot input with all-positive weights and the zero reference: Δx- = 0 exactly.
// z = w·x - 1 with w = (1, 2, 3, 4), x = C (one-hot), so z0 = -1, z = 1, Δx+ = 2:
//   Δy+ = ½(f(1) - f(-1)) + ½(f(1) - f(-1)) = 1, m+ = ½; empty m- = ½(f'-(-1) + f'-(1)) = ½.
// The observed base takes A = w_C m+ = 1; the others (Δ = 0) ½ w_c (m+ + m-) = ½ w_c.
// With the zero reference the hypothetical contributions are the multipliers: (0.5, 1, 1.5, 2)
// (the old rule, m- = f'(1) = 1, gave (0.75, 1, 2.25, 3)).
TEST(RulesTest, OneHotDenseUnitAllPositiveWeights) {
  const Network net = mlp(4, {{{1, 2, 3, 4}}, {{1}}}, {{-1}});
  const Mat x = col({0, 1, 0, 0});
  const Reference r = zero_reference(4, 1);
  const Mat m = deeplift_multipliers(net, x, r, 1, kTask0, uniform_rules(net, Rule::RevealCancel), {});
  const Mat hyp = hypothetical_contributions(m, r, 1, 1, 1);
  const std::vector<float> want{0.5f, 1.0f, 1.5f, 2.0f};
  for (int c = 0; c < 4; ++c) {
    EXPECT_NEAR(m(c, 0), want[static_cast<std::size_t>(c)], kTol) << "channel " << c;
    EXPECT_NEAR(hyp(c, 0), want[static_cast<std::size_t>(c)], kTol) << "channel " << c;
  }
}

// Two stacked RevealCancel layers where an empty part reaches the contributions, not only the
// multipliers of unchanged inputs. x = (3, 3), r = 0:
//   layer 1: u = ReLU(i1 - i2 - 1): Δ+ = 3, Δ- = -3, z0 = z = -1, so Δu = 0 but
//            m+_u = [½(f(2) - f(-1)) + ½(f(-1) - f(-4))]/3 = 1/3, m-_u = [½(f(-4) - f(-1)) + ½(f(-1) - f(2))]/(-3) = 1/3;
//            v = ReLU(i1): Δ+ = 3, empty Δ-: m+_v = 1, m-_v = ½(f'-(0) + f'-(3)) = ½.
//   layer 2: o = ReLU(u + v): z0 = 0, z = 3, Δ+ = 3 (from v), empty Δ- (u adds 0):
//            m+ = 1, m- = ½(f'-(0) + f'-(3)) = ½  (old rule: f'(3) = 1).
//   back: u has Δu = 0: ½(m+ + m-) = ¾ (old 1); v has Δv > 0: m+ = 1.
//         i1 (Δ > 0): A = 1·(¾·⅓) + 1·(1·1) = 5/4 (old 4/3);  i2 (Δ > 0, w = -1): A = -1·(¾·⅓) = -1/4 (old -1/3).
//   contributions (15/4, -3/4), summing to Δo = 3 (old (4, -1)).
TEST(RulesTest, StackedRevealCancelLayersEmptyPartReachesContributions) {
  const Network net = mlp(2, {{{1, -1}, {1, 0}}, {{1, 1}}, {{1}}}, {{-1, 0}});
  const Mat x = col({3, 3});
  const Reference r{Mat::Zero(2, 1), true};
  Mat dl;
  const Mat m = deeplift_multipliers(net, x, r, 1, kTask0, uniform_rules(net, Rule::RevealCancel), {}, &dl);
  const Mat c = contributions(m, x, r, 1, 1, 1);
  EXPECT_NEAR(c(0, 0), 3.75f, kTol);
  EXPECT_NEAR(c(1, 0), -0.75f, kTol);
  EXPECT_NEAR(c(0, 0) + c(1, 0), dl(0, 0), kTol);
  EXPECT_FLOAT_EQ(dl(0, 0), 3.0f);
}

// ---- The double-precision oracle: the paper's definitions evaluated directly, with no limit
// rule at all. An empty RevealCancel part is set to +1e-9 (Δx+) or -1e-9 (Δx-) and its ratio
// Δy±/Δx± computed from the formula. Rescale's vanishing Δx is the ratio at x0 + 1e-9 away from
// the kink (where the derivative is two-sided); at the kink, f'(0) = 0 by convention. Linear rule
// with W+ / W- and the ½(A + B) case. One sample, one task.
Eigen::VectorXd oracle_mlp(const Network& net, const Eigen::VectorXd& x, const Eigen::VectorXd& r, int task, bool rc) {
  constexpr double eps = 1e-9;
  auto f = [](double z) { return z > 0 ? z : 0.0; };
  return testing::mlp_deeplift(net, x, r, task, [&](double z0, double z, double a0, double b0, double mo, double& mp,
                                                    double& mn) {
    if (!rc) {
      const double dx = z - z0;
      double s = 0;
      if (std::abs(dx) >= 1e-7) s = (f(z0 + dx) - f(z0)) / dx;
      else if (std::abs(z0) > 1e-6) s = (f(z0 + eps) - f(z0)) / eps;
      else s = z0 > 0 ? 1.0 : 0.0;
      mp = mn = mo * s;
      return;
    }
    // Parts below the engine's near_zero are empty: evaluated at ±eps.
    const double a = std::abs(a0) >= 1e-7 ? a0 : eps;
    const double bn = std::abs(b0) >= 1e-7 ? b0 : -eps;
    const double yp = 0.5 * (f(z0 + a) - f(z0)) + 0.5 * (f(z0 + bn + a) - f(z0 + bn));
    const double yn = 0.5 * (f(z0 + bn) - f(z0)) + 0.5 * (f(z0 + a + bn) - f(z0 + a));
    mp = mo * yp / a;
    mn = mo * yn / bn;
  });
}

// One-hot inputs with the zero reference (every unobserved base has Δx = 0 and a first layer
// with many single-signed units), and random dense inputs with some Δx = 0 entries, through two
// RevealCancel layers. The earlier rule was off by 1.1e-2 here; the limit rule (with the ReLU
// secant taken without cancellation, engine.cpp) agrees with the oracle to float rounding.
TEST(RulesTest, MultipliersMatchTheFormulaWithEmptyPartsAtPlusMinusEps) {
  model::ModelConfig cfg;
  cfg.layers = "dense(6) relu dense(5) relu dense(2)";
  Network net = Network::from_config(cfg, Shape{8, 1, 1});
  net.init(21);
  // Make the first layer's weights positive on half the units: all-positive rows, so that with
  // the zero reference their Δx- is exactly empty.
  auto& d1 = static_cast<model::Dense&>(net.layer(0));
  for (int o = 0; o < 3; ++o) d1.weight().row(o) = d1.weight().row(o).cwiseAbs();
  const int n = 300;
  Rng rng(4);
  Mat x = Mat::Zero(8, n), r = Mat::Zero(8, n);
  for (int i = 0; i < n; ++i) {
    if (i % 2 == 0) {  // two one-hot blocks of 4 against the zero reference
      x(static_cast<Eigen::Index>(rng.below(4)), i) = 1;
      x(static_cast<Eigen::Index>(4 + rng.below(4)), i) = 1;
    } else {
      for (int c = 0; c < 8; ++c) {
        x(c, i) = static_cast<float>(2 * rng.uniform() - 1);
        r(c, i) = c % 3 == 0 ? x(c, i) : static_cast<float>(2 * rng.uniform() - 1);
      }
    }
  }
  const std::vector<int> tasks{0, 1};
  for (const bool rc : {false, true}) {
    const Mat m = deeplift_multipliers(net, x, Reference{r, false}, n, tasks,
                                       uniform_rules(net, rc ? Rule::RevealCancel : Rule::Rescale), {});
    double err = 0;
    int worst = -1;
    for (int t = 0; t < 2; ++t)
      for (int i = 0; i < n; ++i) {
        const Eigen::VectorXd want =
            oracle_mlp(net, x.col(i).cast<double>(), r.col(i).cast<double>(), tasks[static_cast<std::size_t>(t)], rc);
        const double e = (want - m.col(t * n + i).cast<double>()).cwiseAbs().maxCoeff();
        if (e > err) err = e, worst = i;
      }
    EXPECT_LT(err, 1e-5) << (rc ? "RevealCancel" : "Rescale") << " worst sample " << worst;
  }
}

// Summation-to-delta stays exact under the limit rule on a conv-relu-conv-relu-gap-dense network
// on one-hot DNA with both the zero and the background reference (two RevealCancel layers).
TEST(RulesTest, SummationToDeltaHoldsWithEmptyParts) {
  model::ModelConfig cfg;
  cfg.layers = "conv1d(8,5) relu conv1d(6,3) relu gap dense(2)";
  Network net = Network::from_config(cfg, Shape{4, 1, 30});
  net.init(8);
  const int n = 20, L = 30;
  Rng rng(2);
  Mat x = Mat::Zero(4, n * L);
  for (Eigen::Index c = 0; c < x.cols(); ++c) x(static_cast<Eigen::Index>(rng.below(4)), c) = 1;
  const std::vector<int> tasks{0, 1};
  for (const Reference& r : {zero_reference(4, L), background_reference({0.3, 0.2, 0.2, 0.3}, L)}) {
    Mat dl;
    const Mat m = deeplift_multipliers(net, x, r, n, tasks, uniform_rules(net, Rule::RevealCancel), {}, &dl);
    const Mat e = summation_error(contributions(m, x, r, n, 2, L), dl, n, L);
    EXPECT_LT(e.cwiseAbs().maxCoeff(), 1e-4f * std::max(1.0f, dl.cwiseAbs().maxCoeff()));
  }
}

}  // namespace
}  // namespace lb::attr
