// Motif scanning: natural-log odds of every window of a sequence against an i.i.d. background,
// and the greedy top-hit selection of the authors' notebooks (their start-of-sequence quirk
// as an option). Knows nothing of attribution scores: see hits.h.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "sim/pwm.h"

namespace lb::eval {

/// Which strands a window is scored on: the forward one (the paper's simulation planted
/// forward-strand instances only), or the best of forward and reverse complement.
enum class Strands : std::uint8_t { Forward, Both };
/// Top-hit selection: `Exclusive` excludes every window within w/2 of a pick (clamped at the
/// sequence start); `DeepliftCompatible` reproduces the authors' code, whose exclusion slice
/// `scores[p - w/2 : p + w/2 + 1]` wrapped around for a pick p < w/2 and so excluded nothing.
enum class ScanMode : std::uint8_t { Exclusive, DeepliftCompatible };

/// "forward", "both" / "exclusive", "deeplift_compatible"; parse_* return false when unknown.
std::string_view strands_name(Strands s);
std::string_view scan_mode_name(ScanMode m);
bool parse_strands(std::string_view name, Strands& out);
bool parse_scan_mode(std::string_view name, ScanMode& out);

/// Log-odds of the L - w + 1 windows of one sequence (empty when L < w).
struct WindowScores {
  std::vector<double> log_odds;  // (L - w + 1): best strand's Σ ln(p(b) / bg(b)); -inf with an N
  std::vector<char> strand;      // (L - w + 1): '+' or '-' (forward wins ties)
};

/// Scans `codes` (L codes 0..4) with `pwm` (already smoothed) and, with Strands::Both, its
/// reverse complement `pwm_rc` too, keeping the better strand of each window.
WindowScores scan(std::span<const std::uint8_t> codes, const sim::Pwm& pwm, const sim::Pwm& pwm_rc,
                  const sim::Background& bg, Strands strands);

/// Greedy top-k: repeatedly the window with the largest score (the first on ties, like
/// numpy.argmax), then windows q with |q - p| <= width/2 are excluded (set to -inf; the pick
/// itself included). Stops early when every remaining window is -inf. In DeepliftCompatible
/// mode a pick p < width/2 excludes, like the authors' Python slice with a negative start,
/// only windows in [n + p - width/2, p + width/2] (empty unless n <= width), so the same
/// window is picked again. Returns window indices in pick order.
std::vector<int> top_hits(std::span<const double> scores, int width, int k, ScanMode mode);

}  // namespace lb::eval
