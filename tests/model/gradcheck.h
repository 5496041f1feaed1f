// Test helpers for model/: PyTorch-layout conversions, random matrices, array comparison, and
// central-difference gradient checks of layers (ggml's test_case grad check, on our layers).
//
// Why this check is sound in float: the layers compute in float (lb::Mat), so the numeric
// gradient evaluates the float forward at v +- eps and forms (f+ - f-) / (v+ - v-) in double,
// where v+- are the float values actually stored (the step is taken from them, so the rounding
// of v +- eps costs nothing) and f = sum_j r_j y_j is summed in double. Conv, dense, gap,
// flatten and dropout are linear in each single input or parameter, and ReLU is linear away
// from its kink, so the central difference has no truncation error; what is left is the
// float rounding of the few outputs y_j that a perturbation touches, |dy_j| ~ 2^-24 * |y_j|
// * sqrt(terms), divided by 2*eps. With O(1) data, eps = 1e-2 and a handful of touched outputs
// that is ~1e-5 (measured max: see the tests), so atol = rtol = 1e-3 has a 10-100x margin,
// while a wrong backward is off by O(0.1..1) (checked by breaking backwards on purpose).
#pragma once

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/rng.h"
#include "core/tensor.h"
#include "model/layer.h"

namespace lb::model::testing {

/// (C x n*S) activation -> PyTorch (n, C, S) C-order doubles, and back.
inline std::vector<double> to_torch(const Mat& a, const Shape& s, int n) {
  const int C = s.c, S = s.spatial();
  std::vector<double> t(static_cast<std::size_t>(n) * C * S);
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < C; ++c)
      for (int p = 0; p < S; ++p) t[(static_cast<std::size_t>(i) * C + c) * S + p] = a(c, i * S + p);
  return t;
}
inline Mat from_torch(const std::vector<double>& t, const Shape& s, int n) {
  const int C = s.c, S = s.spatial();
  Mat a(C, n * S);
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < C; ++c)
      for (int p = 0; p < S; ++p) a(c, i * S + p) = static_cast<float>(t[(static_cast<std::size_t>(i) * C + c) * S + p]);
  return a;
}
inline std::vector<double> to_double(const std::vector<float>& v) { return {v.begin(), v.end()}; }

/// Uniform [lo, hi) entries from lb::Rng.
inline Mat random_mat(Eigen::Index rows, Eigen::Index cols, Rng& rng, double lo = -1, double hi = 1) {
  Mat m(rows, cols);
  for (Eigen::Index j = 0; j < m.size(); ++j) m.data()[j] = static_cast<float>(lo + (hi - lo) * rng.uniform());
  return m;
}
inline std::vector<float> random_vec(std::size_t n, Rng& rng, double lo = -1, double hi = 1) {
  std::vector<float> v(n);
  for (auto& x : v) x = static_cast<float>(lo + (hi - lo) * rng.uniform());
  return v;
}

/// |a - b| <= atol + rtol * |b| elementwise; on failure lists the first 5 mismatches and the max
/// difference (llm.c's check_tensor as an assertion that fails).
template <class A, class B>
::testing::AssertionResult expect_close(const A& a, const B& b, double atol, double rtol, const std::string& label) {
  if (a.size() != b.size())
    return ::testing::AssertionFailure() << label << ": sizes " << a.size() << " vs " << b.size();
  std::string bad;
  int n_bad = 0;
  double max_diff = 0;
  for (std::size_t i = 0; i < static_cast<std::size_t>(a.size()); ++i) {
    const double x = a[i], y = b[i], d = std::abs(x - y);
    max_diff = std::max(max_diff, d);
    if (!(d <= atol + rtol * std::abs(y))) {
      if (n_bad++ < 5) bad += fmt::format("\n  [{}] got {:.9g}, expected {:.9g}", i, x, y);
    }
  }
  if (n_bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << label << ": " << n_bad << " mismatches (max |diff| " << max_diff << ")" << bad;
}

struct GradCheckStats {
  double max_err = 0;  // max |numeric - analytic| over checked elements
  int checked = 0, skipped = 0;
};

/// Central-difference check of one tensor's gradient: `value` is the float storage being
/// perturbed, `analytic` the gradient backward gave for it (same layout), `objective` the
/// double-valued f evaluated with the current storage. `skip(j)` (optional) excludes element j
/// (e.g. within eps of a ReLU kink); it is also given the chance to veto after the +- evals.
inline ::testing::AssertionResult check_gradient(float* value, const float* analytic, Eigen::Index size,
                                                 const std::function<double()>& objective, double eps, double atol,
                                                 double rtol, const std::string& label, GradCheckStats& stats,
                                                 const std::function<bool(Eigen::Index)>& skip = {}) {
  std::string bad;
  int n_bad = 0;
  for (Eigen::Index j = 0; j < size; ++j) {
    if (skip && skip(j)) {
      ++stats.skipped;
      continue;
    }
    const float v = value[j];
    value[j] = static_cast<float>(v + eps);
    const double vp = value[j], fp = objective();
    value[j] = static_cast<float>(v - eps);
    const double vm = value[j], fm = objective();
    value[j] = v;
    const double num = (fp - fm) / (vp - vm), ana = analytic[j], err = std::abs(num - ana);
    stats.max_err = std::max(stats.max_err, err);
    ++stats.checked;
    if (!(err <= atol + rtol * std::abs(num)) && n_bad++ < 5)
      bad += fmt::format("\n  [{}] analytic {:.7g}, numeric {:.7g}", j, ana, num);
  }
  if (n_bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << label << ": " << n_bad << " of " << size << " gradients off" << bad;
}

/// Gradient check of a layer on f = sum r .* layer(x) for a fixed random r: dx and every
/// parameter. ReLU-like kinks: elements of x with |x| < eps are skipped when skip_kinks.
inline ::testing::AssertionResult gradcheck_layer(Layer& layer, const Shape& in, int n, Mat x, const ForwardMode& mode,
                                                  double eps, double atol, double rtol, bool skip_kinks,
                                                  GradCheckStats& stats) {
  Rng rng(77);
  Mat y, aux;
  layer.forward(x, in, n, y, aux, mode);
  const Mat r = random_mat(y.rows(), y.cols(), rng);
  auto ps = layer.params();
  std::vector<Mat> grads;
  for (auto& p : ps) grads.push_back(Mat::Zero(p.value->rows(), p.value->cols()));
  Mat dx;
  layer.backward(x, y, aux, r, in, n, &dx, grads);
  auto objective = [&] {
    Mat yy, aa;
    layer.forward(x, in, n, yy, aa, mode);
    double f = 0;
    for (Eigen::Index j = 0; j < yy.size(); ++j) f += double{r.data()[j]} * yy.data()[j];
    return f;
  };
  auto skip = [&](Eigen::Index j) { return skip_kinks && std::abs(x.data()[j]) < eps; };
  auto res = check_gradient(x.data(), dx.data(), x.size(), objective, eps, atol, rtol, layer.name() + " dx", stats, skip);
  if (!res) return res;
  for (std::size_t i = 0; i < ps.size(); ++i) {
    res = check_gradient(ps[i].value->data(), grads[i].data(), grads[i].size(), objective, eps, atol, rtol,
                         layer.name() + "." + ps[i].name, stats);
    if (!res) return res;
  }
  return ::testing::AssertionSuccess();
}

}  // namespace lb::model::testing
