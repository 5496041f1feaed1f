// Tests of sim/pwm: validation messages, smoothing, reverse complement, log-odds, sampling.
#include "sim/pwm.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "core/alphabet.h"
#include "core/error.h"
#include "sim/sim_test_util.h"
#include "testing/helpers.h"

namespace lb::sim {
namespace {

using testing::binomial_two_sided_p;

// A 2-position motif with easy numbers for hand-computed cases.
Pwm tiny_pwm() { return Pwm("tiny", {{0.5, 0.1, 0.1, 0.3}, {0.1, 0.1, 0.7, 0.1}}); }

TEST(PwmTest, RejectsProbabilityOutOfRange) {
  EXPECT_THROW_MSG(Pwm("M", {{0.25, 0.25, 0.25, 0.25}, {-0.1, 0.5, 0.3, 0.3}}, "m.meme:7"),
                   InputError,
                   "m.meme:7: motif 'M' position 2: probability of A out of range; expected a "
                   "value in [0, 1], got -0.1");
  EXPECT_THROW_MSG(Pwm("M", {{0, 0, 1.2, -0.2}}), InputError,
                   "motif 'M' position 1: probability of G out of range; expected a value in "
                   "[0, 1], got 1.2");
  EXPECT_THROW_MSG(Pwm("M", {{std::nan(""), 0.5, 0.25, 0.25}}), InputError,
                   "motif 'M' position 1: probability of A out of range; expected a value in "
                   "[0, 1], got nan");
}

TEST(PwmTest, RejectsRowNotSummingToOne) {
  EXPECT_THROW_MSG(Pwm("GATA_disc1", {{0.25, 0.25, 0.25, 0.25}, {0.3, 0.2, 0.2, 0.2}}, "m.meme:12"),
                   InputError,
                   "m.meme:12: motif 'GATA_disc1' position 2: probabilities do not sum to 1; "
                   "expected a sum of 1 within 1e-3, got 0.9");
  // Within 1e-3 is accepted (MEME files print six decimals).
  EXPECT_NO_THROW(Pwm("M", {{0.2505, 0.25, 0.25, 0.25}}));
}

TEST(PwmTest, RejectsEmptyMatrix) {
  EXPECT_THROW_MSG(Pwm("M", {}), InputError, "motif 'M': empty matrix; expected width >= 1, got 0");
}

TEST(PwmTest, FromMemeNamesFileAndMotifLine) {
  io::MemeMotif m;
  m.name = "BAD";
  m.line = 14;
  m.probs = {{0.5, 0.5, 0.5, 0.5}};
  EXPECT_THROW_MSG(Pwm::from_meme(m, "x.meme"), InputError,
                   "x.meme:14: motif 'BAD' position 1: probabilities do not sum to 1; expected a "
                   "sum of 1 within 1e-3, got 2");
}

TEST(PwmTest, PaperMotifsLoad) {
  const Pwm g = testing::paper_gata(), t = testing::paper_tal();
  EXPECT_EQ(g.name(), "GATA_disc1");
  EXPECT_EQ(g.width(), 10);
  EXPECT_EQ(t.name(), "TAL1_known1");
  EXPECT_EQ(t.width(), 16);
  EXPECT_DOUBLE_EQ(g.row(3)[2], 1.0);  // the G of GATA
  EXPECT_DOUBLE_EQ(t.row(15)[2], 0.32);
}

TEST(PwmTest, SmoothingMixesWithUniform) {
  const Pwm g = testing::paper_gata();
  const Pwm s = g.smoothed(0.001);
  // p' = p (1 - c) + c / 4: a certain letter 1 -> 0.99925, an impossible one 0 -> 0.00025.
  EXPECT_DOUBLE_EQ(s.row(3)[2], 0.99925);
  EXPECT_DOUBLE_EQ(s.row(3)[0], 0.00025);
  EXPECT_DOUBLE_EQ(s.row(0)[0], 0.322751 * 0.999 + 0.00025);
  EXPECT_EQ(s.name(), g.name());
  for (int i = 0; i < s.width(); ++i) {
    double sum = 0;
    for (double v : s.row(i)) sum += v;
    double orig = 0;
    for (double v : g.row(i)) orig += v;
    EXPECT_NEAR(sum, orig * (1 - 0.001) + 0.001, 1e-15);  // a row summing to 1 still does
  }
  const Pwm same = g.smoothed(0);
  const Pwm uniform = g.smoothed(1);
  for (int i = 0; i < g.width(); ++i) {
    EXPECT_EQ(same.row(i), g.row(i));
    for (double v : uniform.row(i)) EXPECT_DOUBLE_EQ(v, 0.25);
  }
}

TEST(PwmTest, ReverseComplementReversesRowsAndComplementsLetters) {
  const Pwm rc = tiny_pwm().reverse_complement();
  ASSERT_EQ(rc.width(), 2);
  // Last row {A .1, C .1, G .7, T .1} comes first with A<->T, C<->G: {.1, .7, .1, .1}.
  EXPECT_EQ(rc.row(0), (std::array<double, 4>{0.1, 0.7, 0.1, 0.1}));
  EXPECT_EQ(rc.row(1), (std::array<double, 4>{0.3, 0.1, 0.1, 0.5}));
  const Pwm g = testing::paper_gata();
  const Pwm back = g.reverse_complement().reverse_complement();
  for (int i = 0; i < g.width(); ++i) EXPECT_EQ(back.row(i), g.row(i));
}

TEST(PwmTest, LogOddsHandComputed) {
  const Background bg;  // 0.3, 0.2, 0.2, 0.3
  const Pwm p = tiny_pwm();
  // "AG": ln(0.5 / 0.3) + ln(0.7 / 0.2) = 0.5108256238 + 1.2527629685 = 1.7635885923.
  EXPECT_NEAR(p.log_odds(encode_bases("AG", ""), bg), 1.7635885923, 1e-10);
  // "TC": ln(0.3 / 0.3) + ln(0.1 / 0.2) = 0 - 0.6931471806.
  EXPECT_NEAR(p.log_odds(encode_bases("TC", ""), bg), -0.6931471806, 1e-10);
  // N matches no letter.
  EXPECT_EQ(p.log_odds(encode_bases("NC", ""), bg), -std::numeric_limits<double>::infinity());
  // The opposite strand: the reverse-complemented PWM on the reverse complement of a window
  // scores what the forward PWM scores on the window. "AG" -> "CT".
  EXPECT_NEAR(p.reverse_complement().log_odds(encode_bases("CT", ""), bg), 1.7635885923, 1e-10);
}

TEST(BackgroundTest, ValidationNamesOption) {
  EXPECT_NO_THROW(validate_background(Background{}, "sim.background"));
  EXPECT_THROW_MSG(validate_background(Background{{0.3, 0.2, 0.2, 0.4}}, "sim.background"),
                   ConfigError,
                   "sim.background: background probabilities must be in (0,1] and sum to 1 within "
                   "1e-6; expected 4 values of A,C,G,T in (0,1] summing to 1, got 0.3,0.2,0.2,0.4 "
                   "(sum 1.1)");
  EXPECT_THROW_MSG(validate_background(Background{{0.5, 0, 0.2, 0.3}}, "eval.background"),
                   ConfigError,
                   "eval.background: background probabilities must be in (0,1] and sum to 1 "
                   "within 1e-6; expected 4 values of A,C,G,T in (0,1] summing to 1, got "
                   "0.5,0,0.2,0.3 (sum 1)");
}

// Statistical: base frequencies of 400,000 background draws. Each base count is tested with an
// exact two-sided binomial p-value >= 1e-6 / 4 (family-wise false alarm < 1e-6). Checked to
// FAIL when sample_background_into ignored the configured probabilities (uniform 0.25 each:
// p ~ 1e-175 or less for every base).
TEST(BackgroundTest, SampleFrequenciesMatchConfig) {
  const Background bg{{0.27, 0.23, 0.23, 0.27}};
  Rng rng(42, 0);
  const long n = 400000;
  const auto codes = sample_background(bg, static_cast<int>(n), rng);
  std::array<long, 4> counts{};
  for (auto c : codes) {
    ASSERT_LT(c, 4);
    ++counts[c];
  }
  for (int b = 0; b < 4; ++b) {
    EXPECT_GE(binomial_two_sided_p(counts[b], n, bg.p[b]), 1e-6 / 4)
        << "base " << kBases[b] << ": " << counts[b] << " of " << n;
  }
}

// Statistical: 20,000 draws from each smoothed paper motif (fixed seed).
// (1) Every cell (position x letter, 104 cells) has an exact two-sided binomial p-value
//     >= 1e-6 / 104 (Bonferroni: family-wise false alarm < 1e-6). Checked to FAIL when
//     sample_into drew position i from row w-1-i (rows reversed: p ~ 0 in many cells). It does
//     not see the missing smoothing (0 against 5 expected per cell is p ~ 0.007), hence (2).
// (2) The letters whose unsmoothed probability is 0 (32 cells) must appear at the smoothed rate
//     c/4 = 0.00025: their pooled count is compared with Binomial(32 x 20000, c/4) at p >= 1e-6
//     (the true law, a sum of per-row binomials, has lighter tails, so this is conservative).
//     Checked to FAIL without smoothing (count 0 against an expected 160: p = 6e-70).
TEST(PwmTest, SampledLettersMatchSmoothedPwm) {
  const long n = 20000;
  const double c = 0.001;
  int n_cells = 0;
  for (const Pwm& raw : {testing::paper_gata(), testing::paper_tal()}) n_cells += 4 * raw.width();
  long zero_cells = 0, zero_hits = 0;
  std::uint64_t stream = 0;
  for (const Pwm& raw : {testing::paper_gata(), testing::paper_tal()}) {
    const Pwm pwm = raw.smoothed(c);
    const auto w = static_cast<std::size_t>(pwm.width());
    std::vector<std::array<long, 4>> counts(w, std::array<long, 4>{});
    Rng rng(7, stream++);
    for (long d = 0; d < n; ++d) {
      const auto s = pwm.sample(rng);
      ASSERT_EQ(s.size(), w);
      for (std::size_t i = 0; i < w; ++i) ++counts[i][s[i]];
    }
    for (std::size_t i = 0; i < w; ++i) {
      for (std::size_t b = 0; b < 4; ++b) {
        const double p = pwm.row(static_cast<int>(i))[b];
        EXPECT_GE(binomial_two_sided_p(counts[i][b], n, p), 1e-6 / n_cells)
            << pwm.name() << " position " << i + 1 << " letter " << kBases[b] << ": "
            << counts[i][b] << " of " << n << " at p " << p;
        if (raw.row(static_cast<int>(i))[b] == 0) {
          ++zero_cells;
          zero_hits += counts[i][b];
        }
      }
    }
  }
  EXPECT_EQ(zero_cells, 32);
  EXPECT_GE(binomial_two_sided_p(zero_hits, zero_cells * n, c / 4), 1e-6)
      << zero_hits << " letters at zero-probability cells in " << zero_cells * n << " trials";
}

TEST(PwmTest, SampleIsDeterministicInSeed) {
  const Pwm t = testing::paper_tal().smoothed(0.001);
  Rng a(3, 9), b(3, 9), c(4, 9);
  std::vector<std::uint8_t> sa, sb, sc;
  for (int i = 0; i < 50; ++i) {
    const auto x = t.sample(a), y = t.sample(b), z = t.sample(c);
    sa.insert(sa.end(), x.begin(), x.end());
    sb.insert(sb.end(), y.begin(), y.end());
    sc.insert(sc.end(), z.begin(), z.end());
  }
  EXPECT_EQ(sa, sb);
  EXPECT_NE(sa, sc);
}

}  // namespace
}  // namespace lb::sim
