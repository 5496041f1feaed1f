// Shared by the sim tests: the paper's PWMs (from the shipped MEME file), a cached default
// simulation, and exact binomial / chi-square tail probabilities for the statistical tests.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "io/meme.h"
#include "sim/pwm.h"
#include "sim/simulator.h"

namespace lb::sim::testing {

inline const std::string kMemePath = LB_SOURCE_DIR "/configs/motifs/tal1_gata1.meme";

inline const io::MemeFile& paper_meme() {
  static const io::MemeFile file = io::read_meme(kMemePath);
  return file;
}
/// GATA_disc1 (width 10) and TAL1_known1 (width 16), unsmoothed.
inline Pwm paper_gata() {
  return Pwm::from_meme(io::find_motif(paper_meme(), "GATA_disc1", kMemePath), kMemePath);
}
inline Pwm paper_tal() {
  return Pwm::from_meme(io::find_motif(paper_meme(), "TAL1_known1", kMemePath), kMemePath);
}

/// The paper's configuration (8000 x 200, seed 1), simulated once per test binary.
inline const Dataset& paper_dataset() {
  static const Dataset data = simulate(SimConfig{}, paper_gata(), paper_tal());
  return data;
}

/// log P(X = k) for X ~ Binomial(n, p), 0 < p < 1.
inline double binomial_log_pmf(long k, long n, double p) {
  return std::lgamma(static_cast<double>(n + 1)) - std::lgamma(static_cast<double>(k + 1)) -
         std::lgamma(static_cast<double>(n - k + 1)) + static_cast<double>(k) * std::log(p) +
         static_cast<double>(n - k) * std::log1p(-p);
}

/// Exact two-sided binomial p-value 2 min(P(X <= k), P(X >= k)), capped at 1: each tail is
/// summed term by term (no normal approximation, which is poor for the tiny smoothed cells).
inline double binomial_two_sided_p(long k, long n, double p) {
  double lower = 0, upper = 0;
  for (long j = 0; j <= k; ++j) lower += std::exp(binomial_log_pmf(j, n, p));
  for (long j = k; j <= n; ++j) upper += std::exp(binomial_log_pmf(j, n, p));
  return std::min(1.0, 2 * std::min(lower, upper));
}

/// Pearson chi-square of observed counts against expected probabilities (which sum to 1).
template <std::size_t K>
double chi_square(const std::array<long, K>& observed, const std::array<double, K>& probs) {
  long n = 0;
  for (long o : observed) n += o;
  double x = 0;
  for (std::size_t i = 0; i < K; ++i) {
    const double e = probs[i] * static_cast<double>(n);
    x += (static_cast<double>(observed[i]) - e) * (static_cast<double>(observed[i]) - e) / e;
  }
  return x;
}

/// Chi-square critical values at upper-tail probability 1e-6 (computed once from the
/// regularized incomplete gamma function: Q(df/2, x/2) = 1e-6).
inline constexpr double kChi2Df2P1e6 = 27.631;  // = 2 ln(1e6) exactly for df = 2
inline constexpr double kChi2Df9P1e6 = 44.811;

/// Poisson(mean) conditioned on [lo, hi]: probabilities of lo..hi.
inline std::vector<double> truncated_poisson_probs(double mean, int lo, int hi) {
  std::vector<double> p;
  double z = 0;
  for (int k = lo; k <= hi; ++k) {
    p.push_back(std::exp(-mean + k * std::log(mean) - std::lgamma(k + 1.0)));
    z += p.back();
  }
  for (double& v : p) v /= z;
  return p;
}

}  // namespace lb::sim::testing
