// Aggregating a sweep's runs: long table, summaries over seeds, paired comparisons with the sign
// test and Holm's adjustment, and the comparison page (rules in eval/aggregate.h).
#include "eval/aggregate.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "core/error.h"
#include "eval/bootstrap.h"
#include "eval/html.h"
#include "eval/metrics.h"
#include "eval/metric_catalogue.h"
#include "io/atomic_file.h"
#include "io/tsv.h"

namespace lb::eval {

namespace {

namespace fs = std::filesystem;

std::string num(double v) { return std::isfinite(v) ? fmt::format("{:.6g}", v) : std::string("nan"); }

double parse_value(const std::string& s) {
  if (s.empty() || s == "nan" || s == "NaN" || s == "-") return kNaN;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  return end && *end == '\0' ? v : kNaN;
}

/// Index of the first appearance of `key` in `order`, appending it when new.
template <class K>
std::size_t index_of(std::map<K, std::size_t>& seen, std::vector<K>& order, const K& key) {
  const auto [it, added] = seen.try_emplace(key, order.size());
  if (added) order.push_back(key);
  return it->second;
}

}  // namespace

SweepTable read_sweep_table(const std::string& dir) {
  SweepTable t;
  const std::string axes_path = dir + "/axes.tsv", points_path = dir + "/points.tsv";
  const io::TsvTable axes = io::read_tsv(axes_path);
  const int c_axis = axes.column("axis", axes_path), c_role = axes.column("role", axes_path);
  for (std::size_t r = 0; r < axes.rows.size(); ++r) {
    const std::string& role = axes.rows[r][static_cast<std::size_t>(c_role)];
    if (role != "condition" && role != "replicate")
      throw input_error(axes_path, axes.lines[r], "bad role", "condition or replicate", "'" + role + "'");
    t.keys.push_back(axes.rows[r][static_cast<std::size_t>(c_axis)]);
    t.replicate.push_back(role == "replicate");
  }
  const io::TsvTable pts = io::read_tsv(points_path);
  const int c_point = pts.column("point", points_path), c_eval = pts.column("evaluate", points_path);
  std::vector<int> c_keys;
  for (const auto& k : t.keys) c_keys.push_back(pts.column(k, points_path));
  int c_disc = -1;  // optional: sweeps without a discover step, and those written before it
  for (std::size_t c = 0; c < pts.header.size(); ++c)
    if (pts.header[c] == "discover") c_disc = static_cast<int>(c);
  for (std::size_t r = 0; r < pts.rows.size(); ++r) {
    SweepPoint p;
    p.id = pts.rows[r][static_cast<std::size_t>(c_point)];
    for (const int c : c_keys) p.values.push_back(pts.rows[r][static_cast<std::size_t>(c)]);
    p.eval_dir = pts.rows[r][static_cast<std::size_t>(c_eval)];
    if (c_disc >= 0 && pts.rows[r][static_cast<std::size_t>(c_disc)] != "-")
      p.discover_dir = pts.rows[r][static_cast<std::size_t>(c_disc)];
    t.points.push_back(std::move(p));
  }
  if (t.points.empty()) throw InputError(fmt::format("{}: no grid points; expected at least one row", points_path));
  return t;
}

std::string condition_label(const SweepTable& t, const SweepPoint& p) {
  std::string label;
  for (std::size_t a = 0; a < t.keys.size(); ++a) {
    if (t.replicate[a]) continue;
    if (!label.empty()) label += "; ";
    label += t.keys[a] + "=" + p.values[a];
  }
  return label.empty() ? "all" : label;
}

std::vector<RunMetric> read_run_metrics(const std::string& dir, const SweepTable& t) {
  std::vector<RunMetric> out;
  for (const auto& p : t.points) {
    const std::string eval_dir = dir + "/" + p.eval_dir, metrics = eval_dir + "/metrics.tsv";
    if (!fs::exists(metrics))
      throw InputError(fmt::format("{}: point {} has no evaluation; expected {} (run the sweep first)",
                                   dir + "/points.tsv", p.id, metrics));
    const std::string condition = condition_label(t, p);
    const io::TsvTable m = io::read_tsv(metrics);
    const int cm = m.column("method", metrics), cr = m.column("reference", metrics), ct = m.column("task", metrics),
              cmo = m.column("motif", metrics), cme = m.column("metric", metrics), cti = m.column("tier", metrics),
              cv = m.column("value", metrics);
    auto at = [](const std::vector<std::string>& row, int c) { return row[static_cast<std::size_t>(c)]; };
    for (std::size_t r = 0; r < m.rows.size(); ++r) {
      const auto& row = m.rows[r];
      metric_info(at(row, cme), Output::MetricsTsv, metrics, m.lines[r]);
      out.push_back({p.id, condition, at(row, cm), at(row, cr), at(row, ct), at(row, cmo), at(row, cme), at(row, cti),
                     parse_value(at(row, cv))});
    }
    if (!p.discover_dir.empty()) {
      // Discovery's rows carry no reference: the method's, from its rows of metrics.tsv.
      std::map<std::string, std::string> reference;
      for (const auto& row : m.rows) reference.try_emplace(at(row, cm), at(row, cr));
      const std::string path = dir + "/" + p.discover_dir + "/discovery.tsv";
      if (!fs::exists(path))
        throw InputError(fmt::format("{}: point {} has no discovery; expected {} (run the sweep first)",
                                     dir + "/points.tsv", p.id, path));
      const io::TsvTable d = io::read_tsv(path);
      const int dm = d.column("method", path), dt = d.column("task", path), dmo = d.column("motif", path),
                dme = d.column("metric", path), dv = d.column("value", path);
      for (std::size_t r = 0; r < d.rows.size(); ++r) {
        const auto& row = d.rows[r];
        metric_info(at(row, dme), Output::DiscoveryTsv, path, d.lines[r]);
        const auto ref = reference.find(at(row, dm));
        out.push_back({p.id, condition, at(row, dm), ref == reference.end() ? "-" : ref->second, at(row, dt),
                       at(row, dmo), at(row, dme), "all", parse_value(at(row, dv))});
      }
    }
    const std::string roles = eval_dir + "/role_metrics.tsv";
    if (!fs::exists(roles)) continue;
    const io::TsvTable rm = io::read_tsv(roles);
    const int rm_m = rm.column("method", roles), rm_r = rm.column("reference", roles), rm_t = rm.column("task", roles),
              rm_me = rm.column("metric", roles), rm_v = rm.column("value", roles);
    for (std::size_t r = 0; r < rm.rows.size(); ++r) {
      const auto& row = rm.rows[r];
      metric_info(at(row, rm_me), Output::RoleMetricsTsv, roles, rm.lines[r]);
      std::string task = at(row, rm_t);
      if (task.starts_with("task")) task = task.substr(4);  // role_metrics.tsv writes "task0"
      out.push_back({p.id, condition, at(row, rm_m), at(row, rm_r), task, "-", at(row, rm_me), "all",
                     parse_value(at(row, rm_v))});
    }
  }
  return out;
}

double sign_test_p(int wins, int losses) {
  const int n = wins + losses;
  if (n == 0) return 1.0;
  const double dev = std::abs(wins - 0.5 * n);
  const double log_half_n = -n * std::log(2.0);
  double p = 0;
  for (int x = 0; x <= n; ++x) {
    if (std::abs(x - 0.5 * n) < dev - 1e-9) continue;
    p += std::exp(std::lgamma(n + 1.0) - std::lgamma(x + 1.0) - std::lgamma(n - x + 1.0) + log_half_n);
  }
  return std::min(1.0, p);
}

std::vector<double> holm_adjust(const std::vector<double>& p) {
  const std::size_t m = p.size();
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
  std::vector<double> adj(m);
  double running = 0;
  for (std::size_t j = 0; j < m; ++j) {
    running = std::max(running, std::min(1.0, static_cast<double>(m - j) * p[order[j]]));
    adj[order[j]] = running;
  }
  return adj;
}

std::vector<SummaryRow> summarize(const std::vector<RunMetric>& rows, const AggregateConfig& cfg) {
  using Key = std::tuple<std::string, std::string, std::string, std::string, std::string, std::string>;
  std::map<Key, std::size_t> seen;
  std::vector<Key> order;
  std::vector<SummaryRow> out;
  for (const auto& r : rows) {
    const std::size_t i = index_of(seen, order, Key{r.condition, r.task, r.motif, r.metric, r.tier, r.method});
    if (i == out.size())
      out.push_back({.condition = r.condition, .method = r.method, .reference = r.reference, .task = r.task,
                     .motif = r.motif, .metric = r.metric, .tier = r.tier, .values = {}});
    if (std::isfinite(r.value)) out[i].values.push_back(r.value);
  }
  BootstrapConfig bc{.resamples = cfg.resamples, .seed = cfg.seed, .level = 0.95};
  for (auto& s : out) {
    s.runs = static_cast<int>(s.values.size());
    if (s.runs == 0) {
      s.mean = s.sd = s.lo = s.hi = s.min = s.max = kNaN;
      continue;
    }
    double sum = 0;
    for (const double v : s.values) sum += v;
    s.mean = sum / s.runs;
    double ss = 0;
    for (const double v : s.values) ss += (v - s.mean) * (v - s.mean);
    s.sd = s.runs > 1 ? std::sqrt(ss / (s.runs - 1)) : kNaN;
    const Interval iv = bootstrap_mean(s.values, bc);
    s.lo = iv.lo;
    s.hi = iv.hi;
    s.min = *std::min_element(s.values.begin(), s.values.end());
    s.max = *std::max_element(s.values.begin(), s.values.end());
  }
  return out;
}

std::vector<ComparisonRow> compare_methods(const std::vector<RunMetric>& rows, const AggregateConfig& cfg) {
  // Group: (condition, task, motif, metric) of tier "all"; within it, method -> point -> value.
  using Group = std::tuple<std::string, std::string, std::string, std::string>;
  std::map<Group, std::size_t> seen;
  std::vector<Group> order;
  std::vector<std::vector<std::string>> methods;                          // per group, first appearance
  std::vector<std::map<std::string, std::map<std::string, double>>> vals;  // per group: method -> point -> value
  std::vector<std::vector<std::string>> points;                           // per group, first appearance
  for (const auto& r : rows) {
    if (r.tier != "all") continue;
    const std::size_t g = index_of(seen, order, Group{r.condition, r.task, r.motif, r.metric});
    if (g == methods.size()) {
      methods.emplace_back();
      vals.emplace_back();
      points.emplace_back();
    }
    if (std::find(methods[g].begin(), methods[g].end(), r.method) == methods[g].end()) methods[g].push_back(r.method);
    if (std::find(points[g].begin(), points[g].end(), r.point) == points[g].end()) points[g].push_back(r.point);
    vals[g][r.method][r.point] = r.value;
  }
  BootstrapConfig bc{.resamples = cfg.resamples, .seed = cfg.seed, .level = 0.95};
  std::vector<ComparisonRow> out;
  for (std::size_t g = 0; g < order.size(); ++g) {
    const std::size_t first = out.size();
    const auto& [condition, task, motif, metric] = order[g];
    for (std::size_t i = 0; i < methods[g].size(); ++i)
      for (std::size_t j = i + 1; j < methods[g].size(); ++j) {
        ComparisonRow c{.condition = condition, .task = task, .motif = motif, .metric = metric, .tier = "all",
                        .a = methods[g][i], .b = methods[g][j]};
        const auto& va = vals[g][c.a];
        const auto& vb = vals[g][c.b];
        std::vector<double> diffs;
        double sa = 0, sb = 0;
        for (const auto& pt : points[g]) {
          const auto ia = va.find(pt), ib = vb.find(pt);
          if (ia == va.end() || ib == vb.end() || !std::isfinite(ia->second) || !std::isfinite(ib->second)) continue;
          sa += ia->second;
          sb += ib->second;
          diffs.push_back(ia->second - ib->second);
          if (ia->second > ib->second) ++c.wins;
          else if (ia->second < ib->second) ++c.losses;
          else ++c.ties;
        }
        c.runs = static_cast<int>(diffs.size());
        if (c.runs == 0) {
          c.mean_a = c.mean_b = c.diff = c.lo = c.hi = kNaN;
        } else {
          c.mean_a = sa / c.runs;
          c.mean_b = sb / c.runs;
          double sd = 0;
          for (const double d : diffs) sd += d;
          c.diff = sd / c.runs;
          const Interval iv = bootstrap_mean(diffs, bc);
          c.lo = iv.lo;
          c.hi = iv.hi;
        }
        c.p_sign = sign_test_p(c.wins, c.losses);
        out.push_back(std::move(c));
      }
    std::vector<double> p;
    for (std::size_t k = first; k < out.size(); ++k) p.push_back(out[k].p_sign);
    const std::vector<double> adj = holm_adjust(p);
    for (std::size_t k = first; k < out.size(); ++k) {
      out[k].p_holm = adj[k - first];
      out[k].real = out[k].p_holm < cfg.alpha;
    }
  }
  return out;
}

namespace {

/// A row's cell with an error bar over [lo, hi] and the runs as dots, on the table's scale.
std::string spread_svg(const SummaryRow& s, double lo, double hi) {
  constexpr double kW = 220, kH = 18, kPad = 6;
  if (!std::isfinite(s.mean) || !(hi > lo)) return "";
  auto x = [&](double v) { return kPad + (kW - 2 * kPad) * (v - lo) / (hi - lo); };
  std::string svg = fmt::format(R"(<svg width="{}" height="{}" role="img">)", kW, kH);
  for (const double v : s.values)
    svg += fmt::format(R"(<circle cx="{:.1f}" cy="13" r="1.8" fill="#9aa"/>)", x(v));
  if (std::isfinite(s.lo) && std::isfinite(s.hi))
    svg += fmt::format(R"(<line x1="{:.1f}" x2="{:.1f}" y1="6" y2="6" stroke="#234" stroke-width="2"/>)", x(s.lo),
                       x(s.hi));
  svg += fmt::format(R"(<circle cx="{:.1f}" cy="6" r="3.2" fill="#c33"/></svg>)", x(s.mean));
  return svg;
}

std::string page(const std::string& dir, const SweepTable& t, const std::vector<SummaryRow>& summary,
                 const std::vector<ComparisonRow>& comps, int n_runs) {
  std::string h = R"(<!doctype html><html><head><meta charset="utf-8"><title>liftbench sweep</title><style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
.real{color:#060;font-weight:600}.no{color:#888}h3{margin-bottom:.2em}
</style></head><body>)";
  h += fmt::format("<h1>liftbench sweep</h1><p>{} runs of {} grid points in <code>{}</code>. Axes: ", n_runs,
                   t.points.size(), html_escape(dir));
  for (std::size_t a = 0; a < t.keys.size(); ++a)
    h += fmt::format("{}<code>{}</code> ({})", a ? ", " : "", html_escape(t.keys[a]),
                     t.replicate[a] ? "replicate" : "condition");
  h += ".</p><p>Each table ranks the methods by their mean over the runs of one condition (tier <i>all</i>): "
       "the bar is the 95% bootstrap interval of the mean over runs, the grey dots the runs themselves. "
       "<i>vs best</i> is the paired comparison with the first row: mean difference, the exact sign test over "
       "runs, Holm-adjusted across the method pairs of the table; <span class=real>real</span> when the adjusted "
       "p &lt; 0.05 (docs/sweeps.md).</p>";
  // Tables: (condition, task, motif, metric) of tier all, in first-appearance order.
  using Key = std::tuple<std::string, std::string, std::string, std::string>;
  std::map<Key, std::vector<const SummaryRow*>> tables;
  std::vector<Key> order;
  for (const auto& s : summary) {
    if (s.tier != "all") continue;
    const Key k{s.condition, s.task, s.motif, s.metric};
    auto [it, added] = tables.try_emplace(k);
    if (added) order.push_back(k);
    it->second.push_back(&s);
  }
  std::map<std::tuple<std::string, std::string, std::string, std::string, std::string, std::string>,
           const ComparisonRow*>
      comp_of;
  for (const auto& c : comps) comp_of[{c.condition, c.task, c.motif, c.metric, c.a, c.b}] = &c;
  std::string last_condition;
  for (const auto& k : order) {
    const auto& [condition, task, motif, metric] = k;
    if (condition != last_condition) {
      h += fmt::format("<h2>{}</h2>", html_escape(condition));
      last_condition = condition;
    }
    std::vector<const SummaryRow*> rows = tables[k];
    const Better better = metric_info(metric).better;  // read_run_metrics checked every name
    if (better != Better::NotRanked)
      std::stable_sort(rows.begin(), rows.end(), [&](const SummaryRow* a, const SummaryRow* b) {
        if (!std::isfinite(a->mean)) return false;
        if (!std::isfinite(b->mean)) return true;
        return better == Better::Lower ? a->mean < b->mean : a->mean > b->mean;
      });
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const auto* s : rows)
      for (const double v : s->values) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    if (hi <= lo) hi = lo + 1;
    h += fmt::format("<h3>{} &middot; task {}{}</h3><p class=no>{}; scale {} to {}</p>", html_escape(metric),
                     html_escape(task), motif == "-" ? "" : " &middot; " + html_escape(motif),
                     better == Better::NotRanked ? std::string_view("unranked") : direction_words(better),
                     num(lo), num(hi));
    h += "<table><tr><th>method</th><th>runs</th><th>mean</th><th>95% interval</th><th>sd</th><th>runs and "
         "interval</th><th>vs best</th></tr>";
    for (std::size_t r = 0; r < rows.size(); ++r) {
      const SummaryRow& s = *rows[r];
      std::string vs = r == 0 ? "" : "–";
      if (r > 0) {
        const ComparisonRow* c = nullptr;
        double sign = 1;
        if (auto it = comp_of.find({condition, task, motif, metric, rows[0]->method, s.method}); it != comp_of.end())
          c = it->second;
        else if (auto it2 = comp_of.find({condition, task, motif, metric, s.method, rows[0]->method});
                 it2 != comp_of.end()) {
          c = it2->second;
          sign = -1;
        }
        if (c)
          vs = fmt::format("<span class={}>{} {} (p<sub>Holm</sub> {}; {}/{}/{})</span>", c->real ? "real" : "no",
                           c->real ? "real" : "not shown", num(sign * c->diff), num(c->p_holm),
                           sign > 0 ? c->wins : c->losses, sign > 0 ? c->losses : c->wins, c->ties);
      }
      h += fmt::format("<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>[{}, {}]</td><td "
                       "class=n>{}</td><td>{}</td><td>{}</td></tr>",
                       html_escape(s.method), s.runs, num(s.mean), num(s.lo), num(s.hi), num(s.sd),
                       spread_svg(s, lo, hi), vs);
    }
    h += "</table>";
  }
  h += "</body></html>\n";
  return h;
}

}  // namespace

int write_aggregate(const std::string& dir, const AggregateConfig& cfg) {
  const SweepTable t = read_sweep_table(dir);
  const std::vector<RunMetric> rows = read_run_metrics(dir, t);
  const std::vector<SummaryRow> summary = summarize(rows, cfg);
  const std::vector<ComparisonRow> comps = compare_methods(rows, cfg);
  const std::string out = dir + "/aggregate";
  io::ensure_output_dir(out);

  std::vector<std::string> run_header{"point", "condition"};
  for (const auto& k : t.keys) run_header.push_back(k);
  for (const char* c : {"method", "reference", "task", "motif", "metric", "tier", "value"}) run_header.push_back(c);
  std::map<std::string, const SweepPoint*> point_of;
  for (const auto& p : t.points) point_of[p.id] = &p;
  std::vector<std::vector<std::string>> run_rows;
  for (const auto& r : rows) {
    std::vector<std::string> row{r.point, r.condition};
    for (const auto& v : point_of[r.point]->values) row.push_back(v);
    for (const std::string* f : {&r.method, &r.reference, &r.task, &r.motif, &r.metric, &r.tier}) row.push_back(*f);
    row.push_back(num(r.value));
    run_rows.push_back(std::move(row));
  }
  io::write_tsv(out + "/runs.tsv", run_header, run_rows);

  std::vector<std::vector<std::string>> srows;
  for (const auto& s : summary)
    srows.push_back({s.condition, s.method, s.reference, s.task, s.motif, s.metric, s.tier, std::to_string(s.runs),
                     num(s.mean), num(s.sd), num(s.lo), num(s.hi), num(s.min), num(s.max)});
  io::write_tsv(out + "/summary.tsv",
                {"condition", "method", "reference", "task", "motif", "metric", "tier", "runs", "mean", "sd", "ci_lo",
                 "ci_hi", "min", "max"},
                srows);

  std::vector<std::vector<std::string>> crows;
  for (const auto& c : comps)
    crows.push_back({c.condition, c.task, c.motif, c.metric, c.tier, c.a, c.b, std::to_string(c.runs), num(c.mean_a),
                     num(c.mean_b), num(c.diff), num(c.lo), num(c.hi), std::to_string(c.wins),
                     std::to_string(c.losses), std::to_string(c.ties), num(c.p_sign), num(c.p_holm),
                     c.real ? "yes" : "no"});
  io::write_tsv(out + "/comparisons.tsv",
                {"condition", "task", "motif", "metric", "tier", "method_a", "method_b", "runs", "mean_a", "mean_b",
                 "a_minus_b", "ci_lo", "ci_hi", "wins", "losses", "ties", "p_sign", "p_holm", "real"},
                crows);

  std::string json = "{\"summary\":[";
  for (std::size_t i = 0; i < summary.size(); ++i) {
    const auto& s = summary[i];
    json += fmt::format(
        "{}{{\"condition\":{},\"method\":{},\"reference\":{},\"task\":{},\"motif\":{},\"metric\":{},\"tier\":{},"
        "\"runs\":{},\"mean\":{},\"sd\":{},\"ci_lo\":{},\"ci_hi\":{},\"values\":[",
        i ? "," : "", json_string(s.condition), json_string(s.method), json_string(s.reference), json_string(s.task),
        json_string(s.motif), json_string(s.metric), json_string(s.tier), s.runs, json_number(s.mean),
        json_number(s.sd), json_number(s.lo), json_number(s.hi));
    for (std::size_t v = 0; v < s.values.size(); ++v) {
      if (v) json += ',';
      json += json_number(s.values[v]);
    }
    json += "]}";
  }
  json += "],\"comparisons\":[";
  for (std::size_t i = 0; i < comps.size(); ++i) {
    const auto& c = comps[i];
    json += fmt::format(
        "{}{{\"condition\":{},\"task\":{},\"motif\":{},\"metric\":{},\"a\":{},\"b\":{},\"runs\":{},\"a_minus_b\":{},"
        "\"ci_lo\":{},\"ci_hi\":{},\"wins\":{},\"losses\":{},\"ties\":{},\"p_sign\":{},\"p_holm\":{},\"real\":{}}}",
        i ? "," : "", json_string(c.condition), json_string(c.task), json_string(c.motif), json_string(c.metric),
        json_string(c.a), json_string(c.b), c.runs, json_number(c.diff), json_number(c.lo), json_number(c.hi), c.wins,
        c.losses, c.ties, json_number(c.p_sign), json_number(c.p_holm), c.real ? "true" : "false");
  }
  json += "]}\n";
  io::write_file_atomic(out + "/summary.json", json);
  std::set<std::string> points;
  for (const auto& r : rows) points.insert(r.point);
  io::write_file_atomic(out + "/index.html", page(dir, t, summary, comps, static_cast<int>(points.size())));
  return static_cast<int>(points.size());
}

}  // namespace lb::eval
