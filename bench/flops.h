// Analytic FLOP counts of a network's forward and backward passes (multiply-add = 2 FLOPs),
// the numerator of every GFLOP/s figure in docs/benchmarks/.
#pragma once

#include <cstdint>

#include "model/network.h"

namespace lb::bench {

struct Flops {
  double forward = 0;   // per sample
  double backward = 0;  // per sample: weight gradients of every layer, input gradients of all but the first
};

/// Counts the convolutions and dense layers (the element-wise layers are noise next to them).
Flops count_flops(const model::Network& net);

/// GFLOP/s of a plain Eigen float32 GEMM C (m x n) = A (m x k) * B (k x n), best of `reps`
/// timed runs of at least 0.2 s each: the machine's practical single-thread ceiling.
double eigen_gemm_gflops(int m, int k, int n, int reps = 3);

}  // namespace lb::bench
