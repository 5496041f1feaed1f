// Conv2d: valid 2-D convolution as im2col + one GEMM per group of samples.
//
// Shapes: x (C x n*H*W), position y*W + x; y (F x n*OH*OW), OH = (H - KH)/SH + 1, OW likewise;
// weight W (F x KH*KW*C), column (ky*KW + kx)*C + c <-> PyTorch weight[f][c][ky][kx]; b (F x 1).
//
// With channels innermost, one kernel row of a window (KW positions of input row oy*SH + ky)
// is a contiguous run of KW*C floats, so im2col is KH memcpy-sized copies per output position.
// Unlike conv1d the window rows of consecutive outputs are not one strided view (each output
// needs KH runs from different input rows), so we materialise the (KH*KW*C x g*OH*OW) column
// matrix for a group of g samples and multiply once: for MNIST-sized layers the copy is a few
// per cent of the GEMM, and batching samples makes the GEMM wide enough to run at full speed.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "model/layers.h"
#include "model/onnx_builder.h"
#include "model/registry.h"

namespace lb::model {

namespace {

struct Geom {
  int C, H, W, KH, KW, SH, SW, OH, OW;
  int P() const { return OH * OW; }      // output positions per sample
  int rows() const { return KH * KW * C; }  // im2col rows
};

// Samples per im2col group: about 256k floats (1 MB) of columns, at least one sample.
int group_size(const Geom& g, int n) {
  const long per = static_cast<long>(g.rows()) * g.P();
  return static_cast<int>(std::clamp<long>((1L << 18) / std::max(per, 1L), 1, std::max(n, 1)));
}

// cols[:, s*P + p] = window of output p of sample first + s, rows (ky*KW + kx)*C + c.
void im2col(const float* x, const Geom& g, int first, int count, Mat& cols) {
  const int P = g.P(), run = g.KW * g.C;
  cols.resize(g.rows(), Eigen::Index{count} * P);
  for (int s = 0; s < count; ++s) {
    const float* xs = x + Eigen::Index{first + s} * g.H * g.W * g.C;
    for (int oy = 0; oy < g.OH; ++oy)
      for (int ox = 0; ox < g.OW; ++ox) {
        float* dst = cols.data() + (Eigen::Index{s} * P + oy * g.OW + ox) * g.rows();
        for (int ky = 0; ky < g.KH; ++ky)
          std::memcpy(dst + ky * run, xs + (Eigen::Index{oy * g.SH + ky} * g.W + ox * g.SW) * g.C,
                      sizeof(float) * static_cast<std::size_t>(run));
      }
  }
}

// The adjoint of im2col: dx[window runs] += dcols columns (windows overlap when stride < kernel).
void col2im_add(const Mat& dcols, const Geom& g, int first, int count, float* dx) {
  const int P = g.P(), run = g.KW * g.C;
  for (int s = 0; s < count; ++s) {
    float* dxs = dx + Eigen::Index{first + s} * g.H * g.W * g.C;
    for (int oy = 0; oy < g.OH; ++oy)
      for (int ox = 0; ox < g.OW; ++ox) {
        const float* src = dcols.data() + (Eigen::Index{s} * P + oy * g.OW + ox) * g.rows();
        for (int ky = 0; ky < g.KH; ++ky) {
          Eigen::Map<Vec> dst(dxs + (Eigen::Index{oy * g.SH + ky} * g.W + ox * g.SW) * g.C, run);
          dst += Eigen::Map<const Vec>(src + ky * run, run);
        }
      }
  }
}

}  // namespace

Conv2d::Conv2d(std::string name, int in_channels, int out_channels, int kernel_h, int kernel_w, int stride_h,
               int stride_w)
    : Layer(std::move(name)), c_(in_channels), f_(out_channels), kh_(kernel_h), kw_(kernel_w), sh_(stride_h),
      sw_(stride_w) {
  LB_CHECK(c_ > 0 && f_ > 0 && kh_ > 0 && kw_ > 0 && sh_ > 0 && sw_ > 0, "conv2d '{}': bad geometry", this->name());
  LB_CHECK(product_fits_int({f_, kh_, kw_, c_}), "conv2d '{}': {}x{}x{}x{} parameters do not fit an int", this->name(), f_,
           c_, kh_, kw_);
  weight_ = Mat::Zero(f_, kh_ * kw_ * c_);
  bias_ = Mat::Zero(f_, 1);
}

std::string Conv2d::describe() const {
  return fmt::format("Conv2d(in={}, out={}, kernel=({},{}), stride=({},{}))", c_, f_, kh_, kw_, sh_, sw_);
}

Shape Conv2d::output_shape(const Shape& in) const {
  if (in.c != c_) throw layer_error(name(), "input channels do not match", std::to_string(c_), std::to_string(in.c));
  if (in.h < kh_ || in.w < kw_)
    throw layer_error(name(), "input too small", fmt::format("at least {}x{} (height x width)", kh_, kw_),
                      fmt::format("{}x{}", in.h, in.w));
  return Shape{f_, (in.h - kh_) / sh_ + 1, (in.w - kw_) / sw_ + 1};
}

namespace {
// y = w * im2col(x) (+ b): the forward of the layer with weight w (the layer's, or |W|).
void conv2d_forward(const Mat& w, const Mat* bias, const Geom& g, const Mat& x, int n, Mat& y) {
  y.resize(w.rows(), Eigen::Index{n} * g.P());
  thread_local Mat cols;  // (KH*KW*C x group*P) scratch, reused across calls on this thread
  const int group = group_size(g, n);
  for (int first = 0; first < n; first += group) {
    const int count = std::min(group, n - first);
    im2col(x.data(), g, first, count, cols);
    auto yg = y.middleCols(Eigen::Index{first} * g.P(), Eigen::Index{count} * g.P());
    yg.noalias() = w * cols;  // (F x rows)(rows x count*P)
    if (bias) yg.colwise() += bias->col(0);
  }
}

// dst = col2im(wᵀ m): the input gradient of `blocks` samples, shared by backward and transpose.
void conv2d_input_grad(const Mat& w, const Geom& g, const Mat& m, Eigen::Index blocks, Mat& dst) {
  dst.setZero(g.C, blocks * g.H * g.W);
  thread_local Mat dcols;
  const int n = static_cast<int>(blocks);
  const int group = group_size(g, n);
  for (int first = 0; first < n; first += group) {
    const int count = std::min(group, n - first);
    dcols.noalias() = w.transpose() * m.middleCols(Eigen::Index{first} * g.P(), Eigen::Index{count} * g.P());
    col2im_add(dcols, g, first, count, dst.data());
  }
}
}  // namespace

void Conv2d::forward(const Mat& x, const Shape& in, int n, Mat& y, Mat& aux, const ForwardMode& mode) const {
  (void)aux, (void)mode;
  const Shape out = output_shape(in);
  const Geom g{c_, in.h, in.w, kh_, kw_, sh_, sw_, out.h, out.w};
  LB_CHECK(x.rows() == c_ && x.cols() == Eigen::Index{n} * in.spatial(), "conv2d '{}': x is {}x{}, expected {}x{}",
           name(), x.rows(), x.cols(), c_, Eigen::Index{n} * in.spatial());
  conv2d_forward(weight_, &bias_, g, x, n, y);
}

void Conv2d::abs_forward(const Mat& x, const Shape& in, int n, Mat& y) const {
  const Shape out = output_shape(in);
  const Geom g{c_, in.h, in.w, kh_, kw_, sh_, sw_, out.h, out.w};
  conv2d_forward(weight_.cwiseAbs(), nullptr, g, x, n, y);
}

void Conv2d::transpose(const Mat& m, const Shape& in, Eigen::Index blocks, Mat& dst, bool abs) const {
  const Shape out = output_shape(in);
  const Geom g{c_, in.h, in.w, kh_, kw_, sh_, sw_, out.h, out.w};
  LB_CHECK(m.rows() == f_ && m.cols() == blocks * g.P(), "conv2d '{}': m is {}x{}, expected {}x{}", name(), m.rows(),
           m.cols(), f_, blocks * g.P());
  if (abs)
    conv2d_input_grad(weight_.cwiseAbs(), g, m, blocks, dst);
  else
    conv2d_input_grad(weight_, g, m, blocks, dst);
}

void Conv2d::backward(const Mat& x, const Mat& y, const Mat& aux, const Mat& dy, const Shape& in, int n, Mat* dx,
                      std::span<Mat> grads) const {
  (void)y, (void)aux;
  const Shape out = output_shape(in);
  const Geom g{c_, in.h, in.w, kh_, kw_, sh_, sw_, out.h, out.w};
  LB_CHECK(dy.rows() == f_ && dy.cols() == Eigen::Index{n} * g.P(), "conv2d '{}': dy is {}x{}, expected {}x{}",
           name(), dy.rows(), dy.cols(), f_, Eigen::Index{n} * g.P());
  LB_CHECK(grads.size() == 2, "conv2d '{}': expected 2 gradient slots, got {}", name(), grads.size());
  thread_local Mat cols;
  const int group = group_size(g, n);
  for (int first = 0; first < n; first += group) {
    const int count = std::min(group, n - first);
    const auto dyg = dy.middleCols(Eigen::Index{first} * g.P(), Eigen::Index{count} * g.P());
    im2col(x.data(), g, first, count, cols);
    grads[0].noalias() += dyg * cols.transpose();  // dW += dY cols^T
    grads[1].noalias() += dyg.rowwise().sum();      // db += sum over positions
  }
  if (dx) conv2d_input_grad(weight_, g, dy, n, *dx);  // d(cols) = W^T dY, then scattered back
}

std::vector<Param> Conv2d::params() {
  return {Param{"weight", &weight_, {f_, c_, kh_, kw_}}, Param{"bias", &bias_, {f_}}};
}

// PyTorch's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias, fan_in = C*KH*KW,
// drawn in the C order of (F, C, KH, KW), then the bias.
void Conv2d::init(Rng& rng) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(c_) * kh_ * kw_);
  for (int f = 0; f < f_; ++f)
    for (int c = 0; c < c_; ++c)
      for (int ky = 0; ky < kh_; ++ky)
        for (int kx = 0; kx < kw_; ++kx) weight_(f, (ky * kw_ + kx) * c_ + c) = uniform_pm(rng, bound);
  for (int f = 0; f < f_; ++f) bias_(f, 0) = uniform_pm(rng, bound);
}

std::vector<float> Conv2d::export_param(int i) const {
  if (i != 0) return Layer::export_param(i);
  std::vector<float> out(static_cast<std::size_t>(weight_.size()));
  std::size_t j = 0;
  for (int f = 0; f < f_; ++f)
    for (int c = 0; c < c_; ++c)
      for (int ky = 0; ky < kh_; ++ky)
        for (int kx = 0; kx < kw_; ++kx) out[j++] = weight_(f, (ky * kw_ + kx) * c_ + c);
  return out;
}

void Conv2d::import_param(int i, std::span<const float> torch_order) {
  if (i != 0) return Layer::import_param(i, torch_order);
  LB_CHECK(static_cast<Eigen::Index>(torch_order.size()) == weight_.size(), "conv2d '{}': expected {} values, got {}",
           name(), weight_.size(), torch_order.size());
  std::size_t j = 0;
  for (int f = 0; f < f_; ++f)
    for (int c = 0; c < c_; ++c)
      for (int ky = 0; ky < kh_; ++ky)
        for (int kx = 0; kx < kw_; ++kx) weight_(f, (ky * kw_ + kx) * c_ + c) = torch_order[j++];
}


// ---- ONNX: Conv without padding

void Conv2d::export_onnx(OnnxBuilder& b) const {
  const auto w = b.initializers();
  b.node("Conv", name(), {b.current(), w[0], w[1]}, b.output_name(),
         {OnnxAttr::list("kernel_shape", {kh_, kw_}), OnnxAttr::list("strides", {sh_, sw_}),
          OnnxAttr::list("pads", {0, 0, 0, 0}), OnnxAttr::list("dilations", {1, 1}), OnnxAttr::i("group", 1)});
}

// ---- Registration: conv2d(out,k), conv2d(out,kh,kw) or conv2d(out,kh,kw,sh,sw) / Conv2d(...)

namespace {

LayerDecl conv2d_from_config(const LayerArgs& a, const Shape& in) {
  a.want_positional({2, 3, 5});
  a.only_keys({});
  const int out = a.positive(0), kh = a.positive(1), kw = a.positional() == 2 ? kh : a.positive(2);
  const int sh = a.positional() == 5 ? a.positive(3) : 1, sw = a.positional() == 5 ? a.positive(4) : 1;
  const int c = in.c;
  return {{{"weight", {out, c, kh, kw}}, {"bias", {out}}}, [=](std::string name) -> LayerPtr {
            return std::make_unique<Conv2d>(std::move(name), c, out, kh, kw, sh, sw);
          }};
}

LayerDecl conv2d_from_architecture(const LayerArgs& a) {
  a.only_keys({"in", "out", "kernel", "stride"});
  const int in = a.positive("in"), out = a.positive("out");
  const auto k = a.positive_tuple("kernel", 2), st = a.positive_tuple("stride", 2);
  return {{{"weight", {out, in, k[0], k[1]}}, {"bias", {out}}}, [=](std::string name) -> LayerPtr {
            return std::make_unique<Conv2d>(std::move(name), in, out, k[0], k[1], st[0], st[1]);
          }};
}

}  // namespace

LB_REGISTER_LAYER(conv2d, {"conv2d", "Conv2d", "conv2d(out,k), conv2d(out,kh,kw) or conv2d(out,kh,kw,sh,sw)",
                           "Conv2d(in=<int>, out=<int>, kernel=(<int>,<int>), stride=(<int>,<int>))",
                           conv2d_from_config, conv2d_from_architecture});

}  // namespace lb::model
