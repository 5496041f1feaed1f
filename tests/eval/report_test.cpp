// Tests of the HTML report: rendered from small fake evaluation files, checked for its embedded
// libraries and data, and rendered in headless Chromium (when installed) to its status line.
#include "eval/report.h"

#include <filesystem>
#include <fstream>
#include <regex>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "eval/report_parts.h"
#include "eval/web/report_assets.h"
#include "io/npz.h"
#include "io/tsv.h"
#include "sim/dataset.h"
#include "sim/scenario.h"
#include "testing/helpers.h"
#include "testing/paper_dataset.h"

namespace lb::eval {
namespace {

using lb::testing::TempDir;

constexpr const char* kChromium = "/usr/bin/chromium";
const std::vector<std::string> kMethods{"grad_x_input", "deeplift:genomics", "deeplift:genomics@dinuc_shuffle"};

/// Four sequences of length 40, one per class, with planted sites; hits, metrics and scores
/// shaped as liftbench evaluate and attribute write them.
void write_fake_inputs(const std::string& dir) {
  sim::Dataset ds;
  ds.seq_len = 40;
  const int classes[] = {3, 1, 2, 0};  // both, gata_only, tal_only, empty
  for (int i = 0; i < 4; ++i) {
    ds.ids.push_back(fmt::format("seq{}", i));
    std::string s;
    for (int l = 0; l < ds.seq_len; ++l) s += "ACGT"[(l * 7 + i) % 4];
    ds.seqs.push_back(s);
    ds.classes.push_back(classes[i]);
    ds.splits.push_back(sim::Split::Test);
  }
  ds.sites = {{0, 3, 8, "GATA_disc1", 8.5, '+'},  {0, 20, 32, "TAL1_known1", 12.0, '+'},
              {1, 2, 7, "GATA_disc1", 7.5, '+'},  {1, 30, 35, "GATA_disc1", 6.0, '+'},
              {2, 10, 22, "TAL1_known1", 9.0, '+'}};
  lb::testing::finish_paper_dataset(ds, "GATA_disc1", "TAL1_known1");
  sim::write_dataset_dir(dir + "/data", ds, "[sim]\nn_seqs = 4\n");

  // scores.npz: ids, onehot (N,4,L), one (N,T,4,L) array per method.
  const std::int64_t N = 4, T = 3, L = ds.seq_len;
  std::vector<float> onehot(static_cast<std::size_t>(N * 4 * L), 0.0f);
  for (std::int64_t i = 0; i < N; ++i)
    for (std::int64_t l = 0; l < L; ++l) {
      const auto c = std::string("ACGT").find(ds.seqs[static_cast<std::size_t>(i)][static_cast<std::size_t>(l)]);
      onehot[static_cast<std::size_t>((i * 4 + static_cast<std::int64_t>(c)) * L + l)] = 1.0f;
    }
  io::NpzArchive npz{{"ids", io::NpyArray::from_strings({N}, ds.ids)}, {"onehot", io::NpyArray::from_f32({N, 4, L}, onehot)}};
  for (std::size_t m = 0; m < kMethods.size(); ++m) {
    std::vector<float> v(static_cast<std::size_t>(N * T * 4 * L));
    for (std::size_t k = 0; k < v.size(); ++k) v[k] = onehot[(k / static_cast<std::size_t>(T * 4 * L)) * 4 * L + k % (4 * L)] *
                                                      static_cast<float>(std::sin(0.37 * static_cast<double>(k + m)));
    npz.emplace_back(kMethods[m], io::NpyArray::from_f32({N, T, 4, L}, v));
    npz.emplace_back(kMethods[m] + ".delta", io::NpyArray::from_f32({N, T}, std::vector<float>(12, 0.0f)));
  }
  io::write_npz(dir + "/scores.npz", npz);

  // hits.tsv: two hits per sequence and motif, every method and task.
  std::vector<std::vector<std::string>> hits;
  const char* class_names[] = {"both", "gata_only", "tal_only", ""};
  const int n_gata[] = {1, 2, 0, 0}, n_tal[] = {1, 0, 1, 0};
  for (const auto& m : kMethods)
    for (int t = 0; t < 3; ++t)
      for (int i = 0; i < 4; ++i)
        for (int motif = 0; motif < 2; ++motif)
          for (int h = 0; h < 2; ++h) {
            const double lo = 4.0 + 3 * h + i + motif;
            const double score = (motif == 0 ? 1 : -1) * (lo - 5) * (t + 1) * 0.1 + static_cast<double>(m.size() % 3) * 0.05;
            hits.push_back({m, m.find('@') != std::string::npos ? "dinuc_shuffle" : "background", std::to_string(t),
                            ds.ids[static_cast<std::size_t>(i)], motif == 0 ? "GATA1" : "TAL1",
                            std::to_string(5 * h + 2), std::to_string(5 * h + 2 + (motif == 0 ? 5 : 12)), "+",
                            fmt::format("{:.3f}", lo), class_names[i],
                            std::to_string(motif == 0 ? n_gata[i] : n_tal[i]), fmt::format("{:.5g}", score)});
          }
  io::write_tsv(dir + "/hits.tsv",
                {"method", "reference", "task", "seq", "motif", "start", "end", "strand", "log_odds", "class",
                 "n_instances", "score"},
                hits);

  std::vector<std::vector<std::string>> metrics;
  for (std::size_t k = 0; k < kMethods.size(); ++k) {
    const auto& m = kMethods[k];
    const std::string ref = m.find('@') != std::string::npos ? "dinuc_shuffle" : "background";
    const std::string v = fmt::format("{:.3f}", 0.1 * static_cast<double>(k));
    metrics.push_back({m, ref, "0", "GATA1", "fn_rate", "all", v, "4"});
    metrics.push_back({m, ref, "0", "TAL1", "fn_rate", "all", "nan", "0"});
    metrics.push_back({m, ref, "1", "TAL1", "fp_rate", "all", v, "6"});
    metrics.push_back({m, ref, "2", "GATA1", "fp_rate", "all", v, "6"});
    metrics.push_back({m, ref, "0", "TAL1", "spearman", "all", "0.8", "8"});
    metrics.push_back({m, ref, "0", "TAL1", "spearman", "1", "0.7", "4"});
    metrics.push_back({m, ref, "0", "GATA+TAL", "loc_auroc", "all", "0.9", "160"});
    metrics.push_back({m, ref, "0", "GATA+TAL", "loc_auprc", "all", "0.6", "160"});
  }
  io::write_tsv(dir + "/metrics.tsv", {"method", "reference", "task", "motif", "metric", "tier", "value", "n"}, metrics);
  lb::testing::write_text(
      dir + "/metrics.json",
      R"({"version": "0.1.0", "scan_mode": "exclusive", "strands": "forward", "log_odds_threshold": 7,
 "n_sequences": 4, "methods": ["grad_x_input"], "model": {"test_auroc": [0.91, 0.95, 0.97], "test_auprc": [0.8, 0.85, 0.9]},
 "metrics": [{"method": "grad_x_input", "reference": "background", "task": 0, "motif": "GATA1", "metric": "fn_rate",
 "tier": "all", "value": 0.0, "n": 4}, {"note": "a \"quoted\" \u00e9 string", "x": [true, false, null, -1.5e-3]}]})");
}

ReportInputs fake_report_inputs(const std::string& dir) {
  ReportInputs in;
  in.data_dir = dir + "/data";
  in.scores_path = dir + "/scores.npz";
  in.config_ini = "[sim]\nn_seqs = 4  # <not a tag>\n";
  return in;
}

// Scatter GATA1 + TAL1, fn, fp, localisation, tiers, and for deeplift:genomics (two
// references) scatter GATA1 + TAL1 + tiers.
constexpr int kExpectedCharts = 9;

/// The text of #lb-status after Chromium ran the page's scripts, or "" when absent.
std::string chromium_status(const std::string& html_path, std::string* dom_out = nullptr) {
  TempDir profile;
  const auto r = lb::testing::run_command(fmt::format(
      "{} --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking "
      "--disable-component-update --disable-sync --user-data-dir={} --virtual-time-budget=10000 --dump-dom file://{}",
      kChromium, profile.path(), std::filesystem::absolute(html_path).string()));
  if (dom_out) *dom_out = r.out;
  std::smatch m;
  static const std::regex status(R"(<div id="lb-status"[^>]*>([^<]*)</div>)");
  return std::regex_search(r.out, m, status) ? m[1].str() : "";
}

TEST(ReportTest, EmbedsLibrariesDataAndLogos) {
  TempDir dir;
  write_fake_inputs(dir.path());
  const ReportPage page = render_report(dir.path(), fake_report_inputs(dir.path()));
  EXPECT_EQ(page.n_charts, kExpectedCharts);
  const std::string& h = page.html;
  // The three libraries, inline (no external script or stylesheet: the page opens offline).
  EXPECT_NE(h.find("vega 6.4.0, vega-lite 6.5.0, vega-embed 7.3.0"), std::string::npos);
  EXPECT_GT(web::vega_js().size(), 100'000u);
  EXPECT_NE(h.find(web::vega_js()), std::string::npos) << "vega.min.js missing";
  EXPECT_NE(h.find(web::vega_lite_js()), std::string::npos) << "vega-lite.min.js missing";
  EXPECT_NE(h.find(web::vega_embed_js()), std::string::npos) << "vega-embed.min.js missing";
  EXPECT_EQ(h.find("<script src"), std::string::npos);
  EXPECT_EQ(h.find("<link"), std::string::npos);
  // Data: every method, the hits as columns, the metrics rows; the header facts.
  for (const auto& m : kMethods) EXPECT_NE(h.find("\"" + m + "\""), std::string::npos) << m;
  EXPECT_NE(h.find("\"motifs\":[\"GATA1\",\"TAL1\"]"), std::string::npos);
  EXPECT_NE(h.find("\"metric\":\"fp_rate\""), std::string::npos);
  EXPECT_NE(h.find("\"value\":null"), std::string::npos) << "nan must become null";
  EXPECT_NE(h.find("<dt>scan mode</dt><dd>exclusive</dd>"), std::string::npos);
  EXPECT_NE(h.find("<td>0.950</td>"), std::string::npos) << "model test auROC of task 1";
  EXPECT_NE(h.find("data-charts=\"9\""), std::string::npos);
  // Logos: one SVG per class with motifs (both, gata_only, tal_only), one track per method, boxes.
  std::size_t n_svg = 0;
  for (std::size_t p = 0; (p = h.find("<svg class=\"logo\"", p)) != std::string::npos; ++p) ++n_svg;
  EXPECT_EQ(n_svg, 3u);
  EXPECT_NE(h.find("stroke=\"#1f5fd6\""), std::string::npos) << "GATA box";
  EXPECT_NE(h.find("stroke=\"#1a9e3a\""), std::string::npos) << "TAL box";
  EXPECT_NE(h.find("href=\"#lb-glyph-G\""), std::string::npos);
  // The scenario's tasks in words with their role counts (5 instances: task0's 2 drivers and 3
  // context, task1's 3 GATA drivers and 2 irrelevant TAL).
  EXPECT_NE(h.find("<tr><td>task0</td><td>binary</td><td>gata &amp; tal</td><td>2</td><td>3</td><td>0</td><td>0</td>"
                   "<td class=\"words\">Label 1 when a gata instance is present and a tal instance is present.</td></tr>"),
            std::string::npos);
  EXPECT_NE(h.find("<tr><td>task1</td><td>binary</td><td>gata</td><td>3</td><td>0</td><td>0</td><td>2</td>"),
            std::string::npos);
  // The paper's scenario keeps the paper's figures and names.
  EXPECT_NE(h.find("<h2 id=\"scatter\">Hit score against motif strength (appendix G(a), Fig. 5)</h2>"), std::string::npos);
  EXPECT_NE(h.find("<h2 id=\"tiers\">Tiers by number of instances (appendix I)</h2>"), std::string::npos);
  EXPECT_NE(h.find("\"taskLabels\":[\"task 0 (both)\",\"task 1 (GATA1)\",\"task 2 (TAL1)\"]"), std::string::npos);
  EXPECT_NE(h.find("<h2 id=\"scenario\">Scenario: paper</h2>"), std::string::npos);
  // Per-task sections from the roles, without role metrics in this evaluation.
  EXPECT_NE(h.find("<h3>Task task2</h3>\n<p>Label 1 when a tal instance is present."), std::string::npos);
  EXPECT_NE(h.find("No role metrics for this task (role_metrics.tsv)."), std::string::npos);
  // Config text escaped.
  EXPECT_NE(h.find("n_seqs = 4  # &lt;not a tag&gt;"), std::string::npos);
  // Tables.
  EXPECT_NE(h.find("<h3>spearman</h3>"), std::string::npos);
  EXPECT_NE(h.find("<summary>by number of instances</summary>"), std::string::npos);
}

// The metrics without a planted truth (docs/metrics.md) get their own section: per metric its
// meaning and direction, methods by tasks, each value with its interval from metrics.json; the
// metric tables of metrics.tsv do not repeat them.
TEST(ReportTest, MetricsWithoutATruthShowDirectionAndInterval) {
  TempDir dir;
  write_fake_inputs(dir.path());
  lb::testing::write_text(dir.file("metrics.tsv"), lb::testing::read_text(dir.file("metrics.tsv")) +
                                                       "grad_x_input\tbackground\t0\t-\tentropy\tall\t3.25\t4\n"
                                                       "grad_x_input\tbackground\t1\t-\tentropy\tall\tnan\t0\n");
  lb::testing::write_text(
      dir.file("metrics.json"),
      R"({"version": "0.1.0", "n_sequences": 4, "methods": ["grad_x_input"], "metrics": [{"method": "grad_x_input",
 "reference": "background", "task": 0, "motif": "-", "metric": "entropy", "tier": "all", "value": 3.25, "n": 4,
 "ci_lo": 3.125, "ci_hi": 3.5}]})");
  const std::string h = render_report(dir.path(), fake_report_inputs(dir.path())).html;
  const auto sec = h.find("<h2 id=\"xai\">Metrics without a planted truth</h2>");
  ASSERT_NE(sec, std::string::npos);
  EXPECT_NE(h.find("<a href=\"#xai\">without a truth</a>"), std::string::npos);
  EXPECT_NE(h.find("<h3>entropy</h3>\n<p class=\"note\">Shannon entropy (nats) of a sequence's shares of absolute "
                   "per-position score (Bhatt et al. 2020); lower is better.</p>\n<table><thead><tr><th>method</th>"
                   "<th>task 0</th><th>task 1</th></tr></thead><tbody>\n<tr><th>grad_x_input</th><td title=\"n = 4\">"
                   "3.250 <span class=\"note\">[3.125, 3.500]</span></td><td title=\"n = 0\">–</td></tr>\n",
                   sec),
            std::string::npos)
      << h.substr(sec, 800);
  EXPECT_EQ(h.find("<h3>entropy</h3>"), h.rfind("<h3>entropy</h3>")) << "shown once";
}

// The mean curves of metrics.json become one inline SVG chart per task and kind, one line per
// method, scaled to the panel: k 0..4 over x 30..270, logits 0.1..0.3 over y 130..30.
TEST(ReportTest, PerturbationCurvesAreDrawn) {
  const report::Json meta = report::parse_json(
      R"({"curves": [{"method": "a", "task": 0, "kind": "deletion", "k": [0, 2, 4], "logit": [0.3, 0.2, 0.1]},
 {"method": "b&c", "task": 0, "kind": "deletion", "k": [0, 2, 4], "logit": [0.3, 0.25, null]}]})",
      "metrics.json");
  report::ScenarioInfo info;
  info.paper = true;
  const std::string svg = report::curves_svg(meta, info);
  EXPECT_EQ(std::count(svg.begin(), svg.end(), '<') > 0, true);
  EXPECT_NE(svg.find("<title>task 0 deletion</title>"), std::string::npos) << svg;
  EXPECT_NE(svg.find("points=\"30.0,30.0 150.0,80.0 270.0,130.0\"><title>a</title>"), std::string::npos) << svg;
  EXPECT_NE(svg.find("points=\"30.0,30.0 150.0,55.0\"><title>b&amp;c</title>"), std::string::npos) << svg;
  EXPECT_EQ(report::curves_svg(report::parse_json("{}", "m.json"), info), "");
}

TEST(ReportTest, WritesIndexHtmlAtomically) {
  TempDir dir;
  write_fake_inputs(dir.path());
  write_report(dir.path(), fake_report_inputs(dir.path()));
  EXPECT_EQ(lb::testing::list_dir(dir.file("report")), std::vector<std::string>{"index.html"});
  EXPECT_GT(std::filesystem::file_size(dir.file("report/index.html")), 800'000u);
}

TEST(ReportTest, WithoutScoresHasNoLogos) {
  TempDir dir;
  write_fake_inputs(dir.path());
  ReportInputs in;
  const ReportPage page = render_report(dir.path(), in);
  EXPECT_EQ(page.n_charts, kExpectedCharts);
  EXPECT_NE(page.html.find("No scores file or dataset given: no logos."), std::string::npos);
}

TEST(ReportTest, MissingHitsIsAnError) {
  TempDir dir;
  write_fake_inputs(dir.path());
  std::filesystem::remove(dir.file("hits.tsv"));
  EXPECT_THROW(render_report(dir.path(), fake_report_inputs(dir.path())), lb::Error);
}

TEST(ReportTest, MissingContractColumnIsAnError) {
  TempDir dir;
  write_fake_inputs(dir.path());
  io::write_tsv(dir.file("metrics.tsv"), {"method", "task"}, {{"ig", "0"}});
  EXPECT_THROW(render_report(dir.path(), fake_report_inputs(dir.path())), InputError);
}

// A bad \u escape in metrics.json was "internal error: stoul" (std::stoul's
// invalid_argument); it is an InputError naming the file and byte.
TEST(ReportTest, BadUnicodeEscapeInMetricsJsonIsAnInputError) {
  TempDir dir;
  write_fake_inputs(dir.path());
  const std::string json = dir.file("metrics.json");
  lb::testing::write_text(json, R"({"note": "\uZZZZ"})");
  EXPECT_THROW_MSG(render_report(dir.path(), fake_report_inputs(dir.path())), InputError,
                   json + R"(: invalid JSON at byte 12; bad \u escape; expected 4 hex digits, got 'ZZZZ')");
  lb::testing::write_text(json, R"({"note": "\u 12x"})");  // stoul skipped the space and stopped at 'x'
  EXPECT_THROW_MSG(render_report(dir.path(), fake_report_inputs(dir.path())), InputError,
                   json + R"(: invalid JSON at byte 12; bad \u escape; expected 4 hex digits, got ' 12x')");
  lb::testing::write_text(json, "{\"note\": \"\\u\x1b[2J\"}");
  EXPECT_THROW_MSG(render_report(dir.path(), fake_report_inputs(dir.path())), InputError,
                   json + R"(: invalid JSON at byte 12; bad \u escape; expected 4 hex digits, got '\x1b[2J')");
  lb::testing::write_text(json, R"({"note": "\ud83d\ude00 \u00e9 \ud800"})");  // a pair, BMP, a lone surrogate
  EXPECT_NO_THROW(render_report(dir.path(), fake_report_inputs(dir.path())));
  // deep nesting was unbounded recursion (a stack overflow); now a clean error
  lb::testing::write_text(json, "{\"x\": " + std::string(100000, '[') + "}");
  EXPECT_THROW_MSG(render_report(dir.path(), fake_report_inputs(dir.path())), InputError,
                   json + ": invalid JSON at byte 261; nesting too deep; expected at most 256 levels");
}

TEST(ReportTest, CapsScatterSequences) {
  TempDir dir;
  write_fake_inputs(dir.path());
  ReportInputs in = fake_report_inputs(dir.path());
  in.max_scatter_seqs = 2;
  const ReportPage page = render_report(dir.path(), in);
  EXPECT_NE(page.html.find("Hits of 2 of the 4 scored sequences are shown"), std::string::npos);
}

TEST(ReportTest, RendersInHeadlessChromium) {
  if (!std::filesystem::exists(kChromium)) FAIL() << kChromium << " not installed (scripts/setup.sh installs it)";
  TempDir dir;
  write_fake_inputs(dir.path());
  write_report(dir.path(), fake_report_inputs(dir.path()));
  std::string dom;
  const std::string status = chromium_status(dir.file("report/index.html"), &dom);
  EXPECT_EQ(status, fmt::format("rendered {} charts", kExpectedCharts)) << dom.substr(0, 2000);
  // Every chart container holds a drawn canvas.
  std::size_t n_canvas = 0;
  for (std::size_t p = 0; (p = dom.find("<canvas", p)) != std::string::npos; ++p) ++n_canvas;
  EXPECT_EQ(n_canvas, static_cast<std::size_t>(kExpectedCharts));
}

TEST(ReportTest, ChromiumReportsScriptErrors) {
  if (!std::filesystem::exists(kChromium)) FAIL() << kChromium << " not installed (scripts/setup.sh installs it)";
  TempDir dir;
  write_fake_inputs(dir.path());
  ReportPage page = render_report(dir.path(), fake_report_inputs(dir.path()));
  // Break the embedded data: the page must say so rather than stay blank.
  const auto p = page.html.find("{\"hits\":");
  ASSERT_NE(p, std::string::npos);
  page.html.insert(p, "{oops");
  lb::testing::write_text(dir.file("broken.html"), page.html);
  const std::string status = chromium_status(dir.file("broken.html"));
  EXPECT_EQ(status.rfind("error: ", 0), 0u) << status;
}

// ---- any scenario: ranked tables, escaping, a non-paper scenario ------------------------------

report::RoleMetric role(const std::string& method, const std::string& metric, double value) {
  return {method, "background", "t<1>", metric, value, value - 0.01, value + 0.01, 100};
}
report::MethodDiff diff(const std::string& a, const std::string& b, const std::string& metric, bool real, double p) {
  return {"t<1>", metric, a, b, 0.0, real ? 0.01 : -0.01, 0.02, p, real};
}

// A hand-made ranking: B 0.02, C 0.05, A 0.10, E 0.30, D NaN (lower is better). C is not shown
// to differ from B (tier 1); A differs from B and leads tier 2; E differs from A (tier 3);
// the NaN is unranked. A real B-C difference of another metric or task must be ignored.
TEST(ReportTest, RanksMethodsIntoTiersFromPairedDifferences) {
  const std::string m = "driver_fn_rate";
  const std::vector<report::RoleMetric> rows{role("A", m, 0.10), role("B", m, 0.02), role("C", m, 0.05),
                                             role("D", m, std::nan("")), role("E", m, 0.30)};
  std::vector<report::MethodDiff> diffs{diff("A", "B", m, true, 0.001), diff("B", "C", m, false, 0.4),
                                        diff("A", "C", m, false, 0.2),  diff("B", "E", m, true, 0.001),
                                        diff("A", "E", m, true, 0.003), diff("C", "E", m, true, 0.001),
                                        diff("B", "C", "gss", true, 0.001)};
  diffs.push_back(diff("B", "C", m, true, 0.001));
  diffs.back().task = "other";
  const auto ranked = report::rank_methods(rows, diffs, report::Better::Lower);
  ASSERT_EQ(ranked.size(), 5u);
  std::vector<std::string> order;
  for (const auto& r : ranked) order.push_back(r.method);
  EXPECT_EQ(order, (std::vector<std::string>{"B", "C", "A", "E", "D"}));
  EXPECT_EQ(ranked[0].rank, 1);
  EXPECT_EQ(ranked[3].rank, 4);
  EXPECT_EQ(ranked[4].rank, 0) << "NaN is unranked";
  EXPECT_EQ(ranked[0].tier, 1);
  EXPECT_EQ(ranked[1].tier, 1) << "C is not shown to differ from the best";
  EXPECT_EQ(ranked[2].tier, 2);
  EXPECT_EQ(ranked[3].tier, 3);
  EXPECT_EQ(ranked[4].tier, 0);
  using Vs = report::RankedRow::Vs;
  EXPECT_EQ(ranked[0].vs_above, Vs::First);
  EXPECT_EQ(ranked[1].vs_above, Vs::NotReal);
  EXPECT_EQ(ranked[2].vs_above, Vs::NotReal) << "A vs C";
  EXPECT_EQ(ranked[3].vs_above, Vs::Real) << "E vs A";
  EXPECT_DOUBLE_EQ(ranked[3].p_above, 0.003);
  EXPECT_EQ(ranked[4].vs_above, Vs::Unknown) << "no D-E pair";

  // A method in no real difference with the leader joins its tier even below a method that
  // differs: without the A-E pair, E is not shown to differ from A.
  diffs.erase(std::remove_if(diffs.begin(), diffs.end(), [](const auto& d) { return d.a == "A" && d.b == "E"; }),
              diffs.end());
  EXPECT_EQ(report::rank_methods(rows, diffs, report::Better::Lower)[3].tier, 2);

  // Higher is better (gss), equal values share a rank; an unknown metric keeps the given order.
  const std::vector<report::RoleMetric> gss{role("A", "gss", 0.9), role("B", "gss", 0.99), role("C", "gss", 0.9)};
  const auto g = report::rank_methods(gss, {}, report::better_direction("gss"));
  EXPECT_EQ(g[0].method, "B");
  EXPECT_EQ(g[1].method, "A");
  EXPECT_EQ(g[1].rank, 2);
  EXPECT_EQ(g[2].rank, 2);
  EXPECT_EQ(g[2].tier, 1) << "no pairs: nothing is shown to differ";
  const auto u = report::rank_methods(gss, {}, report::better_direction("new_metric"));
  EXPECT_EQ(u[0].method, "A");
  EXPECT_EQ(u[0].rank, 0);
  EXPECT_EQ(u[0].tier, 0);
  EXPECT_EQ(report::better_direction("irrelevant_fp_rate"), report::Better::Lower);
  EXPECT_EQ(report::better_direction("repressor_neg_rate"), report::Better::Higher);
}

TEST(ReportTest, RankedTableMarksTiersAndEscapesNames) {
  const std::string m = "context_pos_rate";
  const std::vector<report::RoleMetric> rows{role("<b>&\"x", m, 0.5), role("y", m, 0.1)};
  const auto ranked = report::rank_methods(rows, {diff("<b>&\"x", "y", m, true, 0.002)}, report::Better::Lower);
  const std::string html = report::ranked_table_html(m, report::Better::Lower, ranked);
  EXPECT_NE(html.find("<tr class=\"tier1\" data-tier=\"1\"><td>1</td><th>y</th><td>0.100</td><td>[0.090, 0.110]</td>"
                      "<td>1</td><td title=\"\"></td></tr>"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("<tr class=\"tier2\" data-tier=\"2\"><td>2</td><th>&lt;b&gt;&amp;&quot;x</th><td>0.500</td>"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find(">≠</td>"), std::string::npos);
  EXPECT_NE(html.find("(p = 0.002)"), std::string::npos);
  EXPECT_NE(html.find("(context instances scored &gt; 0; lower is better; n = 100 instances)"), std::string::npos) << html;
  EXPECT_EQ(html.find("<b>&"), std::string::npos);
}

TEST(ReportTest, TaskInWords) {
  const std::vector<std::string> keys{"gata", "tal"};
  auto words = [&](const std::string& def) { return report::task_in_words({"t", sim::TaskKind::Binary, def}, keys); };
  EXPECT_EQ(words("gata & !tal"), "Label 1 when a gata instance is present and no tal instance is present.");
  EXPECT_EQ(words("gata then tal at 6-10"), "Label 1 when a tal instance starts 6–10 bp after a gata instance ends.");
  EXPECT_EQ(words("gata+ | (tal & gata-)"),
            "Label 1 when a gata instance on the + strand is present or (a tal instance is present and a gata instance "
            "on the - strand is present).");
  EXPECT_EQ(words("nfkb"), "Label 1 when nfkb.") << "a key this dataset does not have: as written";
  EXPECT_EQ(report::task_in_words({"r", sim::TaskKind::Linear, "1 x count(gata) + N(0, 0.3^2)"}, keys),
            "A real-valued target: 1 x count(gata) + N(0, 0.3^2).");
}

const std::vector<std::string> kOtherMethods{"grad_x_input", "x<y>&z", "ism"};

/// A scenario that is not the paper's: three motifs with names HTML must escape, two tasks
/// (an OR and a repressor), four classes, role metrics and paired differences. With
/// `real_valued` the two tasks are real-valued targets (roles as for the binary ones) and
/// metrics.json's model has test R², Pearson r and MSE instead of auROC / auPRC.
void write_other_scenario(const std::string& dir, bool real_valued = false) {
  sim::Dataset ds;
  ds.seq_len = 40;
  ds.motif_keys = {"sox", "klf", "nfy"};
  const std::vector<std::string> pwm{"SOX2<x>&\"q", "KLF4", "NFY_A"};
  ds.class_names = {"empty", "sox_only", "klf_nfy", "all<3>"};
  ds.tasks = {{"either<1>", sim::TaskKind::Binary, "sox | klf"}, {"rep&", sim::TaskKind::Binary, "klf & !nfy"}};
  for (int i = 0; i < 4; ++i) {
    ds.ids.push_back(fmt::format("s{}", i));
    std::string s;
    for (int l = 0; l < ds.seq_len; ++l) s += "ACGT"[(l * 5 + i) % 4];
    ds.seqs.push_back(s);
    ds.classes.push_back(i);
    ds.splits.push_back(sim::Split::Test);
  }
  auto site = [&](int seq, int start, int key) {
    return sim::MotifSite{seq, start, start + 6, pwm[static_cast<std::size_t>(key)], 8.0, '+', key};
  };
  ds.sites = {site(1, 3, 0), site(2, 2, 1), site(2, 20, 2), site(3, 1, 0), site(3, 12, 1), site(3, 30, 2)};
  const std::size_t n = 4, T = 2;
  lb::testing::derive_truth(ds);
  if (real_valued) {
    ds.tasks = {{"either<1>", sim::TaskKind::Linear, "2 x count(sox) + 1 x count(klf) + N(0, 0.3^2)"},
                {"rep&", sim::TaskKind::Linear, "1.5 x count(klf) - 2 x count(nfy) + N(0, 0.3^2)"}};
    for (std::size_t i = 0; i < n; ++i) {
      ds.labels[i * T] = static_cast<float>(2 * ds.count(static_cast<int>(i), 0) + ds.count(static_cast<int>(i), 1));
      ds.labels[i * T + 1] =
          static_cast<float>(1.5 * ds.count(static_cast<int>(i), 1) - 2 * ds.count(static_cast<int>(i), 2));
    }
  }
  sim::write_dataset_dir(dir + "/data", ds, "[sim]\nn_seqs = 4\n",
                         "[scenario]\nname = three<&>motifs\ndescription = SOX or KLF; KLF unless NFY.\n"
                         "decoy.nfy = count=uniform(0,1)\n[class.sox_only]\nweight = 1\nplace.s = sox count=1 strand=+\n"
                         "[class.all<3>]\nweight = 1\nplace.a = sox\nplace.b = klf after=a gap=2-4\n");

  const std::int64_t N = 4, L = ds.seq_len, TT = 2;
  std::vector<float> onehot(static_cast<std::size_t>(N * 4 * L), 0.0f);
  for (std::int64_t i = 0; i < N; ++i)
    for (std::int64_t l = 0; l < L; ++l) {
      const auto c = std::string("ACGT").find(ds.seqs[static_cast<std::size_t>(i)][static_cast<std::size_t>(l)]);
      onehot[static_cast<std::size_t>((i * 4 + static_cast<std::int64_t>(c)) * L + l)] = 1.0f;
    }
  io::NpzArchive npz{{"ids", io::NpyArray::from_strings({N}, ds.ids)}, {"onehot", io::NpyArray::from_f32({N, 4, L}, onehot)}};
  for (std::size_t m = 0; m < kOtherMethods.size(); ++m) {
    std::vector<float> v(static_cast<std::size_t>(N * TT * 4 * L));
    for (std::size_t k = 0; k < v.size(); ++k)
      v[k] = onehot[(k / static_cast<std::size_t>(TT * 4 * L)) * 4 * L + k % (4 * L)] *
             static_cast<float>(std::cos(0.21 * static_cast<double>(k + 3 * m)));
    npz.emplace_back(kOtherMethods[m], io::NpyArray::from_f32({N, TT, 4, L}, v));
  }
  io::write_npz(dir + "/scores.npz", npz);

  std::vector<std::vector<std::string>> hits;
  for (const auto& m : kOtherMethods)
    for (int t = 0; t < 2; ++t)
      for (int i = 0; i < 4; ++i)
        for (int key = 0; key < 3; ++key) {
          const double lo = 5.0 + i + key;
          hits.push_back({m, "background", std::to_string(t), ds.ids[static_cast<std::size_t>(i)], pwm[static_cast<std::size_t>(key)],
                          "4", "10", "+", fmt::format("{:.3f}", lo), ds.class_names[static_cast<std::size_t>(i)],
                          std::to_string(ds.count(i, key)), fmt::format("{:.4g}", (key == 2 ? -0.1 : 0.1) * lo * (t + 1))});
        }
  io::write_tsv(dir + "/hits.tsv",
                {"method", "reference", "task", "seq", "motif", "start", "end", "strand", "log_odds", "class",
                 "n_instances", "score"},
                hits);
  std::vector<std::vector<std::string>> metrics;
  for (const auto& m : kOtherMethods) {
    metrics.push_back({m, "background", "0", "SOX2<x>&\"q+KLF4", "loc_auroc", "all", "0.8", "160"});
    metrics.push_back({m, "background", "1", "KLF4", "loc_auroc", "all", "0.7", "160"});
  }
  io::write_tsv(dir + "/metrics.tsv", {"method", "reference", "task", "motif", "metric", "tier", "value", "n"}, metrics);
  lb::testing::write_text(dir + "/metrics.json",
                          R"({"version": "0.1.0", "scan_mode": "exclusive", "n_sequences": 4,
 "motifs": {"gata": "SOX2<x>&\"q", "tal": "KLF4", "nfy": "NFY_A"},
 "model": )" + std::string(real_valued ? R"({"test_auroc": [], "test_auprc": [], "test_r2": [0.87, 0.725], "test_pearson": [0.93, null], "test_mse": [0.25, 1.5]})"
                                             : R"({"test_auroc": [0.9, null], "test_auprc": [0.8, 0.7]})") +
                              R"(, "metrics": []})");
  // Task either<1>: driver_fn_rate ism 0.01 < grad_x_input 0.02 < x<y>&z 0.2 (real vs both);
  // gss the other way round. Task rep&: repressor_neg_rate, all ties.
  const std::vector<std::vector<std::string>> roles{
      {"grad_x_input", "background", "either<1>", "driver_fn_rate", "0.02", "0.01", "0.04", "3"},
      {"x<y>&z", "background", "either<1>", "driver_fn_rate", "0.2", "0.1", "0.3", "3"},
      {"ism", "none", "either<1>", "driver_fn_rate", "0.01", "0", "0.03", "3"},
      {"grad_x_input", "background", "either<1>", "gss", "0.9", "0.8", "1", "3"},
      {"x<y>&z", "background", "either<1>", "gss", "0.5", "0.4", "0.6", "3"},
      {"ism", "none", "either<1>", "gss", "nan", "nan", "nan", "3"},
      {"grad_x_input", "background", "rep&", "repressor_neg_rate", "1", "1", "1", "2"},
      {"x<y>&z", "background", "rep&", "repressor_neg_rate", "1", "1", "1", "2"},
      {"ism", "none", "rep&", "repressor_neg_rate", "1", "1", "1", "2"}};
  io::write_tsv(dir + "/role_metrics.tsv", {"method", "reference", "task", "metric", "value", "ci_lo", "ci_hi", "n"}, roles);
  const std::vector<std::vector<std::string>> diffs{
      {"either<1>", "driver_fn_rate", "grad_x_input", "x<y>&z", "-0.18", "-0.3", "-0.05", "0.001", "yes"},
      {"either<1>", "driver_fn_rate", "grad_x_input", "ism", "0.01", "-0.01", "0.03", "0.3", "no"},
      {"either<1>", "driver_fn_rate", "x<y>&z", "ism", "0.19", "0.05", "0.3", "0.001", "yes"},
      {"either<1>", "gss", "grad_x_input", "x<y>&z", "0.4", "0.2", "0.6", "0.001", "yes"},
      {"rep&", "repressor_neg_rate", "grad_x_input", "x<y>&z", "0", "0", "0", "1", "no"},
      {"rep&", "repressor_neg_rate", "grad_x_input", "ism", "0", "0", "0", "1", "no"},
      {"rep&", "repressor_neg_rate", "x<y>&z", "ism", "0", "0", "0", "1", "no"}};
  io::write_tsv(dir + "/method_differences.tsv",
                {"task", "metric", "method_a", "method_b", "a_minus_b", "ci_lo", "ci_hi", "p_value", "real"}, diffs);
}

// Scatter of the three motifs, localisation, and one role chart per task.
constexpr int kOtherCharts = 6;

TEST(ReportTest, AnyScenarioGetsTaskSectionsFromItsRoles) {
  TempDir dir;
  write_other_scenario(dir.path());
  const ReportPage page = render_report(dir.path(), fake_report_inputs(dir.path()));
  const std::string& h = page.html;
  EXPECT_EQ(page.n_charts, kOtherCharts);
  // Not the paper's: none of its figures, names or task labels.
  EXPECT_EQ(h.find("(appendix"), std::string::npos);
  EXPECT_NE(h.find("<h2 id=\"logos\">Attribution logos</h2>"), std::string::npos);
  EXPECT_NE(h.find("<h2 id=\"scatter\">Hit score against motif strength</h2>"), std::string::npos);
  EXPECT_EQ(h.find("GATA1 only"), std::string::npos);
  EXPECT_NE(h.find("\"paper\":false"), std::string::npos);
  EXPECT_NE(h.find("\"taskLabels\":[\"either\\u003c1\\u003e\",\"rep\\u0026\"]"), std::string::npos);
  // The scenario and its tasks in words; every name escaped.
  EXPECT_NE(h.find("<h2 id=\"scenario\">Scenario: three&lt;&amp;&gt;motifs</h2>"), std::string::npos);
  EXPECT_NE(h.find("<h3>Task either&lt;1&gt;</h3>\n<p>Label 1 when a sox instance is present or a klf instance is "
                   "present."),
            std::string::npos);
  EXPECT_NE(h.find("<h3>Task rep&amp;</h3>\n<p>Label 1 when a klf instance is present and no nfy instance is present."),
            std::string::npos);
  EXPECT_NE(h.find("all&lt;3&gt; (1)"), std::string::npos) << "classes with their sequences";
  EXPECT_NE(h.find("<dt>decoys (every sequence)</dt><dd><code>nfy: count=uniform(0,1)</code></dd>"), std::string::npos);
  EXPECT_NE(h.find("<tr><td>all&lt;3&gt;</td><td>1</td><td class=\"words\"><code>a: sox</code><br><code>b: klf after=a "
                   "gap=2-4</code></td></tr>"),
            std::string::npos);
  EXPECT_NE(h.find("<tr><td>empty</td><td>1</td><td class=\"words\">nothing</td></tr>"), std::string::npos);
  // Roles of each motif for task rep&: klf drives in s2? no (nfy there): context; in s3 context too; nfy represses.
  EXPECT_NE(h.find("<tr><th>nfy</th><td>0</td><td>0</td><td>2</td><td>0</td></tr>"), std::string::npos);
  EXPECT_NE(h.find("<p class=\"note\">Model: test auPRC 0.700.</p>"), std::string::npos) << "null auROC skipped";
  // The ranked tables: ism and grad_x_input in tier 1, x<y>&z in tier 2; gss NaN unranked.
  const auto fn = h.find("data-metric=\"driver_fn_rate\"");
  ASSERT_NE(fn, std::string::npos);
  const auto p_ism = h.find("<th>ism</th>", fn), p_gxi = h.find("<th>grad_x_input</th>", fn),
             p_xyz = h.find("<th>x&lt;y&gt;&amp;z</th>", fn);
  EXPECT_LT(p_ism, p_gxi);
  EXPECT_LT(p_gxi, p_xyz);
  EXPECT_NE(h.find("<tr class=\"tier1\" data-tier=\"1\"><td>2</td><th>grad_x_input</th>", fn), std::string::npos);
  EXPECT_NE(h.find("<tr class=\"tier2\" data-tier=\"2\"><td>3</td><th>x&lt;y&gt;&amp;z</th>", fn), std::string::npos);
  EXPECT_NE(h.find("<tr class=\"tier0\" data-tier=\"0\"><td>–</td><th>ism</th><td>–</td>"), std::string::npos);
  // No raw name anywhere: not in the HTML, not in the embedded JSON.
  EXPECT_EQ(h.find("x<y>&z"), std::string::npos);
  EXPECT_EQ(h.find("SOX2<x>"), std::string::npos);
  EXPECT_EQ(h.find("three<&>"), std::string::npos);
  EXPECT_NE(h.find("SOX2&lt;x&gt;&amp;&quot;q"), std::string::npos) << "the logo legend and boxes";
  // Logos: the first task with the fewest motifs (rep& has two keys, either<1> two: the first), boxes per key.
  EXPECT_NE(h.find("Per-base scores for task either&lt;1&gt;"), std::string::npos);
  EXPECT_NE(h.find("stroke=\"#d6601f\""), std::string::npos) << "the third key's colour";
}

// Real-valued tasks: each task section and the model table show the model's test R² and
// Pearson r (from metrics.json "model"), no auROC / auPRC.
TEST(ReportTest, RealValuedScenarioShowsRSquaredAndPearson) {
  TempDir dir;
  write_other_scenario(dir.path(), true);
  const ReportPage page = render_report(dir.path(), fake_report_inputs(dir.path()));
  const std::string& h = page.html;
  EXPECT_EQ(page.n_charts, kOtherCharts);
  EXPECT_NE(h.find("<h3>Task either&lt;1&gt;</h3>\n<p>A real-valued target: 2 x count(sox) + 1 x count(klf) + N(0, "
                   "0.3^2). <span class=\"note\">(real-valued: "),
            std::string::npos);
  const auto sec0 = h.find("<section class=\"task\" id=\"task-0\">"), sec1 = h.find("<section class=\"task\" id=\"task-1\">");
  ASSERT_NE(sec0, std::string::npos);
  ASSERT_NE(sec1, std::string::npos);
  const auto m0 = h.find("<p class=\"note\">Model: test R² 0.870, test Pearson r 0.930.</p>", sec0);
  EXPECT_LT(m0, sec1) << "task 0's section";
  EXPECT_NE(h.find("<p class=\"note\">Model: test R² 0.725.</p>", sec1), std::string::npos) << "null Pearson r skipped";
  EXPECT_NE(h.find("<h3>Model (test split)</h3>\n<table><thead><tr><th></th><th>either&lt;1&gt;</th><th>rep&amp;</th></tr>"
                   "</thead><tbody><tr><th>test R²</th><td>0.870</td><td>0.725</td></tr><tr><th>test Pearson r</th>"
                   "<td>0.930</td><td>–</td></tr></tbody></table>\n"),
            std::string::npos);
  EXPECT_EQ(h.find("test auROC"), std::string::npos);
  EXPECT_EQ(h.find("test auPRC"), std::string::npos);
  EXPECT_EQ(h.find("test_mse"), std::string::npos) << "MSE stays in metrics.json";
}

TEST(ReportTest, AnyScenarioRendersInHeadlessChromium) {
  if (!std::filesystem::exists(kChromium)) FAIL() << kChromium << " not installed (scripts/setup.sh installs it)";
  TempDir dir;
  write_other_scenario(dir.path());
  write_report(dir.path(), fake_report_inputs(dir.path()));
  std::string dom;
  const std::string status = chromium_status(dir.file("report/index.html"), &dom);
  EXPECT_EQ(status, fmt::format("rendered {} charts", kOtherCharts)) << dom.substr(0, 2000);
  std::size_t n_canvas = 0;
  for (std::size_t p = 0; (p = dom.find("<canvas", p)) != std::string::npos; ++p) ++n_canvas;
  EXPECT_EQ(n_canvas, static_cast<std::size_t>(kOtherCharts));
}

// The discovery section from a hand-made run directory: the table (with why a task has no
// motif), and each discovered motif's CWM logo above its best match's PWM logo, aligned by the
// match's offset and drawn in the matched orientation.
TEST(ReportTest, DiscoverySectionDrawsCwmLogosBesideTheMatchedMotif) {
  TempDir d;
  const std::string dir = d.file("discover/m/task0");
  std::filesystem::create_directories(dir);
  io::write_tsv(d.file("discovery.tsv"), {"method", "task", "motif", "metric", "value"},
                {{"m", "0", "GATA", "driver_sites", "3"}, {"m", "0", "GATA", "recovered", "1"},
                 {"m", "0", "GATA", "recovery_q", "0.001"}, {"m", "0", "TAL1", "repressor_sites", "2"},
                 {"m", "0", "TAL1", "repressor_recovered", "1"}, {"m", "0", "TAL1", "repressor_q", "0.03"},
                 {"m", "0", "TAL1", "repressor_similarity", "5.5"}, {"m", "0", "TAL1", "repressor_support", "9"},
                 {"m", "0", "-", "status", "motifs"},
                 {"m", "0", "-", "seqlets", "40"}, {"m", "0", "-", "redundancy", "1.5"},
                 {"m", "0", "-", "coverage", "0.8"}, {"m", "1", "-", "status", "too_few_seqlets"},
                 {"m", "1", "-", "seqlets", "7"}});
  // The file's motif: 3 columns, A / C / G certain; reverse complemented: C G T.
  std::ofstream(d.file("db.meme")) << "MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\n"
                                      "MOTIF GATA\nletter-probability matrix: alength= 4 w= 3 nsites= 1 E= 0\n"
                                      "1 0 0 0\n0 1 0 0\n0 0 1 0\n";
  std::ofstream(dir + "/discover.config.ini") << "[discover]\nmethod = m\ntask = 0\nmotifs = " << d.file("db.meme")
                                              << "\n";
  io::write_tsv(dir + "/motifs.tsv", {"motif", "sign", "support", "width", "consensus", "total_abs_cwm", "share"},
                {{"pos_1", "pos", "40", "2", "GT", "1", "1"}});
  // pos_1 is 2 columns, G then T (0.5 each); it matches GATA on '-' at offset 1: its column 0
  // sits on the reversed target's column 1.
  io::write_npz(dir + "/cwm.npz", {{"pos_1.cwm", io::NpyArray::from_f32({2, 4}, std::vector<float>{0, 0, 0.5f, 0, 0, 0, 0, 0.5f})}});
  io::write_tsv(dir + "/matches.tsv",
                {"Query_ID", "Target_ID", "Optimal_offset", "p-value", "E-value", "q-value", "Overlap", "Query_consensus",
                 "Target_consensus", "Orientation", "Similarity"},
                {{"pos_1", "GATA", "1", "0.001", "0.001", "0.002", "2", "GT", "CGT", "-", "2"}});
  const std::string html = report::discovery_section(d.file("discovery.tsv"));
  EXPECT_NE(html.find("no motif: too few seqlets to cluster"), std::string::npos);
  // Redundancy and coverage, the table's last two columns (task 1 has neither).
  EXPECT_NE(html.find("<td>1.50</td><td>0.800</td></tr>"), std::string::npos) << html;
  EXPECT_NE(html.find("<td>–</td><td>–</td></tr>"), std::string::npos);
  // A planted repressor's line, from its `repressor_*` rows, after the driver's.
  EXPECT_NE(html.find("GATA &#10003; q 0.001, similarity –, 0 seqlets</span><br><span style=\"color:#060\">TAL1 "
                      "(repressor, by a negative motif) &#10003; q 0.03, similarity 5.50, 9 seqlets"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("best match GATA (q 0.002, strand -, offset 1)"), std::string::npos);
  EXPECT_NE(html.find("id=\"lb-mglyph-A\""), std::string::npos);  // the letters' definitions, once
  // CWM: G then T at columns 1 and 2 (the query starts at the offset), 40 px tall; the planted
  // motif reversed and complemented (C, G, T) from column 0, 2 bits = 40 px.
  const std::regex use("<use href=\"#lb-mglyph-([ACGT])\" fill=\"[^\"]+\" transform=\"translate\\(([0-9.]+),");
  std::vector<std::pair<std::string, std::string>> letters;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), use); it != std::sregex_iterator(); ++it)
    letters.emplace_back((*it)[1], (*it)[2]);
  ASSERT_EQ(letters.size(), 5u) << html;
  EXPECT_EQ(letters[0], std::make_pair(std::string("G"), std::string("214.0")));  // 200 + 14 x column 1
  EXPECT_EQ(letters[1], std::make_pair(std::string("T"), std::string("228.0")));
  EXPECT_EQ(letters[2], std::make_pair(std::string("C"), std::string("200.0")));
  EXPECT_EQ(letters[3], std::make_pair(std::string("G"), std::string("214.0")));
  EXPECT_EQ(letters[4], std::make_pair(std::string("T"), std::string("228.0")));
  EXPECT_NE(html.find("scale(14,-40.00)"), std::string::npos);  // the CWM's tallest column: 40 px
  EXPECT_EQ(report::discovery_section(d.file("absent.tsv")), "");
}

}  // namespace
}  // namespace lb::eval
