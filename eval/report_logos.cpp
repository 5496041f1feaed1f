// The attribution logos of the report (appendix H): example sequences drawn as inline SVG, one
// track per method, planted motifs boxed in their key's colour.
#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>
#include <set>

#include <fmt/format.h>

#include "core/error.h"
#include "eval/html.h"
#include "eval/report_parts.h"
#include "io/npz.h"

namespace lb::eval::report {

namespace {

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
      svg += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" stroke=\"{}\" "
          "stroke-width=\"1.5\"><title>{} {}-{}</title></rect>",
          kLabel + kCell * static_cast<double>(s.start), top + 1, kCell * static_cast<double>(s.end - s.start),
          2 * kHalf - 2, key_colour(s.key), html_escape(s.motif), s.start, s.end);
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

}  // namespace

std::string glyph_defs(std::string_view prefix) {
  const std::string c = ring_path(40, 320, 0.5, 0.5, 0.31, 0.33);
  const std::string g = ring_path(40, 360, 0.5, 0.5, 0.31, 0.33) + " M0.52 0.38 L1 0.38 L1 0.52 L0.52 0.52 Z";
  return fmt::format(
      "<svg width=\"0\" height=\"0\" style=\"position:absolute\" aria-hidden=\"true\"><defs>"
      "<path id=\"{0}-A\" fill-rule=\"evenodd\" d=\"M0 0 L0.4 1 L0.6 1 L1 0 L0.79 0 L0.69 0.27 L0.31 0.27 "
      "L0.21 0 Z M0.37 0.43 L0.5 0.78 L0.63 0.43 Z\"/>"
      "<path id=\"{0}-C\" d=\"{1}\"/><path id=\"{0}-G\" d=\"{2}\"/>"
      "<path id=\"{0}-T\" d=\"M0 1 L1 1 L1 0.85 L0.58 0.85 L0.58 0 L0.42 0 L0.42 0.85 L0 0.85 Z\"/>"
      "</defs></svg>\n",
      prefix, c, g);
}

std::string matrix_logo_svg(const std::vector<std::array<float, 4>>& heights, int first_column, int n_columns,
                            double unit, std::string_view label, std::string_view prefix) {
  constexpr double kCell = 14, kLabel = 200, kTop = 4;
  double up = 0, down = 0;  // the tallest stacks, in units of `heights`
  for (const auto& col : heights) {
    double u = 0, d = 0;
    for (const float v : col) (v > 0 ? u : d) += std::abs(v);
    up = std::max(up, u);
    down = std::max(down, d);
  }
  const double h_up = up * unit, h_down = down * unit;
  const double width = kLabel + kCell * n_columns + 4, height = kTop + h_up + h_down + 4;
  std::string svg = fmt::format(
      "<svg class=\"logo\" width=\"{0:.0f}\" height=\"{1:.0f}\" viewBox=\"0 0 {0:.0f} {1:.0f}\" "
      "xmlns=\"http://www.w3.org/2000/svg\"><text x=\"0\" y=\"{2:.1f}\" class=\"track\">{3}</text>",
      width, height, kTop + h_up + 4, html_escape(label));
  const double base_y = kTop + h_up;
  svg += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#999\" stroke-width=\"0.5\"/>",
                     kLabel + kCell * first_column, kLabel + kCell * (first_column + static_cast<int>(heights.size())),
                     base_y);
  for (std::size_t j = 0; j < heights.size(); ++j) {
    const double x = kLabel + kCell * (first_column + static_cast<double>(j));
    // Positive letters stacked up from the line, the largest on top; negative ones down, the
    // largest at the bottom, drawn upside down.
    std::array<int, 4> order{0, 1, 2, 3};
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return std::abs(heights[j][static_cast<std::size_t>(a)]) < std::abs(heights[j][static_cast<std::size_t>(b)]); });
    double y_up = base_y, y_down = base_y;
    for (const int b : order) {
      const double h = heights[j][static_cast<std::size_t>(b)] * unit;
      if (std::abs(h) < 0.05) continue;
      if (h > 0) {
        svg += fmt::format("<use href=\"#{}-{}\" fill=\"{}\" transform=\"translate({:.1f},{:.2f}) scale({},{:.2f})\"/>",
                           prefix, "ACGT"[b], kBaseColours[b], x, y_up, kCell, -h);
        y_up -= h;
      } else {
        svg += fmt::format("<use href=\"#{}-{}\" fill=\"{}\" transform=\"translate({:.1f},{:.2f}) scale({},{:.2f})\"/>",
                           prefix, "ACGT"[b], kBaseColours[b], x, y_down, kCell, -h);
        y_down -= h;
      }
    }
  }
  return svg + "</svg>";
}

std::string_view key_colour(int key) {
  constexpr std::string_view kColours[] = {"#1f5fd6", "#1a9e3a", "#d6601f", "#8e3fb0", "#b8860b", "#c2185b",
                                           "#00838f", "#6d4c41", "#5c6bc0", "#7cb342"};
  constexpr auto n = static_cast<int>(std::size(kColours));
  return key < 0 ? std::string_view("#888888") : kColours[key % n];
}

std::string logos_section(const ReportInputs& in, const sim::Dataset* dsp, const ScenarioInfo& info) {
  std::string out = fmt::format("<h2 id=\"logos\">Attribution logos{}</h2>\n", info.paper ? " (appendix H)" : "");
  if (in.scores_path.empty() || !dsp)
    return out + "<p class=\"note\">No scores file or dataset given: no logos.</p>\n";
  const sim::Dataset& ds = *dsp;
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
    if (io::is_scores_metadata(name) || name.find('.') != std::string::npos) continue;
    if (arr.shape.size() != 4 || arr.shape[0] != static_cast<std::int64_t>(ids.size()) || arr.shape[2] != 4 ||
        arr.shape[3] != seq_len)
      throw InputError(fmt::format("{}: array '{}': wrong shape; expected (N,T,4,L) = ({},T,4,{}), got {}",
                                   in.scores_path, name, ids.size(), seq_len, arr.shape_str()));
    n_tasks = static_cast<int>(arr.shape[1]);
    methods.push_back({name, arr.to_f32(in.scores_path)});
  }
  if (methods.empty()) return out + "<p class=\"note\">The scores file has no methods: no logos.</p>\n";
  // Column t of the scores is dataset task tasks[t] (attribution.tasks; all tasks without it).
  std::vector<std::int64_t> task_of(static_cast<std::size_t>(n_tasks));
  for (int t = 0; t < n_tasks; ++t) task_of[static_cast<std::size_t>(t)] = t;
  for (const auto& [name, arr] : archive)
    if (name == "tasks") task_of = arr.to_i64(fmt::format("{}: array 'tasks'", in.scores_path));
  int logo_task = in.logo_task;
  if (logo_task < 0) {
    // Automatic: the first task that depends on the fewest motifs (by the roles), so a logo
    // shows one motif's attribution (the paper's appendix H: task 1, GATA1 only).
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
  // The task's name, and a legend of the motifs that can be boxed: one colour per key.
  std::string task_name = fmt::format("column {}", logo_task);
  if (logo_task < static_cast<int>(task_of.size()) && task_of[static_cast<std::size_t>(logo_task)] >= 0 &&
      task_of[static_cast<std::size_t>(logo_task)] < ds.n_tasks())
    task_name = ds.tasks[static_cast<std::size_t>(task_of[static_cast<std::size_t>(logo_task)])].name;
  std::map<int, std::string> motif_of_key;
  for (const auto& site : ds.sites) motif_of_key.try_emplace(site.key, site.motif);
  std::string legend;
  for (const auto& [key, motif] : motif_of_key) {
    const std::string key_name =
        key >= 0 && key < ds.n_keys() ? ds.motif_keys[static_cast<std::size_t>(key)] : std::string("unknown key");
    legend += fmt::format("{}<span style=\"color:{}\">{} ({})</span>", legend.empty() ? "" : ", ", key_colour(key),
                          html_escape(key_name), html_escape(motif));
  }
  out += fmt::format(
      "<p>Per-base scores for task {} (the sum of a position's contributions over A,C,G,T), drawn as the observed "
      "base: letters above the line for positive scores, upside down below it for negative ones. Each track is "
      "scaled to its own largest |score|. Planted motifs are boxed by motif: {}.{}</p>\n",
      html_escape(task_name), legend.empty() ? "none planted" : legend,
      info.paper ? " (Appendix H: GATA1 blue, TAL1 green.)" : "");
  out += glyph_defs("lb-glyph");
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
                       html_escape(id), html_escape(cls), planted.empty() ? "none" : planted);
    out += logo_svg(r, seq_len, n_tasks, logo_task, base, methods, sites) + "</div>\n";
  }
  return out;
}


}  // namespace lb::eval::report
