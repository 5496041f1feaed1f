// ONNX import and export (model/onnx.h). The PyTorch fixtures' .onnx files (torch.onnx.export,
// scripts/make_torch_fixtures.py; torch_ops and gap_head hold what torch writes for F.pad,
// slicing, x.view(x.size(0), -1) and x.mean(-1)) import to their state_dict and predictions; every layer type
// survives export -> onnx.checker (Debian's python3-onnx, run from here) -> import; hand-built
// graphs (the protobuf API) cover the folded patterns and each bad input's exact message.
// Gradients and DeepLIFT of the imported fixtures: tests/attribution/torch_fixture_test.cpp.
#include "model/onnx.h"

#include <onnx/onnx_pb.h>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "io/npz.h"
#include "model/model_file.h"
#include "testing/helpers.h"

namespace lb::model {
namespace {

using lb::testing::run_command;
using lb::testing::TempDir;
using lb::testing::write_text;

const std::string kTorch = std::string(LB_TEST_DATA_DIR) + "/torch/";

// The fixture's network from its state_dict and .spec (the liftbench spelling of the model).
Network from_spec(const std::string& name, std::string* output = nullptr) {
  ModelConfig cfg;
  Shape in;
  std::istringstream spec(lb::testing::read_text(kTorch + name + ".spec"));
  for (std::string line; std::getline(spec, line);) {
    if (line.starts_with("input 4x")) in = Shape{4, 1, std::stoi(line.substr(8))};
    if (line.starts_with("output ")) cfg.output = line.substr(7);
    if (line.starts_with("layers ")) cfg.layers = line.substr(7);
  }
  if (output) *output = cfg.output;
  return load_model(kTorch + name + ".model.npz", &cfg, &in);
}

// The fixture's inputs x (4 x n*L) and PyTorch's logits (n, T).
struct Data {
  Mat x;
  int n = 0;
  std::vector<double> logits;
};

Data read_data(const std::string& name) {
  const io::NpzArchive data = io::read_npz(kTorch + name + ".data.npz");
  const auto& xa = io::find_array(data, "x", name);
  Data d;
  d.n = static_cast<int>(xa.shape[0]);
  const int len = static_cast<int>(xa.shape[2]);
  const auto xv = xa.to_f32(name);
  d.x.resize(4, Eigen::Index{d.n} * len);
  for (int i = 0; i < d.n; ++i)
    for (int c = 0; c < 4; ++c)
      for (int p = 0; p < len; ++p) d.x(c, Eigen::Index{i} * len + p) = xv[(static_cast<std::size_t>(i) * 4 + c) * len + p];
  d.logits = io::find_array(data, "logits", name).to_f64(name);
  return d;
}

Mat forward(const Network& net, const Mat& x, int n) {
  Trace t;
  net.forward(x, n, t);
  return net.logits(t);
}

// The layer lines of an architecture, without Dropout (ONNX has none at inference).
std::string layer_lines(const std::string& arch) {
  std::istringstream in(arch);
  std::string out;
  for (std::string line; std::getline(in, line);)
    if (line.find(" Dropout(") == std::string::npos && !line.starts_with("output ") && !line.starts_with("input "))
      out += line + "\n";
  return out;
}

// A python3 with the onnx package (Debian's python3-onnx): /usr/bin/python3 first, as pyenv or a
// venv may shadow it; empty when there is none.
std::string onnx_python() {
  for (const std::string py : {"/usr/bin/python3", "python3"})
    if (run_command(py + " -c 'import onnx'").exit_code == 0) return py;
  return "";
}

// onnx.checker with full_check (shape inference in strict mode) on a file; "ok" or the error.
std::string onnx_check(const std::string& path) {
  const std::string py = onnx_python();
  if (py.empty()) return "no python3 with onnx (scripts/setup.sh --tests installs python3-onnx)";
  const auto r = run_command(py + " -c 'import onnx, sys; m = onnx.load(sys.argv[1]); "
                                  "onnx.checker.check_model(m, full_check=True); "
                                  "print(\"ok\", m.ir_version, m.opset_import[0].version)' " + path);
  return r.exit_code == 0 ? r.out : r.out + r.err;
}

class OnnxFixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(OnnxFixtureTest, ImportsToTheStateDictAndTheSameLayers) {
  Network onnx = import_onnx(kTorch + GetParam() + ".onnx");
  Network npz = from_spec(GetParam());
  // Parameter names, shapes and values: the state_dict, bit for bit.
  const auto a = onnx.state(), b = npz.state();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t k = 0; k < a.size(); ++k) {
    EXPECT_EQ(a[k].name, b[k].name);
    EXPECT_EQ(a[k].torch_shape, b[k].torch_shape) << a[k].name;
    EXPECT_EQ(onnx.layer(a[k].layer).export_param(a[k].index), npz.layer(b[k].layer).export_param(b[k].index)) << a[k].name;
  }
  // The same layers under torch's module names (dropout left out), ending in the logits (the
  // residual model's functional relus, adds and heads are named otherwise: its own test below).
  EXPECT_EQ(onnx.input_shape(), npz.input_shape());
  if (GetParam() != "residual") {
    EXPECT_EQ(layer_lines(onnx.architecture()), layer_lines(npz.architecture()));
  }
  EXPECT_EQ(onnx.output_kind(), OutputKind::Linear);
}

TEST_P(OnnxFixtureTest, PredictionsMatchPyTorch) {
  const Network net = import_onnx(kTorch + GetParam() + ".onnx");
  const Data d = read_data(GetParam());
  const Mat z = forward(net, d.x, d.n);
  const auto tasks = static_cast<int>(d.logits.size()) / d.n;
  ASSERT_EQ(z.rows(), tasks);
  for (int i = 0; i < d.n; ++i)
    for (int k = 0; k < tasks; ++k) {
      const double w = d.logits[static_cast<std::size_t>(i) * tasks + k];
      EXPECT_NEAR(z(k, i), w, 1e-5 * std::max(1.0, std::abs(w))) << "sample " << i << " task " << k;
    }
}

TEST_P(OnnxFixtureTest, ExportPassesTheCheckerAndImportsToTheSameNetwork) {
  TempDir tmp;
  const Network net = import_onnx(kTorch + GetParam() + ".onnx");
  export_onnx(tmp.file("m.onnx"), net);
  EXPECT_EQ(onnx_check(tmp.file("m.onnx")), "ok 7 13\n");
  const Network back = import_onnx(tmp.file("m.onnx"));
  EXPECT_EQ(back.architecture(), net.architecture());
  const Data d = read_data(GetParam());
  EXPECT_EQ(forward(back, d.x, d.n), forward(net, d.x, d.n));
}

INSTANTIATE_TEST_SUITE_P(Models, OnnxFixtureTest,
                         ::testing::Values("basset_like", "deepsea_like", "smooth_zoo", "torch_ops", "gap_head",
                                           "residual"));

TEST(OnnxTest, ResidualGraphImportsWithItsAddsAndConcatenatedHeads) {
  // torch's residual adds and torch.cat of the heads become Add and Concat layers reading named
  // activations; the crop's end, h.shape[2] - 28, is computed from Shape at import.
  EXPECT_EQ(import_onnx(kTorch + "residual.onnx").architecture(),
            "input 4x64\n"
            "output linear\n"
            "stem Conv1d(in=4, out=8, kernel=7, stride=1, padding=(3,3))\n"
            "stem_act.f ReLU()\n"
            "body.0 Conv1d(in=8, out=8, kernel=3, stride=1, padding=(2,2), dilation=2)\n"
            "acts.0.f ReLU()\n"
            "add1 Add() <- stem_act.f, acts.0.f\n"
            "body.1 Conv1d(in=8, out=8, kernel=3, stride=1, padding=(4,4), dilation=4)\n"
            "acts.1.f ReLU()\n"
            "add2 Add() <- add1, acts.1.f\n"
            "body.2 Conv1d(in=8, out=8, kernel=3, stride=1, padding=(8,8), dilation=8)\n"
            "acts.2.f ReLU()\n"
            "add3 Add() <- add2, acts.2.f\n"
            "profile Conv1d(in=8, out=2, kernel=5, stride=1, padding=(2,2))\n"
            "crop1 Crop1d(left=28, right=28)\n"
            "flatten1 Flatten()\n"
            "gap1 GlobalAvgPool() <- add3\n"
            "counts Linear(in=8, out=2)\n"
            "concat1 Concat() <- flatten1, counts\n");
}

TEST(OnnxTest, BassetLikeLayersAreNamedAfterTorchModules) {
  // Layers with weights take their initializer's name, the others their torch node's module path.
  EXPECT_EQ(import_onnx(kTorch + "basset_like.onnx").architecture(),
            "input 4x64\n"
            "output linear\n"
            "body.0 Conv1d(in=4, out=16, kernel=11, stride=1, padding=(5,5))\n"
            "body.1 BatchNorm1d(channels=16, eps=1e-05, momentum=0.1)\n"
            "body.2 ReLU()\n"
            "body.3 MaxPool1d(kernel=4, stride=4)\n"
            "body.4 Conv1d(in=16, out=16, kernel=7, stride=1, padding=(3,3))\n"
            "body.5 BatchNorm1d(channels=16, eps=1e-05, momentum=0.1)\n"
            "body.6 ReLU()\n"
            "body.7 MaxPool1d(kernel=4, stride=4)\n"
            "body.8 Flatten()\n"
            "body.9 Linear(in=64, out=24)\n"
            "body.10 ReLU()\n"
            "body.12 Linear(in=24, out=3)\n");
}

TEST(OnnxTest, LoadModelDispatchesOnTheExtension) {
  const Shape in{4, 1, 64};
  const Network net = load_model(kTorch + "smooth_zoo.onnx", nullptr, &in);
  EXPECT_EQ(net.n_layers(), 12);
  EXPECT_TRUE(is_self_describing(kTorch + "smooth_zoo.onnx"));
  const Shape other{4, 1, 100};
  EXPECT_THROW_MSG(load_model(kTorch + "smooth_zoo.onnx", nullptr, &other), InputError,
                   kTorch + "smooth_zoo.onnx: the model's input shape does not fit the data; expected 4x100 (the data), "
                            "got 4x64 (the graph input)");
  // A zip archive named .onnx is a .npz.
  TempDir tmp;
  save_model(tmp.file("zip.onnx"), net);
  EXPECT_FALSE(is_onnx_path(tmp.file("zip.onnx")));
  EXPECT_EQ(load_model(tmp.file("zip.onnx")).architecture(), net.architecture());
  EXPECT_TRUE(is_onnx_path(tmp.file("missing.ONNX")));
}

// Every layer type, with random parameters and batch-norm statistics, through export and import.
void fill_random(Network& net, std::uint64_t seed) {
  net.init(seed);
  Rng rng(seed, 7);
  for (int k = 0; k < net.n_layers(); ++k) {
    Layer& l = net.layer(k);
    const auto buffers = l.buffers();
    for (std::size_t b = 0; b < buffers.size(); ++b) {
      std::vector<float> v(static_cast<std::size_t>(buffers[b].value->size()));
      for (auto& x : v) x = static_cast<float>(b == 0 ? rng.uniform() - 0.5 : 0.5 + rng.uniform());
      l.import_param(static_cast<int>(l.params().size() + b), v);
    }
  }
}

void expect_round_trip(const std::string& layers, Shape in, const std::string& output) {
  ModelConfig cfg;
  cfg.layers = layers;
  cfg.output = output;
  Network net = Network::from_config(cfg, in);
  fill_random(net, 3);
  TempDir tmp;
  export_onnx(tmp.file("m.onnx"), net);
  EXPECT_EQ(onnx_check(tmp.file("m.onnx")), "ok 7 13\n") << layers;
  const Network back = import_onnx(tmp.file("m.onnx"));
  EXPECT_EQ(back.input_shape(), net.input_shape()) << layers;
  EXPECT_EQ(back.output_kind(), net.output_kind()) << layers;
  EXPECT_EQ(layer_lines(back.architecture()), layer_lines(net.architecture()));
  const int n = 5;
  const Mat x = Mat::Random(in.size(), n).reshaped(in.c, Eigen::Index{n} * in.spatial());
  EXPECT_EQ(forward(back, x, n), forward(net, x, n)) << layers;
}

TEST(OnnxTest, EveryLayerSurvivesExportAndImport) {
  expect_round_trip(
      "c1=conv1d(6,5,padding=(1,3),dilation=2) bn=batchnorm e=elu(alpha=0.5) m=maxpool(3,2,padding=1) "
      "c2=conv1d(5,3,2,padding=1) g=gelu t=tanh a=avgpool(2) cr=crop(left=1,right=2) s=softplus x=exp "
      "c3=conv1d(4,1) r=relu sg=sigmoid fl=flatten d=dense(7) dr=dropout(0.3) out=dense(3)",
      Shape{4, 1, 60}, "sigmoid");
  expect_round_trip("c=conv1d(8,5) r=relu gap d=dense(2)", Shape{4, 1, 30}, "linear");
  expect_round_trip("c=conv1d(8,5) bn=batchnorm gmp d=dense(4)", Shape{4, 1, 30}, "softmax");
  expect_round_trip("c1=conv2d(4,3,3,2,2) r=relu c2=conv2d(6,2,2) gap d=dense(10)", Shape{1, 12, 12}, "softmax");
  expect_round_trip("d1=dense(5) r=relu d2=dense(2)", Shape{8, 1, 1}, "sigmoid");
  // Graphs: residual adds, heads concatenated, and an add of a length-1 conv's (N, C, 1) output
  // with a dense layer's (N, C).
  expect_round_trip("s=conv1d(6,3,padding=1) r=relu c=conv1d(6,3,padding=2,dilation=2) r2=relu a=add(r,r2) "
                    "p=conv1d(2,1) cr=crop(left=2,right=2) f=flatten g=gap@a d=dense(3) h=concat(f,d)",
                    Shape{4, 1, 20}, "linear");
  expect_round_trip("c=conv1d(3,5) g=gap@input d=dense(3) a=add(c,d)", Shape{4, 1, 5}, "sigmoid");
}

TEST(OnnxTest, ExportIsAtomicAndNamesInitializersAsTheStateDict) {
  TempDir tmp;
  const Network net = import_onnx(kTorch + "deepsea_like.onnx");
  export_onnx(tmp.file("m.onnx"), net);
  EXPECT_EQ(lb::testing::list_dir(tmp.path()), std::vector<std::string>{"m.onnx"});
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(lb::testing::read_text(tmp.file("m.onnx"))));
  std::vector<std::string> names;
  for (const auto& t : m.graph().initializer()) names.push_back(t.name());
  EXPECT_EQ(names, (std::vector<std::string>{"body.0.weight", "body.0.bias", "body.3.weight", "body.3.bias",
                                             "body.7.weight", "body.7.bias", "body.9.weight", "body.9.bias"}));
  EXPECT_EQ(m.graph().input(0).type().tensor_type().shape().dim(0).dim_param(), "N");
  EXPECT_EQ(m.graph().output(0).name(), "output");
}

// ---- Hand-built graphs ----------------------------------------------------------------------------

// A graph under construction: input "x" of (N, dims...), nodes added in order.
struct Graph {
  onnx::ModelProto m;
  explicit Graph(std::vector<std::int64_t> dims, int opset = 13) {
    m.set_ir_version(7);
    auto* o = m.add_opset_import();
    o->set_domain("");
    o->set_version(opset);
    auto* in = m.mutable_graph()->add_input();
    in->set_name("x");
    auto* t = in->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    t->mutable_shape()->add_dim()->set_dim_param("batch");
    for (const auto d : dims) t->mutable_shape()->add_dim()->set_dim_value(d);
  }
  onnx::NodeProto* node(const std::string& op, const std::string& name, std::vector<std::string> inputs,
                        const std::string& output) {
    auto* n = m.mutable_graph()->add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const auto& i : inputs) n->add_input(i);
    n->add_output(output);
    return n;
  }
  static void ints(onnx::NodeProto* n, const std::string& name, std::vector<std::int64_t> v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (const auto x : v) a->add_ints(x);
  }
  static void integer(onnx::NodeProto* n, const std::string& name, std::int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  void floats(const std::string& name, std::vector<std::int64_t> dims, float start = 0.1f) {
    auto* t = m.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    std::int64_t n = 1;
    for (const auto d : dims) t->add_dims(d), n *= d;
    for (std::int64_t k = 0; k < n; ++k) t->add_float_data(start * static_cast<float>((k * 7) % 11 - 5));
  }
  void int64s(const std::string& name, std::vector<std::int64_t> v) {
    auto* t = m.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(static_cast<std::int64_t>(v.size()));
    for (const auto x : v) t->add_int64_data(x);
  }
  void output(const std::string& name) { m.mutable_graph()->add_output()->set_name(name); }
  std::string write(const TempDir& tmp, const std::string& file = "g.onnx") const {
    std::string bytes;
    m.SerializeToString(&bytes);
    write_text(tmp.file(file), bytes);
    return tmp.file(file);
  }
};

// x (N,4,10) -> Conv 4->3 (kernel 3) -> ... the usual start of the hand-built graphs.
Graph conv_graph() {
  Graph g({4, 10});
  g.floats("c.weight", {3, 4, 3});
  g.floats("c.bias", {3});
  g.node("Conv", "c", {"x", "c.weight", "c.bias"}, "h");
  return g;
}

const std::string kOps =
    "Add, AveragePool, BatchNormalization, Cast, Concat, Constant, ConstantOfShape, Conv, Div, Dropout, Elu, Erf, Exp, "
    "Flatten, Gather, Gemm, GlobalAveragePool, GlobalMaxPool, Identity, LogSoftmax, MatMul, MaxPool, Mul, Pad, "
    "ReduceMax, ReduceMean, Relu, Reshape, Shape, Sigmoid, Slice, Softmax, Softplus, Squeeze, Sub, Tanh, Transpose, "
    "Unsqueeze";

TEST(OnnxTest, SupportedOpsAreListed) { EXPECT_EQ(onnx_supported_ops(), kOps); }

TEST(OnnxTest, TorchShapeArithmeticAndPatternsFold) {
  // x.view(x.size(0), -1) as torch writes it (Shape, Gather, Unsqueeze, Concat, Reshape), F.pad's
  // pads computed from constants (ConstantOfShape, Concat, Reshape, Slice backwards, Transpose,
  // Cast) before a Conv, MatMul + Add, and a final Sigmoid: one network of plain layers.
  Graph g({4, 10});
  auto* c = g.node("Constant", "k0", {}, "four");
  auto* a = c->add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  a->mutable_t()->set_data_type(onnx::TensorProto::INT64);
  a->mutable_t()->add_dims(1);
  a->mutable_t()->add_int64_data(4);
  g.node("ConstantOfShape", "zeros", {"four"}, "z");  // float zeros (4)
  g.floats("lr", {2}, 0.0f);                          // replaced below by (1, 2): pad 1 left, 2 right
  g.m.mutable_graph()->mutable_initializer(0)->clear_float_data();
  g.m.mutable_graph()->mutable_initializer(0)->add_float_data(1.0f);
  g.m.mutable_graph()->mutable_initializer(0)->add_float_data(2.0f);
  Graph::integer(g.node("Concat", "cat", {"lr", "z"}, "lr0"), "axis", 0);  // (1, 2, 0, 0, 0, 0)
  g.int64s("shape_2col", {-1, 2});
  g.node("Reshape", "rs", {"lr0", "shape_2col"}, "pairs");  // ((1,2),(0,0),(0,0))
  g.int64s("s_start", {-1});
  g.int64s("s_end", {-9223372036854775807LL});
  g.int64s("s_axes", {0});
  g.int64s("s_steps", {-1});
  g.node("Slice", "rev", {"pairs", "s_start", "s_end", "s_axes", "s_steps"}, "rpairs");  // ((0,0),(0,0),(1,2))
  g.node("Transpose", "tr", {"rpairs"}, "cols");                                        // ((0,0,1),(0,0,2))
  g.int64s("flat", {-1});
  g.node("Reshape", "rs2", {"cols", "flat"}, "pads_f");  // (0,0,1,0,0,2)
  Graph::integer(g.node("Cast", "cast", {"pads_f"}, "pads"), "to", onnx::TensorProto::INT64);
  g.node("Pad", "/body/pad/Pad", {"x", "pads"}, "xp");
  g.floats("conv.weight", {3, 4, 5});
  g.floats("conv.bias", {3});
  g.node("Conv", "/body/conv/Conv", {"xp", "conv.weight", "conv.bias"}, "h");
  g.node("Shape", "shape", {"h"}, "hs");
  g.int64s("zero", {0});
  g.node("Gather", "gather", {"hs", "zero"}, "n1");
  g.int64s("minus1", {-1});
  Graph::integer(g.node("Concat", "cat2", {"n1", "minus1"}, "target"), "axis", 0);
  g.node("Reshape", "/flat/Reshape", {"h", "target"}, "f");
  g.floats("fc.weight", {3 * 9, 2});  // MatMul's (in, out): 3 channels x 9 positions
  g.node("MatMul", "mm", {"f", "fc.weight"}, "mmo");
  g.floats("fc.bias", {2});
  g.node("Add", "bias", {"mmo", "fc.bias"}, "logits");
  g.node("Sigmoid", "prob", {"logits"}, "y");
  g.output("y");
  TempDir tmp;
  const Network net = import_onnx(g.write(tmp));
  EXPECT_EQ(net.architecture(),
            "input 4x10\n"
            "output sigmoid\n"
            "conv Conv1d(in=4, out=3, kernel=5, stride=1, padding=(1,2))\n"
            "flat Flatten()\n"
            "fc Linear(in=27, out=2)\n");
  // The MatMul's (in, out) weight is stored as PyTorch's (out, in), the Add as its bias.
  const auto w = net.layer(2).export_param(0), b = net.layer(2).export_param(1);
  EXPECT_FLOAT_EQ(w[1], 0.1f * static_cast<float>((2 * 7) % 11 - 5));  // (out 0, in 1) = B[1][0], element 2
  EXPECT_FLOAT_EQ(b[1], 0.1f * static_cast<float>((1 * 7) % 11 - 5));
}

TEST(OnnxTest, ConvAutoPadAndGemmLayouts) {
  Graph g({4, 9});
  g.floats("c.weight", {2, 4, 4});
  g.floats("c.bias", {2});
  auto* c = g.node("Conv", "c", {"x", "c.weight", "c.bias"}, "h");
  auto* a = c->add_attribute();
  a->set_name("auto_pad");
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s("SAME_LOWER");
  auto* mean = g.node("ReduceMean", "mean", {"h"}, "m");
  Graph::ints(mean, "axes", {-1});
  Graph::integer(mean, "keepdims", 1);
  g.int64s("sq", {2});
  g.node("Squeeze", "sq", {"m", "sq"}, "s");
  g.floats("B", {2, 3});  // Gemm without transB: (in, out)
  g.node("Gemm", "fc", {"s", "B"}, "y");
  g.node("LogSoftmax", "ls", {"y"}, "out");
  g.output("out");
  TempDir tmp;
  EXPECT_EQ(import_onnx(g.write(tmp)).architecture(),
            "input 4x9\n"
            "output softmax\n"
            "c Conv1d(in=4, out=2, kernel=4, stride=1, padding=(2,1))\n"
            "mean GlobalAvgPool()\n"
            "fc Linear(in=2, out=3)\n");
}

// ---- Bad inputs ----------------------------------------------------------------------------------

TEST(OnnxTest, NotAProtobuf) {
  TempDir tmp;
  write_text(tmp.file("bad.onnx"), std::string("\xff\xff\xff\xff garbage", 12));
  EXPECT_THROW_MSG(import_onnx(tmp.file("bad.onnx")), InputError,
                   tmp.file("bad.onnx") + ": not an ONNX model; expected a serialized ONNX ModelProto (protobuf), got "
                                          "bytes protobuf cannot parse");
  write_text(tmp.file("empty.onnx"), "");
  EXPECT_THROW_MSG(import_onnx(tmp.file("empty.onnx")), InputError,
                   tmp.file("empty.onnx") + ": not an ONNX model; expected a serialized ONNX ModelProto, got an empty file");
  EXPECT_THROW(import_onnx(tmp.file("missing.onnx")), IoError);
}

TEST(OnnxTest, UnsupportedOpNamesNodeOpAndTheSupportedOps) {
  Graph g = conv_graph();
  g.node("LSTM", "mystery", {"h"}, "y");
  g.output("y");
  TempDir tmp;
  const std::string path = g.write(tmp);
  EXPECT_THROW_MSG(import_onnx(path), InputError,
                   path + ": node 'mystery' (LSTM): unsupported operator; expected one of " + kOps + ", got 'LSTM'");
}

TEST(OnnxTest, AsymmetricPoolPadsAndGroupConvAreRefused) {
  TempDir tmp;
  {
    Graph g = conv_graph();
    auto* p = g.node("MaxPool", "pool", {"h"}, "y");
    Graph::ints(p, "kernel_shape", {2});
    Graph::ints(p, "pads", {0, 1});
    g.output("y");
    const std::string path = g.write(tmp);
    EXPECT_THROW_MSG(import_onnx(path), InputError,
                     path + ": node 'pool' (MaxPool): asymmetric pads; expected the same padding at both ends, got (0,1)");
  }
  {
    Graph g({4, 10});
    g.floats("w", {4, 2, 3});
    Graph::integer(g.node("Conv", "grouped", {"x", "w"}, "y"), "group", 2);
    g.output("y");
    const std::string path = g.write(tmp);
    EXPECT_THROW_MSG(import_onnx(path), InputError,
                     path + ": node 'grouped' (Conv): grouped convolution; expected group=1, got group=2");
  }
}

// Several graph outputs are the network's heads (BPNet's profile and counts), named after them.
TEST(OnnxTest, SeveralGraphOutputsBecomeNamedHeads) {
  TempDir tmp;
  {
    Graph g = conv_graph();  // h: (N, 3, 8)
    g.node("Relu", "r", {"h"}, "profile");
    g.node("GlobalAveragePool", "p", {"h"}, "pooled");
    g.node("Flatten", "f", {"pooled"}, "counts");
    g.output("profile");
    g.output("counts");
    const Network net = import_onnx(g.write(tmp));
    ASSERT_EQ(net.heads().size(), 2u);
    EXPECT_EQ(heads_str(net), "profile (3x8), counts (3)");
    EXPECT_EQ(net.output_kind(), OutputKind::Linear);
    EXPECT_EQ(net.n_outputs(), 27);
  }
  const auto expect_error = [&](Graph g, const std::string& message, std::optional<OutputKind> out = {}) {
    const std::string path = g.write(tmp);
    EXPECT_THROW_MSG(import_onnx(path, out), InputError, path + ": " + message);
  };
  {
    Graph g = conv_graph();
    g.node("Relu", "r", {"h"}, "a");
    g.node("GlobalAveragePool", "p", {"h"}, "pooled");
    g.node("Flatten", "f", {"pooled"}, "flat");
    g.node("Softmax", "s", {"flat"}, "b");
    g.output("a");
    g.output("b");
    expect_error(g, "graph output 'b' is a Softmax; expected heads of logits (a graph with several outputs ends in no "
                    "Softmax), got a final Softmax");
  }
  {
    Graph g = conv_graph();
    g.node("Relu", "r", {"h"}, "a");
    g.output("a");
    g.output("x");
    expect_error(g, "graph output 'x' is not a layer's output; expected the output of a layer, got the graph input");
  }
  {
    Graph g = conv_graph();
    g.node("Relu", "r", {"h"}, "a");
    g.node("Sigmoid", "s", {"h"}, "b:0");
    g.output("a");
    g.output("b:0");
    expect_error(g, "graph output 'b:0' is no head name; expected [A-Za-z0-9_] names joined by dots, other than input, "
                    "got 'b:0'");
  }
  {
    Graph g = conv_graph();
    g.node("Relu", "r", {"h"}, "a");
    g.node("Sigmoid", "s", {"h"}, "b");
    g.output("a");
    g.output("b");
    expect_error(g, "2 graph outputs for --output sigmoid; expected --output linear (or none) for a graph with several "
                    "outputs (its heads), got sigmoid",
                 OutputKind::Sigmoid);
  }
  {
    Graph g = conv_graph();
    g.output("h");
    g.output("h");
    expect_error(g, "graph output 'h' twice; expected distinct graph outputs, got 'h'");
  }
  {  // a control-track input beside the sequence
    Graph g = conv_graph();
    auto* ctl = g.m.mutable_graph()->add_input();
    *ctl = g.m.graph().input(0);
    ctl->set_name("x_ctl");
    g.output("h");
    expect_error(g, "wrong number of graph inputs; expected one input besides initializers, the sequence (graphs with "
                    "extra inputs, such as control tracks or a bias model's output, are not supported), got 2: 'x', "
                    "'x_ctl'");
  }
}

TEST(OnnxTest, MalformedGraphsFailWithOneLine) {
  TempDir tmp;
  const auto expect_error = [&](const Graph& g, const std::string& message) {
    const std::string path = g.write(tmp);
    EXPECT_THROW_MSG(import_onnx(path), InputError, path + ": " + message);
  };
  {  // a weight nothing defines
    Graph g({4, 10});
    g.node("Conv", "c", {"x", "c.weight"}, "y");
    g.output("y");
    expect_error(g, "node 'c' (Conv): unknown input 'c.weight'; expected W: an initializer, a Constant, the graph input "
                    "or an earlier node's output, got a name nothing defines");
  }
  {  // a length the file leaves open
    Graph g({4, 10});
    g.m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(2)->set_dim_param("L");
    g.node("Relu", "r", {"x"}, "y");
    g.output("y");
    expect_error(g, "graph input 'x': dimension 2 cannot be resolved; expected fixed sizes after the batch dimension, "
                    "got the symbol 'L'");
  }
  {
    Graph g({4, 10}, 18);
    g.node("Relu", "r", {"x"}, "y");
    g.output("y");
    expect_error(g, "unsupported opset; expected opset 11 to 17, got 18");
  }
  {  // a reshape that is not a flatten
    Graph g = conv_graph();
    g.int64s("s", {0, 8, 3});
    g.node("Reshape", "r", {"h", "s"}, "y");
    g.output("y");
    expect_error(g, "node 'r' (Reshape): unsupported reshape; expected flattening (N,3,8) to (N,24), got (N,8,3)");
  }
  {  // a reshape whose batch cannot be told
    Graph g = conv_graph();
    g.int64s("s", {-1, -1});
    g.node("Reshape", "r", {"h", "s"}, "y");
    g.output("y");
    expect_error(g, "node 'r' (Reshape): shape cannot be resolved; expected at most one -1 (the batch size and one other "
                    "size are both unknown), got (-1,-1)");
  }
  {  // a Pad that no Conv absorbs
    Graph g = conv_graph();
    g.int64s("p", {0, 0, 1, 0, 0, 1});
    g.node("Pad", "pad", {"h", "p"}, "hp");
    g.node("Relu", "r", {"hp"}, "y");
    g.output("y");
    expect_error(g, "node 'r' (Relu): reads a Pad's output; expected Pad only directly before a Conv (folded into its "
                    "padding), got Pad followed by Relu");
  }
  {  // padding beyond what Conv1d takes
    Graph g({4, 10});
    g.floats("w", {2, 4, 3});
    Graph::ints(g.node("Conv", "c", {"x", "w"}, "y"), "pads", {3, 0});
    g.output("y");
    expect_error(g, "node 'c' (Conv): padding wider than the kernel; expected at most dilation * (kernel - 1) = 2 on "
                    "each side (liftbench's Conv1d), got (3,0)");
  }
  {  // a residual Add that would need broadcasting
    Graph g = conv_graph();
    g.node("Relu", "r", {"x"}, "xr");
    g.node("Add", "res", {"xr", "h"}, "y");
    g.output("y");
    expect_error(g, "node 'res' (Add): Add of activations of different shapes; expected two activations of one shape "
                    "(no broadcasting), got (N,4,10) and (N,3,8)");
  }
  {  // arithmetic on an activation
    Graph g = conv_graph();
    g.node("Sub", "minus", {"h", "h"}, "y");
    g.output("y");
    expect_error(g, "node 'minus' (Sub): Sub of an activation; expected Sub only of two constants (shape arithmetic), "
                    "got 'h' - 'h'");
  }
  {  // a branch that reaches no output
    Graph g({4, 10});
    g.node("Relu", "dead", {"x"}, "unused");
    g.node("GlobalAveragePool", "pool", {"x"}, "p");
    g.node("Flatten", "flat", {"p"}, "y");
    g.output("y");
    expect_error(g, "node 'dead' (Relu): its output reaches no graph output; expected every layer on the way to the "
                    "output, got an unused result");
  }
  {  // heads of different lengths
    Graph g = conv_graph();
    g.node("Relu", "r", {"x"}, "xr");
    Graph::integer(g.node("Concat", "cat", {"h", "xr"}, "y"), "axis", 1);
    g.output("y");
    expect_error(g, "node 'cat' (Concat): inputs of different shapes; expected the positions of the first input, "
                    "(N,3,8), got (N,4,10)");
  }
  {  // an output that is not flat
    Graph g = conv_graph();
    g.output("h");
    expect_error(g, "graph output 'h' is not flat; expected a flat (N, outputs) output (Flatten, or a pooling over the "
                    "length, first), got (N,3,8)");
  }
  {  // an initializer whose data does not match its dimensions
    Graph g = conv_graph();
    g.m.mutable_graph()->mutable_initializer(0)->add_dims(2);
    g.output("h");
    expect_error(g, "initializer 'c.weight': data does not match the dimensions; expected 72 values for (3,4,3,2), got "
                    "36 values");
  }
}

}  // namespace
}  // namespace lb::model
