// The discovery benchmark's metrics on hand-made seqlets, sites and matches.
#include "discover/benchmark.h"

#include <cmath>

#include <gtest/gtest.h>

namespace lb::discover {
namespace {

TEST(DiscoveryBenchmarkTest, OverlapByHand) {
  EXPECT_EQ(overlap(0, 10, 5, 20), 5);
  EXPECT_EQ(overlap(5, 20, 0, 10), 5);
  EXPECT_EQ(overlap(0, 10, 10, 20), 0);
  EXPECT_EQ(overlap(0, 10, 2, 4), 2);
}

TEST(DiscoveryBenchmarkTest, PrecisionRecallByHand) {
  // Two GATA sites in sequence 0 and one TAL1 site in sequence 1, each 6 bp.
  const std::vector<PlantedSite> sites{{0, 10, 16, "GATA"}, {0, 50, 56, "GATA"}, {1, 30, 36, "TAL1"}};
  const std::vector<SeqletSpan> seqlets{
      {0, 0, 13, 1},    // 3 of 6 bases of site 1: half, a hit
      {0, 54, 80, 1},   // 2 of 6 bases: not a hit
      {1, 20, 51, 1},   // covers the TAL1 site
      {2, 0, 31, 1},    // no site in sequence 2
      {0, 40, 71, -1},  // negative: not counted, though it covers site 2
  };
  const DiscoveryScore s = score_discovery(seqlets, sites, {});
  EXPECT_EQ(s.seqlets, 4);
  EXPECT_EQ(s.seqlet_hits, 2);
  EXPECT_DOUBLE_EQ(s.precision, 0.5);
  EXPECT_EQ(s.sites, 3);
  EXPECT_EQ(s.sites_hit, 2);
  EXPECT_DOUBLE_EQ(s.recall, 2.0 / 3);
  ASSERT_EQ(s.recovery.size(), 2u);
  EXPECT_EQ(s.recovery[0].motif, "GATA");
  EXPECT_EQ(s.recovery[0].sites, 2);
  EXPECT_FALSE(s.recovery[0].found);
  EXPECT_EQ(s.motifs, 0);
  // No seqlets, no sites: undefined, not zero.
  const DiscoveryScore e = score_discovery({}, {}, {});
  EXPECT_TRUE(std::isnan(e.precision));
  EXPECT_TRUE(std::isnan(e.recall));
}

TEST(DiscoveryBenchmarkTest, RecoveryAndUnmatchedMotifs) {
  const std::vector<PlantedSite> sites{{0, 10, 16, "GATA"}, {1, 30, 36, "TAL1"}};
  std::vector<SeqletSpan> seqlets(100, SeqletSpan{5, 0, 31, 1});
  std::vector<DiscoveredMotif> motifs{
      {"pos_1", 1, 40, {{"GATA", 0.001, 8.5}, {"TAL1", 0.6, 2.0}}},
      {"pos_2", 1, 10, {{"GATA", 0.01, 9.0}, {"TAL1", 0.9, 1.0}}},
      {"pos_3", 1, 7, {{"GATA", 0.2, 3.0}, {"TAL1", 0.07, 4.0}}},   // matches nothing at q < 0.05
      {"neg_1", -1, 3, {{"GATA", 0.5, 1.0}, {"TAL1", 0.01, 6.0}}},  // negative: cannot recover a driver
  };
  const DiscoveryScore s = score_discovery(seqlets, sites, motifs);
  ASSERT_EQ(s.recovery.size(), 2u);
  EXPECT_TRUE(s.recovery[0].found);
  EXPECT_EQ(s.recovery[0].by, "pos_1");  // the lowest q, though pos_2 scores higher
  EXPECT_DOUBLE_EQ(s.recovery[0].q, 0.001);
  EXPECT_EQ(s.recovery[0].support, 50);
  EXPECT_FALSE(s.recovery[1].found);  // TAL1: only the negative motif matches it
  EXPECT_EQ(s.motifs, 4);
  EXPECT_EQ(s.unmatched, 1);
  EXPECT_DOUBLE_EQ(s.unmatched_max_share, 0.07);
  // A stricter threshold loses pos_2's and pos_1's matches in turn.
  const DiscoveryScore strict = score_discovery(seqlets, sites, motifs, 0.005);
  EXPECT_TRUE(strict.recovery[0].found);
  EXPECT_EQ(strict.recovery[0].support, 40);
  EXPECT_EQ(strict.unmatched, 3);
}

}  // namespace
}  // namespace lb::discover
