// The report's tables: the scenario overview, one section per task with the ranked tables of
// the role metrics (bootstrap intervals, tiers from the paired differences), and the metric
// tables of metrics.tsv.
#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>

#include "core/error.h"
#include "eval/html.h"
#include "eval/report_parts.h"
#include "io/ini.h"
#include "io/motif_file.h"
#include "io/npz.h"
#include "io/tsv.h"
#include "sim/scenario.h"

namespace lb::eval::report {

namespace {

constexpr std::array<std::string_view, 5> kRoleMetricOrder{"driver_fn_rate", "irrelevant_fp_rate", "context_pos_rate",
                                                           "repressor_neg_rate", "gss"};

std::string_view role_metric_meaning(std::string_view metric) {
  if (metric == "driver_fn_rate") return "drivers scored ≤ 0";
  if (metric == "irrelevant_fp_rate") return "irrelevant instances scored > 0";
  if (metric == "context_pos_rate") return "context instances scored > 0";
  if (metric == "repressor_neg_rate") return "repressors scored < 0 (the correct sign)";
  if (metric == "gss") return "Grammar Satisfiability Score: sequences whose instances' signs satisfy the task";
  return "";
}

std::string fixed3(double v) { return std::isfinite(v) ? fmt::format("{:.3f}", v) : std::string("–"); }

// The words of a task expression; `top` leaves an and/or group without parentheses.
std::string expr_words(const sim::Expr& e, const std::vector<std::string>& keys, bool top) {
  auto key = [&](int k) { return k >= 0 && k < static_cast<int>(keys.size()) ? keys[static_cast<std::size_t>(k)] : std::string("?"); };
  auto instance = [&](const sim::Expr& h) {
    return fmt::format("{} instance{}", key(h.a), h.strand ? fmt::format(" on the {} strand", h.strand) : "");
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
    default: {
      std::string s;
      for (std::size_t k = 0; k < e.kids.size(); ++k)
        s += (k ? (e.op == sim::Expr::Op::And ? " and " : " or ") : "") + expr_words(e.kids[k], keys, false);
      return top ? s : "(" + s + ")";
    }
  }
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

Better better_direction(std::string_view metric) {
  if (metric == "driver_fn_rate" || metric == "irrelevant_fp_rate" || metric == "context_pos_rate") return Better::Lower;
  if (metric == "repressor_neg_rate" || metric == "gss") return Better::Higher;
  return Better::Unknown;
}

std::vector<RankedRow> rank_methods(const std::vector<RoleMetric>& rows, const std::vector<MethodDiff>& diffs,
                                    Better better) {
  std::vector<RankedRow> out;
  for (const auto& r : rows) out.push_back({r.method, r.value, r.lo, r.hi, r.n});
  if (rows.empty()) return out;
  const std::string& task = rows.front().task;
  const std::string& metric = rows.front().metric;
  std::map<std::pair<std::string, std::string>, const MethodDiff*> pair;
  for (const auto& d : diffs)
    if (d.task == task && d.metric == metric) {
      pair[{d.a, d.b}] = &d;
      pair[{d.b, d.a}] = &d;
    }
  auto find = [&](const RankedRow& a, const RankedRow& b) -> const MethodDiff* {
    const auto it = pair.find({a.method, b.method});
    return it == pair.end() ? nullptr : it->second;
  };
  if (better != Better::Unknown) {
    std::stable_sort(out.begin(), out.end(), [&](const RankedRow& a, const RankedRow& b) {
      const bool fa = std::isfinite(a.value), fb = std::isfinite(b.value);
      if (fa != fb) return fa;
      if (!fa) return false;
      return better == Better::Lower ? a.value < b.value : a.value > b.value;
    });
    // Ranks: equal values share the better rank (1, 2, 2, 4).
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (!std::isfinite(out[i].value)) continue;
      out[i].rank = i > 0 && out[i].value == out[i - 1].value ? out[i - 1].rank : static_cast<int>(i) + 1;
    }
    // Tiers: the best unassigned method leads a tier that takes every unassigned method not
    // shown to differ from it.
    int tier = 0;
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (!std::isfinite(out[i].value) || out[i].tier) continue;
      out[i].tier = ++tier;
      for (std::size_t j = i + 1; j < out.size(); ++j) {
        if (!std::isfinite(out[j].value) || out[j].tier) continue;
        const MethodDiff* d = find(out[i], out[j]);
        if (!d || !d->real) out[j].tier = tier;
      }
    }
  }
  for (std::size_t i = 1; i < out.size(); ++i) {
    const MethodDiff* d = find(out[i - 1], out[i]);
    out[i].vs_above = !d ? RankedRow::Vs::Unknown : d->real ? RankedRow::Vs::Real : RankedRow::Vs::NotReal;
    out[i].p_above = d ? d->p_value : 0;
  }
  return out;
}

std::string ranked_table_html(const std::string& metric, Better better, const std::vector<RankedRow>& ranked) {
  const std::string_view direction =
      better == Better::Lower ? "lower is better" : better == Better::Higher ? "higher is better" : "not ranked";
  const std::string n = ranked.empty() || !std::isfinite(ranked.front().n)
                            ? std::string()
                            : fmt::format("; n = {:g} {}", ranked.front().n, metric == "gss" ? "sequences" : "instances");
  std::string t = fmt::format(
      "<table class=\"ranked\" data-metric=\"{0}\"><caption><b>{0}</b> <span class=\"note\">({1}{2}{3}{4})</span></caption>"
      "<thead><tr><th>#</th><th>method</th><th>value</th><th>95% CI</th><th>tier</th><th>vs above</th></tr></thead><tbody>\n",
      html_escape(metric), html_escape(role_metric_meaning(metric)), role_metric_meaning(metric).empty() ? "" : "; ", direction, n);
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
        for (const auto& [key, label] : kModelTableRows) {
          const Json* arr = model->get(key);
          if (arr && arr->kind == Json::Kind::Array && t < static_cast<int>(arr->items.size()) &&
              arr->items[static_cast<std::size_t>(t)].kind == Json::Kind::Number)
            facts += fmt::format("{}{} {:.3f}", facts.empty() ? "" : ", ", label, arr->items[static_cast<std::size_t>(t)].number);
        }
        if (!facts.empty()) out += "<p class=\"note\">Model: " + facts + ".</p>\n";
      }
    }
    // Role metrics of this task: the known ones in their order, then any other.
    std::vector<std::string> metrics;
    for (const auto m : kRoleMetricOrder)
      if (std::any_of(roles.begin(), roles.end(), [&](const auto& r) { return r.task == task && r.metric == m; }))
        metrics.emplace_back(m);
    for (const auto& r : roles)
      if (r.task == task && std::find(metrics.begin(), metrics.end(), r.metric) == metrics.end()) metrics.push_back(r.metric);
    if (metrics.empty()) {
      out += "<p class=\"note\">No role metrics for this task (role_metrics.tsv).</p>\n</section>\n";
      continue;
    }
    out += "<div class=\"ranked-wrap\">\n";
    for (const auto& metric : metrics) {
      std::vector<RoleMetric> rows;
      for (const auto& r : roles)
        if (r.task == task && r.metric == metric) rows.push_back(r);
      const Better better = better_direction(metric);
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

constexpr std::string_view kMetricOrder[] = {"fn_rate",   "fp_rate",   "spearman",      "loc_auroc",
                                             "loc_auprc", "loc_auroc_abs", "loc_auprc_abs"};

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
  std::vector<std::string> metrics(std::begin(kMetricOrder), std::end(kMetricOrder));
  for (const auto& r : mt.rows)
    if (std::find(metrics.begin(), metrics.end(), r.metric) == metrics.end()) metrics.push_back(r.metric);
  for (const auto& metric : metrics) {
    const std::string all = metric_table(mt, metric, false, info), tiers = metric_table(mt, metric, true, info);
    if (all.empty() && tiers.empty()) continue;
    out += fmt::format("<h3>{}</h3>\n{}", html_escape(metric), all);
    if (!tiers.empty()) out += "<details><summary>by number of instances</summary>\n" + tiers + "</details>\n";
  }
  return out;
}

namespace {

/// The task directories of the discover step, OUT/discover/<dir>/task<t>/, by the (method, task)
/// their discover.config.ini records; directories without one (incomplete) are left out.
std::map<std::pair<std::string, std::string>, std::string> discovery_dirs(const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  std::map<std::pair<std::string, std::string>, std::string> out;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return out;
  std::set<fs::path> tasks;  // sorted, so the order does not depend on the directory listing
  for (const auto& m : fs::directory_iterator(root, ec))
    if (m.is_directory())
      for (const auto& t : fs::directory_iterator(m.path(), ec))
        if (t.is_directory() && fs::exists(t.path() / "discover.config.ini")) tasks.insert(t.path());
  for (const auto& t : tasks) {
    const auto ini = io::ini_values((t / "discover.config.ini").string());
    const auto method = ini.find("discover.method"), task = ini.find("discover.task");
    if (method != ini.end() && task != ini.end()) out.try_emplace({method->second, task->second}, t.string());
  }
  return out;
}

/// A probability matrix as information-content heights: p_b × (2 - H) bits per column.
std::vector<std::array<float, 4>> information_heights(const std::vector<std::array<double, 4>>& pwm) {
  std::vector<std::array<float, 4>> out;
  for (const auto& c : pwm) {
    double total = 0, h = 0;
    for (const double v : c) total += std::max(v, 0.0);
    std::array<float, 4> col{};
    if (total > 0) {
      for (const double v : c)
        if (v > 0) h -= v / total * std::log2(v / total);
      for (int b = 0; b < 4; ++b)
        col[static_cast<std::size_t>(b)] = static_cast<float>(std::max(c[static_cast<std::size_t>(b)], 0.0) / total * (2 - h));
    }
    out.push_back(col);
  }
  return out;
}

/// The logos of one method and task's directory: per discovered motif (motifs.tsv, cwm.npz) its
/// CWM, and below it the best match of matches.tsv with q < 0.05 in the motif file the task was
/// matched against (discover.config.ini's `motifs`), in the matched orientation, aligned by the
/// match's offset.
std::string discovery_logos(const std::string& dir) {
  namespace fs = std::filesystem;
  const std::string motifs_path = dir + "/motifs.tsv", cwm_path = dir + "/cwm.npz";
  if (!fs::exists(motifs_path) || !fs::exists(cwm_path)) return "";
  const io::TsvTable mt = io::read_tsv(motifs_path);
  const int c_name = mt.column("motif", motifs_path), c_sign = mt.column("sign", motifs_path),
            c_support = mt.column("support", motifs_path), c_cons = mt.column("consensus", motifs_path),
            c_share = mt.column("share", motifs_path);
  const io::NpzArchive cwm = io::read_npz(cwm_path);
  // Best match per query: the first row with q < 0.05 (matches.tsv is sorted by p per query).
  struct Best {
    std::string target, orientation;
    int offset = 0;
    double q = 1;
  };
  std::map<std::string, Best> best;
  if (const std::string mp = dir + "/matches.tsv"; fs::exists(mp)) {
    const io::TsvTable m = io::read_tsv(mp);
    const int cq = m.column("Query_ID", mp), ct = m.column("Target_ID", mp), co = m.column("Optimal_offset", mp),
              cqv = m.column("q-value", mp), cor = m.column("Orientation", mp);
    for (const auto& r : m.rows) {
      const double q = to_double(r[static_cast<std::size_t>(cqv)]);
      if (!(q < 0.05) || best.count(r[static_cast<std::size_t>(cq)])) continue;
      best[r[static_cast<std::size_t>(cq)]] = {r[static_cast<std::size_t>(ct)], r[static_cast<std::size_t>(cor)],
                                               to_int(r[static_cast<std::size_t>(co)]), q};
    }
  }
  std::map<std::string, std::vector<std::array<double, 4>>> planted;
  const auto ini = io::ini_values(dir + "/discover.config.ini");
  if (const auto it = ini.find("discover.motifs"); it != ini.end() && fs::exists(it->second))
    for (const auto& m : io::read_motif_file(it->second).motifs) planted.try_emplace(m.name, m.probs);

  std::string out;
  for (const auto& r : mt.rows) {
    const std::string& name = r[static_cast<std::size_t>(c_name)];
    const std::string key = name + ".cwm";
    const auto found = std::find_if(cwm.begin(), cwm.end(), [&](const auto& a) { return a.first == key; });
    if (found == cwm.end() || found->second.shape.size() != 2 || found->second.shape[1] != 4) continue;
    const std::vector<float> flat = found->second.to_f32(cwm_path + ": " + key);
    std::vector<std::array<float, 4>> heights(flat.size() / 4);
    for (std::size_t j = 0; j < heights.size(); ++j)
      for (std::size_t b = 0; b < 4; ++b) heights[j][b] = flat[j * 4 + b];
    const int wq = static_cast<int>(heights.size());
    double tallest = 0;
    for (const auto& c : heights) {
      double u = 0, d = 0;
      for (const float v : c) (v > 0 ? u : d) += std::abs(v);
      tallest = std::max({tallest, u, d});
    }
    // The aligned planted motif: query column j at j + a, target column k at k - offset + a.
    const auto b = best.find(name);
    std::vector<std::array<float, 4>> target;
    int a = 0, n_cols = wq;
    std::string caption = "no motif of the file matches it with q &lt; 0.05";
    if (b != best.end()) {
      caption = fmt::format("best match {} (q {:.2g}, strand {}, offset {})", html_escape(b->second.target), b->second.q,
                            html_escape(b->second.orientation), b->second.offset);
      if (const auto p = planted.find(b->second.target); p != planted.end()) {
        auto probs = p->second;
        if (b->second.orientation == "-") {
          std::reverse(probs.begin(), probs.end());
          for (auto& c : probs) c = {c[3], c[2], c[1], c[0]};
        }
        target = information_heights(probs);
        a = std::max(0, b->second.offset);
        n_cols = std::max(a + wq, a - b->second.offset + static_cast<int>(target.size()));
      }
    }
    out += fmt::format("<div class=\"motif\"><p><b>{}</b> ({} seqlets, {:.0f}% of the {} ones; consensus "
                       "<code>{}</code>): {}</p>\n<div class=\"logo-wrap\">",
                       html_escape(name), html_escape(r[static_cast<std::size_t>(c_support)]),
                       100 * to_double(r[static_cast<std::size_t>(c_share)]),
                       r[static_cast<std::size_t>(c_sign)] == "neg" ? "negative" : "positive",
                       html_escape(r[static_cast<std::size_t>(c_cons)]), caption);
    out += matrix_logo_svg(heights, a, n_cols, tallest > 0 ? 40 / tallest : 0, name + " CWM", "lb-mglyph");
    if (!target.empty())
      out += "<br>" + matrix_logo_svg(target, a - b->second.offset, n_cols, 20, b->second.target + " PWM (bits)",
                                      "lb-mglyph");
    out += "</div></div>\n";
  }
  return out;
}

std::string status_words(const std::string& status) {
  if (status == "too_few_seqlets") return "too few seqlets to cluster";
  if (status == "no_motif_with_support") return "no cluster reached the minimum support";
  if (status == "too_few_windows") return "too few windows to call seqlets";
  return status;
}

}  // namespace

std::string discovery_section(const std::string& path) {
  if (!std::filesystem::exists(path)) return "";
  const io::TsvTable t = io::read_tsv(path);
  const int cm = t.column("method", path), ct = t.column("task", path), cmo = t.column("motif", path),
            cme = t.column("metric", path), cv = t.column("value", path);
  // (method, task) in order of appearance; per planted motif its recovery; the task's summary.
  struct Cell {
    std::vector<std::string> motifs;
    std::map<std::string, std::map<std::string, std::string>> by_motif;  // motif -> metric -> value
    std::map<std::string, std::string> summary;
  };
  std::vector<std::pair<std::string, std::string>> order;
  std::map<std::pair<std::string, std::string>, Cell> cells;
  for (const auto& r : t.rows) {
    const auto key = std::make_pair(r[cm], r[ct]);
    auto [it, added] = cells.try_emplace(key);
    if (added) order.push_back(key);
    Cell& c = it->second;
    if (r[cmo] == "-") {
      c.summary[r[cme]] = r[cv];
    } else {
      if (!c.by_motif.count(r[cmo])) c.motifs.push_back(r[cmo]);
      c.by_motif[r[cmo]][r[cme]] = r[cv];
    }
  }
  auto num = [](const std::string& v, const char* f) {
    const double d = to_double(v);
    return std::isfinite(d) ? fmt::format(fmt::runtime(f), d) : std::string("–");
  };
  std::string out =
      "<h2 id=\"discovery\">Motif discovery</h2>\n<p class=\"note\">Motifs discovered from each method's "
      "hypothetical scores (seqlets clustered with Leiden, matched to the scenario's motif file; docs/discovery.md). "
      "A planted driver motif is recovered when a positive discovered motif matches it with q &lt; 0.05 (its q, "
      "similarity and seqlets shown), a planted repressor when a negative one does; seqlet precision and recall "
      "are of the positive seqlets against the planted driver sites; unmatched motifs match no motif of the file "
      "(largest share of the task's seqlets held by one, positive / negative); off-task ones are positive motifs matching only motifs that do not drive the task. "
      "From discovery.tsv.</p>\n<table>\n<tr><th>method</th><th>task</th>"
      "<th>planted drivers (repressors) recovered</th><th>seqlets (+ / −)</th><th>seqlet precision</th>"
      "<th>seqlet recall</th>"
      "<th>motifs</th><th>unmatched + (share)</th><th>unmatched − (share)</th><th>off-task (share)</th></tr>\n";
  for (const auto& key : order) {
    const Cell& c = cells[key];
    std::string rec;
    // One line per planted driver (metrics `recovered`, `recovery_*`) and per planted repressor
    // (`repressor_*`, found by a negative motif) of the task.
    auto line = [&](const std::string& m, const std::map<std::string, std::string>& v, const char* found_key,
                    const char* q_key, const char* sim_key, const char* support_key, const char* kind) {
      if (!v.count(found_key)) return;
      auto get = [&](const char* k) { return v.count(k) ? v.at(k) : std::string(); };
      const bool found = get(found_key) == "1";
      const std::string support = get(support_key);
      rec += fmt::format("{}<span style=\"color:{}\">{}{} {}</span>", rec.empty() ? "" : "<br>", found ? "#060" : "#888",
                         html_escape(m), kind,
                         found ? fmt::format("&#10003; q {}, similarity {}, {} seqlets", num(get(q_key), "{:.2g}"),
                                             num(get(sim_key), "{:.2f}"), html_escape(support.empty() ? "0" : support))
                               : std::string("&#10007; not found"));
    };
    for (const auto& m : c.motifs) {
      const auto& v = c.by_motif.at(m);
      line(m, v, "recovered", "recovery_q", "recovery_similarity", "recovery_support", "");
      line(m, v, "repressor_recovered", "repressor_q", "repressor_similarity", "repressor_support",
           " (repressor, by a negative motif)");
    }
    auto sv = [&](const char* k) { return c.summary.count(k) ? c.summary.at(k) : std::string(); };
    auto count_share = [&](const char* n, const char* share) {
      return sv(n).empty() ? std::string("–") : fmt::format("{} ({})", html_escape(sv(n)), num(sv(share), "{:.3f}"));
    };
    // A task without motifs says why (the `status` row; files of older runs have none).
    const std::string status = sv("status");
    if (!status.empty() && status != "motifs")
      rec += fmt::format("{}<span style=\"color:#a00\">no motif: {}</span>", rec.empty() ? "" : "<br>",
                         html_escape(status_words(status)));
    out += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} / {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
        "<td>{}</td></tr>\n",
        html_escape(key.first), html_escape(key.second), rec.empty() ? "–" : rec, html_escape(sv("seqlets")),
        sv("seqlets_negative").empty() ? "–" : html_escape(sv("seqlets_negative")), num(sv("seqlet_precision"), "{:.3f}"),
        num(sv("seqlet_recall"), "{:.3f}"), html_escape(sv("motifs")),
        count_share("unmatched_positive_motifs", "unmatched_positive_max_share"),
        count_share("unmatched_negative_motifs", "unmatched_negative_max_share"),
        count_share("off_task_motifs", "off_task_max_share"));
  }
  out += "</table>\n";
  // The logos of each method and task with a directory beside discovery.tsv.
  const auto dirs = discovery_dirs(std::filesystem::path(path).parent_path() / "discover");
  std::string logos;
  for (const auto& key : order) {
    const auto it = dirs.find(key);
    if (it == dirs.end()) continue;
    const std::string l = discovery_logos(it->second);
    if (!l.empty())
      logos += fmt::format("<details open><summary>{}, task {}</summary>\n{}</details>\n", html_escape(key.first),
                           html_escape(key.second), l);
  }
  if (!logos.empty())
    out += "<h3>Discovered motifs</h3>\n<p class=\"note\">Each discovered motif's contribution-weight matrix (CWM: "
           "the mean contribution of each base at each column over the motif's seqlets; negative motifs below the "
           "line), scaled to its own tallest column, and below it the motif of the file it matches best with "
           "q &lt; 0.05 as an information-content logo (2 bits tall at most), in the matched orientation and "
           "aligned column by column. From discover/&lt;method&gt;/task&lt;t&gt;/ (motifs.tsv, cwm.npz, matches.tsv)."
           "</p>\n" +
           glyph_defs("lb-mglyph") + logos;
  return out;
}

}  // namespace lb::eval::report
