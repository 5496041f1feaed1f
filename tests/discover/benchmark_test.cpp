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
  const DiscoveryScore s = score_discovery(seqlets, {sites}, {});
  EXPECT_EQ(s.seqlets, 4);
  EXPECT_EQ(s.seqlets_negative, 1);
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
      {"pos_1", 1, 40, {{"GATA", 0.001, 8.5}, {"TAL1", 0.6, 2.0}}, {}},
      {"pos_2", 1, 10, {{"GATA", 0.01, 9.0}, {"TAL1", 0.9, 1.0}}, {}},
      {"pos_3", 1, 7, {{"GATA", 0.2, 3.0}, {"TAL1", 0.07, 4.0}}, {}},   // matches nothing at q < 0.05
      {"neg_1", -1, 3, {{"GATA", 0.5, 1.0}, {"TAL1", 0.01, 6.0}}, {}},  // negative: cannot recover a driver
  };
  const DiscoveryScore s = score_discovery(seqlets, {sites}, motifs);
  ASSERT_EQ(s.recovery.size(), 2u);
  EXPECT_TRUE(s.recovery[0].found);
  EXPECT_EQ(s.recovery[0].by, "pos_1");  // the lowest q, though pos_2 scores higher
  EXPECT_DOUBLE_EQ(s.recovery[0].q, 0.001);
  EXPECT_EQ(s.recovery[0].support, 50);
  EXPECT_FALSE(s.recovery[1].found);  // TAL1: only the negative motif matches it
  EXPECT_EQ(s.motifs, 4);
  EXPECT_EQ(s.unmatched, 1);
  EXPECT_DOUBLE_EQ(s.unmatched_max_share, 0.07);
  EXPECT_EQ(s.unmatched_pos, 1);
  EXPECT_DOUBLE_EQ(s.unmatched_pos_max_share, 0.07);
  EXPECT_EQ(s.unmatched_neg, 0);  // neg_1 matches TAL1
  EXPECT_EQ(s.off_task, 0);
  // A stricter threshold loses pos_2's and pos_1's matches in turn.
  const DiscoveryScore strict = score_discovery(seqlets, {sites}, motifs, 0.005);
  EXPECT_TRUE(strict.recovery[0].found);
  EXPECT_EQ(strict.recovery[0].support, 40);
  EXPECT_EQ(strict.unmatched, 3);
}

// Positive motifs matching only a planted motif that does not drive the task are off-task; an
// unmatched negative motif is counted apart from the positive ones; shares are of all the task's
// seqlets (both signs).
TEST(DiscoveryBenchmarkTest, OffTaskAndUnmatchedBySign) {
  const std::vector<PlantedSite> sites{{0, 10, 16, "GATA"}};  // TAL1 is in the file but drives nothing here
  std::vector<SeqletSpan> seqlets(150, SeqletSpan{5, 0, 31, 1});
  for (int i = 0; i < 50; ++i) seqlets[static_cast<std::size_t>(i)].sign = -1;
  std::vector<DiscoveredMotif> motifs{
      {"pos_1", 1, 80, {{"GATA", 0.001, 8.5}, {"TAL1", 0.6, 2.0}}, {}},
      {"pos_2", 1, 12, {{"GATA", 0.3, 3.0}, {"TAL1", 0.001, 9.0}}, {}},   // off-task: TAL1 only
      {"pos_3", 1, 6, {{"GATA", 0.2, 3.0}, {"TAL1", 0.2, 4.0}}, {}},      // unmatched, positive
      {"neg_1", -1, 30, {{"GATA", 0.01, 7.0}, {"TAL1", 0.5, 1.0}}, {}},   // negative, matches GATA
      {"neg_2", -1, 16, {{"GATA", 0.5, 1.0}, {"TAL1", 0.4, 2.0}}, {}},    // unmatched, negative
      {"neg_3", -1, 4, {{"GATA", 0.5, 1.0}, {"TAL1", 0.4, 2.0}}, {}},     // unmatched, negative, smaller
  };
  const DiscoveryScore s = score_discovery(seqlets, {sites}, motifs);
  EXPECT_EQ(s.seqlets, 100);
  EXPECT_EQ(s.seqlets_negative, 50);
  ASSERT_EQ(s.recovery.size(), 1u);
  EXPECT_TRUE(s.recovery[0].found);
  EXPECT_EQ(s.recovery[0].support, 80);
  EXPECT_EQ(s.off_task, 1);
  EXPECT_DOUBLE_EQ(s.off_task_max_share, 12.0 / 150);
  EXPECT_EQ(s.unmatched, 3);
  EXPECT_DOUBLE_EQ(s.unmatched_max_share, 16.0 / 150);
  EXPECT_EQ(s.unmatched_pos, 1);
  EXPECT_DOUBLE_EQ(s.unmatched_pos_max_share, 6.0 / 150);
  EXPECT_EQ(s.unmatched_neg, 2);
  EXPECT_DOUBLE_EQ(s.unmatched_neg_max_share, 16.0 / 150);
}

// Each motif's seqlets checked against every planted instance: a match whose seqlets mostly miss
// the matched motif's planted instances is an off-site match, whatever its q.
TEST(DiscoveryBenchmarkTest, MotifTruthFromPlantedInstances) {
  const std::vector<PlantedSite> drivers{{0, 10, 16, "GATA"}, {1, 10, 16, "GATA"}};
  const std::vector<PlantedSite> planted{{0, 10, 16, "GATA"}, {1, 10, 16, "GATA"}, {2, 40, 56, "TAL1"},
                                         {3, 40, 56, "TAL1"}};
  const std::vector<SeqletSpan> seqlets{
      {0, 0, 31, 1},    // 0: on GATA (seq 0)
      {1, 0, 31, 1},    // 1: on GATA (seq 1)
      {2, 30, 61, -1},  // 2: on TAL1 (seq 2)
      {3, 50, 81, -1},  // 3: 6 of TAL1's 16 bases: not on it
      {4, 0, 31, -1},   // 4: no instance in sequence 4
  };
  std::vector<DiscoveredMotif> motifs{
      {"pos_1", 1, 2, {{"GATA", 0.001, 8.0}, {"TAL1", 0.5, 1.0}}, {0, 1}},
      {"neg_1", -1, 1, {{"GATA", 0.3, 1.0}, {"TAL1", 0.01, 5.0}}, {2}},     // a negative TAL1: on its instance
      {"neg_2", -1, 2, {{"GATA", 0.02, 6.0}, {"TAL1", 0.04, 7.0}}, {3, 4}},  // best GATA (lower q); on none: false
  };
  const DiscoveryScore s = score_discovery(seqlets, {drivers, {}, planted}, motifs);
  ASSERT_EQ(s.per_motif.size(), 3u);
  EXPECT_EQ(s.per_motif[0].kind, "driver");
  EXPECT_EQ(s.per_motif[0].match, "GATA");
  EXPECT_DOUBLE_EQ(s.per_motif[0].on_match_sites, 1.0);
  EXPECT_EQ(s.per_motif[1].kind, "negative_matched");
  EXPECT_EQ(s.per_motif[1].match, "TAL1");
  EXPECT_DOUBLE_EQ(s.per_motif[1].on_match_sites, 1.0);
  EXPECT_EQ(s.per_motif[2].match, "GATA");
  EXPECT_DOUBLE_EQ(s.per_motif[2].q, 0.02);
  EXPECT_DOUBLE_EQ(s.per_motif[2].on_match_sites, 0.0);
  EXPECT_DOUBLE_EQ(s.per_motif[2].on_any_site, 0.0);
  EXPECT_EQ(s.off_site_matches, 1);
  EXPECT_DOUBLE_EQ(s.off_site_match_max_share, 2.0 / 5);
  // Without the planted instances nothing is called an off-site match.
  EXPECT_EQ(score_discovery(seqlets, {drivers}, motifs).off_site_matches, 0);
}

// A planted repressor is found by the negative side: recall over its sites by negative seqlets,
// recovery by a negative motif matching it (a positive one matching it is off-task instead).
TEST(DiscoveryBenchmarkTest, RepressorsByNegativeSeqletsAndMotifs) {
  const std::vector<PlantedSite> drivers{{0, 10, 16, "GATA"}};
  const std::vector<PlantedSite> repressors{{1, 40, 56, "TAL1"}, {2, 40, 56, "TAL1"}, {3, 40, 56, "TAL1"}};
  const std::vector<SeqletSpan> seqlets{
      {0, 0, 31, 1},    // 0: on GATA
      {1, 30, 61, -1},  // 1: on TAL1 (seq 1)
      {2, 30, 61, -1},  // 2: on TAL1 (seq 2)
      {3, 30, 61, 1},   // 3: positive on TAL1 (seq 3): no repressor hit
  };
  const std::vector<DiscoveredMotif> motifs{
      {"pos_1", 1, 1, {{"GATA", 0.001, 8.0}}, {0}},
      {"pos_2", 1, 1, {{"TAL1", 0.002, 7.5}}, {3}},                        // a positive TAL1: off-task
      {"neg_1", -1, 2, {{"GATA", 0.2, 1.0}, {"TAL1", 0.003, 6.0}}, {1, 2}},  // the repressor
  };
  const DiscoveryScore s = score_discovery(seqlets, {drivers, repressors, drivers}, motifs);
  EXPECT_EQ(s.repressor_sites, 3);
  EXPECT_EQ(s.repressor_sites_hit, 2);
  EXPECT_DOUBLE_EQ(s.repressor_recall, 2.0 / 3);
  ASSERT_EQ(s.repressor_recovery.size(), 1u);
  EXPECT_EQ(s.repressor_recovery[0].motif, "TAL1");
  EXPECT_EQ(s.repressor_recovery[0].sites, 3);
  EXPECT_TRUE(s.repressor_recovery[0].found);
  EXPECT_EQ(s.repressor_recovery[0].by, "neg_1");
  EXPECT_DOUBLE_EQ(s.repressor_recovery[0].q, 0.003);
  EXPECT_EQ(s.repressor_recovery[0].support, 2);
  ASSERT_EQ(s.recovery.size(), 1u);  // TAL1 is no driver: pos_2 does not recover anything
  EXPECT_EQ(s.recovery[0].support, 1);
  EXPECT_EQ(s.off_task, 1);
  EXPECT_EQ(s.per_motif[1].kind, "off_task");
  EXPECT_EQ(s.per_motif[2].kind, "repressor");
  // Without repressor sites: no recovery rows, recall undefined, the negative motif only matched.
  const DiscoveryScore none = score_discovery(seqlets, {drivers}, motifs);
  EXPECT_TRUE(none.repressor_recovery.empty());
  EXPECT_TRUE(std::isnan(none.repressor_recall));
  EXPECT_EQ(none.per_motif[2].kind, "negative_matched");
}

// Redundancy: motifs that recover a planted motif (positive on a driver, negative on a
// repressor) per planted motif recovered; coverage: seqlets of matched motifs over all of the
// task's seqlets.
TEST(DiscoveryBenchmarkTest, RedundancyAndCoverageByHand) {
  const std::vector<PlantedSite> drivers{{0, 10, 16, "GATA"}, {1, 10, 16, "TAL1"}};
  const std::vector<PlantedSite> repressors{{2, 10, 16, "NRSF"}};
  std::vector<SeqletSpan> seqlets(200, SeqletSpan{5, 0, 31, 1});
  for (int i = 0; i < 40; ++i) seqlets[static_cast<std::size_t>(i)].sign = -1;
  std::vector<DiscoveredMotif> motifs{
      {"pos_1", 1, 60, {{"GATA", 0.001, 8.5}}, {}},     // GATA, three flank variants of it
      {"pos_2", 1, 30, {{"GATA", 0.002, 8.0}}, {}},
      {"pos_3", 1, 20, {{"GATA", 0.01, 7.0}}, {}},
      {"pos_4", 1, 25, {{"GATA", 0.3, 2.0}}, {}},       // unmatched: not in the coverage
      {"neg_1", -1, 15, {{"NRSF", 0.001, 9.0}}, {}},    // the repressor
      {"neg_2", -1, 10, {{"TAL1", 0.001, 9.0}}, {}},    // matched, negative, no repressor: covered only
  };
  // GATA recovered by 3 motifs, NRSF by 1, TAL1 not: 4 motifs per 2 recovered planted motifs.
  const DiscoveryScore s = score_discovery(seqlets, {drivers, repressors, {}}, motifs);
  EXPECT_DOUBLE_EQ(s.redundancy, 2.0);
  EXPECT_DOUBLE_EQ(s.coverage, (60.0 + 30 + 20 + 15 + 10) / 200);
  // Each planted motif found once: 1.
  const std::vector<DiscoveredMotif> once{motifs[0], motifs[3], motifs[4]};
  const DiscoveryScore o = score_discovery(seqlets, {drivers, repressors, {}}, once);
  EXPECT_DOUBLE_EQ(o.redundancy, 1.0);
  EXPECT_DOUBLE_EQ(o.coverage, 75.0 / 200);
  // One motif matching both drivers recovers two planted motifs: 0.5.
  const std::vector<DiscoveredMotif> chimera{{"pos_1", 1, 60, {{"GATA", 0.001, 8.5}, {"TAL1", 0.01, 6.0}}, {}}};
  EXPECT_DOUBLE_EQ(score_discovery(seqlets, {drivers}, chimera).redundancy, 0.5);
  // Nothing recovered, no seqlets: undefined, not zero.
  const DiscoveryScore e = score_discovery({}, {drivers}, {});
  EXPECT_TRUE(std::isnan(e.redundancy));
  EXPECT_TRUE(std::isnan(e.coverage));
}

}  // namespace
}  // namespace lb::discover
