// Attribution methods by name: parsing and validation texts, run_method against the engine
// (one reference, Multiref-n averaging, errors tracked before averaging, ISM's per-base score,
// thread independence), and the scores.npz layout conversion.
#include "attribution/methods.h"

#include <numeric>
#include <set>

#include <gtest/gtest.h>

#include "attribution/onehot.h"
#include "attribution/scores_file.h"
#include "core/alphabet.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "model/layers.h"
#include "sim/shuffle.h"
#include "testing/helpers.h"
#include "testing/random_inputs.h"

namespace lb::attr {
namespace {

using lb::testing::random_one_hot;

// The scores.npz layout: element (c, (t*n+i)*S + p) of the multiplier layout is element
// [i][t][c][p] of the (n, T, C, S) C-order array.
TEST(ScoresFileTest, MultiplierLayoutToNtcs) {
  const int n = 2, T = 3, C = 4, S = 5;
  Mat m(C, T * n * S);
  for (int c = 0; c < C; ++c)
    for (int col = 0; col < m.cols(); ++col) m(c, col) = static_cast<float>(c * 1000 + col);
  const std::vector<float> v = to_ntcs(m, n, T, S);
  ASSERT_EQ(v.size(), static_cast<std::size_t>(n * T * C * S));
  // [i=1][t=2][c=3][p=4]: flat ((1*3 + 2)*4 + 3)*5 + 4 = 119; column (2*2 + 1)*5 + 4 = 29.
  EXPECT_EQ(v[119], 3029.0f);
  // [i=0][t=1][c=0][p=0]: flat 20; column (1*2 + 0)*5 = 10.
  EXPECT_EQ(v[20], 10.0f);
  // [i=1][t=0][c=2][p=1]: flat ((1*3 + 0)*4 + 2)*5 + 1 = 71; column (0*2 + 1)*5 + 1 = 6.
  EXPECT_EQ(v[71], 2006.0f);
  for (int i = 0; i < n; ++i)
    for (int t = 0; t < T; ++t)
      for (int c = 0; c < C; ++c)
        for (int p = 0; p < S; ++p)
          ASSERT_EQ(v[static_cast<std::size_t>(((i * T + t) * C + c) * S + p)], m(c, (t * n + i) * S + p));
}

TEST(ScoresFileTest, InputsAndDeltasLayout) {
  const int n = 3, S = 4;
  Mat x(4, n * S);
  for (int c = 0; c < 4; ++c)
    for (int col = 0; col < x.cols(); ++col) x(c, col) = static_cast<float>(c * 100 + col);
  const auto v = to_ncs(x, n, S);
  // [i=2][c=1][p=3] = flat (2*4 + 1)*4 + 3 = 39; column 2*4 + 3 = 11.
  EXPECT_EQ(v[39], 111.0f);
  Mat d(2, n);  // T x n
  d << 1, 2, 3, 4, 5, 6;
  // (n, T): [i][t] = d(t, i).
  EXPECT_EQ(to_nt(d), (std::vector<float>{1, 4, 2, 5, 3, 6}));
}

TEST(ScoresFileTest, ArchiveNamesAndShapes) {
  const int n = 2, T = 3, L = 5;
  MethodResult dl;
  dl.contributions = Mat::Zero(4, T * n * L);
  dl.hypothetical = Mat::Zero(4, T * n * L);
  dl.delta = Mat::Zero(T, n);
  MethodResult ism;
  ism.contributions = Mat::Zero(4, T * n * L);
  ism.ism = Mat::Zero(4, T * n * L);
  const std::vector<ScoredMethod> methods{{"deeplift:genomics", dl}, {"ism", ism}};
  const std::vector<std::string> ids{"a", "bb"};
  const std::vector<int> tasks{0, 1, 2};
  const auto a = scores_archive(ids, Mat::Zero(4, n * L), model::Shape{4, 1, L}, tasks, methods);
  std::vector<std::string> names;
  for (const auto& [name, arr] : a) names.push_back(name + " " + arr.shape_str() + " " + arr.dtype);
  EXPECT_EQ(names, (std::vector<std::string>{"ids (2,) <U2", "onehot (2,4,5) <f4", "tasks (3,) <i8",
                                             "deeplift:genomics (2,3,4,5) <f4",
                                             "deeplift:genomics.hypothetical (2,3,4,5) <f4",
                                             "deeplift:genomics.delta (2,3) <f4", "ism (2,3,4,5) <f4",
                                             "ism.ism (2,3,4,5) <f4"}));
}


// ---- parsing and validation -------------------------------------------------------------

model::Network small_net(std::uint64_t seed = 3, int len = 24) {
  model::ModelConfig mc;
  mc.layers = "conv1=conv1d(6,5) relu conv2=conv1d(4,3) relu gap fc1=dense(5) relu fc2=dense(3)";
  model::Network net = model::Network::from_config(mc, model::Shape{4, 1, len});
  net.init(seed, model::InitScheme::PyTorch);
  return net;
}

TEST(MethodsTest, ParseMethodsNamesKindsAndReferences) {
  const auto net = small_net();
  AttributionConfig cfg;
  cfg.reference = "zeros";
  const auto ms = parse_methods(
      "grad, grad_x_input,ig,guided_backprop@background,deeplift:rescale,deeplift:genomics@dinuc_shuffle,"
      "deeplift:revealcancel@shuffle,ism",
      net, cfg);
  ASSERT_EQ(ms.size(), 8u);
  using K = Method::Kind;
  const std::vector<std::pair<std::string, K>> expected{
      {"grad", K::Grad},         {"grad_x_input", K::GradXInput},
      {"ig", K::Ig},             {"guided_backprop@background", K::GuidedBackprop},
      {"deeplift:rescale", K::Deeplift}, {"deeplift:genomics@dinuc_shuffle", K::Deeplift},
      {"deeplift:revealcancel@shuffle", K::Deeplift}, {"ism", K::Ism}};
  for (std::size_t i = 0; i < ms.size(); ++i) {
    EXPECT_EQ(ms[i].name, expected[i].first);
    EXPECT_EQ(ms[i].kind, expected[i].second) << ms[i].name;
  }
  EXPECT_EQ(ms[1].reference, ReferenceKind::Zeros);  // the config's
  EXPECT_EQ(ms[3].reference, ReferenceKind::Background);
  EXPECT_EQ(ms[5].reference, ReferenceKind::DinucShuffle);
  EXPECT_EQ(ms[6].reference, ReferenceKind::Shuffle);
  EXPECT_EQ(ms[4].rules.by_layer, parse_rules(net, "rescale").by_layer);
  EXPECT_EQ(ms[5].rules.by_layer, parse_rules(net, "genomics").by_layer);
  EXPECT_EQ(ms[6].rules.by_layer, parse_rules(net, "revealcancel").by_layer);
}

TEST(MethodsTest, ParseMethodsExplicitRulesWithSemicolons) {
  const auto net = small_net();
  const auto ms = parse_methods("deeplift:conv1=rs;conv2=rc;fc1=rc@zeros,grad", net, AttributionConfig{});
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_EQ(ms[0].name, "deeplift:conv1=rs;conv2=rc;fc1=rc@zeros");
  EXPECT_EQ(ms[0].reference, ReferenceKind::Zeros);
  EXPECT_EQ(ms[0].rules.by_layer, parse_rules(net, "conv1=rs,conv2=rc,fc1=rc").by_layer);
  EXPECT_NE(ms[0].rules.by_layer, parse_rules(net, "rescale").by_layer);
}

TEST(MethodsTest, ParseMethodsErrors) {
  const auto net = small_net();
  const AttributionConfig cfg;
  EXPECT_THROW_MSG(parse_methods("grad,deeplft:rescale", net, cfg), ConfigError,
                   "attribution.methods: unknown method 'deeplft:rescale'; expected one of grad, abs_grad, "
                   "grad_x_input, ig[:<steps>], guided_backprop, guided_grad, deeplift:<rules>, ism, smoothgrad, "
                   "smoothgrad_x_input, expected_gradients, got 'deeplft:rescale'");
  EXPECT_THROW_MSG(parse_methods("grad_x_input:5", net, cfg), ConfigError,
                   "attribution.methods: unknown method 'grad_x_input:5'; expected one of grad, abs_grad, "
                   "grad_x_input, ig[:<steps>], guided_backprop, guided_grad, deeplift:<rules>, ism, smoothgrad, "
                   "smoothgrad_x_input, expected_gradients, got 'grad_x_input:5'");
  EXPECT_THROW_MSG(parse_methods("deeplift:rescale@ones", net, cfg), ConfigError,
                   "attribution.methods: unknown reference 'ones' in 'deeplift:rescale@ones'; expected zeros, "
                   "background, shuffle or dinuc_shuffle, got 'ones'");
  EXPECT_THROW_MSG(parse_methods("ism@zeros", net, cfg), ConfigError,
                   "attribution.methods: method 'ism' takes no reference; expected 'ism', got 'ism@zeros'");
  EXPECT_THROW_MSG(parse_methods("deeplift", net, cfg), ConfigError,
                   "attribution.methods: 'deeplift' needs rules; expected deeplift:<rules> with rescale, "
                   "revealcancel, genomics or layer=rule;..., got 'deeplift'");
  EXPECT_THROW_MSG(parse_methods("ig, grad, ig", net, cfg), ConfigError,
                   "attribution.methods: duplicate method 'ig'; expected each method once, got 'ig' twice");
  EXPECT_THROW_MSG(parse_methods(" ", net, cfg), ConfigError,
                   "attribution.methods: empty method list; expected at least one method, got ' '");
  EXPECT_THROW_MSG(parse_methods("grad,,ig", net, cfg), ConfigError,
                   "attribution.methods: empty method in the list; expected names separated by single commas, got "
                   "'grad,,ig'");
  // A bad rule spec is parse_rules' error.
  EXPECT_THROW(parse_methods("deeplift:conv9=rs", net, cfg), ConfigError);
}

// The kinds of the paper's MNIST benchmark: abs_grad, guided_grad and ig:<steps>.
TEST(MethodsTest, ParseErasureKindsAndIgSteps) {
  const auto net = small_net();
  AttributionConfig cfg;
  const auto ms = parse_methods("abs_grad,guided_grad+gc,ig:5@zeros, ig:7 ", net, cfg);
  ASSERT_EQ(ms.size(), 4u);
  using K = Method::Kind;
  EXPECT_EQ(ms[0].kind, K::AbsGrad);
  EXPECT_EQ(ms[1].kind, K::GuidedGrad);
  EXPECT_TRUE(ms[1].gradient_correction);
  EXPECT_EQ(ms[2].kind, K::Ig);
  EXPECT_EQ(ms[2].ig_steps, 5);
  EXPECT_EQ(ms[2].reference, ReferenceKind::Zeros);
  EXPECT_EQ(ms[2].name, "ig:5@zeros");
  EXPECT_EQ(parse_methods("ig", net, cfg)[0].ig_steps, 0);  // attribution.ig_steps
  EXPECT_FALSE(uses_reference(K::AbsGrad) || uses_reference(K::GuidedGrad) || has_delta(K::AbsGrad));
  EXPECT_EQ(method_reference_label("abs_grad", "background"), "none");
  EXPECT_EQ(method_reference_label("ig:5", "background"), "background");
  EXPECT_EQ(parse_method(" deeplift:[dense]=rc@zeros ", net, cfg).rules.by_layer,
            parse_rules(net, "fc1=rc").by_layer);
  EXPECT_EQ(method_kind_list(),
            "grad, abs_grad, grad_x_input, ig[:<steps>], guided_backprop, guided_grad, deeplift:<rules>, ism, "
            "smoothgrad, smoothgrad_x_input, expected_gradients");

  EXPECT_THROW_MSG(parse_methods("ig:0", net, cfg), ConfigError,
                   "attribution.methods: bad step count in 'ig:0'; expected ig:<steps> with an integer >= 1, got '0'");
  EXPECT_THROW_MSG(parse_methods("ig:", net, cfg), ConfigError,
                   "attribution.methods: bad step count in 'ig:'; expected ig:<steps> with an integer >= 1, got ''");
  EXPECT_THROW_MSG(parse_methods("ig:5x@zeros", net, cfg), ConfigError,
                   "attribution.methods: bad step count in 'ig:5x@zeros'; expected ig:<steps> with an integer >= 1, "
                   "got '5x'");
  cfg.ig_rule = "trapezoid";
  EXPECT_THROW_MSG(parse_methods("ig:1", net, cfg), ConfigError,
                   "attribution.methods: bad step count in 'ig:1'; expected ig:<steps> with an integer >= 2, got '1'");
  EXPECT_THROW_MSG(parse_methods("abs_grad@zeros", net, cfg), ConfigError,
                   "attribution.methods: method 'abs_grad' takes no reference; expected 'abs_grad', got "
                   "'abs_grad@zeros'");
}

// abs_grad is |gradient| where the input is nonzero; guided_grad the guided multipliers; ig:<steps>
// the engine's IG with those steps whatever attribution.ig_steps says. On a 1-channel input
// (not one-hot: no hypothetical scores, no projection) with some zero pixels, bit for bit.
TEST(MethodsTest, ErasureKindsEqualTheEngine) {
  model::ModelConfig mc;
  mc.layers = "conv1=conv2d(3,3,3,1,1) relu flatten fc1=dense(6) relu fc2=dense(4)";
  mc.output = "softmax";
  model::Network net = model::Network::from_config(mc, model::Shape{1, 5, 5});
  net.init(7);
  const int n = 19, S = 25;
  Rng rng(9);
  Mat x(1, n * S);
  for (Eigen::Index j = 0; j < x.cols(); ++j) x(0, j) = rng.uniform() < 0.4 ? 0.0f : static_cast<float>(rng.uniform());
  AttributionConfig cfg;
  cfg.reference = "zeros";
  cfg.chunk = 4;
  const std::vector<int> tasks{3, 1};
  const Mat xt = x.replicate(1, 2);  // the input under each task's block
  const Mat g = gradient_multipliers(net, x, n, tasks, false);
  const Mat abs = (xt.array() != 0.0f).select(g.cwiseAbs(), 0.0f);
  EXPECT_EQ(run_method(parse_method("abs_grad", net, cfg), net, x, n, tasks, cfg).contributions, abs);
  const auto gg = run_method(parse_method("guided_grad", net, cfg), net, x, n, tasks, cfg);
  EXPECT_EQ(gg.contributions, gradient_multipliers(net, x, n, tasks, true));
  EXPECT_EQ(gg.hypothetical.size() + gg.delta.size(), 0);
  const Reference z = zero_reference(1, S);
  Mat dl;
  const Mat ig = integrated_gradients(net, x, z, n, tasks, 5, IgRule::Midpoint, &dl);
  const auto r = run_method(parse_method("ig:5", net, cfg), net, x, n, tasks, cfg);
  EXPECT_EQ(r.contributions, contributions(ig, x, z, n, 2, S));
  EXPECT_EQ(r.delta, summation_error(contributions(ig, x, z, n, 2, S), dl, n, S));
  EXPECT_NE(cfg.ig_steps, 5);
}

// Layer groups by the kind of the feeding linear layer, whatever the names.
TEST(MethodsTest, RuleGroupsByLayerKind) {
  model::ModelConfig mc;
  // 0 relu (fed by nothing) 1 a 2 relu 3 b 4 c 5 relu 6 gap 7 dropout 8 d 9 relu 10 e
  mc.layers = "relu a=conv1d(3,3) relu b=conv1d(3,3) c=conv1d(3,3) relu gap dropout(0.1) d=dense(4) relu e=dense(2)";
  model::Network net = model::Network::from_config(mc, model::Shape{4, 1, 20});
  net.init(1);
  const auto rules = [&](const char* spec) { return parse_rules(net, spec).by_layer; };
  using R = Rule;
  EXPECT_EQ(rules("[first_conv]=rc"), (std::vector<R>{R::Rescale, R::Rescale, R::RevealCancel, R::Rescale, R::Rescale,
                                                      R::Rescale, R::Rescale, R::Rescale, R::Rescale, R::Rescale,
                                                      R::Rescale}));
  EXPECT_EQ(rules("[later_conv]=rc"), rules("c=rc"));
  EXPECT_EQ(rules("[conv]=rc"), rules("a=rc,c=rc"));
  EXPECT_EQ(rules("[dense]=rc"), rules("d=rc"));
  EXPECT_EQ(rules("[dense]=rc"), rules("genomics"));
  EXPECT_EQ(rules("[conv]=rc;[dense]=rc")[0], R::Rescale);  // the ReLU no linear layer feeds
  EXPECT_EQ(rules("[first_conv]=rs;[later_conv]=rc;[dense]=rc"), rules("a=rs;c=rc;d=rc"));
  EXPECT_EQ(rules("[dense] = rc, a=rc"), rules("a=rc,d=rc"));
  // A group that matches nothing is allowed (an MLP has no convolution).
  model::ModelConfig mlp;
  mlp.layers = "flatten fc1=dense(3) relu fc2=dense(2)";
  const model::Network m2 = model::Network::from_config(mlp, model::Shape{1, 2, 2});
  EXPECT_EQ(parse_rules(m2, "[conv]=rc;[dense]=rc").by_layer, parse_rules(m2, "fc1=rc").by_layer);
  EXPECT_THROW_MSG(parse_rules(net, "[fc]=rc"), ConfigError,
                   "attribution: bad rule spec '[fc]=rc'; expected a layer group [first_conv], [later_conv], [conv] or "
                   "[dense], got '[fc]'");
  EXPECT_THROW_MSG(parse_rules(net, "[conv]=rc,a=rs"), ConfigError,
                   "attribution: bad rule spec '[conv]=rc,a=rs'; expected each nonlinearity once, got 'a' (relu2) "
                   "twice");
  EXPECT_THROW_MSG(parse_rules(net, "[conv]=rc,[first_conv]=rs"), ConfigError,
                   "attribution: bad rule spec '[conv]=rc,[first_conv]=rs'; expected each nonlinearity once, got "
                   "'[first_conv]' (relu2) twice");
}

// The registry is the one list of kinds: every row is documented in docs/attribution.md's table
// and docs/cli.md's, and the "expected one of" of the errors is built from it.
TEST(MethodsTest, EveryRegistryKindIsDocumented) {
  const std::string attribution_md = lb::testing::read_text(std::string(LB_SOURCE_DIR) + "/docs/attribution.md");
  const std::string cli_md = lb::testing::read_text(std::string(LB_SOURCE_DIR) + "/docs/cli.md");
  for (const auto& k : method_kinds()) {
    const std::string row = "\n| `" + std::string(k.name);
    EXPECT_NE(attribution_md.find(row), std::string::npos) << k.name << " missing from docs/attribution.md";
    EXPECT_NE(cli_md.find(row), std::string::npos) << k.name << " missing from docs/cli.md";
    EXPECT_NE(method_kind_list().find(std::string(k.name)), std::string::npos) << k.name;
    EXPECT_EQ(&method_kind_info(k.kind), &k);
  }
}

// Each row computes through exactly the function its reference calls for, parses an argument
// only when it has one, and a delta is exact only where one is kept: nothing falls through to a
// default computation.
TEST(MethodsTest, EveryRegistryKindHasTheFunctionsItsRowPromises) {
  std::set<Method::Kind> kinds;
  for (const auto& k : method_kinds()) {
    SCOPED_TRACE(std::string(k.name));
    EXPECT_TRUE(kinds.insert(k.kind).second) << "two rows for one kind";
    EXPECT_EQ(k.map != nullptr, !k.uses_reference);
    EXPECT_EQ(k.multipliers != nullptr, k.uses_reference);
    EXPECT_EQ(k.parse_argument != nullptr, !k.argument.empty());
    EXPECT_FALSE(k.argument_required && k.argument.empty());
    EXPECT_FALSE(k.exact_delta && !k.has_delta);
    EXPECT_FALSE(k.full_map && k.uses_reference);
    EXPECT_FALSE(k.needs_shuffled_reference && !k.uses_reference);
    EXPECT_FALSE(k.summary.empty());
  }
}

TEST(MethodsTest, ValidateNamesTheOption) {
  const auto bad = [](auto change) {
    AttributionConfig c;
    change(c);
    return c;
  };
  EXPECT_NO_THROW(validate(AttributionConfig{}));
  EXPECT_THROW_MSG(validate(bad([](auto& c) { c.reference = "random"; })), ConfigError,
                   "attribution.reference: unknown reference; expected zeros, background, shuffle or dinuc_shuffle, "
                   "got 'random'");
  EXPECT_THROW_MSG(validate(bad([](auto& c) { c.n_shuffles = 0; })), ConfigError,
                   "attribution.n_shuffles: too small; expected a value >= 1, got 0");
  EXPECT_THROW_MSG(validate(bad([](auto& c) { c.ig_steps = 0; })), ConfigError,
                   "attribution.ig_steps: too small; expected a value >= 1, got 0");
  EXPECT_THROW_MSG(validate(bad([](auto& c) { c.ig_rule = "simpson"; })), ConfigError,
                   "attribution.ig_rule: unknown rule; expected midpoint, trapezoid or gauss_legendre, got 'simpson'");
  EXPECT_THROW_MSG(validate(bad([](auto& c) { c.ig_rule = "trapezoid", c.ig_steps = 1; })), ConfigError,
                   "attribution.ig_steps (trapezoid): too small; expected a value >= 2, got 1");
  EXPECT_THROW_MSG(validate(bad([](auto& c) { c.near_zero = 0; })), ConfigError,
                   "attribution.near_zero: must be positive; expected a value > 0, got 0");
  EXPECT_THROW_MSG(validate(bad([](auto& c) { c.delta_warn = -1; })), ConfigError,
                   "attribution.delta_warn: must be non-negative; expected a value >= 0, got -1");
  EXPECT_THROW_MSG(validate(bad([](auto& c) { c.chunk = 0; })), ConfigError,
                   "attribution.chunk: too small; expected a value >= 1, got 0");
  EXPECT_THROW_MSG(validate(bad([](auto& c) { c.methods = "grad,saliency"; })), ConfigError,
                   "attribution.methods: unknown method 'saliency'; expected one of grad, abs_grad, "
                   "grad_x_input, ig[:<steps>], guided_backprop, guided_grad, deeplift:<rules>, ism, smoothgrad, "
                   "smoothgrad_x_input, expected_gradients, got 'saliency'");
  // The background's own check, with this option's name.
  try {
    validate(bad([](auto& c) { c.background = {0.3, 0.2, 0.2, 0.4}; }));
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("attribution.background: ", 0), 0u) << e.what();
  }
}

// ---- run_method against the engine --------------------------------------------------------

constexpr int kLen = 24, kN = 7;
const std::vector<int> kTasks{0, 1, 2};

AttributionConfig chunked(int chunk = 3) {
  AttributionConfig c;
  c.chunk = chunk;  // 7 sequences in chunks of 3, 3, 1: the column bookkeeping of every chunk is exercised
  return c;
}

Method method(const model::Network& net, const std::string& name, const AttributionConfig& cfg) {
  return parse_methods(name, net, cfg).front();
}

// Hypothetical contributions (4 x T*n*L) at the observed base of one-hot x (4 x n*L), 0 elsewhere:
// what run_method stores as the actual contributions of one-hot input.
Mat at_observed(const Mat& hyp, const Mat& x, int n, int n_tasks, int len) {
  Mat out(hyp.rows(), hyp.cols());
  for (int t = 0; t < n_tasks; ++t)
    out.middleCols(t * n * len, n * len) = hyp.middleCols(t * n * len, n * len).cwiseProduct(x);
  return out;
}

// Per-position sums over the 4 channels (1 x T*n*L).
Mat position_sums(const Mat& c) { return c.colwise().sum(); }

TEST(MethodsTest, OneReferenceEqualsTheEngine) {
  const auto net = small_net();
  const Mat x = random_one_hot(kN, kLen, 11);
  AttributionConfig cfg = chunked();
  const Reference bg = background_reference(cfg.background, kLen);
  const auto res = run_method(method(net, "deeplift:genomics", cfg), net, x, kN, kTasks, cfg);
  Mat dl;
  const Mat m = deeplift_multipliers(net, x, bg, kN, kTasks, parse_rules(net, "genomics"), {cfg.near_zero}, &dl);
  const Mat c = contributions(m, x, bg, kN, 3, kLen);
  const Mat h = hypothetical_contributions(m, bg, kN, 3, kLen);
  EXPECT_TRUE(res.hypothetical.isApprox(h, 1e-5f));
  // The actual contribution is the hypothetical one at the observed base, 0 elsewhere; per
  // position it sums to the engine's m ⊙ (x - r).
  EXPECT_TRUE(res.contributions.isApprox(at_observed(h, x, kN, 3, kLen), 1e-5f));
  EXPECT_LE((position_sums(res.contributions) - position_sums(c)).cwiseAbs().maxCoeff(), 1e-5f);
  const Mat err = summation_error(c, dl, kN, kLen);
  ASSERT_EQ(res.delta.rows(), 3);
  ASSERT_EQ(res.delta.cols(), kN);
  EXPECT_LE((res.delta - err).cwiseAbs().maxCoeff(), 1e-5f);
  EXPECT_NEAR(res.max_abs_delta, err.cwiseAbs().maxCoeff(), 1e-6);
  EXPECT_EQ(res.n_references, 1);

  // grad: the plain gradient, no hypothetical, no delta.
  const auto g = run_method(method(net, "grad", cfg), net, x, kN, kTasks, cfg);
  EXPECT_TRUE(g.contributions.isApprox(gradient_multipliers(net, x, kN, kTasks), 1e-5f));
  EXPECT_EQ(g.hypothetical.size(), 0);
  EXPECT_EQ(g.delta.size(), 0);

  // guided_backprop with zeros: guided gradient times x.
  const auto gb = run_method(method(net, "guided_backprop@zeros", cfg), net, x, kN, kTasks, cfg);
  const Reference z = zero_reference(4, kLen);
  EXPECT_TRUE(gb.contributions.isApprox(contributions(gradient_multipliers(net, x, kN, kTasks, true), x, z, kN, 3, kLen), 1e-5f));
  EXPECT_TRUE(gb.contributions.isApprox(at_observed(gb.hypothetical, x, kN, 3, kLen), 1e-6f));
  EXPECT_EQ(gb.delta.size(), 0);

  // ig: the engine's IG with the configured steps and rule.
  const auto ig = run_method(method(net, "ig", cfg), net, x, kN, kTasks, cfg);
  Mat dli;
  const Mat mi = integrated_gradients(net, x, bg, kN, kTasks, cfg.ig_steps, IgRule::Midpoint, &dli);
  EXPECT_TRUE(ig.contributions.isApprox(at_observed(hypothetical_contributions(mi, bg, kN, 3, kLen), x, kN, 3, kLen), 1e-5f));
  EXPECT_LE((position_sums(ig.contributions) - position_sums(contributions(mi, x, bg, kN, 3, kLen))).cwiseAbs().maxCoeff(), 1e-5f);
  EXPECT_EQ(ig.delta.size(), 3 * kN);
}

// Sequence s's references are shuffle_one_hot's draws from its own stream; the result is
// the mean over them of the single-reference results, and K = 1 is the single-reference method.
TEST(MethodsTest, MultirefAveragesSingleReferenceRuns) {
  const auto net = small_net();
  const Mat x = random_one_hot(kN, kLen, 12);
  for (int K : {1, 3}) {
    AttributionConfig cfg = chunked();
    cfg.n_shuffles = K;
    cfg.seed = 5;
    const std::uint64_t first = 100;
    const auto res = run_method(method(net, "deeplift:rescale@dinuc_shuffle", cfg), net, x, kN, kTasks, cfg, first);
    EXPECT_EQ(res.n_references, K);
    const Mat sh = sim::shuffle_one_hot(x, kN, kLen, sim::ShuffleKind::Dinuc, K, 5, first);
    Mat sum_c = Mat::Zero(4, 3 * kN * kLen), sum_h = sum_c, sum_e = Mat::Zero(3, kN);
    double max_err = 0;
    for (int j = 0; j < K; ++j) {
      Reference r{Mat(4, kN * kLen), false};
      for (int s = 0; s < kN; ++s) r.values.middleCols(s * kLen, kLen) = sh.middleCols((s * K + j) * kLen, kLen);
      Mat dl;
      const Mat m = deeplift_multipliers(net, x, r, kN, kTasks, parse_rules(net, "rescale"), {cfg.near_zero}, &dl);
      const Mat c = contributions(m, x, r, kN, 3, kLen);
      const Mat h = hypothetical_contributions(m, r, kN, 3, kLen);
      sum_c += at_observed(h, x, kN, 3, kLen);
      sum_h += h;
      const Mat e = summation_error(c, dl, kN, kLen);
      sum_e += e;
      max_err = std::max(max_err, static_cast<double>(e.cwiseAbs().maxCoeff()));
    }
    const float inv = 1.0f / static_cast<float>(K);
    EXPECT_TRUE(res.contributions.isApprox(sum_c * inv, 1e-5f)) << K;
    EXPECT_TRUE(res.hypothetical.isApprox(sum_h * inv, 1e-5f)) << K;
    EXPECT_LE((res.delta - sum_e * inv).cwiseAbs().maxCoeff(), 1e-5f) << K;
    EXPECT_NEAR(res.max_abs_delta, max_err, 1e-6) << K;
  }
}

// K identical references average to the result of one (Multiref-n with n copies of r is r).
TEST(MethodsTest, MultirefOfIdenticalReferencesEqualsOne) {
  const auto net = small_net();
  const Mat x = random_one_hot(kN, kLen, 16);
  const AttributionConfig cfg;
  // A per-sample reference: each sequence's own mono shuffle.
  const Reference r{sim::shuffle_one_hot(x, kN, kLen, sim::ShuffleKind::Mono, 1, 9), false};
  const std::vector<Reference> one{r}, five(5, r);
  for (const char* name : {"deeplift:revealcancel", "grad_x_input", "ig", "guided_backprop"}) {
    const auto a = run_with_references(method(net, name, cfg), net, x, kN, kTasks, cfg, one);
    const auto b = run_with_references(method(net, name, cfg), net, x, kN, kTasks, cfg, five);
    EXPECT_TRUE(b.contributions.isApprox(a.contributions, 1e-5f)) << name;
    EXPECT_TRUE(b.hypothetical.isApprox(a.hypothetical, 1e-5f)) << name;
    ASSERT_EQ(a.delta.size(), b.delta.size());
    if (a.delta.size()) {
      EXPECT_LE((a.delta - b.delta).cwiseAbs().maxCoeff(), 1e-5f) << name;
    }
    EXPECT_EQ(a.max_abs_delta, b.max_abs_delta) << name;
    EXPECT_EQ(b.n_references, 5);
  }
}

// The summation error of each reference is checked before averaging: with IG at one midpoint
// step the errors of different references differ, and the max over references exceeds the
// max of their mean.
TEST(MethodsTest, MaxErrorIsTrackedBeforeAveraging) {
  const auto net = small_net();
  const Mat x = random_one_hot(kN, kLen, 13);
  AttributionConfig cfg = chunked();
  cfg.n_shuffles = 4;
  cfg.ig_steps = 1;
  const auto res = run_method(method(net, "ig@shuffle", cfg), net, x, kN, kTasks, cfg);
  const Mat sh = sim::shuffle_one_hot(x, kN, kLen, sim::ShuffleKind::Mono, 4, cfg.seed, 0);
  double max_err = 0, max_rel = 0;
  int worst_seq = -1, worst_task = -1, worst_ref = -1;
  for (int j = 0; j < 4; ++j) {
    Reference r{Mat(4, kN * kLen), false};
    for (int s = 0; s < kN; ++s) r.values.middleCols(s * kLen, kLen) = sh.middleCols((s * 4 + j) * kLen, kLen);
    Mat dl;
    const Mat m = integrated_gradients(net, x, r, kN, kTasks, 1, IgRule::Midpoint, &dl);
    const Mat e = summation_error(contributions(m, x, r, kN, 3, kLen), dl, kN, kLen);
    for (int s = 0; s < kN; ++s)
      for (int t = 0; t < 3; ++t) {
        max_err = std::max(max_err, std::fabs(static_cast<double>(e(t, s))));
        const double rel = std::fabs(static_cast<double>(e(t, s))) / std::max(std::fabs(static_cast<double>(dl(t, s))), 1.0);
        if (rel > max_rel) max_rel = rel, worst_seq = s, worst_task = t, worst_ref = j;
      }
  }
  EXPECT_NEAR(res.max_abs_delta, max_err, 1e-5 * std::max(1.0, max_err));
  EXPECT_NEAR(res.max_rel_delta, max_rel, 1e-5 * std::max(1.0, max_rel));
  EXPECT_EQ(res.worst_sequence, worst_seq);
  EXPECT_EQ(res.worst_task, worst_task);
  EXPECT_EQ(res.worst_reference, worst_ref);
  // Averaging would have hidden part of it.
  EXPECT_GT(res.max_abs_delta, static_cast<double>(res.delta.cwiseAbs().maxCoeff()));
}

// ISM: the full map is the engine's; the contribution is -(mean of the 3 substitutions) at the
// observed base and 0 elsewhere.
TEST(MethodsTest, IsmContributionIsMinusMeanSubstitutionAtObservedBase) {
  const auto net = small_net();
  const Mat x = random_one_hot(kN, kLen, 14);
  const AttributionConfig cfg = chunked();
  const auto res = run_method(method(net, "ism", cfg), net, x, kN, kTasks, cfg);
  const Mat ism = in_silico_mutagenesis(net, x, kN, kTasks);
  EXPECT_TRUE(res.ism.isApprox(ism, 1e-5f));
  EXPECT_EQ(res.hypothetical.size(), 0);
  EXPECT_EQ(res.delta.size(), 0);
  for (int t = 0; t < 3; ++t)
    for (int i = 0; i < kN; ++i)
      for (int l = 0; l < kLen; ++l) {
        const int col = (t * kN + i) * kLen + l;
        int obs = 0;
        while (x(obs, i * kLen + l) != 1.0f) ++obs;
        for (int b = 0; b < 4; ++b) {
          const float expected = b == obs ? -(ism.col(col).sum() - ism(obs, col)) / 3.0f : 0.0f;
          ASSERT_NEAR(res.contributions(b, col), expected, 1e-5f) << t << " " << i << " " << l << " " << b;
        }
      }
}

TEST(MethodsTest, ThreadCountDoesNotChangeResults) {
  const auto net = small_net();
  const Mat x = random_one_hot(kN, kLen, 15);
  AttributionConfig cfg = chunked(2);
  cfg.n_shuffles = 2;
  for (const char* name : {"deeplift:genomics@dinuc_shuffle", "ism", "ig"}) {
    set_threads(1);
    const auto a = run_method(method(net, name, cfg), net, x, kN, kTasks, cfg);
    set_threads(2);
    const auto b = run_method(method(net, name, cfg), net, x, kN, kTasks, cfg);
    set_threads(1);
    EXPECT_EQ(a.contributions, b.contributions) << name;
    EXPECT_EQ(a.hypothetical, b.hypothetical) << name;
    EXPECT_EQ(a.delta, b.delta) << name;
    EXPECT_EQ(a.max_abs_delta, b.max_abs_delta) << name;
  }
}

TEST(MethodsTest, RunMethodErrors) {
  model::ModelConfig mc;
  mc.layers = "conv1=conv2d(2,3,3) relu flatten fc1=dense(3)";
  mc.output = "softmax";
  model::Network img = model::Network::from_config(mc, model::Shape{1, 5, 5});
  img.init(1);
  const AttributionConfig cfg;
  const Mat x = Mat::Ones(1, 2 * 25);
  EXPECT_THROW_MSG(run_method(method(img, "grad_x_input@background", cfg), img, x, 2, kTasks, cfg), ConfigError,
                   "attribution.reference: background needs one-hot DNA input (4 x L); expected zeros for a 1x5x5 "
                   "input, got 'background' (method 'grad_x_input@background')");
  EXPECT_THROW_MSG(run_method(method(img, "ism", cfg), img, x, 2, kTasks, cfg), ConfigError,
                   "attribution.methods: ism needs one-hot DNA input (4 x L); expected a 4xL model input, got 1x5x5");
  // Zeros work on any input; no hypothetical contributions for images.
  const auto r = run_method(method(img, "deeplift:rescale@zeros", cfg), img, x, 2, kTasks, cfg);
  EXPECT_EQ(r.contributions.rows(), 1);
  EXPECT_EQ(r.contributions.cols(), 3 * 2 * 25);
  EXPECT_EQ(r.hypothetical.size(), 0);
  // Appendix K on a one-channel image would zero the first layer (W' = W - W): refused.
  AttributionConfig wn = cfg;
  wn.weight_normalize = true;
  EXPECT_THROW_MSG(run_method(method(img, "deeplift:rescale@zeros", wn), img, x, 2, kTasks, wn), ConfigError,
                   "attribution.weight_normalize: needs one-hot DNA input; expected a 4xL model input, got 1x5x5");
  const auto net = small_net();
  AttributionConfig mean = cfg;
  mean.mean_normalize = true;
  EXPECT_THROW_MSG(run_method(method(net, "grad", mean), net, random_one_hot(1, kLen, 1), 1, kTasks, mean), ConfigError,
                   "attribution.mean_normalize: centres the logits of a softmax model; expected model.output = "
                   "softmax, got sigmoid");
}


// ---- Methods beyond the paper and the modifiers (docs/attribution.md) ---------------------

TEST(MethodsTest, ParseModifiersAndNewKinds) {
  const auto net = small_net();
  AttributionConfig cfg;
  const auto ms = parse_methods(
      "smoothgrad,smoothgrad_x_input@zeros,expected_gradients,expected_gradients@shuffle,grad+gc,"
      "deeplift:rescale+gc+rcavg@zeros,ig+rcavg,deeplift:conv1=rs;conv2=rc+gc",
      net, cfg);
  ASSERT_EQ(ms.size(), 8u);
  using K = Method::Kind;
  EXPECT_EQ(ms[0].kind, K::SmoothGrad);
  EXPECT_EQ(ms[1].kind, K::SmoothGradXInput);
  EXPECT_EQ(ms[1].reference, ReferenceKind::Zeros);
  EXPECT_EQ(ms[2].kind, K::ExpectedGradients);
  EXPECT_EQ(ms[2].reference, ReferenceKind::DinucShuffle);  // its own default, not attribution.reference
  EXPECT_EQ(ms[3].reference, ReferenceKind::Shuffle);
  EXPECT_TRUE(ms[4].gradient_correction);
  EXPECT_FALSE(ms[4].revcomp_average);
  EXPECT_EQ(ms[5].kind, K::Deeplift);
  EXPECT_TRUE(ms[5].gradient_correction && ms[5].revcomp_average);
  EXPECT_EQ(ms[5].reference, ReferenceKind::Zeros);
  EXPECT_EQ(ms[5].rules.by_layer, parse_rules(net, "rescale").by_layer);
  EXPECT_TRUE(ms[6].revcomp_average && !ms[6].gradient_correction);
  EXPECT_EQ(ms[7].rules.by_layer, parse_rules(net, "conv1=rs,conv2=rc").by_layer);
  EXPECT_TRUE(ms[7].gradient_correction);
  EXPECT_FALSE(has_delta(ms[5]));  // +gc drops the delta
  EXPECT_TRUE(has_delta(ms[6]));
  EXPECT_TRUE(has_delta(ms[2]));
  // The config switches apply to every method (ism excepted for the correction).
  cfg.gradient_correction = cfg.revcomp_average = true;
  const auto all = parse_methods("grad,ism", net, cfg);
  EXPECT_TRUE(all[0].gradient_correction && all[0].revcomp_average);
  EXPECT_TRUE(!all[1].gradient_correction && all[1].revcomp_average);
}

TEST(MethodsTest, ParseModifierErrors) {
  const auto net = small_net();
  const AttributionConfig cfg;
  EXPECT_THROW_MSG(parse_methods("grad+gradcorr", net, cfg), ConfigError,
                   "attribution.methods: unknown modifier '+gradcorr' in 'grad+gradcorr'; expected +gc or +rcavg, got "
                   "'+gradcorr'");
  EXPECT_THROW_MSG(parse_methods("ig+gc+gc", net, cfg), ConfigError,
                   "attribution.methods: modifier '+gc' twice in 'ig+gc+gc'; expected each modifier once, got "
                   "'ig+gc+gc'");
  EXPECT_THROW_MSG(parse_methods("ism+gc", net, cfg), ConfigError,
                   "attribution.methods: +gc corrects gradients and hypothetical scores; expected a gradient-based "
                   "method, got 'ism+gc'");
  EXPECT_THROW_MSG(parse_methods("expected_gradients@zeros", net, cfg), ConfigError,
                   "attribution.methods: expected_gradients averages over shuffled references; expected @shuffle or "
                   "@dinuc_shuffle, got 'expected_gradients@zeros'");
  EXPECT_THROW_MSG(parse_methods("smoothgrad@background", net, cfg), ConfigError,
                   "attribution.methods: method 'smoothgrad' takes no reference; expected 'smoothgrad', got "
                   "'smoothgrad@background'");
  AttributionConfig bad = cfg;
  bad.smoothgrad_samples = 0;
  EXPECT_THROW_MSG(validate(bad), ConfigError, "attribution.smoothgrad_samples: too small; expected a value >= 1, got 0");
  bad = cfg;
  bad.smoothgrad_noise = -0.1;
  EXPECT_THROW_MSG(validate(bad), ConfigError,
                   "attribution.smoothgrad_noise: must be non-negative; expected a value >= 0, got -0.1");
}

TEST(MethodsTest, ReferenceLabelsFromNames) {
  EXPECT_EQ(method_reference_label("grad", "background"), "none");
  EXPECT_EQ(method_reference_label("ism", "background"), "none");
  EXPECT_EQ(method_reference_label("smoothgrad+gc", "background"), "none");
  EXPECT_EQ(method_reference_label("deeplift:rescale", "background"), "background");
  EXPECT_EQ(method_reference_label("deeplift:rescale+gc@zeros", "background"), "zeros");
  EXPECT_EQ(method_reference_label("expected_gradients", "background"), "dinuc_shuffle");
  EXPECT_EQ(method_reference_label("expected_gradients@shuffle", "background"), "shuffle");
}

TEST(MethodsTest, ParseTasks) {
  EXPECT_EQ(parse_tasks("all", 3), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(parse_tasks(" 0, 2", 3), (std::vector<int>{0, 2}));
  EXPECT_EQ(parse_tasks("1", 3), (std::vector<int>{1}));
  EXPECT_THROW_MSG(parse_tasks("3", 3), ConfigError,
                   "attribution.tasks: bad task '3'; expected all or task indices in [0, 3) separated by commas, got "
                   "'3'");
  EXPECT_THROW_MSG(parse_tasks("0,x", 3), ConfigError,
                   "attribution.tasks: bad task 'x'; expected all or task indices in [0, 3) separated by commas, got "
                   "'0,x'");
  EXPECT_THROW_MSG(parse_tasks("", 3), ConfigError,
                   "attribution.tasks: bad task ''; expected all or task indices in [0, 3) separated by commas, got ''");
  EXPECT_THROW_MSG(parse_tasks("2,0", 3), ConfigError,
                   "attribution.tasks: tasks out of order; expected distinct indices in increasing order, got '2,0'");
  EXPECT_THROW_MSG(parse_tasks("1,1", 3), ConfigError,
                   "attribution.tasks: tasks out of order; expected distinct indices in increasing order, got '1,1'");
}

// A linear model on one-hot input, flatten -> dense(1) with weights w[c][l] (PyTorch's flatten
// order, feature c*L + l): the gradient is w, so by hand, at position 0 with w = (1, 2, 3, 6):
// mean 3, corrected (-2, -1, 0, 3); at position 1 with w = (0, 0, 4, -4): mean 0, unchanged.
model::Network linear_net() {
  model::ModelConfig mc;
  mc.layers = "flatten fc=dense(1)";
  model::Network net = model::Network::from_config(mc, model::Shape{4, 1, 2});
  net.init(1);
  auto& d = static_cast<model::Dense&>(net.layer(1));
  const float w[4][2] = {{1, 0}, {2, 0}, {3, 4}, {6, -4}};
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 2; ++l) d.weight()(0, c * 2 + l) = w[c][l];
  return net;
}

TEST(MethodsTest, GradientCorrectionHandCase) {
  const auto net = linear_net();
  const std::vector<int> task{0};
  const Mat x = one_hot({{3, 2}});  // T then G: observed weights 6 and 4
  AttributionConfig cfg;
  const auto g = run_method(method(net, "grad", cfg), net, x, 1, task, cfg);
  const auto gc = run_method(method(net, "grad+gc", cfg), net, x, 1, task, cfg);
  const float raw[4][2] = {{1, 0}, {2, 0}, {3, 4}, {6, -4}}, corrected[4][2] = {{-2, 0}, {-1, 0}, {0, 4}, {3, -4}};
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 2; ++l) {
      EXPECT_FLOAT_EQ(g.contributions(c, l), raw[c][l]);
      EXPECT_FLOAT_EQ(gc.contributions(c, l), corrected[c][l]);
    }
  // With a reference: the corrected hypothetical scores are m - mean(m) whatever the reference
  // (for the background (0.3, 0.2, 0.2, 0.3) the uncorrected ones are w - 0.3*1 - ... = w - 3.1 at
  // position 0), the contribution is the corrected score of the observed base (3 and 4), no delta.
  for (const char* name : {"deeplift:rescale+gc", "deeplift:rescale+gc@zeros", "grad_x_input+gc", "ig+gc@shuffle"}) {
    SCOPED_TRACE(name);
    const auto r = run_method(method(net, name, cfg), net, x, 1, task, cfg);
    for (int c = 0; c < 4; ++c)
      for (int l = 0; l < 2; ++l) EXPECT_NEAR(r.hypothetical(c, l), corrected[c][l], 1e-5f);
    EXPECT_NEAR(r.contributions(3, 0), 3.0f, 1e-5f);
    EXPECT_NEAR(r.contributions(2, 1), 4.0f, 1e-5f);
    EXPECT_EQ(r.contributions(0, 0), 0.0f);
    EXPECT_EQ(r.delta.size(), 0);
  }
  const auto plain = run_method(method(net, "deeplift:rescale", cfg), net, x, 1, task, cfg);
  EXPECT_NEAR(plain.hypothetical(0, 0), 1.0f - 3.1f, 1e-5f);
  EXPECT_EQ(plain.delta.size(), 1);
  // Not for images.
  model::ModelConfig mc;
  mc.layers = "flatten dense(2)";
  model::Network img = model::Network::from_config(mc, model::Shape{1, 3, 3});
  img.init(1);
  EXPECT_THROW_MSG(run_method(method(img, "grad+gc", cfg), img, Mat::Ones(1, 9), 1, task, cfg), ConfigError,
                   "attribution.methods: gradient correction (+gc) of 'grad+gc' needs one-hot DNA input (4 x L); "
                   "expected a 4xL model input, got 1x3x3");
}

// On a network, +gc of any reference method equals its uncorrected hypothetical scores minus
// their mean over bases; grad_x_input+gc's hypothetical equals grad+gc (the reference drops out).
TEST(MethodsTest, GradientCorrectionOnANetwork) {
  const auto net = small_net();
  const Mat x = random_one_hot(kN, kLen, 21);
  const AttributionConfig cfg = chunked();
  for (const char* base : {"deeplift:revealcancel", "ig", "guided_backprop@zeros"}) {
    const std::string name(base);
    const auto at = name.find('@');
    const std::string gc_name = at == std::string::npos ? name + "+gc" : name.substr(0, at) + "+gc" + name.substr(at);
    const auto a = run_method(method(net, name, cfg), net, x, kN, kTasks, cfg);
    const auto b = run_method(method(net, gc_name, cfg), net, x, kN, kTasks, cfg);
    Mat want = a.hypothetical;
    want.rowwise() -= want.colwise().mean().eval();
    EXPECT_TRUE(b.hypothetical.isApprox(want, 1e-5f)) << gc_name;
    EXPECT_TRUE(b.contributions.isApprox(at_observed(want, x, kN, 3, kLen), 1e-5f)) << gc_name;
  }
  const auto g = run_method(method(net, "grad+gc", cfg), net, x, kN, kTasks, cfg);
  const auto gx = run_method(method(net, "grad_x_input+gc", cfg), net, x, kN, kTasks, cfg);
  EXPECT_LE((g.contributions - gx.hypothetical).cwiseAbs().maxCoeff(), 1e-5f);
  EXPECT_LE(g.contributions.colwise().sum().cwiseAbs().maxCoeff(), 1e-5f);  // mean zero per position
}

// SmoothGrad with no noise is the gradient; on a linear model it is the gradient for any noise.
TEST(MethodsTest, SmoothGradDegenerateCases) {
  const auto net = small_net();
  const Mat x = random_one_hot(kN, kLen, 22);
  AttributionConfig cfg = chunked();
  cfg.smoothgrad_noise = 0;
  cfg.smoothgrad_samples = 3;
  const auto sg = run_method(method(net, "smoothgrad", cfg), net, x, kN, kTasks, cfg);
  const auto g = run_method(method(net, "grad", cfg), net, x, kN, kTasks, cfg);
  EXPECT_TRUE(sg.contributions.isApprox(g.contributions, 1e-6f));
  const auto sgx = run_method(method(net, "smoothgrad_x_input", cfg), net, x, kN, kTasks, cfg);
  const auto gx = run_method(method(net, "grad_x_input", cfg), net, x, kN, kTasks, cfg);
  EXPECT_TRUE(sgx.contributions.isApprox(gx.contributions, 1e-6f));
  EXPECT_TRUE(sgx.hypothetical.isApprox(gx.hypothetical, 1e-6f));
  const auto lin = linear_net();
  AttributionConfig noisy;
  noisy.smoothgrad_noise = 0.5;
  const std::vector<int> task{0};
  const Mat xl = one_hot({{0, 1}});
  const auto l = run_method(method(lin, "smoothgrad", noisy), lin, xl, 1, task, noisy);
  EXPECT_TRUE(l.contributions.isApprox(run_method(method(lin, "grad", noisy), lin, xl, 1, task, noisy).contributions,
                                       1e-6f));
}

// One ReLU unit z = w·x + b, o = z+ (then a unit dense): the gradient is w·1{z > 0}, so
// SmoothGrad's expectation is w·Φ(z / (σ‖w‖)) with σ = noise (the one-hot input's range is 1).
// With 4000 samples the mean of the indicator has sd <= 0.5/sqrt(4000) = 0.0079; 5 sd = 0.04.
// (Checked to fail when σ ignores the input range factor or the noise is not Gaussian-scaled:
// noise x 2 moves Φ(0.6/0.3) = 0.977 to Φ(1) = 0.84.)
TEST(MethodsTest, SmoothGradMatchesTheGaussianExpectation) {
  model::ModelConfig mc;
  mc.layers = "flatten fc1=dense(1) relu fc2=dense(1)";
  model::Network net = model::Network::from_config(mc, model::Shape{4, 1, 1});
  net.init(1);
  auto& d1 = static_cast<model::Dense&>(net.layer(1));
  d1.weight() << 1.0f, -1.0f, 0.5f, 0.5f;  // ‖w‖ = sqrt(2.5)
  d1.bias()(0, 0) = -0.4f;
  auto& d2 = static_cast<model::Dense&>(net.layer(3));
  d2.weight()(0, 0) = 1.0f;
  d2.bias()(0, 0) = 0.0f;
  AttributionConfig cfg;
  cfg.smoothgrad_samples = 4000;
  cfg.smoothgrad_noise = 0.3 / std::sqrt(2.5);  // σ‖w‖ = 0.3
  const std::vector<int> task{0};
  const Mat x = one_hot({{0}});  // z = 1 - 0.4 = 0.6
  const auto r = run_method(method(net, "smoothgrad", cfg), net, x, 1, task, cfg);
  const double p = 0.5 * std::erfc(-0.6 / 0.3 / std::sqrt(2.0));  // Φ(2) = 0.977
  const float w[4] = {1.0f, -1.0f, 0.5f, 0.5f};
  for (int c = 0; c < 4; ++c) EXPECT_NEAR(r.contributions(c, 0), w[c] * p, std::fabs(w[c]) * 0.04) << c;
}

// SmoothGrad's noise belongs to the sequence (its stream), not to the chunk or the thread.
TEST(MethodsTest, SmoothGradIsDeterministicPerSequence) {
  const auto net = small_net();
  const Mat x = random_one_hot(kN, kLen, 23);
  AttributionConfig cfg = chunked(3);
  cfg.smoothgrad_samples = 4;
  const auto a = run_method(method(net, "smoothgrad_x_input", cfg), net, x, kN, kTasks, cfg, 40);
  AttributionConfig other = chunked(2);
  other.smoothgrad_samples = 4;
  set_threads(2);
  const auto b = run_method(method(net, "smoothgrad_x_input", other), net, x, kN, kTasks, other, 40);
  set_threads(1);
  EXPECT_EQ(a.contributions, b.contributions);
  // Sequence 2 alone with its stream 42 gets the same map.
  const Mat x2 = x.middleCols(2 * kLen, kLen);
  const auto c = run_method(method(net, "smoothgrad_x_input", cfg), net, x2, 1, std::vector<int>{1}, cfg, 42);
  EXPECT_TRUE(c.contributions.isApprox(a.contributions.middleCols((1 * kN + 2) * kLen, kLen), 1e-6f));
  // Another seed, other noise.
  cfg.seed = 2;
  const auto d = run_method(method(net, "smoothgrad_x_input", cfg), net, x, kN, kTasks, cfg, 40);
  EXPECT_NE(a.contributions, d.contributions);
}

// Expected gradients is IG averaged over the shuffled references: the same numbers as
// ig@dinuc_shuffle, with a delta, at K times IG's cost.
TEST(MethodsTest, ExpectedGradientsIsIgOverShuffledReferences) {
  const auto net = small_net();
  const Mat x = random_one_hot(kN, kLen, 24);
  AttributionConfig cfg = chunked();
  cfg.n_shuffles = 3;
  const auto eg = run_method(method(net, "expected_gradients", cfg), net, x, kN, kTasks, cfg);
  const auto ig = run_method(method(net, "ig@dinuc_shuffle", cfg), net, x, kN, kTasks, cfg);
  EXPECT_EQ(eg.contributions, ig.contributions);
  EXPECT_EQ(eg.hypothetical, ig.hypothetical);
  EXPECT_EQ(eg.delta, ig.delta);
  EXPECT_EQ(eg.n_references, 3);
  // Completeness: with many Gauss-Legendre nodes the error vanishes.
  cfg.ig_steps = 24;
  cfg.ig_rule = "gauss_legendre";
  const auto fine = run_method(method(net, "expected_gradients", cfg), net, x, kN, kTasks, cfg);
  EXPECT_LT(fine.max_rel_delta, 1e-3);
}

// +rcavg: ½(map(x) + rc(map(rc(x)))), built here from two plain runs; symmetric under x -> rc(x);
// its delta is the mean of the two passes' errors (summation to the mean Δlogit).
TEST(MethodsTest, RevcompAveraging) {
  const auto net = small_net();
  const Mat x = random_one_hot(kN, kLen, 25);
  const AttributionConfig cfg = chunked();
  auto rc = [](const Mat& m, int len = kLen) {
    Mat out(m.rows(), m.cols());
    for (Eigen::Index b = 0; b < m.cols() / len; ++b) out.middleCols(b * len, len) = m.middleCols(b * len, len).reverse();
    return out;
  };
  // A by-hand reverse complement: AACG -> CGTT.
  EXPECT_EQ(rc(one_hot({{0, 0, 1, 2}}), 4), one_hot({{1, 2, 3, 3}})) << "helper";
  for (const char* base : {"deeplift:revealcancel", "grad", "ism", "ig"}) {
    const std::string name = std::string(base) + "+rcavg@zeros";
    const std::string plain_name = std::string(base) + (std::string(base) == "grad" || std::string(base) == "ism" ? "" : "@zeros");
    const std::string avg_name = std::string(base) == "grad" || std::string(base) == "ism" ? std::string(base) + "+rcavg" : name;
    SCOPED_TRACE(avg_name);
    const auto avg = run_method(method(net, avg_name, cfg), net, x, kN, kTasks, cfg);
    const auto fwd = run_method(method(net, plain_name, cfg), net, x, kN, kTasks, cfg);
    const auto rev = run_method(method(net, plain_name, cfg), net, rc(x), kN, kTasks, cfg);
    EXPECT_TRUE(avg.contributions.isApprox(0.5f * (fwd.contributions + rc(rev.contributions)), 1e-5f));
    if (fwd.hypothetical.size()) {
      EXPECT_TRUE(avg.hypothetical.isApprox(0.5f * (fwd.hypothetical + rc(rev.hypothetical)), 1e-5f));
    }
    if (fwd.ism.size()) {
      EXPECT_TRUE(avg.ism.isApprox(0.5f * (fwd.ism + rc(rev.ism)), 1e-5f));
    }
    if (fwd.delta.size()) {
      EXPECT_LE((avg.delta - 0.5f * (fwd.delta + rev.delta)).cwiseAbs().maxCoeff(), 1e-5f);
      EXPECT_NEAR(avg.max_abs_delta, std::max(fwd.max_abs_delta, rev.max_abs_delta), 1e-6);
    }
    const auto sym = run_method(method(net, avg_name, cfg), net, rc(x), kN, kTasks, cfg);
    EXPECT_TRUE(sym.contributions.isApprox(rc(avg.contributions), 1e-5f));
  }
}

// The stored references are the shuffles each sequence drew, and with them anyone can check
// summation-to-delta from the network's own outputs: Σ contributions = mean_k (logit(x) -
// logit(ref_k)) up to float rounding.
TEST(MethodsTest, StoredReferencesAllowAnIndependentSummationCheck) {
  const auto net = small_net();
  const Mat x = random_one_hot(kN, kLen, 26);
  AttributionConfig cfg = chunked();
  cfg.n_shuffles = 3;
  cfg.store_references = true;
  const auto res = run_method(method(net, "deeplift:genomics@dinuc_shuffle", cfg), net, x, kN, kTasks, cfg, 7);
  ASSERT_EQ(res.references.rows(), 4);
  ASSERT_EQ(res.references.cols(), kN * 3 * kLen);
  EXPECT_EQ(res.references, sim::shuffle_one_hot(x, kN, kLen, sim::ShuffleKind::Dinuc, 3, cfg.seed, 7));
  model::Trace tx, tr;
  net.forward(x, kN, tx);
  net.forward(res.references, kN * 3, tr);
  const Mat& lx = net.logits(tx);
  const Mat& lr = net.logits(tr);
  for (int i = 0; i < kN; ++i)
    for (int t = 0; t < 3; ++t) {
      double want = 0;
      for (int k = 0; k < 3; ++k) want += (lx(t, i) - lr(t, i * 3 + k)) / 3.0;
      const double got = res.contributions.middleCols((t * kN + i) * kLen, kLen).sum();
      EXPECT_NEAR(got, want, 1e-4 * std::max(1.0, std::fabs(want))) << i << " " << t;
    }
  // Shared references are repeated per sequence; methods without a reference store none.
  const auto bg = run_method(method(net, "grad_x_input", cfg), net, x, kN, kTasks, cfg);
  ASSERT_EQ(bg.references.cols(), kN * kLen);
  EXPECT_EQ(bg.references.middleCols(2 * kLen, kLen), background_reference(cfg.background, kLen).values);
  EXPECT_EQ(run_method(method(net, "grad", cfg), net, x, kN, kTasks, cfg).references.size(), 0);
}

// A subset of tasks is the matching slice of the all-task result.
TEST(MethodsTest, TaskSubsetIsASliceOfAllTasks) {
  const auto net = small_net();
  const Mat x = random_one_hot(kN, kLen, 27);
  const AttributionConfig cfg = chunked();
  const auto all = run_method(method(net, "deeplift:rescale", cfg), net, x, kN, kTasks, cfg);
  const auto two = run_method(method(net, "deeplift:rescale", cfg), net, x, kN, std::vector<int>{2}, cfg);
  EXPECT_TRUE(two.contributions.isApprox(all.contributions.middleCols(2 * kN * kLen, kN * kLen), 1e-6f));
  EXPECT_LE((two.delta.row(0) - all.delta.row(2)).cwiseAbs().maxCoeff(), 1e-6f);
}

}  // namespace
}  // namespace lb::attr
