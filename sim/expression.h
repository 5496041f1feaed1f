// Task expressions of a scenario (docs/scenarios.md, "Task expressions and roles"): Boolean
// formulas over the planted content (presence, strand, ordered spacing; and, or, not), their
// parser, their value and roles on a sequence's instances, and their text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/dataset.h"

namespace lb::sim {

/// A node of a task's Boolean expression.
struct Expr {
  enum class Op { Has, Then, Not, And, Or } op = Op::Has;
  int a = -1, b = -1;       // keys (Has: a; Then: a then b)
  char strand = 0;          // Has: 0 any, '+' or '-' (relative to the sequence)
  int gap_lo = 0, gap_hi = 0;  // Then: b.start - a.end in [gap_lo, gap_hi]
  std::vector<Expr> kids;   // Not: 1; And / Or: 2+
};

/// How deep parentheses, `!` and `not` may nest in a task expression (the parser recurses once
/// per level, and so do the functions that walk the parsed tree).
inline constexpr int kMaxExpressionDepth = 100;

/// Parses a task expression over the keys: `a & b`, `a | b`, `!a`, `(...)`, `gata+` (an instance
/// on the + strand), `gata then tal at 6-10` (an instance of tal starting 6 to 10 bases after
/// an instance of gata ends); words `and`, `or`, `not` also work. ConfigError naming `where`.
Expr parse_expression(std::string_view text, const std::vector<std::string>& keys, const std::string& where);

/// The expression as text over the keys (`gata & (tal | !ctcf)`): and/or groups inside another
/// group in parentheses.
std::string expression_text(const Expr& e, const std::vector<std::string>& keys);

/// A planted instance as the task logic sees it.
struct Instance {
  int key;
  std::int64_t start, end;
  char strand;
};

/// The label of a binary task on a sequence's instances, and each instance's role (Driver,
/// Context, Repressor, Irrelevant; docs/scenarios.md).
bool evaluate_task(const Expr& e, const std::vector<Instance>& inst, std::vector<Role>* roles);

}  // namespace lb::sim
