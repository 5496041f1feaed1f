// The attribution rules on the layers beyond the paper's network (model/layers/): every
// nonlinearity under Rescale, RevealCancel, Gradient and Guided backprop; batch norm, padded and
// dilated convolutions, average pools and crops under the Linear rule; max pools under
// deeplift's gradient rule. Checked by summation-to-delta on random networks, by the gradient
// against Network::backward, and by hand cases.
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "attribution/engine.h"
#include "core/rng.h"
#include "model/layers.h"
#include "model/network.h"
#include "testing/helpers.h"

namespace lb::attr {
namespace {

using model::Network;
using model::Shape;

Mat random_mat(Eigen::Index r, Eigen::Index c, std::uint64_t seed, double lo = -1, double hi = 1) {
  Rng rng(seed);
  Mat m(r, c);
  for (Eigen::Index j = 0; j < m.size(); ++j) m.data()[j] = static_cast<float>(lo + (hi - lo) * rng.uniform());
  return m;
}

Network config_net(const std::string& layers, Shape in, std::uint64_t seed) {
  model::ModelConfig cfg;
  cfg.layers = layers;
  Network net = Network::from_config(cfg, in);
  net.init(seed);
  // Batch norm starts as the identity (weight 1, running mean 0, variance 1): give it real
  // statistics so that its Linear rule is exercised.
  Rng rng(seed + 100);
  for (auto& p : net.state())
    if (p.name.find("running") != std::string::npos || p.name.starts_with("bn"))
      for (Eigen::Index j = 0; j < p.value->size(); ++j)
        p.value->data()[j] = static_cast<float>(0.5 + rng.uniform());
  return net;
}

// Networks whose every layer satisfies summation-to-delta (no max pool).
const std::vector<std::string>& sum_cases() {
  static const std::vector<std::string> cases{
      "c1=conv1d(8,5,padding=same) bn1=batchnorm relu c2=conv1d(8,3,dilation=2) sigmoid gap fc1=dense(6) tanh "
      "fc2=dense(3)",
      "c1=conv1d(8,4,2,padding=(1,2)) softplus avgpool(2) c2=conv1d(6,3,padding=same,dilation=3) elu(alpha=0.5) "
      "crop(left=1,right=2) flatten fc1=dense(5) gelu fc2=dense(3)",
      "c1=conv1d(6,3) exp avgpool(3,1) gap bn=batchnorm fc1=dense(4) relu fc2=dense(3)",
  };
  return cases;
}

constexpr double kDeltaRtol = 1e-4;

TEST(LayerRulesTest, SummationToDeltaWithEveryLinearLayerAndNonlinearity) {
  const Shape in{4, 1, 24};
  const int n = 19, S = 24;
  for (std::size_t ci = 0; ci < sum_cases().size(); ++ci) {
    const Network net = config_net(sum_cases()[ci], in, 7 + ci);
    const Mat x = random_mat(4, Eigen::Index{n} * S, 100 + ci, 0, 1);
    const std::vector<int> tasks{2, 0};
    for (bool shared : {true, false}) {
      const Reference r{random_mat(4, shared ? S : Eigen::Index{n} * S, 200 + ci, 0, 1), shared};
      for (const char* spec : {"rescale", "revealcancel", "genomics"}) {
        SCOPED_TRACE(::testing::Message() << sum_cases()[ci] << " shared=" << shared << " " << spec);
        Mat dl;
        const Mat m = deeplift_multipliers(net, x, r, n, tasks, parse_rules(net, spec), {}, &dl);
        const Mat err = summation_error(contributions(m, x, r, n, 2, S), dl, n, S);
        for (Eigen::Index t = 0; t < 2; ++t)
          for (int i = 0; i < n; ++i)
            EXPECT_LE(std::abs(err(t, i)), kDeltaRtol * std::max(1.0f, std::abs(dl(t, i)))) << t << " " << i;
      }
    }
  }
}

TEST(LayerRulesTest, GradientEqualsNetworkBackwardForEveryLayer) {
  const Shape in{4, 1, 24};
  const int n = 5;
  std::vector<std::string> cases = sum_cases();
  cases.push_back("c1=conv1d(6,5,padding=same) relu maxpool(3,2,padding=1) c2=conv1d(6,3) gelu gmp fc=dense(3)");
  for (std::size_t ci = 0; ci < cases.size(); ++ci) {
    SCOPED_TRACE(cases[ci]);
    const Network net = config_net(cases[ci], in, 3 + ci);
    const Mat x = random_mat(4, Eigen::Index{n} * 24, 50 + ci);
    const Mat g = gradient_multipliers(net, x, n, std::vector<int>{1});
    model::Trace t;
    net.forward(x, n, t);
    Mat dl = Mat::Zero(net.n_outputs(), n);
    dl.row(1).setOnes();
    auto grads = net.zero_grads();
    Mat dx;
    net.backward(t, dl, grads, &dx);
    EXPECT_LE((g - dx).cwiseAbs().maxCoeff(), 1e-5f * std::max(1.0f, dx.cwiseAbs().maxCoeff()));
  }
}

// One unit: o = w2 · f(w1 · x) with reference r: Rescale's multiplier of x is
// w2 w1 (f(w1 x) - f(w1 r)) / (w1 x - w1 r), and the gradient's is w2 w1 f'(w1 x).
TEST(LayerRulesTest, RescaleAndGradientOfOneUnitForEveryNonlinearity) {
  const auto fs = std::vector<std::pair<std::string, double (*)(double)>>{
      {"sigmoid", [](double z) { return 1 / (1 + std::exp(-z)); }},
      {"tanh", [](double z) { return std::tanh(z); }},
      {"softplus", [](double z) { return std::log1p(std::exp(z)); }},
      {"elu", [](double z) { return z > 0 ? z : std::expm1(z); }},
      {"gelu", [](double z) { return 0.5 * z * std::erfc(-z / std::sqrt(2.0)); }},
      {"exp", [](double z) { return std::exp(z); }},
  };
  for (const auto& [name, f] : fs) {
    SCOPED_TRACE(name);
    Network net = config_net("fc1=dense(1) " + name + " fc2=dense(1)", Shape{1, 1, 1}, 1);
    auto& d1 = static_cast<model::Dense&>(net.layer(0));
    auto& d2 = static_cast<model::Dense&>(net.layer(2));
    d1.weight()(0, 0) = 0.8f, d1.bias()(0, 0) = 0.1f, d2.weight()(0, 0) = -1.5f, d2.bias()(0, 0) = 0.0f;
    Mat x(1, 1), rv(1, 1);
    x << 1.3f;
    rv << -0.6f;
    const double zx = 0.8 * 1.3 + 0.1, zr = 0.8 * -0.6 + 0.1;
    const Mat m = deeplift_multipliers(net, x, Reference{rv, true}, 1, std::vector<int>{0}, uniform_rules(net, Rule::Rescale), {});
    EXPECT_NEAR(m(0, 0), -1.5 * 0.8 * (f(zx) - f(zr)) / (zx - zr), 1e-5);
    // RevealCancel on a single input: Δx+ = Δx (positive), Δx- = 0, so m+ = Δy/Δx as well.
    const Mat rc = deeplift_multipliers(net, x, Reference{rv, true}, 1, std::vector<int>{0},
                                        uniform_rules(net, Rule::RevealCancel), {});
    EXPECT_NEAR(rc(0, 0), m(0, 0), 1e-5);
    const double h = 1e-5, fprime = (f(zx + h) - f(zx - h)) / (2 * h);
    EXPECT_NEAR(gradient_multipliers(net, x, 1, std::vector<int>{0})(0, 0), -1.5 * 0.8 * fprime, 1e-4);
  }
}

// deeplift's max-pool rule: the multipliers of a max pool's input are its gradient at the actual
// input, so each output's multiplier lands on the argmax of its window in x (not in r).
TEST(LayerRulesTest, MaxPoolRoutesMultipliersThroughTheArgmaxOfTheInput) {
  Network net = config_net("maxpool(2) flatten fc=dense(1)", Shape{1, 1, 4}, 1);
  auto& fc = static_cast<model::Dense&>(net.layer(2));
  fc.weight() << 2.0f, -3.0f;
  Mat x(1, 4), rv(1, 4);
  x << 1, 5, 7, 2;   // argmax: positions 1 and 2
  rv << 9, 0, 0, 9;  // the reference's argmax would be 0 and 3
  const Mat m = deeplift_multipliers(net, x, Reference{rv, true}, 1, std::vector<int>{0},
                                     uniform_rules(net, Rule::Rescale), {});
  Mat want(1, 4);
  want << 0, 2, -3, 0;
  EXPECT_EQ(m, want);
}

TEST(LayerRulesTest, GuidedBackpropClampsNegativeMultipliersForEveryNonlinearity) {
  // o = -1 · f(x): the multiplier reaching f is -1, so guided backprop gives 0 whatever f is.
  for (const char* f : {"relu", "sigmoid", "tanh", "gelu"}) {
    Network net = config_net(std::string("fc1=dense(1) ") + f + " fc2=dense(1)", Shape{1, 1, 1}, 1);
    static_cast<model::Dense&>(net.layer(0)).weight()(0, 0) = 1.0f;
    static_cast<model::Dense&>(net.layer(2)).weight()(0, 0) = -1.0f;
    Mat x(1, 1);
    x << 0.7f;
    EXPECT_EQ(gradient_multipliers(net, x, 1, std::vector<int>{0}, true)(0, 0), 0.0f) << f;
    EXPECT_LT(gradient_multipliers(net, x, 1, std::vector<int>{0}, false)(0, 0), 0.0f) << f;
  }
}

// A batch norm at inference is a per-channel affine map, so conv -> batchnorm is the convolution
// W' = a W, b' = a b + (beta - a mu). deeplift carries the positive and negative parts through
// the batch norm (swapped where a < 0), which makes every DeepLIFT rule on conv -> bn -> relu equal
// to the same rule on the folded conv -> relu: RevealCancel too (splitting at the batch norm
// instead, one part would always be empty and RevealCancel would reduce to Rescale).
TEST(LayerRulesTest, DeepliftThroughBatchNormEqualsTheFoldedConvolution) {
  const Shape in{4, 1, 20};
  Network with_bn = config_net("c1=conv1d(6,5) bn=batchnorm relu c2=conv1d(5,3) bn2=batchnorm relu gap fc=dense(2)", in, 5);
  // Negative scales on some channels, so the swap is exercised.
  for (auto& p : with_bn.state())
    if (p.name == "bn.weight" || p.name == "bn2.weight")
      for (Eigen::Index c = 0; c < p.value->size(); c += 2) p.value->data()[c] *= -1.0f;
  Network folded = config_net("c1=conv1d(6,5) relu c2=conv1d(5,3) relu gap fc=dense(2)", in, 5);
  const auto bn_state = with_bn.state();
  const auto find = [&](const std::string& name) -> const Mat& {
    for (const auto& p : bn_state)
      if (p.name == name) return *p.value;
    throw std::runtime_error(name);
  };
  for (const auto& [conv, bn] : {std::pair{"c1", "bn"}, std::pair{"c2", "bn2"}}) {
    const Mat& w = find(bn + std::string(".weight"));
    const Mat& beta = find(bn + std::string(".bias"));
    const Mat& mu = find(bn + std::string(".running_mean"));
    const Mat& var = find(bn + std::string(".running_var"));
    for (auto& p : folded.state()) {
      const Mat& src = find(p.name);
      if (p.name == conv + std::string(".weight")) {
        for (Eigen::Index f = 0; f < src.rows(); ++f)
          p.value->row(f) = src.row(f) * static_cast<float>(w(f, 0) / std::sqrt(double{var(f, 0)} + 1e-5));
      } else if (p.name == conv + std::string(".bias")) {
        for (Eigen::Index f = 0; f < src.rows(); ++f) {
          const double a = w(f, 0) / std::sqrt(double{var(f, 0)} + 1e-5);
          (*p.value)(f, 0) = static_cast<float>(a * src(f, 0) + beta(f, 0) - a * mu(f, 0));
        }
      } else if (p.name.starts_with("fc")) {
        *p.value = src;
      }
    }
  }
  const int n = 7;
  const Mat x = random_mat(4, Eigen::Index{n} * 20, 31, 0, 1);
  const Reference r{random_mat(4, 20, 32, 0, 1), true};
  const std::vector<int> tasks{0, 1};
  for (const char* spec : {"rescale", "revealcancel"}) {
    const Mat a = deeplift_multipliers(with_bn, x, r, n, tasks, parse_rules(with_bn, spec), {});
    const Mat b = deeplift_multipliers(folded, x, r, n, tasks, parse_rules(folded, spec), {});
    EXPECT_LE((a - b).cwiseAbs().maxCoeff(), 1e-4f * std::max(1.0f, b.cwiseAbs().maxCoeff())) << spec;
  }
  // And RevealCancel is not Rescale there.
  const Mat rc = deeplift_multipliers(with_bn, x, r, n, tasks, parse_rules(with_bn, "revealcancel"), {});
  const Mat rs = deeplift_multipliers(with_bn, x, r, n, tasks, parse_rules(with_bn, "rescale"), {});
  EXPECT_GT((rc - rs).cwiseAbs().maxCoeff(), 1e-3f);
}

TEST(LayerRulesTest, RuleGroupsLookThroughBatchNorm) {
  const Network net = config_net("c1=conv1d(4,3) bn1=batchnorm relu c2=conv1d(4,3) bn2=batchnorm sigmoid gap "
                                 "fc1=dense(3) relu fc2=dense(2)",
                                 Shape{4, 1, 20}, 1);
  const auto rules = parse_rules(net, "[first_conv]=rc,[later_conv]=rs,[dense]=rc");
  EXPECT_EQ(rules.by_layer[2], Rule::RevealCancel);  // relu after c1 -> bn1
  EXPECT_EQ(rules.by_layer[5], Rule::Rescale);       // sigmoid after c2 -> bn2
  EXPECT_EQ(rules.by_layer[8], Rule::RevealCancel);  // relu after fc1
  // A convolution names the nonlinearity above its batch norm.
  EXPECT_EQ(parse_rules(net, "c2=rc").by_layer[5], Rule::RevealCancel);
  EXPECT_EQ(parse_rules(net, "genomics").by_layer[2], Rule::Rescale);
  EXPECT_EQ(parse_rules(net, "genomics").by_layer[8], Rule::RevealCancel);
}

}  // namespace
}  // namespace lb::attr
