// Rng: xoshiro256** plus the few distributions the project needs, written out so that the
// sequence of draws is part of our specification rather than of a standard library's.
#include "core/rng.h"

#include <cmath>

#include "core/error.h"

namespace lb {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

Rng::Rng(std::uint64_t seed, std::uint64_t stream) {
  // Mix the stream into the seed through a second SplitMix64 pass so that (seed, stream) and
  // (seed + 1, stream - 1) give unrelated states.
  std::uint64_t st = seed;
  std::uint64_t a = splitmix64(st);
  std::uint64_t st2 = a ^ (stream * 0xD1B54A32D192ED03ULL + 0x8CB92BA72F3D8DD7ULL);
  for (auto& word : s_) word = splitmix64(st2);
}

__extension__ typedef unsigned __int128 u128;  // GCC/Clang 128-bit product

static inline std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

std::uint64_t Rng::next() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

double Rng::normal() {
  // Box-Muller with u1 in (0, 1] so the logarithm is finite; the second variate is not kept,
  // so every call consumes exactly two uniforms.
  const double u1 = 1.0 - uniform(), u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586476925 * u2);
}

std::uint64_t Rng::below(std::uint64_t n) {
  LB_CHECK(n > 0, "below(0)");
  u128 m = static_cast<u128>(next()) * n;
  auto low = static_cast<std::uint64_t>(m);
  if (low < n) {
    const std::uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<u128>(next()) * n;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

int Rng::categorical(std::span<const double> p) {
  LB_CHECK(!p.empty(), "categorical over no outcomes");
  double total = 0;
  for (double v : p) total += v;
  LB_CHECK(total > 0, "categorical weights sum to {}", total);
  const double u = uniform() * total;
  double acc = 0;
  int last_positive = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] <= 0) continue;
    acc += p[i];
    last_positive = static_cast<int>(i);
    if (u < acc) return last_positive;
  }
  return last_positive;  // u landed on the rounding gap at the top: the last positive outcome
}

int Rng::poisson(double mean) {
  LB_CHECK(mean > 0 && mean <= 500, "poisson mean {} outside (0, 500]", mean);
  // Inversion: walk the CDF from k = 0 until it passes u. Exact in distribution up to rounding.
  const double u = uniform();
  double pk = std::exp(-mean);
  double cdf = pk;
  int k = 0;
  while (u >= cdf) {
    ++k;
    pk *= mean / k;
    cdf += pk;
    if (pk == 0 && k > mean) break;  // the tail underflowed: u sat in the rounding gap
  }
  return k;
}

}  // namespace lb
