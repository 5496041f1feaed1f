// The HTML report: hits.tsv and metrics.tsv become JSON data for Vega-Lite charts drawn in the
// browser by the inlined libraries; logos and tables are generated here as SVG and HTML.
#include "eval/report.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <numbers>
#include <set>
#include <string_view>

#include <fmt/format.h>

#include "core/build_info.h"
#include "core/error.h"
#include "eval/web/report_assets.h"
#include "io/atomic_file.h"
#include "io/npz.h"
#include "eval/html.h"
#include "io/tsv.h"
#include "sim/dataset.h"

namespace lb::eval {

namespace {

// ---- a small JSON reader for metrics.json ----------------------------------------------------

struct Json {
  enum class Kind { Null, Bool, Number, String, Array, Object } kind = Kind::Null;
  double number = 0;
  bool boolean = false;
  std::string string;
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> members;

  const Json* get(std::string_view key) const {
    for (const auto& [k, v] : members)
      if (k == key) return &v;
    return nullptr;
  }
};

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
        v.members.emplace_back(std::move(key), parse_value());
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

std::string json_scalar_text(const Json* v) {
  if (!v) return "";
  switch (v->kind) {
    case Json::Kind::String: return v->string;
    case Json::Kind::Number: return fmt::format("{:g}", v->number);
    case Json::Kind::Bool: return v->boolean ? "true" : "false";
    default: return "";
  }
}

// ---- the evaluation's tables ---------------------------------------------------------------

bool is_gata(std::string_view motif) {
  std::string m(motif);
  std::transform(m.begin(), m.end(), m.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return m.find("gata") != std::string::npos;
}
bool is_tal(std::string_view motif) {
  std::string m(motif);
  std::transform(m.begin(), m.end(), m.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return m.find("tal") != std::string::npos;
}

/// Index of `s` in `list`, appending it when new (string dictionaries of the JSON data).
int intern(std::vector<std::string>& list, std::map<std::string, int>& index, const std::string& s) {
  auto [it, inserted] = index.try_emplace(s, static_cast<int>(list.size()));
  if (inserted) list.push_back(s);
  return it->second;
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

struct MetricsTable {
  std::vector<std::string> methods;  // in order of first appearance
  struct Row {
    std::string method, reference, motif, metric, tier;
    int task = 0;
    double value = 0;
    long n = 0;
  };
  std::vector<Row> rows;
};

MetricsTable read_metrics(const std::string& path) {
  const io::TsvTable t = io::read_tsv(path);
  const int c_method = t.column("method", path), c_ref = t.column("reference", path), c_task = t.column("task", path),
            c_motif = t.column("motif", path), c_metric = t.column("metric", path), c_tier = t.column("tier", path),
            c_value = t.column("value", path), c_n = t.column("n", path);
  MetricsTable m;
  std::set<std::string> seen;
  for (const auto& r : t.rows) {
    MetricsTable::Row row{r[c_method], r[c_ref], r[c_motif], r[c_metric], r[c_tier], to_int(r[c_task]),
                          to_double(r[c_value]), static_cast<long>(to_double(r[c_n]))};
    if (row.metric.starts_with("test_")) continue;  // the model's rows: shown from metrics.json
    if (seen.insert(row.method).second) m.methods.push_back(row.method);
    m.rows.push_back(std::move(row));
  }
  return m;
}

/// hits.tsv as columnar JSON (dictionary-encoded strings), at most `max_seqs` sequences.
struct HitsData {
  std::string json;
  std::vector<std::string> methods, motifs;
  long n_rows = 0, n_shown = 0;
  int n_seqs = 0, n_seqs_shown = 0;
  bool has_tal_task0 = false;
};

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
    h.has_tal_task0 |= task_no == 0 && is_tal(r[c_motif]) && to_int(r[c_inst]) > 0;
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

// ---- charts ----------------------------------------------------------------------------------

/// One Vega-Lite chart; the page's script builds its spec from `kind` and the filters.
struct Chart {
  std::string id, kind, motif, title, caption;
  std::vector<std::string> methods;  // subset (empty = all)
};

std::string chart_json(const Chart& c) {
  std::string methods = "[";
  for (std::size_t i = 0; i < c.methods.size(); ++i) methods += fmt::format("{}{}", i ? "," : "", json_string(c.methods[i]));
  methods += "]";
  return fmt::format(R"({{"id":{},"kind":{},"motif":{},"title":{},"methods":{}}})", json_string(c.id),
                     json_string(c.kind), json_string(c.motif), json_string(c.title), methods);
}

std::string chart_div(const Chart& c) {
  return fmt::format("<figure><div class=\"chart\" id=\"{}\"></div><figcaption>{}</figcaption></figure>\n", c.id,
                     c.caption);
}

// ---- logos (appendix H) --------------------------------------------------------------------

/// Letter outlines in a unit box, y up (0 = baseline, 1 = top), as SVG path data.
std::string ring_path(double from_deg, double to_deg, double r_out_x, double r_out_y, double r_in_x, double r_in_y) {
  constexpr int kSteps = 24;
  std::string d;
  for (int k = 0; k <= kSteps; ++k) {
    const double a = (from_deg + (to_deg - from_deg) * k / kSteps) * std::numbers::pi / 180;
    d += fmt::format("{}{:.3f} {:.3f} ", k ? "L" : "M", 0.5 + r_out_x * std::cos(a), 0.5 + r_out_y * std::sin(a));
  }
  for (int k = kSteps; k >= 0; --k) {
    const double a = (from_deg + (to_deg - from_deg) * k / kSteps) * std::numbers::pi / 180;
    d += fmt::format("L{:.3f} {:.3f} ", 0.5 + r_in_x * std::cos(a), 0.5 + r_in_y * std::sin(a));
  }
  return d + "Z";
}

std::string glyph_defs() {
  const std::string c = ring_path(40, 320, 0.5, 0.5, 0.31, 0.33);
  const std::string g = ring_path(40, 360, 0.5, 0.5, 0.31, 0.33) + " M0.52 0.38 L1 0.38 L1 0.52 L0.52 0.52 Z";
  return fmt::format(
      "<svg width=\"0\" height=\"0\" style=\"position:absolute\" aria-hidden=\"true\"><defs>"
      "<path id=\"lb-glyph-A\" fill-rule=\"evenodd\" d=\"M0 0 L0.4 1 L0.6 1 L1 0 L0.79 0 L0.69 0.27 L0.31 0.27 "
      "L0.21 0 Z M0.37 0.43 L0.5 0.78 L0.63 0.43 Z\"/>"
      "<path id=\"lb-glyph-C\" d=\"{}\"/><path id=\"lb-glyph-G\" d=\"{}\"/>"
      "<path id=\"lb-glyph-T\" d=\"M0 1 L1 1 L1 0.85 L0.58 0.85 L0.58 0 L0.42 0 L0.42 0.85 L0 0.85 Z\"/>"
      "</defs></svg>\n",
      c, g);
}

constexpr std::string_view kBaseColours[4] = {"#109648", "#255c99", "#f7b32b", "#d62839"};  // A C G T

struct LogoMethod {
  std::string name;
  std::vector<float> values;  // (N, T, 4, L)
};

std::string logo_svg(int row, int seq_len, int n_tasks, int task, const std::vector<int>& base,
                     const std::vector<LogoMethod>& methods, const std::vector<sim::MotifSite>& sites) {
  constexpr double kCell = 5, kLabel = 235, kHalf = 30, kGap = 8, kAxis = 18;
  const double track_h = 2 * kHalf + kGap;
  const double width = kLabel + kCell * seq_len + 10;
  const double height = track_h * static_cast<double>(methods.size()) + kAxis;
  std::string svg = fmt::format(
      "<svg class=\"logo\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" xmlns=\"http://www.w3.org/2000/svg\">\n",
      width, height);
  const auto L = static_cast<std::size_t>(seq_len);
  for (std::size_t m = 0; m < methods.size(); ++m) {
    const double top = track_h * static_cast<double>(m), base_y = top + kHalf;
    std::vector<double> score(L, 0.0);
    const std::size_t off = (static_cast<std::size_t>(row) * static_cast<std::size_t>(n_tasks) +
                             static_cast<std::size_t>(task)) * 4 * L;
    double max_abs = 0;
    for (std::size_t l = 0; l < L; ++l) {
      for (std::size_t c = 0; c < 4; ++c) score[l] += methods[m].values[off + c * L + l];
      max_abs = std::max(max_abs, std::abs(score[l]));
    }
    svg += fmt::format("<text x=\"0\" y=\"{:.1f}\" class=\"track\">{}</text>", base_y + 4, html_escape(methods[m].name));
    svg += fmt::format("<text x=\"0\" y=\"{:.1f}\" class=\"scale\">max |score| {:.3g}</text>\n", base_y + 16, max_abs);
    for (const auto& s : sites) {
      const bool gata = is_gata(s.motif), tal = is_tal(s.motif);
      svg += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" stroke=\"{}\" "
          "stroke-width=\"1.5\"><title>{} {}-{}</title></rect>",
          kLabel + kCell * static_cast<double>(s.start), top + 1, kCell * static_cast<double>(s.end - s.start),
          2 * kHalf - 2, gata ? "#1f5fd6" : tal ? "#1a9e3a" : "#888888", html_escape(s.motif), s.start, s.end);
    }
    svg += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#999\" stroke-width=\"0.5\"/>\n",
                       kLabel, kLabel + kCell * seq_len, base_y);
    const double scale = max_abs > 0 ? (kHalf - 2) / max_abs : 0;
    for (std::size_t l = 0; l < L; ++l) {
      const int b = base[l];
      const double h = score[l] * scale;
      if (b < 0 || std::abs(h) < 0.05) continue;
      svg += fmt::format("<use href=\"#lb-glyph-{}\" fill=\"{}\" transform=\"translate({:.1f},{:.1f}) scale({},{:.2f})\"/>",
                         "ACGT"[b], kBaseColours[b], kLabel + kCell * static_cast<double>(l), base_y, kCell, -h);
    }
    svg += "\n";
  }
  const double axis_y = track_h * static_cast<double>(methods.size());
  for (int l = 0; l <= seq_len; l += 25)
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" class=\"tick\">{}</text>", kLabel + kCell * l, axis_y + 12, l);
  return svg + "</svg>\n";
}

// The scenario's tasks in words (tasks.tsv) and how many planted instances play each role.
std::string scenario_section(const ReportInputs& in) {
  if (in.data_dir.empty()) return "";
  const sim::Dataset ds = sim::read_dataset_dir(in.data_dir);
  std::string out =
      "<h2 id=\"scenario\">Scenario: tasks and ground truth</h2>\n<p class=\"note\">Each task's definition and "
      "the roles of the planted instances (docs/scenarios.md): drivers make the label, context instances belong to the "
      "task's motifs but satisfy nothing, repressors should score negative, irrelevant ones not at all.</p>\n"
      "<table><tr><th>task</th><th>kind</th><th>definition</th><th>driver</th><th>context</th><th>repressor</th>"
      "<th>irrelevant</th></tr>\n";
  for (int t = 0; t < ds.n_tasks(); ++t) {
    std::array<long, 4> n{};
    for (std::size_t k = 0; k < ds.sites.size() && !ds.roles.empty(); ++k) ++n[static_cast<std::size_t>(ds.role(k, t))];
    const sim::TaskInfo& task = ds.tasks[static_cast<std::size_t>(t)];
    out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                       html_escape(task.name), task.kind == sim::TaskKind::Binary ? "binary" : "real-valued",
                       html_escape(task.definition.empty() ? std::string("(not recorded)") : task.definition),
                       n[static_cast<std::size_t>(sim::Role::Driver)], n[static_cast<std::size_t>(sim::Role::Context)],
                       n[static_cast<std::size_t>(sim::Role::Repressor)], n[static_cast<std::size_t>(sim::Role::Irrelevant)]);
  }
  return out + "</table>\n";
}

std::string logos_section(const ReportInputs& in) {
  std::string out = "<h2 id=\"logos\">Attribution logos (appendix H)</h2>\n";
  if (in.scores_path.empty() || in.data_dir.empty())
    return out + "<p class=\"note\">No scores file or dataset given: no logos.</p>\n";
  const sim::Dataset ds = sim::read_dataset_dir(in.data_dir);
  const io::NpzArchive archive = io::read_npz(in.scores_path);
  const std::vector<std::string> ids = io::find_array(archive, "ids", in.scores_path).to_strings(in.scores_path);
  const io::NpyArray& onehot_arr = io::find_array(archive, "onehot", in.scores_path);
  if (onehot_arr.shape.size() != 3 || onehot_arr.shape[1] != 4)
    throw InputError(fmt::format("{}: array 'onehot': wrong shape; expected (N,4,L), got {}", in.scores_path,
                                 onehot_arr.shape_str()));
  const int seq_len = static_cast<int>(onehot_arr.shape[2]);
  const std::vector<float> onehot = onehot_arr.to_f32(in.scores_path);
  std::vector<LogoMethod> methods;
  int n_tasks = 0;
  for (const auto& [name, arr] : archive) {
    if (name == "ids" || name == "onehot" || name == "tasks" || name.find('.') != std::string::npos) continue;
    if (arr.shape.size() != 4 || arr.shape[0] != static_cast<std::int64_t>(ids.size()) || arr.shape[2] != 4 ||
        arr.shape[3] != seq_len)
      throw InputError(fmt::format("{}: array '{}': wrong shape; expected (N,T,4,L) = ({},T,4,{}), got {}",
                                   in.scores_path, name, ids.size(), seq_len, arr.shape_str()));
    n_tasks = static_cast<int>(arr.shape[1]);
    methods.push_back({name, arr.to_f32(in.scores_path)});
  }
  if (methods.empty()) return out + "<p class=\"note\">The scores file has no methods: no logos.</p>\n";
  int logo_task = in.logo_task;
  if (logo_task < 0) {
    // Automatic: the first task that depends on the fewest motifs (by the roles), so a logo
    // shows one motif's attribution (the paper's appendix H: task 1, GATA1 only).
    // Column t of the scores is dataset task tasks[t] (attribution.tasks; all tasks without it).
    std::vector<std::int64_t> task_of(static_cast<std::size_t>(n_tasks));
    for (int t = 0; t < n_tasks; ++t) task_of[static_cast<std::size_t>(t)] = t;
    for (const auto& [name, arr] : archive)
      if (name == "tasks") task_of = arr.to_i64(fmt::format("{}: array 'tasks'", in.scores_path));
    std::size_t best = SIZE_MAX;
    for (int t = 0; t < n_tasks && t < static_cast<int>(task_of.size()); ++t) {
      const auto dt = static_cast<int>(task_of[static_cast<std::size_t>(t)]);
      if (dt < 0 || dt >= ds.n_tasks()) continue;
      std::set<int> keys;
      for (std::size_t k = 0; k < ds.sites.size() && !ds.roles.empty(); ++k)
        if (ds.role(k, dt) != sim::Role::Irrelevant) keys.insert(ds.sites[k].key);
      if (!keys.empty() && keys.size() < best) best = keys.size(), logo_task = t;
    }
    if (logo_task < 0) logo_task = 0;
  }
  if (logo_task >= n_tasks)
    throw ConfigError(fmt::format("report logo task: out of range; expected 0..{}, got {}", n_tasks - 1, logo_task));

  std::map<std::string, int> ds_index;
  for (int i = 0; i < ds.size(); ++i) ds_index[ds.ids[static_cast<std::size_t>(i)]] = i;
  std::vector<int> rows;  // rows of the scores file
  if (!in.logo_ids.empty()) {
    for (const auto& id : in.logo_ids) {
      const auto it = std::find(ids.begin(), ids.end(), id);
      if (it == ids.end())
        throw InputError(fmt::format("{}: no sequence '{}'; expected an id of the scores file", in.scores_path, id));
      rows.push_back(static_cast<int>(it - ids.begin()));
    }
  } else {
    // One example per class, classes with the most distinct motifs first (the paper's: both,
    // gata_only, tal_only), classes with no motif last.
    std::vector<std::set<int>> keys_of(ds.class_names.size());
    for (const auto& site : ds.sites) keys_of[static_cast<std::size_t>(ds.classes[static_cast<std::size_t>(site.seq)])].insert(site.key);
    std::vector<int> order(ds.class_names.size());
    for (std::size_t c = 0; c < order.size(); ++c) order[c] = static_cast<int>(c);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
      return keys_of[static_cast<std::size_t>(a)].size() > keys_of[static_cast<std::size_t>(b)].size();
    });
    for (const int want : order) {
      if (static_cast<int>(rows.size()) >= in.n_logos || keys_of[static_cast<std::size_t>(want)].empty()) break;
      for (std::size_t r = 0; r < ids.size(); ++r) {
        const auto it = ds_index.find(ids[r]);
        if (it != ds_index.end() && ds.classes[static_cast<std::size_t>(it->second)] == want) {
          rows.push_back(static_cast<int>(r));
          break;
        }
      }
    }
  }
  out += fmt::format(
      "<p>Per-base scores for task {} (the sum of a position's contributions over A,C,G,T), drawn as the observed "
      "base: letters above the line for positive scores, upside down below it for negative ones. Each track is "
      "scaled to its own largest |score|. Planted motifs are boxed: <span style=\"color:#1f5fd6\">GATA1 blue</span>, "
      "<span style=\"color:#1a9e3a\">TAL1 green</span>.</p>\n",
      logo_task);
  out += glyph_defs();
  for (const int r : rows) {
    const auto& id = ids[static_cast<std::size_t>(r)];
    const auto it = ds_index.find(id);
    std::vector<sim::MotifSite> sites;
    std::string cls = "unknown (not in the dataset)";
    if (it != ds_index.end()) {
      cls = ds.class_names[static_cast<std::size_t>(ds.classes[static_cast<std::size_t>(it->second)])];
      for (const auto& s : ds.sites)
        if (s.seq == it->second) sites.push_back(s);
    }
    std::vector<int> base(static_cast<std::size_t>(seq_len), -1);
    const auto L = static_cast<std::size_t>(seq_len);
    for (std::size_t l = 0; l < L; ++l)
      for (std::size_t c = 0; c < 4; ++c)
        if (onehot[(static_cast<std::size_t>(r) * 4 + c) * L + l] > 0.5f) base[l] = static_cast<int>(c);
    std::string planted;
    for (const auto& s : sites)
      planted += fmt::format("{}{} {}-{} ({:.1f})", planted.empty() ? "" : ", ", html_escape(s.motif), s.start, s.end,
                             s.log_odds);
    out += fmt::format("<h3>{} <span class=\"note\">class {}; planted: {}</span></h3>\n<div class=\"logo-wrap\">",
                       html_escape(id), cls, planted.empty() ? "none" : planted);
    out += logo_svg(r, seq_len, n_tasks, logo_task, base, methods, sites) + "</div>\n";
  }
  return out;
}

// ---- tables ----------------------------------------------------------------------------------

constexpr std::string_view kMetricOrder[] = {"fn_rate",   "fp_rate",   "spearman",      "loc_auroc",
                                             "loc_auprc", "loc_auroc_abs", "loc_auprc_abs"};

std::string metric_table(const MetricsTable& mt, const std::string& metric, bool tiers) {
  // Columns: (task, motif[, tier]) in order of first appearance; rows: methods.
  std::vector<std::string> cols;
  std::map<std::string, std::map<std::string, const MetricsTable::Row*>> cell;
  for (const auto& r : mt.rows) {
    if (r.metric != metric || (r.tier == "all") == tiers) continue;
    const std::string col = fmt::format("task {}<br>{}{}", r.task, html_escape(r.motif),
                                        tiers ? fmt::format("<br>{} inst.", html_escape(r.tier)) : "");
    if (std::find(cols.begin(), cols.end(), col) == cols.end()) cols.push_back(col);
    cell[r.method][col] = &r;
  }
  if (cols.empty()) return "";
  std::string t = "<table><thead><tr><th>method</th>";
  for (const auto& c : cols) t += "<th>" + c + "</th>";
  t += "</tr></thead><tbody>\n";
  for (const auto& m : mt.methods) {
    if (!cell.count(m)) continue;
    t += "<tr><th>" + html_escape(m) + "</th>";
    for (const auto& c : cols) {
      const auto it = cell[m].find(c);
      if (it == cell[m].end()) {
        t += "<td></td>";
      } else if (!std::isfinite(it->second->value)) {
        t += fmt::format("<td title=\"n = {}\">–</td>", it->second->n);
      } else {
        t += fmt::format("<td title=\"n = {}\">{:.3f}</td>", it->second->n, it->second->value);
      }
    }
    t += "</tr>\n";
  }
  return t + "</tbody></table>\n";
}

std::string tables_section(const MetricsTable& mt) {
  std::string out = "<h2 id=\"tables\">Metric tables</h2>\n<p class=\"note\">Hover a value for the number of hits "
                    "(or bases) it is computed over. From metrics.tsv.</p>\n";
  std::vector<std::string> metrics(std::begin(kMetricOrder), std::end(kMetricOrder));
  for (const auto& r : mt.rows)
    if (std::find(metrics.begin(), metrics.end(), r.metric) == metrics.end()) metrics.push_back(r.metric);
  for (const auto& metric : metrics) {
    const std::string all = metric_table(mt, metric, false), tiers = metric_table(mt, metric, true);
    if (all.empty() && tiers.empty()) continue;
    out += fmt::format("<h3>{}</h3>\n{}", html_escape(metric), all);
    if (!tiers.empty()) out += "<details><summary>by number of instances</summary>\n" + tiers + "</details>\n";
  }
  return out;
}

// ---- the page --------------------------------------------------------------------------------

constexpr std::string_view kStyle = R"(
body { font-family: system-ui, sans-serif; margin: 20px 28px; color: #222; max-width: 1800px; }
h1 { margin-bottom: 4px; } h2 { border-bottom: 1px solid #ccc; padding-bottom: 3px; margin-top: 36px; }
h3 .note, .note { color: #666; font-weight: normal; font-size: 0.9em; }
#lb-status { font-family: monospace; padding: 4px 8px; background: #f3f3f3; display: inline-block; }
figure { margin: 14px 0; } .chart { overflow-x: auto; } figcaption { color: #555; font-size: 0.9em; max-width: 1100px; }
table { border-collapse: collapse; font-size: 0.85em; margin: 6px 0 14px; }
td, th { border: 1px solid #ddd; padding: 3px 7px; text-align: right; } thead th { background: #f5f5f5; text-align: center; }
tbody th { text-align: left; font-weight: normal; font-family: monospace; }
pre { background: #f7f7f7; padding: 10px; font-size: 0.85em; overflow-x: auto; }
.logo-wrap { overflow-x: auto; } svg.logo text.track { font: 11px monospace; }
svg.logo text.scale, svg.logo text.tick { font: 9px sans-serif; fill: #777; }
dl.info { display: grid; grid-template-columns: max-content auto; gap: 2px 14px; } dl.info dt { color: #666; } dl.info dd { margin: 0; }
)";

// Builds each chart's Vega-Lite spec from the embedded data and renders them all; #lb-status
// says "rendered N charts" once every vegaEmbed promise resolved, "error: ..." on any error.
constexpr std::string_view kScript = R"JS(
(function () {
  const status = document.getElementById('lb-status');
  let failed = false;
  function fail(msg) { failed = true; status.textContent = 'error: ' + msg; }
  window.onerror = function (msg, src, line) { fail(msg + ' (' + src + ':' + line + ')'); };
  window.addEventListener('unhandledrejection', function (e) {
    fail(e.reason && e.reason.message ? e.reason.message : String(e.reason));
  });
  const D = JSON.parse(document.getElementById('lb-data').textContent);
  const H = D.hits;
  const taskNames = ['task 0 (both)', 'task 1 (GATA1)', 'task 2 (TAL1)'];
  const taskName = t => taskNames[t] || ('task ' + t);
  const rows = H.x.map((x, i) => ({
    method: H.methods[H.m[i]], task: taskName(H.t[i]), t: H.t[i], motif: H.motifs[H.mo[i]],
    class: H.classes[H.c[i]], n_instances: H.n[i], log_odds: x, score: H.y[i]
  }));
  const color = { field: 'class', type: 'nominal', title: 'sequence class',
    scale: { domain: ['both', 'gata_only', 'tal_only', 'empty'], range: ['#d62728', '#1f77b4', '#2ca02c', '#222222'] } };
  const schema = 'https://vega.github.io/schema/vega-lite/v6.json';
  function inMethods(c) { return c.methods.length ? (m => c.methods.includes(m)) : (() => true); }
  function scatter(values, c, rowField, rowTitle, sort) {
    return { $schema: schema, title: c.title, data: { values: values },
      facet: { row: { field: rowField, type: 'ordinal', title: rowTitle, header: { labelAngle: 0, labelAlign: 'left' } },
               column: { field: 'method', type: 'nominal', sort: sort, title: null, header: { labelFontSize: 11 } } },
      spec: { width: sort.length <= 4 ? 160 : 92, height: sort.length <= 4 ? 120 : 85, layer: [
        { transform: [{ aggregate: [{ op: 'count', as: 'n' }] }], mark: { type: 'rule', color: '#aaa' }, encoding: { y: { datum: 0 } } },
        { mark: { type: 'circle', size: 14, opacity: 0.65 }, encoding: {
          x: { field: 'log_odds', type: 'quantitative', title: 'log-odds', scale: { zero: false } },
          y: { field: 'score', type: 'quantitative', title: 'score' }, color: color,
          tooltip: [{ field: 'method' }, { field: 'log_odds' }, { field: 'score' }, { field: 'class' }, { field: 'n_instances' }] } }
      ] },
      resolve: { scale: { y: 'independent', x: 'shared' } } };
  }
  function bars(values, c, column, sort, row) {
    const title = c.kind === 'fn' ? 'false-negative rate' : c.kind === 'fp' ? 'false-positive rate' : 'value';
    const facet = { column: { field: column, type: 'nominal', title: null, header: { labelFontSize: 11 } } };
    if (row) facet.row = { field: row, type: 'nominal', title: null, header: { labelAngle: 0, labelAlign: 'left' } };
    return { $schema: schema, title: c.title, data: { values: values }, facet: facet,
      spec: { width: 200, height: { step: 16 }, layer: [
        { mark: 'bar', encoding: { y: { field: 'method', type: 'nominal', sort: sort, title: null },
            x: { field: 'value', type: 'quantitative', title: title, scale: { domain: c.kind === 'loc' ? [0, 1] : undefined } },
            color: { field: 'method', type: 'nominal', sort: sort, legend: null },
            tooltip: [{ field: 'method' }, { field: 'value', format: '.3f' }, { field: 'n' }] } },
        { mark: { type: 'text', align: 'left', dx: 3, fontSize: 10 }, encoding: { y: { field: 'method', type: 'nominal', sort: sort },
            x: { field: 'value', type: 'quantitative' }, text: { field: 'value', format: '.2f' } } }
      ] } };
  }
  function spec(c) {
    const keep = inMethods(c);
    const sort = (c.methods.length ? c.methods : H.methods);
    if (c.kind === 'scatter') {
      return scatter(rows.filter(r => r.motif === c.motif && keep(r.method)), c, 'task', null, sort);
    }
    if (c.kind === 'tiers') {
      return scatter(rows.filter(r => r.motif === c.motif && r.t === 0 && r.n_instances > 0 && keep(r.method)),
                     c, 'n_instances', c.motif + ' instances in the sequence', sort);
    }
    const metric = { fn: 'fn_rate', fp: 'fp_rate' }[c.kind];
    const sortAll = D.methods;
    if (c.kind === 'loc') {
      const v = D.metrics.filter(r => (r.metric === 'loc_auroc' || r.metric === 'loc_auprc') && r.tier === 'all')
        .map(r => Object.assign({}, r, { task_name: taskName(r.task) }));
      return bars(v, c, 'metric', sortAll, 'task_name');
    }
    const v = D.metrics.filter(r => r.metric === metric && r.tier === 'all')
      .map(r => Object.assign({}, r, { panel: (c.kind === 'fp' ? taskName(r.task) + ': ' : '') + r.motif + ' hits' }));
    return bars(v, c, 'panel', sortAll);
  }
  try {
    const jobs = D.charts.map(c => vegaEmbed('#' + c.id, spec(c), { actions: false, renderer: 'canvas' })
      .then(res => {
        const el = document.getElementById(c.id);
        const drawn = el.querySelector('canvas, svg');
        if (!drawn || !(drawn.width > 0 || drawn.clientWidth > 0)) throw new Error('chart ' + c.id + ' is empty');
        return res;
      }));
    Promise.all(jobs).then(r => { if (!failed) status.textContent = 'rendered ' + r.length + ' charts'; })
      .catch(e => fail(e && e.message ? e.message : String(e)));
  } catch (e) {
    fail(e && e.message ? e.message : String(e));
  }
})();
)JS";


}  // namespace

ReportPage render_report(const std::string& outdir, const ReportInputs& in) {
  const std::string hits_path = outdir + "/hits.tsv", metrics_path = outdir + "/metrics.tsv",
                    json_path = outdir + "/metrics.json";
  const HitsData hits = read_hits(hits_path, in.max_scatter_seqs);
  const MetricsTable mt = read_metrics(metrics_path);
  Json meta;
  if (std::filesystem::exists(json_path)) meta = JsonParser(io::read_file(json_path), json_path).parse_document();

  // Methods in the order of metrics.tsv (the scores file's), then any only in hits.tsv.
  std::vector<std::string> methods = mt.methods;
  for (const auto& m : hits.methods)
    if (std::find(methods.begin(), methods.end(), m) == methods.end()) methods.push_back(m);
  std::map<std::string, std::string> reference_of;
  for (const auto& r : mt.rows) reference_of.try_emplace(r.method, r.reference);

  std::vector<std::string> motifs = hits.motifs;  // GATA first, as the paper's appendix G precedes Fig. 5
  std::stable_sort(motifs.begin(), motifs.end(), [](const auto& a, const auto& b) { return is_gata(a) && !is_gata(b); });
  std::string tal_motif;
  for (const auto& m : motifs)
    if (is_tal(m)) tal_motif = m;

  std::vector<Chart> charts;
  std::string figures;
  auto add = [&](Chart c) {
    c.id = fmt::format("lb-chart-{}", charts.size());
    figures += chart_div(c);
    charts.push_back(std::move(c));
  };
  const std::string shown =
      hits.n_seqs_shown < hits.n_seqs
          ? fmt::format(" Hits of {} of the {} scored sequences are shown (evenly spread; report option max_scatter_seqs).",
                        hits.n_seqs_shown, hits.n_seqs)
          : "";
  figures += "<h2 id=\"scatter\">Hit score against motif strength (appendix G(a), Fig. 5)</h2>\n";
  for (const auto& motif : motifs)
    add({"", "scatter", motif, fmt::format("{}: hit score vs log-odds", motif),
         fmt::format("Top hits of the {0} motif in every scored sequence. X: log-odds of the match against the "
                     "background; Y: total score of the match (sum of its per-base scores) for the row's task. "
                     "Red: sequences with both motifs; blue: GATA1 only; green: TAL1 only; black: none.{1}",
                     html_escape(motif), shown),
         {}});
  if (motifs.empty()) figures += "<p class=\"note\">hits.tsv has no hits.</p>\n";

  auto has_metric = [&](std::string_view name) {
    return std::any_of(mt.rows.begin(), mt.rows.end(), [&](const auto& r) { return r.metric == name && r.tier == "all"; });
  };
  figures += "<h2 id=\"rates\">False negatives and false positives (appendix G(b))</h2>\n";
  if (has_metric("fn_rate"))
    add({"", "fn", "", "False-negative rate on task 0",
         fmt::format("Share of strong hits (log-odds ≥ {}) in sequences with both motifs whose task-0 score is ≤ 0.",
                     html_escape(json_scalar_text(meta.get("log_odds_threshold")).empty()
                                     ? "the threshold"
                                     : json_scalar_text(meta.get("log_odds_threshold")))),
         {}});
  if (has_metric("fp_rate"))
    add({"", "fp", "", "False-positive rate of the irrelevant motif",
         "Share of strong hits of the motif a task does not depend on (TAL1 for task 1, GATA1 for task 2) scored > 0.",
         {}});
  if (has_metric("loc_auroc") || has_metric("loc_auprc"))
    add({"", "loc", "", "Localisation of the planted motifs",
         "auROC and auPRC of the per-base scores against the planted motif positions (motifs.bed).", {}});

  figures += "<h2 id=\"tiers\">Tiers by number of instances (appendix I)</h2>\n";
  if (hits.has_tal_task0)
    add({"", "tiers", tal_motif, fmt::format("{} hits on task 0 by number of {} instances", tal_motif, tal_motif),
         "Top hits of TAL1, task 0, one row per number of TAL1 instances planted in the sequence. Red: the sequence "
         "also has GATA1; green: TAL1 only.",
         {}});
  else
    figures += "<p class=\"note\">No TAL1 hits on task 0 in sequences with planted TAL1.</p>\n";

  // Appendix J: a method run with several references (deeplift:genomics, deeplift:genomics@dinuc_shuffle).
  figures += "<h2 id=\"references\">Reference comparison (appendix J)</h2>\n";
  std::map<std::string, std::vector<std::string>> by_base;
  std::vector<std::string> bases;
  for (const auto& m : methods) {
    const std::string base = m.substr(0, m.find('@'));
    if (!by_base.count(base)) bases.push_back(base);
    by_base[base].push_back(m);
  }
  bool any_group = false;
  for (const auto& base : bases) {
    const auto& group = by_base[base];
    if (group.size() < 2) continue;
    any_group = true;
    std::string refs;
    for (const auto& m : group)
      refs += fmt::format("{}{}{}", refs.empty() ? "" : " vs ", html_escape(m),
                          reference_of.count(m) ? fmt::format(" ({})", html_escape(reference_of[m])) : "");
    figures += fmt::format("<h3>{}</h3>\n", html_escape(base));
    for (const auto& motif : motifs)
      add({"", "scatter", motif, fmt::format("{}: {} by reference", motif, base),
           fmt::format("The panels above for {} only.", refs), group});
    if (hits.has_tal_task0)
      add({"", "tiers", tal_motif, fmt::format("{} tiers on task 0: {} by reference", tal_motif, base),
           fmt::format("The tier panels for {}.", refs), group});
  }
  if (!any_group)
    figures += "<p class=\"note\">No method was run with more than one reference (e.g. deeplift:genomics and "
               "deeplift:genomics@dinuc_shuffle).</p>\n";

  // Header facts.
  std::string info;
  auto fact = [&](std::string_view k, const std::string& v) {
    if (!v.empty()) info += fmt::format("<dt>{}</dt><dd>{}</dd>", k, html_escape(v));
  };
  fact("scan mode", json_scalar_text(meta.get("scan_mode")));
  fact("strands", json_scalar_text(meta.get("strands")));
  fact("strong hits", json_scalar_text(meta.get("log_odds_threshold")).empty()
                          ? ""
                          : "log-odds ≥ " + json_scalar_text(meta.get("log_odds_threshold")));
  fact("scored sequences", json_scalar_text(meta.get("n_sequences")));
  fact("hits", fmt::format("{} rows in hits.tsv", hits.n_rows));
  std::string method_list;
  for (const auto& m : methods) method_list += fmt::format("{}{}", method_list.empty() ? "" : ", ", m);
  fact("methods", method_list);
  std::string model_table;
  if (const Json* model = meta.get("model"); model && model->kind == Json::Kind::Object) {
    const Json* auroc = model->get("test_auroc");
    const Json* auprc = model->get("test_auprc");
    if (auroc && auroc->kind == Json::Kind::Array) {
      model_table = "<table><thead><tr><th></th>";
      for (std::size_t t = 0; t < auroc->items.size(); ++t) model_table += fmt::format("<th>task {}</th>", t);
      model_table += "</tr></thead><tbody>";
      for (const auto& [name, arr] : {std::pair{"test auROC", auroc}, std::pair{"test auPRC", auprc}}) {
        if (!arr || arr->kind != Json::Kind::Array) continue;
        model_table += fmt::format("<tr><th>{}</th>", name);
        for (const auto& v : arr->items) model_table += fmt::format("<td>{:.3f}</td>", v.number);
        model_table += "</tr>";
      }
      model_table += "</tbody></table>\n";
    }
  }

  std::string data = "{\"hits\":" + hits.json + ",\"metrics\":" + metrics_rows_json(mt) + ",\"methods\":[";
  for (std::size_t i = 0; i < methods.size(); ++i) data += fmt::format("{}{}", i ? "," : "", json_string(methods[i]));
  data += "],\"charts\":[";
  for (std::size_t i = 0; i < charts.size(); ++i) data += fmt::format("{}{}", i ? "," : "", chart_json(charts[i]));
  data += "]}";

  ReportPage page;
  page.n_charts = static_cast<int>(charts.size());
  std::string& h = page.html;
  h.reserve(1 << 21);
  h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>liftbench report</title>\n";
  h += fmt::format("<style>{}</style>\n", kStyle);
  h += "<!-- " + html_escape(web::versions()) + ", inlined -->\n";
  h += inline_script(web::vega_js());
  h += inline_script(web::vega_lite_js());
  h += inline_script(web::vega_embed_js());
  h += "</head>\n<body>\n<h1>liftbench report</h1>\n";
  h += fmt::format("<div id=\"lb-status\" data-charts=\"{}\">rendering {} charts…</div>\n", page.n_charts, page.n_charts);
  h += "<p><a href=\"#scatter\">scatter</a> · <a href=\"#rates\">false negatives/positives</a> · <a href=\"#tiers\">tiers</a> · "
       "<a href=\"#references\">references</a> · <a href=\"#logos\">logos</a> · <a href=\"#tables\">tables</a> · "
       "<a href=\"#scenario\">scenario</a> · <a href=\"#config\">config</a></p>\n";
  h += "<dl class=\"info\">" + info + "</dl>\n";
  if (!model_table.empty()) h += "<h3>Model (test split)</h3>\n" + model_table;
  h += scenario_section(in);
  h += figures;
  h += logos_section(in);
  h += tables_section(mt);
  h += "<h2 id=\"config\">Configuration and versions</h2>\n<dl class=\"info\">";
  h += fmt::format("<dt>liftbench</dt><dd>{}</dd><dt>compiler</dt><dd>{} ({})</dd><dt>charts</dt><dd>{}</dd>",
                   build::kVersion, html_escape(build::kCompiler), html_escape(build::kBuildType),
                   html_escape(web::versions()));
  if (const std::string v = json_scalar_text(meta.get("version")); !v.empty())
    h += fmt::format("<dt>evaluated by</dt><dd>liftbench {}</dd>", html_escape(v));
  h += "</dl>\n<pre>" + html_escape(in.config_ini.empty() ? "(no configuration given)" : in.config_ini) + "</pre>\n";
  h += "<script type=\"application/json\" id=\"lb-data\">" + data + "</script>\n";
  h += inline_script(kScript);
  h += "</body>\n</html>\n";
  return page;
}

void write_report(const std::string& outdir, const ReportInputs& in) {
  const ReportPage page = render_report(outdir, in);
  const std::string dir = outdir + "/report";
  io::ensure_output_dir(dir);
  io::write_file_atomic(dir + "/index.html", page.html);
}

}  // namespace lb::eval
