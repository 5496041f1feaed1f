// A task's definition in words, for the report: the expression of a binary task parsed with the
// dataset's motif keys and read out, a real-valued target as written.
#include <fmt/format.h>

#include "core/error.h"
#include "eval/report_parts.h"
#include "sim/expression.h"

namespace lb::eval::report {

namespace {

// The words of a task expression; `top` leaves an and/or group without parentheses.
std::string expr_words(const sim::Expr& e, const std::vector<std::string>& keys, bool top) {
  auto key = [&](int k) { return k >= 0 && k < static_cast<int>(keys.size()) ? keys[static_cast<std::size_t>(k)] : std::string("?"); };
  auto instance = [&](const sim::Expr& h) {
    return fmt::format("{} instance{}", key(h.a), h.strand ? fmt::format(" on the {} strand", h.strand) : "");
  };
  auto group = [&](const char* joint) {
    std::string s;
    for (std::size_t k = 0; k < e.kids.size(); ++k) s += (k ? joint : "") + expr_words(e.kids[k], keys, false);
    return top ? s : "(" + s + ")";
  };
  switch (e.op) {
    case sim::Expr::Op::Has: return fmt::format("a {} is present", instance(e));
    case sim::Expr::Op::Then:
      return fmt::format("a {} instance starts {}–{} bp after a {} instance ends", key(e.b), e.gap_lo, e.gap_hi, key(e.a));
    case sim::Expr::Op::Not:
      if (e.kids[0].op == sim::Expr::Op::Has) return fmt::format("no {} is present", instance(e.kids[0]));
      if (e.kids[0].op == sim::Expr::Op::Then)
        return fmt::format("no {} instance starts {}–{} bp after a {} instance ends", key(e.kids[0].b), e.kids[0].gap_lo,
                           e.kids[0].gap_hi, key(e.kids[0].a));
      return "not (" + expr_words(e.kids[0], keys, true) + ")";
    case sim::Expr::Op::And: return group(" and ");
    case sim::Expr::Op::Or: return group(" or ");
  }
  LB_CHECK(false, "expr_words: no words for operator {}", static_cast<int>(e.op));
  return "";
}

}  // namespace

std::string task_in_words(const sim::TaskInfo& task, const std::vector<std::string>& keys) {
  if (task.definition.empty()) return "(definition not recorded)";
  if (task.kind == sim::TaskKind::Linear) return "A real-valued target: " + task.definition + ".";
  try {
    const sim::Expr e = sim::parse_expression(task.definition, keys, "tasks.tsv");
    std::string words = expr_words(e, keys, true);
    return "Label 1 when " + words + ".";
  } catch (const lb::Error&) {
    return "Label 1 when " + task.definition + ".";  // keys unknown to this dataset: as written
  }
}

}  // namespace lb::eval::report
