// Task expressions (sim/expression.h, docs/scenarios.md): the recursive-descent parser, the
// value and support of an expression on a sequence's instances, the roles that follow, and the
// expression's text.
#include "sim/expression.h"

#include <algorithm>
#include <cctype>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"
#include "sim/scenario_values.h"

namespace lb::sim {

namespace {

using scenario_values::to_range;

struct ExprParser {
  std::string_view s;
  std::size_t i = 0;
  const std::vector<std::string>& keys;
  const std::string& where;
  int depth = 0;  // '(', '!' and 'not' open around the current position

  [[noreturn]] void fail(std::string_view what, std::string_view expected) const {
    const std::string rest = i < s.size() ? std::string(s.substr(i)) : std::string("the end");
    throw ConfigError(fmt::format("{}: {}; expected {}, got {} at {}", where, what, expected, quote_token(s),
                                  i < s.size() ? quote_token(rest) : rest));
  }
  void skip() {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  }
  std::string_view word() {
    skip();
    const std::size_t b = i;
    while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_' || s[i] == '.')) ++i;
    return s.substr(b, i - b);
  }
  bool peek_word(std::string_view w) {
    skip();
    const std::size_t save = i;
    const bool ok = word() == w;
    i = save;
    return ok;
  }
  bool eat(char c) {
    skip();
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  int key_of(std::string_view w) {
    const auto k = std::find(keys.begin(), keys.end(), w);
    if (k == keys.end())
      fail(fmt::format("unknown motif {}", quote_token(w)), fmt::format("one of {}", fmt::join(keys, ", ")));
    return static_cast<int>(k - keys.begin());
  }
  // op-separated list of sub-expressions (`sym` or the word `word`), folded into one node.
  template <class Sub>
  Expr parse_list(Expr::Op op, char sym, std::string_view word_form, Sub sub) {
    Expr e = (this->*sub)();
    while (true) {
      if (eat(sym)) {
      } else if (peek_word(word_form)) {
        word();
      } else {
        break;
      }
      Expr r = (this->*sub)();
      if (e.op != op) {
        Expr node;
        node.op = op;
        node.kids.push_back(std::move(e));
        e = std::move(node);
      }
      e.kids.push_back(std::move(r));
    }
    return e;
  }
  Expr parse_or() { return parse_list(Expr::Op::Or, '|', "or", &ExprParser::parse_and); }
  Expr parse_and() { return parse_list(Expr::Op::And, '&', "and", &ExprParser::parse_unary); }
  // One more level of nesting, opened at `at`; an error past kMaxExpressionDepth, before the
  // recursion can exhaust the stack.
  void enter(std::size_t at) {
    if (++depth <= kMaxExpressionDepth) return;
    i = at;
    fail("expression nested too deeply", fmt::format("at most {} nested '(', '!' or 'not'", kMaxExpressionDepth));
  }
  Expr parse_unary() {
    skip();
    const std::size_t at = i;
    if (eat('!') || (peek_word("not") && !word().empty())) {
      enter(at);
      Expr n;
      n.op = Expr::Op::Not;
      n.kids.push_back(parse_unary());
      --depth;
      return n;
    }
    if (eat('(')) {
      enter(at);
      Expr e = parse_or();
      if (!eat(')')) fail("unbalanced parenthesis", "')'");
      --depth;
      return e;
    }
    const std::string_view w = word();
    if (w.empty()) fail("missing motif", "a motif key, '!', 'not' or '('");
    Expr e;
    e.a = key_of(w);
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) e.strand = s[i++];
    if (peek_word("then")) {
      word();
      if (e.strand) fail("strand on a spacing term", "'A then B at LO-HI' without + or -");
      e.op = Expr::Op::Then;
      e.b = key_of(word());
      if (word() != "at") fail("missing 'at'", "'A then B at LO-HI'");
      skip();
      const std::size_t b = i;
      while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '-')) ++i;
      if (!to_range(s.substr(b, i - b), e.gap_lo, e.gap_hi)) {
        i = b;
        fail("bad spacing", "'at LO-HI' bases with 0 <= LO <= HI");
      }
    }
    return e;
  }
};

// collect_keys, eval and expr_text recurse once per node down the tree. A parsed tree is at most
// about 2 x kMaxExpressionDepth deep (an or and an and node per parenthesis, a not node per
// negation), so their stack use is bounded too.

// The keys an expression mentions outside any negation (pos) and under one (neg).
void collect_keys(const Expr& e, bool negated, std::set<int>& pos, std::set<int>& neg) {
  switch (e.op) {
    case Expr::Op::Has:
      (negated ? neg : pos).insert(e.a);
      return;
    case Expr::Op::Then:
      (negated ? neg : pos).insert(e.a);
      (negated ? neg : pos).insert(e.b);
      return;
    case Expr::Op::Not:
      collect_keys(e.kids[0], !negated, pos, neg);
      return;
    case Expr::Op::And:
    case Expr::Op::Or:
      for (const Expr& k : e.kids) collect_keys(k, negated, pos, neg);
      return;
  }
}

// Value of e on the instances, and (when true) the instances that make it true.
bool eval(const Expr& e, const std::vector<Instance>& inst, std::vector<char>& support) {
  switch (e.op) {
    case Expr::Op::Has: {
      bool any = false;
      for (std::size_t k = 0; k < inst.size(); ++k)
        if (inst[k].key == e.a && (e.strand == 0 || inst[k].strand == e.strand)) support[k] = 1, any = true;
      return any;
    }
    case Expr::Op::Then: {
      bool any = false;
      for (std::size_t x = 0; x < inst.size(); ++x) {
        if (inst[x].key != e.a) continue;
        for (std::size_t y = 0; y < inst.size(); ++y) {
          if (y == x || inst[y].key != e.b) continue;
          const std::int64_t gap = inst[y].start - inst[x].end;
          if (gap >= e.gap_lo && gap <= e.gap_hi) support[x] = support[y] = 1, any = true;
        }
      }
      return any;
    }
    case Expr::Op::Not: {
      std::vector<char> ignore(inst.size(), 0);
      return !eval(e.kids[0], inst, ignore);
    }
    case Expr::Op::And: {
      std::vector<char> mine(inst.size(), 0);
      for (const Expr& k : e.kids)
        if (!eval(k, inst, mine)) return false;
      for (std::size_t k = 0; k < inst.size(); ++k) support[k] |= mine[k];
      return true;
    }
    case Expr::Op::Or: {
      bool any = false;
      for (const Expr& k : e.kids) any |= eval(k, inst, support);
      return any;
    }
  }
  return false;
}

std::string expr_text(const Expr& e, const std::vector<std::string>& keys, bool top = true) {
  switch (e.op) {
    case Expr::Op::Has:
      return keys[static_cast<std::size_t>(e.a)] + (e.strand ? std::string(1, e.strand) : "");
    case Expr::Op::Then:
      return fmt::format("{} then {} at {}-{}", keys[static_cast<std::size_t>(e.a)], keys[static_cast<std::size_t>(e.b)],
                         e.gap_lo, e.gap_hi);
    case Expr::Op::Not:
      return fmt::format("!{}", expr_text(e.kids[0], keys, false));
    case Expr::Op::And:
    case Expr::Op::Or: {
      std::vector<std::string> parts;
      for (const Expr& k : e.kids) parts.push_back(expr_text(k, keys, false));
      const std::string j = fmt::format("{}", fmt::join(parts, e.op == Expr::Op::And ? " & " : " | "));
      return top ? j : "(" + j + ")";
    }
  }
  return {};
}

}  // namespace

Expr parse_expression(std::string_view text, const std::vector<std::string>& keys, const std::string& where) {
  ExprParser p{text, 0, keys, where};
  Expr e = p.parse_or();
  p.skip();
  if (p.i != text.size()) p.fail("unexpected text", "'&', '|', ')' or the end");
  return e;
}

bool evaluate_task(const Expr& e, const std::vector<Instance>& inst, std::vector<Role>* roles) {
  std::vector<char> support(inst.size(), 0);
  const bool label = eval(e, inst, support);
  if (roles) {
    std::set<int> pos, neg;
    collect_keys(e, false, pos, neg);
    roles->assign(inst.size(), Role::Irrelevant);
    for (std::size_t k = 0; k < inst.size(); ++k) {
      const bool p = pos.count(inst[k].key) > 0, n = neg.count(inst[k].key) > 0;
      if (!p && !n) continue;
      if (!p) (*roles)[k] = Role::Repressor;
      else (*roles)[k] = label && support[k] ? Role::Driver : Role::Context;
    }
  }
  return label;
}

std::string expression_text(const Expr& e, const std::vector<std::string>& keys) { return expr_text(e, keys); }

}  // namespace lb::sim
