// Per-base and per-hit scores from contributions.
#include "eval/hits.h"

#include "core/error.h"

namespace lb::eval {

void per_base_scores(std::span<const float> contrib, int seq_len, std::span<double> out) {
  const auto L = static_cast<std::size_t>(seq_len);
  LB_CHECK(contrib.size() == 4 * L && out.size() == L, "expected (4, {}) contributions and {} outputs, got {} and {}",
           seq_len, seq_len, contrib.size(), out.size());
  for (std::size_t l = 0; l < L; ++l) {
    double s = 0;
    for (std::size_t c = 0; c < 4; ++c) s += static_cast<double>(contrib[c * L + l]);
    out[l] = s;
  }
}

std::vector<double> per_base_scores(std::span<const float> contrib, int seq_len) {
  std::vector<double> out(static_cast<std::size_t>(seq_len));
  per_base_scores(contrib, seq_len, out);
  return out;
}

double hit_score(std::span<const double> per_base, int start, int end) {
  LB_CHECK(start >= 0 && start <= end && static_cast<std::size_t>(end) <= per_base.size(),
           "hit [{}, {}) outside a sequence of length {}", start, end, per_base.size());
  double s = 0;
  for (int l = start; l < end; ++l) s += per_base[static_cast<std::size_t>(l)];
  return s;
}

}  // namespace lb::eval
