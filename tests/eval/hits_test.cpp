// Tests of eval/hits: per-base scores and hit scores; find_hits over any number of motifs.
#include "eval/hits.h"

#include <cmath>

#include <gtest/gtest.h>

#include "core/error.h"
#include "eval/evaluate.h"

namespace lb::eval {
namespace {

TEST(HitsTest, PerBaseScoreSumsTheFourChannels) {
  // (4, L=3), rows A, C, G, T.
  const std::vector<float> c{1.0f, 0.0f, -1.0f,   // A
                             0.5f, 0.0f, 0.0f,    // C
                             0.0f, 2.0f, 0.0f,    // G
                             0.0f, 0.0f, 0.25f};  // T
  const std::vector<double> pb = per_base_scores(c, 3);
  EXPECT_EQ(pb, (std::vector<double>{1.5, 2.0, -0.75}));
  EXPECT_DOUBLE_EQ(hit_score(pb, 1, 3), 1.25);
  EXPECT_DOUBLE_EQ(hit_score(pb, 0, 3), 2.75);
  EXPECT_DOUBLE_EQ(hit_score(pb, 2, 2), 0.0);
}

TEST(HitsTest, HitOutsideTheSequenceIsAnError) {
  const std::vector<double> pb{1, 2};
  EXPECT_THROW(hit_score(pb, 1, 3), Error);
}

// find_hits scans every motif it is given, in that order: hits come by (row, motif, pick order)
// and Hit::motif indexes the PWMs. Three width-2 motifs A = AG, B = CC, C = GG on two sequences.
TEST(HitsTest, FindHitsOfThreeMotifs) {
  sim::Dataset ds;
  ds.seq_len = 10;
  ds.ids = {"s0", "s1"};
  ds.seqs = {"TAGTTTCCTT", "TTGGTTAGTT"};
  const std::vector<sim::Pwm> motifs{sim::Pwm("A", {{0.97, 0.01, 0.01, 0.01}, {0.01, 0.01, 0.97, 0.01}}),
                                     sim::Pwm("B", {{0.01, 0.97, 0.01, 0.01}, {0.01, 0.97, 0.01, 0.01}}),
                                     sim::Pwm("C", {{0.01, 0.01, 0.97, 0.01}, {0.01, 0.01, 0.97, 0.01}})};
  EvalConfig cfg;
  cfg.top_hits = 1;
  const std::vector<int> rows{1, 0};  // scored rows: s1 first
  const std::vector<Hit> hits = find_hits(ds, rows, motifs, cfg);
  ASSERT_EQ(hits.size(), 6u);
  const std::vector<std::pair<int, int>> row_motif{{0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 1}, {1, 2}};
  for (std::size_t h = 0; h < hits.size(); ++h)
    EXPECT_EQ(std::make_pair(hits[h].row, hits[h].motif), row_motif[h]) << h;
  EXPECT_EQ(hits[0].start, 6);  // s1: A at 6
  EXPECT_EQ(hits[2].start, 2);  // s1: C at 2
  EXPECT_EQ(hits[4].start, 6);  // s0: B at 6
  // B's consensus against the default background: 2 ln(p'/0.2), p' = .97 (1 - .001) + .001/4.
  const double p = 0.97 * 0.999 + 0.00025;
  EXPECT_NEAR(hits[4].log_odds, 2 * std::log(p / 0.2), 1e-12);
}

}  // namespace
}  // namespace lb::eval
