// The discovery benchmark from the command line: `liftbench discover --motifs --data` and the
// discover step of `liftbench run` (eval.discover_methods): its table, its report section, its
// errors.
#include <filesystem>
#include <map>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "io/tsv.h"
#include "testing/helpers.h"

namespace lb {
namespace {

using lb::testing::read_text;
using lb::testing::run_liftbench;
using lb::testing::TempDir;

const std::string kSmoke = std::string(LB_SOURCE_DIR) + "/configs/smoke.ini";
const std::string kMotifs = std::string(LB_SOURCE_DIR) + "/configs/motifs/tal1_gata1.meme";

std::string error_line(const std::string& err) {
  const auto pos = err.rfind("liftbench: error: ");
  return pos == std::string::npos ? err : err.substr(pos);
}

TEST(DiscoverRunTest, RunWritesTheDiscoveryTableAndItsReportSection) {
  TempDir d;
  const std::string out = d.file("run");
  // 300 smoke sequences: the test split is too small for motifs of 20 seqlets, so every task
  // counts as nothing discovered, with a warning; the table still has every row. (With the
  // smoke config's 400, the barely trained model's small clusters of each task share its
  // base-composition preference over their whole windows and the core merge joins them into one
  // unmatched motif of 22-27 seqlets.)
  const std::string args = "--sim.n_seqs 300 --attribution.methods grad_x_input,deeplift:rescale "
                           "--eval.discover_methods deeplift:rescale";
  auto r = run_liftbench(fmt::format("run -c {} -o {} {}", kSmoke, out, args));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("[W::discover] deeplift:rescale task 0: "), std::string::npos) << r.err;
  const auto t = io::read_tsv(out + "/discovery.tsv");
  EXPECT_EQ(t.header, (std::vector<std::string>{"method", "task", "motif", "metric", "value"}));
  int recovered_rows = 0, summary_rows = 0;
  std::map<std::string, std::map<std::string, std::string>> task_rows;  // task -> metric -> value
  for (const auto& row : t.rows) {
    EXPECT_EQ(row[0], "deeplift:rescale");
    recovered_rows += row[3] == "recovered";
    summary_rows += row[3] == "seqlet_precision";
    if (row[2] == "-") task_rows[row[1]][row[3]] = row[4];
  }
  EXPECT_EQ(summary_rows, 3);    // one per task
  EXPECT_EQ(recovered_rows, 4);  // task 0: GATA and TAL1; task 1: GATA; task 2: TAL1
  // A task without motifs still reports the seqlets it had, scored against the drivers, and why
  // no motif came out (until 2026-11-28 such a task read seqlets 0, precision nan, recall 0).
  ASSERT_EQ(task_rows.size(), 3u);
  for (const auto& [task, v] : task_rows) {
    SCOPED_TRACE("task " + task);
    ASSERT_TRUE(v.count("status") && v.count("seqlets") && v.count("seqlets_negative"));
    EXPECT_TRUE(v.at("status") == "too_few_seqlets" || v.at("status") == "no_motif_with_support") << v.at("status");
    const int pos = std::stoi(v.at("seqlets")), neg = std::stoi(v.at("seqlets_negative"));
    EXPECT_GT(pos + neg, 0);
    EXPECT_EQ(v.at("status") == "too_few_seqlets", pos < 20 && neg < 20);
    if (pos > 0) {
      const double precision = std::stod(v.at("seqlet_precision")), recall = std::stod(v.at("seqlet_recall"));
      EXPECT_GE(precision, 0);
      EXPECT_LE(precision, 1);
      EXPECT_GE(recall, 0);  // the smoke model is barely trained: its seqlets may miss every driver
      EXPECT_LE(recall, 1);
    }
    EXPECT_EQ(v.at("motifs"), "0");
  }
  const std::string html = read_text(out + "/report/index.html");
  EXPECT_NE(html.find("no motif: "), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(out + "/discover.manifest.tsv"));
  EXPECT_NE(read_text(out + "/report/index.html").find("<h2 id=\"discovery\">Motif discovery</h2>"), std::string::npos);
  // Run again: reused, as every other step.
  r = run_liftbench(fmt::format("run -c {} -o {} {}", kSmoke, out, args));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("[M::run] discover: reused"), std::string::npos) << r.err;
}

TEST(DiscoverRunTest, Errors) {
  TempDir d;
  auto r = run_liftbench(fmt::format("run -c {} -o {} --attribution.methods grad_x_input --eval.discover_methods ig",
                                     kSmoke, d.file("run")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(error_line(r.err),
            "liftbench: error: eval.discover_methods: 'ig' is not attributed; expected "
            "methods of attribution.methods, got 'ig'\n");
  r = run_liftbench(fmt::format("run -c {} -o {} --eval.discover_methods 'ig,,ism'", kSmoke, d.file("run")));
  EXPECT_EQ(error_line(r.err),
            "liftbench: error: eval.discover_methods: empty method; expected comma-separated "
            "method names, got 'ig,,ism'\n");
  r = run_liftbench(fmt::format("discover --scores x.npz --method m --data {} -o {}", d.path(), d.file("o")));
  EXPECT_EQ(error_line(r.err),
            "liftbench: error: --data: needs --motifs; expected the motif file the dataset's motifs come from, got "
            "nothing\n");
  EXPECT_FALSE(std::filesystem::exists(d.file("run")));
}

}  // namespace
}  // namespace lb
