// Elementwise nonlinearities y = f(x): a layer defined by f, its derivative f' and its one-sided
// derivatives f'+ and f'-, from which forward, backward and every attribution rule follow
// (docs/attribution.md states the rules with their limits):
//   Gradient        m_in = f'(x) m_out
//   GuidedBackprop  m_in = f'(x) max(m_out, 0)
//   Rescale         m_in = m_out Δy/Δx; f'(x0) at the reference when |Δx| < near_zero
//   RevealCancel    m± = Δy±/Δx± from the Shapley split of Δx+ and Δx-; an empty part takes
//                   the one-sided limit ½[f'±(x0) + f'±(x)]
// A new nonlinearity is a struct with those functions (see model/activations.cpp) and one
// LB_REGISTER_LAYER line.
#pragma once

#include <cmath>
#include <string>

#include "model/layer.h"
#include "model/onnx_builder.h"

namespace lb::model {

/// The engine's view of an elementwise layer: the scales by which the rules multiply m_out,
/// over N values at once (x: the actual pre-activations, x0: the reference's).
class Nonlinearity : public Layer {
 public:
  using Layer::Layer;
  AttrRole attr_role() const final { return AttrRole::Nonlinearity; }
  Shape output_shape(const Shape& in) const final { return in; }

  /// s = f'(x): Gradient and GuidedBackprop.
  virtual void gradient_scale(const float* x, float* s, Eigen::Index n) const = 0;
  /// s = Δy/Δx, or f'(x0) when |Δx| < near_zero: Rescale.
  virtual void rescale_scale(const float* x, const float* x0, float* s, Eigen::Index n, float near_zero) const = 0;
  /// RevealCancel: with Δx+ = dp and Δx- = dn (dp + dn = x - x0),
  ///   Δy+ = ½[f(x0+Δx+) - f(x0)] + ½[f(x) - f(x0+Δx-)],  Δy- = ½[f(x0+Δx-) - f(x0)] + ½[f(x) - f(x0+Δx+)],
  ///   sp = Δy+/Δx+, sn = Δy-/Δx-, an empty part (|Δx±| < near_zero) its one-sided limit.
  virtual void revealcancel_scale(const float* x, const float* x0, const float* dp, const float* dn, float* sp,
                                  float* sn, Eigen::Index n, float near_zero) const = 0;
  /// f and f' in double, for tests and oracles.
  virtual double value(double z) const = 0;
  virtual double derivative(double z) const = 0;
};

/// The layer of a function object F with
///   double f(double z) const;       float df(float z) const;
///   float df_right(float z) const;  float df_left(float z) const;     (one-sided derivatives)
///   std::string describe() const;   ("ReLU()", "ELU(alpha=0.5)")
/// and optionally, when a float form is exact where the generic double one is not:
///   float fwd(float z) const;                 (forward in float; default: f in double, rounded)
///   float grad(float x, float dy) const;      (backward; default: df(x) * dy)
///   float secant(float v, float h) const;     ((f(v + h) - f(v))/h without cancellation)
///   float rescale(float x, float x0, float near_zero) const;
/// and, for a nonlinearity with an ONNX form, `void export_onnx(OnnxBuilder& b) const` (its
/// nodes, model/onnx_builder.h); without one, export refuses the layer.
template <class F>
class Elementwise final : public Nonlinearity {
 public:
  Elementwise(std::string name, F fn = {}) : Nonlinearity(std::move(name)), fn_(fn) {}
  const F& fn() const { return fn_; }
  std::string describe() const override { return fn_.describe(); }
  void export_onnx(OnnxBuilder& b) const override {
    if constexpr (requires { fn_.export_onnx(b); })
      fn_.export_onnx(b);
    else
      b.unsupported();
  }

  void forward(const Mat& x, const Shape& in, int n, Mat& y, Mat& aux, const ForwardMode& mode) const override {
    (void)in, (void)n, (void)aux, (void)mode;
    y.resize(x.rows(), x.cols());
    const float* px = x.data();
    float* py = y.data();
    for (Eigen::Index e = 0; e < x.size(); ++e) py[e] = fwd(px[e]);
  }
  void backward(const Mat& x, const Mat& y, const Mat& aux, const Mat& dy, const Shape& in, int n, Mat* dx,
                std::span<Mat> grads) const override {
    (void)y, (void)aux, (void)in, (void)n, (void)grads;
    if (!dx) return;
    dx->resize(dy.rows(), dy.cols());
    const float* px = x.data();
    const float* pd = dy.data();
    float* out = dx->data();
    for (Eigen::Index e = 0; e < dy.size(); ++e) out[e] = grad(px[e], pd[e]);
  }

  void gradient_scale(const float* x, float* s, Eigen::Index n) const override {
    for (Eigen::Index e = 0; e < n; ++e) s[e] = fn_.df(x[e]);
  }
  void rescale_scale(const float* x, const float* x0, float* s, Eigen::Index n, float near_zero) const override {
    for (Eigen::Index e = 0; e < n; ++e) s[e] = rescale(x[e], x0[e], near_zero);
  }
  void revealcancel_scale(const float* x, const float* x0, const float* dp, const float* dn, float* sp, float* sn,
                          Eigen::Index n, float near_zero) const override {
    for (Eigen::Index e = 0; e < n; ++e) {
      // m+ = Δy+/Δx+ = ½ sec(x0, Δx+) + ½ sec(x0 + Δx-, Δx+), and m- likewise.
      // Both arms are computed and one is selected (no branch, so the loop vectorises where f's
      // functions inline); the secant of an empty part is discarded.
      const float z0 = x0[e], z = x[e], up = dp[e], down = dn[e];
      const float p_sec = 0.5f * (secant(z0, up) + secant(z0 + down, up));
      const float p_lim = 0.5f * (fn_.df_right(z0) + fn_.df_right(z));
      const float n_sec = 0.5f * (secant(z0, down) + secant(z0 + up, down));
      const float n_lim = 0.5f * (fn_.df_left(z0) + fn_.df_left(z));
      sp[e] = std::abs(up) >= near_zero ? p_sec : p_lim;
      sn[e] = std::abs(down) >= near_zero ? n_sec : n_lim;
    }
  }
  double value(double z) const override { return fn_.f(z); }
  double derivative(double z) const override { return fn_.df(static_cast<float>(z)); }

 private:
  float fwd(float z) const {
    if constexpr (requires { fn_.fwd(z); })
      return fn_.fwd(z);
    else
      return static_cast<float>(fn_.f(z));
  }
  float grad(float x, float dy) const {
    if constexpr (requires { fn_.grad(x, dy); })
      return fn_.grad(x, dy);
    else
      return fn_.df(x) * dy;
  }
  float secant(float v, float h) const {
    if constexpr (requires { fn_.secant(v, h); })
      return fn_.secant(v, h);
    else  // in double: the float difference of two nearby values would cancel
      return static_cast<float>((fn_.f(static_cast<double>(v) + h) - fn_.f(v)) / h);
  }
  float rescale(float x, float x0, float near_zero) const {
    if constexpr (requires { fn_.rescale(x, x0, near_zero); })
      return fn_.rescale(x, x0, near_zero);
    else {
      const double dx = static_cast<double>(x) - x0;
      return std::abs(dx) >= near_zero ? static_cast<float>((fn_.f(x) - fn_.f(x0)) / dx) : fn_.df(x0);
    }
  }

  F fn_;
};

/// ReLU: f(z) = max(z, 0), f'(z) = 1{z > 0} (0 at the kink, as PyTorch and TensorFlow),
/// f'+(z) = 1{z >= 0}, f'-(z) = 1{z > 0}.
struct ReluFn {
  double f(double z) const { return z > 0 ? z : 0.0; }
  float fwd(float z) const { return (z > 0.0f) | (z != z) ? z : 0.0f; }  // NaN passes (as in PyTorch)
  float df(float z) const { return z > 0.0f ? 1.0f : 0.0f; }
  float df_right(float z) const { return z >= 0.0f ? 1.0f : 0.0f; }
  float df_left(float z) const { return z > 0.0f ? 1.0f : 0.0f; }
  float grad(float x, float dy) const { return x > 0.0f ? dy : 0.0f; }  // never -0 from 0 * dy
  // Exactly 1 or 0 when [v, v + h] lies on one side of the kink; the fraction of the segment
  // above 0 otherwise.
  // Written without branches so that the loops over them vectorise: every operand is computed
  // (the quotient too, where it is not used) and then selected; & rather than && (a comparison
  // may raise a floating-point flag, so the compiler may not evaluate a skipped one itself).
  float secant(float v, float h) const {
    const float w = v + h, q = (fwd(w) - fwd(v)) / h;
    const bool above = (v >= 0.0f) & (w >= 0.0f), below = (v <= 0.0f) & (w <= 0.0f);
    return above ? 1.0f : below ? 0.0f : q;
  }
  float rescale(float x, float x0, float near_zero) const {
    const float dx = x - x0, q = (fwd(x) - fwd(x0)) / dx, limit = df(x0);
    return std::abs(dx) >= near_zero ? q : limit;
  }
  std::string describe() const { return "ReLU()"; }
  void export_onnx(OnnxBuilder& b) const { b.node("Relu", b.layer().name(), {b.current()}, b.output_name()); }
};

using ReLU = Elementwise<ReluFn>;

}  // namespace lb::model
