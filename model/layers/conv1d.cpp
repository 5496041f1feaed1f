// Conv1d: 1-D convolution as one GEMM per sample over a zero-copy strided im2col view, with
// zero padding and dilation.
//
// Shapes (legend of core/tensor.h): x (C x n*L), y (F x n*Lout), Lout = (L + left + right -
// dilation*(K-1) - 1)/stride + 1, weight W (F x K*C) with column k*C + c <-> PyTorch
// weight[f][c][k], bias b (F x 1). Tap k of output l reads input position
// l*stride + k*dilation - left (zero outside [0, L)).
//
// Why no im2col copy: with channels innermost and dilation 1, the window of output position l
// is the K consecutive input columns [l*stride, l*stride + K), i.e. ONE contiguous run of K*C
// floats starting at float l*stride*C of the sample. The windows of all Lout outputs are
// therefore the columns of a (K*C x Lout) matrix with outer stride stride*C (overlapping when
// stride < K), which Eigen's GEMM reads directly: Xwin = Map(x_i, K*C, Lout, stride*C). With
// dilation, tap k alone is such a view (C x Lout) at offset k*dilation*C; the K views are copied
// into one (K*C x Lout) window matrix (K*C*Lout floats against 2*F*K*C*Lout FLOPs of GEMM), so
// that the product is still one GEMM of inner size K*C rather than K thin ones of inner size C
// (BPNet's C = 64, K = 3). Padding copies the input once into a zero-padded buffer.
#include <algorithm>
#include <cmath>

#include "model/layers.h"
#include "model/onnx_builder.h"
#include "model/registry.h"
#include "core/text.h"

namespace lb::model {

namespace {
using StridedMap = Eigen::Map<const Mat, 0, Eigen::OuterStride<>>;
using StridedMapMut = Eigen::Map<Mat, 0, Eigen::OuterStride<>>;
using Index = Eigen::Index;

// The samples of x (C x n*L) with `left` and `right` zero columns around each, in `scratch`; x's
// own data when there is no padding.
const float* pad_samples(const Mat& x, int n, int L, int left, int right, Mat& scratch) {
  if (!left && !right) return x.data();
  const Index Lp = Index{L} + left + right;
  scratch.setZero(x.rows(), n * Lp);
  for (int i = 0; i < n; ++i) scratch.middleCols(i * Lp + left, L) = x.middleCols(Index{i} * L, L);
  return scratch.data();
}
}  // namespace

Conv1d::Conv1d(std::string name, int in_channels, int out_channels, int kernel, int stride, int pad_left,
               int pad_right, int dilation)
    : Layer(std::move(name)),
      c_(in_channels),
      f_(out_channels),
      k_(kernel),
      stride_(stride),
      pl_(pad_left),
      pr_(pad_right),
      dil_(dilation) {
  LB_CHECK(c_ > 0 && f_ > 0 && k_ > 0 && stride_ > 0 && pl_ >= 0 && pr_ >= 0 && dil_ > 0,
           "conv1d '{}': in={} out={} kernel={} stride={} padding=({},{}) dilation={}", this->name(), c_, f_, k_,
           stride_, pl_, pr_, dil_);
  LB_CHECK(product_fits_int({f_, k_, c_}), "conv1d '{}': {}x{}x{} parameters do not fit an int", this->name(), f_, c_, k_);
  LB_CHECK(product_fits_int({dil_, k_}), "conv1d '{}': kernel {} with dilation {} spans too far", this->name(), k_, dil_);
  weight_ = Mat::Zero(f_, k_ * c_);
  bias_ = Mat::Zero(f_, 1);
}

std::string Conv1d::describe() const {
  std::string s = fmt::format("Conv1d(in={}, out={}, kernel={}, stride={}", c_, f_, k_, stride_);
  if (pl_ || pr_) s += fmt::format(", padding=({},{})", pl_, pr_);
  if (dil_ != 1) s += fmt::format(", dilation={}", dil_);
  return s + ")";
}

Shape Conv1d::output_shape(const Shape& in) const {
  if (in.h != 1) throw layer_error(name(), "conv1d needs a 1-D input", "a (C x L) input", in.str());
  if (in.c != c_) throw layer_error(name(), "input channels do not match", std::to_string(c_), std::to_string(in.c));
  const std::int64_t span = std::int64_t{dil_} * (k_ - 1) + 1, padded = std::int64_t{in.w} + pl_ + pr_;
  if (padded < span) {
    if (pl_ || pr_ || dil_ != 1)
      throw layer_error(name(), "input too short", fmt::format("length + padding >= {} (kernel {}, dilation {})", span, k_, dil_),
                        fmt::format("{} + {}", in.w, pl_ + pr_));
    throw layer_error(name(), "input too short", fmt::format("length >= {}", k_), std::to_string(in.w));
  }
  if (padded > INT32_MAX) throw layer_error(name(), "input too long", fmt::format("at most {}", INT32_MAX), std::to_string(padded));
  return Shape{f_, 1, static_cast<int>((padded - span) / stride_ + 1)};
}

void Conv1d::forward_with(const Mat& w, bool bias, const Mat& x, const Shape& in, int n, Mat& y) const {
  const int L = in.w, C = c_, KC = k_ * c_;
  const int Lout = output_shape(in).w;
  LB_CHECK(x.rows() == C && x.cols() == Index{n} * L, "conv1d '{}': x is {}x{}, expected {}x{}", name(), x.rows(),
           x.cols(), C, Index{n} * L);
  const Index Lp = Index{L} + pl_ + pr_;
  Mat padded, win;
  const float* src = pad_samples(x, n, L, pl_, pr_, padded);
  y.resize(f_, Index{n} * Lout);
  for (int i = 0; i < n; ++i) {
    const float* xi = src + i * Lp * C;
    auto yi = y.middleCols(Index{i} * Lout, Lout);
    if (dil_ == 1) {
      // Y_i (F x Lout) = W (F x KC) * Xwin_i (KC x Lout) + b: one GEMM, windows read in place.
      const StridedMap xwin(xi, KC, Lout, Eigen::OuterStride<>(Index{stride_} * C));
      yi.noalias() = w * xwin;
    } else {
      gather_taps(xi, Lout, win);
      yi.noalias() = w * win;
    }
    if (bias) yi.colwise() += bias_.col(0);
  }
}

void Conv1d::gather_taps(const float* xi, Index Lout, Mat& win) const {
  const Index C = c_;
  win.resize(Index{k_} * C, Lout);
  for (int k = 0; k < k_; ++k)
    win.middleRows(k * C, C) = StridedMap(xi + Index{k} * dil_ * C, C, Lout, Eigen::OuterStride<>(Index{stride_} * C));
}

void Conv1d::forward(const Mat& x, const Shape& in, int n, Mat& y, Mat& aux, const ForwardMode& mode) const {
  (void)aux, (void)mode;
  forward_with(weight_, true, x, in, n, y);
}

void Conv1d::abs_forward(const Mat& x, const Shape& in, int n, Mat& y) const {
  forward_with(weight_.cwiseAbs(), false, x, in, n, y);
}

// The one input-gradient kernel of the layer (training's dx and the attribution engine's Wᵀ m):
// tap k of output l read padded input column l*stride + k*dilation through W_k = W[:, kC:(k+1)C],
// so dX_i[:, l*stride + k*dilation] += W_kᵀ dY_i[:, l].
void Conv1d::input_grad(const Mat& w, const Mat& dy, const Shape& in, Index blocks, Mat& dst) const {
  const int C = c_, K = k_, st = stride_;
  const Index L = in.w, Lp = L + pl_ + pr_, Lout = output_shape(in).w;
  LB_CHECK(dy.rows() == f_ && dy.cols() == blocks * Lout, "conv1d '{}': dy is {}x{}, expected {}x{}", name(),
           dy.rows(), dy.cols(), f_, blocks * Lout);
  Mat padded;
  Mat& out = pl_ || pr_ ? padded : dst;
  out.setZero(C, blocks * Lp);
  if (C < 16 && dil_ == 1) {
    // Few input channels (the first layer on DNA: C = 4): per-tap products would be (4 x F)
    // GEMMs, too thin to run fast. Instead one (K*C x F)(F x g*Lout) GEMM per group of blocks
    // into a scratch, then window l of each block adds its K*C-float column to the one
    // contiguous run of input columns [l*stride, l*stride + K) (channels innermost).
    const Index KC = Index{K} * C, step = Index{st} * C;
    const Index g = std::clamp<Index>((Index{1} << 16) / std::max<Index>(KC * Lout, 1), 1, std::max<Index>(blocks, 1));
    const Mat wt = w.transpose();
    Mat d;
    for (Index b0 = 0; b0 < blocks; b0 += g) {
      const Index cnt = std::min(g, blocks - b0);
      d.noalias() = wt * dy.middleCols(b0 * Lout, cnt * Lout);
      for (Index b = 0; b < cnt; ++b) {
        float* db = out.data() + (b0 + b) * Lp * C;
        for (Index p = 0; p < Lout; ++p)
          Eigen::Map<Vec>(db + p * step, KC) += Eigen::Map<const Vec>(d.data() + (b * Lout + p) * KC, KC);
      }
    }
  } else if (dil_ > 1) {
    // One (KC x F)(F x Lout) GEMM into a scratch, then tap k's C rows add to the strided view of
    // destination columns k*dilation, k*dilation + stride, ... (the transpose of gather_taps).
    const Mat wt = w.transpose();
    Mat d;
    for (Index b = 0; b < blocks; ++b) {
      d.noalias() = wt * dy.middleCols(b * Lout, Lout);
      float* db = out.data() + b * Lp * C;
      for (int k = 0; k < K; ++k)
        StridedMapMut(db + Index{k} * dil_ * C, C, Lout, Eigen::OuterStride<>(Index{st} * C)) +=
            d.middleRows(Index{k} * C, C);
    }
  } else {
    // For a fixed k the destination columns k, k + stride, ... are a strided view: one
    // (C x F)(F x Lout) GEMM per tap, no scratch. (One (KC x F)(F x Lout) GEMM into a scratch
    // followed by K strided block adds measured the same speed for F = C = 50, K = 11.)
    for (Index b = 0; b < blocks; ++b) {
      const auto mb = dy.middleCols(b * Lout, Lout);  // (F x Lout)
      float* db = out.data() + b * Lp * C;
      for (int k = 0; k < K; ++k) {
        StridedMapMut d(db + Index{k} * dil_ * C, C, Lout, Eigen::OuterStride<>(Index{st} * C));
        d.noalias() += w.middleCols(Index{k} * C, C).transpose() * mb;
      }
    }
  }
  if (pl_ || pr_) {
    dst.resize(C, blocks * L);
    for (Index b = 0; b < blocks; ++b) dst.middleCols(b * L, L) = padded.middleCols(b * Lp + pl_, L);
  }
}

void Conv1d::transpose(const Mat& m, const Shape& in, Index blocks, Mat& dst, bool abs) const {
  if (abs)
    input_grad(weight_.cwiseAbs(), m, in, blocks, dst);
  else
    input_grad(weight_, m, in, blocks, dst);
}

void Conv1d::backward(const Mat& x, const Mat& y, const Mat& aux, const Mat& dy, const Shape& in, int n, Mat* dx,
                      std::span<Mat> grads) const {
  (void)y, (void)aux;
  const int L = in.w, C = c_, KC = k_ * c_;
  const int Lout = output_shape(in).w;
  LB_CHECK(dy.rows() == f_ && dy.cols() == Index{n} * Lout, "conv1d '{}': dy is {}x{}, expected {}x{}", name(),
           dy.rows(), dy.cols(), f_, Index{n} * Lout);
  LB_CHECK(grads.size() == 2, "conv1d '{}': expected 2 gradient slots, got {}", name(), grads.size());
  Mat& dw = grads[0];  // (F x KC)
  Mat& db = grads[1];  // (F x 1)
  const Index Lp = Index{L} + pl_ + pr_;
  Mat padded, win;
  const float* src = pad_samples(x, n, L, pl_, pr_, padded);
  for (int i = 0; i < n; ++i) {
    const auto dyi = dy.middleCols(Index{i} * Lout, Lout);  // (F x Lout)
    const float* xi = src + i * Lp * C;
    if (dil_ == 1) {
      // dW += dY_i Xwin_i^T: every output position's window, weighted by its output gradient.
      const StridedMap xwin(xi, KC, Lout, Eigen::OuterStride<>(Index{stride_} * C));
      dw.noalias() += dyi * xwin.transpose();
    } else {
      gather_taps(xi, Lout, win);
      dw.noalias() += dyi * win.transpose();
    }
    // db += sum over positions of dY_i.
    db.noalias() += dyi.rowwise().sum();
  }
  if (dx) input_grad(weight_, dy, in, n, *dx);
}

std::vector<Param> Conv1d::params() {
  return {Param{"weight", &weight_, {f_, c_, k_}}, Param{"bias", &bias_, {f_}}};
}

// PyTorch: kaiming_uniform_(a=sqrt(5)) gives bound = gain*sqrt(3/fan_in) with
// gain = sqrt(2/(1+5)), i.e. 1/sqrt(fan_in); the bias uses the same bound. fan_in = C*K.
// Draws follow the C order of the torch shape (f, c, k), weight then bias.
void Conv1d::init(Rng& rng) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(c_) * k_);
  for (int f = 0; f < f_; ++f)
    for (int c = 0; c < c_; ++c)
      for (int k = 0; k < k_; ++k) weight_(f, k * c_ + c) = uniform_pm(rng, bound);
  for (int f = 0; f < f_; ++f) bias_(f, 0) = uniform_pm(rng, bound);
}

std::vector<float> Conv1d::export_param(int i) const {
  if (i != 0) return Layer::export_param(i);
  std::vector<float> out(static_cast<std::size_t>(weight_.size()));
  std::size_t j = 0;
  for (int f = 0; f < f_; ++f)
    for (int c = 0; c < c_; ++c)
      for (int k = 0; k < k_; ++k) out[j++] = weight_(f, k * c_ + c);
  return out;
}

void Conv1d::import_param(int i, std::span<const float> torch_order) {
  if (i != 0) return Layer::import_param(i, torch_order);
  LB_CHECK(static_cast<Eigen::Index>(torch_order.size()) == weight_.size(), "conv1d '{}': expected {} values, got {}",
           name(), weight_.size(), torch_order.size());
  std::size_t j = 0;
  for (int f = 0; f < f_; ++f)
    for (int c = 0; c < c_; ++c)
      for (int k = 0; k < k_; ++k) weight_(f, k * c_ + c) = torch_order[j++];
}


// ---- ONNX: Conv with the padding and dilation as they are

void Conv1d::export_onnx(OnnxBuilder& b) const {
  const auto w = b.initializers();
  b.node("Conv", name(), {b.current(), w[0], w[1]}, b.output_name(),
         {OnnxAttr::list("kernel_shape", {k_}), OnnxAttr::list("strides", {stride_}), OnnxAttr::list("pads", {pl_, pr_}),
          OnnxAttr::list("dilations", {dil_}), OnnxAttr::i("group", 1)});
}

// ---- Registration: conv1d(out,kernel[,stride][,padding=...][,dilation=d]) / Conv1d(...)

namespace {

// padding=valid | same | <int> | (<left>,<right>): zeros added at each end.
void conv1d_padding(const LayerArgs& a, int kernel, int stride, int dilation, int& left, int& right) {
  left = right = 0;
  if (!a.has("padding")) return;
  const std::string_view v = a.value("padding");
  int x = 0;
  if (v == "valid") return;
  if (v == "same") {
    // PyTorch's padding='same': the output as long as the input; an odd total puts the extra zero
    // on the right.
    if (stride != 1) a.fail("padding=same needs stride 1", "stride 1 with padding=same", std::to_string(stride));
    const std::int64_t total = std::int64_t{dilation} * (kernel - 1);
    if (total > INT32_MAX) a.fail("bad argument padding", "a kernel span that fits an int", std::to_string(total));
    left = static_cast<int>(total / 2), right = static_cast<int>(total - total / 2);
    return;
  }
  if (v == "0") return;
  if (parse_positive(v, x)) {
    left = right = x;
    return;
  }
  std::vector<std::string_view> items;
  if (v.size() >= 2 && v.front() == '(' && v.back() == ')' && split_top(v.substr(1, v.size() - 2), ',', items) &&
      items.size() == 2) {
    int lr[2] = {0, 0};
    bool ok = true;
    for (int i = 0; i < 2; ++i) {
      const std::string_view t = trim(items[static_cast<std::size_t>(i)]);
      ok = ok && (t == "0" || parse_positive(t, lr[i]));
    }
    if (ok) {
      left = lr[0], right = lr[1];
      return;
    }
  }
  a.fail("bad argument padding", "valid, same, a non-negative integer or (<left>,<right>)", quote_token(v));
}

// The kernel's span dilation*(kernel-1) must fit an int, and each side's padding is at most that
// span (what 'same' or a full convolution needs): a model file cannot make activations grow
// without bound.
void conv1d_check_geometry(const LayerArgs& a, int kernel, int dilation, int left, int right) {
  if (!product_fits_int({dilation, kernel}))
    a.fail("bad argument dilation", "dilation * kernel <= 2147483647",
           fmt::format("{} * {}", dilation, kernel));
  const std::int64_t span = std::int64_t{dilation} * (kernel - 1);
  if (left > span || right > span)
    a.fail("bad argument padding", fmt::format("at most dilation * (kernel - 1) = {} on each side", span),
           fmt::format("({},{})", left, right));
}

LayerDecl conv1d_from_config(const LayerArgs& a, const Shape& in) {
  a.want_positional({2, 3});
  a.only_keys({"padding", "dilation"});
  const int out = a.positive(0), kernel = a.positive(1), stride = a.positional() > 2 ? a.positive(2) : 1;
  const int dilation = a.positive("dilation", 1);
  if (!product_fits_int({dilation, kernel}))  // before 'same' computes the span
    a.fail("bad argument dilation", "dilation * kernel <= 2147483647", fmt::format("{} * {}", dilation, kernel));
  int left = 0, right = 0;
  conv1d_padding(a, kernel, stride, dilation, left, right);
  conv1d_check_geometry(a, kernel, dilation, left, right);
  const int c = in.c;
  return {{{"weight", {out, c, kernel}}, {"bias", {out}}}, [=](std::string name) -> LayerPtr {
            return std::make_unique<Conv1d>(std::move(name), c, out, kernel, stride, left, right, dilation);
          }};
}

LayerDecl conv1d_from_architecture(const LayerArgs& a) {
  a.only_keys({"in", "out", "kernel", "stride", "padding", "dilation"});
  const int in = a.positive("in"), out = a.positive("out"), kernel = a.positive("kernel"), stride = a.positive("stride");
  const int dilation = a.positive("dilation", 1);
  if (!product_fits_int({dilation, kernel})) a.fail("bad argument dilation", "", "");
  int left = 0, right = 0;  // canonical text writes (<left>,<right>); the describe() check refuses other spellings
  conv1d_padding(a, kernel, stride, dilation, left, right);
  conv1d_check_geometry(a, kernel, dilation, left, right);
  return {{{"weight", {out, in, kernel}}, {"bias", {out}}}, [=](std::string name) -> LayerPtr {
            return std::make_unique<Conv1d>(std::move(name), in, out, kernel, stride, left, right, dilation);
          }};
}

}  // namespace

LB_REGISTER_LAYER(conv1d, {"conv1d", "Conv1d", "conv1d(out,kernel[,stride][,padding=valid|same|<int>|(<left>,<right>)][,dilation=<int>])",
                           "Conv1d(in=<int>, out=<int>, kernel=<int>, stride=<int>[, padding=(<int>,<int>)][, dilation=<int>])",
                           conv1d_from_config, conv1d_from_architecture});

}  // namespace lb::model
