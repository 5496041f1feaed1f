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
#include "testing/networks.h"
#include "testing/random_inputs.h"

namespace lb::attr {
namespace {

using lb::testing::random_mat;

using model::Network;
using model::Shape;

Network config_net(const std::string& layers, Shape in, std::uint64_t seed) {
  Network net = lb::testing::config_net(layers, in, seed);
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

// Summation-to-delta of every DeepLIFT preset, shared and per-sample references, on n random
// inputs of length 24 (seeds from `seed`), for each network of `cases`.
void expect_summation_to_delta(const std::vector<std::string>& cases, int n, std::uint64_t seed) {
  const Shape in{4, 1, 24};
  const int S = 24;
  for (std::size_t ci = 0; ci < cases.size(); ++ci) {
    const Network net = config_net(cases[ci], in, seed + ci);
    const Mat x = random_mat(4, Eigen::Index{n} * S, seed + 100 + ci, 0, 1);
    const std::vector<int> tasks{2, 0};
    for (bool shared : {true, false}) {
      const Reference r{random_mat(4, shared ? S : Eigen::Index{n} * S, seed + 200 + ci, 0, 1), shared};
      for (const char* spec : {"rescale", "revealcancel", "genomics"}) {
        SCOPED_TRACE(::testing::Message() << cases[ci] << " shared=" << shared << " " << spec);
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

TEST(LayerRulesTest, SummationToDeltaWithEveryLinearLayerAndNonlinearity) { expect_summation_to_delta(sum_cases(), 19, 7); }

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

// ---- Graphs: residual Add, Concat of heads (role Merge) -----------------------------------------

const Mat& state_of(Network& net, const std::string& name) {
  for (const auto& p : net.state())
    if (p.name == name) return *p.value;
  throw std::runtime_error(name);
}
Mat& state_of_mut(Network& net, const std::string& name) { return const_cast<Mat&>(state_of(net, name)); }

// Graphs whose every layer satisfies summation-to-delta: a BPNet-like trunk (dilated residual
// blocks, a cropped profile head and a count head concatenated), and a ResNet-style block where
// a nonlinearity reads an Add of a nonlinearity's output and a convolution's (RevealCancel then
// sums the identity split of one with the Linear split of the other).
const std::vector<std::string>& graph_cases() {
  static const std::vector<std::string> cases{
      "stem=conv1d(6,5,padding=same) r0=relu c1=conv1d(6,3,padding=same,dilation=2) r1=relu a1=add(r0,r1) "
      "c2=conv1d(6,3,padding=same,dilation=4) r2=relu a2=add(a1,r2) prof=conv1d(2,3,padding=same) "
      "crop(left=8,right=8) pf=flatten g=gap@a2 counts=dense(2) heads=concat(pf,counts)",
      "c0=conv1d(6,3,padding=same) r0=relu c1=conv1d(6,3,padding=same) a=add(r0,c1) r1=relu c2=conv1d(4,3) "
      "bn=batchnorm r2=relu cat=concat(r2,c2) gap fc1=dense(5) sigmoid fc2=dense(3)",
  };
  return cases;
}

TEST(LayerRulesTest, SummationToDeltaOnGraphs) {
  for (const auto& layers : graph_cases()) ASSERT_FALSE(config_net(layers, Shape{4, 1, 24}, 1).is_chain()) << layers;
  expect_summation_to_delta(graph_cases(), 11, 40);
}

TEST(LayerRulesTest, GradientEqualsNetworkBackwardOnGraphs) {
  const Shape in{4, 1, 24};
  const int n = 5;
  for (std::size_t ci = 0; ci < graph_cases().size(); ++ci) {
    SCOPED_TRACE(graph_cases()[ci]);
    const Network net = config_net(graph_cases()[ci], in, 3 + ci);
    const Mat x = random_mat(4, Eigen::Index{n} * 24, 50 + ci);
    for (const int task : {0, 1}) {
      const Mat g = gradient_multipliers(net, x, n, std::vector<int>{task});
      model::Trace t;
      net.forward(x, n, t);
      Mat dl = Mat::Zero(net.n_outputs(), n);
      dl.row(task).setOnes();
      auto grads = net.zero_grads();
      Mat dx;
      net.backward(t, dl, grads, &dx);
      EXPECT_LE((g - dx).cwiseAbs().maxCoeff(), 1e-5f * std::max(1.0f, dx.cwiseAbs().maxCoeff()));
    }
  }
}

// Two convolutions of the input added before a ReLU are the convolution with the summed weights:
// Rescale, the gradient and guided backprop see only the sum, so they agree with the folded
// chain. (RevealCancel does not: each convolution forms its own Δ+ and Δ-, and the Add sums them,
// which is a finer split than the folded convolution's; summation-to-delta covers it above.)
TEST(LayerRulesTest, AddOfTwoConvolutionsEqualsTheSummedConvolution) {
  const Shape in{4, 1, 20};
  Network graph = config_net("ca=conv1d(5,3) cb=conv1d(5,3)@input s=add(ca,cb) relu gap fc=dense(2)", in, 8);
  Network chain = config_net("c=conv1d(5,3) relu gap fc=dense(2)", in, 9);
  state_of_mut(chain, "c.weight") = state_of(graph, "ca.weight") + state_of(graph, "cb.weight");
  state_of_mut(chain, "c.bias") = state_of(graph, "ca.bias") + state_of(graph, "cb.bias");
  state_of_mut(chain, "fc.weight") = state_of(graph, "fc.weight");
  state_of_mut(chain, "fc.bias") = state_of(graph, "fc.bias");
  const int n = 9;
  const Mat x = random_mat(4, Eigen::Index{n} * 20, 61, 0, 1);
  const Reference r{random_mat(4, 20, 62, 0, 1), true};
  const std::vector<int> tasks{1, 0};
  const auto close = [](const Mat& a, const Mat& b) {
    return (a - b).cwiseAbs().maxCoeff() <= 1e-5f * std::max(1.0f, b.cwiseAbs().maxCoeff());
  };
  EXPECT_TRUE(close(deeplift_multipliers(graph, x, r, n, tasks, parse_rules(graph, "rescale"), {}),
                    deeplift_multipliers(chain, x, r, n, tasks, parse_rules(chain, "rescale"), {})));
  EXPECT_TRUE(close(gradient_multipliers(graph, x, n, tasks), gradient_multipliers(chain, x, n, tasks)));
  EXPECT_TRUE(close(gradient_multipliers(graph, x, n, tasks, true), gradient_multipliers(chain, x, n, tasks, true)));
}

// Heads concatenated are one dense layer with the heads' weights stacked: every rule agrees,
// RevealCancel included (the relu below both heads gets the sum of their multipliers, which is
// the stacked layer's transpose).
TEST(LayerRulesTest, ConcatOfHeadsEqualsTheStackedDenseLayer) {
  const Shape in{4, 1, 20};
  Network graph = config_net("c=conv1d(5,3) relu g=gap h=dense(4) rr=relu ha=dense(2) hb=dense(1)@rr "
                             "out=concat(ha,hb)",
                             in, 12);
  Network chain = config_net("c=conv1d(5,3) relu g=gap h=dense(4) rr=relu o=dense(3)", in, 13);
  for (const char* p : {"c.weight", "c.bias", "h.weight", "h.bias"}) state_of_mut(chain, p) = state_of(graph, p);
  Mat& ow = state_of_mut(chain, "o.weight");
  Mat& ob = state_of_mut(chain, "o.bias");
  ow << state_of(graph, "ha.weight"), state_of(graph, "hb.weight");
  ob << state_of(graph, "ha.bias"), state_of(graph, "hb.bias");
  const int n = 8;
  const Mat x = random_mat(4, Eigen::Index{n} * 20, 71, 0, 1);
  const Reference r{random_mat(4, Eigen::Index{n} * 20, 72, 0, 1), false};
  // {2}: only head hb is attributed, so head ha's branch receives zeros and is skipped.
  for (const std::vector<int>& tasks : {std::vector<int>{2, 0, 1}, std::vector<int>{2}})
    for (const char* spec : {"rescale", "revealcancel", "genomics"}) {
      const Mat a = deeplift_multipliers(graph, x, r, n, tasks, parse_rules(graph, spec), {});
      const Mat b = deeplift_multipliers(chain, x, r, n, tasks, parse_rules(chain, spec), {});
      EXPECT_LE((a - b).cwiseAbs().maxCoeff(), 1e-5f * std::max(1.0f, b.cwiseAbs().maxCoeff())) << spec;
    }
  // The genomics preset still finds the dense layer below rr through the graph.
  EXPECT_EQ(parse_rules(graph, "genomics").by_layer[4], Rule::RevealCancel);
  EXPECT_EQ(parse_rules(graph, "h=rc").by_layer[4], Rule::RevealCancel);
}

// RevealCancel through an Add, by hand: o = relu(s), s = relu(u) + v, u = x1, v = 2·x2 - x3, at
// x = (1, 1, 3) against r = 0. The Add sums its inputs' parts: relu(u)'s by the identity split
// (Δ = 1: Δ+ = 1, Δ- = 0) and v's by the Linear rule (Δv+ = 2, Δv- = -3), so Δs+ = 3, Δs- = -3,
// Δs = 0. At s: Δo+ = ½[f(3) - f(0)] + ½[f(0) - f(-3)] = 1.5 and Δo- = -1.5, so m+ = m- = 0.5,
// which the Add hands to both inputs. v (Linear, Δx > 0 everywhere): x2 takes w+ m+ = 1, x3 takes
// w- m- = -0.5. relu(u): the pair is collapsed at its output (Δ > 0: 0.5), then RevealCancel with
// Δu+ = 1, Δu- = 0 gives m+ = 1 and the empty part's limit m- = ½[f'-(0) + f'-(1)] = 0.5; u
// (Linear) hands x1 w+ m+ = 0.5. Contributions 0.5 + 1 - 1.5 = 0 = Δo.
TEST(LayerRulesTest, RevealCancelThroughAnAddByHand) {
  Network net = config_net("u=dense(1)@input ur=relu v=dense(1)@input s=add(ur,v) relu fc=dense(1)", Shape{3, 1, 1}, 1);
  state_of_mut(net, "u.weight") << 1, 0, 0;
  state_of_mut(net, "u.bias") << 0;
  state_of_mut(net, "v.weight") << 0, 2, -1;
  state_of_mut(net, "v.bias") << 0;
  state_of_mut(net, "fc.weight") << 1;
  state_of_mut(net, "fc.bias") << 0;
  Mat x(3, 1), r = Mat::Zero(3, 1);
  x << 1, 1, 3;
  Mat dl;
  const Mat m = deeplift_multipliers(net, x, Reference{r, true}, 1, std::vector<int>{0},
                                     uniform_rules(net, Rule::RevealCancel), {}, &dl);
  Mat want(3, 1);
  want << 0.5, 1, -0.5;
  EXPECT_EQ(m, want);
  EXPECT_EQ(dl(0, 0), 0.0f);
  // A zero output weight hands the add zeros on both inputs: no branch carries anything, and
  // the input's multipliers are zeros (not an error).
  state_of_mut(net, "fc.weight") << 0;
  EXPECT_EQ(gradient_multipliers(net, x, 1, std::vector<int>{0}), Mat::Zero(3, 1));
  state_of_mut(net, "fc.weight") << 1;
  // Rescale at Δ = 0 takes the derivative at the reference, relu'(0) = 0: nothing passes.
  EXPECT_EQ(deeplift_multipliers(net, x, Reference{r, true}, 1, std::vector<int>{0}, uniform_rules(net, Rule::Rescale),
                                 {}),
            Mat::Zero(3, 1));
}

}  // namespace
}  // namespace lb::attr
