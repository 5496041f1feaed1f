// The layers beyond the paper's network: elementwise nonlinearities, Conv1d with padding and
// dilation, max / average / global max pools, crop, batch norm. Each: a hand case, a naive
// double oracle or a defining property, and a finite-difference gradient check; and for every
// registered type, the architecture round trip and (linear ones) the adjoint property of
// transpose() and abs_forward() that the attribution engine relies on.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "io/npz.h"
#include "model/gradcheck.h"
#include "model/layers.h"
#include "model/model_file.h"
#include "model/network.h"
#include "model/registry.h"
#include "testing/helpers.h"

namespace lb::model {
namespace {

using testing::expect_close;
using testing::GradCheckStats;
using testing::gradcheck_layer;
using testing::random_mat;

// One layer built from its config spelling for input shape `in`, with seeded random parameters
// (buffers too: batch norm's running statistics).
LayerPtr make(const std::string& spec, const Shape& in, std::uint64_t seed = 5) {
  LayerArgs args = LayerArgs::parse(spec, false);
  const LayerType* type = find_config_type(args.kind());
  EXPECT_NE(type, nullptr) << spec;
  args.set_form(type->config_form);
  LayerPtr layer = type->from_config(args, in).build("layer");
  layer->output_shape(in);  // fits
  Rng rng(seed);
  for (auto& p : layer->params()) *p.value = random_mat(p.value->rows(), p.value->cols(), rng);
  for (auto& b : layer->buffers()) *b.value = random_mat(b.value->rows(), b.value->cols(), rng, 0.5, 1.5);
  return layer;
}

// A network ending in flatten + dense(2) after `body`, so that any body makes a flat output.
Network net_of(const std::string& body, const Shape& in, std::uint64_t seed = 3) {
  ModelConfig cfg;
  cfg.layers = body + " flatten head=dense(2)";
  Network net = Network::from_config(cfg, in);
  net.init(seed);
  return net;
}

// A matrix's values in storage order, for expect_close against hand-written lists.
std::vector<double> vals(const Mat& m) { return {m.data(), m.data() + m.size()}; }

Mat forward1(const Layer& l, const Mat& x, const Shape& in, int n, bool training = false) {
  Mat y, aux;
  l.forward(x, in, n, y, aux, ForwardMode{training, 1, 0});
  return y;
}

// ---- Nonlinearities ----------------------------------------------------------------------------

TEST(MoreLayersTest, NonlinearitiesHandValues) {
  const Shape in{1, 1, 4};
  Mat x(1, 4);
  x << -1.0f, 0.0f, 0.5f, 2.0f;
  const auto at = [&](const std::string& spec) { return forward1(*make(spec, in), x, in, 1); };
  // Values computed by hand (closed forms) to float precision.
  EXPECT_TRUE(expect_close(vals(at("sigmoid")), std::vector<double>{0.2689414, 0.5, 0.6224593, 0.8807971}, 1e-6, 0, "sigmoid"));
  EXPECT_TRUE(expect_close(vals(at("tanh")), std::vector<double>{-0.7615942, 0.0, 0.4621172, 0.9640276}, 1e-6, 0, "tanh"));
  EXPECT_TRUE(expect_close(vals(at("softplus")), std::vector<double>{0.3132617, 0.6931472, 0.9740770, 2.1269280}, 1e-6, 0,
                           "softplus"));
  EXPECT_TRUE(expect_close(vals(at("elu")), std::vector<double>{-0.6321206, 0.0, 0.5, 2.0}, 1e-6, 0, "elu"));
  EXPECT_TRUE(expect_close(vals(at("elu(alpha=0.5)")), std::vector<double>{-0.3160603, 0.0, 0.5, 2.0}, 1e-6, 0, "elu 0.5"));
  EXPECT_TRUE(expect_close(vals(at("gelu")), std::vector<double>{-0.1586553, 0.0, 0.3457312, 1.9544997}, 1e-6, 0, "gelu"));
  EXPECT_TRUE(expect_close(vals(at("exp")), std::vector<double>{0.3678794, 1.0, 1.6487213, 7.3890561}, 1e-6, 0, "exp"));
  EXPECT_TRUE(expect_close(vals(at("relu")), std::vector<double>{0.0, 0.0, 0.5, 2.0}, 0, 0, "relu"));
}

TEST(MoreLayersTest, NonlinearityDerivativesMatchFiniteDifferencesOfTheirValues) {
  for (const char* spec : {"relu", "sigmoid", "tanh", "softplus", "elu(alpha=0.7)", "gelu", "exp"}) {
    const auto layer = make(spec, Shape{1, 1, 1});
    const auto& f = static_cast<const Nonlinearity&>(*layer);
    for (double z : {-2.3, -0.4, 0.3, 1.7}) {
      const double h = 1e-6, num = (f.value(z + h) - f.value(z - h)) / (2 * h);
      EXPECT_NEAR(f.derivative(z), num, 1e-6 * std::max(1.0, std::abs(num))) << spec << " at " << z;
    }
  }
  // One-sided derivatives at the kinks: ReLU f'(0) = 0 (PyTorch), ELU f'(0) = alpha.
  const auto elu = make("elu(alpha=0.7)", Shape{1, 1, 1});
  EXPECT_NEAR(static_cast<const Nonlinearity&>(*elu).derivative(0.0), 0.7, 1e-7);
  EXPECT_EQ(static_cast<const Nonlinearity&>(*make("relu", Shape{1, 1, 1})).derivative(0.0), 0.0);
}

TEST(MoreLayersTest, NonlinearityGradientsMatchFiniteDifferences) {
  const Shape in{3, 1, 7};
  for (const char* spec : {"sigmoid", "tanh", "softplus", "elu", "gelu", "exp"}) {
    auto layer = make(spec, in);
    Rng rng(11);
    GradCheckStats stats;
    // Smooth functions: the central difference has an O(eps²) truncation error, ~1e-5 here.
    EXPECT_TRUE(gradcheck_layer(*layer, in, 2, random_mat(3, 14, rng, -2, 2), {}, 1e-2, 1e-3, 1e-3, false, stats)) << spec;
  }
}

TEST(MoreLayersTest, ReluPassesNaN) {
  const auto relu = make("relu", Shape{1, 1, 3});
  Mat x(1, 3);
  x << std::nanf(""), -1.0f, -0.0f;
  const Mat y = forward1(*relu, x, Shape{1, 1, 3}, 1);
  EXPECT_TRUE(std::isnan(y(0, 0)));
  EXPECT_EQ(y(0, 1), 0.0f);
  EXPECT_FALSE(std::signbit(y(0, 2)));  // -0 becomes +0
}

// ---- Conv1d with padding and dilation ------------------------------------------------------------

// y[i][f][l] = b[f] + Σ_c Σ_k w[f][c][k] x[i][c][l*stride + k*dil - left] (0 outside), in double.
std::vector<double> naive_conv1d(const Mat& x, int n, int C, int L, const Conv1d& conv) {
  const int F = conv.out_channels(), K = conv.kernel(), st = conv.stride(), d = conv.dilation(), left = conv.pad_left();
  const int Lout = conv.output_shape(Shape{C, 1, L}).w;
  const auto w = conv.export_param(0), b = conv.export_param(1);
  std::vector<double> y;
  for (int i = 0; i < n; ++i)
    for (int f = 0; f < F; ++f)
      for (int l = 0; l < Lout; ++l) {
        double s = b[static_cast<std::size_t>(f)];
        for (int c = 0; c < C; ++c)
          for (int k = 0; k < K; ++k) {
            const int p = l * st + k * d - left;
            if (p >= 0 && p < L) s += double{w[static_cast<std::size_t>((f * C + c) * K + k)]} * x(c, i * L + p);
          }
        y.push_back(s);
      }
  return y;
}

TEST(MoreLayersTest, Conv1dPaddingAndDilationMatchNaive) {
  const int n = 3, C = 5, L = 17;
  Rng rng(4);
  const Mat x = random_mat(C, n * L, rng);
  for (const char* spec : {"conv1d(4,3,padding=same)", "conv1d(4,3,dilation=2)", "conv1d(4,3,padding=same,dilation=4)",
                           "conv1d(4,4,padding=same,dilation=3)", "conv1d(4,5,2,padding=(1,3),dilation=2)",
                           "conv1d(4,3,padding=2)", "conv1d(4,6,3,padding=valid)"}) {
    const Shape in{C, 1, L};
    const auto layer = make(spec, in);
    const auto& conv = static_cast<const Conv1d&>(*layer);
    const Mat y = forward1(conv, x, in, n);
    // PyTorch (N, F, Lout) order of ours: sample-major, then channel, then position.
    const Shape out = conv.output_shape(in);
    EXPECT_TRUE(expect_close(testing::to_torch(y, out, n), naive_conv1d(x, n, C, L, conv), 1e-5, 1e-5, spec));
  }
  // padding=same keeps the length, with the odd extra zero on the right (PyTorch).
  const auto same = make("conv1d(2,4,padding=same,dilation=3)", Shape{C, 1, L});
  EXPECT_EQ(same->output_shape(Shape{C, 1, L}).w, L);
  EXPECT_EQ(same->describe(), "Conv1d(in=5, out=2, kernel=4, stride=1, padding=(4,5), dilation=3)");
}

TEST(MoreLayersTest, Conv1dPaddingAndDilationGradients) {
  const Shape in{5, 1, 13};
  for (const char* spec : {"conv1d(4,3,padding=same,dilation=2)", "conv1d(3,5,2,padding=(2,1),dilation=2)",
                           "conv1d(20,3,padding=1)"}) {
    auto layer = make(spec, in);
    Rng rng(12);
    GradCheckStats stats;
    EXPECT_TRUE(gradcheck_layer(*layer, in, 2, random_mat(5, 26, rng), {}, 1e-2, 1e-3, 1e-3, false, stats)) << spec;
  }
}

TEST(MoreLayersTest, Conv1dArgumentErrors) {
  ModelConfig cfg;
  const auto build = [&](const std::string& layers) {
    cfg.layers = layers;
    return Network::from_config(cfg, Shape{4, 1, 20});
  };
  EXPECT_THROW_MSG(build("conv1d(4,3,2,padding=same) gap dense(1)"), ConfigError,
                   "model.layers: padding=same needs stride 1 in 'conv1d(4,3,2,padding=same)'; expected stride 1 with "
                   "padding=same, got 2");
  EXPECT_THROW_MSG(build("conv1d(4,3,padding=wide) gap dense(1)"), ConfigError,
                   "model.layers: bad argument padding in 'conv1d(4,3,padding=wide)'; expected valid, same, a "
                   "non-negative integer or (<left>,<right>), got 'wide'");
  EXPECT_THROW_MSG(build("conv1d(4,3,dilation=0) gap dense(1)"), ConfigError,
                   "model.layers: bad argument dilation in 'conv1d(4,3,dilation=0)'; expected a positive integer, got '0'");
  EXPECT_THROW_MSG(build("conv1d(4,3,groups=2) gap dense(1)"), ConfigError,
                   "model.layers: unknown argument in 'conv1d(4,3,groups=2)'; expected one of padding, dilation, got "
                   "'groups'");
  // A span that overflows, and padding wider than the kernel's span (a model file could
  // otherwise make activations of any size from a 4-bp input).
  EXPECT_THROW_MSG(build("conv1d(4,3,dilation=1500000000) gap dense(1)"), ConfigError,
                   "model.layers: bad argument dilation in 'conv1d(4,3,dilation=1500000000)'; expected dilation * "
                   "kernel <= 2147483647, got 1500000000 * 3");
  EXPECT_THROW_MSG(build("conv1d(4,3,padding=3) gap dense(1)"), ConfigError,
                   "model.layers: bad argument padding in 'conv1d(4,3,padding=3)'; expected at most dilation * "
                   "(kernel - 1) = 2 on each side, got (3,3)");
  EXPECT_THROW_MSG(parse_layer("c", "Conv1d(in=4, out=1, kernel=2, stride=1, dilation=1073741824)"), InputError,
                   "bad layer description; expected Conv1d(in=<int>, out=<int>, kernel=<int>, stride=<int>[, "
                   "padding=(<int>,<int>)][, dilation=<int>]), got 'Conv1d(in=4, out=1, kernel=2, stride=1, "
                   "dilation=1073741824)'");
  EXPECT_THROW_MSG(parse_layer("c", "Conv1d(in=4, out=1, kernel=1, stride=1, padding=(1000000000,1000000000))"),
                   InputError,
                   "bad layer description; expected Conv1d(in=<int>, out=<int>, kernel=<int>, stride=<int>[, "
                   "padding=(<int>,<int>)][, dilation=<int>]), got 'Conv1d(in=4, out=1, kernel=1, stride=1, "
                   "padding=(1000000000,1000000000))'");
  EXPECT_THROW_MSG(build("conv1d(4,3,dilation=10) gap dense(1)"), ConfigError,
                   "model.layers: layer 'conv1d1': input too short; expected length + padding >= 21 (kernel 3, dilation "
                   "10), got 20 + 0");
}

// ---- Pools and crop ----------------------------------------------------------------------------

TEST(MoreLayersTest, MaxPoolHandCaseAndRouting) {
  const Shape in{2, 1, 5};
  Mat x(2, 5);
  x << 1, 3, 3, -1, 4,  //
      0, -2, 5, 5, 2;
  const auto pool = make("maxpool(2)", in);  // windows [0,2) [2,4): position 4 dropped
  EXPECT_EQ(pool->describe(), "MaxPool1d(kernel=2, stride=2)");
  const Mat y = forward1(*pool, x, in, 1);
  Mat want(2, 2);
  want << 3, 3, 0, 5;
  EXPECT_EQ(y, want);
  // The gradient goes to the first maximum of each window.
  Mat dy(2, 2), dx;
  dy << 10, 20, 30, 40;
  Mat aux;
  pool->backward(x, y, aux, dy, in, 1, &dx, {});
  Mat wdx = Mat::Zero(2, 5);
  wdx(0, 1) = 10, wdx(0, 2) = 20, wdx(1, 0) = 30, wdx(1, 2) = 40;
  EXPECT_EQ(dx, wdx);
  // Overlapping windows with padding (-inf outside): kernel 3, stride 1, padding 1.
  const auto p3 = make("maxpool(3,1,padding=1)", in);
  Mat w3(2, 5);
  w3 << 3, 3, 3, 4, 4,  //
      0, 5, 5, 5, 5;
  EXPECT_EQ(forward1(*p3, x, in, 1), w3);
  // NaN wins, as in PyTorch.
  x(0, 0) = std::nanf("");
  EXPECT_TRUE(std::isnan(forward1(*pool, x, in, 1)(0, 0)));
}

// A model file may declare window sizes near 2^31: the window arithmetic is 64-bit (it
// overflowed int before), and the windows are clipped to the input.
TEST(MoreLayersTest, HugePoolWindowsFromAModelFile) {
  const LayerPtr pool = parse_layer("p", "MaxPool1d(kernel=2000000000, stride=1, padding=1000000000)");
  const Shape in{1, 1, 5};
  EXPECT_EQ(pool->output_shape(in).w, 6);
  Mat x(1, 5);
  x << 1, 9, 2, 3, 4;
  const Mat y = forward1(*pool, x, in, 1);
  EXPECT_EQ(y, Mat::Constant(1, 6, 9.0f));
  EXPECT_THROW_MSG(parse_layer("p", "MaxPool1d(kernel=2, stride=1, padding=2)"), InputError,
                   "bad layer description; expected MaxPool1d(kernel=<int>, stride=<int>[, padding=<int>]), got "
                   "'MaxPool1d(kernel=2, stride=1, padding=2)'");
}

TEST(MoreLayersTest, PoolsAndCropGradients) {
  const Shape in{3, 1, 12};
  for (const char* spec : {"maxpool(3)", "maxpool(4,2,padding=2)", "avgpool(3)", "avgpool(4,2)", "gmp",
                           "crop(left=2,right=3)"}) {
    auto layer = make(spec, in);
    Rng rng(8);
    GradCheckStats stats;
    // Distinct values a step apart: no tie or near tie within eps for a max pool to flip.
    Mat x = random_mat(3, 24, rng);
    for (Eigen::Index j = 0; j < x.size(); ++j) x.data()[j] = static_cast<float>(static_cast<double>(j * 37 % 72) * 0.1 - 3.5);
    EXPECT_TRUE(gradcheck_layer(*layer, in, 2, x, {}, 1e-2, 1e-3, 1e-3, false, stats)) << spec;
  }
}

TEST(MoreLayersTest, AvgPoolGlobalMaxPoolAndCropHandCases) {
  const Shape in{1, 1, 6};
  Mat x(1, 6);
  x << 1, 2, 3, 4, 5, 7;
  Mat a(1, 2);
  a << 2, 16.0f / 3;
  EXPECT_TRUE(expect_close(vals(forward1(*make("avgpool(3)", in), x, in, 1)), vals(a), 1e-6, 0, "avgpool"));
  EXPECT_EQ(forward1(*make("gmp", in), x, in, 1)(0, 0), 7.0f);
  Mat c(1, 3);
  c << 2, 3, 4;
  EXPECT_EQ(forward1(*make("crop(left=1,right=2)", in), x, in, 1), c);
  EXPECT_THROW_MSG(Network::from_config(ModelConfig{"crop(left=3,right=3) gap dense(1)"}, in), ConfigError,
                   "model.layers: layer 'crop1': cropping leaves nothing; expected length > 6, got 6");
}

// ---- Batch norm --------------------------------------------------------------------------------

TEST(MoreLayersTest, BatchNormInferenceIsTheAffineMapOfItsRunningStatistics) {
  const Shape in{2, 1, 3};
  auto bn = make("batchnorm", in);
  const auto w = bn->export_param(0), b = bn->export_param(1), mean = bn->export_param(2), var = bn->export_param(3);
  Rng rng(2);
  const Mat x = random_mat(2, 6, rng);
  const Mat y = forward1(*bn, x, in, 2);
  for (int c = 0; c < 2; ++c)
    for (int j = 0; j < 6; ++j) {
      const double want = (x(c, j) - mean[static_cast<std::size_t>(c)]) / std::sqrt(double{var[static_cast<std::size_t>(c)]} + 1e-5) *
                              w[static_cast<std::size_t>(c)] + b[static_cast<std::size_t>(c)];
      EXPECT_NEAR(y(c, j), want, 1e-5);
    }
  EXPECT_EQ(bn->describe(), "BatchNorm1d(channels=2, eps=1e-05, momentum=0.1)");
}

TEST(MoreLayersTest, BatchNormTrainingNormalisesAndUpdatesRunningStatistics) {
  const Shape in{2, 1, 4};
  auto bn = make("batchnorm(momentum=0.5)", in);
  bn->import_param(0, std::vector<float>{1, 1});  // weight 1, bias 0: y is x normalised
  bn->import_param(1, std::vector<float>{0, 0});
  bn->import_param(2, std::vector<float>{0, 0});
  bn->import_param(3, std::vector<float>{1, 1});
  Mat x(2, 8);
  x << 1, 2, 3, 4, 5, 6, 7, 8,  //
      0, 0, 0, 0, 2, 2, 2, 2;
  Mat y, aux;
  bn->forward(x, in, 2, y, aux, ForwardMode{true, 1, 0});
  for (int c = 0; c < 2; ++c) {
    EXPECT_NEAR(y.row(c).mean(), 0.0, 1e-6);
    EXPECT_NEAR(y.row(c).squaredNorm() / 8, 1.0, 1e-4);  // biased variance 1 (minus eps)
  }
  bn->update_state(aux);
  // mean 4.5 and 1; unbiased variance 6 and 8/7; momentum 0.5 from (0, 1).
  EXPECT_TRUE(expect_close(testing::to_double(bn->export_param(2)), std::vector<double>{2.25, 0.5}, 1e-6, 0, "running_mean"));
  EXPECT_TRUE(expect_close(testing::to_double(bn->export_param(3)), std::vector<double>{3.5, (1 + 8.0 / 7) / 2}, 1e-6, 0, "running_var"));
}

// PyTorch's rule: training on one value per channel is refused (its variance is 0).
TEST(MoreLayersTest, BatchNormRefusesToTrainOnOneValuePerChannel) {
  const Shape in{3, 1, 1};
  auto bn = make("batchnorm", in);
  Mat y, aux;
  EXPECT_THROW_MSG(bn->forward(Mat::Ones(3, 1), in, 1, y, aux, ForwardMode{true, 1, 0}), ConfigError,
                   "batchnorm 'layer': training needs more than one value per channel; expected a batch of at least 2 "
                   "samples (train.batch_size, and a last batch of one when n_train % batch_size == 1), got 1");
  EXPECT_NO_THROW(bn->forward(Mat::Ones(3, 1), in, 1, y, aux, ForwardMode{}));  // inference is fine
}

TEST(MoreLayersTest, BatchNormGradientsInTrainingAndInference) {
  const Shape in{3, 1, 5};
  for (bool training : {true, false}) {
    auto bn = make("batchnorm", in);
    Rng rng(21);
    GradCheckStats stats;
    EXPECT_TRUE(gradcheck_layer(*bn, in, 4, random_mat(3, 20, rng), ForwardMode{training, 1, 0}, 1e-2, 1e-3, 1e-3,
                                false, stats))
        << training;
  }
}

TEST(MoreLayersTest, BatchNormBuffersSurviveTheModelFile) {
  lb::testing::TempDir dir;
  Network net = net_of("conv1d(3,3) bn=batchnorm relu", Shape{4, 1, 10});
  Rng rng(3);
  for (auto& p : net.state()) *p.value = random_mat(p.value->rows(), p.value->cols(), rng, 0.5, 1.5);
  save_model(dir.file("m.npz"), net);
  Network back = load_model(dir.file("m.npz"), nullptr, nullptr);
  const auto a = net.state(), b = back.state();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(*a[i].value, *b[i].value) << a[i].name;
  }
  EXPECT_EQ(a[6].name, "bn.running_mean");  // after every parameter
  EXPECT_EQ(a[7].name, "bn.running_var");
}

// An architecture beyond a zip comment's 65,535 bytes goes into the older 'architecture' array.
TEST(MoreLayersTest, HugeArchitectureFallsBackToTheArray) {
  lb::testing::TempDir dir;
  std::string layers;
  for (int i = 0; i < 700; ++i) layers += fmt::format("{}{:03}=relu ", std::string(100, 'r'), i);
  ModelConfig cfg;
  cfg.layers = layers + "fc=dense(1)";
  Network net = Network::from_config(cfg, Shape{4, 1, 1});
  net.init(1);
  ASSERT_GT(net.architecture().size(), 65535u);
  save_model(dir.file("m.npz"), net);
  EXPECT_EQ(io::read_npz_comment(dir.file("m.npz")), "");
  EXPECT_EQ(load_model(dir.file("m.npz")).architecture(), net.architecture());
}

// ---- Every registered type -----------------------------------------------------------------------

// A network using every layer type (and every option of the new ones), for the round trips.
const char* kEveryLayer =
    "c1=conv1d(6,3,padding=same,dilation=2) bn=batchnorm relu c2=conv1d(6,3,2,padding=(1,2)) sigmoid "
    "maxpool(2) avgpool(2,1) crop(left=1,right=1) tanh c3=conv1d(4,2) softplus elu(alpha=0.5) gelu exp gmp";

TEST(MoreLayersTest, EveryTypeRoundTripsThroughTheArchitectureText) {
  Network net = net_of(kEveryLayer, Shape{4, 1, 40});
  const std::string text = net.architecture();
  Network back = Network::from_architecture(text, "arch");
  EXPECT_EQ(back.architecture(), text);
  // And every registered architecture name appears (a new type must join kEveryLayer).
  for (const char* name : {"Conv1d", "BatchNorm1d", "ReLU", "Sigmoid", "MaxPool1d", "AvgPool1d", "Crop1d", "Tanh",
                           "Softplus", "ELU", "GELU", "Exp", "GlobalMaxPool", "Flatten", "Linear"})
    EXPECT_NE(text.find(std::string(" ") + name + "("), std::string::npos) << name;
}

// For linear and transparent layers, A x = forward(x) - forward(0); transpose() must be its
// adjoint, <A x, m> = <x, Aᵀ m>, and abs_forward / transpose(abs) the pair for |A|.
TEST(MoreLayersTest, TransposeIsTheAdjointOfTheLinearPart) {
  const Shape in{4, 1, 12};
  for (const char* spec : {"conv1d(3,3,padding=same,dilation=2)", "conv1d(20,3,2,padding=(2,1))", "conv1d(3,3)",
                           "batchnorm", "avgpool(3,2)", "crop(left=2,right=1)", "gap", "flatten", "dropout(0.3)"}) {
    SCOPED_TRACE(spec);
    const auto l = make(spec, in);
    const int n = 2;
    Rng rng(6);
    const Mat x = random_mat(in.c, n * 12, rng);
    const Mat ax = forward1(*l, x, in, n) - forward1(*l, Mat::Zero(in.c, n * 12), in, n);
    const Mat m = random_mat(ax.rows(), ax.cols(), rng);
    Mat atm;
    l->transpose(m, in, n, atm, false);
    ASSERT_EQ(atm.rows(), x.rows());
    ASSERT_EQ(atm.cols(), x.cols());
    const double lhs = (ax.cast<double>().array() * m.cast<double>().array()).sum();
    const double rhs = (x.cast<double>().array() * atm.cast<double>().array()).sum();
    EXPECT_NEAR(lhs, rhs, 1e-4 * std::max(1.0, std::abs(lhs)));
    if (l->attr_role() != AttrRole::Linear) continue;
    Mat absx, abstm;
    l->abs_forward(x, in, n, absx);
    l->transpose(m, in, n, abstm, true);
    const double lhs2 = (absx.cast<double>().array() * m.cast<double>().array()).sum();
    const double rhs2 = (x.cast<double>().array() * abstm.cast<double>().array()).sum();
    EXPECT_NEAR(lhs2, rhs2, 1e-4 * std::max(1.0, std::abs(lhs2)));
    // |A| x >= |A x| elementwise for x >= 0 inputs... and equals A x when A >= 0: a check that
    // abs_forward is not just the forward again.
    Mat pos = x.cwiseAbs(), apos, aposabs;
    l->abs_forward(pos, in, n, aposabs);
    apos = forward1(*l, pos, in, n) - forward1(*l, Mat::Zero(in.c, n * 12), in, n);
    EXPECT_TRUE(((aposabs.array() - apos.cwiseAbs().array()) >= -1e-5f).all());
  }
}

TEST(MoreLayersTest, UnknownArgumentsAndArchitectureErrors) {
  EXPECT_THROW_MSG(Network::from_config(ModelConfig{"maxpool(2,padding=3) gap dense(1)"}, Shape{4, 1, 20}), ConfigError,
                   "model.layers: bad argument padding in 'maxpool(2,padding=3)'; expected at most half the kernel (1), "
                   "got 3");
  EXPECT_THROW_MSG(Network::from_config(ModelConfig{"elu(alpha=-1) gap dense(1)"}, Shape{4, 1, 20}), ConfigError,
                   "model.layers: bad argument alpha in 'elu(alpha=-1)'; expected a finite number > 0, got '-1'");
  EXPECT_THROW_MSG(Network::from_config(ModelConfig{"conv1d(2,3,dilation=2,4) gap dense(1)"}, Shape{4, 1, 20}),
                   ConfigError,
                   "model.layers: positional argument after key=value in 'conv1d(2,3,dilation=2,4)'; expected "
                   "positional arguments first, got '4'");
  EXPECT_THROW_MSG(Network::from_architecture("input 4x20\noutput sigmoid\nb BatchNorm1d(channels=4, eps=0, momentum=0.1)\n",
                                              "m"),
                   InputError,
                   "m:3: bad layer description; expected BatchNorm1d(channels=<int>, eps=<number>, momentum=<number>), "
                   "got 'BatchNorm1d(channels=4, eps=0, momentum=0.1)'");
}

}  // namespace
}  // namespace lb::model
