// Attribution targets: parsing against the heads and its errors, hand-computed values, the
// profile seeds against finite differences of the target, linear targets as combinations of
// unit maps, summation-to-delta relative to each target, ISM of a target, and the profile,
// detached-profile and counts targets of a two-output PyTorch BPNet (its ONNX graph, with
// float64 PyTorch's gradients and DeepLIFT-Rescale multipliers: scripts/make_bpnet_fixture.py).
#include "attribution/targets.h"

#include <cmath>

#include <gtest/gtest.h>

#include "attribution/methods.h"
#include "attribution/onehot.h"
#include "io/npz.h"
#include "model/model_file.h"
#include "testing/helpers.h"
#include "testing/networks.h"
#include "testing/random_inputs.h"

namespace lb::attr {
namespace {

using model::Network;
using model::Shape;

// A BPNet in miniature: a profile head (2 strands x 14 positions) and a one-unit counts head.
Network two_heads() {
  return lb::testing::config_net("c1=conv1d(3,5) r1=relu prof=conv1d(2,3)@r1 g=gap@r1 cnt=dense(1)@g heads(prof,cnt)",
                                 Shape{4, 1, 20}, 11, "linear");
}

Mat logits(const Network& net, const Mat& x, int n) {
  model::Trace t;
  net.forward(x, n, t);
  return net.logits(t);
}

TEST(TargetsTest, ParsesEveryFormIntoUnitsWeightsAndCanonicalNames) {
  const Network net = two_heads();
  const Targets t = parse_targets(
      "prof[3] cnt[0], sum(prof[0], prof[15]) diff(prof[1],cnt[0]) window(prof,2,4) counts(cnt) profile(prof) "
      "profile_detached(prof)",
      net);
  ASSERT_EQ(t.size(), 8);
  EXPECT_EQ(t.names(), (std::vector<std::string>{"prof[3]", "cnt[0]", "sum(prof[0],prof[15])", "diff(prof[1],cnt[0])",
                                                 "window(prof,2,4)", "counts(cnt)", "profile(prof)",
                                                 "profile_detached(prof)"}));
  EXPECT_EQ(t.unit_indices(), (std::vector<int>{3, 28, -1, -1, -1, 28, -1, -1}));
  EXPECT_EQ(t[3].terms, (std::vector<std::pair<int, float>>{{1, 1.0f}, {28, -1.0f}}));
  // window: both strands (units s*14 + l) at positions 2 and 3.
  EXPECT_EQ(t[4].terms, (std::vector<std::pair<int, float>>{{2, 1.0f}, {3, 1.0f}, {16, 1.0f}, {17, 1.0f}}));
  EXPECT_EQ(t[6].begin, 0);
  EXPECT_EQ(t[6].size, 28);
  EXPECT_TRUE(t.needs_binding());
  EXPECT_FALSE(parse_targets("prof[0] counts(cnt)", net).needs_binding());
  EXPECT_TRUE(parse_targets("prof[0] counts(cnt)", net).all_units());
}

TEST(TargetsTest, ErrorsNameTheItem) {
  const Network net = two_heads();
  const auto err = [&](const std::string& spec) { parse_targets(spec, net); };
  EXPECT_THROW_MSG(err("foo[0]"), ConfigError,
                   "attribution.targets: unknown head in 'foo[0]'; expected one of the model's heads (prof, cnt), got "
                   "'foo'");
  EXPECT_THROW_MSG(err("prof[28]"), ConfigError,
                   "attribution.targets: unit out of range in 'prof[28]'; expected a unit of head 'prof' in [0, 28) "
                   "(2x14), got 28");
  EXPECT_THROW_MSG(err("prof[x]"), ConfigError,
                   "attribution.targets: bad output unit in 'prof[x]'; expected HEAD[i] with a head's name and a unit "
                   "index >= 0, got 'prof[x]'");
  EXPECT_THROW_MSG(err("counts(prof)"), ConfigError,
                   "attribution.targets: counts of a head of several units in 'counts(prof)'; expected a counts head of "
                   "one unit (window or sum for others), got head 'prof' of 28 units (2x14)");
  EXPECT_THROW_MSG(err("profile(cnt)"), ConfigError,
                   "attribution.targets: profile of one unit in 'profile(cnt)'; expected a profile head of two or more "
                   "units, got head 'cnt' (1)");
  EXPECT_THROW_MSG(err("window(prof,3,15)"), ConfigError,
                   "attribution.targets: window out of range in 'window(prof,3,15)'; expected end <= 14, the positions "
                   "of head 'prof' (2x14), got 15");
  EXPECT_THROW_MSG(err("window(prof,3,3)"), ConfigError,
                   "attribution.targets: bad window in 'window(prof,3,3)'; expected positions 0 <= start < end, got '3' "
                   "and '3'");
  EXPECT_THROW_MSG(err("diff(prof[0])"), ConfigError,
                   "attribution.targets: wrong number of arguments in 'diff(prof[0])'; expected diff(HEAD[i],HEAD[j]), "
                   "got 1 argument");
  EXPECT_THROW_MSG(err("sum(prof[0],prof[0])"), ConfigError,
                   "attribution.targets: a unit twice in 'sum(prof[0],prof[0])'; expected distinct units, got "
                   "'prof[0]'");
  EXPECT_THROW_MSG(err("counts(cnt) counts(cnt)"), ConfigError,
                   "attribution.targets: a target twice in 'counts(cnt)'; expected distinct targets, got 'counts(cnt)'");
  EXPECT_THROW_MSG(err("mean(prof)"), ConfigError,
                   "attribution.targets: unknown target in 'mean(prof)'; expected HEAD[i], sum(HEAD[i],HEAD[j],...), "
                   "diff(HEAD[i],HEAD[j]), window(HEAD,start,end), counts(HEAD), profile(HEAD) or "
                   "profile_detached(HEAD), got 'mean'");
  EXPECT_THROW_MSG(validate_targets("profile(prof"), ConfigError,
                   "attribution.targets: unbalanced brackets; expected HEAD[i], sum(HEAD[i],HEAD[j],...), "
                   "diff(HEAD[i],HEAD[j]), window(HEAD,start,end), counts(HEAD), profile(HEAD) or "
                   "profile_detached(HEAD), got 'profile(prof'");
  // A model of several heads needs its targets named; targets and tasks are one or the other.
  AttributionConfig cfg;
  EXPECT_THROW_MSG(resolve_targets(cfg, net), ConfigError,
                   "attribution.targets: the model has heads prof (2x14), cnt (1); expected targets naming them, e.g. "
                   "profile(prof) or counts(cnt), got none");
  cfg.targets = "counts(cnt)";
  cfg.tasks = "0";
  EXPECT_THROW_MSG(resolve_targets(cfg, net), ConfigError,
                   "attribution.targets: set with attribution.tasks = '0'; expected one of the two, got both");
}

// Hand values: logits (0, ln 4) centre to p = (-a, a), a = ln 2; softmax(p) = (1/5, 4/5);
// profile = Σ p s = 3a/5. Detached with the weights of those logits at other logits (1, 3):
// p = (-1, 1), Σ w p = 3/5.
TEST(TargetsTest, ProfileValuesByHand) {
  Network net = lb::testing::config_net("fc=dense(2)", Shape{1, 1, 1}, 3, "linear");
  const Targets t = parse_targets("profile(fc) profile_detached(fc) sum(fc[0],fc[1]) diff(fc[1],fc[0])", net);
  Mat z(2, 1);
  z << 0.0f, static_cast<float>(std::log(4.0));
  const double a = std::log(2.0);
  EXPECT_NEAR(t.value(0, z.data(), 0), 0.6 * a, 1e-7);
  const Targets b = t.bind(z);
  EXPECT_NEAR(b.value(1, z.data(), 0), 0.6 * a, 1e-7);
  Mat z2(2, 1);
  z2 << 1.0f, 3.0f;
  EXPECT_NEAR(b.value(1, z2.data(), 0), 0.6, 1e-7);
  EXPECT_NEAR(b.value(2, z2.data(), 0), 4.0, 1e-12);
  EXPECT_NEAR(b.value(3, z2.data(), 0), 2.0, 1e-12);
  // Detached seeds: w - mean(w) = (1/5 - 1/2, 4/5 - 1/2).
  const Mat s = b.seeds(z2, nullptr, false, 1e-7f);
  EXPECT_NEAR(s(0, 1), -0.3, 1e-7);
  EXPECT_NEAR(s(1, 1), 0.3, 1e-7);
}

// The profile seed is the gradient of the target with respect to the logits (central
// differences in double on the target's value), and with a reference its Rescale multipliers
// sum to the target's difference exactly.
TEST(TargetsTest, ProfileSeedIsTheGradientAndItsRescaleSumsToDelta) {
  Network net = lb::testing::config_net("fc=dense(6)", Shape{1, 1, 1}, 3, "linear");
  const Targets t = parse_targets("profile(fc)", net);
  Mat zx = lb::testing::random_mat(6, 1, 9, -2, 2), zr = lb::testing::random_mat(6, 1, 10, -2, 2);
  const Mat g = t.seeds(zx, nullptr, false, 1e-7f);
  for (int k = 0; k < 6; ++k) {
    // value() reads floats: difference over a step float represents exactly.
    const float h = 1.0f / 256;
    Mat zp = zx, zm = zx;
    zp(k, 0) += h;
    zm(k, 0) -= h;
    const double fd = (t.value(0, zp.data(), 0) - t.value(0, zm.data(), 0)) / (2.0 * h);
    EXPECT_NEAR(g(k, 0), fd, 2e-4) << k;
  }
  const Mat m = t.seeds(zx, &zr, false, 1e-7f);
  double sum = 0;
  for (int k = 0; k < 6; ++k) sum += static_cast<double>(m(k, 0)) * (zx(k, 0) - zr(k, 0));
  EXPECT_NEAR(sum, t.value(0, zx.data(), 0) - t.value(0, zr.data(), 0), 1e-6);
  EXPECT_NEAR(t.deltas(zx, zr, true)(0, 0), t.value(0, zx.data(), 0) - t.value(0, zr.data(), 0), 1e-6);
}

// Linear targets are the same combination of the unit maps, for gradients, DeepLIFT and ISM.
TEST(TargetsTest, LinearTargetsAreCombinationsOfUnitMaps) {
  const Network net = two_heads();
  const int n = 3;
  const Mat x = lb::testing::random_one_hot(n, 20, 4);
  const Targets t = parse_targets("diff(prof[1],cnt[0]) window(prof,2,4)", net);
  AttributionConfig cfg;
  cfg.reference = "background";
  std::vector<std::uint64_t> streams{0, 1, 2};
  for (const std::string method : {"grad", "deeplift:rescale", "ism", "ig"}) {
    SCOPED_TRACE(method);
    const Method m = parse_method(method, net, cfg);
    const MethodResult r = run_method(m, net, x, n, t, cfg, streams);
    const std::vector<int> units{1, 28, 2, 3, 16, 17};
    const MethodResult u = run_method(m, net, x, n, std::span<const int>(units), cfg, streams);
    const Eigen::Index w = Eigen::Index{n} * 20;
    const auto unit = [&](int k) { return u.contributions.middleCols(k * w, w); };
    const Mat diff = unit(0) - unit(1), window = unit(2) + unit(3) + unit(4) + unit(5);
    EXPECT_LT((r.contributions.leftCols(w) - diff).cwiseAbs().maxCoeff(), 1e-5f);
    EXPECT_LT((r.contributions.middleCols(w, w) - window).cwiseAbs().maxCoeff(), 1e-5f);
  }
}

// DeepLIFT's contributions add up to each target's own difference (profile through its Rescale
// step, profile_detached exactly), and ISM's entries are the target's changes.
TEST(TargetsTest, DeepliftSumsToEachTargetsDeltaAndIsmIsTheTargetsChange) {
  const Network net = two_heads();
  const int n = 4;
  const Mat x = lb::testing::random_one_hot(n, 20, 6);
  const Targets t = parse_targets("profile(prof) profile_detached(prof) counts(cnt)", net);
  AttributionConfig cfg;
  cfg.reference = "dinuc_shuffle";
  cfg.n_shuffles = 3;
  std::vector<std::uint64_t> streams{0, 1, 2, 3};
  const MethodResult r = run_method(parse_method("deeplift:rescale", net, cfg), net, x, n, t, cfg, streams);
  EXPECT_LT(r.max_rel_delta, 1e-5) << "worst target " << r.worst_task;
  EXPECT_GT(r.contributions.cwiseAbs().maxCoeff(), 0.0f);

  const Mat ism = in_silico_mutagenesis(net, x, n, t);
  const Targets bound = t.bind(logits(net, x, n));
  // Sequence 2, position 7: set to base b, compare with the target's change.
  const int i = 2, p = 7;
  for (int b = 0; b < 4; ++b) {
    if (x(b, i * 20 + p) == 1.0f) continue;
    Mat xm = x.middleCols(i * 20, 20);
    xm.col(p).setZero();
    xm(b, p) = 1.0f;
    const Mat z0 = logits(net, x.middleCols(i * 20, 20), 1), z1 = logits(net, xm, 1);
    for (int k = 0; k < 3; ++k) {
      const double want = bound.value(k, z1.data(), i) - bound.value(k, z0.data(), i);
      EXPECT_NEAR(ism(b, (k * n + i) * 20 + p), want, 1e-5) << "target " << k << " base " << b;
    }
  }
}

// The PyTorch fixture: a BPNet with graph outputs profile (N, 2, 64) and counts (N, 1).
TEST(TargetsTest, ProfileAndCountsTargetsOfATwoOutputTorchBpnetMatchFloat64PyTorch) {
  const std::string dir = std::string(LB_TEST_DATA_DIR) + "/torch/";
  const model::Shape in{4, 1, 64};
  const Network net = model::load_model(dir + "bpnet_heads.onnx", nullptr, &in);
  EXPECT_EQ(model::heads_str(net), "profile (2x64), counts (1)");
  const io::NpzArchive data = io::read_npz(dir + "bpnet_heads.data.npz");
  const auto get = [&](const std::string& name) { return io::find_array(data, name, "bpnet_heads.data.npz"); };
  const int n = static_cast<int>(get("x").shape[0]), L = 64;
  const std::vector<float> xv = get("x").to_f32("x"), rv = get("r").to_f32("r");
  Mat x(4, Eigen::Index{n} * L), r(4, L);
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < 4; ++c)
      for (int p = 0; p < L; ++p) x(c, Eigen::Index{i} * L + p) = xv[(static_cast<std::size_t>(i) * 4 + c) * L + p];
  for (int c = 0; c < 4; ++c)
    for (int p = 0; p < L; ++p) r(c, p) = rv[static_cast<std::size_t>(c) * L + p];
  // Logits in PyTorch's flatten order, then the count.
  const Mat z = logits(net, x, n);
  const std::vector<double> want_z = get("logits").to_f64("logits");
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < 129; ++k) EXPECT_NEAR(z(k, i), want_z[static_cast<std::size_t>(i) * 129 + k], 1e-5);
  const Targets t = parse_targets("profile(profile) profile_detached(profile) counts(counts)", net);
  const std::vector<double> vx = get("value_profile").to_f64("v"), vr = get("value_profile_r").to_f64("v");
  Mat zr = logits(net, r, 1);
  for (int i = 0; i < n; ++i) {
    EXPECT_NEAR(t.value(0, z.col(i).data(), i), vx[static_cast<std::size_t>(i)], 1e-5);
    EXPECT_NEAR(t.value(0, zr.data(), i), vr[0], 1e-5);
  }
  // (n,4,L) PyTorch multipliers against target k of an engine result (C x T*n*L).
  const auto max_error = [&](const Mat& m, int k, const std::string& name) {
    const std::vector<double> want = get(name).to_f64(name);
    double worst = 0, scale = 0;
    for (const double w : want) scale = std::max(scale, std::abs(w));
    for (int i = 0; i < n; ++i)
      for (int c = 0; c < 4; ++c)
        for (int p = 0; p < L; ++p)
          worst = std::max(worst, std::abs(m(c, (Eigen::Index{k} * n + i) * L + p) -
                                           want[(static_cast<std::size_t>(i) * 4 + c) * L + p]));
    EXPECT_GT(scale, 1e-4) << name;  // the profile weights are about 1/128 each
    return worst / scale;
  };
  EXPECT_LE(max_error(gradient_multipliers(net, x, n, t.bind(z)), 0, "grad_profile"), 1e-5);
  std::vector<Mat> deltas;
  const Reference ref{r, true};
  const Mat m = deeplift_multipliers(net, x, std::span<const Reference>(&ref, 1), n, t.bind(z),
                                     uniform_rules(net, Rule::Rescale), DeepliftOptions{}, &deltas)[0];
  EXPECT_LE(max_error(m, 0, "rescale_profile"), 1e-5);
  EXPECT_LE(max_error(m, 1, "rescale_detached"), 1e-5);
  EXPECT_LE(max_error(m, 2, "rescale_counts"), 1e-5);
  for (int i = 0; i < n; ++i) EXPECT_NEAR(deltas[0](0, i), vx[static_cast<std::size_t>(i)] - vr[0], 1e-5);
}

}  // namespace
}  // namespace lb::attr
