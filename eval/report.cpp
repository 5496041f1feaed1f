// The HTML report, assembled: the scenario and per-task sections (report_tables.cpp), the hit
// figures (the paper's appendices G, I and J when the scenario is the paper's), the logos
// (report_logos.cpp) and the metric tables. The data (report_data.cpp) go into the page as JSON
// for the Vega-Lite charts its script draws with the inlined libraries.
#include "eval/report.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "core/build_info.h"
#include "core/error.h"
#include "eval/html.h"
#include "eval/report_parts.h"
#include "eval/web/report_assets.h"
#include "io/atomic_file.h"
#include "sim/dataset.h"

namespace lb::eval {

namespace {

using namespace report;

std::string chart_json(const Chart& c) {
  std::string methods = "[";
  for (std::size_t i = 0; i < c.methods.size(); ++i) methods += fmt::format("{}{}", i ? "," : "", json_string(c.methods[i]));
  methods += "]";
  return fmt::format(R"({{"id":{},"kind":{},"motif":{},"task":{},"title":{},"methods":{}}})", json_string(c.id),
                     json_string(c.kind), json_string(c.motif), json_string(c.task), json_string(c.title), methods);
}

std::string chart_div(const Chart& c) {
  return fmt::format("<figure><div class=\"chart\" id=\"{}\"></div><figcaption>{}</figcaption></figure>\n", c.id,
                     c.caption);
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
.ranked-wrap { display: flex; flex-wrap: wrap; gap: 4px 22px; align-items: flex-start; }
table.ranked caption { text-align: left; padding: 2px 0; max-width: 420px; } table.ranked tr.tier1 td, table.ranked tr.tier1 th { background: #eaf6ea; }
section.task { margin-bottom: 22px; } td.words { text-align: left; }
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
  const taskNames = D.taskLabels;
  const taskName = t => taskNames[t] || ('task ' + t);
  const rows = H.x.map((x, i) => ({
    method: H.methods[H.m[i]], task: taskName(H.t[i]), t: H.t[i], motif: H.motifs[H.mo[i]],
    class: H.classes[H.c[i]], n_instances: H.n[i], log_odds: x, score: H.y[i]
  }));
  const color = { field: 'class', type: 'nominal', title: 'sequence class', scale: D.classColors };
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
  // Role metrics of one task: a point per method at its value, a line over its interval, one
  // column per metric in the tables' order, coloured by tier.
  function roleChart(c) {
    const v = D.roles.filter(r => r.task === c.task && r.value !== null);
    const metrics = [];
    v.forEach(r => { if (!metrics.includes(r.metric)) metrics.push(r.metric); });
    const tiers = [];
    v.forEach(r => { if (!tiers.includes(r.tier)) tiers.push(r.tier); });
    const tierNo = s => s === 'unranked' ? 1e9 : parseInt(s.slice(5), 10);
    tiers.sort((a, b) => tierNo(a) - tierNo(b));
    const unit = v.every(r => r.value >= 0 && r.value <= 1 && (r.lo === null || r.lo >= 0) && (r.hi === null || r.hi <= 1));
    const y = { field: 'method', type: 'nominal', sort: D.methods, title: null };
    const tierColor = { field: 'tier', type: 'nominal', title: 'tier', scale: { domain: tiers, scheme: 'tableau10' } };
    return { $schema: schema, title: c.title, data: { values: v },
      facet: { column: { field: 'metric', type: 'nominal', title: null, sort: metrics, header: { labelFontSize: 11 } } },
      spec: { width: 170, height: { step: 16 }, layer: [
        { transform: [{ filter: 'isValid(datum.lo) && isValid(datum.hi)' }], mark: { type: 'rule', strokeWidth: 2 },
          encoding: { y: y, x: { field: 'lo', type: 'quantitative', title: 'value', scale: { domain: unit ? [0, 1] : undefined } },
                      x2: { field: 'hi' }, color: tierColor } },
        { mark: { type: 'point', filled: true, size: 45 }, encoding: { y: y, x: { field: 'value', type: 'quantitative' },
            color: tierColor, tooltip: [{ field: 'method' }, { field: 'metric' }, { field: 'value', format: '.3f' },
              { field: 'lo', format: '.3f' }, { field: 'hi', format: '.3f' }, { field: 'rank' }, { field: 'tier' }] } }
      ] } };
  }
  function spec(c) {
    if (c.kind === 'roles') return roleChart(c);
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
      .map(r => Object.assign({}, r, { panel: (c.kind === 'fp' || !D.paper ? taskName(r.task) + ': ' : '') + r.motif + ' hits' }));
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
  if (std::filesystem::exists(json_path)) meta = parse_json(io::read_file(json_path), json_path);
  const std::vector<RoleMetric> roles = read_role_metrics(outdir + "/role_metrics.tsv");
  const std::vector<MethodDiff> diffs = read_method_differences(outdir + "/method_differences.tsv");
  std::optional<sim::Dataset> dataset;
  if (!in.data_dir.empty()) dataset = sim::read_dataset_dir(in.data_dir);
  const sim::Dataset* ds = dataset ? &*dataset : nullptr;
  const ScenarioInfo info = scenario_info(ds, in.data_dir, hits.motifs, meta.get("motifs"));

  // Methods in the order of metrics.tsv (the scores file's), then any only in hits.tsv or role_metrics.tsv.
  std::vector<std::string> methods = mt.methods;
  auto add_method = [&](const std::string& m) {
    if (std::find(methods.begin(), methods.end(), m) == methods.end()) methods.push_back(m);
  };
  for (const auto& m : hits.methods) add_method(m);
  for (const auto& r : roles) add_method(r.method);
  std::map<std::string, std::string> reference_of;
  for (const auto& r : mt.rows) reference_of.try_emplace(r.method, r.reference);
  for (const auto& r : roles) reference_of.try_emplace(r.method, r.reference);

  const std::vector<std::string>& motifs = info.motif_order;  // the paper's: GATA first, as appendix G precedes Fig. 5
  const std::string& tal_motif = info.tal_motif;

  std::vector<Chart> charts;
  auto add_chart = [&](Chart c) {
    c.id = fmt::format("lb-chart-{}", charts.size());
    std::string div = chart_div(c);
    charts.push_back(std::move(c));
    return div;
  };
  std::string figures;
  auto add = [&](Chart c) { figures += add_chart(std::move(c)); };
  std::vector<std::pair<std::string, std::string>> nav;  // anchor, label

  std::string roles_json;
  const std::string scenario = scenario_section(info, ds);
  if (!scenario.empty()) nav.emplace_back("scenario", "scenario");
  const std::string tasks = task_sections(ds, roles, diffs, meta, roles_json, add_chart);
  if (!tasks.empty()) nav.emplace_back("tasks", "tasks");

  const std::string shown =
      hits.n_seqs_shown < hits.n_seqs
          ? fmt::format(" Hits of {} of the {} scored sequences are shown (evenly spread; report option max_scatter_seqs).",
                        hits.n_seqs_shown, hits.n_seqs)
          : "";
  auto has_metric = [&](std::string_view name) {
    return std::any_of(mt.rows.begin(), mt.rows.end(), [&](const auto& r) { return r.metric == name && r.tier == "all"; });
  };
  const std::string threshold = json_scalar_text(meta.get("log_odds_threshold")).empty()
                                    ? "the threshold"
                                    : json_scalar_text(meta.get("log_odds_threshold"));
  if (info.paper) {
    // The paper's figures (appendices G, I, J; main-text Fig. 5).
    nav.insert(nav.end(), {{"scatter", "scatter"}, {"rates", "false negatives/positives"}, {"tiers", "tiers"}});
    figures += "<h2 id=\"scatter\">Hit score against motif strength (appendix G(a), Fig. 5)</h2>\n";
    for (const auto& motif : motifs)
      add({"", "scatter", motif, fmt::format("{}: hit score vs log-odds", motif),
           fmt::format("Top hits of the {0} motif in every scored sequence. X: log-odds of the match against the "
                       "background; Y: total score of the match (sum of its per-base scores) for the row's task. "
                       "Red: sequences with both motifs; blue: GATA1 only; green: TAL1 only; black: none.{1}",
                       html_escape(motif), shown),
           "",
           {}});
    if (motifs.empty()) figures += "<p class=\"note\">hits.tsv has no hits.</p>\n";

    figures += "<h2 id=\"rates\">False negatives and false positives (appendix G(b))</h2>\n";
    if (has_metric("fn_rate"))
      add({"", "fn", "", "False-negative rate on task 0",
           fmt::format("Share of strong hits (log-odds ≥ {}) in sequences with both motifs whose task-0 score is ≤ 0.",
                       html_escape(threshold)),
           "",
           {}});
    if (has_metric("fp_rate"))
      add({"", "fp", "", "False-positive rate of the irrelevant motif",
           "Share of strong hits of the motif a task does not depend on (TAL1 for task 1, GATA1 for task 2) scored > 0.",
           "",
           {}});
    if (has_metric("loc_auroc") || has_metric("loc_auprc"))
      add({"", "loc", "", "Localisation of the planted motifs",
           "auROC and auPRC of the per-base scores against the planted motif positions (motifs.bed).", "", {}});

    figures += "<h2 id=\"tiers\">Tiers by number of instances (appendix I)</h2>\n";
    if (!tal_motif.empty() && hits.motifs_on_task0.count(tal_motif))
      add({"", "tiers", tal_motif, fmt::format("{} hits on task 0 by number of {} instances", tal_motif, tal_motif),
           "Top hits of TAL1, task 0, one row per number of TAL1 instances planted in the sequence. Red: the sequence "
           "also has GATA1; green: TAL1 only.",
           "",
           {}});
    else
      figures += "<p class=\"note\">No TAL1 hits on task 0 in sequences with planted TAL1.</p>\n";
  } else {
    // Any other scenario: the scanned motifs' hits, and the hit metrics evaluate computed for it.
    nav.emplace_back("scatter", "hits");
    figures += "<h2 id=\"scatter\">Hit score against motif strength</h2>\n";
    for (const auto& motif : motifs)
      add({"", "scatter", motif, fmt::format("{}: hit score vs log-odds", motif),
           fmt::format("Top hits of the {0} motif in every scored sequence, one row per task. X: log-odds of the match "
                       "against the background; Y: total score of the match (sum of its per-base scores) for the row's "
                       "task; colour: the sequence's class.{1}",
                       html_escape(motif), shown),
           "",
           {}});
    if (motifs.empty()) figures += "<p class=\"note\">hits.tsv has no hits.</p>\n";
    if (has_metric("fn_rate"))
      add({"", "fn", "", "False-negative rate of the hits of needed motifs",
           fmt::format("Per task and motif: share of strong hits (log-odds ≥ {}) in positive sequences carrying every "
                       "motif the task needs whose score is ≤ 0.",
                       html_escape(threshold)),
           "",
           {}});
    if (has_metric("fp_rate"))
      add({"", "fp", "", "False-positive rate of the hits of other motifs",
           "Per task and motif: share of strong hits of a motif the task does not depend on scored > 0.", "", {}});
    if (has_metric("loc_auroc") || has_metric("loc_auprc"))
      add({"", "loc", "", "Localisation of the planted motifs",
           "auROC and auPRC of the per-base scores against the planted bases of the motifs relevant to each task "
           "(motifs.bed).",
           "",
           {}});
  }

  // Appendix J: a method run with several references (deeplift:genomics, deeplift:genomics@dinuc_shuffle).
  nav.emplace_back("references", "references");
  figures += fmt::format("<h2 id=\"references\">Reference comparison{}</h2>\n", info.paper ? " (appendix J)" : "");
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
           fmt::format("The panels above for {} only.", refs), "", group});
    if (info.paper && !tal_motif.empty() && hits.motifs_on_task0.count(tal_motif))
      add({"", "tiers", tal_motif, fmt::format("{} tiers on task 0: {} by reference", tal_motif, base),
           fmt::format("The tier panels for {}.", refs), "", group});
  }
  if (!any_group)
    figures += "<p class=\"note\">No method was run with more than one reference (e.g. deeplift:genomics and "
               "deeplift:genomics@dinuc_shuffle).</p>\n";
  nav.insert(nav.end(), {{"logos", "logos"}, {"tables", "tables"}});
  const std::string xai = xai_section(mt, meta, info);
  if (!xai.empty()) nav.emplace_back("xai", "without a truth");
  if (std::filesystem::exists(outdir + "/discovery.tsv")) nav.emplace_back("discovery", "discovery");
  nav.emplace_back("config", "config");

  // Header facts.
  std::string info_facts;
  auto fact = [&](std::string_view k, const std::string& v) {
    if (!v.empty()) info_facts += fmt::format("<dt>{}</dt><dd>{}</dd>", k, html_escape(v));
  };
  fact("scenario", info.name);
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
    // A row per metric the model has: auROC / auPRC of a binary model, R² / Pearson r of a
    // real-valued one (metrics.json also holds its MSE, not shown).
    std::vector<std::pair<std::string_view, const Json*>> rows;
    std::size_t n_tasks = 0;
    for (const MetricInfo* m : kModelTableRows) {
      const Json* arr = model->get(m->name);
      if (!arr || arr->kind != Json::Kind::Array || arr->items.empty()) continue;
      rows.emplace_back(m->label, arr);
      n_tasks = std::max(n_tasks, arr->items.size());
    }
    if (!rows.empty()) {
      model_table = "<table><thead><tr><th></th>";
      for (std::size_t t = 0; t < n_tasks; ++t)
        model_table += fmt::format("<th>{}</th>", !info.paper && t < info.task_labels.size()
                                                       ? html_escape(info.task_labels[t])
                                                       : fmt::format("task {}", t));
      model_table += "</tr></thead><tbody>";
      for (const auto& [name, arr] : rows) {
        model_table += fmt::format("<tr><th>{}</th>", name);
        for (const auto& v : arr->items)
          model_table += v.kind == Json::Kind::Number ? fmt::format("<td>{:.3f}</td>", v.number) : std::string("<td>–</td>");
        model_table += "</tr>";
      }
      model_table += "</tbody></table>\n";
    }
  }

  // The page's data: hits, metrics, role metrics with ranks, charts, and how to label and colour them.
  auto list = [](const std::vector<std::string>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += fmt::format("{}{}", i ? "," : "", json_string(v[i]));
    return s + "]";
  };
  std::string class_colours;
  if (info.paper) {
    class_colours = R"({"domain":["both","gata_only","tal_only","empty"],"range":["#d62728","#1f77b4","#2ca02c","#222222"]})";
  } else {
    std::vector<std::string> domain = ds ? ds->class_names : std::vector<std::string>{};
    class_colours = fmt::format(R"({{"domain":{},"scheme":"tableau10"}})", list(domain));
  }
  std::string data = "{\"hits\":" + hits.json + ",\"metrics\":" + metrics_rows_json(mt) + ",\"roles\":[" + roles_json +
                     "],\"methods\":" + list(methods) + ",\"taskLabels\":" + list(info.task_labels) +
                     ",\"paper\":" + (info.paper ? "true" : "false") + ",\"classColors\":" + class_colours + ",\"charts\":[";
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
  h += fmt::format("</head>\n<body>\n<h1>liftbench report{}{}</h1>\n", info.name.empty() ? "" : ": ", html_escape(info.name));
  h += fmt::format("<div id=\"lb-status\" data-charts=\"{}\">rendering {} charts…</div>\n", page.n_charts, page.n_charts);
  h += "<p>";
  for (std::size_t i = 0; i < nav.size(); ++i)
    h += fmt::format("{}<a href=\"#{}\">{}</a>", i ? " · " : "", nav[i].first, nav[i].second);
  h += "</p>\n";
  h += "<dl class=\"info\">" + info_facts + "</dl>\n";
  if (!model_table.empty()) h += "<h3>Model (test split)</h3>\n" + model_table;
  h += scenario;
  h += tasks;
  h += figures;
  h += logos_section(in, ds, info);
  h += tables_section(mt, info);
  h += xai;
  h += discovery_section(outdir + "/discovery.tsv");
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
