// One-hot specifics: references, hypothetical contributions, appendix K weight normalisation,
// softmax mean-normalisation, and in-silico mutagenesis against brute-force mutants through the
// full Network::forward (incremental path and generic fallback).
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "attribution/onehot.h"
#include "core/error.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "model/layers.h"
#include "model/network.h"
#include "testing/helpers.h"

namespace lb::attr {
namespace {

using model::Network;
using model::Shape;

// Tolerances: float32 error measured against the exact answer, then x10 headroom.
// ISM: incremental Δ vs brute-force logit(x') - logit(x) (both float32): measured max |diff|
// 1.2e-7 (small nets, |ISM| <= 0.04) and 1.8e-7 (genomics, L = 40). A wrong tap or window gives
// >= 4e-3 on the same nets (checked by mutating the scatter).
constexpr float kIsmAtol = 2e-6f;
// Weight / mean normalisation: logits of ~0.3 reassociated in float32; measured max |diff| 3e-8.
constexpr float kNormAtol = 3e-7f;
// Hypothetical (float32, |hyp| <= 4.2) vs the actual contribution in double: measured 1.8e-7.
constexpr float kHypAtol = 2e-6f;

Network make_net(const std::string& layers, Shape in, const std::string& output = "sigmoid",
                 std::uint64_t seed = 7) {
  model::ModelConfig cfg;
  cfg.layers = layers;
  cfg.output = output;
  Network net = Network::from_config(cfg, in);
  net.init(seed);
  return net;
}

// n one-hot samples (C x n*S); positions in `n_positions` (per sample) are all-zero (N).
Mat random_onehot(int c, int s, int n, Rng& rng, std::vector<int> n_positions = {}) {
  Mat x = Mat::Zero(c, Eigen::Index{n} * s);
  for (int i = 0; i < n; ++i)
    for (int p = 0; p < s; ++p) {
      const int b = std::min(c - 1, static_cast<int>(rng.uniform() * c));
      x(b, Eigen::Index{i} * s + p) = 1.0f;
    }
  for (int i = 0; i < n; ++i)
    for (const int p : n_positions) x.col(Eigen::Index{i} * s + p).setZero();
  return x;
}

Mat random_mat(Eigen::Index rows, Eigen::Index cols, Rng& rng, double lo = -1, double hi = 1) {
  Mat m(rows, cols);
  for (Eigen::Index j = 0; j < m.size(); ++j) m.data()[j] = static_cast<float>(lo + (hi - lo) * rng.uniform());
  return m;
}

Mat logits_of(const Network& net, const Mat& x, int n) {
  model::Trace tr;
  net.forward(x, n, tr);
  return net.logits(tr);
}

// Brute force ISM: every mutant, one at a time, through the full forward pass.
Mat brute_force_ism(const Network& net, const Mat& x, int n, const std::vector<int>& tasks) {
  const int c = net.input_shape().c, s = net.input_shape().spatial();
  const Mat base = logits_of(net, x, n);
  Mat out = Mat::Zero(c, static_cast<Eigen::Index>(tasks.size()) * n * s);
  for (int i = 0; i < n; ++i)
    for (int p = 0; p < s; ++p)
      for (int b = 0; b < c; ++b) {
        Mat xm = x.middleCols(Eigen::Index{i} * s, s);
        const bool observed = xm(b, p) == 1.0f && xm.col(p).sum() == 1.0f;
        if (observed) continue;
        xm.col(p).setZero();
        xm(b, p) = 1.0f;
        const Mat lm = logits_of(net, xm, 1);
        for (std::size_t t = 0; t < tasks.size(); ++t)
          out(b, (static_cast<Eigen::Index>(t) * n + i) * s + p) = lm(tasks[t], 0) - base(tasks[t], i);
      }
  return out;
}

::testing::AssertionResult close(const Mat& a, const Mat& b, float atol, const char* label) {
  if (a.rows() != b.rows() || a.cols() != b.cols())
    return ::testing::AssertionFailure() << label << ": shapes " << a.rows() << "x" << a.cols() << " vs "
                                         << b.rows() << "x" << b.cols();
  const float diff = (a - b).cwiseAbs().maxCoeff();
  if (diff > atol) {
    Eigen::Index r = 0, c = 0;
    (a - b).cwiseAbs().maxCoeff(&r, &c);
    return ::testing::AssertionFailure() << label << ": max |diff| " << diff << " > " << atol << " at (" << r << ", "
                                         << c << "): " << a(r, c) << " vs " << b(r, c);
  }
  return ::testing::AssertionSuccess() << label << ": max |diff| " << diff;
}

// ---- References -------------------------------------------------------------------------------

TEST(OneHotTest, ZeroReferenceIsSharedZeros) {
  const Reference r = zero_reference(4, 7);
  EXPECT_TRUE(r.shared);
  EXPECT_EQ(r.values.rows(), 4);
  EXPECT_EQ(r.values.cols(), 7);
  EXPECT_EQ(r.values.cwiseAbs().maxCoeff(), 0.0f);
}

TEST(OneHotTest, BackgroundReferenceRepeatsFrequencies) {
  const Reference r = background_reference({0.3, 0.2, 0.2, 0.3}, 5);
  EXPECT_TRUE(r.shared);
  ASSERT_EQ(r.values.rows(), 4);
  ASSERT_EQ(r.values.cols(), 5);
  for (int l = 0; l < 5; ++l) {
    EXPECT_EQ(r.values(0, l), 0.3f);
    EXPECT_EQ(r.values(1, l), 0.2f);
    EXPECT_EQ(r.values(2, l), 0.2f);
    EXPECT_EQ(r.values(3, l), 0.3f);
  }
}

// ---- Hypothetical contributions ---------------------------------------------------------------

// For one-hot x, hyp at the observed base is m·(x - r) = m[b_obs](1 - r[b_obs]) - Σ_{c≠b_obs} m[c] r[c];
// at an N position (x = 0) the actual contribution is -Σ_c m[c] r[c] and hyp[b] adds m[b].
TEST(OneHotTest, HypotheticalAtObservedBaseEqualsActual) {
  Rng rng(11);
  const int n = 3, tasks = 2, len = 9;
  const Mat x = random_onehot(4, len, n, rng, {4});
  const Mat m = random_mat(4, Eigen::Index{tasks} * n * len, rng, -2, 2);
  for (const bool shared : {true, false}) {
    const Reference r = shared ? background_reference({0.3, 0.2, 0.2, 0.3}, len)
                               : Reference{random_mat(4, Eigen::Index{n} * len, rng, 0, 1), false};
    const Mat hyp = hypothetical_contributions(m, r, n, tasks, len);
    ASSERT_EQ(hyp.rows(), 4);
    ASSERT_EQ(hyp.cols(), m.cols());
    for (int t = 0; t < tasks; ++t)
      for (int i = 0; i < n; ++i)
        for (int l = 0; l < len; ++l) {
          const Eigen::Index col = (Eigen::Index{t} * n + i) * len + l;
          const Eigen::Index xcol = Eigen::Index{i} * len + l;
          const Vec rc = r.values.col(r.shared ? l : xcol);
          // Actual contribution, written out: Σ_c m[c] (x[c] - r[c]).
          double actual = 0, rm = 0;
          for (int c = 0; c < 4; ++c) {
            actual += double(m(c, col)) * (double(x(c, xcol)) - double(rc(c)));
            rm += double(m(c, col)) * double(rc(c));
          }
          if (x.col(xcol).sum() == 0.0f) {  // N: every base is hypothetical
            EXPECT_NEAR(actual, -rm, kHypAtol);
            for (int b = 0; b < 4; ++b) EXPECT_NEAR(hyp(b, col), double(m(b, col)) - rm, kHypAtol);
            continue;
          }
          Eigen::Index obs = 0;
          x.col(xcol).maxCoeff(&obs);
          double by_formula = double(m(obs, col)) * (1.0 - double(rc(obs)));
          for (int c = 0; c < 4; ++c)
            if (c != obs) by_formula -= double(m(c, col)) * double(rc(c));
          EXPECT_NEAR(actual, by_formula, 1e-12);
          EXPECT_NEAR(hyp(obs, col), actual, kHypAtol) << "t=" << t << " i=" << i << " l=" << l;
        }
  }
}

// Multiref with one reference: the average of a single result is that result; and a per-sample
// reference that repeats the shared one gives identical numbers.
TEST(OneHotTest, HypotheticalAveragingOneReferenceEqualsSingle) {
  Rng rng(12);
  const int n = 2, tasks = 3, len = 6;
  const Mat m = random_mat(4, Eigen::Index{tasks} * n * len, rng);
  const Reference shared = background_reference({0.3, 0.2, 0.2, 0.3}, len);
  const Mat single = hypothetical_contributions(m, shared, n, tasks, len);
  std::vector<Mat> runs{single};
  Mat avg = Mat::Zero(single.rows(), single.cols());
  for (const Mat& h : runs) avg += h;
  avg /= static_cast<float>(runs.size());
  EXPECT_EQ(avg, single);
  const Reference per_sample{shared.values.replicate(1, n), false};
  EXPECT_EQ(hypothetical_contributions(m, per_sample, n, tasks, len), single);
}

TEST(OneHotTest, HypotheticalRejectsWrongReferenceShape) {
  const Mat m = Mat::Zero(4, 2 * 3 * 10);
  EXPECT_THROW_MSG(hypothetical_contributions(m, zero_reference(4, 9), 3, 2, 10), InputError,
                   "attribution: reference is 4x9; expected 4x10 (shared), got 4x9");
  EXPECT_THROW_MSG(hypothetical_contributions(m, Reference{Mat::Zero(4, 10), false}, 3, 2, 10), InputError,
                   "attribution: reference is 4x10; expected 4x30 (one per sample), got 4x10");
}

// ---- Weight normalisation (appendix K) --------------------------------------------------------

void expect_taps_mean_zero(const Mat& w, int c) {
  for (Eigen::Index k = 0; k < w.cols() / c; ++k)
    EXPECT_LT(w.middleCols(k * c, c).rowwise().sum().cwiseAbs().maxCoeff(), 1e-6f) << "tap " << k;
}

TEST(OneHotTest, WeightNormalisationConv1dPreservesOneHotOutputs) {
  const Network net = make_net("conv1=conv1d(6,5) relu conv1d(5,3) relu gap dense(4) relu dense(3)", Shape{4, 1, 20});
  const Network norm = normalize_first_layer(net);
  const auto& w0 = static_cast<const model::Conv1d&>(net.layer(0));
  const auto& w1 = static_cast<const model::Conv1d&>(norm.layer(0));
  expect_taps_mean_zero(w1.weight(), 4);
  EXPECT_GT((w1.bias() - w0.bias()).cwiseAbs().maxCoeff(), 1e-3f);  // the bias did move
  // Other layers untouched.
  EXPECT_EQ(static_cast<const model::Conv1d&>(norm.layer(2)).weight(),
            static_cast<const model::Conv1d&>(net.layer(2)).weight());
  Rng rng(3);
  const Mat x = random_onehot(4, 20, 5, rng);
  EXPECT_TRUE(close(logits_of(norm, x, 5), logits_of(net, x, 5), kNormAtol, "one-hot"));
  // A non-one-hot input (channels not summing to 1) must see a different output.
  const Mat soft = random_mat(4, 20 * 5, rng, 0, 1);
  EXPECT_GT((logits_of(norm, soft, 5) - logits_of(net, soft, 5)).cwiseAbs().maxCoeff(), 1e-3f);
}

TEST(OneHotTest, WeightNormalisationConv2dPreservesOneHotOutputs) {
  const Network net = make_net("conv2d(5,2,3) relu conv2d(4,2,2,1,1) relu flatten dense(3)", Shape{4, 4, 9});
  const Network norm = normalize_first_layer(net);
  expect_taps_mean_zero(static_cast<const model::Conv2d&>(norm.layer(0)).weight(), 4);
  Rng rng(4);
  const Mat x = random_onehot(4, 36, 3, rng);
  EXPECT_TRUE(close(logits_of(norm, x, 3), logits_of(net, x, 3), kNormAtol, "one-hot"));
  const Mat soft = random_mat(4, 36 * 3, rng, 0, 1);
  EXPECT_GT((logits_of(norm, soft, 3) - logits_of(net, soft, 3)).cwiseAbs().maxCoeff(), 1e-3f);
}

TEST(OneHotTest, WeightNormalisationRejectsDenseFirstLayer) {
  const Network net = make_net("fc1=dense(5) relu dense(2)", Shape{8, 1, 1});
  EXPECT_THROW_MSG(normalize_first_layer(net), ConfigError,
                   "attribution.weight_normalize: the first layer is Linear; expected a Conv1d or Conv2d first layer "
                   "on one-hot input, got 'fc1' Linear(in=8, out=5)");
}

// ---- Softmax mean-normalisation ---------------------------------------------------------------

TEST(OneHotTest, MeanNormalisationCentresLogits) {
  const Network net = make_net("conv1d(6,5) relu gap dense(8) relu dense(4)", Shape{4, 1, 15}, "softmax");
  const Network norm = mean_normalize_softmax(net);
  Rng rng(5);
  const Mat x = random_onehot(4, 15, 6, rng);
  const Mat z = logits_of(net, x, 6);
  const Mat zn = logits_of(norm, x, 6);
  const Mat centred = z.rowwise() - z.colwise().mean();
  EXPECT_TRUE(close(zn, centred, kNormAtol, "centred logits"));
  // Differences between classes (what S_c0 - S_ct attributes) are unchanged.
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 4; ++b) {
      const Mat d = z.row(a) - z.row(b), dn = zn.row(a) - zn.row(b);
      EXPECT_TRUE(close(dn, d, kNormAtol, "logit difference"));
    }
  const auto& last = static_cast<const model::Dense&>(norm.layer(norm.n_layers() - 1));
  EXPECT_LT(last.weight().colwise().sum().cwiseAbs().maxCoeff(), 1e-6f);
  EXPECT_LT(std::abs(last.bias().sum()), 1e-6f);
}

// With the engine: DeepLIFT-Rescale attributions of the normalised net are the original ones
// minus their mean over classes, so S_a - S_b is unchanged (docs/attribution.md).
TEST(OneHotTest, MeanNormalisationKeepsContributionDifferences) {
  const int n = 3, len = 15, k = 4;
  const Network net = make_net("conv1d(6,5) relu gap dense(8) relu dense(4)", Shape{4, 1, len}, "softmax");
  const Network norm = mean_normalize_softmax(net);
  Rng rng(6);
  const Mat x = random_onehot(4, len, n, rng);
  const Reference r = background_reference({0.3, 0.2, 0.2, 0.3}, len);
  const std::vector<int> tasks{0, 1, 2, 3};
  const auto attribute = [&](const Network& nw) {
    const Mat m = deeplift_multipliers(nw, x, r, n, tasks, uniform_rules(nw, Rule::Rescale), DeepliftOptions{});
    return contributions(m, x, r, n, k, len);
  };
  const Mat s = attribute(net), sn = attribute(norm);
  const Eigen::Index block = Eigen::Index{n} * len;  // one task's columns
  Mat mean = Mat::Zero(4, block);
  for (int t = 0; t < k; ++t) mean += s.middleCols(t * block, block) / static_cast<float>(k);
  for (int t = 0; t < k; ++t) {
    EXPECT_TRUE(close(sn.middleCols(t * block, block), s.middleCols(t * block, block) - mean, kNormAtol,
                      "centred contributions"));
    const Mat d = s.middleCols(t * block, block) - s.middleCols(0, block);
    const Mat dn = sn.middleCols(t * block, block) - sn.middleCols(0, block);
    EXPECT_TRUE(close(dn, d, kNormAtol, "S_t - S_0"));
  }
}

// With the engine: on one-hot x, hyp at the observed base equals the engine's contribution.
TEST(OneHotTest, HypotheticalMatchesEngineContributions) {
  const int n = 2, len = 12;
  const Network net = make_net("conv1d(5,3) relu conv1d(4,3) relu gap dense(3)", Shape{4, 1, len});
  Rng rng(8);
  const Mat x = random_onehot(4, len, n, rng);
  const Reference r = background_reference({0.3, 0.2, 0.2, 0.3}, len);
  const std::vector<int> tasks{0, 2};
  const Mat m = deeplift_multipliers(net, x, r, n, tasks, uniform_rules(net, Rule::Rescale), DeepliftOptions{});
  const Mat actual = contributions(m, x, r, n, 2, len);
  const Mat hyp = hypothetical_contributions(m, r, n, 2, len);
  for (Eigen::Index j = 0; j < actual.cols(); ++j) {
    const Eigen::Index xc = j % (Eigen::Index{n} * len);
    Eigen::Index obs = 0;
    x.col(xc).maxCoeff(&obs);
    EXPECT_NEAR(hyp(obs, j), actual.col(j).sum(), kHypAtol) << "column " << j;
  }
}

TEST(OneHotTest, MeanNormalisationErrors) {
  const Network sig = make_net("conv1d(6,5) relu gap dense(4)", Shape{4, 1, 15}, "sigmoid");
  EXPECT_THROW_MSG(mean_normalize_softmax(sig), ConfigError,
                   "attribution.mean_normalize: the network's output is sigmoid; expected a softmax network, got "
                   "sigmoid");
  const Network relu_last = make_net("conv1d(6,5) gap dense(4) relu", Shape{4, 1, 15}, "softmax");
  EXPECT_THROW_MSG(mean_normalize_softmax(relu_last), ConfigError,
                   "attribution.mean_normalize: the last layer is ReLU; expected a Linear last layer, got 'relu1' "
                   "ReLU()");
}

// ---- In-silico mutagenesis --------------------------------------------------------------------

void check_ism(const Network& net, const Mat& x, int n, const std::vector<int>& tasks, const char* label) {
  const Mat expected = brute_force_ism(net, x, n, tasks);
  const Mat got = in_silico_mutagenesis(net, x, n, tasks);
  const auto ok = close(got, expected, kIsmAtol, label);
  EXPECT_TRUE(ok);
  if (std::getenv("LB_PRINT_TOL")) std::fprintf(stderr, "%s (max |ism| %g)\n", ok.message(), double(expected.cwiseAbs().maxCoeff()));
  // 0 exactly at observed bases.
  const int s = net.input_shape().spatial();
  for (std::size_t t = 0; t < tasks.size(); ++t)
    for (int i = 0; i < n; ++i)
      for (int p = 0; p < s; ++p) {
        const Eigen::Index xc = Eigen::Index{i} * s + p;
        for (int b = 0; b < x.rows(); ++b) {
          if (x(b, xc) == 1.0f && x.col(xc).sum() == 1.0f) {
            EXPECT_EQ(got(b, (static_cast<Eigen::Index>(t) * n + i) * s + p), 0.0f);
          }
        }
      }
}

TEST(IsmTest, SmallConv1dNetsMatchBruteForce) {
  const std::vector<std::string> archs = {
      "conv1d(6,3) relu conv1d(5,4) relu gap dense(4) relu dense(3)",
      "conv1d(6,5) relu gap dense(3)",                                      // one conv stage
      "conv1d(5,3) relu conv1d(4,2) relu conv1d(6,4) relu gap dense(3)",    // three stages
      "conv1d(5,3) conv1d(4,4) relu dropout(0.3) gap dense(5) relu dense(3)",  // no ReLU after conv1
  };
  for (std::size_t a = 0; a < archs.size(); ++a) {
    const Network net = make_net(archs[a], Shape{4, 1, 17}, "sigmoid", 100 + a);
    Rng rng(20 + a);
    const Mat x = random_onehot(4, 17, 3, rng);
    check_ism(net, x, 3, {0, 1, 2}, archs[a].c_str());
    check_ism(net, x, 3, {2, 0}, archs[a].c_str());  // task subset, any order
  }
}

TEST(IsmTest, GenomicsNetworkMatchesBruteForce) {
  Network net = Network::from_config(model::ModelConfig{}, Shape{4, 1, 40});
  net.init(1, model::InitScheme::GlorotUniform);
  Rng rng(31);
  const Mat x = random_onehot(4, 40, 5, rng);
  check_ism(net, x, 5, {0, 1, 2}, "genomics");
}

TEST(IsmTest, NPositionsReportEveryBase) {
  const Network net = make_net("conv1d(6,3) relu conv1d(5,4) relu gap dense(4) relu dense(2)", Shape{4, 1, 16});
  Rng rng(41);
  const Mat x = random_onehot(4, 16, 2, rng, {0, 7, 15});
  const Mat got = in_silico_mutagenesis(net, x, 2, std::vector<int>{0, 1});
  check_ism(net, x, 2, {0, 1}, "with N");
  // At an N position all four bases are real mutants (nonzero in general).
  for (int b = 0; b < 4; ++b) EXPECT_NE(got(b, 7), 0.0f);
}

TEST(IsmTest, GenericFallbackMatchesBruteForce) {
  // Conv2d net: no incremental plan; every mutant through the full forward.
  const Network net2d = make_net("conv2d(5,2,3) relu conv2d(4,2,2,1,1) relu flatten dense(3)", Shape{4, 3, 7});
  Rng rng(51);
  const Mat x2 = random_onehot(4, 21, 3, rng, {4});
  check_ism(net2d, x2, 3, {0, 2}, "conv2d fallback");
  // Conv1d with Flatten before Dense, and a strided conv: fallback as well.
  const Network flat = make_net("conv1d(5,3) relu flatten dense(3)", Shape{4, 1, 12});
  check_ism(flat, random_onehot(4, 12, 2, rng), 2, {0, 1, 2}, "flatten fallback");
  const Network strided = make_net("conv1d(5,3,2) relu gap dense(2)", Shape{4, 1, 13});
  check_ism(strided, random_onehot(4, 13, 2, rng), 2, {1}, "strided fallback");
}

TEST(IsmTest, ResultDoesNotDependOnThreads) {
  Network net = Network::from_config(model::ModelConfig{}, Shape{4, 1, 30});
  net.init(2);
  Rng rng(61);
  const Mat x = random_onehot(4, 30, 11, rng, {3});
  const int saved = threads();
  set_threads(1);
  const Mat one = in_silico_mutagenesis(net, x, 11, std::vector<int>{0, 1, 2});
  set_threads(2);
  const Mat two = in_silico_mutagenesis(net, x, 11, std::vector<int>{0, 1, 2});
  set_threads(saved);
  EXPECT_EQ(one, two);
}

TEST(IsmTest, OutputShapeInMultiplierLayout) {
  const Network net = make_net("conv1d(6,3) relu gap dense(4)", Shape{4, 1, 10});
  Rng rng(71);
  const Mat x = random_onehot(4, 10, 3, rng);
  const Mat out = in_silico_mutagenesis(net, x, 3, std::vector<int>{3, 1});
  EXPECT_EQ(out.rows(), 4);
  EXPECT_EQ(out.cols(), 2 * 3 * 10);
  EXPECT_EQ(in_silico_mutagenesis(net, x.leftCols(0), 0, std::vector<int>{0}).cols(), 0);
}

}  // namespace
}  // namespace lb::attr
