// Micro-benchmarks of the convolution kernels against their naive oracles and a plain Eigen
// GEMM of the same shape (Google Benchmark; items = FLOPs, so rates read as FLOP/s).
//
//   build/bench/kernels_bench --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "model/layers.h"
#include "model/naive.h"

using namespace lb;

namespace {

constexpr int kC = 50, kF = 50, kK = 11, kL = 190, kN = 16;  // conv2 of the paper's model, a chunk of 16
constexpr double kMacs = double(kF) * kC * kK * (kL - kK + 1) * kN;

std::unique_ptr<model::Conv1d> make_conv() {
  auto conv = std::make_unique<model::Conv1d>("conv2", kC, kF, kK, 1);
  Rng rng(1);
  conv->init(rng);
  return conv;
}

void BM_Conv1dForward(benchmark::State& state) {
  const auto conv = make_conv();
  const model::Shape in{kC, 1, kL};
  Mat x = Mat::Random(kC, kN * kL), y, aux;
  for (auto _ : state) {
    conv->forward(x, in, kN, y, aux, {});
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(static_cast<double>(state.iterations()) * 2 * kMacs));
}
BENCHMARK(BM_Conv1dForward)->Unit(benchmark::kMillisecond);

void BM_Conv1dBackward(benchmark::State& state) {
  const auto conv = make_conv();
  const model::Shape in{kC, 1, kL};
  Mat x = Mat::Random(kC, kN * kL), y, aux, dx;
  conv->forward(x, in, kN, y, aux, {});
  Mat dy = Mat::Random(y.rows(), y.cols());
  std::vector<Mat> grads{Mat::Zero(kF, kK * kC), Mat::Zero(kF, 1)};
  for (auto _ : state) {
    conv->backward(x, y, aux, dy, in, kN, &dx, grads);
    benchmark::DoNotOptimize(dx.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(static_cast<double>(state.iterations()) * 4 * kMacs));
}
BENCHMARK(BM_Conv1dBackward)->Unit(benchmark::kMillisecond);

void BM_Conv1dForwardNaive(benchmark::State& state) {
  const int n = 1;  // one sequence: the naive loops are slow
  std::vector<double> x(static_cast<std::size_t>(n) * kC * kL, 0.5), w(static_cast<std::size_t>(kF) * kC * kK, 0.1),
      b(kF, 0.0);
  for (auto _ : state) {
    auto y = model::naive::conv1d_forward(x, n, kC, kL, w, b, kF, kK, 1);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(static_cast<double>(state.iterations()) * 2 * kMacs / kN));
}
BENCHMARK(BM_Conv1dForwardNaive)->Unit(benchmark::kMillisecond);

void BM_EigenGemmSameShape(benchmark::State& state) {
  // Per sequence: (F x K*C) * (K*C x Lout), as many as the chunk has sequences.
  const int lout = kL - kK + 1;
  Mat a = Mat::Random(kF, kK * kC), b = Mat::Random(kK * kC, lout), c(kF, lout);
  for (auto _ : state) {
    for (int i = 0; i < kN; ++i) c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(static_cast<double>(state.iterations()) * 2 * kMacs));
}
BENCHMARK(BM_EigenGemmSameShape)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
