// FLOP counting and the Eigen GEMM ceiling.
#include "bench/flops.h"

#include <algorithm>
#include <chrono>

#include "model/layers.h"

namespace lb::bench {

Flops count_flops(const model::Network& net) {
  Flops f;
  for (int i = 0; i < net.n_layers(); ++i) {
    const auto& layer = net.layer(i);
    const model::Shape out = net.act_shape(i + 1);
    double macs = 0;
    if (const auto* c1 = dynamic_cast<const model::Conv1d*>(&layer))
      macs = double(c1->out_channels()) * c1->in_channels() * c1->kernel() * out.spatial();
    else if (const auto* c2 = dynamic_cast<const model::Conv2d*>(&layer))
      macs = double(c2->out_channels()) * c2->in_channels() * c2->kernel_h() * c2->kernel_w() * out.spatial();
    else if (const auto* d = dynamic_cast<const model::Dense*>(&layer))
      macs = double(d->in_features()) * d->out_features();
    f.forward += 2 * macs;
    f.backward += 2 * macs * (net.inputs(i)[0] == 0 ? 1 : 2);  // dW always; dX except on the input
  }
  return f;
}

double eigen_gemm_gflops(int m, int k, int n, int reps) {
  Mat a = Mat::Random(m, k), b = Mat::Random(k, n), c(m, n);
  double best = 0;
  for (int r = 0; r < reps; ++r) {
    int iters = 0;
    const auto t0 = std::chrono::steady_clock::now();
    double secs = 0;
    do {
      c.noalias() = a * b;
      ++iters;
      secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    } while (secs < 0.2);
    best = std::max(best, 2.0 * m * k * n * iters / secs / 1e9);
  }
  volatile float sink = c(0, 0);
  (void)sink;
  return best;
}

}  // namespace lb::bench
