// Tests of the attribution engine (attribution/engine.h): hand-derived golden cases of every
// rule (paper appendix C's min network, a cancelling dense unit, a conv1d split), the
// attribution properties of docs/developers.md (adding an attribution method) (summation-to-delta, identities, linear models,
// x = r), agreement with Network::backward, quadrature nodes, determinism and rule-spec errors.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "attribution/engine.h"
#include "attribution/mlp_oracle.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "model/layers.h"
#include "model/network.h"
#include "testing/helpers.h"
#include "testing/networks.h"
#include "testing/random_inputs.h"

namespace lb::attr {
namespace {

using lb::testing::config_net;
using lb::testing::random_mat;

using model::Network;
using model::Shape;

// Summation-to-delta tolerance, relative to max(1, |Δlogit|): float32 products and sums of a
// few hundred terms. Measured on the random networks of SummationToDeltaOnRandomNetworks (every
// preset, both reference kinds): the largest error is 4.3e-8 relative, a few float32 ulps;
// docs/developers.md's (Tests) 1e-4 is kept as the product's contract (it must also hold on trained
// networks with larger activations), far above the measured error.
constexpr double kDeltaRtol = 1e-4;
// Hand-derived golden values in float32: a handful of operations on values of order 1.
constexpr float kGoldenTol = 1e-6f;

Network dense_net(int in, std::vector<std::vector<std::vector<float>>> weights) {
  // weights[l] = rows of Dense layer l; a ReLU between consecutive dense layers.
  std::vector<model::LayerPtr> layers;
  int cur = in;
  for (std::size_t l = 0; l < weights.size(); ++l) {
    const int out = static_cast<int>(weights[l].size());
    auto d = std::make_unique<model::Dense>("fc" + std::to_string(l + 1), cur, out);
    for (int o = 0; o < out; ++o)
      for (int i = 0; i < cur; ++i) d->weight()(o, i) = weights[l][static_cast<std::size_t>(o)][static_cast<std::size_t>(i)];
    layers.push_back(std::move(d));
    if (l + 1 < weights.size()) layers.push_back(std::make_unique<model::ReLU>("relu" + std::to_string(l + 1)));
    cur = out;
  }
  return Network(Shape{in, 1, 1}, std::move(layers), model::OutputKind::Sigmoid);
}

Mat col(std::vector<float> v) {
  Mat m(static_cast<Eigen::Index>(v.size()), 1);
  for (std::size_t i = 0; i < v.size(); ++i) m(static_cast<Eigen::Index>(i), 0) = v[i];
  return m;
}


const std::vector<int> kTask0{0};

// Contributions of the single task 0 for a single sample.
Mat contribs(const Mat& m, const Mat& x, const Reference& r) {
  return contributions(m, x, r, 1, 1, static_cast<int>(x.cols()));
}

// ---- Appendix C: o = min(i1, i2) = i1 - ReLU(i1 - i2), written for a ReLU that acts on every
// unit as h = ReLU(Dense(2->3) x) with rows [1,0], [-1,0], [1,-1] and o = h1 - h2 - h3
// (i1 = ReLU(i1) - ReLU(-i1)); reference 0 so every reference activation is 0.
Network min_net() { return dense_net(2, {{{1, 0}, {-1, 0}, {1, -1}}, {{1, -1, -1}}}); }

TEST(EngineTest, AppendixCGradientRescaleAndIgPutEverythingOnOneInput) {
  const Network net = min_net();
  const Reference r{Mat::Zero(2, 1), true};
  // (i1, i2) with i1 != 0 (at i1 = 0 the ReLU(i1) - ReLU(-i1) encoding has a kink): ties included.
  for (auto [i1, i2] : std::vector<std::pair<float, float>>{{3, 1}, {1, 3}, {2, 2}, {-1, 2}, {-2, -5}, {-3, -3}}) {
    SCOPED_TRACE(::testing::Message() << "i1=" << i1 << " i2=" << i2);
    const Mat x = col({i1, i2});
    // Gradient: do/di1 = 1{i1>0} + 1{i1<0} - 1{i1>i2} = 1 - 1{i1>i2}, do/di2 = 1{i1>i2} (at a tie
    // h3 = 0 and ReLU'(0) = 0, so the gradient is (1, 0)).
    const float g1 = i1 > i2 ? 0.0f : 1.0f, g2 = i1 > i2 ? 1.0f : 0.0f;
    const Mat g = gradient_multipliers(net, x, 1, kTask0);
    EXPECT_EQ(g(0, 0), g1);
    EXPECT_EQ(g(1, 0), g2);
    // Rescale with reference 0: every ReLU scale is ReLU(h)/h = 1{h > 0} (derivative 0 at h = 0),
    // so the multipliers are the gradient and the contributions gradient x input:
    // appendix C §3.3: i1 > i2 gives (0, i2), i1 < i2 gives (i1, 0); a tie gives (i1, 0).
    const Mat m = deeplift_multipliers(net, x, r, 1, kTask0, uniform_rules(net, Rule::Rescale), {});
    const Mat c = contribs(m, x, r);
    EXPECT_EQ(c(0, 0), i1 * g1);
    EXPECT_EQ(c(1, 0), i2 * g2);
    EXPECT_FLOAT_EQ(c(0, 0) + c(1, 0), std::min(i1, i2));
    // IG from 0: every node α x (α > 0) has the sign pattern of x, so IG = gradient x input.
    Mat dl;
    const Mat ig = integrated_gradients(net, x, r, 1, kTask0, 10, IgRule::Midpoint, &dl);
    EXPECT_FLOAT_EQ(ig(0, 0), g1);
    EXPECT_FLOAT_EQ(ig(1, 0), g2);
    EXPECT_FLOAT_EQ(dl(0, 0), std::min(i1, i2));
  }
}

TEST(EngineTest, AppendixCRevealCancelSharesTheMinimum) {
  const Network net = min_net();
  const Reference r{Mat::Zero(2, 1), true};
  // For i1, i2 > 0 (the appendix's setting: Δh1+ = i1, Δh1- = -i2 for its h1 = i1 - i2), unit by unit:
  //  h1 = i1 > 0: Δx+ = i1, Δx- = 0: Δy+ = i1, Δy- = 0; m+ = 1, m- = ReLU'(i1) = 1: a wire.
  //  h2 = -i1 < 0: Δy± = 0: m± = 0.
  //  h3 = i1 - i2 (m_out = -1): Δx+ = i1, Δx- = -i2,
  //     Δy+ = ½[f(i1) - f(0)] + ½[f(i1 - i2) - f(-i2)] = ½(i1 + max(0, i1 - i2)),
  //     Δy- = ½[f(-i2) - f(0)] + ½[f(i1 - i2) - f(i1)] = ½(max(0, i1 - i2) - i1),
  //     m+ = -Δy+/i1, m- = -Δy-/(-i2).
  //  Linear rule at the input (both Δ > 0, so each takes A = W+ᵀm+ + W-ᵀm-):
  //     m_i1 = 1·1 (h1) + 1·m+ (h3),  m_i2 = (-1)·m- (h3, W- = -1)
  //  C_i1 = i1 - ½(i1 + max(0, i1 - i2)) = ½(i1 - max(0, i1 - i2)),  C_i2 = -Δy- = the same:
  //  appendix C §3.4's 0.5 (i1 - max(0, i1 - i2)) on both inputs = ½ min(i1, i2).
  for (auto [i1, i2] : std::vector<std::pair<float, float>>{{3, 1}, {1, 3}, {2, 2}, {0.5f, 4}, {5, 0.25f}}) {
    SCOPED_TRACE(::testing::Message() << "i1=" << i1 << " i2=" << i2);
    const Mat x = col({i1, i2});
    Mat dl;
    const Mat m = deeplift_multipliers(net, x, r, 1, kTask0, uniform_rules(net, Rule::RevealCancel), {}, &dl);
    const Mat c = contribs(m, x, r);
    const float half = 0.5f * (i1 - std::max(0.0f, i1 - i2));
    EXPECT_NEAR(c(0, 0), half, kGoldenTol);
    EXPECT_NEAR(c(1, 0), half, kGoldenTol);
    EXPECT_FLOAT_EQ(dl(0, 0), std::min(i1, i2));
  }
  // Mixed signs, derived the same way: i1 = 3, i2 = -1 gives h3 terms +3 and +1, both positive
  // (Δx- = 0), so RevealCancel acts as Rescale there: m+ = m- = -1; m_i1 = 1 - 1 = 0 and i2
  // (Δ < 0) takes B = W-ᵀm+ = (-1)(-1) = 1: contributions (0, -1) = (0, min).
  const Mat x = col({3, -1});
  const Mat c = contribs(deeplift_multipliers(net, x, r, 1, kTask0, uniform_rules(net, Rule::RevealCancel), {}), x, r);
  EXPECT_NEAR(c(0, 0), 0.0f, kGoldenTol);
  EXPECT_NEAR(c(1, 0), -1.0f, kGoldenTol);
}

TEST(EngineTest, AppendixCGuidedBackprop) {
  // do/dh = (1, -1, -1): guided passes only positive multipliers through active units, so only
  // h1 = ReLU(i1) carries anything: multipliers (1{i1 > 0}, 0) — all importance on i1 (appendix
  // C §3.2; for i1 < 0 this network's ReLU(i1) - ReLU(-i1) encoding of the wire i1 blocks it too).
  const Network net = min_net();
  for (auto [i1, i2] : std::vector<std::pair<float, float>>{{3, 1}, {1, 3}, {2, 2}, {-1, 2}}) {
    const Mat m = gradient_multipliers(net, col({i1, i2}), 1, kTask0, true);
    EXPECT_EQ(m(0, 0), i1 > 0 ? 1.0f : 0.0f);
    EXPECT_EQ(m(1, 0), 0.0f);
  }
}

// ---- A dense unit whose positive and negative terms cancel.
TEST(EngineTest, RevealCancelDiffersFromRescaleOnACancellingUnit) {
  // y = ReLU(x1 - x2 + 4 x3), o = y; x = (3, 2, 0), r = 0. Terms +3 and -2 (x3 has Δ = 0):
  //  Rescale: Δx = 1, Δy = 1, scale 1: m = (1, -1, 4), contributions (3, -2, 0).
  //  RevealCancel: Δx+ = 3, Δx- = -2; Δy+ = ½(3 - 0) + ½(1 - 0) = 2, Δy- = ½(0) + ½(1 - 3) = -1;
  //    m+ = 2/3, m- = ½. x1 (Δ > 0, w = 1): A = m+ = 2/3 -> 2; x2 (Δ > 0, w = -1): A = W-ᵀm- = -½
  //    -> -1; x3 (Δ = 0, w = 4): the half rule ½(A + B) = 4·½(m+ + m-) = 7/3, contribution 0.
  //  Both sum to Δo = 1; RevealCancel shrinks the cancelling pair (3, -2) to (2, -1).
  const Network net = dense_net(3, {{{1, -1, 4}}, {{1}}});
  const Mat x = col({3, 2, 0});
  const Reference r{Mat::Zero(3, 1), true};
  const Mat rs = deeplift_multipliers(net, x, r, 1, kTask0, uniform_rules(net, Rule::Rescale), {});
  const Mat rc = deeplift_multipliers(net, x, r, 1, kTask0, uniform_rules(net, Rule::RevealCancel), {});
  EXPECT_NEAR(rs(0, 0), 1.0f, kGoldenTol);
  EXPECT_NEAR(rs(1, 0), -1.0f, kGoldenTol);
  EXPECT_NEAR(rs(2, 0), 4.0f, kGoldenTol);
  EXPECT_NEAR(rc(0, 0), 2.0f / 3.0f, kGoldenTol);
  EXPECT_NEAR(rc(1, 0), -0.5f, kGoldenTol);
  EXPECT_NEAR(rc(2, 0), 7.0f / 3.0f, kGoldenTol);
  const Mat c = contribs(rc, x, r);
  EXPECT_NEAR(c(0, 0), 2.0f, kGoldenTol);
  EXPECT_NEAR(c(1, 0), -1.0f, kGoldenTol);
  EXPECT_EQ(c(2, 0), 0.0f);
}

// ---- Conv1d: 1 channel, 1 filter, w = [1, -2] (taps k = 0, 1), no bias, then ReLU, global
// average pool, Dense(1->1, w = 1); x = [2, -1, 3, 1], r = 0.
Network conv_split_net(int stride) {
  std::vector<model::LayerPtr> layers;
  auto conv = std::make_unique<model::Conv1d>("conv1", 1, 1, 2, stride);
  conv->weight()(0, 0) = 1.0f;
  conv->weight()(0, 1) = -2.0f;
  layers.push_back(std::move(conv));
  layers.push_back(std::make_unique<model::ReLU>("relu1"));
  layers.push_back(std::make_unique<model::GlobalAvgPool>("gap1"));
  auto fc = std::make_unique<model::Dense>("fc1", 1, 1);
  fc->weight()(0, 0) = 1.0f;
  layers.push_back(std::move(fc));
  return Network(Shape{1, 1, 4}, std::move(layers), model::OutputKind::Sigmoid);
}

TEST(EngineTest, Conv1dPositiveNegativeSplitStrideOne) {
  // Outputs (windows (x_l, x_l+1)): l0 = 2 + 2 = 4 (terms +2, +2), l1 = -1 - 6 = -7 (-1, -6),
  // l2 = 3 - 2 = 1 (+3, -2). GAP: m_out = 1/3 at each ReLU output.
  // RevealCancel scales: l0 Δ+ = 4, Δ- = 0: s+ = 1, s- = f'(4) = 1; l1: Δy± = 0, s± = 0;
  //   l2 Δ+ = 3, Δ- = -2: Δy+ = ½(3 + 1) = 2, Δy- = ½(0 + 1 - 3) = -1: s+ = 2/3, s- = ½.
  //   m+ = (1/3, 0, 2/9), m- = (1/3, 0, 1/6). Input q receives from output q - k through w_k:
  //   q0 (Δ > 0): A = 1·m+_0 = 1/3;  q1 (Δ < 0): B = W-ᵀm+ + W+ᵀm- = -2·m+_0 + 1·m-_1 = -2/3;
  //   q2 (Δ > 0): A = 1·m+_2 + (-2)·m-_1 = 2/9;  q3 (Δ > 0): A = (-2)·m-_2 = -1/3.
  //   Contributions (2/3, 2/3, 2/3, -1/3), sum 5/3 = mean(4, 0, 1) = Δo.
  // Rescale: scales (1, 0, 1): m = (1/3, 0, 1/3), m_in = (1/3, -2/3, 1/3, -2/3),
  //   contributions (2/3, 2/3, 1, -2/3), sum 5/3.
  const Network net = conv_split_net(1);
  Mat x(1, 4);
  x << 2, -1, 3, 1;
  const Reference r{Mat::Zero(1, 4), true};
  const Mat rc = contribs(deeplift_multipliers(net, x, r, 1, kTask0, uniform_rules(net, Rule::RevealCancel), {}), x, r);
  const Mat rs = contribs(deeplift_multipliers(net, x, r, 1, kTask0, uniform_rules(net, Rule::Rescale), {}), x, r);
  const float erc[4] = {2.0f / 3, 2.0f / 3, 2.0f / 3, -1.0f / 3}, ers[4] = {2.0f / 3, 2.0f / 3, 1.0f, -2.0f / 3};
  for (int q = 0; q < 4; ++q) {
    EXPECT_NEAR(rc(0, q), erc[q], kGoldenTol) << q;
    EXPECT_NEAR(rs(0, q), ers[q], kGoldenTol) << q;
  }
}

TEST(EngineTest, Conv1dPositiveNegativeSplitStrideTwo) {
  // Windows (x0, x1) and (x2, x3): l0 = 4 (+2, +2), l1 = 1 (+3, -2); GAP: m_out = ½.
  // RevealCancel: m+ = (½, ½·2/3) = (½, 1/3), m- = (½, ½·½) = (½, ¼).
  //   q0 (Δ > 0, w0 = 1): A = ½ -> 1;  q1 (Δ < 0, w1 = -2): B = W-ᵀm+ = -1 -> 1;
  //   q2 (Δ > 0, w0): A = 1/3 -> 1;  q3 (Δ > 0, w1 = -2): A = W-ᵀm- = -½ -> -½. Sum 2.5 = Δo.
  const Network net = conv_split_net(2);
  Mat x(1, 4);
  x << 2, -1, 3, 1;
  const Reference r{Mat::Zero(1, 4), true};
  const Mat rc = contribs(deeplift_multipliers(net, x, r, 1, kTask0, uniform_rules(net, Rule::RevealCancel), {}), x, r);
  const float e[4] = {1.0f, 1.0f, 1.0f, -0.5f};
  for (int q = 0; q < 4; ++q) EXPECT_NEAR(rc(0, q), e[q], kGoldenTol) << q;
}

// ---- Summation-to-delta on random networks, every preset, both reference kinds.
struct NetCase {
  std::string layers;
  Shape in;
};

const std::vector<NetCase>& random_cases() {
  static const std::vector<NetCase> cases{
      {"conv1=conv1d(6,3) relu conv2=conv1d(5,3,2) relu gap fc1=dense(4) relu dropout(0.5) fc2=dense(3)", Shape{4, 1, 20}},
      {"fc1=dense(7) relu fc2=dense(5) relu dropout(0.2) fc3=dense(3)", Shape{6, 1, 1}},
      {"conv1=conv2d(3,2,2) relu flatten fc1=dense(4) relu fc2=dense(2)", Shape{2, 4, 5}},
  };
  return cases;
}

TEST(EngineTest, SummationToDeltaOnRandomNetworks) {
  const int n = 21;  // two chunks
  for (std::size_t ci = 0; ci < random_cases().size(); ++ci) {
    const auto& nc = random_cases()[ci];
    const Network net = config_net(nc.layers, nc.in, 7 + ci);
    const int S = nc.in.spatial();
    const Mat x = random_mat(nc.in.c, Eigen::Index{n} * S, 100 + ci, 0, 1);
    const std::vector<int> tasks{net.n_outputs() - 1, 0};
    for (bool shared : {true, false}) {
      const Reference r{random_mat(nc.in.c, shared ? S : Eigen::Index{n} * S, 200 + ci, 0, 1), shared};
      for (const char* spec : {"rescale", "revealcancel", "genomics"}) {
        SCOPED_TRACE(::testing::Message() << nc.layers << " shared=" << shared << " " << spec);
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

TEST(EngineTest, RescaleEqualsGradientTimesInputWithZeroBiasesAndReference) {
  // With zero biases and r = 0 every reference activation is 0, so each ReLU's Δy/Δx = z/z = 1
  // exactly where z > 0 and 0 elsewhere: Rescale's multipliers are the gradient, bit for bit.
  for (std::size_t ci = 0; ci < random_cases().size(); ++ci) {
    Network net = config_net(random_cases()[ci].layers, random_cases()[ci].in, 3);
    for (auto& p : net.params())
      if (p.name.ends_with(".bias")) p.value->setZero();
    const Shape in = random_cases()[ci].in;
    const int n = 5;
    const Mat x = random_mat(in.c, Eigen::Index{n} * in.spatial(), 9);
    const Reference r{Mat::Zero(in.c, in.spatial()), true};
    const std::vector<int> tasks{0, 1};
    const Mat m = deeplift_multipliers(net, x, r, n, tasks, uniform_rules(net, Rule::Rescale), {});
    const Mat g = gradient_multipliers(net, x, n, tasks);
    EXPECT_EQ((m - g).cwiseAbs().maxCoeff(), 0.0f) << ci;
  }
}

TEST(EngineTest, LinearNetworkEveryMethodReturnsWeights) {
  // o = W x + b (two tasks, no ReLU): every multiplier is the weight row, contributions w ⊙ (x - r).
  Network net = config_net("fc1=dense(2)", Shape{3, 1, 1}, 5);
  const Mat& w = static_cast<const model::Dense&>(net.layer(0)).weight();
  const int n = 4;
  const Mat x = random_mat(3, n, 1), rv = random_mat(3, n, 2);
  const Reference r{rv, false};
  const std::vector<int> tasks{0, 1};
  std::vector<Mat> ms{deeplift_multipliers(net, x, r, n, tasks, uniform_rules(net, Rule::Rescale), {}),
                      deeplift_multipliers(net, x, r, n, tasks, uniform_rules(net, Rule::RevealCancel), {}),
                      gradient_multipliers(net, x, n, tasks), gradient_multipliers(net, x, n, tasks, true),
                      integrated_gradients(net, x, r, n, tasks, 7, IgRule::GaussLegendre)};
  for (std::size_t k = 0; k < ms.size(); ++k)
    for (int t = 0; t < 2; ++t)
      for (int i = 0; i < n; ++i)
        for (int c = 0; c < 3; ++c) EXPECT_NEAR(ms[k](c, t * n + i), w(t, c), 1e-6f) << k;
}

TEST(EngineTest, EverythingIsZeroAtTheReference) {
  const auto& nc = random_cases()[0];
  const Network net = config_net(nc.layers, nc.in, 4);
  const int n = 3, S = nc.in.spatial();
  const Mat x = random_mat(4, Eigen::Index{n} * S, 5);
  const Reference r{x, false};
  const std::vector<int> tasks{0, 1, 2};
  for (const char* spec : {"rescale", "revealcancel", "genomics"}) {
    Mat dl;
    const Mat c = contributions(deeplift_multipliers(net, x, r, n, tasks, parse_rules(net, spec), {}, &dl), x, r, n, 3, S);
    EXPECT_EQ(c.cwiseAbs().maxCoeff(), 0.0f) << spec;
    EXPECT_EQ(dl.cwiseAbs().maxCoeff(), 0.0f) << spec;
  }
  const Mat ig = integrated_gradients(net, x, r, n, tasks, 10, IgRule::Midpoint);
  EXPECT_EQ(contributions(ig, x, r, n, 3, S).cwiseAbs().maxCoeff(), 0.0f);
}

// ---- Integrated gradients.
TEST(EngineTest, IgNodesKnownValues) {
  std::vector<double> a, w;
  ig_nodes(IgRule::GaussLegendre, 2, a, w);  // ±1/√3 on [-1, 1], weights 1
  ASSERT_EQ(a.size(), 2u);
  EXPECT_NEAR(a[0], 0.5 - 0.5 / std::sqrt(3.0), 1e-15);
  EXPECT_NEAR(a[1], 0.5 + 0.5 / std::sqrt(3.0), 1e-15);
  EXPECT_NEAR(w[0], 0.5, 1e-15);
  EXPECT_NEAR(w[1], 0.5, 1e-15);
  ig_nodes(IgRule::GaussLegendre, 3, a, w);  // 0, ±√(3/5); weights 8/9, 5/9
  EXPECT_NEAR(a[0], 0.5 - 0.5 * std::sqrt(0.6), 1e-15);
  EXPECT_NEAR(a[1], 0.5, 1e-15);
  EXPECT_NEAR(a[2], 0.5 + 0.5 * std::sqrt(0.6), 1e-15);
  EXPECT_NEAR(w[0], 5.0 / 18, 1e-15);
  EXPECT_NEAR(w[1], 4.0 / 9, 1e-15);
  EXPECT_NEAR(w[2], 5.0 / 18, 1e-15);
  // 10 nodes integrate x^19 exactly: Σ w α^19 = 1/20.
  ig_nodes(IgRule::GaussLegendre, 10, a, w);
  double s = 0;
  for (std::size_t k = 0; k < a.size(); ++k) s += w[k] * std::pow(a[k], 19);
  EXPECT_NEAR(s, 1.0 / 20, 1e-14);
  ig_nodes(IgRule::Midpoint, 4, a, w);
  EXPECT_EQ(a, (std::vector<double>{0.125, 0.375, 0.625, 0.875}));
  ig_nodes(IgRule::Trapezoid, 3, a, w);
  EXPECT_EQ(a, (std::vector<double>{0, 0.5, 1}));
  EXPECT_EQ(w, (std::vector<double>{0.25, 0.5, 0.25}));
}

TEST(EngineTest, IgMidpointMatchesHandComputation) {
  // f(x) = ReLU(2x - 1), x = 1, r = 0: along r + α(x - r) the gradient is 2·1{α > ½} (0 at the
  // kink α = ½, where 2α - 1 is exactly 0 in float). Midpoint, 3 nodes α = 1/6, ½, 5/6: (0 + 0 +
  // 2)/3 = 2/3; 4 nodes 1/8, 3/8, 5/8, 7/8: (0 + 0 + 2 + 2)/4 = 1 = Δf; trapezoid α = 0, ½, 1 with
  // weights ¼, ½, ¼: ½.
  Network net = dense_net(1, {{{2}}, {{1}}});
  static_cast<model::Dense&>(net.layer(0)).bias()(0, 0) = -1.0f;
  const Mat x = col({1});
  const Reference r{Mat::Zero(1, 1), true};
  EXPECT_NEAR(integrated_gradients(net, x, r, 1, kTask0, 3, IgRule::Midpoint)(0, 0), 2.0f / 3, kGoldenTol);
  EXPECT_NEAR(integrated_gradients(net, x, r, 1, kTask0, 4, IgRule::Midpoint)(0, 0), 1.0f, kGoldenTol);
  EXPECT_NEAR(integrated_gradients(net, x, r, 1, kTask0, 3, IgRule::Trapezoid)(0, 0), 0.5f, kGoldenTol);
}

TEST(EngineTest, IgCompletenessImprovesWithSteps) {
  const auto& nc = random_cases()[0];
  const Network net = config_net(nc.layers, nc.in, 11);
  const int n = 8, S = nc.in.spatial();
  const Mat x = random_mat(4, Eigen::Index{n} * S, 12, 0, 1);
  const Reference r{Mat::Constant(4, S, 0.25f), true};
  const std::vector<int> tasks{0, 1, 2};
  for (IgRule rule : {IgRule::Midpoint, IgRule::Trapezoid, IgRule::GaussLegendre}) {
    double e10 = 0, e200 = 0, scale = 0;
    for (int steps : {10, 200}) {
      Mat dl;
      const Mat m = integrated_gradients(net, x, r, n, tasks, steps, rule, &dl);
      const Mat err = summation_error(contributions(m, x, r, n, 3, S), dl, n, S);
      (steps == 10 ? e10 : e200) = err.cwiseAbs().sum();
      scale = dl.cwiseAbs().sum();
    }
    EXPECT_LT(e200, e10) << static_cast<int>(rule);
    EXPECT_LT(e200, 1e-2 * scale) << static_cast<int>(rule);  // a Riemann error across ReLU kinks
  }
}

// ---- Gradient and guided backprop against Network::backward.
TEST(EngineTest, GradientEqualsNetworkBackward) {
  for (std::size_t ci = 0; ci < random_cases().size(); ++ci) {
    const auto& nc = random_cases()[ci];
    const Network net = config_net(nc.layers, nc.in, 21);
    const int n = 19, S = nc.in.spatial();
    const Mat x = random_mat(nc.in.c, Eigen::Index{n} * S, 22);
    const std::vector<int> tasks{1, 0};
    const Mat g = gradient_multipliers(net, x, n, tasks);
    model::Trace t;
    net.forward(x, n, t);
    for (std::size_t k = 0; k < tasks.size(); ++k) {
      Mat d = Mat::Zero(net.n_outputs(), n), dx;
      d.row(tasks[k]).setOnes();
      auto grads = net.zero_grads();
      net.backward(t, d, grads, &dx);
      const Mat mine = g.middleCols(static_cast<Eigen::Index>(k) * n * S, Eigen::Index{n} * S);
      // The same kernels in the same order: equal up to GEMM blocking differences (none measured).
      EXPECT_LE((mine - dx).cwiseAbs().maxCoeff(), 1e-6f * std::max(1.0f, dx.cwiseAbs().maxCoeff())) << ci;
    }
  }
}

TEST(EngineTest, GuidedBackpropMatchesDirectComputation) {
  // Two dense layers with a ReLU: guided m_in = W1ᵀ (1{z > 0} ⊙ max(W2ᵀ e_t, 0)).
  Network net = config_net("fc1=dense(6) relu fc2=dense(2)", Shape{4, 1, 1}, 31);
  const auto& w1 = static_cast<const model::Dense&>(net.layer(0)).weight();
  const auto& b1 = static_cast<const model::Dense&>(net.layer(0)).bias();
  const auto& w2 = static_cast<const model::Dense&>(net.layer(2)).weight();
  const int n = 5;
  const Mat x = random_mat(4, n, 32);
  const std::vector<int> tasks{0, 1};
  const Mat g = gradient_multipliers(net, x, n, tasks, true);
  for (int t = 0; t < 2; ++t)
    for (int i = 0; i < n; ++i) {
      const Vec z = w1 * x.col(i) + b1.col(0);
      const Vec up = w2.row(t).transpose().cwiseMax(0.0f);
      const Vec m = w1.transpose() * (z.array() > 0).select(up, 0.0f).matrix();
      for (int c = 0; c < 4; ++c) EXPECT_NEAR(g(c, t * n + i), m(c), 1e-6f);
    }
}

TEST(EngineTest, DeterministicForAnyThreadCount) {
  const auto& nc = random_cases()[0];
  const Network net = config_net(nc.layers, nc.in, 41);
  const int n = 40, S = nc.in.spatial();
  const Mat x = random_mat(4, Eigen::Index{n} * S, 42, 0, 1);
  const Reference r{random_mat(4, S, 43, 0, 1), true};
  const std::vector<int> tasks{0, 1, 2};
  auto run = [&] {
    return std::vector<Mat>{deeplift_multipliers(net, x, r, n, tasks, parse_rules(net, "revealcancel"), {}),
                            deeplift_multipliers(net, x, r, n, tasks, parse_rules(net, "genomics"), {}),
                            integrated_gradients(net, x, r, n, tasks, 5, IgRule::Midpoint),
                            gradient_multipliers(net, x, n, tasks, true)};
  };
  set_threads(1);
  const auto a = run();
  set_threads(2);
  const auto b = run();
  set_threads(1);
  for (std::size_t k = 0; k < a.size(); ++k) EXPECT_TRUE(a[k] == b[k]) << k;
}

// ---- Rule specs.
TEST(EngineTest, ParseRulesPresetsAndExplicit) {
  const Network net = config_net(random_cases()[0].layers, random_cases()[0].in, 1);
  // Layers: 0 conv1, 1 relu1, 2 conv2, 3 relu2, 4 gap1, 5 fc1, 6 relu3, 7 dropout1, 8 fc2.
  EXPECT_EQ(parse_rules(net, "rescale").by_layer[3], Rule::Rescale);
  EXPECT_EQ(parse_rules(net, "revealcancel").by_layer[1], Rule::RevealCancel);
  const auto g = parse_rules(net, "genomics");
  EXPECT_EQ(g.by_layer[1], Rule::Rescale);
  EXPECT_EQ(g.by_layer[3], Rule::Rescale);
  EXPECT_EQ(g.by_layer[6], Rule::RevealCancel);
  const auto e = parse_rules(net, "conv1=rc, relu2=revealcancel;fc1=rs");
  EXPECT_EQ(e.by_layer[1], Rule::RevealCancel);
  EXPECT_EQ(e.by_layer[3], Rule::RevealCancel);
  EXPECT_EQ(e.by_layer[6], Rule::Rescale);
  EXPECT_EQ(parse_rules(net, "fc1=rc").by_layer[1], Rule::Rescale);  // unnamed: Rescale
}

TEST(EngineTest, ParseRulesErrors) {
  const Network net = config_net(random_cases()[0].layers, random_cases()[0].in, 1);
  const std::string names = "(conv1|relu1, conv2|relu2, fc1|relu3)";
  EXPECT_THROW_MSG(parse_rules(net, "conv9=rc"), ConfigError,
                   "attribution: bad rule spec 'conv9=rc'; expected a nonlinearity or the layer feeding one " + names +
                       ", got 'conv9'");
  EXPECT_THROW_MSG(parse_rules(net, "fc2=rc"), ConfigError,
                   "attribution: bad rule spec 'fc2=rc'; expected a nonlinearity or the layer feeding one " + names +
                       ", got 'fc2'");
  EXPECT_THROW_MSG(parse_rules(net, "conv1=shapley"), ConfigError,
                   "attribution: bad rule spec 'conv1=shapley'; expected a rule rescale|rs|revealcancel|rc, got "
                   "'shapley'");
  EXPECT_THROW_MSG(parse_rules(net, "resale"), ConfigError,
                   "attribution: bad rule spec 'resale'; expected rescale, revealcancel, genomics or layer=rule "
                   "items, got 'resale'");
  EXPECT_THROW_MSG(parse_rules(net, ""), ConfigError,
                   "attribution: bad rule spec ''; expected rescale, revealcancel, genomics or layer=rule items, "
                   "got an empty spec");
  EXPECT_THROW_MSG(parse_rules(net, "conv1=rc,relu1=rs"), ConfigError,
                   "attribution: bad rule spec 'conv1=rc,relu1=rs'; expected each nonlinearity once, got 'relu1' "
                   "(relu1) twice");
}

// DeepLIFT on an MLP in double precision, written straight from docs/attribution.md (Linear rule with
// W+ / W- and the ½(A + B) case, Rescale / RevealCancel at each ReLU with Δx± = Σ max / min of
// w_iΔx_i): the oracle for the engine's factored float32 implementation. One sample, one task.
Eigen::VectorXd naive_mlp_deeplift(const Network& net, Eigen::VectorXd x, Eigen::VectorXd r, int task, bool rc) {
  auto f = [](double z) { return z > 0 ? z : 0.0; };
  // Limits (docs/attribution.md): Rescale f'(x0); an empty RevealCancel part ½[f'±(x0) + f'±(x)].
  auto d_plus = [](double v) { return v >= 0 ? 1.0 : 0.0; };
  auto d_minus = [](double v) { return v > 0 ? 1.0 : 0.0; };
  return testing::mlp_deeplift(net, x, r, task, [&](double z0, double z, double a, double bn, double mo, double& mp,
                                                    double& mn) {
    const double dx = z - z0;
    if (!rc) {
      mp = mn = mo * (std::abs(dx) >= 1e-7 ? (f(z) - f(z0)) / dx : d_minus(z0));
      return;
    }
    const double yp = 0.5 * (f(z0 + a) - f(z0)) + 0.5 * (f(z) - f(z0 + bn));
    const double yn = 0.5 * (f(z0 + bn) - f(z0)) + 0.5 * (f(z) - f(z0 + a));
    mp = mo * (std::abs(a) >= 1e-7 ? yp / a : 0.5 * (d_plus(z0) + d_plus(z)));
    mn = mo * (std::abs(bn) >= 1e-7 ? yn / bn : 0.5 * (d_minus(z0) + d_minus(z)));
  });
}

// Inputs with Δx = 0 receive ½(A + B): there m+ and m- both matter, so a RevealCancel split that is
// rounding noise instead of an exact 0 shows up as a wrong multiplier (it did: 1.2e-2 off before
// rc_split zeroed parts within rounding of the magnitudes).
TEST(EngineTest, MlpMultipliersMatchDoublePrecisionOracleWithZeroDeltas) {
  model::ModelConfig cfg;
  cfg.layers = "dense(6) relu dense(5) relu dense(2)";
  Network net = Network::from_config(cfg, Shape{5, 1, 1});
  net.init(5);
  const int n = 400;
  Rng rng(11);
  Mat x(5, n), r(5, n);
  auto normal = [&rng] {  // Box-Muller: the wide spread makes single-signed w_iΔx_i sums common
    return static_cast<float>(std::sqrt(-2 * std::log(1 - rng.uniform())) * std::cos(6.283185307179586 * rng.uniform()));
  };
  for (Eigen::Index e = 0; e < x.size(); ++e) {
    x.data()[e] = normal();
    r.data()[e] = normal();
  }
  for (int i = 0; i < n; i += 3) x(i % 5, i) = r(i % 5, i);  // Δx = 0 entries
  const std::vector<int> tasks{0, 1};
  for (const bool rc : {false, true}) {
    const Mat m = deeplift_multipliers(net, x, Reference{r, false}, n, tasks,
                                       uniform_rules(net, rc ? Rule::RevealCancel : Rule::Rescale), {});
    double err = 0;
    for (int t = 0; t < 2; ++t)
      for (int i = 0; i < n; ++i) {
        const Eigen::VectorXd want =
            naive_mlp_deeplift(net, x.col(i).cast<double>(), r.col(i).cast<double>(), tasks[static_cast<std::size_t>(t)], rc);
        err = std::max(err, (want - m.col(t * n + i).cast<double>()).cwiseAbs().maxCoeff());
      }
    // Measured: 1.0e-8 (Rescale), 6.5e-8 (RevealCancel); multipliers are O(1e-2 .. 1).
    EXPECT_LT(err, 1e-6) << (rc ? "RevealCancel" : "Rescale");
  }
}

}  // namespace
}  // namespace lb::attr
