// Tests of the MNIST pixel-erasure benchmark (eval/erasure.h) and Conv2d attribution on softmax nets.
#include <cmath>
#include <filesystem>
#include <regex>
#include <vector>

#include <gtest/gtest.h>

#include "attribution/engine.h"
#include "attribution/onehot.h"
#include "core/rng.h"
#include "eval/erasure.h"
#include "eval/erasure_report.h"
#include "model/layers.h"
#include "model/network.h"
#include "testing/helpers.h"
#include "testing/networks.h"
#include "testing/random_inputs.h"

namespace lb::eval {
namespace {

using lb::testing::config_net;
using lb::testing::random_mat;

using model::Network;
using model::Shape;


// ---- pixels_to_erase on hand-made score maps.
TEST(ErasureTest, PixelsToEraseRanksPositiveDifferencesWithTiesByIndex) {
  // d = s0 - st = (0.5, -1, 2, 0, 0.5, 3, 0.5, NaN)
  const std::vector<float> s0{1.5f, 0.0f, 2.0f, 1.0f, 0.5f, 3.0f, 1.0f, std::nanf("")};
  const std::vector<float> st{1.0f, 1.0f, 0.0f, 1.0f, 0.0f, 0.0f, 0.5f, 0.0f};
  EXPECT_EQ(pixels_to_erase(s0, st, 157), (std::vector<int>{5, 2, 0, 4, 6}));  // only d > 0
  EXPECT_EQ(pixels_to_erase(s0, st, 3), (std::vector<int>{5, 2, 0}));          // at most k
  EXPECT_EQ(pixels_to_erase(s0, st, 4), (std::vector<int>{5, 2, 0, 4}));       // tie 0.5: index order
  EXPECT_TRUE(pixels_to_erase(s0, st, 0).empty());
  EXPECT_TRUE(pixels_to_erase(st, st, 157).empty());  // no positive difference: nothing erased
}

// ---- The drop on a hand-made linear softmax network: l = W x, grad_x_input scores W_c ⊙ x.
Network linear_net() {
  std::vector<model::LayerPtr> layers;
  layers.push_back(std::make_unique<model::Flatten>("flatten1"));
  auto d = std::make_unique<model::Dense>("fc1", 4, 3);
  d->weight().setZero();
  d->bias().setZero();
  const float w0[4] = {1, 2, -1, 0.5f}, w1[4] = {0, 1, 1, 0};
  for (int i = 0; i < 4; ++i) {
    d->weight()(0, i) = w0[i];
    d->weight()(1, i) = w1[i];
  }
  layers.push_back(std::move(d));
  return Network(Shape{1, 2, 2}, std::move(layers), model::OutputKind::Softmax);
}

TEST(ErasureTest, DropOnHandMadeSoftmaxNetworkIsTheDirectLogitDifference) {
  const Network net = linear_net();
  ImageSet data;
  data.shape = Shape{1, 2, 2};
  data.images.resize(1, 12);
  // Image 0 (label 0): x = (1, 1, 1, 2): logits (3, 2, 0), classified 0. S0 = (1, 2, -1, 1),
  // S1 = (0, 1, 1, 0), d = (1, 1, -2, 1): pixels 0, 1, 3 (ties by index).
  // Image 1 (label 0): x = (0, 0, 2, 0): logits (-2, 2, 0), misclassified. Image 2: label 2.
  data.images << 1, 1, 1, 2, 0, 0, 2, 0, 1, 1, 1, 1;
  data.labels = {0, 0, 2};
  std::vector<ErasureMethod> methods{{"grad_x_input", "grad_x_input@zeros"}};
  const std::vector<std::pair<int, int>> pairs{{0, 1}};
  EXPECT_EQ(source_images(net, data, 0, true), (std::vector<int>{0}));
  EXPECT_EQ(source_images(net, data, 0, false), (std::vector<int>{0, 1}));

  ErasureOptions opt;
  opt.k = 2;  // erase 0 and 1: x' = (0, 0, 1, 2), logits (0, 1, 0): diff 1 -> -1, drop 2, flipped
  auto rows = run_erasure(net, data, pairs, methods, opt);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].image, 0);
  EXPECT_EQ(rows[0].n_erased, 2);
  EXPECT_NEAR(rows[0].diff_before, 1.0, 1e-6);
  EXPECT_NEAR(rows[0].drop, 2.0, 1e-6);
  EXPECT_TRUE(rows[0].flipped);
  // The same drop by a direct forward pass on the erased image.
  Mat xe(1, 4);
  xe << 0, 0, 1, 2;
  model::Trace t;
  net.forward(xe, 1, t);
  EXPECT_NEAR(rows[0].diff_after, double(net.logits(t)(0, 0)) - double(net.logits(t)(1, 0)), 1e-6);

  opt.k = 157;  // all three positive pixels: x' = (0, 0, 1, 0), logits (-1, 1, 0): drop 3
  opt.only_correct = false;
  rows = run_erasure(net, data, pairs, methods, opt);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].n_erased, 3);
  EXPECT_NEAR(rows[0].drop, 3.0, 1e-6);
  // Image 1: S0 = (0, 0, -2, 0), S1 = (0, 0, 2, 0): no positive difference, drop 0, not flipped
  // from c0 (it was never c0: flipped compares the erased decision with c0).
  EXPECT_EQ(rows[1].image, 1);
  EXPECT_EQ(rows[1].n_erased, 0);
  EXPECT_EQ(rows[1].drop, 0.0);
  EXPECT_TRUE(rows[1].flipped);

  const auto summary = summarize_erasure(rows);
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_EQ(summary[0].n, 2);
  EXPECT_NEAR(summary[0].median, 1.5, 1e-6);
  EXPECT_NEAR(summary[0].q1, 0.75, 1e-6);
  EXPECT_NEAR(summary[0].q3, 2.25, 1e-6);
  EXPECT_NEAR(summary[0].share_flipped, 1.0, 1e-12);
}

TEST(ErasureTest, QuantileInterpolatesLikeNumpy) {
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 0.25), 1.75);
  EXPECT_DOUBLE_EQ(quantile({7}, 0.75), 7);
  EXPECT_TRUE(std::isnan(quantile({}, 0.5)));
}

// ---- A small network shaped like appendix D's (two strided Conv2d, dense head, softmax).
const char* kMnistLike = "conv1=conv2d(4,3,3,2,2) relu conv2=conv2d(5,2,2,1,1) relu dropout(0.25) flatten "
                         "fc1=dense(6) relu dropout(0.5) fc2=dense(10)";

TEST(ErasureTest, RulesFollowTheLayerKinds) {
  const Network net = config_net(kMnistLike, Shape{1, 9, 9}, 3, "softmax");
  using attr::Rule;
  const auto methods = paper_erasure_methods();
  ASSERT_EQ(methods.size(), 10u);
  // Layers: conv1 relu conv2 relu dropout flatten fc1 relu dropout fc2.
  const auto rc_fc_conv2 = erasure_method(net, methods[8]).rules;
  EXPECT_EQ(rc_fc_conv2.by_layer[1], Rule::Rescale);
  EXPECT_EQ(rc_fc_conv2.by_layer[3], Rule::RevealCancel);
  EXPECT_EQ(rc_fc_conv2.by_layer[7], Rule::RevealCancel);
  const auto rc_fc = erasure_method(net, methods[9]).rules;
  EXPECT_EQ(rc_fc.by_layer[1], Rule::Rescale);
  EXPECT_EQ(rc_fc.by_layer[3], Rule::Rescale);
  EXPECT_EQ(rc_fc.by_layer[7], Rule::RevealCancel);
  // The same as parse_rules with the layer names; RC everywhere and the paper's genomics preset too.
  EXPECT_EQ(rc_fc_conv2.by_layer, attr::parse_rules(net, "conv1=rescale,conv2=revealcancel,fc1=revealcancel").by_layer);
  EXPECT_EQ(rc_fc.by_layer, attr::parse_rules(net, "genomics").by_layer);
  EXPECT_EQ(erasure_method(net, methods[7]).rules.by_layer,
            attr::parse_rules(net, "conv1=rc,conv2=rc,fc1=rc").by_layer);
  EXPECT_EQ(erasure_method(net, methods[6]).rules.by_layer, attr::parse_rules(net, "rescale").by_layer);
}

// Every method is a method string of the attribution registry against the zero reference.
TEST(ErasureTest, MethodsAreRegistryMethodStrings) {
  const Network net = config_net(kMnistLike, Shape{1, 9, 9}, 3, "softmax");
  using K = attr::Method::Kind;
  const std::vector<std::pair<K, int>> expected{{K::AbsGrad, 0}, {K::GuidedGrad, 0}, {K::GuidedBackprop, 0},
                                                {K::GradXInput, 0}, {K::Ig, 5}, {K::Ig, 10},
                                                {K::Deeplift, 0}, {K::Deeplift, 0}, {K::Deeplift, 0},
                                                {K::Deeplift, 0}};
  const auto methods = paper_erasure_methods();
  ASSERT_EQ(methods.size(), expected.size());
  for (std::size_t i = 0; i < methods.size(); ++i) {
    SCOPED_TRACE(methods[i].name);
    const attr::Method m = erasure_method(net, methods[i]);
    EXPECT_EQ(m.kind, expected[i].first);
    EXPECT_EQ(m.ig_steps, expected[i].second);
    if (attr::uses_reference(m.kind)) {
      EXPECT_EQ(m.reference, attr::ReferenceKind::Zeros);
    }
    EXPECT_FALSE(m.gradient_correction || m.revcomp_average);
  }
  // docs/cli.md's table gives each name with its method string.
  const std::string doc = lb::testing::read_text(std::string(LB_SOURCE_DIR) + "/docs/cli.md");
  for (const auto& m : methods) {
    EXPECT_NE(doc.find("`" + m.name + "`"), std::string::npos) << m.name;
    EXPECT_NE(doc.find("`" + m.spec + "`"), std::string::npos) << m.spec;
  }
}

TEST(ErasureTest, Conv2dSoftmaxSummationToDeltaForEveryRule) {
  const Network net = config_net(kMnistLike, Shape{1, 9, 9}, 11, "softmax");
  const int n = 20, S = 81;
  const Mat x = random_mat(1, Eigen::Index{n} * S, 5, 0, 1);
  const attr::Reference r{Mat::Zero(1, S), true};
  const std::vector<int> tasks{8, 3};
  for (const auto& m : paper_erasure_methods()) {
    const attr::Method am = erasure_method(net, m);
    if (am.kind != attr::Method::Kind::Deeplift) continue;
    SCOPED_TRACE(m.name);
    Mat dl;
    const Mat mult = attr::deeplift_multipliers(net, x, r, n, tasks, am.rules, {}, &dl);
    const Mat err = attr::summation_error(attr::contributions(mult, x, r, n, 2, S), dl, n, S);
    for (Eigen::Index t = 0; t < 2; ++t)
      for (int i = 0; i < n; ++i) EXPECT_LE(std::abs(err(t, i)), 1e-4f * std::max(1.0f, std::abs(dl(t, i))));
    // erasure_scores is the same contribution map (reference 0), and erasure_run's delta agrees.
    const attr::MethodResult res = erasure_run(m, net, x, n, 8, 3);
    EXPECT_EQ(res.contributions, attr::contributions(mult, x, r, n, 2, S));
    EXPECT_EQ(erasure_scores(m, net, x, n, 8, 3), res.contributions);
    EXPECT_LE(res.max_abs_delta, 1e-4 * std::max(1.0f, dl.cwiseAbs().maxCoeff()));
  }
}

TEST(ErasureTest, Conv2dStrideTwoHandDerived) {
  // Input 1x2x4, conv 2x2 stride 2 with w = [[1, -2], [1, 1]] (no bias) -> two windows, ReLU,
  // flatten, fc row (1, 1): o = relu(z0) + relu(z1). x rows (2, 1, 3, 1) and (0, 1, -1, 2), r = 0.
  // Window 0 terms (2, -2, 0, 1): z0 = 1, Δ+ = 3, Δ- = -2. Window 1 terms (3, -2, -1, 2): z1 = 2,
  // Δ+ = 5, Δ- = -3. Rescale: scale 1, contributions = terms.
  // RevealCancel: w0 Δy+ = ½·3 + ½(f(1) - f(-2)) = 2, Δy- = ½(f(1) - f(3)) = -1: m+ = 2/3, m- = ½;
  //   w1 Δy+ = ½·5 + ½(f(2) - f(-3)) = 3.5, Δy- = ½(f(2) - f(5)) = -1.5: m+ = 0.7, m- = ½.
  //   A positive term takes m+, a negative one m-: window 0 (4/3, -1, 0, 2/3), window 1 (2.1, -1, -0.5, 1.4).
  std::vector<model::LayerPtr> layers;
  auto c = std::make_unique<model::Conv2d>("conv1", 1, 1, 2, 2, 2, 2);
  c->weight() << 1, -2, 1, 1;  // (ky*KW + kx)
  c->bias().setZero();
  layers.push_back(std::move(c));
  layers.push_back(std::make_unique<model::ReLU>("relu1"));
  layers.push_back(std::make_unique<model::Flatten>("flatten1"));
  auto d = std::make_unique<model::Dense>("fc1", 2, 2);
  d->weight() << 1, 1, 0, 0;
  d->bias().setZero();
  layers.push_back(std::move(d));
  const Network net(Shape{1, 2, 4}, std::move(layers), model::OutputKind::Softmax);
  Mat x(1, 8);  // pixel index y*W + x
  x << 2, 1, 3, 1, 0, 1, -1, 2;
  const attr::Reference r{Mat::Zero(1, 8), true};
  const std::vector<int> tasks{0};
  const Mat rs = attr::contributions(
      attr::deeplift_multipliers(net, x, r, 1, tasks, attr::uniform_rules(net, attr::Rule::Rescale), {}), x, r, 1, 1, 8);
  const Mat rc = attr::contributions(
      attr::deeplift_multipliers(net, x, r, 1, tasks, attr::uniform_rules(net, attr::Rule::RevealCancel), {}), x, r, 1,
      1, 8);
  const float ers[8] = {2, -2, 3, -2, 0, 1, -1, 2};
  const float erc[8] = {4.0f / 3, -1, 2.1f, -1, 0, 2.0f / 3, -0.5f, 1.4f};
  for (int q = 0; q < 8; ++q) {
    EXPECT_NEAR(rs(0, q), ers[q], 1e-6f) << q;
    EXPECT_NEAR(rc(0, q), erc[q], 1e-6f) << q;
  }
}

// Mean-normalisation (attr::mean_normalize_softmax) centres every score linear in the logits
// across classes, so S_c0 - S_ct and hence the erased pixels are unchanged: gradient x input,
// IG and every DeepLIFT variant. |gradient| and guided backprop are not linear in the output
// multipliers (abs, max(m, 0)) and are left out.
TEST(ErasureTest, MeanNormalisationKeepsScoreDifferences) {
  const Network net = config_net(kMnistLike, Shape{1, 9, 9}, 13, "softmax");
  const Network norm = attr::mean_normalize_softmax(net);
  const int n = 6, S = 81;
  const Mat x = random_mat(1, Eigen::Index{n} * S, 8, 0, 1);
  for (const auto& m : paper_erasure_methods()) {
    using K = attr::Method::Kind;
    const K kind = erasure_method(net, m).kind;
    if (kind == K::AbsGrad || kind == K::GuidedGrad || kind == K::GuidedBackprop) continue;
    SCOPED_TRACE(m.name);
    const Mat a = erasure_scores(m, net, x, n, 9, 1), b = erasure_scores(m, norm, x, n, 9, 1);
    const Eigen::Index blk = Eigen::Index{n} * S;
    const Mat da = a.middleCols(0, blk) - a.middleCols(blk, blk);
    const Mat db = b.middleCols(0, blk) - b.middleCols(blk, blk);
    EXPECT_LE((da - db).cwiseAbs().maxCoeff(), 1e-5f * std::max(1.0f, da.cwiseAbs().maxCoeff()));
    // ... while the scores themselves change (the class mean is subtracted).
    EXPECT_GT((a - b).cwiseAbs().maxCoeff(), 1e-6f);
  }
}

// The page: one chart per pair, the summary rows, SVG maps per method; rendered by headless
// Chromium (when installed) to "rendered <n> charts".
TEST(ErasureTest, ReportPageHasChartsTableAndMapsAndRenders) {
  const Network net = config_net(kMnistLike, Shape{1, 9, 9}, 17, "softmax");
  ImageSet data;
  data.shape = Shape{1, 9, 9};
  data.images = random_mat(1, 40 * 81, 21, 0, 1);
  for (int i = 0; i < 40; ++i) data.labels.push_back(i % 10);
  const auto methods = paper_erasure_methods();
  const std::vector<std::pair<int, int>> pairs{{8, 3}, {4, 1}};
  ErasureOptions opt;
  opt.only_correct = false;
  opt.k = 16;
  const auto rows = run_erasure(net, data, pairs, methods, opt);
  ASSERT_EQ(rows.size(), 2u * 4 * 10);
  const auto summary = summarize_erasure(rows);
  const ErasurePage page = render_erasure_report({.net = &net, .data = &data, .rows = &rows, .summary = &summary,
                                                  .methods = &methods, .pairs = pairs, .example = 8, .k = 16,
                                                  .config_ini = "[model]\nlayers = x\n"});
  EXPECT_EQ(page.n_charts, 2);
  const std::string& h = page.html;
  EXPECT_NE(h.find("<div id=\"lb-status\" data-charts=\"2\">"), std::string::npos);
  EXPECT_NE(h.find("Pixel maps of test image 8 (label 8), 8&rarr;3"), std::string::npos);
  std::size_t svgs = 0;
  for (std::size_t p = h.find("<body>"); (p = h.find("<svg xmlns", p)) != std::string::npos; ++p) ++svgs;
  EXPECT_EQ(svgs, 1u + 4u * methods.size());  // the original, then 4 maps per method
  const std::size_t data_at = h.find("id=\"lb-data\">");
  ASSERT_NE(data_at, std::string::npos);
  EXPECT_EQ(h.find('>', data_at + 14), h.find("</script>", data_at) + 8);  // no raw '>' inside the JSON data
  EXPECT_NE(h.find("\"pair\":\"8-\\u003e3\""), std::string::npos);
  EXPECT_NE(h.find("<td>8&rarr;3</td><td>deeplift_revealcancel</td><td>4</td>"), std::string::npos);

  if (!std::filesystem::exists("/usr/bin/chromium")) FAIL() << "no /usr/bin/chromium (scripts/setup.sh installs it)";
  lb::testing::TempDir dir;
  std::vector<ErasureMethod> two(methods.begin(), methods.begin() + 2);
  write_erasure_report(dir.path(), {.net = &net, .data = &data, .rows = &rows, .summary = &summary, .methods = &two,
                                    .pairs = pairs, .example = 8, .k = 16, .config_ini = ""});
  lb::testing::TempDir profile;
  const auto r = lb::testing::run_command(
      "/usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
      "--disable-background-networking --disable-component-update --disable-sync --user-data-dir=" +
      profile.path() + " --virtual-time-budget=10000 --dump-dom file://" + dir.file("report/mnist.html"));
  std::smatch m;
  static const std::regex status(R"(<div id="lb-status"[^>]*>([^<]*)</div>)");
  ASSERT_TRUE(std::regex_search(r.out, m, status)) << r.err;
  EXPECT_EQ(m[1].str(), "rendered 2 charts");
}

}  // namespace
}  // namespace lb::eval
