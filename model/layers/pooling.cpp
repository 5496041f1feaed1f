// 1-D pooling: MaxPool1d and GlobalMaxPool (the attribution engine applies their gradient at the
// actual input: each output's multiplier goes to the argmax of its window, deeplift's max-pool
// rule), and AvgPool1d (linear with weights 1/kernel and no bias: transparent).
//
// Windows: output l covers input positions [l*stride - padding, l*stride - padding + kernel)
// clipped to [0, L) (max pools pad with -infinity, as PyTorch); Lout = (L + 2*padding - kernel)
// / stride + 1. The argmax is the first maximum of the window, and a NaN wins (PyTorch's rule).
#include <algorithm>
#include <cstdint>
#include <limits>

#include <fmt/format.h>

#include "model/layer.h"
#include "model/onnx_builder.h"
#include "model/registry.h"

namespace lb::model {

namespace {

using Index = Eigen::Index;

// The 1-D window geometry shared by both pools.
// In 64 bits: a model file may declare a kernel, stride and padding near 2^31.
struct Window {
  int kernel, stride, padding;
  std::int64_t out_len(int L) const {
    return (std::int64_t{L} + 2 * std::int64_t{padding} - kernel) / stride + 1;
  }
  int begin(int l) const { return static_cast<int>(std::max<std::int64_t>(std::int64_t{l} * stride - padding, 0)); }
  int end(int l, int L) const {
    return static_cast<int>(std::min<std::int64_t>(std::int64_t{l} * stride - padding + kernel, L));
  }
};

// MaxPool or AveragePool over the window, padded symmetrically.
void export_pool(OnnxBuilder& b, std::string_view op, const Window& w) {
  b.node(op, b.layer().name(), {b.current()}, b.output_name(),
         {OnnxAttr::list("kernel_shape", {w.kernel}), OnnxAttr::list("strides", {w.stride}),
          OnnxAttr::list("pads", {w.padding, w.padding})});
}

Shape pool_output(const Layer& l, const Window& w, const Shape& in) {
  if (in.h != 1) throw layer_error(l.name(), "a 1-D pool needs a 1-D input", "a (C x L) input", in.str());
  if (std::int64_t{in.w} + 2 * std::int64_t{w.padding} < w.kernel)
    throw layer_error(l.name(), "input too short", fmt::format("length + 2*padding >= {}", w.kernel),
                      std::to_string(in.w));
  const std::int64_t out = w.out_len(in.w);
  if (out > INT32_MAX) throw layer_error(l.name(), "output too long", fmt::format("at most {}", INT32_MAX), std::to_string(out));
  return Shape{in.c, 1, static_cast<int>(out)};
}

// The argmax of every output of sample i into idx (C x Lout, input positions): first maximum,
// NaN wins.
void argmax_1d(const Mat& x, int i, int L, const Window& w, int Lout, std::vector<int>& idx) {
  const Index C = x.rows();
  idx.assign(static_cast<std::size_t>(C * Lout), 0);
  for (int l = 0; l < Lout; ++l) {
    const int b = w.begin(l), e = w.end(l, L);
    int* best = idx.data() + Index{l} * C;
    for (Index c = 0; c < C; ++c) best[c] = b;
    for (int p = b + 1; p < e; ++p) {
      const float* col = x.data() + (Index{i} * L + p) * C;
      for (Index c = 0; c < C; ++c) {
        const float cur = x(c, Index{i} * L + best[c]);
        if (col[c] > cur || (col[c] != col[c] && cur == cur)) best[c] = p;
      }
    }
  }
}

class MaxPool1d : public Layer {
 public:
  MaxPool1d(std::string name, int kernel, int stride, int padding) : Layer(std::move(name)), w_{kernel, stride, padding} {
    LB_CHECK(kernel > 0 && stride > 0 && padding >= 0 && 2 * std::int64_t{padding} <= kernel,
             "maxpool '{}': kernel={} stride={} padding={}", this->name(), kernel, stride, padding);
  }
  AttrRole attr_role() const override { return AttrRole::Gradient; }
  void export_onnx(OnnxBuilder& b) const override { export_pool(b, "MaxPool", w_); }
  int onnx_spatial_axes() const override { return 1; }
  std::string describe() const override {
    return w_.padding ? fmt::format("MaxPool1d(kernel={}, stride={}, padding={})", w_.kernel, w_.stride, w_.padding)
                      : fmt::format("MaxPool1d(kernel={}, stride={})", w_.kernel, w_.stride);
  }
  Shape output_shape(const Shape& in) const override { return pool_output(*this, w_, in); }
  void forward(const Mat& x, const Shape& in, int n, Mat& y, Mat& aux, const ForwardMode& mode) const override {
    (void)aux, (void)mode;
    const int L = in.w, Lout = output_shape(in).w;
    y.resize(in.c, Index{n} * Lout);
    std::vector<int> idx;
    for (int i = 0; i < n; ++i) {
      argmax_1d(x, i, L, w_, Lout, idx);
      for (int l = 0; l < Lout; ++l)
        for (Index c = 0; c < in.c; ++c) y(c, Index{i} * Lout + l) = x(c, Index{i} * L + idx[static_cast<std::size_t>(Index{l} * in.c + c)]);
    }
  }
  void backward(const Mat& x, const Mat& y, const Mat& aux, const Mat& dy, const Shape& in, int n, Mat* dx,
                std::span<Mat> grads) const override {
    (void)y, (void)aux, (void)grads;
    if (!dx) return;
    const int L = in.w, Lout = output_shape(in).w;
    dx->setZero(in.c, Index{n} * L);
    std::vector<int> idx;
    for (int i = 0; i < n; ++i) {
      argmax_1d(x, i, L, w_, Lout, idx);
      for (int l = 0; l < Lout; ++l)
        for (Index c = 0; c < in.c; ++c)
          (*dx)(c, Index{i} * L + idx[static_cast<std::size_t>(Index{l} * in.c + c)]) += dy(c, Index{i} * Lout + l);
    }
  }

 private:
  Window w_;
};

// y = the mean of each window (count_include_pad: padded positions count as zeros).
class AvgPool1d : public Layer {
 public:
  AvgPool1d(std::string name, int kernel, int stride) : Layer(std::move(name)), w_{kernel, stride, 0} {
    LB_CHECK(kernel > 0 && stride > 0, "avgpool '{}': kernel={} stride={}", this->name(), kernel, stride);
  }
  AttrRole attr_role() const override { return AttrRole::Transparent; }
  std::string describe() const override { return fmt::format("AvgPool1d(kernel={}, stride={})", w_.kernel, w_.stride); }
  void export_onnx(OnnxBuilder& b) const override { export_pool(b, "AveragePool", w_); }
  int onnx_spatial_axes() const override { return 1; }
  Shape output_shape(const Shape& in) const override { return pool_output(*this, w_, in); }
  void forward(const Mat& x, const Shape& in, int n, Mat& y, Mat& aux, const ForwardMode& mode) const override {
    (void)aux, (void)mode;
    const int L = in.w, Lout = output_shape(in).w;
    const float inv = 1.0f / static_cast<float>(w_.kernel);
    y.resize(in.c, Index{n} * Lout);
    for (int i = 0; i < n; ++i)
      for (int l = 0; l < Lout; ++l)
        y.col(Index{i} * Lout + l) =
            x.middleCols(Index{i} * L + w_.begin(l), w_.end(l, L) - w_.begin(l)).rowwise().sum() * inv;
  }
  void backward(const Mat& x, const Mat& y, const Mat& aux, const Mat& dy, const Shape& in, int n, Mat* dx,
                std::span<Mat> grads) const override {
    (void)x, (void)y, (void)aux, (void)grads;
    if (dx) transpose(dy, in, n, *dx, false);
  }
  void transpose(const Mat& m, const Shape& in, Index blocks, Mat& dst, bool abs) const override {
    (void)abs;
    const int L = in.w, Lout = output_shape(in).w;
    const float inv = 1.0f / static_cast<float>(w_.kernel);
    dst.setZero(in.c, blocks * L);
    for (Index b = 0; b < blocks; ++b)
      for (int l = 0; l < Lout; ++l) {
        const Vec share = m.col(b * Lout + l) * inv;
        for (int p = w_.begin(l); p < w_.end(l, L); ++p) dst.col(b * L + p) += share;
      }
  }

 private:
  Window w_;
};

// The maximum over all positions of each channel: (C x n*S) -> (C x n).
class GlobalMaxPool : public Layer {
 public:
  using Layer::Layer;
  AttrRole attr_role() const override { return AttrRole::Gradient; }
  std::string describe() const override { return "GlobalMaxPool()"; }
  void export_onnx(OnnxBuilder& b) const override { export_global_pool(b, "ReduceMax"); }
  Shape output_shape(const Shape& in) const override { return Shape{in.c, 1, 1}; }
  void forward(const Mat& x, const Shape& in, int n, Mat& y, Mat& aux, const ForwardMode& mode) const override {
    (void)aux, (void)mode;
    const int S = in.spatial();
    const Window w{S, S, 0};
    y.resize(in.c, n);
    std::vector<int> idx;
    for (int i = 0; i < n; ++i) {
      argmax_1d(x, i, S, w, 1, idx);
      for (Index c = 0; c < in.c; ++c) y(c, i) = x(c, Index{i} * S + idx[static_cast<std::size_t>(c)]);
    }
  }
  void backward(const Mat& x, const Mat& y, const Mat& aux, const Mat& dy, const Shape& in, int n, Mat* dx,
                std::span<Mat> grads) const override {
    (void)y, (void)aux, (void)grads;
    if (!dx) return;
    const int S = in.spatial();
    const Window w{S, S, 0};
    dx->setZero(in.c, Index{n} * S);
    std::vector<int> idx;
    for (int i = 0; i < n; ++i) {
      argmax_1d(x, i, S, w, 1, idx);
      for (Index c = 0; c < in.c; ++c) (*dx)(c, Index{i} * S + idx[static_cast<std::size_t>(c)]) += dy(c, i);
    }
  }
};

// maxpool(kernel[,stride][,padding=<int>]): stride defaults to the kernel, as in PyTorch.
LayerDecl maxpool_from_config(const LayerArgs& a, const Shape& in) {
  (void)in;
  a.want_positional({1, 2});
  a.only_keys({"padding"});
  const int k = a.positive(0), s = a.positional() > 1 ? a.positive(1) : k, p = a.non_negative("padding", 0);
  if (2 * std::int64_t{p} > k) a.fail("bad argument padding", fmt::format("at most half the kernel ({})", k / 2), std::to_string(p));
  return {{}, [=](std::string name) -> LayerPtr { return std::make_unique<MaxPool1d>(std::move(name), k, s, p); }};
}
LayerDecl maxpool_from_architecture(const LayerArgs& a) {
  a.only_keys({"kernel", "stride", "padding"});
  const int k = a.positive("kernel"), s = a.positive("stride"), p = a.non_negative("padding", 0);
  if (2 * std::int64_t{p} > k) a.fail("bad argument padding", "", "");
  return {{}, [=](std::string name) -> LayerPtr { return std::make_unique<MaxPool1d>(std::move(name), k, s, p); }};
}

LayerDecl avgpool_from_config(const LayerArgs& a, const Shape& in) {
  (void)in;
  a.want_positional({1, 2});
  a.only_keys({});
  const int k = a.positive(0), s = a.positional() > 1 ? a.positive(1) : k;
  return {{}, [=](std::string name) -> LayerPtr { return std::make_unique<AvgPool1d>(std::move(name), k, s); }};
}
LayerDecl avgpool_from_architecture(const LayerArgs& a) {
  a.only_keys({"kernel", "stride"});
  const int k = a.positive("kernel"), s = a.positive("stride");
  return {{}, [=](std::string name) -> LayerPtr { return std::make_unique<AvgPool1d>(std::move(name), k, s); }};
}

}  // namespace

LB_REGISTER_LAYER(maxpool, {"maxpool", "MaxPool1d", "maxpool(kernel[,stride][,padding=<int>])",
                            "MaxPool1d(kernel=<int>, stride=<int>[, padding=<int>])", maxpool_from_config,
                            maxpool_from_architecture});
LB_REGISTER_LAYER(avgpool, {"avgpool", "AvgPool1d", "avgpool(kernel[,stride])", "AvgPool1d(kernel=<int>, stride=<int>)",
                            avgpool_from_config, avgpool_from_architecture});
LB_REGISTER_LAYER(gmp, {"gmp", "GlobalMaxPool", "gmp without arguments", "GlobalMaxPool()",
                        no_arg_from_config<GlobalMaxPool>, no_arg_from_architecture<GlobalMaxPool>});

}  // namespace lb::model
