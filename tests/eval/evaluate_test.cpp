// Tests of eval/evaluate: scores matching and its exact errors, and every metric on a tiny
// hand-made dataset whose answers are worked out in the comments.
#include "eval/evaluate.h"

#include <algorithm>

#include <cmath>
#include <cstdint>
#include <map>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/alphabet.h"
#include "core/error.h"
#include "eval/metric_catalogue.h"
#include "eval/metrics.h"
#include "eval/report_parts.h"
#include "io/tsv.h"
#include "model/network.h"
#include "testing/helpers.h"
#include "testing/paper_dataset.h"
#include "sim/scenario.h"

namespace lb::eval {
namespace {

using lb::testing::read_text;
using lb::testing::TempDir;

constexpr int kL = 10;
constexpr int kT = 3;

// Two width-2 motifs: "GATA" = AG, "TAL" = CC (0.97 on the consensus base). Against the
// default background a consensus window scores about ln(.97/.3) + ln(.97/.2) = 2.75 (GATA) or
// 2 ln(.97/.2) = 3.16 (TAL); any other window is below 0.
sim::Pwm gata() { return sim::Pwm("GATA", {{0.97, 0.01, 0.01, 0.01}, {0.01, 0.01, 0.97, 0.01}}); }
sim::Pwm tal() { return sim::Pwm("TAL", {{0.01, 0.97, 0.01, 0.01}, {0.01, 0.97, 0.01, 0.01}}); }

// s0 both (GATA at 1, TAL at 6), s1 gata_only (GATA at 0 and 6), s2 tal_only (TAL at 3), s3 empty.
sim::Dataset tiny_dataset() {
  sim::Dataset ds;
  ds.seq_len = kL;
  ds.ids = {"s0", "s1", "s2", "s3"};
  ds.seqs = {"TAGTTTCCTT", "AGTTTTAGTT", "TTTCCTTTTT", "TTTTTTTTTT"};
  ds.classes = {3, 1, 2, 0};  // both, gata_only, tal_only, empty
  ds.splits.assign(4, sim::Split::Test);
  ds.sites = {{0, 1, 3, "GATA", 2.75, '+'}, {0, 6, 8, "TAL", 3.16, '+'}, {1, 0, 2, "GATA", 2.75, '+'},
              {1, 6, 8, "GATA", 2.75, '+'}, {2, 3, 5, "TAL", 3.16, '+'}};
  lb::testing::finish_paper_dataset(ds, "GATA", "TAL");
  return ds;
}

// Per-base scores [row][task][l] placed on the observed base's channel, as (N,T,4,L).
io::NpyArray contributions(const sim::Dataset& ds, const std::vector<int>& rows,
                           const std::vector<std::array<std::array<float, kL>, kT>>& pb) {
  std::vector<float> v(rows.size() * kT * 4 * kL, 0.0f);
  for (std::size_t r = 0; r < rows.size(); ++r)
    for (std::size_t t = 0; t < kT; ++t)
      for (std::size_t l = 0; l < kL; ++l) {
        const std::size_t c = base_code(ds.seqs[static_cast<std::size_t>(rows[r])][l]);
        v[((r * kT + t) * 4 + c) * kL + l] = pb[r][t][l];
      }
  return io::NpyArray::from_f32({static_cast<std::int64_t>(rows.size()), kT, 4, kL}, v);
}

io::NpyArray onehot(const sim::Dataset& ds, const std::vector<int>& rows) {
  std::vector<float> v(rows.size() * 4 * kL, 0.0f);
  for (std::size_t r = 0; r < rows.size(); ++r)
    for (std::size_t l = 0; l < kL; ++l)
      v[(r * 4 + base_code(ds.seqs[static_cast<std::size_t>(rows[r])][l])) * kL + l] = 1.0f;
  return io::NpyArray::from_f32({static_cast<std::int64_t>(rows.size()), 4, kL}, v);
}

io::NpyArray ids_of(const sim::Dataset& ds, const std::vector<int>& rows) {
  std::vector<std::string> ids;
  for (int r : rows) ids.push_back(ds.ids[static_cast<std::size_t>(r)]);
  return io::NpyArray::from_strings({static_cast<std::int64_t>(ids.size())}, ids);
}

// The scores of the worked example, rows in the order s2, s0, s1, s3 (not the dataset's).
//  task 0: s0's GATA bases +1, its TAL bases -1 (a false negative); all else 0.
//  task 1: GATA bases of s0 and s1 +1; s0's TAL bases +0.5 (a false positive), s2's -0.5.
//  task 2: all 0.
io::NpzArchive worked_archive(const sim::Dataset& ds) {
  const std::vector<int> rows{2, 0, 1, 3};
  std::vector<std::array<std::array<float, kL>, kT>> pb(4);
  for (auto& r : pb)
    for (auto& t : r) t.fill(0.0f);
  auto& s2 = pb[0];
  auto& s0 = pb[1];
  auto& s1 = pb[2];
  s0[0][1] = s0[0][2] = 1;
  s0[0][6] = s0[0][7] = -1;
  s0[1][1] = s0[1][2] = 1;
  s0[1][6] = s0[1][7] = 0.5f;
  s1[1][0] = s1[1][1] = s1[1][6] = s1[1][7] = 1;
  s2[1][3] = s2[1][4] = -0.5f;
  io::NpyArray m = contributions(ds, rows, pb);
  io::NpyArray hyp = m;
  io::NpyArray delta = io::NpyArray::from_f32({4, kT}, std::vector<float>(4 * kT, 0.0f));
  return {{"ids", ids_of(ds, rows)},   {"onehot", onehot(ds, rows)},         {"deeplift:rescale", m},
          {"deeplift:rescale.hypothetical", hyp}, {"deeplift:rescale.delta", delta}, {"ism@shuffle", m}};
}

EvalConfig test_config() {
  EvalConfig cfg;
  cfg.top_hits = 2;
  cfg.log_odds_threshold = 2;  // the planted windows (2.75, 3.16) and nothing else
  return cfg;
}

// A model whose every logit is the share of A in the input: gap, then a dense layer that
// weighs channel A by 1 (bias 0). Replacing a position by the background (0.3 A) changes the
// logit by -0.07 at an A and +0.03 elsewhere (L = 10), so every curve is a sum by hand.
model::Network share_of_a_model(int outputs = kT) {
  model::ModelConfig mc;
  mc.layers = fmt::format("gap fc=dense({})", outputs);
  model::Network net = model::Network::from_config(mc, model::Shape{4, 1, kL});
  auto params = net.params();
  params[0].value->setZero();
  for (int t = 0; t < outputs; ++t) (*params[0].value)(t, 0) = 1.0f;
  params[1].value->setZero();
  return net;
}

using Key = std::tuple<std::string, int, std::string, std::string, std::string>;  // method task motif metric tier
std::map<Key, std::pair<double, long>> by_key(const Evaluation& ev) {
  std::map<Key, std::pair<double, long>> m;
  for (const auto& r : ev.rows) m[Key(r.method, r.task, r.motif, r.metric, r.tier)] = {r.value, r.n};
  return m;
}

std::pair<double, long> get(const std::map<Key, std::pair<double, long>>& m, const std::string& method, int task,
                            const std::string& motif, const std::string& metric, const std::string& tier) {
  const auto it = m.find({method, task, motif, metric, tier});
  if (it == m.end()) throw std::runtime_error("no row " + method + " " + motif + " " + metric + " " + tier);
  return it->second;
}
std::size_t has(const std::map<Key, std::pair<double, long>>& m, const std::string& method, int task,
                const std::string& motif, const std::string& metric, const std::string& tier) {
  return m.count({method, task, motif, metric, tier});
}

TEST(EvaluateTest, MatchesScoresToTheDatasetById) {
  const sim::Dataset ds = tiny_dataset();
  const ScoresInput in = match_scores(worked_archive(ds), "scores.npz", ds, "data", "background");
  EXPECT_EQ(in.seq, (std::vector<int>{2, 0, 1, 3}));
  ASSERT_EQ(in.methods.size(), 2u);  // auxiliary arrays skipped
  EXPECT_EQ(in.methods[0].name, "deeplift:rescale");
  EXPECT_EQ(in.methods[0].reference, "background");
  EXPECT_EQ(in.methods[1].reference, "shuffle");
  // Row 1 is s0; task 0, base 1 (its G's channel) holds +1.
  EXPECT_EQ(in.methods[0].per_base[(1 * kT + 0) * kL + 1], 1.0);
}

TEST(EvaluateTest, HitsAreTheTopPerSequenceAndMotif) {
  const sim::Dataset ds = tiny_dataset();
  const std::vector<int> seq{0, 1};
  const std::vector<Hit> hits = find_hits(ds, seq, {gata(), tal()}, test_config());
  ASSERT_EQ(hits.size(), 8u);  // 2 sequences x 2 motifs x 2 hits
  EXPECT_EQ(hits[0].start, 1);  // s0's planted GATA first
  EXPECT_EQ(hits[0].end, 3);
  // ln(p'(A)/.3) + ln(p'(G)/.2) with p' = .97 (1 - .001) + .001/4
  const double p = 0.97 * 0.999 + 0.00025;
  EXPECT_NEAR(hits[0].log_odds, std::log(p / 0.3) + std::log(p / 0.2), 1e-12);
  EXPECT_EQ(hits[2].motif, 1);
  EXPECT_EQ(hits[2].start, 6);
  EXPECT_EQ(hits[4].row, 1);
  EXPECT_EQ(hits[4].start, 0);  // s1: both planted GATA, the first on the tie
  EXPECT_EQ(hits[5].start, 6);
}

// Role metrics of the worked example, by hand. Roles (paper tasks): task0 = gata & tal: s0's
// GATA and TAL drive, s1's two GATA and s2's TAL are context; task1 = gata: the three GATA
// drive, s0's and s2's TAL are irrelevant; task2 = tal: the two TAL drive, the GATA irrelevant.
// Instance scores (sums over the span): task0 s0 GATA 2, TAL -2, others 0; task1 GATA 2 (all
// three), s0 TAL 1, s2 TAL -1; task2 all 0.
TEST(EvaluateTest, RoleMetricsByHand) {
  const sim::Dataset ds = tiny_dataset();
  const ScoresInput in = match_scores(worked_archive(ds), "scores.npz", ds, "data", "background");
  EvalConfig cfg = test_config();
  cfg.bootstrap_resamples = 200;
  const Evaluation ev = evaluate(ds, in, {gata(), tal()}, cfg);
  std::map<std::tuple<std::string, int, std::string>, RoleRow> r;
  for (const RoleRow& row : ev.role_rows) r[{row.method, row.task, row.metric}] = row;
  const std::string rs = "deeplift:rescale";
  auto value = [&](int task, const std::string& metric) { return r.at({rs, task, metric}).value; };
  EXPECT_EQ(value(0, "driver_fn_rate"), 0.5);      // TAL -2 of the two drivers
  EXPECT_EQ(value(0, "context_pos_rate"), 0.0);    // three context instances at 0
  EXPECT_EQ(value(0, "gss"), 0.0);                 // s0's TAL driver is not positive
  EXPECT_EQ(r.at({rs, 0, "driver_fn_rate"}).instances, 2);
  EXPECT_EQ(r.count({rs, 0, "irrelevant_fp_rate"}), 0u);  // no irrelevant instance for task 0
  EXPECT_EQ(value(1, "driver_fn_rate"), 0.0);
  EXPECT_EQ(value(1, "irrelevant_fp_rate"), 0.5);  // s0's TAL at +1, s2's at -1
  EXPECT_EQ(value(1, "gss"), 1.0);                 // s0 and s1: every driver positive
  EXPECT_EQ(value(2, "driver_fn_rate"), 1.0);
  EXPECT_EQ(value(2, "irrelevant_fp_rate"), 0.0);
  EXPECT_EQ(r.count({rs, 0, "repressor_neg_rate"}), 0u);
  // Intervals bracket the estimate; a constant rate has a zero-width interval.
  for (const RoleRow& row : ev.role_rows) {
    EXPECT_LE(row.lo, row.value + 1e-12) << row.metric;
    EXPECT_GE(row.hi, row.value - 1e-12) << row.metric;
  }
  EXPECT_EQ(r.at({rs, 1, "driver_fn_rate"}).lo, 0.0);
  EXPECT_EQ(r.at({rs, 1, "driver_fn_rate"}).hi, 0.0);
  // The two methods hold the same scores: every paired difference is exactly 0, never "real".
  ASSERT_FALSE(ev.diffs.empty());
  for (const DiffRow& d : ev.diffs) {
    EXPECT_EQ(d.a, rs);
    EXPECT_EQ(d.b, "ism@shuffle");
    EXPECT_EQ(d.diff, 0.0);
    EXPECT_EQ(d.lo, 0.0);
    EXPECT_EQ(d.hi, 0.0);
    EXPECT_FALSE(d.excludes_zero);
  }
}

TEST(EvaluateTest, WorkedExampleMetrics) {
  const sim::Dataset ds = tiny_dataset();
  const ScoresInput in = match_scores(worked_archive(ds), "scores.npz", ds, "data", "background");
  const Evaluation ev = evaluate(ds, in, {gata(), tal()}, test_config());
  auto m = by_key(ev);
  const std::string rs = "deeplift:rescale";
  // fn_rate (task 0, strong hits in class both = s0 only): GATA scores 2 > 0, TAL -2 <= 0.
  EXPECT_EQ(get(m, rs, 0, "GATA", "fn_rate", "all"), (std::pair<double, long>{0.0, 1}));
  EXPECT_EQ(get(m, rs, 0, "TAL", "fn_rate", "all"), (std::pair<double, long>{1.0, 1}));
  EXPECT_EQ(get(m, rs, 0, "TAL", "fn_rate", "1"), (std::pair<double, long>{1.0, 1}));
  // fp_rate task 1 (strong TAL hits, any class: s0 at +1, s2 at -1): 1 of 2.
  EXPECT_EQ(get(m, rs, 1, "TAL", "fp_rate", "all"), (std::pair<double, long>{0.5, 2}));
  // fp_rate task 2 (strong GATA hits: s0 tier 1, s1 twice tier 2, all scored 0): 0 of 3.
  EXPECT_EQ(get(m, rs, 2, "GATA", "fp_rate", "all"), (std::pair<double, long>{0.0, 3}));
  EXPECT_EQ(get(m, rs, 2, "GATA", "fp_rate", "1"), (std::pair<double, long>{0.0, 1}));
  EXPECT_EQ(get(m, rs, 2, "GATA", "fp_rate", "2"), (std::pair<double, long>{0.0, 2}));
  EXPECT_EQ(has(m, rs, 2, "GATA", "fp_rate", "3"), 0u);
  // Localisation task 1: the 6 planted GATA bases score 1, the other 34 bases <= 0.5: auROC 1.
  EXPECT_EQ(get(m, rs, 1, "GATA", "loc_auroc", "all"), (std::pair<double, long>{1.0, 40}));
  EXPECT_DOUBLE_EQ(get(m, rs, 1, "GATA", "loc_auprc", "all").first, 1.0);
  EXPECT_DOUBLE_EQ(get(m, rs, 1, "GATA", "loc_auroc_abs", "all").first, 1.0);
  EXPECT_EQ(get(m, rs, 1, "GATA", "loc_auroc", "2"), (std::pair<double, long>{1.0, 10}));  // s1 alone
  EXPECT_EQ(has(m, rs, 1, "GATA", "loc_auroc", "0"), 0u);
  // Task 0: 10 planted bases (s0's 4, s1's 4, s2's 2) vs 30 zeros. Scores: 2 at +1, 2 at -1, 6 at
  // 0, so auROC = (2 + 0 + 6/2) / 10 = 0.5; on |score|: (4 + 6/2) / 10 = 0.7.
  EXPECT_DOUBLE_EQ(get(m, rs, 0, "GATA+TAL", "loc_auroc", "all").first, 0.5);
  EXPECT_DOUBLE_EQ(get(m, rs, 0, "GATA+TAL", "loc_auroc_abs", "all").first, 0.7);
  // Task 2: every score 0, so auROC 0.5 and auPRC = the share of positives, 4 / 40.
  EXPECT_DOUBLE_EQ(get(m, rs, 2, "TAL", "loc_auroc", "all").first, 0.5);
  EXPECT_DOUBLE_EQ(get(m, rs, 2, "TAL", "loc_auprc", "all").first, 0.1);
  // Spearman rows exist for the relevant tasks only.
  EXPECT_EQ(has(m, rs, 0, "GATA", "spearman", "all"), 1u);
  EXPECT_EQ(has(m, rs, 1, "GATA", "spearman", "all"), 1u);
  EXPECT_EQ(has(m, rs, 1, "TAL", "spearman", "all"), 0u);
  EXPECT_EQ(get(m, rs, 2, "TAL", "spearman", "all").second, 8);  // 4 sequences x 2 TAL hits
  // Every method gets the same rows; references come from the names.
  EXPECT_EQ(ev.rows.size() % 2, 0u);
  EXPECT_EQ(ev.rows.front().reference, "background");
  EXPECT_EQ(ev.rows.back().reference, "shuffle");
}

// ---- Three motifs, two tasks: the generalised hit metrics by hand --------------------------------
//
// Width-2 motifs A = AG, B = CC, C = GG (0.97 on the consensus base; a consensus window scores
// 2.75 (A) or 3.16 (B, C) against the default background, every other window below 2, so the
// strong hits (threshold 2) are exactly the planted instances). Tasks: t0 = "a | b" (relevant A and
// B: two motifs, so fn_rate; C irrelevant: fp_rate), t1 = "c & !a" (relevant C only: no fn_rate;
// A is a repressor and B irrelevant: fp_rate for both).
//   s0 "TAGTTTCCTT": A at 1, B at 6   t0 = 1 (A, B drive)   t1 = 0 (A represses)
//   s1 "TTGGTTAGTT": C at 2, A at 6   t0 = 1 (A drives)     t1 = 0 (C context, A represses)
//   s2 "TTTTGGTTTT": C at 4           t0 = 0                t1 = 1 (C drives)
//   s3 "CCTTTGGTTT": B at 0, C at 5   t0 = 1 (B drives)     t1 = 1 (C drives)
sim::Pwm motif_a() { return sim::Pwm("A", {{0.97, 0.01, 0.01, 0.01}, {0.01, 0.01, 0.97, 0.01}}); }
sim::Pwm motif_b() { return sim::Pwm("B", {{0.01, 0.97, 0.01, 0.01}, {0.01, 0.97, 0.01, 0.01}}); }
sim::Pwm motif_c() { return sim::Pwm("C", {{0.01, 0.01, 0.97, 0.01}, {0.01, 0.01, 0.97, 0.01}}); }

sim::Dataset three_motif_dataset() {
  sim::Dataset ds;
  ds.seq_len = kL;
  ds.ids = {"s0", "s1", "s2", "s3"};
  ds.seqs = {"TAGTTTCCTT", "TTGGTTAGTT", "TTTTGGTTTT", "CCTTTGGTTT"};
  ds.class_names = {"mixed"};
  ds.classes.assign(4, 0);
  ds.splits.assign(4, sim::Split::Test);
  ds.motif_keys = {"a", "b", "c"};
  ds.tasks = {{"t0", sim::TaskKind::Binary, "a | b"}, {"t1", sim::TaskKind::Binary, "c & !a"}};
  ds.sites = {{0, 1, 3, "A", 2.75, '+', 0}, {0, 6, 8, "B", 3.16, '+', 1}, {1, 2, 4, "C", 3.16, '+', 2},
              {1, 6, 8, "A", 2.75, '+', 0}, {2, 4, 6, "C", 3.16, '+', 2}, {3, 0, 2, "B", 3.16, '+', 1},
              {3, 5, 7, "C", 3.16, '+', 2}};
  lb::testing::derive_truth(ds);
  return ds;
}

// Per-base scores (on the observed base's channel), rows in dataset order:
//  t0: s0 A +1 +1, B -1 -1 (a false negative); s1 A +1 +1, C +0.5 +0.5 (irrelevant, positive);
//      s2 C -0.5 -0.5; s3 B +1 +1, C 0.
//  t1: s0 A +0.25 +0.25 (a repressor scored positive), B +1 +1 (irrelevant, positive);
//      s1 C +1 +1, A -1 -1; s2 C +1 +1; s3 C -1 -1, B 0.
io::NpzArchive three_motif_archive(const sim::Dataset& ds) {
  constexpr std::size_t T = 2;
  const std::vector<std::array<std::array<float, kL>, T>> pb = [] {
    std::vector<std::array<std::array<float, kL>, T>> v(4);
    for (auto& r : v)
      for (auto& t : r) t.fill(0.0f);
    auto set = [&](std::size_t row, std::size_t task, int start, float x) {
      v[row][task][static_cast<std::size_t>(start)] = v[row][task][static_cast<std::size_t>(start) + 1] = x;
    };
    set(0, 0, 1, 1), set(0, 0, 6, -1), set(1, 0, 6, 1), set(1, 0, 2, 0.5f), set(2, 0, 4, -0.5f), set(3, 0, 0, 1);
    set(0, 1, 1, 0.25f), set(0, 1, 6, 1), set(1, 1, 2, 1), set(1, 1, 6, -1), set(2, 1, 4, 1), set(3, 1, 5, -1);
    return v;
  }();
  const std::vector<int> rows{0, 1, 2, 3};
  std::vector<float> c(4 * T * 4 * kL, 0.0f);
  for (std::size_t r = 0; r < 4; ++r)
    for (std::size_t t = 0; t < T; ++t)
      for (std::size_t l = 0; l < kL; ++l)
        c[((r * T + t) * 4 + base_code(ds.seqs[r][l])) * kL + l] = pb[r][t][l];
  return {{"ids", ids_of(ds, rows)},
          {"onehot", onehot(ds, rows)},
          {"m", io::NpyArray::from_f32({4, static_cast<std::int64_t>(T), 4, kL}, c)}};
}

TEST(EvaluateTest, PlantedMotifsInKeyOrder) {
  const sim::Dataset ds = three_motif_dataset();
  EXPECT_EQ(planted_motifs(ds), (std::vector<std::string>{"A", "B", "C"}));
  EXPECT_EQ(planted_motif_keys(ds),
            (std::vector<std::pair<std::string, std::string>>{{"a", "A"}, {"b", "B"}, {"c", "C"}}));
  // The paper's dataset: GATA then TAL, whatever the order of the sites.
  EXPECT_EQ(planted_motifs(tiny_dataset()), (std::vector<std::string>{"GATA", "TAL"}));
}

TEST(EvaluateTest, ThreeMotifsTwoTasksByHand) {
  const sim::Dataset ds = three_motif_dataset();
  const ScoresInput in = match_scores(three_motif_archive(ds), "scores.npz", ds, "data", "background");
  const Evaluation ev = evaluate(ds, in, {motif_a(), motif_b(), motif_c()}, test_config());
  ASSERT_EQ(ev.hits.size(), 4u * 3u * 2u);  // 4 sequences x 3 motifs x 2 hits
  EXPECT_EQ(ev.instances[3], (std::vector<int>{0, 1, 1}));
  auto m = by_key(ev);
  // t0 fn_rate, per relevant motif, strong hits in sequences where that motif drives t0:
  // A in s0 (2) and s1 (2): 0 of 2; B in s0 (-2) and s3 (2): 1 of 2.
  EXPECT_EQ(get(m, "m", 0, "A", "fn_rate", "all"), (std::pair<double, long>{0.0, 2}));
  EXPECT_EQ(get(m, "m", 0, "B", "fn_rate", "all"), (std::pair<double, long>{0.5, 2}));
  EXPECT_EQ(get(m, "m", 0, "B", "fn_rate", "1"), (std::pair<double, long>{0.5, 2}));
  EXPECT_EQ(has(m, "m", 0, "C", "fn_rate", "all"), 0u);
  // t0 fp_rate of the irrelevant C, strong hits anywhere: s1 (+1), s2 (-1), s3 (0): 1 of 3.
  EXPECT_DOUBLE_EQ(get(m, "m", 0, "C", "fp_rate", "all").first, 1.0 / 3.0);
  EXPECT_EQ(get(m, "m", 0, "C", "fp_rate", "all").second, 3);
  EXPECT_EQ(has(m, "m", 0, "A", "fp_rate", "all") + has(m, "m", 0, "B", "fp_rate", "all"), 0u);
  // t1 has one relevant motif (C): no fn_rate; fp_rate for the repressor A (s0 +0.5, s1 -2: 1
  // of 2) and the irrelevant B (s0 +2, s3 0: 1 of 2).
  for (const std::string motif : {"A", "B", "C"}) EXPECT_EQ(has(m, "m", 1, motif, "fn_rate", "all"), 0u) << motif;
  EXPECT_EQ(get(m, "m", 1, "A", "fp_rate", "all"), (std::pair<double, long>{0.5, 2}));
  EXPECT_EQ(get(m, "m", 1, "B", "fp_rate", "all"), (std::pair<double, long>{0.5, 2}));
  EXPECT_EQ(has(m, "m", 1, "C", "fp_rate", "all"), 0u);
  // Spearman for the relevant motifs only: A and B on t0, C on t1 (8 hits each).
  EXPECT_EQ(get(m, "m", 0, "A", "spearman", "all").second, 8);
  EXPECT_EQ(get(m, "m", 0, "B", "spearman", "all").second, 8);
  EXPECT_EQ(get(m, "m", 1, "C", "spearman", "all").second, 8);
  EXPECT_EQ(has(m, "m", 0, "C", "spearman", "all") + has(m, "m", 1, "A", "spearman", "all"), 0u);
  // Localisation t0 against A's and B's 8 planted bases: six score +1 (above all 32 others),
  // s0's two B bases -1 (below all): auROC 6/8.
  EXPECT_EQ(get(m, "m", 0, "A+B", "loc_auroc", "all"), (std::pair<double, long>{0.75, 40}));
  // Localisation t1 against C's 6 planted bases: four at +1 (above 32 of the 34 others, tied
  // with B's two +1), s3's two at -1 (tied with s1's two A bases at -1): (4 x 33 + 2 x 1) / (6 x 34).
  EXPECT_DOUBLE_EQ(get(m, "m", 1, "C", "loc_auroc", "all").first, 134.0 / 204.0);
  // Row order per task: fn_rate, fp_rate, spearman, localisation; tasks in order.
  std::vector<std::string> order;
  for (const MetricRow& r : ev.rows)
    if (r.tier == "all" && !has_interval(metric_info(r.metric).family))
      order.push_back(fmt::format("{} {} {}", r.task, r.metric, r.motif));
  EXPECT_EQ(order, (std::vector<std::string>{"0 fn_rate A", "0 fn_rate B", "0 fp_rate C", "0 spearman A",
                                             "0 spearman B", "0 loc_auroc A+B", "0 loc_auprc A+B",
                                             "0 loc_auroc_abs A+B", "0 loc_auprc_abs A+B", "1 fp_rate A",
                                             "1 fp_rate B", "1 spearman C", "1 loc_auroc C", "1 loc_auprc C",
                                             "1 loc_auroc_abs C", "1 loc_auprc_abs C"}));
  // The outputs name every motif: metrics.json maps each key to its PWM, hits.tsv names them.
  TempDir dir;
  write_evaluation(dir.path(), ev, ds, in, test_config(), std::nullopt, "0.1.0");
  EXPECT_NE(read_text(dir.file("metrics.json")).find("\"motifs\": {\"a\": \"A\", \"b\": \"B\", \"c\": \"C\"},"),
            std::string::npos);
  const std::string hits = read_text(dir.file("hits.tsv"));
  EXPECT_NE(hits.find("m\tbackground\t1\ts3\tC\t5\t7\t+\t"), std::string::npos);
  EXPECT_EQ(std::count(hits.begin(), hits.end(), '\n'), 24 * 2 + 1);  // hits x tasks, plus the header
}

// Every metric that evaluate's outputs name is in the metric catalogue for the file that names it
// (metric_info throws otherwise), and together these runs name every metric the catalogue lists
// for evaluate: the paper's worked example (drivers, context and irrelevant instances) with a
// binary and with a real-valued model, and the three-motif dataset (a repressor).
TEST(EvaluateTest, EveryMetricOfTheOutputsIsCatalogued) {
  std::set<std::string> seen;
  auto check = [&](const std::string& dir) {
    for (const auto& [file, output] : {std::pair{"metrics.tsv", Output::MetricsTsv},
                                       std::pair{"role_metrics.tsv", Output::RoleMetricsTsv},
                                       std::pair{"method_differences.tsv", Output::MethodDifferencesTsv}}) {
      const std::string path = dir + "/" + file;
      const io::TsvTable t = io::read_tsv(path);
      const auto c = static_cast<std::size_t>(t.column("metric", path));
      for (std::size_t r = 0; r < t.rows.size(); ++r) {
        EXPECT_NO_THROW(metric_info(t.rows[r][c], output, path, t.lines[r]));
        seen.insert(t.rows[r][c]);
      }
    }
    const std::string json_path = dir + "/metrics.json";
    const report::Json json = report::parse_json(read_text(json_path), json_path);
    for (const report::Json& r : json.get("metrics")->items)
      EXPECT_NO_THROW(metric_info(r.get("metric")->string, Output::MetricsTsv, json_path, 0));
    if (const report::Json* model = json.get("model"))
      for (const std::string& key : model->keys) {
        EXPECT_NO_THROW(metric_info(key, Output::MetricsJsonModel, json_path, 0));
        seen.insert(key);
      }
  };
  TempDir dir;
  const EvalConfig cfg = test_config();
  const sim::Dataset paper = tiny_dataset();
  const ScoresInput in = match_scores(worked_archive(paper), "scores.npz", paper, "data", "background");
  const ModelMetrics binary{{0.9, 0.8, 0.7}, {0.6, 0.5, 0.4}, {}, {}, {}};
  const ModelMetrics real_valued{{}, {}, {0.8, 0.7, 0.6}, {0.9, 0.85, 0.8}, {0.2, 0.3, 0.4}};
  int run = 0;
  for (const ModelMetrics& model : {binary, real_valued}) {
    const std::string out = dir.file(fmt::format("run{}", run++));
    write_evaluation(out, evaluate(paper, in, {gata(), tal()}, cfg, model), paper, in, cfg, model, "0.1.0");
    check(out);
  }
  // With the model, the faithfulness metrics too.
  const model::Network net = share_of_a_model();
  EvalConfig every = cfg;
  every.xai_metrics += ",ism_pearson,ism_spearman,ism_sign_agreement";
  write_evaluation(dir.file("with_model"), evaluate(paper, in, {gata(), tal()}, every, binary, &net), paper, in, every,
                   binary, "0.1.0");
  check(dir.file("with_model"));
  const sim::Dataset three = three_motif_dataset();
  const ScoresInput in3 = match_scores(three_motif_archive(three), "scores.npz", three, "data", "background");
  write_evaluation(dir.file("three"), evaluate(three, in3, {motif_a(), motif_b(), motif_c()}, cfg), three, in3, cfg,
                   std::nullopt, "0.1.0");
  check(dir.file("three"));
  for (const MetricInfo& m : kMetricCatalogue)
    if (m.appears_in(Output::MetricsTsv) || m.appears_in(Output::RoleMetricsTsv)) {
      EXPECT_EQ(seen.count(std::string(m.name)), 1u) << m.name << " is catalogued but no run wrote it";
    }
}

// The PWMs come from the motif file by name; a planted motif the file lacks, or one wider than
// the sequences, is an error naming the file and the motif.
TEST(EvaluateTest, PlantedPwmsFromTheMotifFile) {
  const sim::Dataset ds = three_motif_dataset();
  auto record = [](const sim::Pwm& p, int width) {
    io::MemeMotif m;
    m.name = p.name();
    for (int i = 0; i < width; ++i) m.probs.push_back(p.row(i % p.width()));
    return m;
  };
  io::MemeFile file;
  file.motifs = {record(motif_c(), 2), record(tal(), 2), record(motif_a(), 2), record(motif_b(), 2)};
  const std::vector<sim::Pwm> pwms = planted_pwms(ds, file, "m.jaspar", "data");
  ASSERT_EQ(pwms.size(), 3u);
  EXPECT_EQ(pwms[0].name(), "A");
  EXPECT_EQ(pwms[2].name(), "C");
  EXPECT_EQ(pwms[1].row(0), motif_b().row(0));
  io::MemeFile missing;
  missing.motifs = {record(motif_a(), 2), record(motif_b(), 2)};
  EXPECT_THROW_MSG(planted_pwms(ds, missing, "m.jaspar", "data"), InputError,
                   "m.jaspar: motif 'C' missing; expected every motif that data/motifs.bed plants (A, B, C), got a "
                   "motif file without 'C'");
  io::MemeFile wide;
  wide.motifs = {record(motif_a(), 2), record(motif_b(), 11), record(motif_c(), 2)};
  EXPECT_THROW_MSG(planted_pwms(ds, wide, "m.jaspar", "data"), InputError,
                   "m.jaspar: motif 'B' (width 11) is wider than the sequences of data; expected width <= 10, got 11");
}

TEST(EvaluateTest, DatasetWithoutRolesIsAnError) {
  sim::Dataset ds = three_motif_dataset();
  const ScoresInput in = match_scores(three_motif_archive(ds), "scores.npz", ds, "data", "background");
  ds.roles.clear();
  EXPECT_THROW_MSG(evaluate(ds, in, {motif_a(), motif_b(), motif_c()}, test_config()), InputError,
                   "dataset: no roles.tsv; expected a dataset directory written by this version of 'liftbench "
                   "simulate' (simulate again: it is fast), got one without the ground-truth roles");
}

TEST(EvaluateTest, SpearmanOfHitsEqualsTheDirectComputation) {
  const sim::Dataset ds = tiny_dataset();
  const ScoresInput in = match_scores(worked_archive(ds), "scores.npz", ds, "data", "background");
  const Evaluation ev = evaluate(ds, in, {gata(), tal()}, test_config());
  // Task 1, GATA hits: recompute from the hits and their scores.
  std::vector<double> x, y;
  for (std::size_t h = 0; h < ev.hits.size(); ++h)
    if (ev.hits[h].motif == 0) {
      x.push_back(ev.hits[h].log_odds);
      y.push_back(ev.hit_scores[0][h * kT + 1]);
    }
  auto m = by_key(ev);
  EXPECT_DOUBLE_EQ(get(m, "deeplift:rescale", 1, "GATA", "spearman", "all").first, spearman(x, y));
}

TEST(EvaluateTest, OutputFiles) {
  const sim::Dataset ds = tiny_dataset();
  const ScoresInput in = match_scores(worked_archive(ds), "scores.npz", ds, "data", "background");
  const EvalConfig cfg = test_config();
  const ModelMetrics model{{0.9, 0.8, 0.7}, {0.6, 0.5, 0.4}, {}, {}, {}};
  const Evaluation ev = evaluate(ds, in, {gata(), tal()}, cfg, model);
  TempDir dir;
  write_evaluation(dir.path(), ev, ds, in, cfg, model, "0.1.0");
  const std::string tsv = read_text(dir.file("metrics.tsv"));
  EXPECT_EQ(tsv.substr(0, tsv.find('\n')), "method\treference\ttask\tmotif\tmetric\ttier\tvalue\tn");
  EXPECT_NE(tsv.find("deeplift:rescale\tbackground\t0\tTAL\tfn_rate\tall\t1\t1\n"), std::string::npos);
  EXPECT_NE(tsv.find("model\t-\t2\t-\ttest_auprc\tall\t0.4\t\n"), std::string::npos);
  const std::string hits = read_text(dir.file("hits.tsv"));
  EXPECT_EQ(hits.substr(0, hits.find('\n')),
            "method\treference\ttask\tseq\tmotif\tstart\tend\tstrand\tlog_odds\tclass\tn_instances\tscore");
  // 4 sequences x 2 motifs x 2 hits x 2 methods x 3 tasks, plus the header.
  EXPECT_EQ(std::count(hits.begin(), hits.end(), '\n'), 4 * 2 * 2 * 2 * 3 + 1);
  EXPECT_NE(hits.find("deeplift:rescale\tbackground\t0\ts0\tTAL\t6\t8\t+\t"), std::string::npos);
  const std::string json = read_text(dir.file("metrics.json"));
  EXPECT_NE(json.find("\"scan_mode\": \"exclusive\""), std::string::npos);
  EXPECT_NE(json.find("\"strands\": \"forward\""), std::string::npos);
  EXPECT_NE(json.find("\"log_odds_threshold\": 2"), std::string::npos);
  EXPECT_NE(json.find("\"n_sequences\": 4"), std::string::npos);
  EXPECT_NE(json.find("\"methods\": [\"deeplift:rescale\", \"ism@shuffle\"]"), std::string::npos);
  EXPECT_NE(json.find("\"model\": {\"test_auroc\": [0.9, 0.8, 0.7], \"test_auprc\": [0.6, 0.5, 0.4]}"),
            std::string::npos);
  EXPECT_NE(json.find("{\"method\": \"deeplift:rescale\", \"reference\": \"background\", \"task\": 0, \"motif\": "
                      "\"TAL\", \"metric\": \"fn_rate\", \"tier\": \"all\", \"value\": 1, \"n\": 1}"),
            std::string::npos);
  EXPECT_EQ(lb::testing::list_dir(dir.path()), (std::vector<std::string>{"hits.tsv", "method_differences.tsv", "metrics.json",
                                                                     "metrics.tsv", "role_metrics.tsv"}));
}

// The paper's outputs did not change when evaluate was generalised to any number of motifs:
// metrics.tsv, metrics.json and hits.tsv of the worked example with scores on every base
// (strong hits from log-odds -3, so every metric and tier has items) are byte for byte those
// of the two-motif code before it (eval/evaluate.cpp of e74ea28^, built beside the new one and
// compared on this very input); their FNV-1a 64 hashes.
std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

TEST(EvaluateTest, PaperOutputsUnchangedByTheGeneralisation) {
  const sim::Dataset ds = tiny_dataset();
  const std::vector<int> rows{2, 0, 1, 3};
  std::vector<float> v(4 * kT * 4 * kL, 0.0f);
  for (std::size_t r = 0; r < 4; ++r)
    for (std::size_t l = 0; l < kL; ++l)
      for (std::size_t t = 0; t < kT; ++t)
        v[((r * kT + t) * 4 + base_code(ds.seqs[static_cast<std::size_t>(rows[r])][l])) * kL + l] =
            static_cast<float>(((r * 7 + t * 5 + l * 3) % 11) - 5) / 4.0f;
  io::NpzArchive a{{"ids", ids_of(ds, rows)}, {"onehot", onehot(ds, rows)},
                   {"m1", io::NpyArray::from_f32({4, kT, 4, kL}, v)}};
  for (auto& x : v) x = -x * 0.5f;
  a.push_back({"m2@zeros", io::NpyArray::from_f32({4, kT, 4, kL}, v)});
  const ScoresInput in = match_scores(a, "scores.npz", ds, "data", "background");
  EvalConfig cfg;
  cfg.top_hits = 2;
  cfg.log_odds_threshold = -3;
  cfg.bootstrap_resamples = 50;
  const ModelMetrics model{{0.9, 0.8, 0.7}, {0.6, 0.5, 0.4}, {}, {}, {}};
  // Without the metrics of docs/metrics.md (eval.xai_metrics empty) the bytes are those before them.
  EvalConfig old_cfg = cfg;
  old_cfg.xai_metrics = "";
  const Evaluation ev = evaluate(ds, in, {gata(), tal()}, old_cfg, model);
  TempDir dir;
  write_evaluation(dir.path(), ev, ds, in, old_cfg, model, "0.1.0");
  const std::string tsv = read_text(dir.file("metrics.tsv")), json = read_text(dir.file("metrics.json")),
                    hits = read_text(dir.file("hits.tsv"));
  EXPECT_EQ(tsv.size(), 5108u);
  EXPECT_EQ(json.size(), 16650u);
  EXPECT_EQ(hits.size(), 5838u);
  EXPECT_EQ(fnv1a(tsv), 0x92139a19e7b8d04cull);
  EXPECT_EQ(fnv1a(json), 0x79ed321c5ce2728bull);
  EXPECT_EQ(fnv1a(hits), 0x86f06a0b5eafb626ull);
  // With them (the default) the old rows stay byte for byte and the new ones follow.
  write_evaluation(dir.file("new"), evaluate(ds, in, {gata(), tal()}, cfg, model), ds, in, cfg, model, "0.1.0");
  const std::string new_tsv = read_text(dir.file("new/metrics.tsv")), new_json = read_text(dir.file("new/metrics.json"));
  EXPECT_GT(new_tsv.size(), tsv.size());
  EXPECT_EQ(new_tsv.substr(0, tsv.size()), tsv);
  const std::string json_rows = json.substr(0, json.size() - std::string("\n  ]\n}\n").size());
  EXPECT_EQ(new_json.substr(0, json_rows.size()), json_rows);
  EXPECT_EQ(read_text(dir.file("new/hits.tsv")), hits);
}

TEST(EvaluateTest, ModelMetricsFile) {
  TempDir dir;
  lb::testing::write_text(dir.file("m.tsv"),
                          "metric\ttask\tvalue\ntest_auroc\ttask0\t0.9\ntest_auprc\ttask0\t0.8\ntest_auroc\ttask1\t0.7\n"
                          "test_loss\tall\t0.3\n");
  const ModelMetrics mm = read_model_metrics(dir.file("m.tsv"), 3);
  EXPECT_EQ(mm.test_auroc, (std::vector<double>{0.9, 0.7}));
  EXPECT_EQ(mm.test_auprc, (std::vector<double>{0.8}));
  lb::testing::write_text(dir.file("bad.tsv"), "metric\ttask\tvalue\ntest_auroc\ttask0\thigh\n");
  EXPECT_THROW_MSG(read_model_metrics(dir.file("bad.tsv"), 3), InputError,
                   dir.file("bad.tsv") + ":2: bad value; expected a number, got 'high'");
  lb::testing::write_text(dir.file("bad2.tsv"), "metric\ttask\tvalue\ntest_auroc\ttask7\t0.5\n");
  EXPECT_THROW_MSG(read_model_metrics(dir.file("bad2.tsv"), 3), InputError,
                   dir.file("bad2.tsv") + ":2: bad task; expected task0..task2, got 'task7'");
}

// A real-valued model (model.output = linear): train's test_r2 / test_pearson / test_mse rows
// reach metrics.tsv as method "model" after nothing of the binary pair, and metrics.json's
// "model" object gains the three arrays after the (empty) binary ones.
TEST(EvaluateTest, RealValuedModelMetricsReachTheOutputs) {
  TempDir dir;
  lb::testing::write_text(dir.file("m.tsv"),
                          "metric\ttask\tvalue\ntest_r2\ttask0\t0.87\ntest_pearson\ttask0\t0.93\ntest_mse\ttask0\t0.25\n"
                          "test_r2\ttask1\t0.725\ntest_pearson\ttask1\tnan\ntest_mse\ttask1\t1.5\n"
                          "test_r2\ttask2\t-0.1\ntest_pearson\ttask2\t0.2\ntest_mse\ttask2\t3\n"
                          "test_loss\tall\t1.58\nbest_epoch\tall\t3\n");
  const ModelMetrics mm = read_model_metrics(dir.file("m.tsv"), 3);
  EXPECT_TRUE(mm.test_auroc.empty());
  EXPECT_TRUE(mm.test_auprc.empty());
  EXPECT_EQ(mm.test_r2, (std::vector<double>{0.87, 0.725, -0.1}));
  ASSERT_EQ(mm.test_pearson.size(), 3u);
  EXPECT_EQ(mm.test_pearson[0], 0.93);
  EXPECT_TRUE(std::isnan(mm.test_pearson[1])) << "train writes an undefined Pearson r as nan";
  EXPECT_EQ(mm.test_pearson[2], 0.2);
  EXPECT_EQ(mm.test_mse, (std::vector<double>{0.25, 1.5, 3}));

  const sim::Dataset ds = tiny_dataset();
  const ScoresInput in = match_scores(worked_archive(ds), "scores.npz", ds, "data", "background");
  const EvalConfig cfg = test_config();
  const Evaluation ev = evaluate(ds, in, {gata(), tal()}, cfg, mm);
  std::vector<std::string> model_rows;
  for (const MetricRow& r : ev.rows)
    if (r.method == "model") model_rows.push_back(fmt::format("{} {} {}", r.metric, r.task, r.value));
  EXPECT_EQ(model_rows, (std::vector<std::string>{"test_r2 0 0.87", "test_r2 1 0.725", "test_r2 2 -0.1",
                                                  "test_pearson 0 0.93", "test_pearson 1 nan", "test_pearson 2 0.2",
                                                  "test_mse 0 0.25", "test_mse 1 1.5", "test_mse 2 3"}));
  write_evaluation(dir.file("out"), ev, ds, in, cfg, mm, "0.1.0");
  const std::string tsv = read_text(dir.file("out/metrics.tsv"));
  EXPECT_NE(tsv.find("\nmodel\t-\t0\t-\ttest_r2\tall\t0.87\t\nmodel\t-\t1\t-\ttest_r2\tall\t0.725\t\n"),
            std::string::npos);
  EXPECT_NE(tsv.find("\nmodel\t-\t1\t-\ttest_pearson\tall\tnan\t\n"), std::string::npos);
  EXPECT_NE(tsv.find("\nmodel\t-\t2\t-\ttest_mse\tall\t3\t\n"), std::string::npos);
  EXPECT_EQ(tsv.find("test_auroc"), std::string::npos);
  EXPECT_EQ(tsv.find("test_loss"), std::string::npos) << "only the per-task test metrics";
  const std::string json = read_text(dir.file("out/metrics.json"));
  EXPECT_NE(json.find("  \"model\": {\"test_auroc\": [], \"test_auprc\": [], \"test_r2\": [0.87, 0.725, -0.1], "
                      "\"test_pearson\": [0.93, null, 0.2], \"test_mse\": [0.25, 1.5, 3]},\n"),
            std::string::npos)
      << json.substr(0, 800);
  EXPECT_NE(json.find("{\"method\": \"model\", \"reference\": \"-\", \"task\": 1, \"motif\": \"-\", \"metric\": "
                      "\"test_pearson\", \"tier\": \"all\", \"value\": null, \"n\": null}"),
            std::string::npos);

  // The errors of the new rows: the same texts as for test_auroc / test_auprc.
  lb::testing::write_text(dir.file("bad.tsv"), "metric\ttask\tvalue\ntest_r2\ttask0\t0.5\ntest_pearson\ttask1\t0.9x\n");
  EXPECT_THROW_MSG(read_model_metrics(dir.file("bad.tsv"), 3), InputError,
                   dir.file("bad.tsv") + ":3: bad value; expected a number, got '0.9x'");
  lb::testing::write_text(dir.file("bad2.tsv"), "metric\ttask\tvalue\ntest_mse\tall\t0.5\n");
  EXPECT_THROW_MSG(read_model_metrics(dir.file("bad2.tsv"), 2), InputError,
                   dir.file("bad2.tsv") + ":2: bad task; expected task0..task1, got 'all'");
  lb::testing::write_text(dir.file("bad3.tsv"), "metric\ttask\tvalue\ntest_r2\ttask3\t0.5\n");
  EXPECT_THROW_MSG(read_model_metrics(dir.file("bad3.tsv"), 3), InputError,
                   dir.file("bad3.tsv") + ":2: bad task; expected task0..task2, got 'task3'");
  lb::testing::write_text(dir.file("bad4.tsv"), "metric\ttask\tvalue\ntest_pearson\ttask0\t\n");
  EXPECT_THROW_MSG(read_model_metrics(dir.file("bad4.tsv"), 3), InputError,
                   dir.file("bad4.tsv") + ":2: bad value; expected a number, got ''");
}

TEST(EvaluateTest, ShapeAndIdMismatchesAreExactErrors) {
  const sim::Dataset ds = tiny_dataset();
  auto with = [&](const std::string& name, io::NpyArray arr) {
    io::NpzArchive a = worked_archive(ds);
    for (auto& [n, v] : a)
      if (n == name) v = std::move(arr);
    return a;
  };
  auto match = [&](const io::NpzArchive& a) { return match_scores(a, "scores.npz", ds, "data", "background"); };
  EXPECT_THROW_MSG(match(with("ids", io::NpyArray::from_strings({4}, std::vector<std::string>{"s2", "s0", "x9", "s3"}))),
                   InputError, "scores.npz: array 'ids': unknown sequence 'x9'; expected an id of the dataset data, got 'x9'");
  EXPECT_THROW_MSG(match(with("ids", io::NpyArray::from_strings({4}, std::vector<std::string>{"s2", "s0", "s2", "s3"}))),
                   InputError, "scores.npz: array 'ids': duplicate sequence 's2'; expected each id once, got 's2' twice");
  EXPECT_THROW_MSG(match(with("ids", io::NpyArray::from_strings({2, 2}, std::vector<std::string>{"s2", "s0", "s1", "s3"}))),
                   InputError, "scores.npz: array 'ids': wrong shape; expected (N,), got (2,2)");
  EXPECT_THROW_MSG(match(with("onehot", io::NpyArray::from_f32({4, 4, 8}, std::vector<float>(128)))), InputError,
                   "scores.npz: array 'onehot': wrong shape; expected (N,4,L) = (4,4,10) (N from 'ids', L from the "
                   "dataset data), got (4,4,8)");
  EXPECT_THROW_MSG(match(with("deeplift:rescale", io::NpyArray::from_f32({4, 3, 4, 8}, std::vector<float>(384)))),
                   InputError,
                   "scores.npz: array 'deeplift:rescale': wrong shape; expected (N,T,4,L) = (4,3,4,10) (N from 'ids', T "
                   "tasks, L from the dataset data), got (4,3,4,8)");
  EXPECT_THROW_MSG(match(with("ism@shuffle", io::NpyArray::from_f32({3, 3, 4, 10}, std::vector<float>(360)))),
                   InputError,
                   "scores.npz: array 'ism@shuffle': wrong shape; expected (N,T,4,L) = (4,3,4,10) (N from 'ids', T "
                   "tasks, L from the dataset data), got (3,3,4,10)");
  // The one-hot of s0 (row 1) with its first base T replaced by A.
  io::NpyArray oh = onehot(ds, {2, 0, 1, 3});
  {
    std::vector<float> v = oh.to_f32("");
    v[(1 * 4 + 3) * kL + 0] = 0;
    v[(1 * 4 + 0) * kL + 0] = 1;
    oh = io::NpyArray::from_f32({4, 4, kL}, v);
  }
  EXPECT_THROW_MSG(match(with("onehot", oh)), InputError,
                   "scores.npz: array 'onehot': sequence 's0' position 0 differs from the dataset data; expected 'T', got 'A'");
  io::NpzArchive only{{"ids", ids_of(ds, {0})}, {"onehot", onehot(ds, {0})}};
  EXPECT_THROW_MSG(match(only), InputError,
                   "scores.npz: no method arrays; expected at least one array besides 'ids' and 'onehot', got none");
  io::NpzArchive no_onehot{{"ids", ids_of(ds, {0})}};
  EXPECT_THROW(match(no_onehot), InputError);
}

TEST(EvaluateTest, ReadScoresNamesTheFile) {
  const sim::Dataset ds = tiny_dataset();
  TempDir dir;
  io::write_npz(dir.file("scores.npz"), worked_archive(ds));
  const ScoresInput in = read_scores(dir.file("scores.npz"), ds, "data", "background");
  EXPECT_EQ(in.methods.size(), 2u);
}

// Sparseness and entropy of the worked example (rows s2, s0, s1, s3), deeplift:rescale:
//  task 0: only s0 is nonzero, |a| = 1 at 1, 2, 6, 7 of 10: Gini (3 + 5 + 7 + 9) / (10 * 4) = 0.6,
//          entropy ln 4; n = 1 and the interval is that one value;
//  task 1: s2 (0.5 at 3, 4): 0.8 and ln 2; s0 (1, 1, 0.5, 0.5): 20 / 30 and (2/3) ln 3 + (1/3) ln 6;
//          s1 (four 1s): 0.6 and ln 4; s3 all 0 is left out: n = 3;
//  task 2: all 0: nan, n = 0.
TEST(EvaluateTest, ComplexityMetricsOfTheWorkedExample) {
  const sim::Dataset ds = tiny_dataset();
  const ScoresInput in = match_scores(worked_archive(ds), "scores.npz", ds, "data", "background");
  const Evaluation ev = evaluate(ds, in, {gata(), tal()}, test_config());
  std::map<std::pair<int, std::string>, const MetricRow*> row;
  std::size_t first = ev.rows.size();
  for (std::size_t i = 0; i < ev.rows.size(); ++i) {
    const MetricRow& r = ev.rows[i];
    if (r.metric != "sparseness" && r.metric != "entropy") {
      EXPECT_TRUE(first == ev.rows.size() || has_interval(metric_info(r.metric).family))
          << "a row of another family after the complexity rows: " << r.metric;
      continue;
    }
    first = std::min(first, i);
    EXPECT_EQ(r.motif, "-");
    EXPECT_EQ(r.tier, "all");
    if (r.method == "deeplift:rescale") row[{r.task, r.metric}] = &r;
  }
  ASSERT_EQ(row.size(), 6u);
  auto R = [&](int t, const std::string& metric) -> const MetricRow& { return *row.at({t, metric}); };
  const double e1 = (std::log(2.0) + (2.0 / 3.0) * std::log(3.0) + std::log(6.0) / 3.0 + std::log(4.0)) / 3.0;
  EXPECT_DOUBLE_EQ(R(0, "sparseness").value, 0.6);
  EXPECT_EQ(R(0, "sparseness").n, 1);
  EXPECT_DOUBLE_EQ(R(0, "sparseness").ci_lo, 0.6);
  EXPECT_DOUBLE_EQ(R(0, "sparseness").ci_hi, 0.6);
  EXPECT_DOUBLE_EQ(R(0, "entropy").value, std::log(4.0));
  EXPECT_NEAR(R(1, "sparseness").value, (0.8 + 2.0 / 3.0 + 0.6) / 3.0, 1e-12);
  EXPECT_EQ(R(1, "sparseness").n, 3);
  EXPECT_GE(R(1, "sparseness").ci_lo, 0.6);
  EXPECT_LE(R(1, "sparseness").ci_hi, 0.8);
  EXPECT_LT(R(1, "sparseness").ci_lo, R(1, "sparseness").ci_hi);
  EXPECT_NEAR(R(1, "entropy").value, e1, 1e-12);
  EXPECT_EQ(R(1, "entropy").n, 3);
  EXPECT_TRUE(std::isnan(R(2, "sparseness").value));
  EXPECT_EQ(R(2, "entropy").n, 0);
  // Metric by metric, then method by method, then task by task; none with eval.xai_metrics empty.
  EXPECT_EQ(ev.rows[first].metric, "sparseness");
  EXPECT_EQ(ev.rows[first].method, "deeplift:rescale");
  EXPECT_EQ(ev.rows[first + 3].method, "ism@shuffle");
  EXPECT_EQ(ev.rows.back().metric, "random_target_spearman");
  EvalConfig none = test_config();
  none.xai_metrics = "";
  const Evaluation without = evaluate(ds, in, {gata(), tal()}, none);
  EXPECT_EQ(without.rows.size(), first);
  // metrics.json carries the interval of these rows (and the other families of docs/metrics.md) only.
  const std::string json = metrics_json(ev, in, test_config(), std::nullopt, "0.1.0");
  EXPECT_NE(json.find("\"metric\": \"sparseness\", \"tier\": \"all\", \"value\": 0.6, \"n\": 1, \"ci_lo\": 0.6, "
                      "\"ci_hi\": 0.6}"),
            std::string::npos)
      << json;
  std::size_t intervals = 0;
  for (std::size_t at = json.find("\"ci_lo\""); at != std::string::npos; at = json.find("\"ci_lo\"", at + 1)) ++intervals;
  EXPECT_EQ(intervals, ev.rows.size() - first);
}

// Faithfulness of the worked example (rows s2 TTTCCTTTTT, s0 TAGTTTCCTT, s1 AGTTTTAGTT, s3 all T)
// with the share-of-A model and the background reference; grid k = 0, 2, 4 (fraction 0.4, 2 steps).
//  deeplift:rescale, task 0 (s0: +1 at 1, 2 and -1 at 6, 7; the others 0, so position order):
//   s2 deletes T, T then T, C: curve 0, 0.06, 0.12, AOPC (0 - 0.06 - 0.12) / 3 = -0.06; s3 the same;
//   s0 deletes its A and G (1 - 0.7 + 0.3 = 0.6 A), then T, T: 0.1, 0.06, 0.12, AOPC 0.02 / 3;
//   s1 deletes A, G then T, T: 0.2, 0.16, 0.22, AOPC 0.02 / 3. Mean (0.04 / 3 - 0.12) / 4.
//  For a linear model insertion gives the same sums from the other end: insertion_auc = deletion_aopc.
//  A method scoring each position by its exact contribution (0.07 at an A, -0.03 elsewhere)
//  has faithfulness_corr 1 where it is defined (s0, s1; s2 and s3 have equal sums on every subset).
TEST(EvaluateTest, FaithfulnessMetricsByHandOnALinearModel) {
  const sim::Dataset ds = tiny_dataset();
  io::NpzArchive archive = worked_archive(ds);
  const std::vector<int> rows{2, 0, 1, 3};
  std::vector<std::array<std::array<float, kL>, kT>> exact(4);
  for (std::size_t r = 0; r < 4; ++r)
    for (auto& t : exact[r])
      for (std::size_t l = 0; l < kL; ++l) t[l] = ds.seqs[static_cast<std::size_t>(rows[r])][l] == 'A' ? 0.07f : -0.03f;
  archive.push_back({"exact", contributions(ds, rows, exact)});
  const ScoresInput in = match_scores(archive, "scores.npz", ds, "data", "background");
  EvalConfig cfg = test_config();
  cfg.perturbation_sequences = 0;
  cfg.perturbation_fraction = 0.4;
  cfg.perturbation_steps = 2;
  cfg.faithfulness_subset_fraction = 0.3;
  const model::Network net = share_of_a_model();
  const Evaluation ev = evaluate(ds, in, {gata(), tal()}, cfg, std::nullopt, &net);
  std::map<std::tuple<std::string, int, std::string>, const MetricRow*> row;
  for (const MetricRow& r : ev.rows) row[{r.method, r.task, r.metric}] = &r;
  auto R = [&](const std::string& m, int t, const std::string& metric) -> const MetricRow& {
    return *row.at({m, t, metric});
  };
  const double del0 = (0.04 / 3 - 0.12) / 4;
  EXPECT_NEAR(R("deeplift:rescale", 0, "deletion_aopc").value, del0, 1e-6);
  EXPECT_EQ(R("deeplift:rescale", 0, "deletion_aopc").n, 4);
  EXPECT_NEAR(R("deeplift:rescale", 0, "insertion_auc").value, del0, 1e-6);
  EXPECT_LE(R("deeplift:rescale", 0, "deletion_aopc").ci_lo, del0);
  EXPECT_GE(R("deeplift:rescale", 0, "deletion_aopc").ci_hi, del0);
  // The exact scores delete every A first: s0 0.1 -> 0.06 -> 0.12 (A, T, then G, T): AOPC 0.02 / 3;
  // s1 0.2 -> 0.06 -> 0.12 (A, A, then G, T): (0.14 + 0.08) / 3; s2, s3 as above, -0.06 each.
  EXPECT_NEAR(R("exact", 1, "deletion_aopc").value, ((0.02 + 0.22) / 3 - 0.12) / 4, 1e-6);
  EXPECT_NEAR(R("exact", 2, "faithfulness_corr").value, 1.0, 1e-5);
  EXPECT_EQ(R("exact", 2, "faithfulness_corr").n, 2);
  // Rows after the complexity rows, metric by metric in the catalogue's order.
  std::vector<std::string> order;
  for (const MetricRow& r : ev.rows)
    if (has_interval(metric_info(r.metric).family) && (order.empty() || order.back() != r.metric))
      order.push_back(r.metric);
  EXPECT_EQ(order, (std::vector<std::string>{"sparseness", "entropy", "deletion_aopc", "insertion_auc",
                                             "faithfulness_corr", "random_target_spearman"}));
  // One batch per sequence: x, the reference, 2 + 2 steps per method (3) and task (3), 32 subsets.
  EXPECT_EQ(ev.forward_passes, 4 * (2 + 3 * 3 * 4 + 32));
  // The mean curves: s2, s0, s1, s3 average to (0.075, 0.07, 0.12) for deeplift:rescale's task 0.
  ASSERT_FALSE(ev.curves.empty());
  EXPECT_EQ(ev.curves[0].method, "deeplift:rescale");
  EXPECT_EQ(ev.curves[0].kind, "deletion");
  EXPECT_EQ(ev.curves[0].k, (std::vector<int>{0, 2, 4}));
  EXPECT_NEAR(ev.curves[0].mean[0], 0.075, 1e-6);
  EXPECT_NEAR(ev.curves[0].mean[1], (0.06 + 0.06 + 0.16 + 0.06) / 4, 1e-6);
  EXPECT_NEAR(ev.curves[0].mean[2], (0.12 + 0.12 + 0.22 + 0.12) / 4, 1e-6);
  const std::string json = metrics_json(ev, in, cfg, std::nullopt, "0.1.0");
  EXPECT_NE(json.find("\"curves\": [\n    {\"method\": \"deeplift:rescale\", \"task\": 0, \"kind\": \"deletion\", \"k\": "
                      "[0, 2, 4], \"logit\": [0.075"),
            std::string::npos);
  // Without the model, none of them (and no curves).
  const Evaluation without = evaluate(ds, in, {gata(), tal()}, cfg);
  EXPECT_EQ(std::count_if(without.rows.begin(), without.rows.end(),
                          [](const MetricRow& r) { return metric_info(r.metric).family == Family::Faithfulness; }),
            0);
  EXPECT_TRUE(without.curves.empty());
  // A dinucleotide shuffle keeps the composition, so its share of A is the input's: every
  // insertion curve starts where the deletion curve does; equal seeds give equal values.
  cfg.perturbation_reference = "dinuc_shuffle";
  const Evaluation dn = evaluate(ds, in, {gata(), tal()}, cfg, std::nullopt, &net);
  for (std::size_t c = 0; c + 1 < dn.curves.size(); c += 2) {
    EXPECT_EQ(dn.curves[c].kind, "deletion");
    EXPECT_NEAR(dn.curves[c].mean[0], dn.curves[c + 1].mean[0], 1e-6);
  }
  EXPECT_EQ(metrics_json(dn, in, cfg, std::nullopt, "x"),
            metrics_json(evaluate(ds, in, {gata(), tal()}, cfg, std::nullopt, &net), in, cfg, std::nullopt, "x"));
  // A model that is not one logit per task is refused.
  const model::Network two = share_of_a_model(2);
  EXPECT_THROW_MSG(evaluate(ds, in, {gata(), tal()}, cfg, std::nullopt, &two), InputError,
                   "--model: the model has 2 outputs; expected one logit per task of the dataset (3), got 2");
}

// ISM agreement with the share-of-A model (L = 10): substituting an A lowers the logit by 0.1 for
// each of the 3 other bases, effect f(x) - mean = 0.1; any other base has A among its 3
// substitutions, effect -0.1 / 3. The exact method (0.07 at an A, -0.03 elsewhere) is an affine
// image of that: Pearson and Spearman 1 where the sequence has an A (s0, s1), and the sign of
// every planted instance agrees (AG windows +, CC windows -; s3 has none): n = 3.
// deeplift:rescale task 0: s0's instances (+2 over AG, -2 over CC) agree; s1's and s2's are
// scored 0, whose sign is not the effect's: (1 + 0 + 0) / 3.
TEST(EvaluateTest, IsmAgreementByHandOnALinearModel) {
  const sim::Dataset ds = tiny_dataset();
  io::NpzArchive archive = worked_archive(ds);
  const std::vector<int> rows{2, 0, 1, 3};
  std::vector<std::array<std::array<float, kL>, kT>> exact(4);
  for (std::size_t r = 0; r < 4; ++r)
    for (auto& t : exact[r])
      for (std::size_t l = 0; l < kL; ++l) t[l] = ds.seqs[static_cast<std::size_t>(rows[r])][l] == 'A' ? 0.07f : -0.03f;
  archive.push_back({"exact", contributions(ds, rows, exact)});
  // A map whose ranks are not an affine image of its values: l^2 at position l.
  std::vector<std::array<std::array<float, kL>, kT>> curved(4);
  for (auto& r : curved)
    for (auto& t : r)
      for (std::size_t l = 0; l < kL; ++l) t[l] = static_cast<float>(l * l);
  archive.push_back({"curved", contributions(ds, rows, curved)});
  const ScoresInput in = match_scores(archive, "scores.npz", ds, "data", "background");
  EvalConfig cfg = test_config();
  cfg.xai_metrics = "ism_sign_agreement,ism_spearman,ism_pearson";
  cfg.perturbation_sequences = 0;
  const model::Network net = share_of_a_model();
  const Evaluation ev = evaluate(ds, in, {gata(), tal()}, cfg, std::nullopt, &net);
  std::map<std::tuple<std::string, int, std::string>, const MetricRow*> row;
  for (const MetricRow& r : ev.rows) row[{r.method, r.task, r.metric}] = &r;
  auto R = [&](const std::string& m, int t, const std::string& metric) -> const MetricRow& {
    return *row.at({m, t, metric});
  };
  EXPECT_NEAR(R("exact", 0, "ism_pearson").value, 1.0, 1e-5);
  EXPECT_EQ(R("exact", 0, "ism_pearson").n, 2);
  EXPECT_NEAR(R("exact", 1, "ism_spearman").value, 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(R("exact", 2, "ism_sign_agreement").value, 1.0);
  EXPECT_EQ(R("exact", 2, "ism_sign_agreement").n, 3);
  EXPECT_NEAR(R("deeplift:rescale", 0, "ism_sign_agreement").value, 1.0 / 3.0, 1e-12);
  // s0's map of deeplift:rescale task 0 against the effects, Pearson by a naive formula.
  auto naive_pearson = [](const std::vector<double>& a, const std::vector<double>& e) {
    double ma = 0, me = 0;
    for (int l = 0; l < kL; ++l) ma += a[l] / kL, me += e[l] / kL;
    double sae = 0, saa = 0, see = 0;
    for (int l = 0; l < kL; ++l)
      sae += (a[l] - ma) * (e[l] - me), saa += (a[l] - ma) * (a[l] - ma), see += (e[l] - me) * (e[l] - me);
    return sae / std::sqrt(saa * see);
  };
  std::vector<double> e(kL, -0.1 / 3);
  e[1] = 0.1;
  EXPECT_NEAR(R("deeplift:rescale", 0, "ism_pearson").value,
              naive_pearson({0, 1, 1, 0, 0, 0, -1, -1, 0, 0}, e), 1e-5);
  // Spearman: the same on average ranks (the -1s 1.5, the 0s 5.5, the 1s 9.5; nine effects 5, one 10).
  EXPECT_NEAR(R("deeplift:rescale", 0, "ism_spearman").value,
              naive_pearson({5.5, 9.5, 9.5, 5.5, 5.5, 5.5, 1.5, 1.5, 5.5, 5.5}, {5, 10, 5, 5, 5, 5, 5, 5, 5, 5}), 1e-12);
  EXPECT_EQ(R("deeplift:rescale", 0, "ism_pearson").n, 1);
  // curved on s0 (A at 1) and s1 (A at 0 and 6): Pearson on the values, Spearman on the ranks
  // (positions 1..10; the effects' ranks 5 and 10 on s0, 4.5 and 9.5 on s1).
  std::vector<double> sq(kL), pos(kL), e1(kL, -0.1 / 3), r0(kL, 5), r1(kL, 4.5);
  for (int l = 0; l < kL; ++l) sq[l] = l * l, pos[l] = l + 1;
  e1[0] = e1[6] = 0.1;
  r0[1] = 10;
  r1[0] = r1[6] = 9.5;
  EXPECT_NEAR(R("curved", 0, "ism_pearson").value, (naive_pearson(sq, e) + naive_pearson(sq, e1)) / 2, 1e-5);
  EXPECT_EQ(R("curved", 0, "ism_pearson").n, 2) << "s2 and s3: effects equal up to rounding, undefined";
  EXPECT_NEAR(R("curved", 0, "ism_spearman").value, (naive_pearson(pos, r0) + naive_pearson(pos, r1)) / 2, 1e-12);
  // Rows in the catalogue's order, whatever the key's; 3 substitutions per position, one batch.
  std::vector<std::string> order;
  for (const MetricRow& r : ev.rows)
    if (has_interval(metric_info(r.metric).family) && (order.empty() || order.back() != r.metric))
      order.push_back(r.metric);
  EXPECT_EQ(order, (std::vector<std::string>{"ism_pearson", "ism_spearman", "ism_sign_agreement"}));
  EXPECT_EQ(ev.forward_passes, 4 * (2 + 3 * kL));  // whatever the number of methods
}

TEST(EvaluateTest, PerturbationGridRowsAndOrder) {
  EvalConfig c;
  c.perturbation_fraction = 0.2;
  c.perturbation_steps = 4;
  EXPECT_EQ(perturbation_grid(200, c), (std::vector<int>{0, 10, 20, 30, 40}));
  c.perturbation_steps = 3;
  EXPECT_EQ(perturbation_grid(10, c), (std::vector<int>{0, 1, 1, 2}));  // round(2/3), round(4/3)
  c.perturbation_sequences = 3;
  EXPECT_EQ(perturbation_rows(10, c), (std::vector<int>{0, 3, 6}));
  c.perturbation_sequences = 0;
  EXPECT_EQ(perturbation_rows(3, c), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(positions_by_score(std::vector<double>{0.5, 2, 0.5, -1, 2}), (std::vector<int>{1, 4, 0, 2, 3}));
  EXPECT_DOUBLE_EQ(aopc(std::vector<double>{1, 0.5, 0}, 1), 0.5);
}

// The random-target test of the worked example, deeplift:rescale: task 0's map of s0 (+1 at 1, 2,
// -1 at 6, 7) against task 1's (+1 at 1, 2, +0.5 at 6, 7). Average ranks: x 5.5 (the six 0s), 9.5,
// 1.5; y 3.5, 9.5, 7.5; centred products sum to 16 over sums of squares 64 and 64: rho 0.25. Every
// other sequence has a constant map on one side (undefined), and so has every pair with task 2.
TEST(EvaluateTest, RandomTargetSpearmanOfTheWorkedExample) {
  const sim::Dataset ds = tiny_dataset();
  const ScoresInput in = match_scores(worked_archive(ds), "scores.npz", ds, "data", "background");
  const Evaluation ev = evaluate(ds, in, {gata(), tal()}, test_config());
  std::vector<const MetricRow*> rows;
  for (const MetricRow& r : ev.rows)
    if (r.metric == "random_target_spearman" && r.method == "deeplift:rescale") rows.push_back(&r);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_DOUBLE_EQ(rows[0]->value, 0.25);
  EXPECT_EQ(rows[0]->n, 1);
  EXPECT_EQ(rows[1]->n, 0);
  EXPECT_EQ(rows[2]->n, 0);
  EXPECT_EQ(&ev.rows.back(), &*std::find_if(ev.rows.rbegin(), ev.rows.rend(), [](const MetricRow& r) {
    return r.metric == "random_target_spearman";
  }));
}

TEST(EvaluateTest, ConfigErrors) {
  EvalConfig c;
  EXPECT_NO_THROW(validate(c));
  c.pseudocount = 1;
  EXPECT_THROW_MSG(validate(c), ConfigError, "eval.pseudocount: out of range; expected a value in [0, 1), got 1");
  c = {};
  c.strands = "reverse";
  EXPECT_THROW_MSG(validate(c), ConfigError, "eval.strands: unknown value; expected forward or both, got 'reverse'");
  c = {};
  c.top_hits = 0;
  EXPECT_THROW_MSG(validate(c), ConfigError, "eval.top_hits: too small; expected top_hits >= 1, got 0");
  c = {};
  c.perturbation_reference = "zeros";
  EXPECT_THROW_MSG(validate(c), ConfigError,
                   "eval.perturbation_reference: unknown value; expected background or dinuc_shuffle, got 'zeros'");
  c = {};
  c.perturbation_fraction = 0;
  EXPECT_THROW_MSG(validate(c), ConfigError, "eval.perturbation_fraction: out of range; expected a value in (0, 1], got 0");
  c = {};
  c.perturbation_steps = 0;
  EXPECT_THROW_MSG(validate(c), ConfigError, "eval.perturbation_steps: too small; expected a value >= 1, got 0");
  c = {};
  c.faithfulness_subsets = 1;
  EXPECT_THROW_MSG(validate(c), ConfigError, "eval.faithfulness_subsets: too small; expected a value >= 2, got 1");
  c = {};
  c.perturbation_sequences = -1;
  EXPECT_THROW_MSG(validate(c), ConfigError, "eval.perturbation_sequences: too small; expected a value >= 0, got -1");
  c = {};
  c.scan_mode = "greedy";
  EXPECT_THROW_MSG(validate(c), ConfigError,
                   "eval.scan_mode: unknown value; expected exclusive or deeplift_compatible, got 'greedy'");
  c = {};
  c.background = {0.3, 0.2, 0.2, 0.4};
  try {
    validate(c);
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("eval.background: ", 0), 0u) << e.what();
  }
}

}  // namespace
}  // namespace lb::eval
