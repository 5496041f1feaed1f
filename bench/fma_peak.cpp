// The machine's measured floating-point ceiling: fused multiply-adds on independent chains of
// float registers, per vector width the CPU has (128-bit SSE registers with FMA, 256-bit AVX2,
// 512-bit AVX-512), on 1 and on 2 threads. Every kernel figure of docs/benchmarks.md is quoted as
// a share of what this prints on the same machine in the same run.
//
//   fma_peak [--seconds S] [--threads N]      (default 0.5 s per measurement, 1 and 2 threads)
//
// Each chain is a register updated as a = a * b + c, so a chain's iterations depend on each other
// and the chains do not: with more chains than the FMA latency times the FMA units, the units
// are never idle. 12 chains cover a latency of 4 cycles on 2 units (AMD Zen, Intel since
// Skylake) and leave registers to spare. FLOPs are counted as 2 per lane per FMA.
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kChains = 12;
constexpr std::int64_t kInner = 1 << 16;  // FMAs per chain between clock reads

// Each kernel runs `reps` x kInner iterations of kChains independent FMAs and returns a value
// that depends on every chain (so nothing is optimised away).
__attribute__((target("fma"))) float run_sse(std::int64_t reps) {
  __m128 a[kChains];
  for (int k = 0; k < kChains; ++k) a[k] = _mm_set1_ps(1.0f + 1e-3f * static_cast<float>(k));
  const __m128 b = _mm_set1_ps(0.999999f), c = _mm_set1_ps(1e-7f);
  for (std::int64_t r = 0; r < reps; ++r)
    for (std::int64_t i = 0; i < kInner; ++i)
#pragma GCC unroll 12
      for (int k = 0; k < kChains; ++k) a[k] = _mm_fmadd_ps(a[k], b, c);  // unrolled: the chains stay in registers
  __m128 s = a[0];
  for (int k = 1; k < kChains; ++k) s = _mm_add_ps(s, a[k]);
  return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) float run_avx2(std::int64_t reps) {
  __m256 a[kChains];
  for (int k = 0; k < kChains; ++k) a[k] = _mm256_set1_ps(1.0f + 1e-3f * static_cast<float>(k));
  const __m256 b = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
  for (std::int64_t r = 0; r < reps; ++r)
    for (std::int64_t i = 0; i < kInner; ++i)
#pragma GCC unroll 12
      for (int k = 0; k < kChains; ++k) a[k] = _mm256_fmadd_ps(a[k], b, c);  // unrolled: the chains stay in registers
  __m256 s = a[0];
  for (int k = 1; k < kChains; ++k) s = _mm256_add_ps(s, a[k]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, s);
  return lanes[0] + lanes[7];
}

__attribute__((target("avx512f"))) float run_avx512(std::int64_t reps) {
  __m512 a[kChains];
  for (int k = 0; k < kChains; ++k) a[k] = _mm512_set1_ps(1.0f + 1e-3f * static_cast<float>(k));
  const __m512 b = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
  for (std::int64_t r = 0; r < reps; ++r)
    for (std::int64_t i = 0; i < kInner; ++i)
#pragma GCC unroll 12
      for (int k = 0; k < kChains; ++k) a[k] = _mm512_fmadd_ps(a[k], b, c);  // unrolled: the chains stay in registers
  __m512 s = a[0];
  for (int k = 1; k < kChains; ++k) s = _mm512_add_ps(s, a[k]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, s);
  return lanes[0] + lanes[15];
}

struct Width {
  const char* name;
  int lanes;
  bool available;
  float (*run)(std::int64_t);
};

volatile float g_sink;

// GFLOP/s of `threads` threads each running the kernel for about `seconds`: the repetitions are
// sized on one thread first, then every thread runs the same count and the wall time is taken.
double measure(const Width& w, int threads, double seconds) {
  std::int64_t reps = 1;
  for (;;) {
    const auto t0 = std::chrono::steady_clock::now();
    g_sink = w.run(reps);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s > seconds / 4) {
      reps = std::max<std::int64_t>(1, static_cast<std::int64_t>(static_cast<double>(reps) * seconds / s));
      break;
    }
    reps *= 2;
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back([&] { g_sink = w.run(reps); });
  for (auto& th : pool) th.join();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double flops = 2.0 * w.lanes * kChains * static_cast<double>(kInner) * static_cast<double>(reps) * threads;
  return flops / s * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 0.5;
  std::vector<int> thread_counts{1, 2};
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--seconds") && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) {
      thread_counts = {std::atoi(argv[++i])};
    } else {
      std::fprintf(stderr, "usage: fma_peak [--seconds S] [--threads N]\n");
      return 2;
    }
  }
  if (!(seconds > 0) || thread_counts[0] < 1) {
    std::fprintf(stderr, "fma_peak: --seconds must be > 0 and --threads >= 1\n");
    return 2;
  }
  __builtin_cpu_init();
  const bool fma = __builtin_cpu_supports("fma");
  const Width widths[] = {
      {"128-bit (SSE registers, FMA)", 4, fma, run_sse},
      {"256-bit (AVX2, FMA)", 8, fma && __builtin_cpu_supports("avx2"), run_avx2},
      {"512-bit (AVX-512F)", 16, __builtin_cpu_supports("avx512f") != 0, run_avx512},
  };
  std::printf("width\tthreads\tGFLOP/s\tper thread\n");
  for (const Width& w : widths) {
    if (!w.available) {
      std::printf("%s\t-\tnot on this CPU\t-\n", w.name);
      continue;
    }
    for (const int t : thread_counts) {
      const double g = measure(w, t, seconds);
      std::printf("%s\t%d\t%.1f\t%.1f\n", w.name, t, g, g / t);
    }
  }
  return 0;
}
