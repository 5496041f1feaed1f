// BatchNorm1d (PyTorch's BatchNorm1d over (N, C, L) or (N, C)): per channel c,
//   training:   y = w_c (x - μ_c)/sqrt(σ²_c + eps) + b_c, μ and σ² (biased) over the batch's
//               n*S values of channel c; afterwards running_mean += momentum (μ - running_mean)
//               and running_var += momentum (σ²·N/(N-1) - running_var) (the unbiased variance);
//   inference:  y = a_c x + (b_c - a_c running_mean_c), a_c = w_c / sqrt(running_var_c + eps):
//               a per-channel affine map (AttrRole::Diagonal): DeepLIFT's Linear rule, with the
//               positive and negative parts carried through it (swapped where a_c < 0).
// Parameters weight and bias (C), buffers running_mean and running_var (C), as in PyTorch's
// state_dict (its num_batches_tracked counter is not kept: load_state_dict fills it in).
#include <cmath>

#include <fmt/format.h>

#include "model/layer.h"
#include "model/onnx_builder.h"
#include "model/registry.h"

namespace lb::model {

namespace {

using Index = Eigen::Index;

class BatchNorm1d : public Layer {
 public:
  BatchNorm1d(std::string name, int channels, double eps, double momentum)
      : Layer(std::move(name)), c_(channels), eps_(eps), momentum_(momentum) {
    LB_CHECK(c_ > 0 && eps_ > 0 && momentum_ >= 0 && momentum_ <= 1, "batchnorm '{}': channels={} eps={} momentum={}",
             this->name(), c_, eps_, momentum_);
    weight_ = Mat::Ones(c_, 1);
    bias_ = Mat::Zero(c_, 1);
    mean_ = Mat::Zero(c_, 1);
    var_ = Mat::Ones(c_, 1);
  }
  AttrRole attr_role() const override { return AttrRole::Diagonal; }
  Vec channel_scale() const override { return scale(); }
  // ONNX's momentum weighs the running statistic, PyTorch's the batch's.
  void export_onnx(OnnxBuilder& b) const override {
    const auto w = b.initializers();
    b.node("BatchNormalization", name(), {b.current(), w[0], w[1], w[2], w[3]}, b.output_name(),
           {OnnxAttr::f("epsilon", eps_), OnnxAttr::f("momentum", 1.0 - momentum_)});
  }
  std::string describe() const override {
    return fmt::format("BatchNorm1d(channels={}, eps={}, momentum={})", c_, eps_, momentum_);
  }
  Shape output_shape(const Shape& in) const override {
    if (in.c != c_) throw layer_error(name(), "input channels do not match", std::to_string(c_), std::to_string(in.c));
    return in;
  }
  bool couples_batch() const override { return true; }

  // The inference scale a = w / sqrt(running_var + eps), in double then rounded.
  Vec scale() const {
    Vec a(c_);
    for (int c = 0; c < c_; ++c)
      a(c) = static_cast<float>(static_cast<double>(weight_(c, 0)) / std::sqrt(static_cast<double>(var_(c, 0)) + eps_));
    return a;
  }

  // aux (training): column 0 the batch mean, column 1 the biased variance, column 2 the count N.
  void forward(const Mat& x, const Shape& in, int n, Mat& y, Mat& aux, const ForwardMode& mode) const override {
    (void)in, (void)n;
    y.resize(x.rows(), x.cols());
    if (!mode.training) {
      aux.resize(0, 0);
      const Vec a = scale();
      const Vec shift = bias_.col(0) - a.cwiseProduct(mean_.col(0));
      y = (a.asDiagonal() * x).colwise() + shift;
      return;
    }
    const Index N = x.cols();
    if (N < 2)  // PyTorch's rule too: the variance of one value is 0, and the output only the bias
      throw ConfigError(fmt::format(
          "batchnorm '{}': training needs more than one value per channel; expected a batch of at least 2 samples "
          "(train.batch_size, and a last batch of one when n_train % batch_size == 1), got {}",
          name(), N));
    aux.resize(c_, 3);
    for (int c = 0; c < c_; ++c) {
      double sum = 0, sq = 0;
      for (Index j = 0; j < N; ++j) sum += x(c, j);
      const double mu = sum / static_cast<double>(N);
      for (Index j = 0; j < N; ++j) sq += (x(c, j) - mu) * (x(c, j) - mu);
      const double var = sq / static_cast<double>(N);
      aux(c, 0) = static_cast<float>(mu), aux(c, 1) = static_cast<float>(var), aux(c, 2) = static_cast<float>(N);
      const double inv = 1.0 / std::sqrt(var + eps_);
      for (Index j = 0; j < N; ++j)
        y(c, j) = static_cast<float>((x(c, j) - mu) * inv * weight_(c, 0) + bias_(c, 0));
    }
  }

  void backward(const Mat& x, const Mat& y, const Mat& aux, const Mat& dy, const Shape& in, int n, Mat* dx,
                std::span<Mat> grads) const override {
    (void)y, (void)in, (void)n;
    LB_CHECK(grads.empty() || grads.size() == 2, "batchnorm '{}': expected 2 gradient slots, got {}", name(), grads.size());
    const Index N = x.cols();
    const bool training = aux.size() > 0;
    if (dx) dx->resize(x.rows(), x.cols());
    for (int c = 0; c < c_; ++c) {
      const double mu = training ? aux(c, 0) : mean_(c, 0), var = training ? aux(c, 1) : var_(c, 0);
      const double inv = 1.0 / std::sqrt(var + eps_), w = weight_(c, 0);
      double sum_dy = 0, sum_dy_xhat = 0;
      for (Index j = 0; j < N; ++j) {
        const double xhat = (x(c, j) - mu) * inv;
        sum_dy += dy(c, j);
        sum_dy_xhat += dy(c, j) * xhat;
      }
      if (!grads.empty()) {
        grads[0](c, 0) += static_cast<float>(sum_dy_xhat);
        grads[1](c, 0) += static_cast<float>(sum_dy);
      }
      if (!dx) continue;
      if (!training) {  // an affine map: dx = a dy
        for (Index j = 0; j < N; ++j) (*dx)(c, j) = static_cast<float>(w * inv * dy(c, j));
        continue;
      }
      // Through the batch statistics: dx = w inv (dy - mean(dy) - xhat mean(dy xhat)).
      const double mdy = sum_dy / static_cast<double>(N), mdx = sum_dy_xhat / static_cast<double>(N);
      for (Index j = 0; j < N; ++j) {
        const double xhat = (x(c, j) - mu) * inv;
        (*dx)(c, j) = static_cast<float>(w * inv * (dy(c, j) - mdy - xhat * mdx));
      }
    }
  }

  void transpose(const Mat& m, const Shape& in, Index blocks, Mat& dst, bool abs) const override {
    (void)in, (void)blocks;
    const Vec a = abs ? Vec(scale().cwiseAbs()) : scale();
    dst = a.asDiagonal() * m;
  }
  void abs_forward(const Mat& x, const Shape& in, int n, Mat& y) const override {
    (void)in, (void)n;
    y = scale().cwiseAbs().asDiagonal() * x;
  }

  void update_state(const Mat& aux) override {
    if (aux.size() == 0) return;
    for (int c = 0; c < c_; ++c) {
      const double N = aux(c, 2), unbiased = N > 1 ? aux(c, 1) * N / (N - 1) : aux(c, 1);
      mean_(c, 0) = static_cast<float>((1 - momentum_) * mean_(c, 0) + momentum_ * aux(c, 0));
      var_(c, 0) = static_cast<float>((1 - momentum_) * var_(c, 0) + momentum_ * unbiased);
    }
  }

  std::vector<Param> params() override { return {Param{"weight", &weight_, {c_}}, Param{"bias", &bias_, {c_}}}; }
  std::vector<Param> buffers() override {
    return {Param{"running_mean", &mean_, {c_}}, Param{"running_var", &var_, {c_}}};
  }
  // PyTorch's reset_parameters: weight 1, bias 0 (no random draws).
  void init(Rng& rng) override {
    (void)rng;
    weight_.setOnes();
    bias_.setZero();
  }

 private:
  int c_;
  double eps_, momentum_;
  Mat weight_, bias_, mean_, var_;
};

// batchnorm[(eps=<number>, momentum=<number>)]; the channels come from the input.
LayerDecl batchnorm_from_config(const LayerArgs& a, const Shape& in) {
  a.want_positional({0});
  a.only_keys({"eps", "momentum"});
  const double eps = a.positive_real("eps", 1e-5), momentum = a.positive_real("momentum", 0.1);
  if (momentum > 1) a.fail("bad argument momentum", "a number in (0, 1]", fmt::format("{}", momentum));
  const int c = in.c;
  return {{{"weight", {c}}, {"bias", {c}}, {"running_mean", {c}}, {"running_var", {c}}},
          [=](std::string name) -> LayerPtr { return std::make_unique<BatchNorm1d>(std::move(name), c, eps, momentum); }};
}
LayerDecl batchnorm_from_architecture(const LayerArgs& a) {
  a.only_keys({"channels", "eps", "momentum"});
  const int c = a.positive("channels");
  const double eps = a.positive_real("eps", 1e-5), momentum = a.positive_real("momentum", 0.1);
  if (momentum > 1) a.fail("bad argument momentum", "", "");
  return {{{"weight", {c}}, {"bias", {c}}, {"running_mean", {c}}, {"running_var", {c}}},
          [=](std::string name) -> LayerPtr { return std::make_unique<BatchNorm1d>(std::move(name), c, eps, momentum); }};
}

}  // namespace

LB_REGISTER_LAYER(batchnorm, {"batchnorm", "BatchNorm1d", "batchnorm or batchnorm(eps=<number>,momentum=<number>)",
                              "BatchNorm1d(channels=<int>, eps=<number>, momentum=<number>)", batchnorm_from_config,
                              batchnorm_from_architecture});

}  // namespace lb::model
