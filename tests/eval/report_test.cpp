// Tests of the HTML report: rendered from small fake evaluation files, checked for its embedded
// libraries and data, and rendered in headless Chromium (when installed) to its status line.
#include "eval/report.h"

#include <filesystem>
#include <regex>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "eval/web/report_assets.h"
#include "io/npz.h"
#include "io/tsv.h"
#include "sim/dataset.h"
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
  EXPECT_NE(h.find("<tr><td>task0</td><td>binary</td><td>gata &amp; tal</td><td>2</td><td>3</td><td>0</td><td>0</td></tr>"),
            std::string::npos);
  EXPECT_NE(h.find("<tr><td>task1</td><td>binary</td><td>gata</td><td>3</td><td>0</td><td>0</td><td>2</td></tr>"),
            std::string::npos);
  // Config text escaped.
  EXPECT_NE(h.find("n_seqs = 4  # &lt;not a tag&gt;"), std::string::npos);
  // Tables.
  EXPECT_NE(h.find("<h3>spearman</h3>"), std::string::npos);
  EXPECT_NE(h.find("<summary>by number of instances</summary>"), std::string::npos);
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

// Issue 15 item 6: a bad \u escape in metrics.json was "internal error: stoul" (std::stoul's
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

}  // namespace
}  // namespace lb::eval
