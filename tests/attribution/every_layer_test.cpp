// Every registered layer type, looped over from the registry (model::layer_types()), not from a
// hand-written list: each has an example network here, and each example round-trips through the
// architecture text and through ONNX export and import to the same outputs, attributes with
// every method kind, and sums to delta under DeepLIFT where its role promises it (every role but
// Gradient). A new type without an example fails the first test, so it cannot go unchecked.
#include <cmath>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "attribution/methods.h"
#include "model/network.h"
#include "model/onnx.h"
#include "model/registry.h"
#include "testing/helpers.h"
#include "testing/networks.h"
#include "testing/random_inputs.h"

namespace lb::attr {
namespace {

using model::Network;
using model::Shape;

struct Example {
  std::string layers;  // model.layers around the type
  Shape in;
};

// One small network per architecture name that uses the type (with options where it has them).
const std::map<std::string, Example>& examples() {
  static const std::map<std::string, Example> kExamples = {
      {"Conv1d", {"c1=conv1d(5,3,padding=same,dilation=2) relu c2=conv1d(4,3,2,padding=(1,2)) relu gap fc=dense(2)", {4, 1, 24}}},
      {"Conv2d", {"c1=conv2d(3,3,2) relu flatten fc=dense(2)", {1, 8, 7}}},
      {"Linear", {"flatten fc1=dense(6) relu fc2=dense(2)", {4, 1, 10}}},
      {"BatchNorm1d", {"c1=conv1d(5,3) bn=batchnorm relu gap fc=dense(2)", {4, 1, 20}}},
      {"ReLU", {"c1=conv1d(5,3) relu gap fc=dense(2)", {4, 1, 20}}},
      {"Sigmoid", {"c1=conv1d(5,3) sigmoid gap fc=dense(2)", {4, 1, 20}}},
      {"Tanh", {"c1=conv1d(5,3) tanh gap fc=dense(2)", {4, 1, 20}}},
      {"Softplus", {"c1=conv1d(5,3) softplus gap fc=dense(2)", {4, 1, 20}}},
      {"ELU", {"c1=conv1d(5,3) elu(alpha=0.5) gap fc=dense(2)", {4, 1, 20}}},
      {"GELU", {"c1=conv1d(5,3) gelu gap fc=dense(2)", {4, 1, 20}}},
      {"Exp", {"c1=conv1d(5,3) relu gap fc1=dense(3) exp fc=dense(2)", {4, 1, 20}}},
      {"MaxPool1d", {"c1=conv1d(5,3) relu maxpool(2) gap fc=dense(2)", {4, 1, 20}}},
      {"AvgPool1d", {"c1=conv1d(5,3) relu avgpool(3,2) gap fc=dense(2)", {4, 1, 20}}},
      {"Crop1d", {"c1=conv1d(5,3) relu crop(left=2,right=1) flatten fc=dense(2)", {4, 1, 20}}},
      {"GlobalAvgPool", {"c1=conv1d(5,3) relu gap fc=dense(2)", {4, 1, 20}}},
      {"GlobalMaxPool", {"c1=conv1d(5,3) relu gmp fc=dense(2)", {4, 1, 20}}},
      {"Flatten", {"c1=conv1d(3,5) relu flatten fc=dense(2)", {4, 1, 12}}},
      {"Dropout", {"c1=conv1d(5,3) relu gap dropout(0.3) fc=dense(2)", {4, 1, 20}}},
      {"Add",
       {"c1=conv1d(4,3,padding=same) r1=relu c2=conv1d(4,3,padding=same) r2=relu s=add(r1,r2) gap fc=dense(2)",
        {4, 1, 20}}},
      {"Concat", {"c1=conv1d(4,3) r1=relu g1=gap c2=conv1d(3,5)@r1 r2=relu g2=gap cat=concat(g1,g2) fc=dense(2)", {4, 1, 20}}},
      {"Heads", {"c1=conv1d(3,5) r1=relu prof=conv1d(2,3)@r1 g=gap@r1 cnt=dense(1)@g heads(prof,cnt)", {4, 1, 20}}},
  };
  return kExamples;
}

Network example_net(const std::string& arch_name) {
  const Example& e = examples().at(arch_name);
  return lb::testing::config_net(e.layers, e.in, 11, "linear");
}

// Input for the example: one-hot DNA for 4-channel 1-D inputs, random values otherwise.
Mat example_input(const Network& net, int n) {
  const Shape in = net.input_shape();
  if (in.c == 4 && in.h == 1) return lb::testing::random_one_hot(n, in.w, 5);
  return lb::testing::random_mat(in.c, static_cast<Eigen::Index>(n) * in.spatial(), 5);
}

Mat logits(const Network& net, const Mat& x, int n) {
  model::Trace t;
  net.forward(x, n, t);
  return net.logits(t);
}

bool uses_type(const Network& net, const std::string& arch_name) {
  for (int i = 0; i < net.n_layers(); ++i)
    if (model::LayerArgs::parse(net.layer(i).describe(), true).kind() == arch_name) return true;
  return false;
}

TEST(EveryLayerTest, EveryRegisteredTypeHasAnExampleThatUsesIt) {
  ASSERT_FALSE(model::layer_types().empty());
  for (const model::LayerType* type : model::layer_types()) {
    const std::string name(type->arch_name);
    SCOPED_TRACE(name);
    ASSERT_TRUE(examples().count(name)) << "a new layer type needs an example network in this file";
    EXPECT_TRUE(uses_type(example_net(name), name));
  }
  EXPECT_EQ(examples().size(), model::layer_types().size()) << "an example names a type that is not registered";
}

TEST(EveryLayerTest, EveryTypeRoundTripsThroughTheArchitectureAndOnnx) {
  lb::testing::TempDir tmp;
  for (const model::LayerType* type : model::layer_types()) {
    const std::string name(type->arch_name);
    SCOPED_TRACE(name);
    const Network net = example_net(name);
    const Network back = Network::from_architecture(net.architecture(), "arch");
    EXPECT_EQ(back.architecture(), net.architecture());
    const std::string path = tmp.file(name + ".onnx");
    model::export_onnx(path, net);
    const Network onnx = model::import_onnx(path);
    // Dropout is the identity at inference and has no node in the exported graph.
    if (name != "Dropout") {
      EXPECT_EQ(onnx.architecture(), net.architecture());
    }
    const int n = 3;
    const Mat x = example_input(net, n);
    const Mat z = logits(net, x, n), zo = logits(onnx, x, n);
    ASSERT_EQ(zo.rows(), z.rows());
    ASSERT_EQ(zo.cols(), z.cols());
    for (Eigen::Index e = 0; e < z.size(); ++e)
      EXPECT_NEAR(zo.data()[e], z.data()[e], 1e-5 * std::max(1.0f, std::abs(z.data()[e])));
  }
}

TEST(EveryLayerTest, EveryTypeAttributesWithEveryMethodAndSumsToDeltaWhereItsRolePromises) {
  for (const model::LayerType* type : model::layer_types()) {
    const std::string name(type->arch_name);
    SCOPED_TRACE(name);
    const Network net = example_net(name);
    const bool one_hot = net.input_shape().c == 4 && net.input_shape().h == 1;
    bool gradient_rule = false;
    for (int i = 0; i < net.n_layers(); ++i) gradient_rule |= net.layer(i).attr_role() == model::AttrRole::Gradient;
    AttributionConfig cfg;
    cfg.reference = one_hot ? "background" : "zeros";
    cfg.n_shuffles = 2;
    cfg.ig_steps = 4;
    cfg.smoothgrad_samples = 2;
    const int n = 3;
    const Mat x = example_input(net, n);
    const std::vector<int> tasks{0, 1};
    for (const MethodKindInfo& kind : method_kinds()) {
      if (kind.needs_one_hot && !one_hot) continue;
      if (kind.needs_shuffled_reference && !one_hot) continue;
      const std::string spec = kind.argument_required ? std::string(kind.name) + ":rescale" : std::string(kind.name);
      SCOPED_TRACE(spec);
      const Method m = parse_method(spec, net, cfg);
      const MethodResult r = run_method(m, net, x, n, tasks, cfg);
      ASSERT_EQ(r.contributions.cols(), static_cast<Eigen::Index>(tasks.size()) * n * net.input_shape().spatial());
      EXPECT_TRUE(r.contributions.allFinite());
      if (kind.exact_delta && !gradient_rule) {
        EXPECT_LT(r.max_rel_delta, 1e-4);
      }
    }
    // RevealCancel's split too, where the sums are promised.
    if (!gradient_rule) {
      const MethodResult rc = run_method(parse_method("deeplift:revealcancel", net, cfg), net, x, n, tasks, cfg);
      EXPECT_LT(rc.max_rel_delta, 1e-4);
    }
  }
}

}  // namespace
}  // namespace lb::attr
