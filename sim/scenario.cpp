// Scenarios (sim/scenario.h, docs/scenarios.md): the file reader, task expressions and roles,
// and the generic simulator every benchmark (the paper's included) runs through.
#include "sim/scenario.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/alphabet.h"
#include "core/error.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "core/text.h"
#include "io/atomic_file.h"
#include "io/ini.h"
#include "io/meme.h"
#include "io/motif_file.h"
#include "sim/simulator.h"

namespace lb::sim {

namespace {

// ---- Small parsers ---------------------------------------------------------------------

bool to_int(std::string_view s, int& out) {
  s = trim(s);
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc{} && p == s.data() + s.size();
}
bool to_double(std::string_view s, double& out) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc{} && p == s.data() + s.size() && std::isfinite(out);
}
// "6-10" or "6" -> [lo, hi] with 0 <= lo <= hi.
bool to_range(std::string_view s, int& lo, int& hi) {
  const auto dash = s.find('-', 1);
  if (dash == std::string_view::npos) return to_int(s, lo) && (hi = lo, lo >= 0);
  return to_int(s.substr(0, dash), lo) && to_int(s.substr(dash + 1), hi) && lo >= 0 && lo <= hi;
}
// "name(args)" -> args, or false.
bool call_args(std::string_view s, std::string_view name, std::vector<std::string_view>& args) {
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

// Errors of a scenario file: "FILE:LINE: KEY: what; expected X, got Y". The key is the file's
// text: escaped as quote_token does (no raw control byte reaches the terminal), without quotes.
[[noreturn]] void bad(const std::string& path, long line, std::string_view key, std::string_view what,
                      std::string_view expected, std::string_view got) {
  const std::string shown = quote_token(key, 80);
  throw ConfigError(fmt::format("{}:{}: {}: {}; expected {}, got {}", path, line, shown.substr(1, shown.size() - 2),
                                what, expected, got));
}

CountSpec parse_count(std::string_view v, const std::string& path, long line, std::string_view key) {
  CountSpec c;
  std::vector<std::string_view> a;
  const char* expected = "count=N, count=poisson(mean,min,max) or count=uniform(min,max) with 0 <= min <= max";
  if (to_int(v, c.min) && c.min >= 0) {
    c.kind = CountSpec::Kind::Fixed;
    c.max = c.min;
    return c;
  }
  if (call_args(v, "poisson", a) && a.size() == 3 && to_double(a[0], c.mean) && to_int(a[1], c.min) &&
      to_int(a[2], c.max) && c.min >= 0 && c.min <= c.max) {
    if (!(c.mean > 0 && c.mean <= 500)) bad(path, line, key, "Poisson mean out of range", "a mean in (0, 500]", a[0]);
    c.kind = CountSpec::Kind::Poisson;
    return c;
  }
  if (call_args(v, "uniform", a) && a.size() == 2 && to_int(a[0], c.min) && to_int(a[1], c.max) && c.min >= 0 &&
      c.min <= c.max) {
    c.kind = CountSpec::Kind::Uniform;
    return c;
  }
  bad(path, line, key, "bad count", expected, quote_token(v));
}

double parse_strand(std::string_view v, const std::string& path, long line, std::string_view key) {
  if (v == "+") return 0;
  if (v == "-") return 1;
  if (v == "random") return 0.5;
  std::vector<std::string_view> a;
  double p = 0;
  if (call_args(v, "random", a) && a.size() == 1 && to_double(a[0], p) && p >= 0 && p <= 1) return p;
  bad(path, line, key, "bad strand", "strand=+, strand=-, strand=random or strand=random(p) with p in [0, 1]",
      quote_token(v));
}

// "gata count=1 strand=+ window=0-100 after=g gap=6-10 orient=same"
Placement parse_placement(std::string_view value, const std::string& id, const std::vector<std::string>& keys,
                          const std::vector<Placement>& earlier, const std::string& path, long line,
                          const std::string& key) {
  Placement p;
  p.id = id;
  p.line = line;
  std::vector<std::string_view> words;
  std::string_view rest = trim(value);
  while (!rest.empty()) {
    const auto sp = rest.find_first_of(" \t");
    words.push_back(rest.substr(0, sp));
    rest = sp == std::string_view::npos ? std::string_view{} : trim(rest.substr(sp));
  }
  if (words.empty()) bad(path, line, key, "empty placement", "'<motif key> [count=..] [strand=..] ...'", "''");
  const auto k = std::find(keys.begin(), keys.end(), words[0]);
  if (k == keys.end())
    bad(path, line, key, "unknown motif key", fmt::format("one of the scenario's motifs ({})", fmt::join(keys, ", ")),
        quote_token(words[0]));
  p.key = static_cast<int>(k - keys.begin());
  bool has_gap = false;
  for (std::size_t w = 1; w < words.size(); ++w) {
    const auto eq = words[w].find('=');
    const std::string_view name = words[w].substr(0, eq);
    const std::string_view v = eq == std::string_view::npos ? std::string_view{} : words[w].substr(eq + 1);
    if (eq == std::string_view::npos || v.empty())
      bad(path, line, key, "malformed placement option", "name=value (count, strand, window, after, gap, orient)",
          quote_token(words[w]));
    if (name == "count") {
      p.count = parse_count(v, path, line, key);
    } else if (name == "strand") {
      p.p_minus = parse_strand(v, path, line, key);
    } else if (name == "window") {
      if (!to_range(v, p.window_lo, p.window_hi) || p.window_hi <= p.window_lo)
        bad(path, line, key, "bad window", "window=START-END with 0 <= START < END", quote_token(v));
    } else if (name == "after") {
      const auto a = std::find_if(earlier.begin(), earlier.end(), [&](const Placement& e) { return e.id == v; });
      if (a == earlier.end())
        bad(path, line, key, "unknown anchor", "the id of an earlier placement of this class", quote_token(v));
      if (a->count.min < 1)
        bad(path, line, key, "anchor may plant nothing", fmt::format("an anchor whose count is at least 1"),
            fmt::format("{} with a minimum count of {}", quote_token(v), a->count.min));
      p.anchor = static_cast<int>(a - earlier.begin());
    } else if (name == "gap") {
      if (!to_range(v, p.gap_lo, p.gap_hi))
        bad(path, line, key, "bad gap", "gap=LO-HI bases with 0 <= LO <= HI", quote_token(v));
      has_gap = true;
    } else if (name == "orient") {
      if (v == "same") p.orient = Placement::Orient::Same;
      else if (v == "opposite") p.orient = Placement::Orient::Opposite;
      else if (v == "any") p.orient = Placement::Orient::Any;
      else bad(path, line, key, "bad orient", "orient=same, orient=opposite or orient=any", quote_token(v));
    } else {
      bad(path, line, key, "unknown placement option", "count, strand, window, after, gap or orient",
          quote_token(name));
    }
  }
  if ((p.anchor >= 0) != has_gap)
    bad(path, line, key, p.anchor >= 0 ? "after= without gap=" : "gap= without after=",
        "both after=<placement> and gap=LO-HI, or neither", quote_token(value));
  if (p.anchor >= 0 && p.window_hi >= 0)
    bad(path, line, key, "window= with after=", "one of window= or after=", quote_token(value));
  if (p.anchor < 0 && p.orient != Placement::Orient::Any)
    bad(path, line, key, "orient= without after=", "orient= only with after=<placement>", quote_token(value));
  return p;
}

// ---- Expressions -----------------------------------------------------------------------

struct ExprParser {
  std::string_view s;
  std::size_t i = 0;
  const std::vector<std::string>& keys;
  const std::string& where;

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
  Expr parse_unary() {
    if (eat('!') || (peek_word("not") && !word().empty())) {
      Expr n;
      n.op = Expr::Op::Not;
      n.kids.push_back(parse_unary());
      return n;
    }
    if (eat('(')) {
      Expr e = parse_or();
      if (!eat(')')) fail("unbalanced parenthesis", "')'");
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
    default:
      for (const Expr& k : e.kids) collect_keys(k, negated, pos, neg);
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
      return "!" + expr_text(e.kids[0], keys, false);
    default: {
      std::vector<std::string> parts;
      for (const Expr& k : e.kids) parts.push_back(expr_text(k, keys, false));
      const std::string j = fmt::format("{}", fmt::join(parts, e.op == Expr::Op::And ? " & " : " | "));
      return top ? j : "(" + j + ")";
    }
  }
}

// ---- Placement -------------------------------------------------------------------------

int draw_count(Rng& rng, const CountSpec& c, const Scenario& s, const Placement& p, int max_draws) {
  switch (c.kind) {
    case CountSpec::Kind::Fixed: return c.min;
    case CountSpec::Kind::Uniform: return c.min + static_cast<int>(rng.below(static_cast<std::uint64_t>(c.max - c.min + 1)));
    case CountSpec::Kind::Poisson:
      for (int d = 0; d < max_draws; ++d) {
        const int k = rng.poisson(c.mean);
        if (k >= c.min && k <= c.max) return k;
      }
      throw ConfigError(fmt::format("{}:{}: place.{}: no Poisson draw fell in [{}, {}] after {} draws; expected a "
                                    "range that Poisson({}) reaches, got mean {} and range [{}, {}]",
                                    s.path.empty() ? "sim" : s.path, p.line, p.id, c.min, c.max, max_draws, c.mean,
                                    c.mean, c.min, c.max));
  }
  return 0;
}

bool overlaps(std::int64_t start, std::int64_t end, const std::vector<std::pair<std::int64_t, std::int64_t>>& occ) {
  for (const auto& [b, e] : occ)
    if (start < e && b < end) return true;
  return false;
}

}  // namespace

std::vector<int> class_sizes(const std::vector<double>& weights, int n) {
  const std::size_t K = weights.size();
  double total = 0;
  for (double w : weights) total += w;
  std::vector<int> counts(K, 0);
  std::vector<double> rem(K, 0);
  int sum = 0;
  for (std::size_t c = 0; c < K; ++c) {
    const double share = weights[c] / total * n;
    counts[c] = static_cast<int>(std::floor(share));
    rem[c] = share - counts[c];
    sum += counts[c];
  }
  std::vector<std::size_t> order(K);
  for (std::size_t c = 0; c < K; ++c) order[c] = c;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return rem[a] > rem[b]; });
  for (std::size_t k = 0; sum < n; k = (k + 1) % K, ++sum) ++counts[order[k]];
  for (std::size_t k = K - 1; sum > n; k = (k + K - 1) % K) {
    if (counts[order[k]] > 0) {
      --counts[order[k]];
      --sum;
    }
  }
  return counts;
}

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

std::string describe_task(const TaskSpec& t, const std::vector<std::string>& keys) {
  if (t.kind == TaskKind::Binary) return fmt::format("{} = 1 when {}", t.name, expr_text(t.expr, keys));
  std::vector<std::string> terms;
  if (t.intercept != 0) terms.push_back(fmt::format("{}", t.intercept));
  for (std::size_t k = 0; k < t.effect.size(); ++k)
    if (t.effect[k] != 0) terms.push_back(fmt::format("{} x count({})", t.effect[k], keys[k]));
  for (const auto& i : t.interactions)
    terms.push_back(fmt::format("{} x [{} and {} present]", i.coef, keys[static_cast<std::size_t>(i.a)],
                                keys[static_cast<std::size_t>(i.b)]));
  return fmt::format("{} = {} + N(0, {}^2)", t.name, terms.empty() ? "0" : fmt::format("{}", fmt::join(terms, " + ")),
                     t.noise);
}

Scenario paper_scenario(const SimConfig& cfg, const Pwm& gata, const Pwm& tal) {
  Scenario s;
  s.name = "paper";
  s.description = "The DeepLIFT paper's genomics simulation (appendix F): GATA1 and TAL1 motifs in four classes.";
  s.keys = {"gata", "tal"};
  s.pwms = {gata, tal};
  auto place = [&](int key, double mean) {
    Placement p;
    p.id = s.keys[static_cast<std::size_t>(key)];
    p.key = key;
    p.count = {CountSpec::Kind::Poisson, mean, cfg.count_min, cfg.count_max};
    p.p_minus = cfg.revcomp_prob;
    return p;
  };
  const auto& f = cfg.class_fractions;
  s.classes = {{"empty", f[0], {}, 0},
               {"gata_only", f[1], {place(0, cfg.mean_single)}, 0},
               {"tal_only", f[2], {place(1, cfg.mean_single)}, 0},
               {"both", f[3], {place(0, cfg.mean_both), place(1, cfg.mean_both)}, 0}};
  const std::vector<std::pair<std::string, std::string>> tasks{{"task0", "gata & tal"}, {"task1", "gata"}, {"task2", "tal"}};
  for (const auto& [name, text] : tasks) {
    TaskSpec t;
    t.name = name;
    t.text = text;
    t.expr = parse_expression(text, s.keys, "paper scenario");
    s.tasks.push_back(std::move(t));
  }
  return s;
}

Scenario read_scenario(const std::string& path) {
  Scenario s;
  s.path = path;
  s.name = std::filesystem::path(path).stem().string();
  const std::string dir = std::filesystem::absolute(path).parent_path().string();
  const auto entries = io::parse_ini(io::read_file(path), path);
  std::string motifs_file;
  std::vector<std::pair<std::string, std::pair<std::string, long>>> motif_binds;  // key -> (pwm, line)
  std::map<std::string, long> seen;
  std::vector<const io::IniEntry*> class_entries, task_entries, decoy_entries;
  for (const io::IniEntry& e : entries) {
    if (auto it = seen.find(e.key); it != seen.end())
      bad(path, e.line, e.key, "duplicate key", "each key once", fmt::format("a second value (first on line {})", it->second));
    seen[e.key] = e.line;
    if (e.key == "scenario.name") s.name = e.value;
    else if (e.key == "scenario.description") s.description = e.value;
    else if (e.key == "scenario.motifs") motifs_file = e.value;
    else if (e.key.starts_with("scenario.motif.")) motif_binds.push_back({e.key.substr(15), {e.value, e.line}});
    else if (e.key.starts_with("scenario.decoy.")) decoy_entries.push_back(&e);
    else if (e.key.starts_with("class.")) class_entries.push_back(&e);
    else if (e.key.starts_with("task.")) task_entries.push_back(&e);
    else
      bad(path, e.line, e.key, "unknown key",
          "scenario.{name, description, motifs, motif.<key>, decoy.<key>}, class.<name>.{weight, place.<id>} or "
          "task.<name>.{label, effect.<key>, interaction.<a>.<b>, intercept, noise}",
          quote_token(e.key));
  }
  if (motifs_file.empty()) bad(path, 1, "scenario.motifs", "missing motif file", "scenario.motifs = FILE", "nothing");
  // Its name reaches messages unquoted (as every path does): printable text only.
  if (quote_token(motifs_file, motifs_file.size()) != "'" + motifs_file + "'")
    bad(path, seen["scenario.motifs"], "scenario.motifs", "unprintable file name",
        "a path without control characters or invalid UTF-8", quote_token(motifs_file));
  if (motif_binds.empty()) bad(path, 1, "scenario.motif.<key>", "no motifs", "at least one scenario.motif.<key> = NAME", "none");
  std::filesystem::path mp(motifs_file);
  if (mp.is_relative()) mp = std::filesystem::path(dir) / mp;
  const std::string motif_path = mp.lexically_normal().string();
  s.motifs_path = motif_path;
  const io::MemeFile meme = io::read_motif_file(motif_path);
  for (const auto& [key, v] : motif_binds) {
    const auto& [pwm_name, line] = v;
    bool ok = !key.empty();
    for (char c : key) ok &= std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    if (!ok || std::isdigit(static_cast<unsigned char>(key[0])))
      bad(path, line, "scenario.motif." + key, "bad motif key", "letters, digits and '_', not starting with a digit",
          quote_token(key));
    if (key == "and" || key == "or" || key == "not" || key == "then" || key == "at")
      bad(path, line, "scenario.motif." + key, "reserved word as a motif key", "a name other than and, or, not, then, at",
          quote_token(key));
    const io::MemeMotif* found = nullptr;
    for (const auto& m : meme.motifs)
      if (m.name == pwm_name) found = &m;
    if (!found) {
      std::vector<std::string> names;
      for (const auto& m : meme.motifs) names.push_back(m.name);
      bad(path, line, "scenario.motif." + key, fmt::format("motif not in {}", motif_path),
          fmt::format("one of {}", fmt::join(names, ", ")), quote_token(pwm_name));
    }
    s.keys.push_back(key);
    s.pwms.push_back(Pwm::from_meme(*found, motif_path));
  }
  for (const io::IniEntry* e : decoy_entries) {
    const std::string key = e->key.substr(15);
    s.decoys.push_back(parse_placement(key + " " + e->value, "decoy." + key, s.keys, {}, path, e->line, e->key));
  }
  // Classes, in the order of their first key.
  for (const io::IniEntry* e : class_entries) {
    const std::string rest = e->key.substr(6);
    const auto dot = rest.find('.');
    if (dot == std::string::npos)
      bad(path, e->line, e->key, "malformed class key", "class.<name>.weight or class.<name>.place.<id>", quote_token(e->key));
    const std::string name = rest.substr(0, dot), field = rest.substr(dot + 1);
    auto it = std::find_if(s.classes.begin(), s.classes.end(), [&](const ClassSpec& c) { return c.name == name; });
    if (it == s.classes.end()) {
      s.classes.push_back({name, -1, {}, e->line});
      it = s.classes.end() - 1;
    }
    if (field == "weight") {
      if (!to_double(e->value, it->weight) || it->weight < 0)
        bad(path, e->line, e->key, "bad weight", "a number >= 0", quote_token(e->value));
    } else if (field.starts_with("place.") && field.size() > 6) {
      const std::string id = field.substr(6);
      for (const Placement& p : it->placements)
        if (p.id == id) bad(path, e->line, e->key, "duplicate placement id", "each id once per class", quote_token(id));
      it->placements.push_back(parse_placement(e->value, id, s.keys, it->placements, path, e->line, e->key));
    } else {
      bad(path, e->line, e->key, "unknown class key", "weight or place.<id>", quote_token(field));
    }
  }
  if (s.classes.empty()) bad(path, 1, "class.<name>", "no classes", "at least one [class.<name>] section", "none");
  double total = 0;
  for (const ClassSpec& c : s.classes) {
    if (c.weight < 0)
      bad(path, c.line, "class." + c.name + ".weight", "missing weight", "class." + c.name + ".weight = W", "nothing");
    total += c.weight;
  }
  if (!(total > 0)) bad(path, s.classes[0].line, "class.<name>.weight", "weights sum to 0", "a positive total", "0");
  // Tasks.
  for (const io::IniEntry* e : task_entries) {
    const std::string rest = e->key.substr(5);
    const auto dot = rest.find('.');
    if (dot == std::string::npos)
      bad(path, e->line, e->key, "malformed task key", "task.<name>.label or task.<name>.effect.<key>, ...", quote_token(e->key));
    const std::string name = rest.substr(0, dot), field = rest.substr(dot + 1);
    auto it = std::find_if(s.tasks.begin(), s.tasks.end(), [&](const TaskSpec& t) { return t.name == name; });
    if (it == s.tasks.end()) {
      TaskSpec t;
      t.name = name;
      t.line = e->line;
      t.effect.assign(s.keys.size(), 0);
      t.kind = field == "label" ? TaskKind::Binary : TaskKind::Linear;
      s.tasks.push_back(std::move(t));
      it = s.tasks.end() - 1;
    }
    const bool linear_field = field != "label";
    if (linear_field != (it->kind == TaskKind::Linear))
      bad(path, e->line, e->key, "label mixed with a real-valued target",
          "either task.<name>.label (binary) or effect./interaction./intercept/noise keys (real-valued)", quote_token(field));
    double v = 0;
    const std::string shown = quote_token(e->key, 80);  // escaped as in bad()
    const std::string where = fmt::format("{}:{}: {}", path, e->line, shown.substr(1, shown.size() - 2));
    if (field == "label") {
      it->text = e->value;
      it->expr = parse_expression(e->value, s.keys, where);
    } else if (field.starts_with("effect.")) {
      const std::string key = field.substr(7);
      const auto k = std::find(s.keys.begin(), s.keys.end(), key);
      if (k == s.keys.end())
        bad(path, e->line, e->key, "unknown motif key", fmt::format("one of {}", fmt::join(s.keys, ", ")), quote_token(key));
      if (!to_double(e->value, v)) bad(path, e->line, e->key, "bad effect", "a number", quote_token(e->value));
      it->effect[static_cast<std::size_t>(k - s.keys.begin())] = v;
    } else if (field.starts_with("interaction.")) {
      const std::string pair = field.substr(12);
      const auto d = pair.find('.');
      const std::string a = pair.substr(0, d), b = d == std::string::npos ? "" : pair.substr(d + 1);
      const auto ka = std::find(s.keys.begin(), s.keys.end(), a), kb = std::find(s.keys.begin(), s.keys.end(), b);
      if (ka == s.keys.end() || kb == s.keys.end() || ka == kb)
        bad(path, e->line, e->key, "bad interaction", fmt::format("interaction.<a>.<b> with two different keys of {}", fmt::join(s.keys, ", ")),
            quote_token(pair));
      if (!to_double(e->value, v)) bad(path, e->line, e->key, "bad interaction", "a number", quote_token(e->value));
      it->interactions.push_back({static_cast<int>(ka - s.keys.begin()), static_cast<int>(kb - s.keys.begin()), v});
    } else if (field == "intercept") {
      if (!to_double(e->value, it->intercept)) bad(path, e->line, e->key, "bad intercept", "a number", quote_token(e->value));
    } else if (field == "noise") {
      if (!to_double(e->value, it->noise) || it->noise < 0)
        bad(path, e->line, e->key, "bad noise", "a standard deviation >= 0", quote_token(e->value));
    } else {
      bad(path, e->line, e->key, "unknown task key", "label, effect.<key>, interaction.<a>.<b>, intercept or noise",
          quote_token(field));
    }
  }
  if (s.tasks.empty()) bad(path, 1, "task.<name>", "no tasks", "at least one [task.<name>] section", "none");
  for (TaskSpec& t : s.tasks) {
    if (t.kind == TaskKind::Linear) t.text = describe_task(t, s.keys).substr(t.name.size() + 3);
  }
  return s;
}

void check_scenario_fits(const Scenario& s, int seq_len) {
  const std::string file = s.path.empty() ? std::string("sim") : s.path;
  auto check = [&](const Placement& p, const std::string& where_key) {
    const int w = s.pwms[static_cast<std::size_t>(p.key)].width();
    const std::string& motif = s.keys[static_cast<std::size_t>(p.key)];
    if (w > seq_len && s.path.empty())  // the paper's scenario: the [sim] keys
      throw ConfigError(fmt::format("sim.seq_len: motif {} (width {}) is wider than the sequence; expected seq_len >= {}, got {}",
                                    quote_token(s.pwms[static_cast<std::size_t>(p.key)].name(), 80), w, w, seq_len));
    if (w > seq_len)
      bad(file, p.line, where_key, fmt::format("motif {} (width {}) is wider than the sequence", quote_token(motif, 80), w),
          fmt::format("sim.seq_len >= {}", w), fmt::format("{}", seq_len));
    if (p.window_hi >= 0 && (p.window_hi > seq_len || p.window_hi - p.window_lo < w))
      bad(file, p.line, where_key, fmt::format("window {}-{} cannot hold motif {} (width {})", p.window_lo, p.window_hi,
                                           quote_token(motif, 80), w),
          fmt::format("a window inside [0, {}] at least {} bases wide", seq_len, w),
          fmt::format("{}-{}", p.window_lo, p.window_hi));
  };
  for (const ClassSpec& c : s.classes) {
    for (const Placement& p : c.placements) check(p, "class." + c.name + ".place." + p.id);
    // An anchor and everything placed after it must fit: width + the chain's largest gaps and widths.
    std::vector<int> reserve(c.placements.size(), 0);
    for (std::size_t q = c.placements.size(); q-- > 0;) {
      const Placement& p = c.placements[q];
      const int w = s.pwms[static_cast<std::size_t>(p.key)].width();
      if (p.anchor < 0) {
        // The anchor starts inside its window; what follows it may lie beyond the window.
        const int lo = p.window_hi >= 0 ? p.window_lo : 0, hi = seq_len;
        if (w + reserve[q] > hi - lo)
          bad(file, p.line, "class." + c.name + ".place." + p.id, "spacing contradicts the sequence length",
              fmt::format("room for the motif ({} bases) and what follows it ({} bases) inside {} bases", w, reserve[q],
                          hi - lo),
              fmt::format("{} bases", w + reserve[q]));
        continue;
      }
      const Placement& a = c.placements[static_cast<std::size_t>(p.anchor)];
      if (p.count.max > a.count.min && p.gap_hi - p.gap_lo < w)
        bad(file, p.line, "class." + c.name + ".place." + p.id, "more instances than anchors",
            fmt::format("at most {} instance(s) (the anchor's smallest count), or a gap range at least {} bases wide "
                        "so that two fit after one anchor",
                        a.count.min, w),
            fmt::format("up to {} with gap {}-{}", p.count.max, p.gap_lo, p.gap_hi));
      int& r = reserve[static_cast<std::size_t>(p.anchor)];
      r = std::max(r, p.gap_hi + w + reserve[q]);
    }
  }
  for (const Placement& p : s.decoys) check(p, "scenario." + p.id);
}

Dataset simulate_scenario(const SimConfig& cfg, const Scenario& s, const std::function<void(int)>& progress) {
  check_scenario_fits(s, cfg.seq_len);
  const int n = cfg.n_seqs, L = cfg.seq_len;
  const Background bg{cfg.background};
  const std::size_t K = s.keys.size(), T = s.tasks.size();
  std::vector<Pwm> fwd, rev;
  for (const Pwm& p : s.pwms) {
    fwd.push_back(p.smoothed(cfg.pseudocount));
    rev.push_back(fwd.back().reverse_complement());
  }

  Dataset data;
  data.seq_len = L;
  for (const TaskSpec& t : s.tasks) data.tasks.push_back({t.name, t.kind, t.text});
  for (const ClassSpec& c : s.classes) data.class_names.push_back(c.name);
  data.motif_keys = s.keys;

  // Classes: exact counts, then a shuffle on stream 0 so that class is not tied to the index.
  std::vector<double> weights;
  for (const ClassSpec& c : s.classes) weights.push_back(c.weight);
  const std::vector<int> sizes = class_sizes(weights, n);
  for (std::size_t c = 0; c < sizes.size(); ++c)
    data.classes.insert(data.classes.end(), static_cast<std::size_t>(sizes[c]), static_cast<int>(c));
  Rng class_rng(cfg.seed, 0);
  class_rng.shuffle(data.classes.begin(), data.classes.end());
  data.splits = stratified_split(data.classes, static_cast<int>(s.classes.size()), cfg.split, cfg.seed);

  data.ids.resize(static_cast<std::size_t>(n));
  data.seqs.resize(static_cast<std::size_t>(n));
  data.labels.assign(static_cast<std::size_t>(n) * T, 0.0f);
  data.counts.assign(static_cast<std::size_t>(n) * K, 0);

  // Sequences in fixed chunks run in parallel: sequence i depends on its own streams only, and
  // its sites and roles are joined in sequence order afterwards (any thread count, same bytes).
  constexpr int kSimChunk = 256;
  std::vector<std::vector<MotifSite>> sites_of(static_cast<std::size_t>(n));
  std::vector<std::vector<Role>> roles_of(static_cast<std::size_t>(n));
  std::mutex progress_mutex;
  int done = 0;
  parallel_for((n + kSimChunk - 1) / kSimChunk, [&](int chunk) {
  std::vector<std::uint8_t> codes(static_cast<std::size_t>(L));
  std::vector<std::uint8_t> draw;
  std::vector<std::pair<std::int64_t, std::int64_t>> occupied;
  std::vector<MotifSite> seq_sites;
  std::vector<Instance> inst;
  std::vector<Role> task_roles;
  std::vector<Placement> plan;
  std::vector<int> plan_count;

  for (int i = chunk * kSimChunk; i < std::min(n, (chunk + 1) * kSimChunk); ++i) {
    const auto si = static_cast<std::size_t>(i);
    const ClassSpec& cls = s.classes[static_cast<std::size_t>(data.classes[si])];
    data.ids[si] = sequence_id(i, n);
    Rng rng(cfg.seed, 1 + static_cast<std::uint64_t>(i));
    sample_background_into(bg, codes, rng);

    // Every count first (the class's placements in order, then the decoys), then the instances.
    plan = cls.placements;
    plan.insert(plan.end(), s.decoys.begin(), s.decoys.end());
    plan_count.assign(plan.size(), 0);
    for (std::size_t p = 0; p < plan.size(); ++p)
      plan_count[p] = draw_count(rng, plan[p].count, s, plan[p], cfg.max_count_draws);

    // A dependant whose every gap is blocked (by an instance planted after its anchor) restarts
    // the sequence's planting from its background: the same stream continues, so the result is
    // still determined by (seed, i). The paper's scenario has no anchors and never restarts.
    const std::vector<std::uint8_t> background_codes = codes;
    std::vector<std::vector<std::size_t>> placed(plan.size());  // indices into seq_sites
    // Room an anchor keeps after its end for the placements that follow it (their largest gap,
    // width and own reserve), so that a dependant always fits inside the sequence.
    std::vector<int> reserve(plan.size(), 0);
    for (std::size_t q = plan.size(); q-- > 0;)
      if (plan[q].anchor >= 0) {
        int& r = reserve[static_cast<std::size_t>(plan[q].anchor)];
        r = std::max(r, plan[q].gap_hi + fwd[static_cast<std::size_t>(plan[q].key)].width() + reserve[q]);
      }
    for (int restart = 0;; ++restart) {
    codes = background_codes;
    occupied.clear();
    seq_sites.clear();
    for (auto& v : placed) v.clear();
    for (std::size_t k = 0; k < K; ++k) data.counts[si * K + k] = 0;
    bool blocked = false;
    for (std::size_t p = 0; p < plan.size() && !blocked; ++p) {
      const Placement& pl = plan[p];
      const auto key = static_cast<std::size_t>(pl.key);
      const int w = fwd[key].width();
      const auto uw = static_cast<std::size_t>(w);
      for (int k = 0; k < plan_count[p] && !blocked; ++k) {
        std::int64_t start = 0;
        char anchor_strand = '+';
        if (pl.anchor < 0) {
          // Uniform over the window's starts, redrawn while overlapping (the paper's placement).
          const int lo = pl.window_hi >= 0 ? pl.window_lo : 0;
          const int hi = std::min(pl.window_hi >= 0 ? pl.window_hi : L, L - reserve[p]);
          const auto n_starts = static_cast<std::uint64_t>(hi - w - lo + 1);
          bool ok = false;
          for (int a = 0; a < cfg.max_placement_attempts && !ok; ++a) {
            start = lo + static_cast<std::int64_t>(rng.below(n_starts));
            ok = !overlaps(start, start + w, occupied);
          }
          if (!ok) {
            std::int64_t covered = 0;
            for (const auto& [b, e] : occupied) covered += e - b;
            throw InputError(fmt::format(
                "sequence '{}': cannot place motif {} (width {}) without overlap after {} attempts; expected free "
                "space for {} bases, got {} motifs already covering {} of {} bases",
                data.ids[si], quote_token(fwd[key].name(), 80), w, cfg.max_placement_attempts, w, occupied.size(), covered, L));
          }
        } else {
          const auto& anchors = placed[static_cast<std::size_t>(pl.anchor)];
          const MotifSite& a = seq_sites[anchors[static_cast<std::size_t>(k) % anchors.size()]];
          anchor_strand = a.strand;
          bool ok = false;
          for (int t = 0; t < cfg.max_placement_attempts && !ok; ++t) {
            const int gap = pl.gap_lo + static_cast<int>(rng.below(static_cast<std::uint64_t>(pl.gap_hi - pl.gap_lo + 1)));
            start = a.end + gap;
            ok = start + w <= L && !overlaps(start, start + w, occupied);
          }
          if (!ok && restart + 1 < cfg.max_placement_attempts) {
            blocked = true;
            break;
          }
          if (!ok)
            throw InputError(fmt::format(
                "sequence '{}': cannot place motif {} {}-{} bases after {} (placement {} of {}:{}) in {} "
                "restarts; expected a free gap after the anchor, got every gap blocked",
                data.ids[si], quote_token(fwd[key].name(), 80), pl.gap_lo, pl.gap_hi, quote_token(a.motif, 80), quote_token(pl.id, 80),
                s.path.empty() ? "sim" : s.path,
                pl.line, cfg.max_placement_attempts));
        }
        occupied.emplace_back(start, start + w);
        bool minus = rng.uniform() < pl.p_minus;  // always one draw: starts do not depend on strands
        if (pl.orient == Placement::Orient::Same) minus = anchor_strand == '-';
        else if (pl.orient == Placement::Orient::Opposite) minus = anchor_strand == '+';
        draw.resize(uw);
        fwd[key].sample_into(std::span<std::uint8_t>(draw.data(), uw), rng);
        std::uint8_t* dst = codes.data() + start;
        if (minus) {
          for (std::size_t j = 0; j < uw; ++j) dst[j] = static_cast<std::uint8_t>(3 - draw[uw - 1 - j]);
        } else {
          std::copy(draw.begin(), draw.end(), dst);
        }
        const double lo_ = (minus ? rev[key] : fwd[key]).log_odds(std::span<const std::uint8_t>(dst, uw), bg);
        placed[p].push_back(seq_sites.size());
        seq_sites.push_back({i, start, start + w, fwd[key].name(), lo_, minus ? '-' : '+', pl.key});
        ++data.counts[si * K + key];
      }
    }
    if (!blocked) break;
    }
    std::sort(seq_sites.begin(), seq_sites.end(), [](const MotifSite& a, const MotifSite& b) { return a.start < b.start; });

    // Labels and roles from the planted content.
    inst.clear();
    for (const MotifSite& m : seq_sites) inst.push_back({m.key, m.start, m.end, m.strand});
    std::vector<Role> roles(seq_sites.size() * T, Role::Irrelevant);
    Rng noise(cfg.seed, kNoiseStream + static_cast<std::uint64_t>(i));
    for (std::size_t t = 0; t < T; ++t) {
      const TaskSpec& task = s.tasks[t];
      if (task.kind == TaskKind::Binary) {
        data.labels[si * T + t] = evaluate_task(task.expr, inst, &task_roles) ? 1.0f : 0.0f;
        for (std::size_t k = 0; k < inst.size(); ++k) roles[k * T + t] = task_roles[k];
        continue;
      }
      double y = task.intercept;
      for (std::size_t k = 0; k < K; ++k) y += task.effect[k] * data.counts[si * K + k];
      std::vector<int> present(K, 0);
      for (std::size_t k = 0; k < K; ++k) present[k] = data.counts[si * K + k] > 0;
      for (const auto& in : task.interactions)
        y += in.coef * present[static_cast<std::size_t>(in.a)] * present[static_cast<std::size_t>(in.b)];
      if (task.noise > 0) y += task.noise * noise.normal();
      data.labels[si * T + t] = static_cast<float>(y);
      for (std::size_t k = 0; k < inst.size(); ++k) {
        const auto key = static_cast<std::size_t>(inst[k].key);
        Role r = task.effect[key] > 0 ? Role::Driver : task.effect[key] < 0 ? Role::Repressor : Role::Irrelevant;
        if (r == Role::Irrelevant) {
          // No effect of its own: its interactions decide; the strongest one whose partner is
          // present, else Context when it has any interaction.
          double best = 0;
          for (const auto& in : task.interactions) {
            if (in.a != inst[k].key && in.b != inst[k].key) continue;
            const auto partner = static_cast<std::size_t>(in.a == inst[k].key ? in.b : in.a);
            if (!present[partner]) {
              if (r == Role::Irrelevant) r = Role::Context;
            } else if (std::abs(in.coef) > best) {
              best = std::abs(in.coef);
              r = in.coef > 0 ? Role::Driver : in.coef < 0 ? Role::Repressor : r;
            }
          }
        }
        roles[k * T + t] = r;
      }
    }
    sites_of[si] = seq_sites;
    roles_of[si] = std::move(roles);

    std::string& str = data.seqs[si];
    str.resize(static_cast<std::size_t>(L));
    for (std::size_t j = 0; j < codes.size(); ++j) str[j] = kBases[codes[j]];
  }
  if (progress) {
    const std::lock_guard<std::mutex> lock(progress_mutex);
    done += std::min(n, (chunk + 1) * kSimChunk) - chunk * kSimChunk;
    progress(done);
  }
  });
  for (std::size_t i = 0; i < sites_of.size(); ++i) {
    data.sites.insert(data.sites.end(), sites_of[i].begin(), sites_of[i].end());
    data.roles.insert(data.roles.end(), roles_of[i].begin(), roles_of[i].end());
  }
  return data;
}

}  // namespace lb::sim
