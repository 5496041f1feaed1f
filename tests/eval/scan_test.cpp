// Tests of eval/scan: log-odds of every window (both strands) and greedy top-hit selection.
#include "eval/scan.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace lb::eval {
namespace {

// A width-2 motif "AG": rows A-heavy then G-heavy. Its reverse complement is "CT".
sim::Pwm ag_motif() {
  return sim::Pwm("AG", {{0.7, 0.1, 0.1, 0.1}, {0.1, 0.1, 0.7, 0.1}});
}

std::vector<std::uint8_t> codes(const std::string& s) {
  std::vector<std::uint8_t> c;
  for (char ch : s) c.push_back(ch == 'A' ? 0 : ch == 'C' ? 1 : ch == 'G' ? 2 : ch == 'T' ? 3 : 4);
  return c;
}

TEST(ScanTest, LogOddsOfEveryWindowByHand) {
  const sim::Pwm pwm = ag_motif();
  const sim::Background bg;  // 0.3, 0.2, 0.2, 0.3
  const auto seq = codes("AGCTAN");
  const double inf = std::numeric_limits<double>::infinity();
  // Forward strand, windows AG, GC, CT, TA, AN:
  //   AG: ln(.7/.3) + ln(.7/.2);  GC: ln(.1/.2) + ln(.1/.2);  CT: ln(.1/.2) + ln(.1/.3);
  //   TA: ln(.1/.3) + ln(.1/.3);  AN: -inf (an N matches nothing).
  const std::vector<double> fwd{std::log(.7 / .3) + std::log(.7 / .2), 2 * std::log(.1 / .2),
                                std::log(.1 / .2) + std::log(.1 / .3), 2 * std::log(.1 / .3), -inf};
  const WindowScores f = scan(seq, pwm, pwm.reverse_complement(), bg, Strands::Forward);
  ASSERT_EQ(f.log_odds.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) {
    if (std::isinf(fwd[i])) EXPECT_EQ(f.log_odds[i], -inf) << i;
    else EXPECT_NEAR(f.log_odds[i], fwd[i], 1e-12) << i;
    EXPECT_EQ(f.strand[i], '+') << i;
  }
  // Both strands: the reverse complement "CT" (rows C-heavy, T-heavy) wins at CT with
  // ln(.7/.2) + ln(.7/.3); at GC and TA both strands score the same and forward is kept.
  const WindowScores b = scan(seq, pwm, pwm.reverse_complement(), bg, Strands::Both);
  EXPECT_NEAR(b.log_odds[0], fwd[0], 1e-12);
  EXPECT_EQ(b.strand[0], '+');
  EXPECT_NEAR(b.log_odds[1], fwd[1], 1e-12);
  EXPECT_EQ(b.strand[1], '+');
  EXPECT_NEAR(b.log_odds[2], std::log(.7 / .2) + std::log(.7 / .3), 1e-12);
  EXPECT_EQ(b.strand[2], '-');
  EXPECT_NEAR(b.log_odds[3], fwd[3], 1e-12);
  EXPECT_EQ(b.log_odds[4], -inf);
}

TEST(ScanTest, SequenceShorterThanMotifHasNoWindows) {
  const sim::Pwm pwm = ag_motif();
  EXPECT_TRUE(scan(codes("A"), pwm, pwm.reverse_complement(), {}, Strands::Both).log_odds.empty());
}

TEST(ScanTest, TopHitsExclusiveClampsAtStart) {
  // Width 4: each pick excludes windows within 2 of it (clamped at 0).
  const std::vector<double> s{1, 9, 3, 8, 2, 7, 0, 5, 6, 4};
  // 9 at 1 excludes 0..3; 7 at 5 excludes 3..7; 6 at 8 excludes 6..9; nothing is left.
  EXPECT_EQ(top_hits(s, 4, 5, ScanMode::Exclusive), (std::vector<int>{1, 5, 8}));
  EXPECT_EQ(top_hits(s, 4, 2, ScanMode::Exclusive), (std::vector<int>{1, 5}));
}

TEST(ScanTest, TopHitsDeepliftCompatibleRepeatsAPickNearTheStart) {
  const std::vector<double> s{1, 9, 3, 8, 2, 7, 0, 5, 6, 4};
  // The pick at 1 < width/2 = 2: the authors' slice scores[-1:4] is empty, so 1 is picked again.
  EXPECT_EQ(top_hits(s, 4, 5, ScanMode::DeepliftCompatible), (std::vector<int>{1, 1, 1, 1, 1}));
  // Away from the start both modes agree: 9 at 4, then 8 at 7 (4's exclusion is 2..6), then 1 at 0.
  const std::vector<double> t{1, 0, 3, 2, 9, 5, 4, 8, 0, 0};
  EXPECT_EQ(top_hits(t, 4, 3, ScanMode::DeepliftCompatible), (std::vector<int>{4, 7, 0}));
  EXPECT_EQ(top_hits(t, 4, 3, ScanMode::Exclusive), (std::vector<int>{4, 7, 0}));
}

TEST(ScanTest, TopHitsTiesPickTheFirstAndSkipMinusInfinity) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(top_hits(std::vector<double>{-inf, 2, 2, -inf, -inf, -inf, 2}, 2, 5, ScanMode::Exclusive),
            (std::vector<int>{1, 6}));
}

TEST(ScanTest, Names) {
  Strands s;
  ScanMode m;
  EXPECT_TRUE(parse_strands("both", s));
  EXPECT_EQ(s, Strands::Both);
  EXPECT_FALSE(parse_strands("reverse", s));
  EXPECT_TRUE(parse_scan_mode("deeplift_compatible", m));
  EXPECT_EQ(scan_mode_name(m), "deeplift_compatible");
  EXPECT_FALSE(parse_scan_mode("greedy", m));
}

}  // namespace
}  // namespace lb::eval
