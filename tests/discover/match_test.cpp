// TOMTOM-like matching (discover/match.h, docs/discovery.md "Matching"): column scores, reverse
// complement, consensus and Benjamini-Hochberg by hand; a motif finds itself (offset 0, '+'),
// its reverse complement ('-') and its place inside a longer motif (the offset); p-values of
// random motifs against a random database are close to uniform (and the uncorrected best-
// alignment p-value is not); q is monotone in p; the paper's motifs find themselves across
// files and formats.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/rng.h"
#include "discover/match.h"
#include "io/motif_file.h"
#include "testing/helpers.h"

namespace lb::discover {
namespace {

using lb::testing::TempDir;

const std::string kMotifs = std::string(LB_SOURCE_DIR) + "/configs/motifs/";

// A random probability column: Dirichlet(alpha) by normalised Gamma(alpha) draws (alpha = 1:
// exponentials; alpha = 0.5: the square of a normal over 2), so columns range from flat to sharp.
Column random_column(Rng& rng, double alpha) {
  Column c{};
  double s = 0;
  for (auto& v : c) {
    if (alpha == 1.0) {
      double u = 0;
      do u = rng.uniform();
      while (u == 0.0);
      v = -std::log(u);
    } else {
      const double z = rng.normal();
      v = z * z / 2;
    }
    s += v;
  }
  if (s <= 0) return Column{0.25, 0.25, 0.25, 0.25};
  for (auto& v : c) v /= s;
  return c;
}

io::MemeMotif random_motif(Rng& rng, const std::string& name, int width, double alpha = 0.5) {
  io::MemeMotif m;
  m.name = name;
  for (int i = 0; i < width; ++i) m.probs.push_back(random_column(rng, alpha));
  return m;
}

std::vector<io::MemeMotif> random_db(std::uint64_t seed, int n, int wmin, int wmax) {
  std::vector<io::MemeMotif> db;
  for (int i = 0; i < n; ++i) {
    Rng rng(seed, static_cast<std::uint64_t>(i));
    const int w = wmin + static_cast<int>(rng.below(static_cast<std::uint64_t>(wmax - wmin + 1)));
    db.push_back(random_motif(rng, fmt::format("t{}", i), w));
  }
  return db;
}

TEST(MatchTest, ColumnScoresByHand) {
  const Column a{1, 0, 0, 0}, c{0, 1, 0, 0}, flat{0.25, 0.25, 0.25, 0.25}, ac{0.5, 0.5, 0, 0};
  EXPECT_DOUBLE_EQ(column_score(ColumnSimilarity::Pearson, a, a), 1.0);
  // One-hot columns: centred (3/4, -1/4, -1/4, -1/4) and (-1/4, 3/4, -1/4, -1/4): -0.25 / 0.75.
  EXPECT_NEAR(column_score(ColumnSimilarity::Pearson, a, c), -1.0 / 3.0, 1e-15);
  EXPECT_EQ(column_score(ColumnSimilarity::Pearson, a, flat), 0.0);  // a constant column
  // (1/2, 1/2, 0, 0) centred (1/4, 1/4, -1/4, -1/4), against a: (3/16 - 1/16 + 1/16 + 1/16) / sqrt(3/4 * 1/4).
  EXPECT_NEAR(column_score(ColumnSimilarity::Pearson, a, ac), 0.25 / std::sqrt(0.75 * 0.25), 1e-15);
  EXPECT_NEAR(column_score(ColumnSimilarity::NegEuclidean, a, c), -std::sqrt(2.0), 1e-15);
  EXPECT_NEAR(column_score(ColumnSimilarity::NegEuclidean, a, ac), -std::sqrt(0.5), 1e-15);
  EXPECT_EQ(column_score(ColumnSimilarity::NegEuclidean, ac, ac), 0.0);
  EXPECT_NEAR(column_score(ColumnSimilarity::NegEuclidean, flat, a), -std::sqrt(0.75), 1e-15);
}

TEST(MatchTest, ReverseComplementConsensusAndOptionSpellings) {
  const std::vector<Column> m{{0.7, 0.1, 0.1, 0.1}, {0.1, 0.2, 0.6, 0.1}, {0.25, 0.25, 0.25, 0.25}};
  const auto rc = reverse_complement(m);
  ASSERT_EQ(rc.size(), 3u);
  EXPECT_EQ(rc[0], (Column{0.25, 0.25, 0.25, 0.25}));
  EXPECT_EQ(rc[1], (Column{0.1, 0.6, 0.2, 0.1}));
  EXPECT_EQ(rc[2], (Column{0.1, 0.1, 0.1, 0.7}));
  EXPECT_EQ(consensus(m), "AGA");  // a tie goes to the earlier letter
  EXPECT_EQ(consensus(rc), "ACT");
  EXPECT_EQ(parse_similarity("pearson"), ColumnSimilarity::Pearson);
  EXPECT_EQ(parse_similarity("ed"), ColumnSimilarity::NegEuclidean);
  EXPECT_THROW_MSG(parse_similarity("allr"), ConfigError,
                   "--dist: unknown column similarity; expected pearson or ed, got 'allr'");
  MatchConfig cfg;
  cfg.min_overlap = 0;
  EXPECT_THROW_MSG(validate(cfg), ConfigError, "--min-overlap: out of range; expected an integer >= 1, got 0");
  cfg.min_overlap = 5;
  cfg.bins = 9;
  EXPECT_THROW_MSG(validate(cfg), ConfigError, "--bins: out of range; expected an integer in [10, 1000], got 9");
  const std::vector<io::MemeMotif> none;
  EXPECT_THROW_MSG(match_motifs(random_db(1, 1, 5, 5), none, MatchConfig{}, "db.meme: "), InputError,
                   "db.meme: no target motifs; expected at least one motif in the database, got none");
}

TEST(MatchTest, BenjaminiHochbergByHand) {
  // Sorted: 0.01 (rank 1), 0.03 (2), 0.04 (3), 0.5 (4); n p / rank = 0.04, 0.06, 0.0533, 0.5;
  // the running minimum from the top: 0.04, 0.0533, 0.0533, 0.5.
  const std::vector<double> p{0.01, 0.04, 0.03, 0.5};
  const auto q = benjamini_hochberg(p);
  EXPECT_NEAR(q[0], 0.04, 1e-15);
  EXPECT_NEAR(q[1], 0.16 / 3, 1e-15);
  EXPECT_NEAR(q[2], 0.16 / 3, 1e-15);
  EXPECT_NEAR(q[3], 0.5, 1e-15);
  const std::vector<double> ties{0.2, 0.2, 0.9};  // 3 x 0.2 / 2 = 0.3 for both
  const auto qt = benjamini_hochberg(ties);
  EXPECT_NEAR(qt[0], 0.3, 1e-15);
  EXPECT_NEAR(qt[1], 0.3, 1e-15);
  EXPECT_NEAR(qt[2], 0.9, 1e-15);
}

// A database of 40 random motifs; queries are copies of some of them.
class MatchDbTest : public ::testing::Test {
 protected:
  std::vector<io::MemeMotif> db = random_db(11, 40, 6, 18);
};

TEST_F(MatchDbTest, MotifAgainstItselfIsTheBestMatchAtOffsetZeroForward) {
  for (const auto dist : {ColumnSimilarity::Pearson, ColumnSimilarity::NegEuclidean}) {
    MatchConfig cfg;
    cfg.similarity = dist;
    std::vector<io::MemeMotif> queries{db[3], db[17], db[30]};
    const auto r = match_motifs(queries, db, cfg);
    ASSERT_EQ(r.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
      const int self = i == 0 ? 3 : i == 1 ? 17 : 30;
      const auto& best = r[i].by_target[static_cast<std::size_t>(r[i].best)];
      EXPECT_EQ(best.target, self) << similarity_name(dist);
      EXPECT_EQ(best.offset, 0);
      EXPECT_EQ(best.strand, '+');
      EXPECT_EQ(best.overlap, static_cast<int>(db[static_cast<std::size_t>(self)].probs.size()));
      EXPECT_LT(best.p, 1e-6) << similarity_name(dist);
      EXPECT_NEAR(best.e, best.p * 40, 1e-12 * best.e + 1e-300);
      EXPECT_LT(best.q, 1e-4);
      if (dist == ColumnSimilarity::Pearson)
        EXPECT_NEAR(best.score, static_cast<double>(best.overlap), 1e-9);  // every column correlates 1 with itself
      else
        EXPECT_EQ(best.score, 0.0);
    }
  }
}

TEST_F(MatchDbTest, ReverseComplementMatchesOnTheMinusStrand) {
  io::MemeMotif q = db[8];
  q.name = "rc";
  q.probs = reverse_complement(db[8].probs);
  const auto r = match_motifs(std::vector<io::MemeMotif>{q}, db, MatchConfig{});
  const auto& best = r[0].by_target[static_cast<std::size_t>(r[0].best)];
  EXPECT_EQ(best.target, 8);
  EXPECT_EQ(best.strand, '-');
  EXPECT_EQ(best.offset, 0);
  EXPECT_LT(best.p, 1e-6);
}

TEST_F(MatchDbTest, EmbeddedMotifGivesItsOffset) {
  Rng rng(99);
  // Target 5 becomes 3 random columns + a 9-column core + 2 random columns; the core as a query
  // aligns at offset +3 forward, and its reverse complement at offset +2 on the minus strand
  // (the reversed target has the 2 columns first).
  const io::MemeMotif core = random_motif(rng, "core", 9);
  io::MemeMotif t = random_motif(rng, "t5", 3);
  t.probs.insert(t.probs.end(), core.probs.begin(), core.probs.end());
  for (int i = 0; i < 2; ++i) t.probs.push_back(random_column(rng, 0.5));
  db[5] = t;
  io::MemeMotif core_rc = core;
  core_rc.name = "core_rc";
  core_rc.probs = reverse_complement(core.probs);
  // A query overhanging the target's start: 2 random columns, then the target's first 7.
  io::MemeMotif over = random_motif(rng, "over", 2);
  over.probs.insert(over.probs.end(), t.probs.begin(), t.probs.begin() + 7);
  const auto r = match_motifs(std::vector<io::MemeMotif>{core, core_rc, over}, db, MatchConfig{});
  const auto& b0 = r[0].by_target[static_cast<std::size_t>(r[0].best)];
  EXPECT_EQ(std::tuple(b0.target, b0.offset, b0.strand, b0.overlap), std::tuple(5, 3, '+', 9));
  const auto& b1 = r[1].by_target[static_cast<std::size_t>(r[1].best)];
  EXPECT_EQ(std::tuple(b1.target, b1.offset, b1.strand, b1.overlap), std::tuple(5, 2, '-', 9));
  const auto& b2 = r[2].by_target[static_cast<std::size_t>(r[2].best)];
  EXPECT_EQ(std::tuple(b2.target, b2.offset, b2.strand, b2.overlap), std::tuple(5, -2, '+', 7));
  EXPECT_LT(b2.p, 1e-3);
}

// Random queries against a random database: the corrected p-values are close to uniform. 300
// queries x 60 targets = 18,000 p-values (correlated through shared queries and targets). The
// check fails on the uncorrected best-alignment p-value (a deliberately wrong null for the
// best of m alignments: its share below 0.1 is far above 0.1).
TEST(MatchNullTest, RandomMotifsGiveNearlyUniformPValues) {
  const auto db = random_db(21, 60, 6, 20);
  const auto queries = random_db(22, 300, 6, 16);
  for (const auto dist : {ColumnSimilarity::Pearson, ColumnSimilarity::NegEuclidean}) {
    MatchConfig cfg;
    cfg.similarity = dist;
    const auto r = match_motifs(queries, db, cfg);
    std::int64_t n = 0, below_01 = 0, below_05 = 0, raw_below_01 = 0;
    for (const auto& qr : r)
      for (const auto& m : qr.by_target) {
        ++n;
        below_01 += m.p < 0.1;
        below_05 += m.p < 0.5;
        raw_below_01 += m.p_alignment < 0.1;
      }
    const double f01 = static_cast<double>(below_01) / static_cast<double>(n),
                 f05 = static_cast<double>(below_05) / static_cast<double>(n),
                 raw01 = static_cast<double>(raw_below_01) / static_cast<double>(n);
    std::printf("%s: share p < 0.1: %.4f, p < 0.5: %.4f; uncorrected p < 0.1: %.4f (n = %lld)\n",
                similarity_name(dist).c_str(), f01, f05, raw01, static_cast<long long>(n));
    EXPECT_NEAR(f01, 0.1, 0.03) << similarity_name(dist);
    EXPECT_NEAR(f05, 0.5, 0.1) << similarity_name(dist);
    EXPECT_GT(raw01, 0.5) << similarity_name(dist);  // the wrong null fails the same check
  }
}

TEST(MatchNullTest, QValuesAreMonotoneInP) {
  const auto db = random_db(31, 50, 6, 20);
  auto queries = random_db(32, 20, 6, 16);
  queries.push_back(db[4]);  // one real match among the noise
  const auto r = match_motifs(queries, db, MatchConfig{});
  for (const auto& qr : r) {
    auto rows = qr.by_target;
    std::sort(rows.begin(), rows.end(), [](const Match& a, const Match& b) { return a.p < b.p; });
    for (std::size_t k = 1; k < rows.size(); ++k) {
      EXPECT_LE(rows[k - 1].q, rows[k].q);
      EXPECT_GE(rows[k].q, rows[k].p - 1e-15);  // q >= p (n / rank >= 1)
    }
  }
}

TEST(MatchNullTest, DeterministicAndEachQueryIndependentOfTheOthers) {
  const auto db = random_db(41, 30, 6, 20);
  const auto queries = random_db(42, 6, 6, 16);
  const auto a = match_motifs(queries, db, MatchConfig{});
  const auto b = match_motifs(std::vector<io::MemeMotif>{queries[4]}, db, MatchConfig{});
  for (std::size_t t = 0; t < db.size(); ++t) {
    EXPECT_EQ(a[4].by_target[t].p, b[0].by_target[t].p);
    EXPECT_EQ(a[4].by_target[t].offset, b[0].by_target[t].offset);
  }
  EXPECT_EQ(matches_tsv(a, queries, db, 1.0), matches_tsv(match_motifs(queries, db, MatchConfig{}), queries, db, 1.0));
}

// The paper's motifs (configs/motifs/tal1_gata1.meme) against a database holding them again in
// HOMER format (probabilities to 3 decimals) and the shipped JASPAR matrices.
TEST(MatchPaperTest, PaperMotifsMatchThemselvesAcrossFiles) {
  TempDir tmp;
  const auto meme = io::read_motif_file(kMotifs + "tal1_gata1.meme");
  const auto jaspar = io::read_motif_file(kMotifs + "jaspar2016_vertebrates.jaspar");
  std::string homer;
  for (const auto& m : meme.motifs) {
    homer += fmt::format(">{}\t{}_homer\t5.0\n", consensus(m.probs), m.name);
    for (const auto& c : m.probs) homer += fmt::format("{:.3f}\t{:.3f}\t{:.3f}\t{:.3f}\n", c[0], c[1], c[2], c[3]);
  }
  std::ofstream(tmp.file("paper.motif")) << homer;
  auto db = io::read_motif_file(tmp.file("paper.motif")).motifs;
  db.insert(db.end(), jaspar.motifs.begin(), jaspar.motifs.end());
  for (const auto dist : {ColumnSimilarity::Pearson, ColumnSimilarity::NegEuclidean}) {
    MatchConfig cfg;
    cfg.similarity = dist;
    const auto r = match_motifs(meme.motifs, db, cfg);
    ASSERT_EQ(r.size(), 2u);
    for (std::size_t i = 0; i < 2; ++i) {
      const auto& best = r[i].by_target[static_cast<std::size_t>(r[i].best)];
      EXPECT_EQ(db[static_cast<std::size_t>(best.target)].name, meme.motifs[i].name + "_homer") << similarity_name(dist);
      EXPECT_EQ(best.offset, 0);
      EXPECT_EQ(best.strand, '+');
      EXPECT_EQ(best.overlap, static_cast<int>(meme.motifs[i].probs.size()));
    }
    // GATA_disc1's best JASPAR match is Gata1 (MA0035.3).
    std::size_t best_j = 2;
    for (std::size_t t = 3; t < db.size(); ++t)
      if (r[0].by_target[t].p < r[0].by_target[best_j].p) best_j = t;
    EXPECT_EQ(db[best_j].name, "MA0035.3") << similarity_name(dist);
    std::printf("%s: GATA_disc1 vs MA0035.3: p %.3g offset %d strand %c overlap %d\n", similarity_name(dist).c_str(),
                r[0].by_target[best_j].p, r[0].by_target[best_j].offset, r[0].by_target[best_j].strand,
                r[0].by_target[best_j].overlap);
  }
}

}  // namespace
}  // namespace lb::discover
