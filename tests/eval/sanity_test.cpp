// Tests of eval/sanity: the randomisation cascade (which layers, cumulatively, with the model's
// init scheme), a linear model whose gradient map is its weight vector, a map that ignores the
// model failing while gradients pass, thread-count independence and bad input.
#include "eval/sanity.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "attribution/methods.h"
#include "core/error.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "eval/metrics.h"
#include "testing/helpers.h"

namespace lb::eval {
namespace {

struct ThreadsGuard {
  int saved = threads();
  ~ThreadsGuard() { set_threads(saved); }
};

model::Network make_net(const std::string& layers, model::Shape in, std::uint64_t seed = 1) {
  model::ModelConfig cfg;
  cfg.layers = layers;
  model::Network net = model::Network::from_config(cfg, in);
  net.init(seed);
  return net;
}

// n random one-hot sequences of length len: (4 x n*len).
Mat random_onehot(int n, int len, std::uint64_t seed) {
  Mat x = Mat::Zero(4, static_cast<Eigen::Index>(n) * len);
  for (int i = 0; i < n; ++i) {
    Rng rng(seed, static_cast<std::uint64_t>(i));
    for (int p = 0; p < len; ++p) x(static_cast<Eigen::Index>(rng.below(4)), static_cast<Eigen::Index>(i) * len + p) = 1;
  }
  return x;
}

// The contributions of one attribution method as a MapFn.
MapFn method_maps(const std::string& name, const Mat& x, int n, std::span<const int> tasks) {
  attr::AttributionConfig cfg;
  cfg.reference = "zeros";
  return [=](const model::Network& net) {
    const auto methods = attr::parse_methods(name, net, cfg);
    return attr::run_method(methods.at(0), net, x, n, tasks, cfg).contributions;
  };
}

std::vector<float> param(const model::Network& net, int layer, int i) { return net.layer(layer).export_param(i); }

TEST(SanityTest, CascadeRandomisesFromTheTopCumulatively) {
  // flatten (layer 0), fc1 (1), relu (2), fc2 (3): step 1 re-initialises fc2, step 2 fc2 and fc1.
  const model::Network net = make_net("flatten fc1=dense(3) relu fc2=dense(2)", {4, 1, 5});
  const auto steps = randomisation_cascade(net, model::InitScheme::GlorotUniform, 9);
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].step, 1);
  EXPECT_EQ(steps[0].layer, "fc2");
  EXPECT_EQ(steps[1].step, 2);
  EXPECT_EQ(steps[1].layer, "fc1");
  EXPECT_EQ(param(steps[0].net, 1, 0), param(net, 1, 0));  // fc1 untouched at step 1
  EXPECT_EQ(param(steps[0].net, 1, 1), param(net, 1, 1));
  EXPECT_NE(param(steps[0].net, 3, 0), param(net, 3, 0));
  EXPECT_NE(param(steps[1].net, 1, 0), param(net, 1, 0));
  EXPECT_EQ(param(steps[1].net, 3, 0), param(steps[0].net, 3, 0));  // cumulative: the same random fc2
  // Glorot-uniform: biases 0, weights within sqrt(6 / (fan_in + fan_out)) = sqrt(6 / 5) for fc2.
  for (float b : param(steps[1].net, 3, 1)) EXPECT_EQ(b, 0.0f);
  for (float w : param(steps[1].net, 3, 0)) EXPECT_LE(std::fabs(w), std::sqrt(6.0 / 5.0));
  // The original network is unchanged, and the same seed gives the same cascade.
  const auto again = randomisation_cascade(net, model::InitScheme::GlorotUniform, 9);
  EXPECT_EQ(param(again[1].net, 1, 0), param(steps[1].net, 1, 0));
  const auto other = randomisation_cascade(net, model::InitScheme::GlorotUniform, 10);
  EXPECT_NE(param(other[1].net, 1, 0), param(steps[1].net, 1, 0));
}

TEST(SanityTest, LinearModelGradientIsItsWeights) {
  // One dense unit on 1 x 6 inputs: the gradient map of every sample is the weight vector w, so
  // randomising the layer changes the map to the new weights, and rho is Spearman(w, w').
  model::Network net = make_net("flatten fc1=dense(1)", {1, 1, 6});
  const std::vector<float> w{1, 2, 3, 4, 5, 6}, bias{0.5f};
  net.layer(1).import_param(0, w);
  net.layer(1).import_param(1, bias);
  const int n = 3;
  Mat x(1, n * 6);
  for (int j = 0; j < x.cols(); ++j) x(0, j) = static_cast<float>(Rng(5, j).normal());
  const std::vector<int> tasks{0};
  const MapFn grad = method_maps("grad", x, n, tasks);
  const SanityConfig cfg;

  auto steps = randomisation_cascade(net, model::InitScheme::PyTorch, 3);
  ASSERT_EQ(steps.size(), 1u);
  const std::vector<float> w_new = param(steps[0].net, 1, 0);
  const Mat g = grad(steps[0].net);
  for (int i = 0; i < n; ++i)
    for (int p = 0; p < 6; ++p) EXPECT_FLOAT_EQ(g(0, i * 6 + p), w_new[static_cast<std::size_t>(p)]);
  const std::vector<double> wd(w.begin(), w.end()), wn(w_new.begin(), w_new.end());
  std::vector<double> wd_abs(wd), wn_abs(wn);
  for (auto& v : wn_abs) v = std::fabs(v);
  MethodSanity r = sanity_check("grad", grad, net, steps, n, tasks, cfg);
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0].layer, "fc1");
  EXPECT_EQ(r.rows[0].n, n);
  EXPECT_NEAR(r.rows[0].spearman, spearman(wd, wn), 1e-12);
  EXPECT_NEAR(r.rows[0].spearman_abs, spearman(wd_abs, wn_abs), 1e-12);

  // Hand-set "randomisations": negated weights reverse the ranks (rho -1, |rho| of magnitudes
  // 1, fails); a monotone map of the weights keeps them (rho 1: rank correlation ignores scale).
  std::vector<CascadeStep> hand;
  hand.push_back({1, "fc1", net.clone()});
  hand.push_back({2, "fc1", net.clone()});
  std::vector<float> neg(w), mono(w);
  for (auto& v : neg) v = -v;
  for (auto& v : mono) v = 0.1f * v * v + 3;
  hand[0].net.layer(1).import_param(0, neg);
  hand[1].net.layer(1).import_param(0, mono);
  r = sanity_check("grad", grad, net, hand, n, tasks, cfg);
  EXPECT_DOUBLE_EQ(r.rows[0].spearman, -1.0);
  EXPECT_DOUBLE_EQ(r.rows[0].spearman_abs, 1.0);
  EXPECT_DOUBLE_EQ(r.rows[1].spearman, 1.0);
  EXPECT_DOUBLE_EQ(r.final_mean_abs_rho, 1.0);
  EXPECT_FALSE(r.passed);
  hand.pop_back();
  r = sanity_check("grad", grad, net, hand, n, tasks, cfg);
  EXPECT_FALSE(r.passed);  // |-1| is as similar as 1
}

TEST(SanityTest, MapThatIgnoresTheModelFailsWhileGradientPasses) {
  // A conv network on random one-hot DNA; "trained" = one initialisation, the randomised layers
  // another. Gradients of two independent networks are nearly uncorrelated (mean |rho| ~0.1);
  // a constant map and the input itself are identical at every step (rho 1). Checked to fail
  // when the cascade leaves the network unchanged (gradient then gives rho 1).
  const int n = 20, len = 60;
  const model::Network net = make_net("conv1=conv1d(8,11) relu conv2=conv1d(8,5) relu gap fc1=dense(2)", {4, 1, len}, 11);
  const Mat x = random_onehot(n, len, 2);
  const std::vector<int> tasks{0, 1};
  const auto steps = randomisation_cascade(net, model::InitScheme::PyTorch, 1);
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[2].layer, "conv1");
  const SanityConfig cfg;

  for (const std::string name : {"grad", "grad_x_input", "deeplift:rescale"}) {
    const MethodSanity g = sanity_check(name, method_maps(name, x, n, tasks), net, steps, n, tasks, cfg);
    ASSERT_EQ(g.rows.size(), 6u);
    EXPECT_TRUE(g.passed) << name << " " << g.final_mean_abs_rho;
    EXPECT_LT(g.final_mean_abs_rho, 0.3) << name;
    for (const auto& row : g.rows) EXPECT_EQ(row.n, n);
  }
  const MapFn constant = [&](const model::Network&) { return Mat::Constant(4, 2 * n * len, 0.25f); };
  const MethodSanity c = sanity_check("constant", constant, net, steps, n, tasks, cfg);
  EXPECT_FALSE(c.passed);
  EXPECT_EQ(c.final_mean_abs_rho, 1.0);
  for (const auto& row : c.rows) {
    EXPECT_EQ(row.spearman, 1.0);
    EXPECT_EQ(row.n, n);
  }
  const MapFn input = [&](const model::Network&) {
    Mat m(4, 2 * n * len);
    m << x, x;
    for (Eigen::Index j = 0; j < m.cols(); ++j) m.col(j) *= static_cast<float>(1 + j % 7);  // not constant per sequence
    return m;
  };
  EXPECT_FALSE(sanity_check("input", input, net, steps, n, tasks, cfg).passed);
}

TEST(SanityTest, ResultsDoNotDependOnThreads) {
  ThreadsGuard guard;
  const int n = 12, len = 40;
  const model::Network net = make_net("conv1=conv1d(6,7) relu gap fc1=dense(3)", {4, 1, len}, 4);
  const Mat x = random_onehot(n, len, 8);
  const std::vector<int> tasks{0, 2};
  const auto steps = randomisation_cascade(net, model::InitScheme::HeUniform, 2);
  set_threads(1);
  const MethodSanity one = sanity_check("ig", method_maps("ig", x, n, tasks), net, steps, n, tasks, {});
  set_threads(2);
  const MethodSanity two = sanity_check("ig", method_maps("ig", x, n, tasks), net, steps, n, tasks, {});
  EXPECT_EQ(sanity_tsv(std::span(&one, 1)), sanity_tsv(std::span(&two, 1)));
  EXPECT_EQ(one.final_mean_abs_rho, two.final_mean_abs_rho);
  ASSERT_EQ(one.rows.size(), 4u);
  EXPECT_EQ(one.rows[1].task, 2);
}

TEST(SanityTest, TsvHasOneRowPerStepAndTask) {
  MethodSanity r;
  r.method = "grad";
  r.rows = {{"grad", 1, "fc2", 0, 0.5, 0.25, 10}, {"grad", 2, "fc1", 0, std::nan(""), 0.125, 0}};
  EXPECT_EQ(sanity_tsv(std::span(&r, 1)),
            "method\tstep\tlayer\ttask\tspearman\tspearman_abs\tn\n"
            "grad\t1\tfc2\t0\t0.5\t0.25\t10\n"
            "grad\t2\tfc1\t0\tnan\t0.125\t0\n");
}

TEST(SanityTest, BadInput) {
  SanityConfig cfg;
  cfg.threshold = 0;
  EXPECT_THROW_MSG(validate(cfg), ConfigError, "sanity.threshold: out of range; expected a value in (0, 1], got 0");
  cfg.threshold = 1.5;
  EXPECT_THROW_MSG(validate(cfg), ConfigError, "sanity.threshold: out of range; expected a value in (0, 1], got 1.5");
  const model::Network net = make_net("gap", {4, 1, 5});
  EXPECT_THROW_MSG(randomisation_cascade(net, model::InitScheme::PyTorch, 1), InputError,
                   "sanity: the model has no layers with parameters; expected at least 1, got 0");
}

}  // namespace
}  // namespace lb::eval
