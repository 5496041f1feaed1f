// The report's data: metrics.json (a small JSON reader), metrics.tsv, hits.tsv, role_metrics.tsv,
// method_differences.tsv and what the dataset says of its scenario.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

#include <fmt/format.h>

#include "core/error.h"
#include "eval/html.h"
#include "eval/metric_catalogue.h"
#include "eval/report_parts.h"
#include "io/atomic_file.h"
#include "io/ini.h"
#include "io/tsv.h"

namespace lb::eval::report {

const Json* Json::get(std::string_view key) const {
  for (std::size_t k = 0; k < keys.size(); ++k)
    if (keys[k] == key) return &values[k];
  return nullptr;
}

namespace {

class JsonParser {
 public:
  JsonParser(std::string_view text, std::string where) : s_(text), where_(std::move(where)) {}

  Json parse_document() {
    Json v = parse_value();
    skip_ws();
    if (i_ != s_.size()) fail("trailing characters");
    return v;
  }

 private:
  [[noreturn]] void fail(std::string_view what) const {
    throw InputError(fmt::format("{}: invalid JSON at byte {}; {}", where_, i_, what));
  }
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) ++i_;
  }
  bool eat(char c) {
    skip_ws();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!eat(c)) fail(fmt::format("expected '{}'", c));
  }
  // The 4 hex digits of a \\u escape (i_ at the first), or InputError showing what is there.
  unsigned hex4() {
    unsigned v = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const char c = i_ + k < s_.size() ? s_[i_ + k] : '"';
      const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0) fail(fmt::format("bad \\u escape; expected 4 hex digits, got {}", quote_token(s_.substr(i_, 4))));
      v = v * 16 + static_cast<unsigned>(d);
    }
    i_ += 4;
    return v;
  }
  std::string parse_string() {
    expect('"');
    std::string out;
    while (i_ < s_.size() && s_[i_] != '"') {
      char c = s_[i_++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) fail("unterminated escape");
      c = s_[i_++];
      switch (c) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'u': {
          unsigned cp = hex4();
          // A surrogate pair is one character; a lone surrogate becomes U+FFFD.
          if (cp >= 0xD800 && cp < 0xDC00 && s_.substr(i_, 2) == "\\u") {
            const std::size_t at = i_;
            i_ += 2;
            const unsigned lo = hex4();
            if (lo >= 0xDC00 && lo < 0xE000) cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            else i_ = at;  // not a pair: read the second escape on its own
          }
          if (cp >= 0xD800 && cp < 0xE000) cp = 0xFFFD;
          if (cp < 0x80) {
            out += static_cast<char>(cp);
          } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
          } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
          } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
          }
          break;
        }
        default: out += c;  // \" \\ \/
      }
    }
    if (i_ >= s_.size()) fail("unterminated string");
    ++i_;
    return out;
  }
  Json parse_value() {
    skip_ws();
    if (i_ >= s_.size()) fail("unexpected end");
    // Bounded recursion: a file of 100,000 '[' must not overflow the stack.
    if (depth_ >= kMaxDepth) fail(fmt::format("nesting too deep; expected at most {} levels", kMaxDepth));
    ++depth_;
    struct Leave {
      int& d;
      ~Leave() { --d; }
    } leave{depth_};
    Json v;
    const char c = s_[i_];
    if (c == '{') {
      ++i_;
      v.kind = Json::Kind::Object;
      if (eat('}')) return v;
      do {
        skip_ws();
        std::string key = parse_string();
        expect(':');
        v.keys.push_back(std::move(key));
        v.values.push_back(parse_value());
      } while (eat(','));
      expect('}');
    } else if (c == '[') {
      ++i_;
      v.kind = Json::Kind::Array;
      if (eat(']')) return v;
      do v.items.push_back(parse_value());
      while (eat(','));
      expect(']');
    } else if (c == '"') {
      v.kind = Json::Kind::String;
      v.string = parse_string();
    } else if (s_.substr(i_, 4) == "true" || s_.substr(i_, 5) == "false") {
      v.kind = Json::Kind::Bool;
      v.boolean = c == 't';
      i_ += v.boolean ? 4 : 5;
    } else if (s_.substr(i_, 4) == "null") {
      i_ += 4;
    } else {
      const std::size_t start = i_;
      while (i_ < s_.size() && std::string_view("+-0123456789.eE").find(s_[i_]) != std::string_view::npos) ++i_;
      if (i_ == start) fail(fmt::format("unexpected character '{}'", c));
      v.kind = Json::Kind::Number;
      v.number = std::strtod(std::string(s_.substr(start, i_ - start)).c_str(), nullptr);
    }
    return v;
  }

  static constexpr int kMaxDepth = 256;
  std::string_view s_;
  std::string where_;
  std::size_t i_ = 0;
  int depth_ = 0;
};

/// Index of `s` in `list`, appending it when new (string dictionaries of the JSON data).
int intern(std::vector<std::string>& list, std::map<std::string, int>& index, const std::string& s) {
  auto [it, inserted] = index.try_emplace(s, static_cast<int>(list.size()));
  if (inserted) list.push_back(s);
  return it->second;
}

}  // namespace

Json parse_json(std::string_view text, const std::string& where) { return JsonParser(text, where).parse_document(); }

std::string json_scalar_text(const Json* v) {
  if (!v) return "";
  switch (v->kind) {
    case Json::Kind::String: return v->string;
    case Json::Kind::Number: return fmt::format("{:g}", v->number);
    case Json::Kind::Bool: return v->boolean ? "true" : "false";
    default: return "";
  }
}

double to_double(const std::string& s) {
  if (s.empty() || s == "nan" || s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  return end && *end == '\0' ? v : std::numeric_limits<double>::quiet_NaN();
}

int to_int(const std::string& s) {
  std::string_view v = s;
  if (v.starts_with("task")) v.remove_prefix(4);
  int out = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return -1;
    out = out * 10 + (c - '0');
  }
  return v.empty() ? -1 : out;
}

MetricsTable read_metrics(const std::string& path) {
  const io::TsvTable t = io::read_tsv(path);
  const int c_method = t.column("method", path), c_ref = t.column("reference", path), c_task = t.column("task", path),
            c_motif = t.column("motif", path), c_metric = t.column("metric", path), c_tier = t.column("tier", path),
            c_value = t.column("value", path), c_n = t.column("n", path);
  MetricsTable m;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const auto& r = t.rows[i];
    const double n = to_double(r[c_n]);  // empty (NaN) on the model's rows: 0, not a NaN cast to long
    MetricsTable::Row row{r[c_method], r[c_ref], r[c_motif], r[c_metric], r[c_tier], to_int(r[c_task]),
                          to_double(r[c_value]), std::isfinite(n) ? static_cast<long>(n) : 0L};
    // The model's rows are shown from metrics.json.
    if (metric_info(row.metric, Output::MetricsTsv, path, t.lines[i]).family == Family::Model) continue;
    if (seen.insert(row.method).second) m.methods.push_back(row.method);
    m.rows.push_back(std::move(row));
  }
  return m;
}

HitsData read_hits(const std::string& path, int max_seqs) {
  const io::TsvTable t = io::read_tsv(path);
  const int c_method = t.column("method", path), c_task = t.column("task", path), c_seq = t.column("seq", path),
            c_motif = t.column("motif", path), c_lo = t.column("log_odds", path), c_class = t.column("class", path),
            c_inst = t.column("n_instances", path), c_score = t.column("score", path);
  HitsData h;
  h.n_rows = static_cast<long>(t.rows.size());
  // Sequences in order of first appearance; keep an evenly spread subset of at most max_seqs.
  std::map<std::string, int> seq_order;
  for (const auto& r : t.rows) seq_order.try_emplace(r[c_seq], static_cast<int>(seq_order.size()));
  h.n_seqs = static_cast<int>(seq_order.size());
  std::vector<char> keep(seq_order.size(), 1);
  if (max_seqs > 0 && h.n_seqs > max_seqs) {
    std::fill(keep.begin(), keep.end(), 0);
    for (int j = 0; j < max_seqs; ++j)
      keep[static_cast<std::size_t>(static_cast<long>(j) * h.n_seqs / max_seqs)] = 1;
  }
  h.n_seqs_shown = static_cast<int>(std::count(keep.begin(), keep.end(), 1));

  std::vector<std::string> classes;
  std::map<std::string, int> method_index, motif_index, class_index;
  std::string m, task, motif, cls, inst, x, y;
  for (const auto& r : t.rows) {
    if (!keep[static_cast<std::size_t>(seq_order[r[c_seq]])]) continue;
    const std::string sep = h.n_shown ? "," : "";
    ++h.n_shown;
    m += sep + std::to_string(intern(h.methods, method_index, r[c_method]));
    const int task_no = to_int(r[c_task]);
    task += sep + std::to_string(task_no);
    motif += sep + std::to_string(intern(h.motifs, motif_index, r[c_motif]));
    cls += sep + std::to_string(intern(classes, class_index, r[c_class].empty() ? "empty" : r[c_class]));
    inst += sep + std::to_string(std::max(0, to_int(r[c_inst])));
    x += sep + json_number(to_double(r[c_lo]), 5);
    y += sep + json_number(to_double(r[c_score]), 5);
    if (task_no == 0 && to_int(r[c_inst]) > 0) h.motifs_on_task0.insert(r[c_motif]);
  }
  auto list = [](const std::vector<std::string>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += fmt::format("{}{}", i ? "," : "", json_string(v[i]));
    return s + "]";
  };
  h.json = fmt::format(R"({{"methods":{},"motifs":{},"classes":{},"m":[{}],"t":[{}],"mo":[{}],"c":[{}],"n":[{}],"x":[{}],"y":[{}]}})",
                       list(h.methods), list(h.motifs), list(classes), m, task, motif, cls, inst, x, y);
  return h;
}

std::string metrics_rows_json(const MetricsTable& mt) {
  std::string s = "[";
  for (std::size_t i = 0; i < mt.rows.size(); ++i) {
    const auto& r = mt.rows[i];
    s += fmt::format(R"({}{{"method":{},"reference":{},"task":{},"motif":{},"metric":{},"tier":{},"value":{},"n":{}}})",
                     i ? "," : "", json_string(r.method), json_string(r.reference), r.task, json_string(r.motif),
                     json_string(r.metric), json_string(r.tier), json_number(r.value), r.n);
  }
  return s + "]";
}


std::vector<RoleMetric> read_role_metrics(const std::string& path) {
  std::vector<RoleMetric> out;
  if (!std::filesystem::exists(path)) return out;
  const io::TsvTable t = io::read_tsv(path);
  const int c_method = t.column("method", path), c_ref = t.column("reference", path), c_task = t.column("task", path),
            c_metric = t.column("metric", path), c_value = t.column("value", path), c_lo = t.column("ci_lo", path),
            c_hi = t.column("ci_hi", path), c_n = t.column("n", path);
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const auto& r = t.rows[i];
    metric_info(r[c_metric], Output::RoleMetricsTsv, path, t.lines[i]);
    out.push_back({r[c_method], r[c_ref], r[c_task], r[c_metric], to_double(r[c_value]), to_double(r[c_lo]),
                   to_double(r[c_hi]), to_double(r[c_n])});
  }
  return out;
}

std::vector<MethodDiff> read_method_differences(const std::string& path) {
  std::vector<MethodDiff> out;
  if (!std::filesystem::exists(path)) return out;
  const io::TsvTable t = io::read_tsv(path);
  const int c_task = t.column("task", path), c_metric = t.column("metric", path), c_a = t.column("method_a", path),
            c_b = t.column("method_b", path), c_diff = t.column("a_minus_b", path), c_lo = t.column("ci_lo", path),
            c_hi = t.column("ci_hi", path), c_p = t.column("p_value", path), c_real = t.column("real", path);
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const auto& r = t.rows[i];
    metric_info(r[c_metric], Output::MethodDifferencesTsv, path, t.lines[i]);
    out.push_back({r[c_task], r[c_metric], r[c_a], r[c_b], to_double(r[c_diff]), to_double(r[c_lo]),
                   to_double(r[c_hi]), to_double(r[c_p]), r[c_real] == "yes"});
  }
  return out;
}

namespace {

bool contains_ci(std::string_view name, std::string_view part) {
  std::string m(name);
  std::transform(m.begin(), m.end(), m.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return m.find(part) != std::string::npos;
}

}  // namespace

ScenarioInfo scenario_info(const sim::Dataset* ds, const std::string& data_dir, const std::vector<std::string>& hit_motifs,
                           const Json* json_motifs) {
  ScenarioInfo info;
  info.has_data = ds != nullptr;
  if (ds) {
    // The paper's layout needs its grammar, not its names: keys gata and tal, tasks "both", "gata", "tal".
    const bool paper_keys = ds->motif_keys == std::vector<std::string>{"gata", "tal"};
    const bool paper_tasks = ds->n_tasks() == 3 && ds->tasks[0].definition == "gata & tal" &&
                             ds->tasks[1].definition == "gata" && ds->tasks[2].definition == "tal";
    info.paper = paper_keys && paper_tasks;
    const std::string ini = data_dir + "/scenario.ini";
    if (!data_dir.empty() && std::filesystem::exists(ini)) {
      for (const auto& e : io::parse_ini(io::read_file(ini), ini)) {
        if (e.key == "scenario.name") info.name = e.value;
        if (e.key == "scenario.description") info.description = e.value;
        if (e.key.starts_with("scenario.decoy.")) info.decoys.push_back(e.key.substr(15) + ": " + e.value);
        if (const auto at = e.key.find(".place."); e.key.starts_with("class.") && at != std::string::npos)
          info.placements[e.key.substr(6, at - 6)].push_back(e.key.substr(at + 7) + ": " + e.value);
      }
    } else if (info.paper) {
      info.name = "paper";
      info.description = "The DeepLIFT paper's genomics simulation (appendix F), from the [sim] keys.";
    }
  }
  // The scanned motifs (hits.tsv), in the order of the dataset's keys; the rest as they come.
  std::map<std::string, int> key_of_motif;
  if (ds)
    for (const auto& s : ds->sites)
      if (s.key >= 0) key_of_motif.try_emplace(s.motif, s.key);
  info.motif_order = hit_motifs;
  if (info.paper) {
    // The scanned GATA1 and TAL1 motifs (hits.tsv's names): metrics.json's "motifs", else the
    // PWMs planted as keys gata and tal, else by name; the first candidate that hits.tsv has.
    auto pick = [&](std::string_view json_key, int key, std::string_view part) {
      std::vector<std::string> candidates;
      if (json_motifs && json_motifs->kind == Json::Kind::Object)
        candidates.push_back(json_scalar_text(json_motifs->get(json_key)));
      if (ds)
        for (const auto& s : ds->sites)
          if (s.key == key) {
            candidates.push_back(s.motif);
            break;
          }
      for (const auto& c : candidates)
        if (!c.empty() && std::find(hit_motifs.begin(), hit_motifs.end(), c) != hit_motifs.end()) return c;
      for (const auto& m : hit_motifs)
        if (contains_ci(m, part)) return m;
      for (const auto& c : candidates)
        if (!c.empty()) return c;
      return std::string();
    };
    info.gata_motif = pick("gata", 0, "gata");
    info.tal_motif = pick("tal", 1, "tal");
    std::stable_sort(info.motif_order.begin(), info.motif_order.end(),
                     [&](const auto& a, const auto& b) { return a == info.gata_motif && b != info.gata_motif; });
    info.task_labels = {"task 0 (both)", "task 1 (GATA1)", "task 2 (TAL1)"};
    if (ds)
      for (int t = 3; t < ds->n_tasks(); ++t) info.task_labels.push_back(ds->tasks[static_cast<std::size_t>(t)].name);
  } else {
    auto key = [&](const std::string& m) {
      const auto it = key_of_motif.find(m);
      return it == key_of_motif.end() ? std::numeric_limits<int>::max() : it->second;
    };
    std::stable_sort(info.motif_order.begin(), info.motif_order.end(),
                     [&](const auto& a, const auto& b) { return key(a) < key(b); });
    for (const auto& t : ds->tasks) info.task_labels.push_back(t.name);
  }
  return info;
}

}  // namespace lb::eval::report
