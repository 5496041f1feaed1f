// Aggregating a sweep: the sign test and Holm's adjustment by hand, summaries and paired
// comparisons of hand-made metric tables, and the files write_aggregate reads and writes.
#include "eval/aggregate.h"

#include <cmath>
#include <filesystem>

#include <gtest/gtest.h>

#include "core/error.h"
#include "io/tsv.h"
#include "testing/helpers.h"

namespace lb::eval {
namespace {

using lb::testing::TempDir;
using lb::testing::write_text;

TEST(AggregateTest, SignTestByHand) {
  // n = 5 non-tied pairs, all won: 2 * (1/32).
  EXPECT_DOUBLE_EQ(sign_test_p(5, 0), 2.0 / 32);
  EXPECT_DOUBLE_EQ(sign_test_p(0, 5), 2.0 / 32);
  // 4 of 5: P(X >= 4) + P(X <= 1) = (5 + 1 + 5 + 1) / 32.
  EXPECT_DOUBLE_EQ(sign_test_p(4, 1), 12.0 / 32);
  // Balanced: 1. No pairs: 1.
  EXPECT_DOUBLE_EQ(sign_test_p(3, 3), 1.0);
  EXPECT_DOUBLE_EQ(sign_test_p(0, 0), 1.0);
  // 25 runs, 19 wins: the two tails of Binomial(25, 1/2) at 19 and 6.
  double tail = 0;
  for (int x = 19; x <= 25; ++x) tail += std::exp(std::lgamma(26.0) - std::lgamma(x + 1.0) - std::lgamma(26.0 - x)) / std::pow(2.0, 25);
  EXPECT_NEAR(sign_test_p(19, 6), 2 * tail, 1e-15);
  EXPECT_LT(sign_test_p(18, 7), 0.05);  // 0.0433: 18 of 25 is the fewest wins that show a difference
  EXPECT_GT(sign_test_p(17, 8), 0.05);  // 0.108
}

TEST(AggregateTest, HolmByHand) {
  // Sorted 0.01, 0.02, 0.04 with m = 3: 0.03, max(0.03, 0.04) = 0.04, max(0.04, 0.04) = 0.04.
  const auto adj = holm_adjust({0.04, 0.01, 0.02});
  ASSERT_EQ(adj.size(), 3u);
  EXPECT_DOUBLE_EQ(adj[1], 0.03);
  EXPECT_DOUBLE_EQ(adj[2], 0.04);
  EXPECT_DOUBLE_EQ(adj[0], 0.04);
  // Monotone and capped at 1.
  const auto big = holm_adjust({0.5, 0.6});
  EXPECT_DOUBLE_EQ(big[0], 1.0);
  EXPECT_DOUBLE_EQ(big[1], 1.0);
  EXPECT_TRUE(holm_adjust({}).empty());
}

std::vector<RunMetric> two_methods(int runs, double offset_b, double noise) {
  std::vector<RunMetric> rows;
  for (int r = 0; r < runs; ++r) {
    const std::string pt = "p" + std::to_string(r);
    const double base = 0.5 + noise * std::sin(1.7 * r);  // seed-to-seed variation shared by both
    rows.push_back({pt, "all", "a", "bg", "0", "GATA", "fn_rate", "all", base});
    rows.push_back({pt, "all", "b", "bg", "0", "GATA", "fn_rate", "all", base + offset_b + 0.01 * std::cos(3.1 * r)});
  }
  return rows;
}

TEST(AggregateTest, SummaryMeanSdAndInterval) {
  std::vector<RunMetric> rows;
  for (const double v : {1.0, 2.0, 3.0, 6.0})
    rows.push_back({"p", "all", "m", "bg", "0", "-", "gss", "all", v});
  rows.push_back({"q", "all", "m", "bg", "0", "-", "gss", "all", std::nan("")});  // not counted
  const auto s = summarize(rows, {});
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].runs, 4);
  EXPECT_DOUBLE_EQ(s[0].mean, 3.0);
  EXPECT_DOUBLE_EQ(s[0].sd, std::sqrt(14.0 / 3));  // squared deviations 4 + 1 + 0 + 9
  EXPECT_DOUBLE_EQ(s[0].min, 1.0);
  EXPECT_DOUBLE_EQ(s[0].max, 6.0);
  EXPECT_LE(s[0].lo, 3.0);
  EXPECT_GE(s[0].hi, 3.0);
  EXPECT_GE(s[0].lo, 1.0);
  EXPECT_LE(s[0].hi, 6.0);
  // One run: no sd, the interval is the value.
  const auto one = summarize({{"p", "all", "m", "bg", "0", "-", "gss", "all", 0.25}}, {});
  EXPECT_TRUE(std::isnan(one[0].sd));
  EXPECT_DOUBLE_EQ(one[0].lo, 0.25);
  EXPECT_DOUBLE_EQ(one[0].hi, 0.25);
}

TEST(AggregateTest, ConsistentDifferenceIsRealDespiteLargeSeedNoise) {
  // b is worse by 0.05 on every one of 12 runs, while the runs themselves vary by +-0.3: the
  // difference is real (12 of 12, p = 2^-11), though the per-method intervals overlap.
  const auto rows = two_methods(12, 0.05, 0.3);
  const auto c = compare_methods(rows, {});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].a, "a");
  EXPECT_EQ(c[0].b, "b");
  EXPECT_EQ(c[0].runs, 12);
  EXPECT_EQ(c[0].losses, 12);
  EXPECT_DOUBLE_EQ(c[0].p_sign, std::pow(2.0, -11));
  EXPECT_TRUE(c[0].real);
  EXPECT_LT(c[0].hi, 0);
  const auto s = summarize(rows, {});
  ASSERT_EQ(s.size(), 2u);
  EXPECT_LT(s[1].lo, s[0].hi);  // the unpaired intervals overlap
}

TEST(AggregateTest, NoDifferenceIsNotReal) {
  // b = a +- 0.01 in turn: wins and losses balance; nothing real.
  std::vector<RunMetric> rows;
  for (int r = 0; r < 10; ++r) {
    const std::string pt = "p" + std::to_string(r);
    rows.push_back({pt, "all", "a", "bg", "0", "-", "gss", "all", 0.5 + 0.2 * r});
    rows.push_back({pt, "all", "b", "bg", "0", "-", "gss", "all", 0.5 + 0.2 * r + (r % 2 ? 0.01 : -0.01)});
  }
  const auto c = compare_methods(rows, {});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].wins, 5);
  EXPECT_EQ(c[0].losses, 5);
  EXPECT_DOUBLE_EQ(c[0].p_sign, 1.0);
  EXPECT_FALSE(c[0].real);
}

TEST(AggregateTest, HolmAcrossMethodPairsOfOneTable) {
  // Three methods, 6 runs: a beats b and c every time (p = 2^-5 = 0.03125 each); b vs c balanced.
  // Holm over the 3 pairs: 0.09375, 0.0625 (step-down keeps it >= the first) -> neither real.
  std::vector<RunMetric> rows;
  for (int r = 0; r < 6; ++r) {
    const std::string pt = "p" + std::to_string(r);
    rows.push_back({pt, "all", "a", "bg", "0", "-", "gss", "all", 1.0 + r});
    rows.push_back({pt, "all", "b", "bg", "0", "-", "gss", "all", 0.5 + r + (r % 2 ? 0.1 : -0.1)});
    rows.push_back({pt, "all", "c", "bg", "0", "-", "gss", "all", 0.5 + r});
  }
  const auto c = compare_methods(rows, {});
  ASSERT_EQ(c.size(), 3u);
  EXPECT_DOUBLE_EQ(c[0].p_sign, 1.0 / 32);
  EXPECT_DOUBLE_EQ(c[1].p_sign, 1.0 / 32);
  EXPECT_DOUBLE_EQ(c[0].p_holm, 3.0 / 32);
  EXPECT_DOUBLE_EQ(c[1].p_holm, 3.0 / 32);
  EXPECT_DOUBLE_EQ(c[2].p_holm, 1.0);
  for (const auto& r : c) EXPECT_FALSE(r.real);
}

TEST(AggregateTest, PairsOnlyOverRunsWhereBothAreFinite) {
  auto rows = two_methods(5, 0.1, 0.1);
  rows[3].value = std::nan("");  // point p1, method b
  const auto c = compare_methods(rows, {});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].runs, 4);
  EXPECT_EQ(c[0].losses, 4);
}

TEST(AggregateTest, ConditionsAreComparedApart) {
  auto rows = two_methods(4, 0.1, 0.1);
  auto more = two_methods(4, -0.1, 0.1);
  for (auto& r : more) {
    r.condition = "model.layers=small";
    r.point += "x";
  }
  rows.insert(rows.end(), more.begin(), more.end());
  const auto c = compare_methods(rows, {});
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].condition, "all");
  EXPECT_EQ(c[0].losses, 4);
  EXPECT_EQ(c[1].condition, "model.layers=small");
  EXPECT_EQ(c[1].wins, 4);
}

TEST(AggregateTest, WritesTablesFromASweepDirectory) {
  TempDir d;
  write_text(d.path() + "/axes.tsv", "axis\trole\nsim.seed\treplicate\nmodel.layers\tcondition\n");
  write_text(d.path() + "/points.tsv",
             "point\tsim.seed\tmodel.layers\tdata\tmodel\tscores\tevaluate\n"
             "p0001\t1\tbig\tdata/x\tmodels/x\tscores/x\teval/e1\n"
             "p0002\t2\tbig\tdata/y\tmodels/y\tscores/y\teval/e2\n");
  const std::string header = "method\treference\ttask\tmotif\tmetric\ttier\tvalue\tn\n";
  std::filesystem::create_directories(d.path() + "/eval/e1");
  std::filesystem::create_directories(d.path() + "/eval/e2");
  write_text(d.path() + "/eval/e1/metrics.tsv",
             header + "a\tbg\t0\tGATA\tfn_rate\tall\t0.1\t10\nb\tbg\t0\tGATA\tfn_rate\tall\t0.3\t10\nmodel\t-\t0\t-\ttest_auroc\tall\t0.9\t\n");
  write_text(d.path() + "/eval/e2/metrics.tsv",
             header + "a\tbg\t0\tGATA\tfn_rate\tall\t0.2\t10\nb\tbg\t0\tGATA\tfn_rate\tall\t0.4\t10\nmodel\t-\t0\t-\ttest_auroc\tall\t0.8\t\n");
  write_text(d.path() + "/eval/e1/role_metrics.tsv",
             "method\treference\ttask\tmetric\tvalue\tci_lo\tci_hi\tn\na\tbg\ttask0\tgss\t0.7\t0.6\t0.8\t40\n");
  EXPECT_EQ(write_aggregate(d.path(), {}), 2);
  const auto runs = io::read_tsv(d.path() + "/aggregate/runs.tsv");
  EXPECT_EQ(runs.rows.size(), 7u);
  EXPECT_EQ(runs.header[2], "sim.seed");
  EXPECT_EQ(runs.rows[0][1], "model.layers=big");
  EXPECT_EQ(runs.rows[6][6], "0");  // role metric: "task0" read as task 0
  const auto summary = io::read_tsv(d.path() + "/aggregate/summary.tsv");
  ASSERT_EQ(summary.rows.size(), 4u);
  EXPECT_EQ(summary.rows[0][1], "a");
  EXPECT_EQ(summary.rows[0][8], "0.15");  // mean of 0.1 and 0.2
  const auto comps = io::read_tsv(d.path() + "/aggregate/comparisons.tsv");
  ASSERT_EQ(comps.rows.size(), 1u);  // a vs b on fn_rate (test_auroc and gss have one method)
  EXPECT_EQ(comps.rows[0][10], "-0.2");
  EXPECT_EQ(comps.rows[0][14], "2");  // losses
  const std::string html = lb::testing::read_text(d.path() + "/aggregate/index.html");
  EXPECT_NE(html.find("model.layers=big"), std::string::npos);
  EXPECT_NE(html.find("lower is better"), std::string::npos);
}

// The metrics without a planted truth (docs/metrics.md) are rows of metrics.tsv (motif "-"):
// aggregate compares them across runs in the catalogue's direction, the lower entropy and the
// higher sparseness first.
TEST(AggregateTest, ComplexityMetricsRankedInTheirDirection) {
  TempDir d;
  write_text(d.path() + "/axes.tsv", "axis\trole\nsim.seed\treplicate\n");
  write_text(d.path() + "/points.tsv", "point\tsim.seed\tevaluate\np0001\t1\teval/e1\np0002\t2\teval/e2\n");
  const std::string header = "method\treference\ttask\tmotif\tmetric\ttier\tvalue\tn\n";
  for (const auto& [run, shift] : {std::pair{"e1", "1"}, std::pair{"e2", "2"}}) {
    std::filesystem::create_directories(d.path() + "/eval/" + run);
    write_text(d.path() + "/eval/" + run + "/metrics.tsv",
               header + "a\tbg\t0\t-\tsparseness\tall\t0.5" + shift + "\t100\nb\tbg\t0\t-\tsparseness\tall\t0.7" +
                   shift + "\t100\na\tbg\t0\t-\tentropy\tall\t4." + shift + "\t100\nb\tbg\t0\t-\tentropy\tall\t3." +
                   shift + "\t100\n");
  }
  EXPECT_EQ(write_aggregate(d.path(), {}), 2);
  const std::string html = lb::testing::read_text(d.path() + "/aggregate/index.html");
  const auto sparse = html.find("<h3>sparseness &middot; task 0</h3><p class=no>higher is better");
  const auto entropy = html.find("<h3>entropy &middot; task 0</h3><p class=no>lower is better");
  ASSERT_NE(sparse, std::string::npos);
  ASSERT_NE(entropy, std::string::npos);
  // b is the better method on both: the first row of each table.
  EXPECT_EQ(html.find("<tr><td>b</td>", sparse) < html.find("<tr><td>a</td>", sparse), true);
  EXPECT_EQ(html.find("<tr><td>b</td>", entropy) < html.find("<tr><td>a</td>", entropy), true);
}

// A point with a discover step: its discovery.tsv rows join the runs (tier all, the method's
// reference from metrics.tsv), recovery is ranked higher-is-better, and a missing discovery
// names the point. A point whose discover column is "-" has none.
TEST(AggregateTest, ReadsDiscoveryOfPointsWithADiscoverStep) {
  TempDir d;
  write_text(d.path() + "/axes.tsv", "axis\trole\nsim.seed\treplicate\n");
  write_text(d.path() + "/points.tsv",
             "point\tsim.seed\tevaluate\tdiscover\n"
             "p0001\t1\teval/e1\tdiscover/e1\np0002\t2\teval/e2\tdiscover/e2\np0003\t3\teval/e3\t-\n");
  const std::string header = "method\treference\ttask\tmotif\tmetric\ttier\tvalue\tn\n";
  for (const char* e : {"e1", "e2", "e3"}) {
    std::filesystem::create_directories(d.path() + "/eval/" + e);
    write_text(d.path() + "/eval/" + e + "/metrics.tsv", header + "a@dinuc\tdinuc_shuffle\t0\tGATA\tfn_rate\tall\t0.1\t10\n");
  }
  const std::string dheader = "method\ttask\tmotif\tmetric\tvalue\n";
  std::filesystem::create_directories(d.path() + "/discover/e1");
  write_text(d.path() + "/discover/e1/discovery.tsv",
             dheader + "a@dinuc\t0\tGATA\trecovered\t1\na@dinuc\t0\t-\tunmatched_max_share\t0.02\n");
  EXPECT_THROW_MSG(write_aggregate(d.path(), {}), InputError,
                   d.path() + "/points.tsv: point p0002 has no discovery; expected " + d.path() +
                       "/discover/e2/discovery.tsv (run the sweep first)");
  std::filesystem::create_directories(d.path() + "/discover/e2");
  write_text(d.path() + "/discover/e2/discovery.tsv",
             dheader + "a@dinuc\t0\tGATA\trecovered\t0\na@dinuc\t0\t-\tunmatched_max_share\tnan\n");
  const SweepTable t = read_sweep_table(d.path());
  EXPECT_EQ(t.points[0].discover_dir, "discover/e1");
  EXPECT_EQ(t.points[2].discover_dir, "");
  const auto rows = read_run_metrics(d.path(), t);
  ASSERT_EQ(rows.size(), 7u);  // 3 fn_rate + 2 + 2 discovery rows
  EXPECT_EQ(rows[1].point, "p0001");
  EXPECT_EQ(rows[1].method, "a@dinuc");
  EXPECT_EQ(rows[1].reference, "dinuc_shuffle");
  EXPECT_EQ(rows[1].motif, "GATA");
  EXPECT_EQ(rows[1].metric, "recovered");
  EXPECT_EQ(rows[1].tier, "all");
  EXPECT_EQ(rows[1].value, 1.0);
  EXPECT_TRUE(std::isnan(rows[5].value));
  EXPECT_EQ(write_aggregate(d.path(), {}), 3);
  const auto summary = io::read_tsv(d.path() + "/aggregate/summary.tsv");
  bool found = false;
  for (const auto& r : summary.rows)
    if (r[5] == "recovered") found = r[8] == "0.5";  // mean over the two points that discover
  EXPECT_TRUE(found);
  const std::string html = lb::testing::read_text(d.path() + "/aggregate/index.html");
  EXPECT_NE(html.find("higher is better"), std::string::npos);
}

TEST(AggregateTest, MissingEvaluationNamesThePoint) {
  TempDir d;
  write_text(d.path() + "/axes.tsv", "axis\trole\nsim.seed\treplicate\n");
  write_text(d.path() + "/points.tsv", "point\tsim.seed\tevaluate\np0001\t1\teval/e1\n");
  EXPECT_THROW_MSG(write_aggregate(d.path(), {}), InputError,
                   d.path() + "/points.tsv: point p0001 has no evaluation; expected " + d.path() +
                       "/eval/e1/metrics.tsv (run the sweep first)");
  write_text(d.path() + "/axes.tsv", "axis\trole\nsim.seed\tseed\n");
  EXPECT_THROW_MSG(write_aggregate(d.path(), {}), InputError,
                   d.path() + "/axes.tsv:2: bad role; expected condition or replicate, got 'seed'");
}

}  // namespace
}  // namespace lb::eval
