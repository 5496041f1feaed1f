// Seeded random streams with portable, fully specified distributions. std::*_distribution is
// implementation-defined, so every draw liftbench makes goes through this class: the same seed
// gives the same numbers with any compiler, standard library or thread count.
#pragma once

#include <cstdint>
#include <span>
#include <utility>

namespace lb {

/// SplitMix64 step: a bijective 64-bit mixer, used to seed and to derive streams.
std::uint64_t splitmix64(std::uint64_t& state);

/// xoshiro256** (Blackman & Vigna 2018) seeded through SplitMix64 from (seed, stream).
/// Distinct streams of one seed are statistically independent for our purposes, so work split
/// across threads uses one stream per item (e.g. per sequence), never per thread.
class Rng {
 public:
  explicit Rng(std::uint64_t seed, std::uint64_t stream = 0);

  std::uint64_t next();
  /// Uniform double in [0, 1) with 53 random bits.
  double uniform();
  /// Standard normal N(0, 1) by Box-Muller from two uniform() draws (one value per call).
  double normal();
  /// Uniform integer in [0, n), unbiased (Lemire's multiply-and-reject); n > 0.
  std::uint64_t below(std::uint64_t n);
  /// Index i with probability p[i] / sum(p); p non-negative with a positive sum.
  int categorical(std::span<const double> p);
  /// Poisson(mean) by sequential inversion; 0 < mean <= 500 (exp(-mean) stays normal).
  int poisson(double mean);

  /// Fisher-Yates shuffle with below(); identical permutation for identical state.
  template <class It>
  void shuffle(It first, It last) {
    auto n = static_cast<std::uint64_t>(last - first);
    for (std::uint64_t i = n; i > 1; --i) {
      auto j = below(i);
      using std::swap;
      swap(first[static_cast<std::ptrdiff_t>(i - 1)], first[static_cast<std::ptrdiff_t>(j)]);
    }
  }

 private:
  std::uint64_t s_[4];
};

}  // namespace lb
