// Naive reference kernels: plain loops in double precision over PyTorch-layout arrays, the
// test oracle of every optimised kernel (llm.c's matmul_forward_naive). Slow on purpose.
#pragma once

#include <vector>

namespace lb::model::naive {

/// y[n][f][l] = b[f] + sum_c sum_k w[f][c][k] x[n][c][l*stride + k]; arrays C-order.
std::vector<double> conv1d_forward(const std::vector<double>& x, int n, int c, int len, const std::vector<double>& w,
                                   const std::vector<double>& b, int f, int k, int stride);
/// Gradients of conv1d: dx (n,c,len), dw (f,c,k), db (f) from dy (n,f,lout).
void conv1d_backward(const std::vector<double>& x, int n, int c, int len, const std::vector<double>& w, int f, int k,
                     int stride, const std::vector<double>& dy, std::vector<double>& dx, std::vector<double>& dw,
                     std::vector<double>& db);
/// 2-D versions: x (n,c,h,w), weight (f,c,kh,kw).
std::vector<double> conv2d_forward(const std::vector<double>& x, int n, int c, int h, int w,
                                   const std::vector<double>& wt, const std::vector<double>& b, int f, int kh, int kw,
                                   int sh, int sw);
void conv2d_backward(const std::vector<double>& x, int n, int c, int h, int w, const std::vector<double>& wt, int f,
                     int kh, int kw, int sh, int sw, const std::vector<double>& dy, std::vector<double>& dx,
                     std::vector<double>& dwt, std::vector<double>& db);
/// y[n][o] = b[o] + sum_i w[o][i] x[n][i].
std::vector<double> dense_forward(const std::vector<double>& x, int n, int in, const std::vector<double>& w,
                                  const std::vector<double>& b, int out);

}  // namespace lb::model::naive
