// Seeded random inputs shared by the engine, method and erasure tests: the same seed gives the
// same matrix in every test binary.
#pragma once

#include <cstdint>
#include <vector>

#include "core/alphabet.h"
#include "core/rng.h"
#include "core/tensor.h"

namespace lb::testing {

/// An r x c matrix of values uniform in [lo, hi), filled in storage (column-major) order from Rng(seed).
inline Mat random_mat(Eigen::Index r, Eigen::Index c, std::uint64_t seed, double lo = -1, double hi = 1) {
  Rng rng(seed);
  Mat m(r, c);
  for (Eigen::Index j = 0; j < m.size(); ++j) m.data()[j] = static_cast<float>(lo + (hi - lo) * rng.uniform());
  return m;
}

/// n one-hot DNA sequences of length len, bases uniform from Rng(seed), as one_hot lays them out.
inline Mat random_one_hot(int n, int len, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<std::vector<std::uint8_t>> codes(static_cast<std::size_t>(n));
  for (auto& c : codes)
    for (int l = 0; l < len; ++l) c.push_back(static_cast<std::uint8_t>(rng.below(4)));
  return one_hot(codes);
}

}  // namespace lb::testing
