// Naive reference kernels: the definitions written as loops, in double, on PyTorch-layout
// (C-order) arrays. The test oracle of the optimised layers; never used for real work.
#include "model/naive.h"

#include <cstddef>

#include "core/error.h"

namespace lb::model::naive {

namespace {
inline std::size_t at(std::size_t a, int na, int b) { return a * static_cast<std::size_t>(na) + static_cast<std::size_t>(b); }  // [a][b] of (., na)
}  // namespace

std::vector<double> conv1d_forward(const std::vector<double>& x, int n, int c, int len, const std::vector<double>& w,
                                   const std::vector<double>& b, int f, int k, int stride) {
  const int lout = (len - k) / stride + 1;
  LB_CHECK(len >= k && x.size() == static_cast<std::size_t>(n) * c * len && w.size() == static_cast<std::size_t>(f) * c * k &&
               b.size() == static_cast<std::size_t>(f),
           "naive conv1d: bad sizes");
  std::vector<double> y(static_cast<std::size_t>(n) * f * lout);
  for (int i = 0; i < n; ++i)
    for (int o = 0; o < f; ++o)
      for (int l = 0; l < lout; ++l) {
        double s = b[static_cast<std::size_t>(o)];
        for (int ci = 0; ci < c; ++ci)
          for (int t = 0; t < k; ++t) s += w[at(at(o, c, ci), k, t)] * x[at(at(i, c, ci), len, l * stride + t)];
        y[at(at(i, f, o), lout, l)] = s;
      }
  return y;
}

void conv1d_backward(const std::vector<double>& x, int n, int c, int len, const std::vector<double>& w, int f, int k,
                     int stride, const std::vector<double>& dy, std::vector<double>& dx, std::vector<double>& dw,
                     std::vector<double>& db) {
  const int lout = (len - k) / stride + 1;
  LB_CHECK(dy.size() == static_cast<std::size_t>(n) * f * lout, "naive conv1d backward: bad dy size");
  dx.assign(x.size(), 0.0);
  dw.assign(w.size(), 0.0);
  db.assign(static_cast<std::size_t>(f), 0.0);
  for (int i = 0; i < n; ++i)
    for (int o = 0; o < f; ++o)
      for (int l = 0; l < lout; ++l) {
        const double g = dy[at(at(i, f, o), lout, l)];
        db[static_cast<std::size_t>(o)] += g;
        for (int ci = 0; ci < c; ++ci)
          for (int t = 0; t < k; ++t) {
            const std::size_t xi = at(at(i, c, ci), len, l * stride + t), wi = at(at(o, c, ci), k, t);
            dw[wi] += g * x[xi];
            dx[xi] += g * w[wi];
          }
      }
}

std::vector<double> conv2d_forward(const std::vector<double>& x, int n, int c, int h, int w,
                                   const std::vector<double>& wt, const std::vector<double>& b, int f, int kh, int kw,
                                   int sh, int sw) {
  const int oh = (h - kh) / sh + 1, ow = (w - kw) / sw + 1;
  LB_CHECK(h >= kh && w >= kw && x.size() == static_cast<std::size_t>(n) * c * h * w &&
               wt.size() == static_cast<std::size_t>(f) * c * kh * kw && b.size() == static_cast<std::size_t>(f),
           "naive conv2d: bad sizes");
  std::vector<double> y(static_cast<std::size_t>(n) * f * oh * ow);
  for (int i = 0; i < n; ++i)
    for (int o = 0; o < f; ++o)
      for (int oy = 0; oy < oh; ++oy)
        for (int ox = 0; ox < ow; ++ox) {
          double s = b[static_cast<std::size_t>(o)];
          for (int ci = 0; ci < c; ++ci)
            for (int ky = 0; ky < kh; ++ky)
              for (int kx = 0; kx < kw; ++kx)
                s += wt[at(at(at(o, c, ci), kh, ky), kw, kx)] * x[at(at(at(i, c, ci), h, oy * sh + ky), w, ox * sw + kx)];
          y[at(at(at(i, f, o), oh, oy), ow, ox)] = s;
        }
  return y;
}

void conv2d_backward(const std::vector<double>& x, int n, int c, int h, int w, const std::vector<double>& wt, int f,
                     int kh, int kw, int sh, int sw, const std::vector<double>& dy, std::vector<double>& dx,
                     std::vector<double>& dwt, std::vector<double>& db) {
  const int oh = (h - kh) / sh + 1, ow = (w - kw) / sw + 1;
  LB_CHECK(dy.size() == static_cast<std::size_t>(n) * f * oh * ow, "naive conv2d backward: bad dy size");
  dx.assign(x.size(), 0.0);
  dwt.assign(wt.size(), 0.0);
  db.assign(static_cast<std::size_t>(f), 0.0);
  for (int i = 0; i < n; ++i)
    for (int o = 0; o < f; ++o)
      for (int oy = 0; oy < oh; ++oy)
        for (int ox = 0; ox < ow; ++ox) {
          const double g = dy[at(at(at(i, f, o), oh, oy), ow, ox)];
          db[static_cast<std::size_t>(o)] += g;
          for (int ci = 0; ci < c; ++ci)
            for (int ky = 0; ky < kh; ++ky)
              for (int kx = 0; kx < kw; ++kx) {
                const std::size_t xi = at(at(at(i, c, ci), h, oy * sh + ky), w, ox * sw + kx);
                const std::size_t wi = at(at(at(o, c, ci), kh, ky), kw, kx);
                dwt[wi] += g * x[xi];
                dx[xi] += g * wt[wi];
              }
        }
}

std::vector<double> dense_forward(const std::vector<double>& x, int n, int in, const std::vector<double>& w,
                                  const std::vector<double>& b, int out) {
  LB_CHECK(x.size() == static_cast<std::size_t>(n) * in && w.size() == static_cast<std::size_t>(out) * in &&
               b.size() == static_cast<std::size_t>(out),
           "naive dense: bad sizes");
  std::vector<double> y(static_cast<std::size_t>(n) * out);
  for (int i = 0; i < n; ++i)
    for (int o = 0; o < out; ++o) {
      double s = b[static_cast<std::size_t>(o)];
      for (int j = 0; j < in; ++j) s += w[at(o, in, j)] * x[at(i, in, j)];
      y[at(i, out, o)] = s;
    }
  return y;
}

}  // namespace lb::model::naive
