// Crop1d: drops `left` positions at the start and `right` at the end of a 1-D input (BPNet-style
// models crop their profile output to the centre). Linear, non-negative, no bias: transparent
// to the attribution engine; its transpose puts the multipliers back with zeros at the ends.
#include <fmt/format.h>

#include "model/layer.h"
#include "model/onnx_builder.h"
#include "model/registry.h"

namespace lb::model {

namespace {

using Index = Eigen::Index;

class Crop1d : public Layer {
 public:
  Crop1d(std::string name, int left, int right) : Layer(std::move(name)), left_(left), right_(right) {
    LB_CHECK(left >= 0 && right >= 0, "crop '{}': left={} right={}", this->name(), left, right);
  }
  AttrRole attr_role() const override { return AttrRole::Transparent; }
  std::string describe() const override { return fmt::format("Crop1d(left={}, right={})", left_, right_); }
  // Slice of positions [left, L - right) on the length axis.
  void export_onnx(OnnxBuilder& b) const override {
    const std::string& n = name();
    b.node("Slice", n,
           {b.current(), b.constant(n + "/starts", std::vector<std::int64_t>{left_}),
            b.constant(n + "/ends", std::vector<std::int64_t>{b.input_shape().w - right_}),
            b.constant(n + "/axes", std::vector<std::int64_t>{2})},
           b.output_name());
  }
  int onnx_spatial_axes() const override { return 1; }
  Shape output_shape(const Shape& in) const override {
    if (in.h != 1) throw layer_error(name(), "crop needs a 1-D input", "a (C x L) input", in.str());
    if (std::int64_t{left_} + right_ >= in.w)
      throw layer_error(name(), "cropping leaves nothing", fmt::format("length > {}", std::int64_t{left_} + right_),
                        std::to_string(in.w));
    return Shape{in.c, 1, in.w - left_ - right_};
  }
  void forward(const Mat& x, const Shape& in, int n, Mat& y, Mat& aux, const ForwardMode& mode) const override {
    (void)aux, (void)mode;
    const Index L = in.w, Lout = output_shape(in).w;
    y.resize(in.c, n * Lout);
    for (Index i = 0; i < n; ++i) y.middleCols(i * Lout, Lout) = x.middleCols(i * L + left_, Lout);
  }
  void backward(const Mat& x, const Mat& y, const Mat& aux, const Mat& dy, const Shape& in, int n, Mat* dx,
                std::span<Mat> grads) const override {
    (void)x, (void)y, (void)aux, (void)grads;
    if (dx) transpose(dy, in, n, *dx, false);
  }
  void transpose(const Mat& m, const Shape& in, Index blocks, Mat& dst, bool abs) const override {
    (void)abs;
    const Index L = in.w, Lout = output_shape(in).w;
    dst.setZero(in.c, blocks * L);
    for (Index b = 0; b < blocks; ++b) dst.middleCols(b * L + left_, Lout) = m.middleCols(b * Lout, Lout);
  }

 private:
  int left_, right_;
};

// crop(left,right) / Crop1d(left=, right=); either may be 0.
LayerDecl crop_from_config(const LayerArgs& a, const Shape& in) {
  (void)in;
  a.want_positional({0});
  a.only_keys({"left", "right"});
  const int left = a.non_negative("left", 0), right = a.non_negative("right", 0);
  return {{}, [=](std::string name) -> LayerPtr { return std::make_unique<Crop1d>(std::move(name), left, right); }};
}
LayerDecl crop_from_architecture(const LayerArgs& a) {
  a.only_keys({"left", "right"});
  if (!a.has("left") || !a.has("right")) a.fail("missing argument", "", "");
  const int left = a.non_negative("left", 0), right = a.non_negative("right", 0);
  return {{}, [=](std::string name) -> LayerPtr { return std::make_unique<Crop1d>(std::move(name), left, right); }};
}

}  // namespace

LB_REGISTER_LAYER(crop, {"crop", "Crop1d", "crop(left=<int>,right=<int>)", "Crop1d(left=<int>, right=<int>)",
                         crop_from_config, crop_from_architecture});

}  // namespace lb::model
