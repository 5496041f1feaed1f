// Tests for io/bed: BED6 round trip (scores exact), skipped lines, malformed input messages.
#include "io/bed.h"

#include "core/error.h"
#include "testing/helpers.h"

namespace lb::io {
namespace {

using lb::testing::read_text;
using lb::testing::TempDir;
using lb::testing::write_text;

TEST(BedTest, WritesBed6Text) {
  TempDir dir;
  write_bed(dir.file("a.bed"), {{"seq1", 3, 13, "GATA_disc1", 7.5, '+'}, {"seq2", 0, 16, "TAL1_known1", -2.0, '-'}});
  EXPECT_EQ(read_text(dir.file("a.bed")), "seq1\t3\t13\tGATA_disc1\t7.5\t+\nseq2\t0\t16\tTAL1_known1\t-2\t-\n");
}

TEST(BedTest, RoundTripKeepsScoresExactly) {
  TempDir dir;
  const std::vector<BedRecord> recs = {
      {"s1", 0, 10, "GATA_disc1", 7.123456789012345, '+'},
      {"s1", 10, 26, "TAL1_known1", 1.0 / 3.0, '-'},
      {"s2", 5, 5, "empty", 1e-300, '.'},
      {"s2", 100, 200, "neg", -0.1, '+'},
  };
  write_bed(dir.file("a.bed"), recs);
  const auto back = read_bed(dir.file("a.bed"));
  ASSERT_EQ(back.size(), recs.size());
  for (std::size_t i = 0; i < recs.size(); ++i) {
    EXPECT_EQ(back[i].chrom, recs[i].chrom);
    EXPECT_EQ(back[i].start, recs[i].start);
    EXPECT_EQ(back[i].end, recs[i].end);
    EXPECT_EQ(back[i].name, recs[i].name);
    EXPECT_EQ(back[i].score, recs[i].score);  // bit-exact: shortest round-trip formatting
    EXPECT_EQ(back[i].strand, recs[i].strand);
  }
}

TEST(BedTest, SkipsHeaderLinesAndExtraColumns) {
  TempDir dir;
  write_text(dir.file("a.bed"),
             "track name=x\nbrowser position chr1\n# comment\n\nchr1\t1\t2\tn\t.\t.\textra\tmore\n");
  const auto r = read_bed(dir.file("a.bed"));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].chrom, "chr1");
  EXPECT_EQ(r[0].score, 0.0);  // '.' = no score
  EXPECT_EQ(r[0].strand, '.');
}

TEST(BedTest, MissingFileIsIoError) {
  TempDir dir;
  EXPECT_THROW_MSG(read_bed(dir.file("x.bed")), IoError, dir.file("x.bed") + ": cannot open: No such file or directory");
}

TEST(BedTest, MalformedInputNamesFileAndLine) {
  TempDir dir;
  const std::string p = dir.file("bad.bed");
  const auto check = [&](const std::string& row, const std::string& message) {
    write_text(p, "# header\nchr1\t0\t10\tok\t1\t+\n" + row + "\n");
    EXPECT_THROW_MSG(read_bed(p), InputError, p + ":3: " + message);
  };
  check("chr1\t0\t10", "too few columns; expected at least 6 tab-separated columns (BED6), got 3");
  check("chr1 0 10 a 1 +", "too few columns; expected at least 6 tab-separated columns (BED6), got 1");
  check("chr1\tx1\t10\ta\t1\t+", "bad start; expected a non-negative integer, got 'x1'");
  check("chr1\t1.5\t10\ta\t1\t+", "bad start; expected a non-negative integer, got '1.5'");
  check("chr1\t-1\t10\ta\t1\t+", "bad start; expected a non-negative integer, got '-1'");
  check("chr1\t0\tten\ta\t1\t+", "bad end; expected an integer, got 'ten'");
  check("chr1\t10\t5\ta\t1\t+", "end before start; expected end >= start (10), got 5");
  check("chr1\t0\t10\ta\thigh\t+", "bad score; expected a number, got 'high'");
  check("chr1\t0\t10\ta\t1\t*", "bad strand; expected '+', '-' or '.', got '*'");
  check("chr1\t0\t10\ta\t1\t", "bad strand; expected '+', '-' or '.', got ''");
}

}  // namespace
}  // namespace lb::io
