// Tests of sim/simulator: config validation, counts, placement, and the simulated dataset's
// structure and statistics (fixed seeds; thresholds in each test's comment).
#include "sim/simulator.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <gtest/gtest.h>

#include "core/parallel.h"

#include "core/alphabet.h"
#include "core/error.h"
#include "sim/sim_test_util.h"
#include "testing/helpers.h"

namespace lb::sim {
namespace {

using testing::binomial_two_sided_p;
using testing::chi_square;
using testing::paper_dataset;
using testing::paper_gata;
using testing::paper_tal;

void expect_config_error(const SimConfig& cfg, const std::string& message) {
  EXPECT_THROW_MSG(validate(cfg), ConfigError, message);
}

TEST(SimConfigTest, DefaultsAreValid) { EXPECT_NO_THROW(validate(SimConfig{})); }

TEST(SimConfigTest, ValidationNamesOption) {
  SimConfig c;
  c.class_fractions = {0.2, 0.25, 0.25, 0.2};
  expect_config_error(c, "sim.class_fractions: fractions must sum to 1 within 1e-6; expected a sum "
                         "of 1, got 0.9");
  c = {};
  c.class_fractions = {-0.25, 0.5, 0.5, 0.25};
  expect_config_error(c, "sim.class_fractions: fractions must be in [0,1]; expected 4 values in "
                         "[0, 1], got -0.25,0.5,0.5,0.25");
  c = {};
  c.split = {0.8, 0.2, 0.1};
  expect_config_error(c, "sim.split: fractions must sum to 1 within 1e-6; expected a sum of 1, got 1.1");
  c = {};
  c.n_seqs = 0;
  expect_config_error(c, "sim.n_seqs: too small; expected n_seqs >= 1, got 0");
  c = {};
  c.seq_len = -5;
  expect_config_error(c, "sim.seq_len: too small; expected seq_len >= 1, got -5");
  c = {};
  c.background = {0.25, 0.25, 0.25, 0.2};
  expect_config_error(c, "sim.background: background probabilities must be in (0,1] and sum to 1 "
                         "within 1e-6; expected 4 values of A,C,G,T in (0,1] summing to 1, got "
                         "0.25,0.25,0.25,0.2 (sum 0.95)");
  c = {};
  c.count_min = 3;
  c.count_max = 1;
  expect_config_error(c, "sim.count_min/count_max: empty count range; expected count_min <= "
                         "count_max, got count_min=3, count_max=1");
  c = {};
  c.count_min = 0;
  expect_config_error(c, "sim.count_min: too small; expected count_min >= 1, got 0");
  c = {};
  c.mean_single = 0;
  expect_config_error(c, "sim.mean_single: Poisson mean out of range; expected a mean in (0, 500], got 0");
  c = {};
  c.mean_both = -1;
  expect_config_error(c, "sim.mean_both: Poisson mean out of range; expected a mean in (0, 500], got -1");
  c = {};
  c.pseudocount = 1.5;
  expect_config_error(c, "sim.pseudocount: pseudocount out of range; expected a value in [0, 1], got 1.5");
  c = {};
  c.revcomp_prob = -0.1;
  expect_config_error(c, "sim.revcomp_prob: probability out of range; expected a value in [0, 1], got -0.1");
  c = {};
  c.max_placement_attempts = 0;
  expect_config_error(c, "sim.max_placement_attempts: too small; expected max_placement_attempts "
                         ">= 1, got 0");
  c = {};
  c.max_count_draws = 0;
  expect_config_error(c, "sim.max_count_draws: too small; expected max_count_draws >= 1, got 0");
  c = {};
  c.tal_motif = c.gata_motif;
  expect_config_error(c, "sim.tal_motif: same motif as sim.gata_motif; expected two different "
                         "motifs, got 'GATA_disc1' twice");
  c = {};
  c.gata_motif = "";
  expect_config_error(c, "sim.gata_motif: empty motif name; expected a motif name, got ''");
}

TEST(SimulatorTest, MotifWiderThanSequenceIsConfigError) {
  SimConfig c;
  c.seq_len = 10;  // GATA_disc1 (10) fits, TAL1_known1 (16) does not
  EXPECT_THROW_MSG(simulate(c, paper_gata(), paper_tal()), ConfigError,
                   "sim.seq_len: motif 'TAL1_known1' (width 16) is wider than the sequence; "
                   "expected seq_len >= 16, got 10");
}

TEST(SimulatorTest, ClassCountsUseLargestRemainder) {
  EXPECT_EQ(class_counts({0.25, 0.25, 0.25, 0.25}, 8000), (std::array<int, 4>{2000, 2000, 2000, 2000}));
  // 7 x (0.1, 0.2, 0.3, 0.4) = 0.7, 1.4, 2.1, 2.8: floors 0,1,2,2 (5); the two leftovers go to
  // the largest remainders .8 (both) and .7 (empty).
  EXPECT_EQ(class_counts({0.1, 0.2, 0.3, 0.4}, 7), (std::array<int, 4>{1, 1, 2, 3}));
  // 3 x 0.25: remainders tie at .75, the lower classes win.
  EXPECT_EQ(class_counts({0.25, 0.25, 0.25, 0.25}, 3), (std::array<int, 4>{1, 1, 1, 0}));
  EXPECT_EQ(class_counts({0, 0, 0, 1}, 5), (std::array<int, 4>{0, 0, 0, 5}));
  // A sum just over 1 (within validate's 1e-6) still gives counts summing to n.
  const auto over = class_counts({0.2500003, 0.2500003, 0.2500003, 0.2500001}, 10000000);
  EXPECT_EQ(over[0] + over[1] + over[2] + over[3], 10000000);
}

TEST(SimulatorTest, SequenceIdsArePadded) {
  EXPECT_EQ(sequence_id(0, 8000), "seq0000");
  EXPECT_EQ(sequence_id(7999, 8000), "seq7999");
  EXPECT_EQ(sequence_id(3, 1), "seq0003");
  EXPECT_EQ(sequence_id(42, 10001), "seq00042");
  EXPECT_EQ(sequence_id(42, 10000), "seq0042");
}

TEST(TruncatedPoissonTest, UnreachableRangeIsAnError) {
  Rng rng(1, 0);
  // P(Poisson(0.01) = 3) ~ 1.7e-7: ten draws essentially never reach it.
  EXPECT_THROW_MSG(truncated_poisson(rng, 0.01, 3, 3, 10), ConfigError,
                   "sim.count_min/count_max: no Poisson draw fell in [3, 3] after 10 draws; "
                   "expected a range that Poisson(0.01) reaches, got mean 0.01 and range [3, 3]");
}

// Statistical: 100,000 draws of truncated_poisson(2, [1, 3]) against Poisson(2) conditioned on
// [1, 3] = (0.375, 0.375, 0.25): chi-square (df 2) < 27.63 (p < 1e-6). Checked to FAIL with
// clamping instead of redrawing (0 -> 1, 4+ -> 3: chi-square 4984).
TEST(TruncatedPoissonTest, MatchesConditionalPoisson) {
  Rng rng(5, 0);
  std::array<long, 3> obs{};
  for (int i = 0; i < 100000; ++i) {
    const int k = truncated_poisson(rng, 2.0, 1, 3, 10000);
    ASSERT_GE(k, 1);
    ASSERT_LE(k, 3);
    ++obs[static_cast<std::size_t>(k - 1)];
  }
  const auto p = testing::truncated_poisson_probs(2.0, 1, 3);
  EXPECT_NEAR(p[0], 0.375, 1e-12);
  EXPECT_NEAR(p[2], 0.25, 1e-12);
  EXPECT_LT(chi_square(obs, {p[0], p[1], p[2]}), testing::kChi2Df2P1e6);
}

TEST(PlaceMotifTest, ImpossiblePlacementIsAnError) {
  Rng rng(1, 0);
  std::vector<std::pair<std::int64_t, std::int64_t>> occupied{{0, 10}, {10, 20}};
  EXPECT_THROW_MSG(place_motif(rng, 20, 10, occupied, 1000, "seq0007", "GATA_disc1"), InputError,
                   "sequence 'seq0007': cannot place motif 'GATA_disc1' (width 10) without overlap "
                   "after 1000 attempts; expected free space for 10 bases, got 2 motifs already "
                   "covering 20 of 20 bases");
  EXPECT_EQ(occupied.size(), 2u);
  EXPECT_THROW_MSG(place_motif(rng, 15, 16, occupied, 1000, "seq0007", "TAL1_known1"), ConfigError,
                   "sim.seq_len: motif 'TAL1_known1' (width 16) is wider than the sequence; "
                   "expected seq_len >= 16, got 15");
}

// A motif name comes from a motif file: its bytes are escaped in the message (they reached the
// terminal raw).
TEST(PlaceMotifTest, MotifNameBytesAreEscapedInMessages) {
  Rng rng(1, 0);
  std::vector<std::pair<std::int64_t, std::int64_t>> occupied{{0, 20}};
  EXPECT_THROW_MSG(place_motif(rng, 20, 10, occupied, 1000, "seq0007", "GA\x1b[2JTA\r"), InputError,
                   "sequence 'seq0007': cannot place motif 'GA\\x1b[2JTA\\r' (width 10) without overlap "
                   "after 1000 attempts; expected free space for 10 bases, got 1 motifs already "
                   "covering 20 of 20 bases");
  EXPECT_THROW_MSG(place_motif(rng, 15, 16, occupied, 1000, "seq0007", "T\x07"), ConfigError,
                   "sim.seq_len: motif 'T\\x07' (width 16) is wider than the sequence; "
                   "expected seq_len >= 16, got 15");
}

TEST(PlaceMotifTest, ImpossibleSimulationEndsInError) {
  // seq_len 20 and three GATA_disc1 (width 10) in every sequence: the third can never fit.
  SimConfig c;
  c.n_seqs = 1;
  c.seq_len = 20;
  c.class_fractions = {0, 1, 0, 0};
  c.count_min = c.count_max = 3;
  Pwm tal("TAL1_known1", std::vector<std::array<double, 4>>(5, {0.25, 0.25, 0.25, 0.25}));
  try {
    simulate(c, paper_gata(), tal);
    ADD_FAILURE() << "expected an InputError";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind("sequence 'seq0000': cannot place motif 'GATA_disc1' (width 10) without "
                        "overlap after 1000 attempts; expected free space for 10 bases, got ",
                        0),
              0u)
        << msg;
  }
}

TEST(PlaceMotifTest, TouchingIsAllowed) {
  for (std::uint64_t s = 0; s < 50; ++s) {
    Rng rng(s, 0);
    std::vector<std::pair<std::int64_t, std::int64_t>> occupied{{0, 10}};
    EXPECT_EQ(place_motif(rng, 20, 10, occupied, 1000, "x", "m"), 10);
    EXPECT_EQ(occupied.back(), (std::pair<std::int64_t, std::int64_t>{10, 20}));
  }
}

// Statistical: 100,000 starts of a width-10 motif in an empty length-200 sequence.
// (1) Both ends 0 and 190 occur: P(an end is missed) = 2 (190/191)^1e5 ~ 1e-228. Checked to
//     FAIL with starts drawn from [0, L - w) (the off-by-one below(seq_len - width): max 189,
//     and (2) fails too at chi-square 54).
// (2) Ten bins (start * 10 / 191) against their exact probabilities: chi-square (df 9) < 44.81
//     (p < 1e-6).
// (3) With [50, 60) occupied, starts are uniform over the 172 free starts: the share below 50
//     (41 of 172) has an exact two-sided binomial p >= 1e-6.
TEST(PlaceMotifTest, StartsAreUniformOverFreePositions) {
  Rng rng(11, 0);
  std::vector<std::pair<std::int64_t, std::int64_t>> occupied;
  std::array<long, 10> bins{};
  std::int64_t lo = 1000, hi = -1;
  const long n = 100000;
  for (long i = 0; i < n; ++i) {
    occupied.clear();
    const auto s = place_motif(rng, 200, 10, occupied, 1000, "x", "m");
    ASSERT_GE(s, 0);
    ASSERT_LE(s, 190);
    lo = std::min(lo, s);
    hi = std::max(hi, s);
    ++bins[static_cast<std::size_t>(s * 10 / 191)];
  }
  EXPECT_EQ(lo, 0);
  EXPECT_EQ(hi, 190);
  std::array<double, 10> p{};
  for (int s = 0; s <= 190; ++s) p[static_cast<std::size_t>(s * 10 / 191)] += 1.0 / 191;
  EXPECT_LT(chi_square(bins, p), testing::kChi2Df9P1e6);

  long below = 0;
  for (long i = 0; i < n; ++i) {
    occupied = {{50, 60}};
    const auto s = place_motif(rng, 200, 10, occupied, 1000, "x", "m");
    ASSERT_TRUE(s + 10 <= 50 || s >= 60) << s;
    below += s < 50;
  }
  EXPECT_GE(binomial_two_sided_p(below, n, 41.0 / 172), 1e-6) << below;
}

TEST(SimulatorTest, ClassCountsExactAndShuffled) {
  const Dataset& d = paper_dataset();
  ASSERT_EQ(d.size(), 8000);
  EXPECT_EQ(d.seq_len, 200);
  std::array<int, 4> counts{}, first100{};
  for (int i = 0; i < d.size(); ++i) {
    ++counts[static_cast<std::size_t>(d.classes[static_cast<std::size_t>(i)])];
    if (i < 100) ++first100[static_cast<std::size_t>(d.classes[static_cast<std::size_t>(i)])];
  }
  EXPECT_EQ(counts, (std::array<int, 4>{2000, 2000, 2000, 2000}));
  for (int c : first100) EXPECT_GT(c, 0);  // classes are shuffled, not in blocks
  EXPECT_EQ(d.ids.front(), "seq0000");
  EXPECT_EQ(d.ids.back(), "seq7999");
}

TEST(SimulatorTest, SequencesAreUppercaseAcgtOfTheLength) {
  const Dataset& d = paper_dataset();
  for (const auto& s : d.seqs) {
    ASSERT_EQ(s.size(), 200u);
    ASSERT_EQ(s.find_first_not_of("ACGT"), std::string::npos);
  }
}

TEST(SimulatorTest, LabelsAndCountsAgreeWithPlantedSites) {
  const Dataset& d = paper_dataset();
  std::vector<int> g(8000, 0), t(8000, 0);
  for (const auto& s : d.sites) {
    if (s.motif == "GATA_disc1") ++g[static_cast<std::size_t>(s.seq)];
    else if (s.motif == "TAL1_known1") ++t[static_cast<std::size_t>(s.seq)];
    else ADD_FAILURE() << "unexpected motif " << s.motif;
  }
  for (std::size_t i = 0; i < 8000; ++i) {
    const int row = static_cast<int>(i);
    ASSERT_EQ(d.count(row, 0), g[i]) << d.ids[i];
    ASSERT_EQ(d.count(row, 1), t[i]) << d.ids[i];
    ASSERT_EQ(d.label(row, 0), g[i] > 0 && t[i] > 0 ? 1.0f : 0.0f) << d.ids[i];
    ASSERT_EQ(d.label(row, 1), g[i] > 0 ? 1.0f : 0.0f) << d.ids[i];
    ASSERT_EQ(d.label(row, 2), t[i] > 0 ? 1.0f : 0.0f) << d.ids[i];
    const int cls = d.classes[i];  // empty, gata_only, tal_only, both
    ASSERT_EQ(cls == 1 || cls == 3, g[i] > 0) << d.ids[i];
    ASSERT_EQ(cls == 2 || cls == 3, t[i] > 0) << d.ids[i];
    ASSERT_LE(g[i], 3);
    ASSERT_LE(t[i], 3);
  }
}

TEST(SimulatorTest, SitesSortedInBoundsAndDisjoint) {
  const Dataset& d = paper_dataset();
  ASSERT_FALSE(d.sites.empty());
  for (std::size_t k = 0; k < d.sites.size(); ++k) {
    const MotifSite& s = d.sites[k];
    ASSERT_GE(s.start, 0);
    ASSERT_LE(s.end, 200);
    ASSERT_EQ(s.end - s.start, s.motif == "GATA_disc1" ? 10 : 16);
    ASSERT_EQ(s.strand, '+');  // forward only by default
    if (k > 0 && d.sites[k - 1].seq == s.seq) {
      ASSERT_LE(d.sites[k - 1].end, s.start) << "overlap in " << d.ids[static_cast<std::size_t>(s.seq)];
    } else if (k > 0) {
      ASSERT_LT(d.sites[k - 1].seq, s.seq);
    }
  }
}

TEST(SimulatorTest, SplitIsExactPerClass) {
  const Dataset& d = paper_dataset();
  std::map<std::pair<int, int>, int> n;
  for (int i = 0; i < d.size(); ++i)
    ++n[{static_cast<int>(d.classes[static_cast<std::size_t>(i)]), static_cast<int>(d.splits[static_cast<std::size_t>(i)])}];
  for (int c = 0; c < 4; ++c) {
    // 2000 per class x (0.8, 0.1, 0.1).
    EXPECT_EQ((n[{c, 0}]), 1600);
    EXPECT_EQ((n[{c, 1}]), 200);
    EXPECT_EQ((n[{c, 2}]), 200);
  }
}

// Statistical: composition of the ~1.42 million bases outside planted motifs against the
// configured 0.3/0.2/0.2/0.3: |z| < 4 for each base (deterministic with the fixed
// seed). Checked to FAIL with a uniform background (|z| 130-149) and, with this test's
// exclusion removed, when the motif bases were counted too (|z| up to 35 on G).
TEST(SimulatorTest, BackgroundOutsideMotifsMatchesConfig) {
  const Dataset& d = paper_dataset();
  std::vector<std::vector<bool>> in_motif(8000, std::vector<bool>(200, false));
  for (const auto& s : d.sites)
    for (auto j = s.start; j < s.end; ++j) in_motif[static_cast<std::size_t>(s.seq)][static_cast<std::size_t>(j)] = true;
  std::array<long, 4> counts{};
  long n = 0;
  for (std::size_t i = 0; i < 8000; ++i) {
    for (std::size_t j = 0; j < 200; ++j) {
      if (in_motif[i][j]) continue;
      ++counts[base_code(d.seqs[i][j])];
      ++n;
    }
  }
  ASSERT_GE(n, 100000);
  const std::array<double, 4> p{0.3, 0.2, 0.2, 0.3};
  for (int b = 0; b < 4; ++b) {
    const double e = p[b] * static_cast<double>(n);
    const double z = (static_cast<double>(counts[b]) - e) / std::sqrt(e * (1 - p[b]));
    EXPECT_LT(std::fabs(z), 4.0) << "base " << kBases[b] << " count " << counts[b] << " of " << n;
  }
}

// Statistical: motif counts against Poisson conditioned on [1, 3]:
//   singles (n_gata of gata_only + n_tal of tal_only, 4000 values), mean 2: (.375, .375, .25);
//   both (n_gata and n_tal of both, 4000 values), mean 1: (.6, .3, .1).
// Each chi-square (df 2) < 27.63 (p < 1e-6). Checked to FAIL with clamping instead of redrawing
// (singles 232, both 307) and with mean_both used for gata_only (singles 230).
TEST(SimulatorTest, MotifCountsMatchTruncatedPoisson) {
  const Dataset& d = paper_dataset();
  std::array<long, 3> single{}, both{};
  for (std::size_t i = 0; i < 8000; ++i) {
    const int row = static_cast<int>(i);
    switch (d.classes[i]) {
      case 1: ++single[static_cast<std::size_t>(d.count(row, 0) - 1)]; break;
      case 2: ++single[static_cast<std::size_t>(d.count(row, 1) - 1)]; break;
      case 3:
        ++both[static_cast<std::size_t>(d.count(row, 0) - 1)];
        ++both[static_cast<std::size_t>(d.count(row, 1) - 1)];
        break;
      default: break;
    }
  }
  const auto ps = testing::truncated_poisson_probs(2.0, 1, 3);
  const auto pb = testing::truncated_poisson_probs(1.0, 1, 3);
  EXPECT_LT(chi_square(single, {ps[0], ps[1], ps[2]}), testing::kChi2Df2P1e6)
      << single[0] << " " << single[1] << " " << single[2];
  EXPECT_LT(chi_square(both, {pb[0], pb[1], pb[2]}), testing::kChi2Df2P1e6)
      << both[0] << " " << both[1] << " " << both[2];
}

// Statistical: letters planted at PWM cells of unsmoothed probability 0 occur at the smoothed
// rate c/4 = 0.00025 per cell (~ 13,500 instances, 216,470 such cells, ~ 54 expected): exact
// two-sided binomial p >= 1e-6 against Binomial(trials, c/4) (conservative, as in PwmTest).
// Checked to FAIL when simulate() sampled from the unsmoothed PWMs (count 0: p = 6e-24).
TEST(SimulatorTest, PlantedLettersUseSmoothedPwm) {
  const Dataset& d = paper_dataset();
  const Pwm g = paper_gata(), t = paper_tal();
  long trials = 0, hits = 0;
  for (const auto& s : d.sites) {
    const Pwm& pwm = s.motif == "GATA_disc1" ? g : t;
    const auto text = d.seqs[static_cast<std::size_t>(s.seq)].substr(static_cast<std::size_t>(s.start),
                                                                    static_cast<std::size_t>(s.end - s.start));
    for (int i = 0; i < pwm.width(); ++i) {
      const auto& row = pwm.row(i);
      for (double v : row) trials += v == 0;
      hits += row[base_code(text[static_cast<std::size_t>(i)])] == 0;
    }
  }
  EXPECT_GE(binomial_two_sided_p(hits, trials, 0.001 / 4), 1e-6) << hits << " of " << trials;
}

// Log-odds recomputed from the sequence text alone, with the smoothing and the reverse
// complement written out here rather than through Pwm, must equal the stored values. Checked to
// FAIL when '-' instances were scored with the forward PWM.
TEST(SimulatorTest, StoredLogOddsMatchSequenceText) {
  SimConfig c;
  c.n_seqs = 2000;
  c.revcomp_prob = 0.5;
  c.background = {0.27, 0.23, 0.23, 0.27};
  c.pseudocount = 0.01;
  c.seed = 99;
  const Dataset d = simulate(c, paper_gata(), paper_tal());
  const auto& meme = testing::paper_meme();
  int n_minus = 0;
  for (const auto& s : d.sites) {
    const auto& m = io::find_motif(meme, s.motif, testing::kMemePath);
    std::string text = d.seqs[static_cast<std::size_t>(s.seq)].substr(static_cast<std::size_t>(s.start),
                                                                      static_cast<std::size_t>(s.end - s.start));
    // A '-' instance reads, on its own strand, as the reverse complement of the '+' text.
    if (s.strand == '-') {
      text = reverse_complement(text);
      ++n_minus;
    }
    ASSERT_EQ(text.size(), m.probs.size());
    double lo = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
      const std::size_t b = std::string("ACGT").find(text[i]);
      const double p = m.probs[i][b] * (1 - 0.01) + 0.01 / 4;
      lo += std::log(p / c.background[b]);
    }
    ASSERT_NEAR(s.log_odds, lo, 1e-9) << d.ids[static_cast<std::size_t>(s.seq)] << " " << s.start;
  }
  EXPECT_GT(n_minus, 0);
}

// Statistical: with revcomp_prob 0.3 the number of '-' instances among all sites has an exact
// two-sided binomial p >= 1e-6 against Binomial(n_sites, 0.3). Checked to FAIL with the
// strand test inverted (probability 0.7 of '-': 9435 of 13438, p ~ 0).
TEST(SimulatorTest, StrandFollowsRevcompProb) {
  SimConfig c;
  c.revcomp_prob = 0.3;
  c.seed = 5;
  const Dataset d = simulate(c, paper_gata(), paper_tal());
  long minus = 0;
  for (const auto& s : d.sites) minus += s.strand == '-';
  const auto n = static_cast<long>(d.sites.size());
  EXPECT_GE(binomial_two_sided_p(minus, n, 0.3), 1e-6) << minus << " of " << n;
}

TEST(SimulatorTest, SameSeedSameDatasetOtherSeedDifferent) {
  SimConfig c;
  c.n_seqs = 500;
  c.revcomp_prob = 0.2;
  c.seed = 1234;
  const Dataset a = simulate(c, paper_gata(), paper_tal());
  const Dataset b = simulate(c, paper_gata(), paper_tal());
  EXPECT_EQ(a.ids, b.ids);
  EXPECT_EQ(a.seqs, b.seqs);
  EXPECT_EQ(a.classes, b.classes);
  EXPECT_EQ(a.splits, b.splits);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_EQ(a.counts, b.counts);
  EXPECT_EQ(a.roles, b.roles);
  ASSERT_EQ(a.sites.size(), b.sites.size());
  for (std::size_t k = 0; k < a.sites.size(); ++k) {
    EXPECT_EQ(a.sites[k].seq, b.sites[k].seq);
    EXPECT_EQ(a.sites[k].start, b.sites[k].start);
    EXPECT_EQ(a.sites[k].motif, b.sites[k].motif);
    EXPECT_EQ(a.sites[k].strand, b.sites[k].strand);
    EXPECT_EQ(a.sites[k].log_odds, b.sites[k].log_odds);
  }
  c.seed = 1235;
  const Dataset other = simulate(c, paper_gata(), paper_tal());
  EXPECT_NE(a.seqs, other.seqs);
  EXPECT_NE(a.classes, other.classes);
  EXPECT_NE(a.splits, other.splits);
}

TEST(SimulatorTest, SequenceDependsOnlyOnItsOwnStream) {
  // Sequence i draws only from Rng(seed, 1 + i): a larger dataset with the same seed and all
  // sequences of one class reproduces the smaller one's sequences exactly.
  SimConfig c;
  c.class_fractions = {0, 0, 0, 1};
  c.n_seqs = 50;
  const Dataset small = simulate(c, paper_gata(), paper_tal());
  c.n_seqs = 80;
  const Dataset big = simulate(c, paper_gata(), paper_tal());
  for (std::size_t i = 0; i < 50; ++i) EXPECT_EQ(small.seqs[i], big.seqs[i]);
}

TEST(SimulatorTest, ReportsProgress) {
  SimConfig c;
  c.n_seqs = 2500;
  std::vector<int> calls;
  simulate(c, paper_gata(), paper_tal(), [&](int done) { calls.push_back(done); });
  // One call per chunk of 256 sequences, ascending, the last with every sequence done.
  ASSERT_EQ(calls.size(), 10u);
  EXPECT_TRUE(std::is_sorted(calls.begin(), calls.end()));
  EXPECT_EQ(calls.back(), 2500);
}

// Sequences are simulated in parallel chunks: the dataset is the same for any thread count.
TEST(SimulatorTest, ThreadCountDoesNotChangeTheDataset) {
  SimConfig c;
  c.n_seqs = 3000;
  set_threads(1);
  const Dataset a = simulate(c, paper_gata(), paper_tal());
  set_threads(2);
  const Dataset b = simulate(c, paper_gata(), paper_tal());
  set_threads(1);
  EXPECT_EQ(a.seqs, b.seqs);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_EQ(a.roles, b.roles);
  ASSERT_EQ(a.sites.size(), b.sites.size());
  for (std::size_t k = 0; k < a.sites.size(); ++k) EXPECT_EQ(a.sites[k].start, b.sites[k].start);
}

}  // namespace
}  // namespace lb::sim
