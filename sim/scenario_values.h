// The small value parsers of scenario files, shared by the file reader (sim/scenario_read.cpp)
// and the task expression parser (sim/expression.cpp): integers, finite numbers, ranges `6-10`
// and calls `poisson(1,1,3)`. Each returns false on text it does not take.
#pragma once

#include <charconv>
#include <cmath>
#include <string_view>
#include <vector>

#include "core/text.h"

namespace lb::sim::scenario_values {

inline bool to_int(std::string_view s, int& out) {
  s = trim(s);
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc{} && p == s.data() + s.size();
}

inline bool to_double(std::string_view s, double& out) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc{} && p == s.data() + s.size() && std::isfinite(out);
}

/// The largest |value| of a real-valued task's coefficient (effect, interaction, intercept,
/// noise): a sequence's value sums them over its instances, which must stay finite.
inline constexpr double kMaxCoefficient = 1e6;

// A coefficient: a finite number with |x| <= kMaxCoefficient.
inline bool to_coefficient(std::string_view s, double& out) { return to_double(s, out) && std::abs(out) <= kMaxCoefficient; }

// "6-10" or "6" -> [lo, hi] with 0 <= lo <= hi.
inline bool to_range(std::string_view s, int& lo, int& hi) {
  const auto dash = s.find('-', 1);
  if (dash == std::string_view::npos) return to_int(s, lo) && (hi = lo, lo >= 0);
  return to_int(s.substr(0, dash), lo) && to_int(s.substr(dash + 1), hi) && lo >= 0 && lo <= hi;
}

// "name(args)" -> args, or false.
inline bool call_args(std::string_view s, std::string_view name, std::vector<std::string_view>& args) {
  if (!s.starts_with(name) || s.size() < name.size() + 2 || s[name.size()] != '(' || s.back() != ')') return false;
  std::string_view in = s.substr(name.size() + 1, s.size() - name.size() - 2);
  args.clear();
  while (true) {
    const auto c = in.find(',');
    args.push_back(trim(in.substr(0, c)));
    if (c == std::string_view::npos) break;
    in = in.substr(c + 1);
  }
  return true;
}

}  // namespace lb::sim::scenario_values
