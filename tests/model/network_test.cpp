// Network tests: layer-spec parsing and its errors, architecture text round trip, parameters,
// init, the paper's two networks, losses, and whole-network gradient checks with each loss.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "model/gradcheck.h"
#include "model/layers.h"
#include "model/network.h"
#include "model/registry.h"
#include "testing/helpers.h"

namespace lb::model {
namespace {

using testing::random_mat;

ModelConfig config(std::string layers, std::string output = "sigmoid") {
  ModelConfig c;
  c.layers = std::move(layers);
  c.output = std::move(output);
  return c;
}

std::vector<Shape> shapes(const Network& net) {
  std::vector<Shape> s;
  for (int i = 1; i <= net.n_layers(); ++i) s.push_back(net.shape(i));
  return s;
}

// ---- Heads: several named outputs ---------------------------------------------------------

const char* kTwoHeads = "c1=conv1d(3,5) r1=relu prof=conv1d(2,3)@r1 g=gap@r1 cnt=dense(1)@g heads(prof,cnt)";

TEST(NetworkTest, HeadsStackTheirInputsInTorchFlattenOrderWithTheirShapes) {
  Network net = Network::from_config(config(kTwoHeads, "linear"), Shape{4, 1, 20});
  net.init(3);
  ASSERT_EQ(net.heads().size(), 2u);
  EXPECT_EQ(net.heads()[0].name, "prof");
  EXPECT_EQ(net.heads()[0].shape, (Shape{2, 1, 14}));
  EXPECT_EQ(net.heads()[0].offset, 0);
  EXPECT_EQ(net.heads()[1].name, "cnt");
  EXPECT_EQ(net.heads()[1].shape, (Shape{1, 1, 1}));
  EXPECT_EQ(net.heads()[1].offset, 28);
  EXPECT_EQ(net.n_outputs(), 29);
  EXPECT_EQ(heads_str(net), "prof (2x14), cnt (1)");
  EXPECT_EQ(net.find_head("cnt"), &net.heads()[1]);
  EXPECT_EQ(net.find_head("c1"), nullptr);
  // Unit s*L + l of the profile head is channel s at position l of layer prof's output.
  Rng rng(7);
  const Mat x = random_mat(4, 2 * 20, rng);
  Trace t;
  net.forward(x, 2, t);
  const Mat& prof = t.acts[3];  // the output of layer 2, prof
  for (int b = 0; b < 2; ++b) {
    for (int s = 0; s < 2; ++s)
      for (int l = 0; l < 14; ++l) EXPECT_EQ(net.logits(t)(s * 14 + l, b), prof(s, b * 14 + l));
    EXPECT_EQ(net.logits(t)(28, b), t.acts[5](0, b));
  }
  // The architecture names the heads and reads back to the same network.
  EXPECT_NE(net.architecture().find("heads1 Heads(names=(prof,cnt)) <- prof, cnt"), std::string::npos)
      << net.architecture();
  EXPECT_EQ(Network::from_architecture(net.architecture(), "arch").architecture(), net.architecture());
  // A network without heads has one, named after its last layer.
  const Network one = Network::from_config(config("c1=conv1d(3,5) relu gap fc=dense(2)"), Shape{4, 1, 20});
  ASSERT_EQ(one.heads().size(), 1u);
  EXPECT_EQ(one.heads()[0].name, "fc");
  EXPECT_EQ(one.heads()[0].shape, (Shape{2, 1, 1}));
}

TEST(NetworkTest, HeadsErrors) {
  const Shape in{4, 1, 20};
  auto build = [&](const std::string& layers, const std::string& output) {
    Network::from_config(config(layers, output), in);
  };
  EXPECT_THROW_MSG(build(kTwoHeads, "sigmoid"), ConfigError,
                   "model.output: a network with heads has linear outputs; expected linear, got sigmoid");
  EXPECT_THROW_MSG(build("c1=conv1d(3,5) r1=relu p=conv1d(2,3)@r1 g=gap@r1 h=heads(p,g) fc=dense(1)@h", "linear"),
                   ConfigError,
                   "model.layers: layer 'h': heads before the last layer; expected heads(...) as the network's last "
                   "layer, got layer 5 of 6");
  EXPECT_THROW_MSG(build("c1=conv1d(3,5) r1=relu g=gap heads(g,g)", "linear"), ConfigError,
                   "model.layers: duplicate head in 'heads(g,g)'; expected distinct layers, got g");
  EXPECT_THROW_MSG(build("c1=conv1d(3,5) r1=relu g=gap heads(g)", "linear"), ConfigError,
                   "model.layers: wrong number of arguments in 'heads(g)'; expected two or more input layers, got 1 "
                   "argument");
  EXPECT_THROW_MSG(Network::from_architecture("input 4x20\noutput linear\nc1 Conv1d(in=4, out=3, kernel=5, stride=1)\n"
                                              "g GlobalAvgPool() <- c1\nh Heads(names=(a,a)) <- c1, g\n",
                                              "m.arch"),
                   InputError,
                   "m.arch:5: bad layer description; expected Heads(names=(<head>,<head>[,...])), got "
                   "'Heads(names=(a,a))'");
}


// ---- The paper's networks ---------------------------------------------------------------------

TEST(NetworkTest, GenomicsDefaultBuilds) {
  Network net = Network::from_config(ModelConfig{}, Shape{4, 1, 200});
  EXPECT_EQ(shapes(net), (std::vector<Shape>{{50, 1, 190}, {50, 1, 190}, {50, 1, 180}, {50, 1, 180}, {50, 1, 1},
                                             {50, 1, 1}, {50, 1, 1}, {50, 1, 1}, {3, 1, 1}}));
  EXPECT_EQ(net.n_outputs(), 3);
  EXPECT_EQ(net.output_kind(), OutputKind::Sigmoid);
  std::vector<std::string> names;
  std::vector<std::vector<std::int64_t>> torch_shapes;
  for (auto& p : net.params()) {
    names.push_back(p.name);
    torch_shapes.push_back(p.torch_shape);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight",
                                             "fc1.bias", "fc2.weight", "fc2.bias"}));
  EXPECT_EQ(torch_shapes, (std::vector<std::vector<std::int64_t>>{
                              {50, 4, 11}, {50}, {50, 50, 11}, {50}, {50, 50}, {50}, {3, 50}, {3}}));
  EXPECT_EQ(net.architecture(),
            "input 4x200\n"
            "output sigmoid\n"
            "conv1 Conv1d(in=4, out=50, kernel=11, stride=1)\n"
            "relu1 ReLU()\n"
            "conv2 Conv1d(in=50, out=50, kernel=11, stride=1)\n"
            "relu2 ReLU()\n"
            "gap1 GlobalAvgPool()\n"
            "fc1 Linear(in=50, out=50)\n"
            "relu3 ReLU()\n"
            "dropout1 Dropout(p=0.5)\n"
            "fc2 Linear(in=50, out=3)\n");
}

TEST(NetworkTest, MnistBuilds) {
  Network net = Network::from_config(
      config("conv1=conv2d(32,4,4,2,2) relu conv2=conv2d(64,4,4,2,2) relu dropout(0.25) flatten fc1=dense(128) relu "
             "dropout(0.5) fc2=dense(10)",
             "softmax"),
      Shape{1, 28, 28});
  const auto s = shapes(net);
  EXPECT_EQ(s[0], (Shape{32, 13, 13}));
  EXPECT_EQ(s[2], (Shape{64, 5, 5}));
  EXPECT_EQ(s[5], (Shape{1600, 1, 1}));
  EXPECT_EQ(s[6], (Shape{128, 1, 1}));
  EXPECT_EQ(s[9], (Shape{10, 1, 1}));
  EXPECT_EQ(net.layer(0).describe(), "Conv2d(in=1, out=32, kernel=(4,4), stride=(2,2))");
  EXPECT_EQ(net.layer(4).name(), "dropout1");
  EXPECT_EQ(net.layer(8).name(), "dropout2");
  EXPECT_EQ(net.params()[2].torch_shape, (std::vector<std::int64_t>{64, 32, 4, 4}));
  EXPECT_EQ(net.input_shape().str(), "1x28x28");
}

// ---- Spec parsing -------------------------------------------------------------------------------

TEST(NetworkTest, SpecSeparatorsAndNames) {
  // Commas or spaces at depth 0 separate; commas inside parentheses belong to the layer.
  Network a = Network::from_config(config("conv1d(5,3,2), relu,gap  dense(2)"), Shape{4, 1, 20});
  Network b = Network::from_config(config("conv1d1=conv1d(5, 3, 2) relu1=relu gap1=gap dense1=dense(2)"), Shape{4, 1, 20});
  EXPECT_EQ(a.architecture(), b.architecture());
  EXPECT_EQ(a.layer(0).describe(), "Conv1d(in=4, out=5, kernel=3, stride=2)");
  // conv2d forms: (out,k) square, (out,kh,kw), (out,kh,kw,sh,sw).
  Network c = Network::from_config(config("conv2d(2,3) conv2d(2,2,3) conv2d(2,1,2,1,2) flatten relu()"), Shape{1, 9, 9});
  EXPECT_EQ(c.layer(0).describe(), "Conv2d(in=1, out=2, kernel=(3,3), stride=(1,1))");
  EXPECT_EQ(c.layer(1).describe(), "Conv2d(in=2, out=2, kernel=(2,3), stride=(1,1))");
  EXPECT_EQ(c.layer(2).describe(), "Conv2d(in=2, out=2, kernel=(1,2), stride=(1,2))");
  EXPECT_EQ(c.layer(3).name(), "flatten1");
  EXPECT_EQ(c.output_shape(), (Shape{2 * 6 * 2, 1, 1}));
}

TEST(NetworkTest, SpecErrors) {
  const Shape in{4, 1, 200};
  auto build = [&](const std::string& layers) { Network::from_config(config(layers), in); };
  EXPECT_THROW_MSG(build("conv3d(5)"), ConfigError,
                   "model.layers: unknown layer kind 'conv3d' in 'conv3d(5)'; expected one of " + config_type_names() +
                       ", got 'conv3d'");
  EXPECT_THROW_MSG(build("conv1=conv1d(50,11) relu conv2=conv1d(50,191) gap dense(3)"), ConfigError,
                   "model.layers: layer 'conv2': input too short; expected length >= 191, got 190");
  EXPECT_THROW_MSG(build("conv1=conv1d(50,11) relu conv2=conv1d(50,11) relu fc1=dense(50)"), ConfigError,
                   "model.layers: layer 'fc1': dense needs a flat input; expected a (C) input after gap or flatten, "
                   "got 50x180");
  EXPECT_THROW_MSG(build("conv1=conv1d(50,11) relu conv1=conv1d(50,11) gap dense(3)"), ConfigError,
                   "model.layers: duplicate layer name 'conv1'; expected unique names, got 'conv1' twice (in "
                   "'conv1=conv1d(50,11)')");
  EXPECT_THROW_MSG(build("relu1=conv1d(5,3) relu gap dense(3)"), ConfigError,
                   "model.layers: duplicate layer name 'relu1'; expected unique names, got 'relu1' twice (in 'relu')");
  EXPECT_THROW_MSG(build("conv1d(50)"), ConfigError,
                   "model.layers: wrong number of arguments in 'conv1d(50)'; expected conv1d(out,kernel[,stride][,padding=valid|same|<int>|(<left>,<right>)][,"
                   "dilation=<int>]), got 1 argument");
  EXPECT_THROW_MSG(build("conv2d(5,2,2,1)"), ConfigError,
                   "model.layers: wrong number of arguments in 'conv2d(5,2,2,1)'; expected conv2d(out,k), "
                   "conv2d(out,kh,kw) or conv2d(out,kh,kw,sh,sw), got 4 arguments");
  EXPECT_THROW_MSG(build("conv1d(5x,11)"), ConfigError,
                   "model.layers: bad argument in 'conv1d(5x,11)'; expected a positive integer, got '5x'");
  EXPECT_THROW_MSG(build("conv1d(0,11)"), ConfigError,
                   "model.layers: bad argument in 'conv1d(0,11)'; expected a positive integer, got '0'");
  EXPECT_THROW_MSG(build("conv1d(5,3) gap dropout(1) dense(3)"), ConfigError,
                   "model.layers: bad argument in 'dropout(1)'; expected a dropout rate in [0, 1), got '1'");
  EXPECT_THROW_MSG(build("relu(2)"), ConfigError,
                   "model.layers: wrong number of arguments in 'relu(2)'; expected relu without arguments, got 1 argument");
  EXPECT_THROW_MSG(build("a-b=relu"), ConfigError,
                   "model.layers: bad layer name in 'a-b=relu'; expected [A-Za-z0-9_] segments joined by dots (conv1, "
                   "body.0), got 'a-b'");
  EXPECT_THROW_MSG(build("body..0=relu"), ConfigError,
                   "model.layers: bad layer name in 'body..0=relu'; expected [A-Za-z0-9_] segments joined by dots "
                   "(conv1, body.0), got 'body..0'");
  EXPECT_THROW_MSG(build("conv1d(50,11"), ConfigError,
                   "model.layers: unbalanced parentheses; expected '(' and ')' in pairs, got 'conv1d(50,11'");
  EXPECT_THROW_MSG(build("gap dense(3))"), ConfigError,
                   "model.layers: unbalanced parentheses; expected '(' and ')' in pairs, got 'dense(3))'");
  EXPECT_THROW_MSG(build(" , "), ConfigError, "model.layers: no layers; expected at least one layer, got ' , '");
  EXPECT_THROW_MSG(build("conv1d(5,3)"), ConfigError,
                   "model.layers: layer 'conv1d1': the network must end in a flat output; expected a (T) output after "
                   "gap, flatten or dense, got 5x198");
  EXPECT_THROW_MSG(validate(config("gap dense(3)", "tanh")), ConfigError,
                   "model.output: unknown output; expected sigmoid, softmax or linear, got 'tanh'");
  EXPECT_NO_THROW(validate(ModelConfig{}));
}

// A layer whose parameter count does not fit an int (Eigen sizes, the k*c and
// kh*kw*c column counts) is a ConfigError before anything is allocated. Before the fix, the
// Conv1d constructor asked for a 100000 x 2e9 matrix (std::bad_alloc, not ConfigError).
TEST(NetworkTest, HugeLayersFromConfigAreConfigErrors) {
  EXPECT_THROW_MSG(Network::from_config(config("conv1d(100000,20000) gap dense(1)"), Shape{100000, 1, 20000}),
                   ConfigError,
                   "model.layers: layer 'conv1d1': too many parameters; expected at most 2147483647 values per array, "
                   "got (100000,100000,20000)");
  EXPECT_THROW_MSG(Network::from_config(config("conv2d(2,40000,40000) gap dense(1)"), Shape{1, 40000, 40000}),
                   ConfigError,
                   "model.layers: layer 'conv2d1': too many parameters; expected at most 2147483647 values per array, "
                   "got (2,1,40000,40000)");
  EXPECT_THROW_MSG(Network::from_config(config("conv2d(3,1,1) flatten dense(1)"), Shape{1, 40000, 40000}), ConfigError,
                   "model.layers: layer 'flatten1': too many features to flatten; expected at most 2147483647, got "
                   "3x40000x40000");
}

// ---- Architecture text --------------------------------------------------------------------------

TEST(NetworkTest, ArchitectureRoundTrip) {
  for (auto [layers, output, in] :
       {std::tuple{ModelConfig{}.layers, "sigmoid", Shape{4, 1, 200}},
        std::tuple{std::string("c=conv2d(3,2,3,2,1) relu drop=dropout(0.125) flatten fc=dense(4)"), "softmax",
                   Shape{2, 9, 8}},
        std::tuple{std::string("conv1d(3,4,3) gap dropout(0.3) dense(1)"), "sigmoid", Shape{1, 1, 17}},
        std::tuple{std::string("conv1d(3,4) relu gap dense(2)"), "linear", Shape{4, 1, 12}}}) {
    Network net = Network::from_config(config(layers, output), in);
    const std::string text = net.architecture();
    Network back = Network::from_architecture(text, "model.npz:architecture");
    EXPECT_EQ(back.architecture(), text);
    EXPECT_EQ(back.input_shape(), in);
    EXPECT_EQ(back.output_kind(), net.output_kind());
  }
}

TEST(NetworkTest, ArchitectureErrors) {
  const std::string w = "m.npz:architecture";
  auto parse = [&](const std::string& text) { Network::from_architecture(text, w); };
  EXPECT_THROW_MSG(parse("inputs 4x200\n"), InputError,
                   "m.npz:architecture:1: bad first line; expected 'input <shape>', got 'inputs 4x200'");
  EXPECT_THROW_MSG(parse("input 4x\n"), InputError,
                   "m.npz:architecture:1: bad input shape; expected C, CxL or CxHxW with positive integers, got '4x'");
  EXPECT_THROW_MSG(parse("input 4x20\noutput tanh\n"), InputError,
                   "m.npz:architecture:2: bad output line; expected 'output sigmoid', 'output softmax' or 'output "
                   "linear', got 'output tanh'");
  EXPECT_THROW_MSG(parse("input 4x20\noutput sigmoid\n"), InputError,
                   "m.npz:architecture:3: no layers; expected at least one '<name> <Layer>(...)' line, got none");
  EXPECT_THROW_MSG(parse("input 4x20\noutput sigmoid\nconv1\n"), InputError,
                   "m.npz:architecture:3: bad layer line; expected '<name> <Layer>(<arguments>)[ <- <input>, ...]', "
                   "got 'conv1'");
  EXPECT_THROW_MSG(parse("input 4x20\noutput sigmoid\nc Conv3d(in=4)\n"), InputError,
                   "m.npz:architecture:3: unknown layer 'Conv3d'; expected one of " + arch_type_names() + ", got 'Conv3d'");
  EXPECT_THROW_MSG(parse("input 4x20\noutput sigmoid\nc Conv1d(in=4, out=5, kernel=x, stride=1)\n"), InputError,
                   "m.npz:architecture:3: bad layer description; expected Conv1d(in=<int>, out=<int>, kernel=<int>, "
                   "stride=<int>[, padding=(<int>,<int>)][, dilation=<int>]), got 'Conv1d(in=4, out=5, kernel=x, stride=1)'");
  EXPECT_THROW_MSG(parse("input 4x20\noutput sigmoid\nc Conv1d(in=4,out=5,kernel=3,stride=1)\n"), InputError,
                   "m.npz:architecture:3: non-canonical layer description; expected 'Conv1d(in=4, out=5, kernel=3, "
                   "stride=1)', got 'Conv1d(in=4,out=5,kernel=3,stride=1)'");
  EXPECT_THROW_MSG(parse("input 4x20\noutput sigmoid\nc Conv1d(in=5, out=5, kernel=3, stride=1)\n"), InputError,
                   "m.npz:architecture:3: layer 'c': input channels do not match; expected 5, got 4");
  EXPECT_THROW_MSG(parse("input 4x20\noutput sigmoid\ng GlobalAvgPool()\ng Linear(in=4, out=1)\n"), InputError,
                   "m.npz:architecture:4: duplicate layer name; expected unique names, got 'g' twice");
  EXPECT_THROW_MSG(parse("input 4x20\noutput sigmoid\nr ReLU()\n"), InputError,
                   "m.npz:architecture:3: layer 'r': the network must end in a flat output; expected a (T) output "
                   "after gap, flatten or dense, got 4x20");
  EXPECT_THROW_MSG(parse("input 4x20\noutput sigmoid\ng GlobalAvgPool()\nd Dropout(p=1.5)\n"), InputError,
                   "m.npz:architecture:4: bad layer description; expected Dropout(p=<rate in [0, 1)>), got "
                   "'Dropout(p=1.5)'");
}

// ---- Parameters, init, clone ---------------------------------------------------------------------

TEST(NetworkTest, InitIsDeterministicAndClonesAreDeep) {
  Network a = Network::from_config(ModelConfig{}, Shape{4, 1, 30});
  Network b = Network::from_config(ModelConfig{}, Shape{4, 1, 30});
  a.init(7);
  b.init(7);
  auto pa = a.params(), pb = b.params();
  for (std::size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(*pa[i].value == *pb[i].value) << pa[i].name;
  // One Rng across layers: conv2's first weight is the draw after all of conv1's 4*50*11 + 50.
  Rng rng(7);
  for (int j = 0; j < 50 * 4 * 11 + 50; ++j) rng.uniform();
  EXPECT_EQ((*pa[2].value)(0, 0), uniform_pm(rng, 1.0 / std::sqrt(550.0)));
  b.init(8);
  EXPECT_FALSE(*pa[0].value == *b.params()[0].value);
  Network c = a.clone();
  EXPECT_EQ(c.architecture(), a.architecture());
  auto pc = c.params();
  for (std::size_t i = 0; i < pa.size(); ++i) {
    EXPECT_TRUE(*pa[i].value == *pc[i].value);
    EXPECT_NE(pa[i].value, pc[i].value);
  }
  auto g = a.zero_grads();
  ASSERT_EQ(g.size(), pa.size());
  for (std::size_t i = 0; i < g.size(); ++i) EXPECT_EQ(g[i].rows(), pa[i].value->rows());
}

TEST(NetworkTest, GlorotAndHeSchemesDrawInTorchOrderWithZeroBias) {
  for (const auto scheme : {InitScheme::GlorotUniform, InitScheme::HeUniform}) {
    Network a = Network::from_config(ModelConfig{}, Shape{4, 1, 30});
    a.init(3, scheme);
    auto p = a.params();
    // conv1.weight (50,4,11): fan_in 44, fan_out 550; fc2.weight (3,50): fan_in 50, fan_out 3.
    const double conv1_bound = scheme == InitScheme::GlorotUniform ? std::sqrt(6.0 / (44 + 550)) : std::sqrt(6.0 / 44);
    EXPECT_LE(p[0].value->cwiseAbs().maxCoeff(), conv1_bound);
    EXPECT_GT(p[0].value->cwiseAbs().maxCoeff(), 0.9 * conv1_bound);  // 2200 draws reach the edge
    EXPECT_TRUE(p[1].value->isZero(0)) << "conv1.bias";
    EXPECT_TRUE(p.back().value->isZero(0)) << "fc2.bias";
    // The first draw is conv1.weight[0][0][0], stored at column k*C + c = 0.
    Rng rng(3);
    EXPECT_EQ((*p[0].value)(0, 0), uniform_pm(rng, conv1_bound));
    // ... and the second is conv1.weight[0][0][1]: tap 1 of channel 0, column 1*4 + 0.
    EXPECT_EQ((*p[0].value)(0, 4), uniform_pm(rng, conv1_bound));
  }
  InitScheme s;
  EXPECT_TRUE(parse_init_scheme("glorot_uniform", s));
  EXPECT_EQ(s, InitScheme::GlorotUniform);
  EXPECT_FALSE(parse_init_scheme("xavier", s));
  ModelConfig bad;
  bad.init = "xavier";
  EXPECT_THROW_MSG(validate(bad), ConfigError,
                   "model.init: unknown scheme; expected pytorch, glorot_uniform or he_uniform, got 'xavier'");
}

// ---- Losses --------------------------------------------------------------------------------------

TEST(NetworkTest, SigmoidBceValuesAndStability) {
  Mat z(2, 2), y(2, 2), d;
  z << 0, 2, -1000, 1000;  // (T=2 x n=2), column-major: z(0,0)=0, z(1,0)=-1000, z(0,1)=2, z(1,1)=1000
  y << 1, 0, 0, 0;
  // Elements: (0, y=1): log 2; (2, y=0): 2 + log1p(e^-2); (-1000, 0): 0 (to double precision);
  // (1000, 0): 1000. Mean over 4.
  const double want = (std::log(2.0) + 2 + std::log1p(std::exp(-2.0)) + 0 + 1000) / 4;
  EXPECT_NEAR(sigmoid_bce(z, y, &d), want, 1e-12);
  EXPECT_FLOAT_EQ(d(0, 0), static_cast<float>((0.5 - 1) / 4));
  EXPECT_FLOAT_EQ(d(1, 0), 0.0f);
  EXPECT_FLOAT_EQ(d(1, 1), 0.25f);
  EXPECT_FLOAT_EQ(d(0, 1), static_cast<float>(1 / (1 + std::exp(-2.0)) / 4));
}

TEST(NetworkTest, SoftmaxCeValuesAndStability) {
  Mat z(3, 2), d;
  z << 0, 1000, 0, 1000, 0, -1000;  // column 0 uniform; column 1 two tied at 1000
  const std::vector<int> cls{2, 2};
  // Column 0: log 3. Column 1: lse = 1000 + log 2, z_2 = -1000 -> 2000 + log 2. Mean of both.
  EXPECT_NEAR(softmax_ce(z, cls, &d), (std::log(3.0) + 2000 + std::log(2.0)) / 2, 1e-9);
  EXPECT_FLOAT_EQ(d(0, 0), static_cast<float>(1.0 / 3 / 2));
  EXPECT_FLOAT_EQ(d(2, 0), static_cast<float>((1.0 / 3 - 1) / 2));
  EXPECT_FLOAT_EQ(d(0, 1), 0.25f);
  EXPECT_FLOAT_EQ(d(2, 1), -0.5f);
}

TEST(NetworkTest, MeanSquaredErrorValuesAndGradient) {
  Mat z(2, 2), y(2, 2), d;
  z << 1, -2, 0.5, 3;  // column-major: z(0,0)=1, z(1,0)=0.5, z(0,1)=-2, z(1,1)=3
  y << 0, -2, 1.5, 1;
  // Residuals 1, -1, 0, 2: mean of squares (1 + 1 + 0 + 4) / 4; gradient 2 r / 4.
  EXPECT_NEAR(mean_squared_error(z, y, &d), 1.5, 1e-12);
  EXPECT_FLOAT_EQ(d(0, 0), 0.5f);
  EXPECT_FLOAT_EQ(d(1, 0), -0.5f);
  EXPECT_FLOAT_EQ(d(0, 1), 0.0f);
  EXPECT_FLOAT_EQ(d(1, 1), 1.0f);
  EXPECT_EQ(output_name(OutputKind::Linear), std::string("linear"));
}

// ---- Whole-network gradient checks ------------------------------------------------------------

// The network's loss as a function of one input or parameter is piecewise smooth: the logits
// are linear in it while no ReLU input crosses zero, and BCE / CE are smooth in the logits, so
// the central difference's truncation error is eps^2/6 * f''' ~ 1e-6 * f''' with eps = 3e-3.
// Elements whose +-eps evaluations flip any ReLU (a kink inside the step) are skipped (ggml's
// grad_expect idea), detected exactly by comparing the ReLU input signs of the three passes.
// Dropout runs in training mode with a fixed ForwardMode, so its mask is the same in every pass.
// Rounding: the loss (~0.7) is summed in double from float logits that carry ~1e-7 relative
// error, so f+ - f- is good to ~1e-7 and the quotient to ~1e-7/(2 eps) ~ 2e-5 at worst; measured
// max |num - ana| is 1e-6..3e-6 with max |grad| ~0.15 (printed). Hence atol 2e-5 + rtol 1e-3:
// about 10x the measured error, and still ~1e-4 of the largest gradient, far below any real bug.
constexpr double kNetEps = 3e-3, kNetAtol = 2e-5, kNetRtol = 1e-3;
void gradcheck_network(Network& net, int n, const std::function<double(const Mat&, Mat*)>& loss) {
  Rng rng(21);
  Mat x = random_mat(net.input_shape().c, n * net.input_shape().spatial(), rng, -1, 1);
  const ForwardMode mode{true, 3, 0};
  Trace t;
  net.forward(x, n, t, mode);
  Mat dlogits;
  loss(net.logits(t), &dlogits);
  auto grads = net.zero_grads();
  Mat dx;
  net.backward(t, dlogits, grads, &dx);
  // Grads without d_input must be identical (the skipped dx changes nothing upstream).
  auto grads2 = net.zero_grads();
  net.backward(t, dlogits, grads2, nullptr);
  for (std::size_t i = 0; i < grads.size(); ++i) EXPECT_TRUE(grads[i] == grads2[i]);

  std::vector<int> relus;
  for (int i = 0; i < net.n_layers(); ++i)
    if (dynamic_cast<const ReLU*>(&net.layer(i))) relus.push_back(i);
  auto signs = [&](const Trace& tr) {
    std::vector<bool> s;
    for (int i : relus) {
      const Mat& in = tr.acts[static_cast<std::size_t>(net.inputs(i)[0])];
      for (Eigen::Index j = 0; j < in.size(); ++j) s.push_back(in.data()[j] > 0);
    }
    return s;
  };
  const auto base_signs = signs(t);
  bool kink = false;
  auto objective = [&] {
    Trace tr;
    net.forward(x, n, tr, mode);
    kink = kink || signs(tr) != base_signs;
    return loss(net.logits(tr), nullptr);
  };
  // Pre-scan per element: evaluate +-eps and skip when a ReLU flips.
  const double eps = kNetEps;
  auto kink_at = [&](float* v) {
    return [&, v](Eigen::Index j) {
      kink = false;
      const float keep = v[j];
      v[j] = static_cast<float>(keep + eps);
      objective();
      v[j] = static_cast<float>(keep - eps);
      objective();
      v[j] = keep;
      return kink;
    };
  };
  testing::GradCheckStats st;
  EXPECT_TRUE(testing::check_gradient(x.data(), dx.data(), x.size(), objective, eps, kNetAtol, kNetRtol, "input", st,
                                      kink_at(x.data())));
  auto ps = net.params();
  for (std::size_t i = 0; i < ps.size(); ++i)
    EXPECT_TRUE(testing::check_gradient(ps[i].value->data(), grads[i].data(), grads[i].size(), objective, eps, kNetAtol,
                                        kNetRtol, ps[i].name, st, kink_at(ps[i].value->data())));
  EXPECT_LT(st.skipped, st.checked / 5);
  double max_grad = dx.cwiseAbs().maxCoeff();
  for (auto& g : grads) max_grad = std::max(max_grad, double{g.cwiseAbs().maxCoeff()});
  std::printf("  [network gradcheck] checked %d, skipped %d (ReLU flips), max |num - ana| %.2e, max |grad| %.2e\n",
              st.checked, st.skipped, st.max_err, max_grad);
}

TEST(NetworkTest, GradientsMatchFiniteDifferencesWithSigmoidBce) {
  Network net = Network::from_config(
      config("conv1=conv1d(4,3) relu conv2=conv1d(3,3,2) relu gap fc1=dense(5) relu dropout(0.5) fc2=dense(3)"),
      Shape{2, 1, 15});
  net.init(1);
  const int n = 3;
  Rng rng(4);
  Mat targets(3, n);
  for (Eigen::Index j = 0; j < targets.size(); ++j) targets.data()[j] = rng.uniform() < 0.5 ? 0.0f : 1.0f;
  gradcheck_network(net, n, [&](const Mat& z, Mat* d) { return sigmoid_bce(z, targets, d); });
}

TEST(NetworkTest, GradientsMatchFiniteDifferencesWithMeanSquaredError) {
  Network net = Network::from_config(config("conv1=conv1d(4,3) relu gap fc1=dense(5) relu fc2=dense(2)", "linear"),
                                     Shape{3, 1, 11});
  net.init(5);
  const int n = 4;
  Rng rng(6);
  Mat targets(2, n);
  for (Eigen::Index j = 0; j < targets.size(); ++j) targets.data()[j] = static_cast<float>(rng.normal() * 2);
  gradcheck_network(net, n, [&](const Mat& z, Mat* d) { return mean_squared_error(z, targets, d); });
}

TEST(NetworkTest, GradientsMatchFiniteDifferencesWithSoftmaxCe) {
  Network net = Network::from_config(
      config("conv1=conv2d(3,2,2,1,1) relu conv2=conv2d(2,2,3,2,1) relu dropout(0.25) flatten fc1=dense(4) relu "
             "fc2=dense(3)",
             "softmax"),
      Shape{1, 7, 6});
  net.init(2);
  const std::vector<int> classes{0, 2, 1};
  gradcheck_network(net, 3, [&](const Mat& z, Mat* d) { return softmax_ce(z, classes, d); });
}

TEST(NetworkTest, ForwardMatchesLayerByLayer) {
  Network net = Network::from_config(ModelConfig{}, Shape{4, 1, 40});
  net.init(3);
  Rng rng(1);
  const Mat x = random_mat(4, 2 * 40, rng);
  Trace t;
  net.forward(x, 2, t);
  Mat cur = x, next, aux;
  for (int i = 0; i < net.n_layers(); ++i) {
    net.layer(i).forward(cur, net.shape(i), 2, next, aux, {});
    cur = next;
  }
  EXPECT_TRUE(cur == net.logits(t));
  EXPECT_EQ(net.logits(t).rows(), 3);
  EXPECT_EQ(net.logits(t).cols(), 2);
}

// ---- Graphs: residual Add, Concat of heads, '@' inputs -------------------------------------------

// A BPNet-like graph: a stem, two dilated residual blocks, a cropped profile head and a count
// head on the pooled trunk, concatenated. Input 4x16: 2x8 profile values + 2 counts = 18 outputs.
constexpr const char* kResidual =
    "stem=conv1d(6,5,padding=same) r0=relu c1=conv1d(6,3,padding=same,dilation=2) r1=relu a1=add(r0,r1) "
    "c2=conv1d(6,3,padding=same,dilation=4) r2=relu a2=add(a1,r2) prof=conv1d(2,3,padding=same) "
    "crop(left=4,right=4) pf=flatten g=gap@a2 counts=dense(2) heads=concat(pf,counts)";

TEST(NetworkGraphTest, BuildsInputsConsumersAndShapes) {
  const Network net = Network::from_config(config(kResidual), Shape{4, 1, 16});
  ASSERT_EQ(net.n_layers(), 14);
  EXPECT_FALSE(net.is_chain());
  EXPECT_EQ(net.n_outputs(), 18);
  // Activation a is the input (0) or the output of layer a - 1.
  EXPECT_EQ(net.inputs(4), (std::vector<int>{2, 4}));    // a1 = add(r0, r1)
  EXPECT_EQ(net.inputs(7), (std::vector<int>{5, 7}));    // a2 = add(a1, r2)
  EXPECT_EQ(net.inputs(8), (std::vector<int>{8}));       // prof reads a2 (the layer before)
  EXPECT_EQ(net.inputs(11), (std::vector<int>{8}));      // g=gap@a2
  EXPECT_EQ(net.inputs(13), (std::vector<int>{11, 13}));  // heads = concat(pf, counts)
  EXPECT_EQ(net.consumers(2), (std::vector<int>{2, 4}));  // r0 feeds c1 and a1
  EXPECT_EQ(net.consumers(8), (std::vector<int>{8, 11}));
  EXPECT_TRUE(net.consumers(14).empty());
  EXPECT_EQ(net.act_shape(10), (Shape{2, 1, 8}));
  EXPECT_EQ(net.shape(11), (Shape{6, 1, 16}));  // gap's input: a2
  EXPECT_EQ(net.input_shapes(13), (std::vector<Shape>{Shape{16, 1, 1}, Shape{2, 1, 1}}));
  EXPECT_TRUE(Network::from_config(ModelConfig{}, Shape{4, 1, 200}).is_chain());
}

TEST(NetworkGraphTest, ArchitectureListsInputsAndRoundTrips) {
  const Network net = Network::from_config(config(kResidual), Shape{4, 1, 16});
  const std::string text = net.architecture();
  EXPECT_NE(text.find("\na1 Add() <- r0, r1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\ng GlobalAvgPool() <- a2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nheads Concat() <- pf, counts\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nr2 ReLU()\n"), std::string::npos) << text;  // reads the layer before: no arrow
  EXPECT_EQ(Network::from_architecture(text, "m").architecture(), text);
  // '@input' reads the network input.
  const Network two = Network::from_config(config("ca=conv1d(3,3) cb=conv1d(3,3)@input s=add(ca,cb) gap dense(1)"),
                                           Shape{4, 1, 9});
  EXPECT_EQ(two.inputs(1), (std::vector<int>{0}));
  EXPECT_NE(two.architecture().find("\ncb Conv1d(in=4, out=3, kernel=3, stride=1) <- input\n"), std::string::npos);
}

// The graph's forward is its layers' forwards wired by hand.
TEST(NetworkGraphTest, ForwardIsTheLayersWiredByHand) {
  Network net = Network::from_config(config(kResidual), Shape{4, 1, 16});
  net.init(3);
  Rng rng(5);
  const int n = 3;
  const Mat x = random_mat(4, n * 16, rng);
  Trace t;
  net.forward(x, n, t);
  auto run = [&](int i, const Mat& in, const Shape& s) {
    Mat y, aux;
    net.layer(i).forward(in, s, n, y, aux, {});
    return y;
  };
  const Shape s6{6, 1, 16};
  const Mat r0 = run(1, run(0, x, Shape{4, 1, 16}), s6);
  const Mat a1 = r0 + run(3, run(2, r0, s6), s6);
  const Mat a2 = a1 + run(6, run(5, a1, s6), s6);
  const Mat pf = run(10, run(9, run(8, a2, s6), Shape{2, 1, 16}), Shape{2, 1, 8});
  const Mat counts = run(12, run(11, a2, s6), Shape{6, 1, 1});
  Mat expected(18, n);
  expected << pf, counts;
  EXPECT_TRUE(net.logits(t) == expected);
}

// Gradients that reach one activation from several layers are summed (r0 feeds c1 and a1; a2
// feeds both heads); checked against finite differences like the chains above.
TEST(NetworkGraphTest, GradientsMatchFiniteDifferences) {
  Network net = Network::from_config(config(kResidual, "linear"), Shape{4, 1, 16});
  net.init(9);
  const int n = 2;
  Rng rng(10);
  Mat targets(18, n);
  for (Eigen::Index j = 0; j < targets.size(); ++j) targets.data()[j] = static_cast<float>(rng.normal());
  gradcheck_network(net, n, [&](const Mat& z, Mat* d) { return mean_squared_error(z, targets, d); });
}

TEST(NetworkGraphTest, SpecErrors) {
  const Shape in{4, 1, 16};
  auto build = [&](const std::string& layers) { Network::from_config(config(layers), in); };
  EXPECT_THROW_MSG(build("stem=conv1d(6,3) r0=relu a=add(r9,r0) gap dense(1)"), ConfigError,
                   "model.layers: unknown input 'r9' in 'a=add(r9,r0)'; expected an earlier layer or input (input, "
                   "stem, r0), got 'r9'");
  EXPECT_THROW_MSG(build("c=conv1d(2,3)@r1 r1=relu gap dense(1)"), ConfigError,
                   "model.layers: unknown input 'r1' in 'c=conv1d(2,3)@r1'; expected an earlier layer or input "
                   "(input), got 'r1'");
  EXPECT_THROW_MSG(build("stem=conv1d(6,5) r0=relu c1=conv1d(6,3)@stem gap dense(2)"), ConfigError,
                   "model.layers: layer 'r0': its output is never used; expected every layer but the last to feed a "
                   "later layer, got no layer reads it");
  EXPECT_THROW_MSG(build("c=conv1d(2,3) r=relu a=add(c,r)@c gap dense(1)"), ConfigError,
                   "model.layers: '@' on a merge in 'a=add(c,r)@c'; expected the inputs as arguments, "
                   "add(<layer>,<layer>[,...]), got 'a=add(c,r)@c'");
  EXPECT_THROW_MSG(build("c=conv1d(2,3) add(c) gap dense(1)"), ConfigError,
                   "model.layers: wrong number of arguments in 'add(c)'; expected two or more input layers, got 1 "
                   "argument");
  EXPECT_THROW_MSG(build("c=conv1d(2,3) r=relu add(c,r,k=1) gap dense(1)"), ConfigError,
                   "model.layers: unknown argument in 'add(c,r,k=1)'; expected no key=value arguments, got 'k'");
  EXPECT_THROW_MSG(build("c=conv1d(2,3) r=relu add(c,r-1) gap dense(1)"), ConfigError,
                   "model.layers: bad input in 'add(c,r-1)'; expected an earlier layer's name or input, got 'r-1'");
  EXPECT_THROW_MSG(build("c1=conv1d(4,3) c2=conv1d(4,5)@input a=add(c1,c2) gap dense(1)"), ConfigError,
                   "model.layers: layer 'a': inputs of different shapes; expected one shape, got 4x14, 4x12");
  EXPECT_THROW_MSG(build("c1=conv1d(4,3) c2=conv1d(4,5)@input a=concat(c1,c2) gap dense(1)"), ConfigError,
                   "model.layers: layer 'a': inputs of different spatial shapes; expected one length (flatten a head "
                   "first), got 4x14, 4x12");
  EXPECT_THROW_MSG(build("input=conv1d(2,3) gap dense(1)"), ConfigError,
                   "model.layers: reserved layer name in 'input=conv1d(2,3)'; expected another name ('input' means "
                   "the network input), got 'input'");
  EXPECT_THROW_MSG(build("conv1d(2,3) relu@a-b gap dense(1)"), ConfigError,
                   "model.layers: bad input after '@' in 'relu@a-b'; expected an earlier layer's name or input, got "
                   "'a-b'");
  // concat of channels: 2 + 4 channels of one length.
  EXPECT_EQ(Network::from_config(config("c1=conv1d(2,3) c2=conv1d(4,3)@input cat=concat(c1,c2) gap dense(1)"), in)
                .act_shape(3),
            (Shape{6, 1, 14}));
}

TEST(NetworkGraphTest, ArchitectureErrors) {
  const std::string head = "input 4x20\noutput sigmoid\nc Conv1d(in=4, out=2, kernel=3, stride=1)\nr ReLU()\n";
  auto parse = [&](const std::string& rest) { Network::from_architecture(head + rest, "m.npz:architecture"); };
  EXPECT_NO_THROW(parse("a Add() <- c, r\ng GlobalAvgPool()\n"));
  EXPECT_THROW_MSG(parse("a Add() <- c, zz\ng GlobalAvgPool()\n"), InputError,
                   "m.npz:architecture:5: unknown input; expected an earlier layer or input, got 'zz'");
  EXPECT_THROW_MSG(parse("a Add() <- a, r\ng GlobalAvgPool()\n"), InputError,
                   "m.npz:architecture:5: unknown input; expected an earlier layer or input, got 'a'");
  EXPECT_THROW_MSG(parse("a Add()\ng GlobalAvgPool()\n"), InputError,
                   "m.npz:architecture:5: wrong number of inputs; expected two or more, got 1");
  EXPECT_THROW_MSG(parse("g GlobalAvgPool() <- c, r\n"), InputError,
                   "m.npz:architecture:5: wrong number of inputs; expected one, got 2");
  EXPECT_THROW_MSG(parse("input GlobalAvgPool()\n"), InputError,
                   "m.npz:architecture:5: bad layer name; expected [A-Za-z0-9_] segments joined by dots (conv1, "
                   "body.0), got 'input'");
  EXPECT_THROW_MSG(parse("g GlobalAvgPool() <- c\n"), InputError,
                   "m.npz:architecture:5: layer 'r': its output is never used; expected every layer but the last to "
                   "feed a later layer, got no layer reads it");
}

}  // namespace
}  // namespace lb::model
