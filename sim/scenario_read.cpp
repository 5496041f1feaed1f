// Reading scenario files (sim/scenario.h, docs/scenarios.md): the INI keys, motif bindings,
// placements, classes and tasks, every error naming the file, line and key; and the check that
// a scenario's placements fit the sequence length.
#include "sim/scenario.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"
#include "core/text.h"
#include "io/atomic_file.h"
#include "io/ini.h"
#include "io/meme.h"
#include "io/motif_file.h"
#include "sim/scenario_values.h"

namespace lb::sim {

namespace {

using scenario_values::call_args;
using scenario_values::to_double;
using scenario_values::to_coefficient;
using scenario_values::to_int;
using scenario_values::to_range;

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
  std::vector<std::string_view> seen;
  for (std::size_t w = 1; w < words.size(); ++w) {
    const auto eq = words[w].find('=');
    const std::string_view name = words[w].substr(0, eq);
    const std::string_view v = eq == std::string_view::npos ? std::string_view{} : words[w].substr(eq + 1);
    if (eq == std::string_view::npos || v.empty())
      bad(path, line, key, "malformed placement option", "name=value (count, strand, window, after, gap, orient)",
          quote_token(words[w]));
    if (std::find(seen.begin(), seen.end(), name) != seen.end())
      bad(path, line, key, "placement option given twice", "each option at most once", quote_token(words[w]));
    seen.push_back(name);
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

}  // namespace

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
      if (!to_coefficient(e->value, v))
        bad(path, e->line, e->key, "bad effect", "a number with |x| <= 1e6", quote_token(e->value));
      it->effect[static_cast<std::size_t>(k - s.keys.begin())] = v;
    } else if (field.starts_with("interaction.")) {
      const std::string pair = field.substr(12);
      const auto d = pair.find('.');
      const std::string a = pair.substr(0, d), b = d == std::string::npos ? "" : pair.substr(d + 1);
      const auto ka = std::find(s.keys.begin(), s.keys.end(), a), kb = std::find(s.keys.begin(), s.keys.end(), b);
      if (ka == s.keys.end() || kb == s.keys.end() || ka == kb)
        bad(path, e->line, e->key, "bad interaction", fmt::format("interaction.<a>.<b> with two different keys of {}", fmt::join(s.keys, ", ")),
            quote_token(pair));
      if (!to_coefficient(e->value, v))
        bad(path, e->line, e->key, "bad interaction", "a number with |x| <= 1e6", quote_token(e->value));
      it->interactions.push_back({static_cast<int>(ka - s.keys.begin()), static_cast<int>(kb - s.keys.begin()), v});
    } else if (field == "intercept") {
      if (!to_coefficient(e->value, it->intercept))
        bad(path, e->line, e->key, "bad intercept", "a number with |x| <= 1e6", quote_token(e->value));
    } else if (field == "noise") {
      if (!to_coefficient(e->value, it->noise) || it->noise < 0)
        bad(path, e->line, e->key, "bad noise", "a standard deviation in [0, 1e6]", quote_token(e->value));
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
    const std::vector<std::int64_t> reserve = anchor_reserves(c.placements, s.pwms);
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
    }
  }
  for (const Placement& p : s.decoys) check(p, "scenario." + p.id);
}

std::vector<std::int64_t> anchor_reserves(const std::vector<Placement>& placements, const std::vector<Pwm>& pwms) {
  std::vector<std::int64_t> reserve(placements.size(), 0);
  for (std::size_t q = placements.size(); q-- > 0;) {
    const Placement& p = placements[q];
    if (p.anchor < 0) continue;
    std::int64_t& r = reserve[static_cast<std::size_t>(p.anchor)];
    r = std::max(r, std::int64_t{p.gap_hi} + pwms[static_cast<std::size_t>(p.key)].width() + reserve[q]);
  }
  return reserve;
}

}  // namespace lb::sim
