// Dense (PyTorch Linear): y = W x + b on a flat (in x n) activation.
#include <cmath>

#include "model/layers.h"
#include "model/onnx_builder.h"
#include "model/registry.h"

namespace lb::model {

Dense::Dense(std::string name, int in_features, int out_features)
    : Layer(std::move(name)), in_(in_features), out_(out_features) {
  LB_CHECK(in_ > 0 && out_ > 0, "dense '{}': in={} out={}", this->name(), in_, out_);
  LB_CHECK(product_fits_int({out_, in_}), "dense '{}': {}x{} parameters do not fit an int", this->name(), out_, in_);
  weight_ = Mat::Zero(out_, in_);
  bias_ = Mat::Zero(out_, 1);
}

std::string Dense::describe() const { return fmt::format("Linear(in={}, out={})", in_, out_); }

Shape Dense::output_shape(const Shape& in) const {
  if (in.h != 1 || in.w != 1)
    throw layer_error(name(), "dense needs a flat input", "a (C) input after gap or flatten", in.str());
  if (in.c != in_) throw layer_error(name(), "input features do not match", std::to_string(in_), std::to_string(in.c));
  return Shape{out_, 1, 1};
}

void Dense::forward(const Mat& x, const Shape& in, int n, Mat& y, Mat& aux, const ForwardMode& mode) const {
  (void)in, (void)aux, (void)mode;
  LB_CHECK(x.rows() == in_ && x.cols() == n, "dense '{}': x is {}x{}, expected {}x{}", name(), x.rows(), x.cols(),
           in_, n);
  y.resize(out_, n);
  y.noalias() = weight_ * x;  // (out x in)(in x n)
  y.colwise() += bias_.col(0);
}

void Dense::backward(const Mat& x, const Mat& y, const Mat& aux, const Mat& dy, const Shape& in, int n, Mat* dx,
                     std::span<Mat> grads) const {
  (void)y, (void)aux;
  LB_CHECK(dy.rows() == out_ && dy.cols() == n, "dense '{}': dy is {}x{}, expected {}x{}", name(), dy.rows(),
           dy.cols(), out_, n);
  LB_CHECK(grads.size() == 2, "dense '{}': expected 2 gradient slots, got {}", name(), grads.size());
  grads[0].noalias() += dy * x.transpose();   // dW += dY X^T
  grads[1].noalias() += dy.rowwise().sum();   // db += sum over samples
  if (dx) transpose(dy, in, n, *dx, false);  // dX = W^T dY
}

void Dense::transpose(const Mat& m, const Shape& in, Eigen::Index blocks, Mat& dst, bool abs) const {
  (void)in;
  LB_CHECK(m.rows() == out_ && m.cols() == blocks, "dense '{}': m is {}x{}, expected {}x{}", name(), m.rows(), m.cols(),
           out_, blocks);
  dst.resize(in_, blocks);
  if (abs)
    dst.noalias() = weight_.cwiseAbs().transpose() * m;
  else
    dst.noalias() = weight_.transpose() * m;  // (in x out)(out x blocks)
}

void Dense::abs_forward(const Mat& x, const Shape& in, int n, Mat& y) const {
  (void)in;
  LB_CHECK(x.rows() == in_ && x.cols() == n, "dense '{}': x is {}x{}, expected {}x{}", name(), x.rows(), x.cols(), in_, n);
  y.resize(out_, n);
  y.noalias() = weight_.cwiseAbs() * x;
}

std::vector<Param> Dense::params() { return {Param{"weight", &weight_, {out_, in_}}, Param{"bias", &bias_, {out_}}}; }

// PyTorch Linear's default: U(-1/sqrt(in), 1/sqrt(in)) for weight (C order of (out, in)) then bias.
void Dense::init(Rng& rng) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(in_));
  for (int o = 0; o < out_; ++o)
    for (int i = 0; i < in_; ++i) weight_(o, i) = uniform_pm(rng, bound);
  for (int o = 0; o < out_; ++o) bias_(o, 0) = uniform_pm(rng, bound);
}

// (out x in) column-major exported row-major is PyTorch's (out, in) C order: the defaults fit.
std::vector<float> Dense::export_param(int i) const { return Layer::export_param(i); }
void Dense::import_param(int i, std::span<const float> torch_order) { Layer::import_param(i, torch_order); }


// ---- ONNX: Gemm with the weight transposed, after a Flatten when the input still has axes

void Dense::export_onnx(OnnxBuilder& b) const {
  b.flatten_if_needed(name());
  const auto w = b.initializers();
  b.node("Gemm", name(), {b.current(), w[0], w[1]}, b.output_name(), {OnnxAttr::i("transB", 1)});
}

// ---- Registration: dense(out) / Linear(in=, out=)

namespace {

LayerDecl dense_from_config(const LayerArgs& a, const Shape& in) {
  a.want_positional({1});
  a.only_keys({});
  const int out = a.positive(0), c = in.c;
  return {{{"weight", {out, c}}, {"bias", {out}}}, [=](std::string name) -> LayerPtr {
            // Name the problem here: output_shape would report a feature-count mismatch.
            if (in.h != 1 || in.w != 1)
              throw layer_error(name, "dense needs a flat input", "a (C) input after gap or flatten", in.str());
            return std::make_unique<Dense>(std::move(name), c, out);
          }};
}

LayerDecl dense_from_architecture(const LayerArgs& a) {
  a.only_keys({"in", "out"});
  const int in = a.positive("in"), out = a.positive("out");
  return {{{"weight", {out, in}}, {"bias", {out}}},
          [=](std::string name) -> LayerPtr { return std::make_unique<Dense>(std::move(name), in, out); }};
}

}  // namespace

LB_REGISTER_LAYER(dense, {"dense", "Linear", "dense(out)", "Linear(in=<int>, out=<int>)", dense_from_config,
                          dense_from_architecture});

}  // namespace lb::model
