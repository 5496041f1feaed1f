// liftbench against PyTorch on the fixtures of tests/data/torch/ (scripts/make_torch_fixtures.py,
// run by hand with Debian's python3-torch): Basset-like (padded conv, batch norm, ReLU, max
// pool, dense), DeepSEA-like (dilated conv, max and average pools, sigmoid hidden layer), a
// zoo of smooth nonlinearities (ELU, tanh, GELU, softplus, batch norm), torch_ops (a zero pad
// before a convolution, a crop by slicing, a strided conv, a padded max pool, x.view), gap_head
// (x.mean(-1) after conv, batch norm and GELU), and a BPNet-like graph (dilated residual
// blocks, a cropped profile head and a count head concatenated, 18 outputs; its Rescale
// reference applies the rescale trick inside the graph). Each model is loaded
// twice: from its PyTorch state_dict (numpy.savez, names like body.0.weight) with the spec's
// layers, and from the .onnx file torch.onnx.export wrote (model/onnx.h); the expected values
// were computed in float64 from the same float32 weights.
#include <cmath>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "attribution/engine.h"
#include "io/npz.h"
#include "model/model_file.h"
#include "model/network.h"
#include "testing/helpers.h"

namespace lb::attr {
namespace {

struct Fixture {
  model::Network net;
  int n = 0, len = 0, tasks = 0;
  Mat x, r;  // (4 x n*len), (4 x len)
  std::vector<double> logits, grad, rescale;  // (n,T), (T,n,4,len), (T,n,4,len)
};

// `source`: "npz" (the state_dict with the spec's layers) or "onnx" (the exported graph).
Fixture load(const std::string& name, const std::string& source) {
  const std::string dir = std::string(LB_TEST_DATA_DIR) + "/torch/";
  Fixture f;
  model::ModelConfig cfg;
  model::Shape in;
  std::istringstream spec(lb::testing::read_text(dir + name + ".spec"));
  for (std::string line; std::getline(spec, line);) {
    if (line.starts_with("input 4x")) in = model::Shape{4, 1, std::stoi(line.substr(8))};
    if (line.starts_with("output ")) cfg.output = line.substr(7);
    if (line.starts_with("layers ")) cfg.layers = line.substr(7);
  }
  f.net = source == "onnx" ? model::load_model(dir + name + ".onnx", nullptr, &in)
                           : model::load_model(dir + name + ".model.npz", &cfg, &in);
  const io::NpzArchive data = io::read_npz(dir + name + ".data.npz");
  const std::string where = name + ".data.npz";
  const auto& xa = io::find_array(data, "x", where);
  f.n = static_cast<int>(xa.shape[0]);
  f.len = static_cast<int>(xa.shape[2]);
  const auto xv = xa.to_f32(where), rv = io::find_array(data, "r", where).to_f32(where);
  f.x.resize(4, Eigen::Index{f.n} * f.len);
  for (int i = 0; i < f.n; ++i)
    for (int c = 0; c < 4; ++c)
      for (int p = 0; p < f.len; ++p)
        f.x(c, Eigen::Index{i} * f.len + p) = xv[(static_cast<std::size_t>(i) * 4 + c) * f.len + p];
  f.r.resize(4, f.len);
  for (int c = 0; c < 4; ++c)
    for (int p = 0; p < f.len; ++p) f.r(c, p) = rv[static_cast<std::size_t>(c) * f.len + p];
  const auto& la = io::find_array(data, "logits", where);
  f.tasks = static_cast<int>(la.shape[1]);
  f.logits = la.to_f64(where);
  f.grad = io::find_array(data, "grad", where).to_f64(where);
  f.rescale = io::find_array(data, "rescale", where).to_f64(where);
  return f;
}

// Multipliers (C x T*n*S) against a (T,n,4,S) PyTorch array: the largest error relative to
// max(1, |expected|).
double max_rel_error(const Mat& m, const std::vector<double>& want, const Fixture& f) {
  double worst = 0;
  for (int t = 0; t < f.tasks; ++t)
    for (int i = 0; i < f.n; ++i)
      for (int c = 0; c < 4; ++c)
        for (int p = 0; p < f.len; ++p) {
          const double w = want[((static_cast<std::size_t>(t) * f.n + i) * 4 + c) * f.len + p];
          const double got = m(c, (Eigen::Index{t} * f.n + i) * f.len + p);
          worst = std::max(worst, std::abs(got - w) / std::max(1.0, std::abs(w)));
        }
  return worst;
}

std::vector<int> all_tasks(const Fixture& f) {
  std::vector<int> t(static_cast<std::size_t>(f.tasks));
  for (int i = 0; i < f.tasks; ++i) t[static_cast<std::size_t>(i)] = i;
  return t;
}

class TorchFixtureTest : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {
 protected:
  Fixture load_param() const { return load(std::get<0>(GetParam()), std::get<1>(GetParam())); }
};

TEST_P(TorchFixtureTest, PredictionsMatchPyTorch) {
  const Fixture f = load_param();
  model::Trace t;
  f.net.forward(f.x, f.n, t);
  const Mat& z = f.net.logits(t);
  ASSERT_EQ(z.rows(), f.tasks);
  for (int i = 0; i < f.n; ++i)
    for (int k = 0; k < f.tasks; ++k) {
      const double w = f.logits[static_cast<std::size_t>(i) * f.tasks + k];
      EXPECT_NEAR(z(k, i), w, 1e-5 * std::max(1.0, std::abs(w))) << "sample " << i << " task " << k;
    }
}

TEST_P(TorchFixtureTest, GradientsMatchAutograd) {
  const Fixture f = load_param();
  const Mat g = gradient_multipliers(f.net, f.x, f.n, all_tasks(f));
  EXPECT_LE(max_rel_error(g, f.grad, f), 1e-5);
}

TEST_P(TorchFixtureTest, RescaleMatchesAnIndependentPyTorchImplementation) {
  const Fixture f = load_param();
  const Reference ref{f.r, true};
  Mat dl;
  const Mat m = deeplift_multipliers(f.net, f.x, ref, f.n, all_tasks(f), uniform_rules(f.net, Rule::Rescale), {}, &dl);
  EXPECT_LE(max_rel_error(m, f.rescale, f), 1e-5);
  // Summation-to-delta holds where no max pool breaks it (deeplift's gradient rule for max pools).
  const std::string& name = std::get<0>(GetParam());
  if (name == "smooth_zoo" || name == "gap_head" || name == "residual") {
    const Mat err = summation_error(contributions(m, f.x, ref, f.n, f.tasks, f.len), dl, f.n, f.len);
    for (Eigen::Index k = 0; k < err.size(); ++k)
      EXPECT_LE(std::abs(err.data()[k]), 1e-5 * std::max(1.0f, std::abs(dl.data()[k])));
  }
}

// (fixture, source): every fixture from its state_dict and from its ONNX file.
INSTANTIATE_TEST_SUITE_P(Models, TorchFixtureTest,
                         ::testing::Values(std::make_tuple("basset_like", "npz"), std::make_tuple("basset_like", "onnx"),
                                           std::make_tuple("deepsea_like", "npz"), std::make_tuple("deepsea_like", "onnx"),
                                           std::make_tuple("smooth_zoo", "npz"), std::make_tuple("smooth_zoo", "onnx"),
                                           std::make_tuple("torch_ops", "npz"), std::make_tuple("torch_ops", "onnx"),
                                           std::make_tuple("gap_head", "npz"), std::make_tuple("gap_head", "onnx"),
                                           std::make_tuple("residual", "npz"), std::make_tuple("residual", "onnx")),
                         [](const auto& p) { return std::get<0>(p.param) + "_" + std::get<1>(p.param); });

}  // namespace
}  // namespace lb::attr
