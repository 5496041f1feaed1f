// Elementwise nonlinearities (model/nonlinearity.h): each is f, f' and its one-sided derivatives,
// and one registration. Values are computed in double and rounded once; derivatives in double
// too where float loses digits (sigmoid, tanh, GELU near their tails).
#include <cmath>
#include <numbers>

#include <fmt/format.h>

#include "model/nonlinearity.h"
#include "model/registry.h"

namespace lb::model {

namespace {

double sigmoid(double z) { return z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z)); }

// sigmoid(z) = 1/(1 + e^-z); f' = s(1 - s), smooth everywhere.
struct SigmoidFn {
  double f(double z) const { return sigmoid(z); }
  float df(float z) const {
    const double s = sigmoid(z);
    return static_cast<float>(s * (1.0 - s));
  }
  float df_right(float z) const { return df(z); }
  float df_left(float z) const { return df(z); }
  std::string describe() const { return "Sigmoid()"; }
  void export_onnx(OnnxBuilder& b) const { b.node("Sigmoid", b.layer().name(), {b.current()}, b.output_name()); }
};

// tanh; f' = 1 - tanh².
struct TanhFn {
  double f(double z) const { return std::tanh(z); }
  float df(float z) const {
    const double t = std::tanh(static_cast<double>(z));
    return static_cast<float>(1.0 - t * t);
  }
  float df_right(float z) const { return df(z); }
  float df_left(float z) const { return df(z); }
  std::string describe() const { return "Tanh()"; }
  void export_onnx(OnnxBuilder& b) const { b.node("Tanh", b.layer().name(), {b.current()}, b.output_name()); }
};

// softplus(z) = log(1 + e^z), computed as max(z, 0) + log1p(e^-|z|) (PyTorch's default beta = 1;
// its linear branch above z = 20 differs from this by under 3e-9); f' = sigmoid(z).
struct SoftplusFn {
  double f(double z) const { return std::max(z, 0.0) + std::log1p(std::exp(-std::abs(z))); }
  float df(float z) const { return static_cast<float>(sigmoid(z)); }
  float df_right(float z) const { return df(z); }
  float df_left(float z) const { return df(z); }
  std::string describe() const { return "Softplus()"; }
  void export_onnx(OnnxBuilder& b) const { b.node("Softplus", b.layer().name(), {b.current()}, b.output_name()); }
};

// ELU: z for z > 0, alpha (e^z - 1) otherwise. f' = 1 above 0, alpha e^z at and below 0 (PyTorch's
// backward); one-sided at 0: f'+(0) = 1, f'-(0) = alpha.
struct EluFn {
  double alpha = 1.0;
  double f(double z) const { return z > 0 ? z : alpha * std::expm1(z); }
  float df(float z) const { return z > 0.0f ? 1.0f : static_cast<float>(alpha * std::exp(static_cast<double>(z))); }
  float df_right(float z) const { return z >= 0.0f ? 1.0f : df(z); }
  float df_left(float z) const { return df(z); }
  std::string describe() const { return fmt::format("ELU(alpha={})", alpha); }
  void export_onnx(OnnxBuilder& b) const {
    b.node("Elu", b.layer().name(), {b.current()}, b.output_name(), {OnnxAttr::f("alpha", alpha)});
  }
};

// GELU, the exact form (PyTorch's default approximate='none'): z Φ(z), Φ the standard normal
// CDF; f' = Φ(z) + z φ(z).
struct GeluFn {
  static double cdf(double z) { return 0.5 * std::erfc(-z / std::numbers::sqrt2); }
  double f(double z) const { return z * cdf(z); }
  float df(float z) const {
    const double x = z, pdf = std::exp(-0.5 * x * x) / std::sqrt(2.0 * std::numbers::pi);
    return static_cast<float>(cdf(x) + x * pdf);
  }
  float df_right(float z) const { return df(z); }
  float df_left(float z) const { return df(z); }
  std::string describe() const { return "GELU()"; }
  // torch's decomposition, which import folds back: x * (erf(x / sqrt(2)) + 1) * 0.5.
  void export_onnx(OnnxBuilder& b) const {
    const std::string name = b.layer().name(), x = b.current();
    b.node("Div", name + "/div", {x, b.constant(name + "/sqrt2", static_cast<float>(std::sqrt(2.0)))}, name + "/scaled");
    b.node("Erf", name + "/erf", {b.current()}, name + "/erf_out");
    b.node("Add", name + "/add", {b.current(), b.constant(name + "/one", 1.0f)}, name + "/plus_one");
    b.node("Mul", name + "/mul", {x, b.current()}, name + "/product");
    b.node("Mul", name, {b.current(), b.constant(name + "/half", 0.5f)}, b.output_name());
  }
};

// exp; f' = exp (count heads of BPNet-like models predict log counts through it).
struct ExpFn {
  double f(double z) const { return std::exp(z); }
  float df(float z) const { return static_cast<float>(std::exp(static_cast<double>(z))); }
  float df_right(float z) const { return df(z); }
  float df_left(float z) const { return df(z); }
  std::string describe() const { return "Exp()"; }
  void export_onnx(OnnxBuilder& b) const { b.node("Exp", b.layer().name(), {b.current()}, b.output_name()); }
};

using Sigmoid = Elementwise<SigmoidFn>;
using Tanh = Elementwise<TanhFn>;
using Softplus = Elementwise<SoftplusFn>;
using Elu = Elementwise<EluFn>;
using Gelu = Elementwise<GeluFn>;
using Exp = Elementwise<ExpFn>;

LayerDecl elu_from_config(const LayerArgs& a, const Shape& in) {
  (void)in;
  a.want_positional({0});
  a.only_keys({"alpha"});
  const double alpha = a.positive_real("alpha", 1.0);
  return {{}, [alpha](std::string name) -> LayerPtr { return std::make_unique<Elu>(std::move(name), EluFn{alpha}); }};
}

LayerDecl elu_from_architecture(const LayerArgs& a) {
  a.only_keys({"alpha"});
  const double alpha = a.positive_real("alpha", 1.0);
  return {{}, [alpha](std::string name) -> LayerPtr { return std::make_unique<Elu>(std::move(name), EluFn{alpha}); }};
}

}  // namespace

LB_REGISTER_LAYER(relu, {"relu", "ReLU", "relu without arguments", "ReLU()", no_arg_from_config<ReLU>,
                         no_arg_from_architecture<ReLU>});
LB_REGISTER_LAYER(sigmoid, {"sigmoid", "Sigmoid", "sigmoid without arguments", "Sigmoid()",
                            no_arg_from_config<Sigmoid>, no_arg_from_architecture<Sigmoid>});
LB_REGISTER_LAYER(tanh, {"tanh", "Tanh", "tanh without arguments", "Tanh()", no_arg_from_config<Tanh>,
                         no_arg_from_architecture<Tanh>});
LB_REGISTER_LAYER(softplus, {"softplus", "Softplus", "softplus without arguments", "Softplus()",
                             no_arg_from_config<Softplus>, no_arg_from_architecture<Softplus>});
LB_REGISTER_LAYER(elu, {"elu", "ELU", "elu or elu(alpha=<number > 0>)", "ELU(alpha=<number > 0>)", elu_from_config,
                        elu_from_architecture});
LB_REGISTER_LAYER(gelu, {"gelu", "GELU", "gelu without arguments", "GELU()", no_arg_from_config<Gelu>,
                         no_arg_from_architecture<Gelu>});
LB_REGISTER_LAYER(exp, {"exp", "Exp", "exp without arguments", "Exp()", no_arg_from_config<Exp>,
                        no_arg_from_architecture<Exp>});

}  // namespace lb::model
