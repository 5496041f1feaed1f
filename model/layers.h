// The concrete layers. Internal parameter layouts (chosen for the (C x n*S) activation layout,
// where a 1-D window of K positions is one contiguous block of K*C floats):
//   Conv1d  weight (F x K*C), column k*C + c  <->  PyTorch (F, C, K);  bias (F x 1)
//   Conv2d  weight (F x KH*KW*C), column (ky*KW + kx)*C + c  <->  PyTorch (F, C, KH, KW)
//   Dense   weight (out x in)  <->  PyTorch Linear (out, in);  bias (out x 1)
// Dense expects a (in x n) activation (h = w = 1): put Flatten or GlobalAvgPool before it.
// Conv1d pads with zeros (left, right) and dilates its taps: tap k of output l reads input
// position l*stride + k*dilation - left.
// Flatten reorders each sample to PyTorch's flatten order (c*H*W + y*W + x), so Linear weights
// trained in PyTorch on (N, C, H, W) tensors load unchanged.
#pragma once

#include "model/layer.h"
#include "model/nonlinearity.h"

namespace lb::model {

class Conv1d : public Layer {
 public:
  Conv1d(std::string name, int in_channels, int out_channels, int kernel, int stride = 1, int pad_left = 0,
         int pad_right = 0, int dilation = 1);
  AttrRole attr_role() const override { return AttrRole::Linear; }
  WeightKind weight_kind() const override { return WeightKind::Conv; }
  void export_onnx(OnnxBuilder& b) const override;
  int onnx_spatial_axes() const override { return 1; }
  std::string describe() const override;
  Shape output_shape(const Shape& in) const override;
  void forward(const Mat& x, const Shape& in, int n, Mat& y, Mat& aux, const ForwardMode& mode) const override;
  void backward(const Mat& x, const Mat& y, const Mat& aux, const Mat& dy, const Shape& in, int n, Mat* dx,
                std::span<Mat> grads) const override;
  void transpose(const Mat& m, const Shape& in, Eigen::Index blocks, Mat& dst, bool abs) const override;
  void abs_forward(const Mat& x, const Shape& in, int n, Mat& y) const override;
  std::vector<Param> params() override;
  void init(Rng& rng) override;
  std::vector<float> export_param(int i) const override;
  void import_param(int i, std::span<const float> torch_order) override;

  int in_channels() const { return c_; }
  int out_channels() const { return f_; }
  int kernel() const { return k_; }
  int stride() const { return stride_; }
  int pad_left() const { return pl_; }
  int pad_right() const { return pr_; }
  int dilation() const { return dil_; }
  /// No padding and no dilation: every window is one contiguous run of K*C floats.
  bool plain() const { return pl_ == 0 && pr_ == 0 && dil_ == 1; }
  const Mat& weight() const { return weight_; }  // (F x K*C)
  const Mat& bias() const { return bias_; }      // (F x 1)
  Mat& weight() { return weight_; }
  Mat& bias() { return bias_; }

 private:
  // dx (or Aᵀ m) of `blocks` samples from w (the weight or |W|), into dst (C x blocks*L).
  void input_grad(const Mat& w, const Mat& dy, const Shape& in, Eigen::Index blocks, Mat& dst) const;
  void forward_with(const Mat& w, bool bias, const Mat& x, const Shape& in, int n, Mat& y) const;
  // The K dilated taps of every window of one (padded) sample, as a (K*C x Lout) matrix.
  void gather_taps(const float* xi, Eigen::Index Lout, Mat& win) const;

  int c_, f_, k_, stride_, pl_, pr_, dil_;
  Mat weight_, bias_;
};

class Conv2d : public Layer {
 public:
  Conv2d(std::string name, int in_channels, int out_channels, int kernel_h, int kernel_w, int stride_h,
         int stride_w);
  AttrRole attr_role() const override { return AttrRole::Linear; }
  WeightKind weight_kind() const override { return WeightKind::Conv; }
  void export_onnx(OnnxBuilder& b) const override;
  int onnx_spatial_axes() const override { return 2; }
  std::string describe() const override;
  Shape output_shape(const Shape& in) const override;
  void forward(const Mat& x, const Shape& in, int n, Mat& y, Mat& aux, const ForwardMode& mode) const override;
  void backward(const Mat& x, const Mat& y, const Mat& aux, const Mat& dy, const Shape& in, int n, Mat* dx,
                std::span<Mat> grads) const override;
  void transpose(const Mat& m, const Shape& in, Eigen::Index blocks, Mat& dst, bool abs) const override;
  void abs_forward(const Mat& x, const Shape& in, int n, Mat& y) const override;
  std::vector<Param> params() override;
  void init(Rng& rng) override;
  std::vector<float> export_param(int i) const override;
  void import_param(int i, std::span<const float> torch_order) override;

  int in_channels() const { return c_; }
  int out_channels() const { return f_; }
  int kernel_h() const { return kh_; }
  int kernel_w() const { return kw_; }
  int stride_h() const { return sh_; }
  int stride_w() const { return sw_; }
  const Mat& weight() const { return weight_; }  // (F x KH*KW*C)
  const Mat& bias() const { return bias_; }
  Mat& weight() { return weight_; }
  Mat& bias() { return bias_; }

 private:
  int c_, f_, kh_, kw_, sh_, sw_;
  Mat weight_, bias_;
};

class Dense : public Layer {
 public:
  Dense(std::string name, int in_features, int out_features);
  AttrRole attr_role() const override { return AttrRole::Linear; }
  WeightKind weight_kind() const override { return WeightKind::Dense; }
  void export_onnx(OnnxBuilder& b) const override;
  std::string describe() const override;
  Shape output_shape(const Shape& in) const override;
  void forward(const Mat& x, const Shape& in, int n, Mat& y, Mat& aux, const ForwardMode& mode) const override;
  void backward(const Mat& x, const Mat& y, const Mat& aux, const Mat& dy, const Shape& in, int n, Mat* dx,
                std::span<Mat> grads) const override;
  void transpose(const Mat& m, const Shape& in, Eigen::Index blocks, Mat& dst, bool abs) const override;
  void abs_forward(const Mat& x, const Shape& in, int n, Mat& y) const override;
  std::vector<Param> params() override;
  void init(Rng& rng) override;
  std::vector<float> export_param(int i) const override;
  void import_param(int i, std::span<const float> torch_order) override;

  int in_features() const { return in_; }
  int out_features() const { return out_; }
  const Mat& weight() const { return weight_; }  // (out x in)
  const Mat& bias() const { return bias_; }
  Mat& weight() { return weight_; }
  Mat& bias() { return bias_; }

 private:
  int in_, out_;
  Mat weight_, bias_;
};

/// Mean over all spatial positions of each channel: (C x n*S) -> (C x n), shape (C,1,1).
class GlobalAvgPool : public Layer {
 public:
  explicit GlobalAvgPool(std::string name) : Layer(std::move(name)) {}
  AttrRole attr_role() const override { return AttrRole::Transparent; }
  void export_onnx(OnnxBuilder& b) const override;
  std::string describe() const override { return "GlobalAvgPool()"; }
  Shape output_shape(const Shape& in) const override { return Shape{in.c, 1, 1}; }
  void forward(const Mat& x, const Shape& in, int n, Mat& y, Mat& aux, const ForwardMode& mode) const override;
  void backward(const Mat& x, const Mat& y, const Mat& aux, const Mat& dy, const Shape& in, int n, Mat* dx,
                std::span<Mat> grads) const override;
  void transpose(const Mat& m, const Shape& in, Eigen::Index blocks, Mat& dst, bool abs) const override;
};

/// (C x n*S) -> (C*S x n) in PyTorch's flatten order c*S + s.
class Flatten : public Layer {
 public:
  explicit Flatten(std::string name) : Layer(std::move(name)) {}
  AttrRole attr_role() const override { return AttrRole::Transparent; }
  void export_onnx(OnnxBuilder& b) const override;
  std::string describe() const override { return "Flatten()"; }
  Shape output_shape(const Shape& in) const override;
  void forward(const Mat& x, const Shape& in, int n, Mat& y, Mat& aux, const ForwardMode& mode) const override;
  void backward(const Mat& x, const Mat& y, const Mat& aux, const Mat& dy, const Shape& in, int n, Mat* dx,
                std::span<Mat> grads) const override;
  void transpose(const Mat& m, const Shape& in, Eigen::Index blocks, Mat& dst, bool abs) const override;
};

/// Inverted dropout: in training, each element is zeroed with probability p and the survivors
/// scaled by 1/(1-p) (aux keeps the 0 or 1/(1-p) mask); at inference, the identity.
class Dropout : public Layer {
 public:
  Dropout(std::string name, double p);
  AttrRole attr_role() const override { return AttrRole::Transparent; }
  void export_onnx(OnnxBuilder& b) const override;
  std::string describe() const override;
  Shape output_shape(const Shape& in) const override { return in; }
  void forward(const Mat& x, const Shape& in, int n, Mat& y, Mat& aux, const ForwardMode& mode) const override;
  void backward(const Mat& x, const Mat& y, const Mat& aux, const Mat& dy, const Shape& in, int n, Mat* dx,
                std::span<Mat> grads) const override;
  void transpose(const Mat& m, const Shape& in, Eigen::Index blocks, Mat& dst, bool abs) const override;
  double p() const { return p_; }

 private:
  double p_;
};

/// y = x_1 + x_2 + ... of inputs of one shape: a residual connection. Config `add(a, b)`.
class Add : public Merge {
 public:
  using Merge::Merge;
  void export_onnx(OnnxBuilder& b) const override;
  std::string describe() const override { return "Add()"; }
  Shape merge_shape(std::span<const Shape> ins) const override;
  void merge_forward(std::span<const Mat* const> xs, std::span<const Shape> ins, int n, Mat& y) const override;
  void merge_backward(const Mat& dy, std::span<const Shape> ins, Eigen::Index blocks,
                      std::span<Mat* const> dxs) const override;
};

/// The inputs' channels stacked in order (inputs of one spatial shape; flat heads included):
/// PyTorch's torch.cat(dim=1). Config `concat(a, b)`.
class Concat : public Merge {
 public:
  using Merge::Merge;
  void export_onnx(OnnxBuilder& b) const override;
  std::string describe() const override { return "Concat()"; }
  Shape merge_shape(std::span<const Shape> ins) const override;
  void merge_forward(std::span<const Mat* const> xs, std::span<const Shape> ins, int n, Mat& y) const override;
  void merge_backward(const Mat& dy, std::span<const Shape> ins, Eigen::Index blocks,
                      std::span<Mat* const> dxs) const override;
};

/// The named outputs of a multi-output model (BPNet's profile and counts heads): reads two or
/// more activations, flattens each to PyTorch's order (c*H*W + y*W + x, as Flatten) and stacks
/// them, so the network's logits are the heads one after another. Head k is named names()[k]
/// (its input layer's name in model.layers; the ONNX graph output's name on import) and keeps
/// its shape (Network::heads()). Only the last layer of a network may be one; it exports as one
/// ONNX graph output per head.
class Heads : public Merge {
 public:
  Heads(std::string name, std::vector<std::string> names) : Merge(std::move(name)), names_(std::move(names)) {}
  std::span<const std::string> head_names() const override { return names_; }
  void export_onnx(OnnxBuilder& b) const override;
  std::string describe() const override;
  Shape merge_shape(std::span<const Shape> ins) const override;
  void merge_forward(std::span<const Mat* const> xs, std::span<const Shape> ins, int n, Mat& y) const override;
  void merge_backward(const Mat& dy, std::span<const Shape> ins, Eigen::Index blocks,
                      std::span<Mat* const> dxs) const override;

 private:
  std::vector<std::string> names_;
};

}  // namespace lb::model
