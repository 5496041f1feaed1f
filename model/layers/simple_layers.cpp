// Parameter-free linear layers: GlobalAvgPool, Flatten, Dropout (transparent to the attribution
// engine: linear, non-negative, no bias).
#include <cmath>

#include "model/layers.h"
#include "model/onnx_builder.h"
#include "model/registry.h"

namespace lb::model {

// ---- GlobalAvgPool: y[:, i] = mean over the S positions of sample i; dx[:, i*S + s] = dy[:, i] / S.

Shape Flatten::output_shape(const Shape& in) const {
  if (!in.size_fits_int())
    throw layer_error(name(), "too many features to flatten", fmt::format("at most {}", INT32_MAX), in.str());
  return Shape{in.size(), 1, 1};
}

void GlobalAvgPool::forward(const Mat& x, const Shape& in, int n, Mat& y, Mat& aux, const ForwardMode& mode) const {
  (void)aux, (void)mode;
  const int S = in.spatial();
  LB_CHECK(x.rows() == in.c && x.cols() == Eigen::Index{n} * S, "gap '{}': x is {}x{}, expected {}x{}", name(),
           x.rows(), x.cols(), in.c, Eigen::Index{n} * S);
  y.resize(in.c, n);
  const float inv = 1.0f / static_cast<float>(S);
  for (int i = 0; i < n; ++i) y.col(i) = x.middleCols(Eigen::Index{i} * S, S).rowwise().sum() * inv;
}

void GlobalAvgPool::backward(const Mat& x, const Mat& y, const Mat& aux, const Mat& dy, const Shape& in, int n,
                             Mat* dx, std::span<Mat> grads) const {
  (void)x, (void)y, (void)aux, (void)grads;
  if (dx) transpose(dy, in, n, *dx, false);
}

void GlobalAvgPool::export_onnx(OnnxBuilder& b) const { export_global_pool(b, "ReduceMean"); }

void GlobalAvgPool::transpose(const Mat& m, const Shape& in, Eigen::Index blocks, Mat& dst, bool abs) const {
  (void)abs;
  const int S = in.spatial();
  const float inv = 1.0f / static_cast<float>(S);
  dst.resize(in.c, blocks * S);
  Vec share(in.c);  // m[:, i] / S, written to each of block i's S columns
  for (Eigen::Index i = 0; i < blocks; ++i) {
    share = m.col(i) * inv;
    for (int s = 0; s < S; ++s) dst.col(i * S + s) = share;  // (a replicate() expression measured 15x slower)
  }
}

// ---- Flatten: sample i's (C x S) block, channels innermost, becomes column i in PyTorch's
// order c*S + s: viewed as an (S x C) column-major matrix, that column is the block transposed.

void Flatten::forward(const Mat& x, const Shape& in, int n, Mat& y, Mat& aux, const ForwardMode& mode) const {
  (void)aux, (void)mode;
  const int C = in.c, S = in.spatial();
  LB_CHECK(x.rows() == C && x.cols() == Eigen::Index{n} * S, "flatten '{}': x is {}x{}, expected {}x{}", name(),
           x.rows(), x.cols(), C, Eigen::Index{n} * S);
  y.resize(Eigen::Index{C} * S, n);
  for (int i = 0; i < n; ++i)
    Eigen::Map<Mat>(y.col(i).data(), S, C) = x.middleCols(Eigen::Index{i} * S, S).transpose();
}

void Flatten::backward(const Mat& x, const Mat& y, const Mat& aux, const Mat& dy, const Shape& in, int n, Mat* dx,
                       std::span<Mat> grads) const {
  (void)x, (void)y, (void)aux, (void)grads;
  if (dx) transpose(dy, in, n, *dx, false);
}

void Flatten::export_onnx(OnnxBuilder& b) const {
  b.node("Flatten", name(), {b.current()}, b.output_name(), {OnnxAttr::i("axis", 1)});
  b.set_rank(2);
}

void Flatten::transpose(const Mat& m, const Shape& in, Eigen::Index blocks, Mat& dst, bool abs) const {
  (void)abs;
  const int C = in.c, S = in.spatial();
  dst.resize(C, blocks * S);
  for (Eigen::Index i = 0; i < blocks; ++i)
    dst.middleCols(i * S, S) = Eigen::Map<const Mat>(m.col(i).data(), S, C).transpose();
}

// ---- Dropout (inverted). Sample i's mask comes from its own stream,
// Rng(dropout_seed ^ salt, first_sample + i), drawn in the sample's internal element order
// (column-major over its (C x S) block): u < p drops, otherwise the element is scaled by
// 1/(1-p). Per-sample streams make masks independent of how a batch is split into chunks or
// threads. The salt is a hash of the layer's name, so that two dropout layers of one network
// (MNIST has two) do not draw the same uniforms — with one shared stream the first elements of
// both masks would be thresholds of identical numbers, and so correlated.

namespace {
std::uint64_t name_salt(const std::string& name) {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64
  for (unsigned char ch : name) h = (h ^ ch) * 0x100000001b3ULL;
  return h;
}
}  // namespace

Dropout::Dropout(std::string name, double p) : Layer(std::move(name)), p_(p) {
  LB_CHECK(p_ >= 0.0 && p_ < 1.0, "dropout '{}': p = {} outside [0, 1)", this->name(), p_);
}

std::string Dropout::describe() const { return fmt::format("Dropout(p={})", p_); }

void Dropout::forward(const Mat& x, const Shape& in, int n, Mat& y, Mat& aux, const ForwardMode& mode) const {
  if (!mode.training) {
    y = x;
    aux.resize(0, 0);  // no mask: backward of this pass is the identity
    return;
  }
  const Eigen::Index per = in.size();
  LB_CHECK(x.rows() == in.c && x.cols() == n * Eigen::Index{in.spatial()}, "dropout '{}': x is {}x{}, expected {}x{}",
           name(), x.rows(), x.cols(), in.c, n * Eigen::Index{in.spatial()});
  aux.resize(x.rows(), x.cols());
  const float keep = static_cast<float>(1.0 / (1.0 - p_));
  const std::uint64_t seed = mode.dropout_seed ^ name_salt(name());
  for (int i = 0; i < n; ++i) {
    Rng rng(seed, static_cast<std::uint64_t>(mode.first_sample + i));
    float* m = aux.data() + i * per;
    for (Eigen::Index j = 0; j < per; ++j) m[j] = rng.uniform() < p_ ? 0.0f : keep;
  }
  y = x.cwiseProduct(aux);
}

void Dropout::backward(const Mat& x, const Mat& y, const Mat& aux, const Mat& dy, const Shape& in, int n, Mat* dx,
                       std::span<Mat> grads) const {
  (void)x, (void)y, (void)in, (void)n, (void)grads;
  if (!dx) return;
  // Training pass: the mask; inference pass (aux left empty): the identity.
  if (aux.size() == dy.size())
    *dx = dy.cwiseProduct(aux);
  else
    *dx = dy;
}


// The identity at inference: no node, the input passes through.
void Dropout::export_onnx(OnnxBuilder& b) const { (void)b; }

void Dropout::transpose(const Mat& m, const Shape& in, Eigen::Index blocks, Mat& dst, bool abs) const {
  (void)in, (void)blocks, (void)abs;
  dst = m;  // the identity at inference
}

// ---- Registration: gap / GlobalAvgPool(), flatten / Flatten(), dropout(p) / Dropout(p=)

namespace {

LayerDecl dropout_from_config(const LayerArgs& a, const Shape& in) {
  (void)in;
  a.want_positional({1});
  a.only_keys({});
  const double p = a.rate(0);
  return {{}, [p](std::string name) -> LayerPtr { return std::make_unique<Dropout>(std::move(name), p); }};
}

LayerDecl dropout_from_architecture(const LayerArgs& a) {
  a.only_keys({"p"});
  const double p = a.rate("p");
  return {{}, [p](std::string name) -> LayerPtr { return std::make_unique<Dropout>(std::move(name), p); }};
}

}  // namespace

LB_REGISTER_LAYER(gap, {"gap", "GlobalAvgPool", "gap without arguments", "GlobalAvgPool()",
                        no_arg_from_config<GlobalAvgPool>, no_arg_from_architecture<GlobalAvgPool>});
LB_REGISTER_LAYER(flatten, {"flatten", "Flatten", "flatten without arguments", "Flatten()",
                            no_arg_from_config<Flatten>, no_arg_from_architecture<Flatten>});
LB_REGISTER_LAYER(dropout, {"dropout", "Dropout", "dropout(p)", "Dropout(p=<rate in [0, 1)>)", dropout_from_config,
                            dropout_from_architecture});

}  // namespace lb::model
