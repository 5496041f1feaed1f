// Layers with paired forward and backward on batches (llm.c's layer_forward/_backward pairs).
//
// A layer holds only its parameters. A forward pass writes its output (and any per-pass state,
// such as a dropout mask) into buffers the caller owns — a Trace, see model/network.h — so one
// const network serves several threads, and the input and the reference side by side.
//
// Layout (core/tensor.h): an activation of n samples of per-sample shape (C, H, W) is a
// (C x n*H*W) column-major lb::Mat: channels innermost, one column per spatial position,
// sample i in columns [i*H*W, (i+1)*H*W), position index y*W + x. 1-D data has H = 1, W = L;
// dense activations have H = W = 1. io/ converts PyTorch's (N, C, H, W) C-order arrays.
//
// Worked example, the genomics network on n sequences of length 200:
//   input (4 x n*200) -> conv1 (50 x n*190) -> relu -> conv2 (50 x n*180) -> relu
//   -> gap (50 x n) -> fc1 (50 x n) -> relu -> dropout -> fc2 (3 x n) = logits
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/rng.h"
#include "core/tensor.h"

namespace lb::model {

/// True when the product of `dims` (each >= 0) fits an int: the element counts of shapes and
/// parameters, and the k*c and kh*kw*c column counts of the conv layers, are ints.
inline bool product_fits_int(std::initializer_list<std::int64_t> dims) {
  std::int64_t p = 1;
  for (const auto d : dims)
    if (__builtin_mul_overflow(p, d, &p) || p > INT32_MAX) return false;
  return true;
}

/// Per-sample shape: channels x height x width.
struct Shape {
  int c = 0, h = 1, w = 1;
  int spatial() const {
    LB_CHECK(product_fits_int({h, w}), "shape {}x{}x{}: more than 2^31-1 positions", c, h, w);
    return h * w;
  }
  int size() const {
    LB_CHECK(size_fits_int(), "shape {}x{}x{}: more than 2^31-1 values", c, h, w);
    return c * h * w;
  }
  bool size_fits_int() const { return product_fits_int({c, h, w}); }
  bool operator==(const Shape&) const = default;
  /// "4x200" for 1-D (h == 1), "1x28x28" for 2-D, "50" for dense (h == w == 1).
  std::string str() const;
};

/// How the attribution engine treats a layer (docs/attribution.md). Every layer declares one;
/// the engine has no list of layer types.
enum class AttrRole {
  /// An affine map y = A x + b, A of any sign (convolutions, dense, batch norm at inference):
  /// DeepLIFT's Linear rule with the appendix-B positive / negative split, through transpose()
  /// and abs_forward().
  Linear,
  /// A linear map with A >= 0 and no bias (average pools, flatten, crop, dropout at inference):
  /// forward carries Δ+ and Δ- of the linear layer below up separately, transpose() carries m+
  /// and m- down separately.
  Transparent,
  /// A per-channel affine map y_c = a_c x_c + b_c (batch norm at inference): like Transparent it
  /// carries Δ+ and Δ- up and m+ and m- down, scaled by a_c and swapped where a_c < 0, so that
  /// RevealCancel's split stays the one of the weighted layer below (deeplift's batch norm);
  /// channel_scale() gives a, transpose() a·m.
  Diagonal,
  /// An elementwise y = f(x) (model/nonlinearity.h): the rules Rescale, RevealCancel, Gradient
  /// and GuidedBackprop follow from f and its one-sided derivatives.
  Nonlinearity,
  /// Anything else (max pools): the multipliers of its input are its gradient at the actual
  /// input, applied with backward() (deeplift's max-pool rule).
  Gradient,
  /// A layer of several inputs (class Merge: a residual Add, a channel Concat): linear, weights
  /// >= 0, no bias. Like Transparent, forward carries each input's Δ+ and Δ- up (summed or
  /// stacked) and merge_backward() carries m+ and m- down to every input (deeplift's Concat).
  Merge,
};

/// The weighted layers that DeepLIFT's layer groups and rule presets go by (docs/attribution.md):
/// a convolution ([conv], [first_conv], [later_conv]) or a dense layer ([dense]). Every layer
/// says which it is; the engine has no list of layer types.
enum class WeightKind { None, Conv, Dense };

class OnnxBuilder;  // model/onnx_builder.h

/// How a forward pass runs. Dropout draws its mask for sample i of the batch from
/// Rng(dropout_seed, first_sample + i), so masks do not depend on how a batch is split.
struct ForwardMode {
  bool training = false;
  std::uint64_t dropout_seed = 0;
  std::int64_t first_sample = 0;
};

/// A parameter tensor: internal storage plus its PyTorch name suffix and shape.
struct Param {
  std::string name;               // "weight" or "bias"
  Mat* value;                     // internal layout (see each layer)
  std::vector<std::int64_t> torch_shape;
};

class Layer {
 public:
  explicit Layer(std::string name) : name_(std::move(name)) {}
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  /// The layer's name (PyTorch parameter prefix: "conv1" gives "conv1.weight").
  const std::string& name() const { return name_; }
  virtual AttrRole attr_role() const = 0;
  /// A weighted layer of a rule group (convolution or dense), or None (the default).
  virtual WeightKind weight_kind() const { return WeightKind::None; }
  /// One architecture line: "Conv1d(in=4, out=50, kernel=11, stride=1)". Parsed back by
  /// parse_layer() in model/network.h.
  virtual std::string describe() const = 0;
  /// Output shape for `in`; throws ConfigError "model.layers: layer 'conv2': ...; expected
  /// ..., got ..." when the input does not fit (too short, wrong channel count).
  virtual Shape output_shape(const Shape& in) const = 0;

  /// y = f(x) on n samples. x: (in.c x n*in.spatial()); y is resized to (out.c x n*out.spatial()).
  /// `aux` is layer-private per-pass state kept in the trace (Dropout's mask; others leave it).
  virtual void forward(const Mat& x, const Shape& in, int n, Mat& y, Mat& aux,
                       const ForwardMode& mode) const = 0;
  /// Backward of the same pass: given dy = dL/dy, writes dx = dL/dx (resized; skipped when
  /// dx is null) and ADDS dL/dparam into grads[i] for params()[i] (same internal layout).
  virtual void backward(const Mat& x, const Mat& y, const Mat& aux, const Mat& dy, const Shape& in,
                        int n, Mat* dx, std::span<Mat> grads) const = 0;

  /// Linear and Transparent layers: dst = Aᵀ m (abs: |A|ᵀ m), the transposed product of the
  /// layer's linear part, for `blocks` column blocks of m (out.c x blocks*out.spatial()), each
  /// block one sample's multipliers; dst is resized to (in.c x blocks*in.spatial()). This is
  /// also what backward() computes for dx, and it shares its kernel.
  virtual void transpose(const Mat& m, const Shape& in, Eigen::Index blocks, Mat& dst, bool abs) const;
  /// Linear layers: y = |A| x on n samples (no bias): the term that splits A Δx into its positive
  /// and negative parts for RevealCancel.
  virtual void abs_forward(const Mat& x, const Shape& in, int n, Mat& y) const;
  /// Diagonal layers: the per-channel scale a (in.c values).
  virtual Vec channel_scale() const;

  /// Parameters, in a fixed order (weight, then bias). Parameter-free layers: empty.
  virtual std::vector<Param> params() { return {}; }
  /// State saved with the parameters but not trained (batch norm's running mean and variance),
  /// in a fixed order after the parameters. Default: none.
  virtual std::vector<Param> buffers() { return {}; }
  /// Called by the trainer after each training step with the aux of that step's forward pass:
  /// batch norm updates its running statistics here. Default: nothing.
  virtual void update_state(const Mat& aux) { (void)aux; }
  /// True when a training forward pass couples the samples of a batch (batch norm's batch
  /// statistics): the trainer then runs each batch as one chunk.
  virtual bool couples_batch() const { return false; }
  /// PyTorch's default initialisation (kaiming_uniform_(a=sqrt(5)) for weights, U(-1/sqrt(fan_in),
  /// 1/sqrt(fan_in)) for biases), drawn from rng in PyTorch's element order.
  virtual void init(Rng& rng) { (void)rng; }
  /// Appends the layer's ONNX form to the exported graph (model/onnx_builder.h). The default
  /// refuses: InputError "<path>: layer '<name>' is <describe()>, which has no ONNX form; ...".
  virtual void export_onnx(OnnxBuilder& b) const;
  /// The number of spatial axes the layer's ONNX tensors must have: 1 for (N, C, L) layers
  /// (Conv1d, the 1-D pools, Crop1d), 2 for (N, C, H, W) ones (Conv2d), 0 for layers of any rank.
  /// The exported graph's input gets the largest rank any layer needs.
  virtual int onnx_spatial_axes() const { return 0; }

  /// Parameter i (params() then buffers()) as a flat C-order array in PyTorch layout, and back.
  virtual std::vector<float> export_param(int i) const;
  virtual void import_param(int i, std::span<const float> torch_order);

 private:
  std::string name_;
};

using LayerPtr = std::unique_ptr<Layer>;

/// A layer that reads several activations (role Merge): the network calls merge_shape,
/// merge_forward and merge_backward instead of the one-input output_shape, forward and backward
/// (which refuse). Parameter-free.
class Merge : public Layer {
 public:
  using Layer::Layer;
  AttrRole attr_role() const final { return AttrRole::Merge; }
  /// Output shape for inputs of shapes `ins` (at least 2); layer_error when they do not fit.
  virtual Shape merge_shape(std::span<const Shape> ins) const = 0;
  /// y from the inputs xs[k] (ins[k].c x n*ins[k].spatial()).
  virtual void merge_forward(std::span<const Mat* const> xs, std::span<const Shape> ins, int n, Mat& y) const = 0;
  /// dxs[k] = dL/dx_k from dy for every k whose dxs[k] is not null (resized), for `blocks`
  /// column blocks of dy (one per sample; the engine passes tasks x samples): also the
  /// transposed product that carries multipliers to each input.
  virtual void merge_backward(const Mat& dy, std::span<const Shape> ins, Eigen::Index blocks,
                              std::span<Mat* const> dxs) const = 0;

  /// The names of the network's heads when this layer stacks them (a Heads layer, only ever the
  /// network's last; Network::heads()); empty for every other merge.
  virtual std::span<const std::string> head_names() const { return {}; }

  Shape output_shape(const Shape& in) const final;
  void forward(const Mat& x, const Shape& in, int n, Mat& y, Mat& aux, const ForwardMode& mode) const final;
  void backward(const Mat& x, const Mat& y, const Mat& aux, const Mat& dy, const Shape& in, int n, Mat* dx,
                std::span<Mat> grads) const final;
};

/// ConfigError("model.layers: layer '<layer>': <what>; expected <expected>, got <got>"): the
/// error of a layer that does not fit its input (from output_shape()).
ConfigError layer_error(std::string_view layer, std::string_view what, std::string_view expected,
                        std::string_view got);

/// One draw of U(-bound, bound) as PyTorch's uniform_(-bound, bound) makes it: -bound + 2*bound*u.
inline float uniform_pm(Rng& rng, double bound) { return static_cast<float>(-bound + 2.0 * bound * rng.uniform()); }

}  // namespace lb::model
