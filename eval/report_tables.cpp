// The report's HTML tables: the ranked table of one task and metric, the scenario overview, one
// section per task with the ranked tables of its role metrics, and the metric tables of
// metrics.tsv (those with intervals in their own section). Orders, captions and directions come from the metric catalogue.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "eval/html.h"
#include "eval/metric_catalogue.h"
#include "eval/report_parts.h"

namespace lb::eval::report {

namespace {

std::string fixed3(double v) { return std::isfinite(v) ? fmt::format("{:.3f}", v) : std::string("–"); }

// Sorts `metrics` into the catalogue's order; an uncatalogued name is metric_info's InputError.
void catalogue_order(std::vector<std::string>& metrics) {
  for (const auto& m : metrics) metric_info(m);
  std::stable_sort(metrics.begin(), metrics.end(),
                   [](const std::string& a, const std::string& b) { return &metric_info(a) < &metric_info(b); });
}

}  // namespace

std::string ranked_table_html(const std::string& metric, Better better, const std::vector<RankedRow>& ranked) {
  const MetricInfo& info = metric_info(metric);
  const std::string n = ranked.empty() || !std::isfinite(ranked.front().n)
                            ? std::string()
                            : fmt::format("; n = {:g} {}", ranked.front().n, info.n_counts);
  std::string t = fmt::format(
      "<table class=\"ranked\" data-metric=\"{0}\"><caption><b>{0}</b> <span class=\"note\">({1}; {2}{3})</span></caption>"
      "<thead><tr><th>#</th><th>method</th><th>value</th><th>95% CI</th><th>tier</th><th>vs above</th></tr></thead><tbody>\n",
      html_escape(metric), html_escape(info.meaning), direction_words(better), n);
  for (const auto& r : ranked) {
    std::string vs, vs_title;
    switch (r.vs_above) {
      case RankedRow::Vs::First: break;
      case RankedRow::Vs::Real:
        vs = "≠";
        vs_title = fmt::format("differs from the method above: paired 95% interval excludes 0 (p = {:.3g})", r.p_above);
        break;
      case RankedRow::Vs::NotReal:
        vs = "≈";
        vs_title = fmt::format("not shown to differ from the method above: paired 95% interval contains 0 (p = {:.3g})",
                               r.p_above);
        break;
      case RankedRow::Vs::Unknown:
        vs = "?";
        vs_title = "no paired difference in method_differences.tsv";
        break;
    }
    t += fmt::format(
        "<tr class=\"tier{0}\" data-tier=\"{0}\"><td>{1}</td><th>{2}</th><td>{3}</td><td>[{4}, {5}]</td><td>{6}</td>"
        "<td title=\"{7}\">{8}</td></tr>\n",
        r.tier, r.rank ? fmt::format("{}", r.rank) : "–", html_escape(r.method), fixed3(r.value), fixed3(r.lo),
        fixed3(r.hi), r.tier ? fmt::format("{}", r.tier) : "–", html_escape(vs_title), vs);
  }
  return t + "</tbody></table>\n";
}

std::string scenario_section(const ScenarioInfo& info, const sim::Dataset* ds) {
  if (!ds) return "";
  std::string out = fmt::format("<h2 id=\"scenario\">Scenario{}{}</h2>\n", info.name.empty() ? "" : ": ",
                                html_escape(info.name));
  if (!info.description.empty()) out += "<p>" + html_escape(info.description) + "</p>\n";
  // Classes with their number of sequences, and what the scenario file plants in each.
  std::vector<long> per_class(ds->class_names.size(), 0);
  for (const int c : ds->classes)
    if (c >= 0 && c < static_cast<int>(per_class.size())) ++per_class[static_cast<std::size_t>(c)];
  std::string classes, planted;
  for (std::size_t c = 0; c < per_class.size(); ++c) {
    classes += fmt::format("{}{} ({})", c ? ", " : "", html_escape(ds->class_names[c]), per_class[c]);
    const auto it = info.placements.find(ds->class_names[c]);
    std::string places;
    if (it != info.placements.end())
      for (const auto& p : it->second) places += fmt::format("{}<code>{}</code>", places.empty() ? "" : "<br>", html_escape(p));
    planted += fmt::format("<tr><td>{}</td><td>{}</td><td class=\"words\">{}</td></tr>\n", html_escape(ds->class_names[c]),
                           per_class[c], places.empty() ? "nothing" : places);
  }
  std::string decoys;
  for (const auto& d : info.decoys) decoys += fmt::format("{}<code>{}</code>", decoys.empty() ? "" : ", ", html_escape(d));
  std::string keys;
  for (std::size_t k = 0; k < ds->motif_keys.size(); ++k)
    keys += fmt::format("{}<span style=\"color:{}\">{}</span>", k ? ", " : "", key_colour(static_cast<int>(k)),
                        html_escape(ds->motif_keys[k]));
  out += fmt::format("<dl class=\"info\"><dt>motifs</dt><dd>{}</dd><dt>classes (sequences)</dt><dd>{}</dd>{}</dl>\n",
                     keys.empty() ? "none" : keys, classes.empty() ? "none" : classes,
                     decoys.empty() ? "" : "<dt>decoys (every sequence)</dt><dd>" + decoys + "</dd>");
  if (!info.placements.empty())
    out += "<details><summary>what each class plants (scenario.ini; docs/scenarios.md)</summary>\n<table><tr><th>class</th>"
           "<th>sequences</th><th>placements</th></tr>\n" + planted + "</table></details>\n";
  out +=
      "<p class=\"note\">Each task's definition and the roles of the planted instances in the dataset (all splits; "
      "docs/scenarios.md): drivers make the label, context instances belong to the task's motifs but satisfy nothing, "
      "repressors should score negative, irrelevant ones not at all.</p>\n"
      "<table><tr><th>task</th><th>kind</th><th>definition</th><th>driver</th><th>context</th><th>repressor</th>"
      "<th>irrelevant</th><th>in words</th></tr>\n";
  for (int t = 0; t < ds->n_tasks(); ++t) {
    std::array<long, 4> n{};
    for (std::size_t k = 0; k < ds->sites.size() && !ds->roles.empty(); ++k) ++n[static_cast<std::size_t>(ds->role(k, t))];
    const sim::TaskInfo& task = ds->tasks[static_cast<std::size_t>(t)];
    out += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"words\">{}</td></tr>\n",
        html_escape(task.name), task.kind == sim::TaskKind::Binary ? "binary" : "real-valued",
        html_escape(task.definition.empty() ? std::string("(not recorded)") : task.definition),
        n[static_cast<std::size_t>(sim::Role::Driver)], n[static_cast<std::size_t>(sim::Role::Context)],
        n[static_cast<std::size_t>(sim::Role::Repressor)], n[static_cast<std::size_t>(sim::Role::Irrelevant)],
        html_escape(task_in_words(task, ds->motif_keys)));
  }
  return out + "</table>\n";
}

std::string task_sections(const sim::Dataset* ds, const std::vector<RoleMetric>& roles, const std::vector<MethodDiff>& diffs,
                          const Json& meta, std::string& roles_json, const std::function<std::string(Chart)>& add_chart) {
  // The tasks: the dataset's, else those of role_metrics.tsv in order of appearance.
  std::vector<std::string> tasks;
  if (ds)
    for (const auto& t : ds->tasks) tasks.push_back(t.name);
  for (const auto& r : roles)
    if (std::find(tasks.begin(), tasks.end(), r.task) == tasks.end()) tasks.push_back(r.task);
  if (tasks.empty()) return "";
  const Json* model = meta.get("model");
  std::string out =
      "<h2 id=\"tasks\">Tasks: methods ranked by role metric</h2>\n<p class=\"note\">From role_metrics.tsv and "
      "method_differences.tsv. Per task and role metric, the methods in order of the metric (ties keep the methods' "
      "order), each with its bootstrap 95% interval over sequences. <b>Tier</b> 1 is the best method and every method "
      "not shown to differ from it (the paired bootstrap 95% interval of their difference contains 0); tier 2 the best "
      "of the rest and those not shown to differ from it; and so on. <b>vs above</b>: ≠ the difference to the method in "
      "the row above is real (its interval excludes 0), ≈ it is not; hover for the p-value.</p>\n";
  for (std::size_t ti = 0; ti < tasks.size(); ++ti) {
    const std::string& task = tasks[ti];
    out += fmt::format("<section class=\"task\" id=\"task-{}\">\n<h3>Task {}</h3>\n", ti, html_escape(task));
    const int t = ds ? ds->task_index(task) : -1;
    if (t >= 0) {
      const sim::TaskInfo& info_t = ds->tasks[static_cast<std::size_t>(t)];
      out += fmt::format("<p>{} <span class=\"note\">({}: <code>{}</code>)</span></p>\n",
                         html_escape(task_in_words(info_t, ds->motif_keys)),
                         info_t.kind == sim::TaskKind::Binary ? "binary" : "real-valued", html_escape(info_t.definition));
      // The roles of each motif's planted instances for this task.
      if (!ds->roles.empty()) {
        std::vector<std::array<long, 4>> n(ds->motif_keys.size() + 1, std::array<long, 4>{});
        for (std::size_t k = 0; k < ds->sites.size(); ++k) {
          const int key = ds->sites[k].key;
          const std::size_t row = key >= 0 && key < ds->n_keys() ? static_cast<std::size_t>(key) : ds->motif_keys.size();
          ++n[row][static_cast<std::size_t>(ds->role(k, t))];
        }
        std::string rows;
        for (std::size_t k = 0; k < n.size(); ++k) {
          const auto& c = n[k];
          if (c[0] + c[1] + c[2] + c[3] == 0) continue;
          rows += fmt::format("<tr><th>{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                              k < ds->motif_keys.size() ? html_escape(ds->motif_keys[k]) : "(no key)",
                              c[static_cast<std::size_t>(sim::Role::Driver)], c[static_cast<std::size_t>(sim::Role::Context)],
                              c[static_cast<std::size_t>(sim::Role::Repressor)],
                              c[static_cast<std::size_t>(sim::Role::Irrelevant)]);
        }
        if (!rows.empty())
          out += "<table class=\"roles\"><thead><tr><th>motif</th><th>driver</th><th>context</th><th>repressor</th>"
                 "<th>irrelevant</th></tr></thead><tbody>\n" + rows + "</tbody></table>\n";
      }
      // The model's test metrics for this task.
      if (model && model->kind == Json::Kind::Object) {
        std::string facts;
        for (const MetricInfo* m : kModelTableRows) {
          const Json* arr = model->get(m->name);
          if (arr && arr->kind == Json::Kind::Array && t < static_cast<int>(arr->items.size()) &&
              arr->items[static_cast<std::size_t>(t)].kind == Json::Kind::Number)
            facts += fmt::format("{}{} {:.3f}", facts.empty() ? "" : ", ", m->label,
                                 arr->items[static_cast<std::size_t>(t)].number);
        }
        if (!facts.empty()) out += "<p class=\"note\">Model: " + facts + ".</p>\n";
      }
    }
    // Role metrics of this task, in the catalogue's order.
    std::vector<std::string> metrics;
    for (const auto& r : roles)
      if (r.task == task && std::find(metrics.begin(), metrics.end(), r.metric) == metrics.end()) metrics.push_back(r.metric);
    catalogue_order(metrics);
    if (metrics.empty()) {
      out += "<p class=\"note\">No role metrics for this task (role_metrics.tsv).</p>\n</section>\n";
      continue;
    }
    out += "<div class=\"ranked-wrap\">\n";
    for (const auto& metric : metrics) {
      std::vector<RoleMetric> rows;
      for (const auto& r : roles)
        if (r.task == task && r.metric == metric) rows.push_back(r);
      const Better better = metric_info(metric).better;
      const std::vector<RankedRow> ranked = rank_methods(rows, diffs, better);
      out += ranked_table_html(metric, better, ranked);
      for (const auto& r : ranked)
        roles_json += fmt::format(R"({}{{"task":{},"metric":{},"method":{},"value":{},"lo":{},"hi":{},"rank":{},"tier":{}}})",
                                  roles_json.empty() ? "" : ",", json_string(task), json_string(metric),
                                  json_string(r.method), json_number(r.value), json_number(r.lo), json_number(r.hi),
                                  r.rank, json_string(r.tier ? fmt::format("tier {}", r.tier) : "unranked"));
    }
    out += "</div>\n";
    const bool any_value = std::any_of(roles.begin(), roles.end(),
                                       [&](const auto& r) { return r.task == task && std::isfinite(r.value); });
    if (!any_value) {
      out += "</section>\n";
      continue;
    }
    Chart c;
    c.kind = "roles";
    c.task = task;
    c.title = "Task " + task + ": role metrics with bootstrap 95% intervals";
    c.caption = fmt::format("Each method's value (point) and bootstrap 95% interval (line) for every role metric of task "
                            "{}, coloured by tier.", html_escape(task));
    out += add_chart(std::move(c));
    out += "</section>\n";
  }
  return out;
}

namespace {

std::string metric_table(const MetricsTable& mt, const std::string& metric, bool tiers, const ScenarioInfo& info) {
  // Columns: (task, motif[, tier]) in order of first appearance; rows: methods.
  std::vector<std::string> cols;
  std::map<std::string, std::map<std::string, const MetricsTable::Row*>> cell;
  for (const auto& r : mt.rows) {
    if (r.metric != metric || (r.tier == "all") == tiers) continue;
    // The paper's columns say "task N"; any other scenario's the task's name.
    const std::string task = info.paper || r.task < 0 || r.task >= static_cast<int>(info.task_labels.size())
                                 ? fmt::format("task {}", r.task)
                                 : html_escape(info.task_labels[static_cast<std::size_t>(r.task)]);
    const std::string col = fmt::format("{}<br>{}{}", task, html_escape(r.motif),
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

}  // namespace

std::string tables_section(const MetricsTable& mt, const ScenarioInfo& info) {
  std::string out = "<h2 id=\"tables\">Metric tables</h2>\n<p class=\"note\">Hover a value for the number of hits "
                    "(or bases) it is computed over. From metrics.tsv.</p>\n";
  std::vector<std::string> metrics;
  for (const auto& r : mt.rows)
    if (std::find(metrics.begin(), metrics.end(), r.metric) == metrics.end()) metrics.push_back(r.metric);
  catalogue_order(metrics);
  for (const auto& metric : metrics) {
    if (has_interval(metric_info(metric).family)) continue;  // xai_section's
    const std::string all = metric_table(mt, metric, false, info), tiers = metric_table(mt, metric, true, info);
    if (all.empty() && tiers.empty()) continue;
    out += fmt::format("<h3>{}</h3>\n{}", html_escape(metric), all);
    if (!tiers.empty()) out += "<details><summary>by number of instances</summary>\n" + tiers + "</details>\n";
  }
  return out;
}

std::string xai_section(const MetricsTable& mt, const Json& meta, const ScenarioInfo& info) {
  // The intervals, from metrics.json's rows: (method, task, metric) -> (ci_lo, ci_hi).
  std::map<std::tuple<std::string, int, std::string>, std::pair<double, double>> interval;
  if (const Json* rows = meta.get("metrics"); rows && rows->kind == Json::Kind::Array)
    for (const Json& r : rows->items) {
      const Json *lo = r.get("ci_lo"), *hi = r.get("ci_hi"), *task = r.get("task");
      if (!lo || !hi || !task || task->kind != Json::Kind::Number) continue;
      interval[{json_scalar_text(r.get("method")), static_cast<int>(task->number), json_scalar_text(r.get("metric"))}] =
          {lo->kind == Json::Kind::Number ? lo->number : std::numeric_limits<double>::quiet_NaN(),
           hi->kind == Json::Kind::Number ? hi->number : std::numeric_limits<double>::quiet_NaN()};
    }
  std::vector<std::string> metrics;
  std::vector<int> tasks;
  for (const auto& r : mt.rows) {
    if (!has_interval(metric_info(r.metric).family)) continue;
    if (std::find(metrics.begin(), metrics.end(), r.metric) == metrics.end()) metrics.push_back(r.metric);
    if (std::find(tasks.begin(), tasks.end(), r.task) == tasks.end()) tasks.push_back(r.task);
  }
  if (metrics.empty()) return "";
  catalogue_order(metrics);
  std::string out =
      "<h2 id=\"xai\">Metrics without a planted truth</h2>\n<p class=\"note\">From metrics.tsv and metrics.json "
      "(docs/metrics.md). Per method and task, the mean over the scored sequences of a per-sequence value, with its "
      "bootstrap 95% interval over sequences; hover a value for the number of sequences.</p>\n";
  for (const auto& metric : metrics) {
    const MetricInfo& m = metric_info(metric);
    std::map<std::string, std::map<int, const MetricsTable::Row*>> cell;
    for (const auto& r : mt.rows)
      if (r.metric == metric) cell[r.method][r.task] = &r;
    out += fmt::format("<h3>{}</h3>\n<p class=\"note\">{}; {}.</p>\n<table><thead><tr><th>method</th>",
                       html_escape(metric), html_escape(m.meaning), direction_words(m.better));
    for (const int t : tasks)
      out += "<th>" +
             (info.paper || t < 0 || t >= static_cast<int>(info.task_labels.size())
                  ? fmt::format("task {}", t)
                  : html_escape(info.task_labels[static_cast<std::size_t>(t)])) +
             "</th>";
    out += "</tr></thead><tbody>\n";
    for (const auto& method : mt.methods) {
      const auto row = cell.find(method);
      if (row == cell.end()) continue;
      out += "<tr><th>" + html_escape(method) + "</th>";
      for (const int t : tasks) {
        const auto it = row->second.find(t);
        if (it == row->second.end()) {
          out += "<td></td>";
          continue;
        }
        const MetricsTable::Row& r = *it->second;
        const auto iv = interval.find({method, t, metric});
        const bool has_iv = iv != interval.end() && std::isfinite(iv->second.first) && std::isfinite(iv->second.second);
        out += !std::isfinite(r.value)
                   ? fmt::format("<td title=\"n = {}\">–</td>", r.n)
                   : fmt::format("<td title=\"n = {}\">{:.3f}{}</td>", r.n, r.value,
                                 has_iv ? fmt::format(" <span class=\"note\">[{:.3f}, {:.3f}]</span>", iv->second.first,
                                                      iv->second.second)
                                        : "");
      }
      out += "</tr>\n";
    }
    out += "</tbody></table>\n";
  }
  return out + curves_svg(meta, info);
}

std::string curves_svg(const Json& meta, const ScenarioInfo& info) {
  const Json* curves = meta.get("curves");
  if (!curves || curves->kind != Json::Kind::Array || curves->items.empty()) return "";
  // Per (task, kind) in order of appearance, the methods' curves.
  struct Line {
    std::string method;
    std::vector<double> k, logit;
  };
  std::vector<std::pair<std::pair<int, std::string>, std::vector<Line>>> panels;
  std::vector<std::string> methods;
  for (const Json& c : curves->items) {
    const Json *task = c.get("task"), *k = c.get("k"), *logit = c.get("logit");
    if (!task || task->kind != Json::Kind::Number || !k || !logit || k->items.size() != logit->items.size()) continue;
    Line line{json_scalar_text(c.get("method")), {}, {}};
    for (std::size_t i = 0; i < k->items.size(); ++i) {
      line.k.push_back(k->items[i].number);
      line.logit.push_back(logit->items[i].kind == Json::Kind::Number ? logit->items[i].number
                                                                       : std::numeric_limits<double>::quiet_NaN());
    }
    if (std::find(methods.begin(), methods.end(), line.method) == methods.end()) methods.push_back(line.method);
    const std::pair<int, std::string> key{static_cast<int>(task->number), json_scalar_text(c.get("kind"))};
    auto it = std::find_if(panels.begin(), panels.end(), [&](const auto& p) { return p.first == key; });
    if (it == panels.end()) it = panels.insert(panels.end(), {key, {}});
    it->second.push_back(std::move(line));
  }
  static constexpr std::array<std::string_view, 10> kColours{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                                             "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  std::string out =
      "<h3>Deletion and insertion curves</h3>\n<p class=\"note\">From metrics.json's curves: the task's logit, "
      "averaged over the perturbed sequences, against the number of top-scored positions replaced by the reference "
      "(deletion: a faithful map falls fast) or restored into it (insertion: it rises fast). Legend: ";
  for (std::size_t m = 0; m < methods.size(); ++m)
    out += fmt::format("{}<span style=\"color:{}\">&#9632;</span> {}", m ? ", " : "", kColours[m % kColours.size()],
                       html_escape(methods[m]));
  out += ".</p>\n<div class=\"curves\">\n";
  constexpr double kW = 300, kH = 160, kPad = 30;
  for (const auto& [key, lines] : panels) {
    double k_max = 0, lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const Line& l : lines)
      for (std::size_t i = 0; i < l.k.size(); ++i) {
        k_max = std::max(k_max, l.k[i]);
        if (std::isfinite(l.logit[i])) lo = std::min(lo, l.logit[i]), hi = std::max(hi, l.logit[i]);
      }
    if (!(hi > lo)) hi = lo + 1;
    if (!(k_max > 0)) k_max = 1;
    const std::string task = info.paper || key.first < 0 || key.first >= static_cast<int>(info.task_labels.size())
                                 ? fmt::format("task {}", key.first)
                                 : html_escape(info.task_labels[static_cast<std::size_t>(key.first)]);
    out += fmt::format("<svg width=\"{}\" height=\"{}\" role=\"img\"><title>{} {}</title>"
                       "<text x=\"{}\" y=\"14\" font-size=\"12\">{}: {}</text>"
                       "<text x=\"2\" y=\"{}\" font-size=\"10\">{:.2f}</text><text x=\"2\" y=\"{}\" font-size=\"10\">{:.2f}</text>"
                       "<text x=\"{}\" y=\"{}\" font-size=\"10\">k = {}</text>",
                       kW, kH, task, html_escape(key.second), kPad, task, html_escape(key.second), kPad - 8, hi, kH - kPad,
                       lo, kW - 60, kH - 6, static_cast<int>(k_max));
    for (std::size_t li = 0; li < lines.size(); ++li) {
      const Line& l = lines[li];
      const auto m = static_cast<std::size_t>(std::find(methods.begin(), methods.end(), l.method) - methods.begin());
      std::string pts;
      for (std::size_t i = 0; i < l.k.size(); ++i)
        if (std::isfinite(l.logit[i]))
          pts += fmt::format("{}{:.1f},{:.1f}", pts.empty() ? "" : " ", kPad + (kW - 2 * kPad) * l.k[i] / k_max,
                             kH - kPad - (kH - 2 * kPad) * (l.logit[i] - lo) / (hi - lo));
      out += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"{}\"><title>{}</title></polyline>",
                         kColours[m % kColours.size()], pts, html_escape(l.method));
    }
    out += "</svg>\n";
  }
  return out + "</div>\n";
}

}  // namespace lb::eval::report
