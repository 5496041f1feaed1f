// Motif scanning and greedy top-hit selection.
#include "eval/scan.h"

#include <algorithm>
#include <limits>

namespace lb::eval {

std::string_view strands_name(Strands s) { return s == Strands::Forward ? "forward" : "both"; }

std::string_view scan_mode_name(ScanMode m) {
  return m == ScanMode::Exclusive ? "exclusive" : "deeplift_compatible";
}

bool parse_strands(std::string_view name, Strands& out) {
  if (name == "forward") out = Strands::Forward;
  else if (name == "both") out = Strands::Both;
  else return false;
  return true;
}

bool parse_scan_mode(std::string_view name, ScanMode& out) {
  if (name == "exclusive") out = ScanMode::Exclusive;
  else if (name == "deeplift_compatible") out = ScanMode::DeepliftCompatible;
  else return false;
  return true;
}

WindowScores scan(std::span<const std::uint8_t> codes, const sim::Pwm& pwm, const sim::Pwm& pwm_rc,
                  const sim::Background& bg, Strands strands) {
  WindowScores out;
  const auto w = static_cast<std::size_t>(pwm.width());
  if (codes.size() < w) return out;
  const std::size_t n = codes.size() - w + 1;
  out.log_odds.resize(n);
  out.strand.assign(n, '+');
  for (std::size_t i = 0; i < n; ++i) {
    const auto window = codes.subspan(i, w);
    out.log_odds[i] = pwm.log_odds(window, bg);
    if (strands == Strands::Both) {
      const double rc = pwm_rc.log_odds(window, bg);
      if (rc > out.log_odds[i]) {
        out.log_odds[i] = rc;
        out.strand[i] = '-';
      }
    }
  }
  return out;
}

std::vector<int> top_hits(std::span<const double> scores, int width, int k, ScanMode mode) {
  constexpr double kExcluded = -std::numeric_limits<double>::infinity();
  std::vector<double> s(scores.begin(), scores.end());
  const long n = static_cast<long>(s.size());
  const long half = width / 2;
  std::vector<int> picks;
  for (int j = 0; j < k && n > 0; ++j) {
    const long p = std::max_element(s.begin(), s.end(), [](double a, double b) { return a < b; }) - s.begin();
    if (!(s[static_cast<std::size_t>(p)] > kExcluded)) break;  // nothing left (or NaN)
    picks.push_back(static_cast<int>(p));
    long lo = p - half;
    const long hi = std::min(n, p + half + 1);  // exclusive end
    if (lo < 0) lo = mode == ScanMode::Exclusive ? 0 : std::max(0L, n + lo);  // Python wraps
    for (long q = lo; q < hi; ++q) s[static_cast<std::size_t>(q)] = kExcluded;
  }
  return picks;
}

}  // namespace lb::eval
