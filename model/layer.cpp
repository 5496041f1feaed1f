// Layer basics: Shape printing and the default PyTorch-layout export/import of parameters.
#include "model/layer.h"

#include "model/onnx_builder.h"

#include <fmt/format.h>

#include "core/error.h"

namespace lb::model {

ConfigError layer_error(std::string_view layer, std::string_view what, std::string_view expected,
                        std::string_view got) {
  return ConfigError(fmt::format("model.layers: layer '{}': {}; expected {}, got {}", layer, what, expected, got));
}

std::string Shape::str() const {
  if (h == 1 && w == 1) return fmt::format("{}", c);
  if (h == 1) return fmt::format("{}x{}", c, w);
  return fmt::format("{}x{}x{}", c, h, w);
}

void Layer::transpose(const Mat& m, const Shape& in, Eigen::Index blocks, Mat& dst, bool abs) const {
  (void)m, (void)in, (void)blocks, (void)dst, (void)abs;
  LB_CHECK(false, "layer '{}' ({}) is not linear: it has no transposed product", name_, describe());
}

void Layer::abs_forward(const Mat& x, const Shape& in, int n, Mat& y) const {
  (void)x, (void)in, (void)n, (void)y;
  LB_CHECK(false, "layer '{}' ({}) is not linear: it has no |W| forward", name_, describe());
}

Vec Layer::channel_scale() const {
  LB_CHECK(false, "layer '{}' ({}) is not diagonal: it has no channel scale", name_, describe());
  return {};
}

Shape Merge::output_shape(const Shape& in) const {
  (void)in;
  LB_CHECK(false, "layer '{}' ({}) reads several inputs: use merge_shape", name(), describe());
  return {};
}

void Merge::forward(const Mat& x, const Shape& in, int n, Mat& y, Mat& aux, const ForwardMode& mode) const {
  (void)x, (void)in, (void)n, (void)y, (void)aux, (void)mode;
  LB_CHECK(false, "layer '{}' ({}) reads several inputs: use merge_forward", name(), describe());
}

void Merge::backward(const Mat& x, const Mat& y, const Mat& aux, const Mat& dy, const Shape& in, int n, Mat* dx,
                     std::span<Mat> grads) const {
  (void)x, (void)y, (void)aux, (void)dy, (void)in, (void)n, (void)dx, (void)grads;
  LB_CHECK(false, "layer '{}' ({}) reads several inputs: use merge_backward", name(), describe());
}

// Index i runs over params() then buffers(). The default treats the internal matrix as PyTorch's tensor viewed as (shape[0], rest) in
// C order: that is a row-major export of the (column-major) matrix. Right for Dense's
// (out x in) weight and for every (F x 1) bias; conv layers override it for their weights.
void Layer::export_onnx(OnnxBuilder& b) const { b.unsupported(); }

std::vector<float> Layer::export_param(int i) const {
  auto ps = const_cast<Layer*>(this)->params();  // params() only hands out pointers
  for (auto& b : const_cast<Layer*>(this)->buffers()) ps.push_back(b);
  LB_CHECK(i >= 0 && i < static_cast<int>(ps.size()), "layer '{}' has no parameter {}", name_, i);
  const Mat& m = *ps[static_cast<std::size_t>(i)].value;
  std::vector<float> out(static_cast<std::size_t>(m.size()));
  Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(out.data(), m.rows(), m.cols()) = m;
  return out;
}

void Layer::import_param(int i, std::span<const float> torch_order) {
  auto ps = params();
  for (auto& b : buffers()) ps.push_back(b);
  LB_CHECK(i >= 0 && i < static_cast<int>(ps.size()), "layer '{}' has no parameter {}", name_, i);
  Mat& m = *ps[static_cast<std::size_t>(i)].value;
  LB_CHECK(static_cast<Eigen::Index>(torch_order.size()) == m.size(), "layer '{}' parameter {}: expected {} values, got {}",
           name_, i, m.size(), torch_order.size());
  m = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(torch_order.data(),
                                                                                              m.rows(), m.cols());
}

}  // namespace lb::model
