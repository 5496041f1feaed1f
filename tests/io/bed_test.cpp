// Tests for io/bed: BED6(+n) writing and round trip, valid scores only on output, skipped lines,
// malformed input messages.
#include "io/bed.h"

#include "core/error.h"
#include "testing/helpers.h"

namespace lb::io {
namespace {

using lb::testing::read_text;
using lb::testing::TempDir;
using lb::testing::write_text;

BedRecord rec(std::string chrom, std::int64_t start, std::int64_t end, std::string name, double score, char strand,
              std::vector<std::string> extra = {}) {
  BedRecord r;
  r.chrom = std::move(chrom), r.start = start, r.end = end, r.name = std::move(name);
  r.score = score, r.strand = strand, r.extra = std::move(extra);
  return r;
}

TEST(BedTest, WritesBed6AndExtraColumns) {
  TempDir dir;
  write_bed(dir.file("a.bed"),
            {rec("seq1", 3, 13, "GATA_disc1", 7, '+'), rec("seq2", 0, 16, "TAL1_known1", 1000, '-', {"-2.5", "x"})});
  EXPECT_EQ(read_text(dir.file("a.bed")), "seq1\t3\t13\tGATA_disc1\t7\t+\nseq2\t0\t16\tTAL1_known1\t1000\t-\t-2.5\tx\n");
}

TEST(BedTest, WriterRefusesScoresOutsideBed) {
  TempDir dir;
  for (const double score : {7.5, -1.0, 1001.0}) {
    EXPECT_THROW(write_bed(dir.file("a.bed"), {rec("seq1", 3, 13, "m", score, '+')}), Error) << score;
  }
  EXPECT_THROW(write_bed(dir.file("a.bed"), {rec("seq1", 3, 13, "m", 0, '+', {"a\tb"})}), Error);
  EXPECT_EQ(lb::testing::list_dir(dir.path()), std::vector<std::string>{});
}

TEST(BedTest, RoundTripKeepsColumnsAndLines) {
  TempDir dir;
  const std::vector<BedRecord> recs = {
      rec("s1", 0, 10, "GATA_disc1", 7, '+', {"7.123456789012345"}),
      rec("s1", 10, 26, "TAL1_known1", 0, '-'),
      rec("s2", 5, 5, "empty", 1000, '.', {"a", "b"}),
  };
  write_bed(dir.file("a.bed"), recs);
  const auto back = read_bed(dir.file("a.bed"));
  ASSERT_EQ(back.size(), recs.size());
  for (std::size_t i = 0; i < recs.size(); ++i) {
    EXPECT_EQ(back[i].chrom, recs[i].chrom);
    EXPECT_EQ(back[i].start, recs[i].start);
    EXPECT_EQ(back[i].end, recs[i].end);
    EXPECT_EQ(back[i].name, recs[i].name);
    EXPECT_EQ(back[i].score, recs[i].score);
    EXPECT_EQ(back[i].strand, recs[i].strand);
    EXPECT_EQ(back[i].extra, recs[i].extra);
    EXPECT_EQ(back[i].line, static_cast<long>(i + 1));
  }
}

TEST(BedTest, ReadsNonIntegerScores) {
  // liftbench's motifs.bed before BED6+1 kept the log-odds in column 5.
  TempDir dir;
  write_text(dir.file("a.bed"), "s1\t0\t10\tm\t7.123456789012345\t+\ns1\t10\t20\tm\t-0.1\t-\n");
  const auto r = read_bed(dir.file("a.bed"));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].score, 7.123456789012345);
  EXPECT_EQ(r[1].score, -0.1);
  EXPECT_TRUE(r[0].extra.empty());
}

TEST(BedTest, SkipsHeaderLinesAndKeepsExtraColumns) {
  TempDir dir;
  write_text(dir.file("a.bed"),
             "track name=x\nbrowser position chr1\n# comment\n\nchr1\t1\t2\tn\t.\t.\textra\tmore\n");
  const auto r = read_bed(dir.file("a.bed"));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].chrom, "chr1");
  EXPECT_EQ(r[0].score, 0.0);  // '.' = no score
  EXPECT_EQ(r[0].strand, '.');
  EXPECT_EQ(r[0].extra, (std::vector<std::string>{"extra", "more"}));
  EXPECT_EQ(r[0].line, 5);
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
  check("chr1\t0\t10\ta\thigh\t+", "bad score; expected a finite number, got 'high'");
  // nan and inf were accepted before (parse_double took them)
  check("chr1\t0\t10\ta\tnan\t+", "bad score; expected a finite number, got 'nan'");
  check("chr1\t0\t10\ta\t-inf\t+", "bad score; expected a finite number, got '-inf'");
  check("chr1\t0\t10\ta\t+-1\t+", "bad score; expected a finite number, got '+-1'");
  check("chr1\t0\t10\ta\t1\t*", "bad strand; expected '+', '-' or '.', got '*'");
  check("chr1\t0\t10\ta\t1\t", "bad strand; expected '+', '-' or '.', got ''");
}

}  // namespace
// Record names are capped and free of control bytes, as FASTA names and regions' names are.
TEST(BedTest, RecordNamesAreCheckedAsRegionNames) {
  TempDir dir;
  write_text(dir.file("a.bed"), "chr1\t0\t5\t" + std::string(10001, 'm') + "\t0\t+\n");
  EXPECT_THROW_MSG(read_bed(dir.file("a.bed")), InputError,
                   dir.file("a.bed") + ":1: record name too long (column 4); expected at most 10000 characters, got "
                                       "10001 ('" + std::string(40, 'm') + "...')");
  write_text(dir.file("a.bed"), "chr1\t0\t5\tm\r1\t0\t+\n");
  EXPECT_THROW_MSG(read_bed(dir.file("a.bed")), InputError,
                   dir.file("a.bed") + ":1: bad record name (column 4); expected one word without control characters, "
                                       "got " + quote_token("m\r1"));
}

}  // namespace lb::io
