// Tests for io/fasta: plain/gzip/bgzip reading, malformed input messages, plain+index and
// bgzip+index writing, and region fetch.
#include "io/fasta.h"

#include <filesystem>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/gzip_util.h"
#include "testing/helpers.h"

namespace lb::io {
namespace {

using lb::testing::list_dir;
using lb::testing::read_text;
using lb::testing::TempDir;
using lb::testing::write_text;

const char* const kText =
    ">seq1 first record\n"
    "ACGTACGTAC\n"
    "GTAC\n"
    "\n"
    ">seq2\n"
    "acgtnNNA\n";

void expect_parsed(const std::vector<FastaRecord>& r, bool same_layout = true) {
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].name, "seq1");
  EXPECT_EQ(r[0].comment, "first record");
  EXPECT_EQ(r[0].seq, "ACGTACGTACGTAC");
  EXPECT_EQ(r[0].line, 1);
  EXPECT_EQ(r[1].name, "seq2");
  EXPECT_EQ(r[1].comment, "");
  EXPECT_EQ(r[1].seq, "acgtnNNA");
  if (same_layout) {
    EXPECT_EQ(r[1].line, 5);
  }
}

// 130 bases: two full 60-base lines and one of 10 when written with the default width.
std::string long_seq() {
  std::string s;
  for (int i = 0; i < 130; ++i) s += "ACGT"[(i * 7 + i / 5) % 4];
  return s;
}

TEST(FastaTest, ReadsPlainFile) {
  TempDir dir;
  write_text(dir.file("a.fa"), kText);
  expect_parsed(read_fasta(dir.file("a.fa")));
}

TEST(FastaTest, ReadsGzipAndBgzip) {
  TempDir dir;
  lb::testing::write_gzip(dir.file("a.fa.gz"), kText);
  expect_parsed(read_fasta(dir.file("a.fa.gz")));
  write_fasta_bgzf(dir.file("b.fa.gz"), read_fasta(dir.file("a.fa.gz")));
  expect_parsed(read_fasta(dir.file("b.fa.gz")), false);  // rewritten: no blank line
  EXPECT_EQ(read_fasta(dir.file("b.fa.gz"))[1].line, 3);
}

TEST(FastaTest, ReadsCrlfLineEnds) {
  TempDir dir;
  write_text(dir.file("a.fa"), ">s x\r\nAC\r\nGT\r\n");
  const auto r = read_fasta(dir.file("a.fa"));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].comment, "x");
  EXPECT_EQ(r[0].seq, "ACGT");
}

TEST(FastaTest, MissingFileIsIoError) {
  TempDir dir;
  EXPECT_THROW_MSG(read_fasta(dir.file("none.fa")), IoError,
                   dir.file("none.fa") + ": cannot open: No such file or directory");
}

TEST(FastaTest, MalformedInputNamesFileAndLine) {
  TempDir dir;
  const std::string p = dir.file("bad.fa");
  const auto check = [&](const std::string& text, const std::string& message) {
    write_text(p, text);
    EXPECT_THROW_MSG(read_fasta(p), InputError, p + message);
  };
  check("\nACGT\n>s\nAC\n", ":2: not a FASTA header; expected a line starting with '>', got 'ACGT'");
  check(">\nACGT\n", ":1: empty sequence name; expected a name right after '>', got '>'");
  check(">s\nAC\n> comment\nAC\n", ":3: empty sequence name; expected a name right after '>', got '> comment'");
  check(">a\n>b\nAC\n", ":1: empty sequence 'a'; expected at least one residue, got none");
  check(">a\nAC\n>b\n\n", ":3: empty sequence 'b'; expected at least one residue, got none");
  check(">a\nAC\n>b\nGT\n>a x\nTT\n",
        ":5: duplicate sequence name; expected unique names (first seen on line 1), got 'a'");
  check(">a\nACGT\nACGU\n",
        ":3: unexpected character in sequence 'a' at column 4; expected one of ACGTN, got 'U'");
  check(">a\nAC*T\n", ":2: unexpected character in sequence 'a' at column 3; expected one of ACGTN, got '*'");
  check(">a\nAC GT\n", ":2: unexpected character in sequence 'a' at column 3; expected one of ACGTN, got ' '");
  check(std::string(">a\nAC\x01T\n"),
        ":2: unexpected character in sequence 'a' at column 3; expected one of ACGTN, got byte 0x01");
}

// One 1,000,000-character name among 1000 records made a 4 GB scores.npz
// (names are stored at the width of the longest). Names are capped at kMaxFastaNameLength;
// before the fix the long name was read without complaint.
TEST(FastaTest, OverlongNameIsAnInputError) {
  TempDir dir;
  const std::string p = dir.file("long.fa");
  const std::string ok(kMaxFastaNameLength, 'n');
  write_text(p, ">" + ok + "\nACGT\n");
  EXPECT_EQ(read_fasta(p).at(0).name, ok);
  write_text(p, ">a\nAC\n>" + std::string(1000000, 'x') + " comment\nACGT\n");
  EXPECT_THROW_MSG(read_fasta(p), InputError,
                   p + ":3: sequence name too long; expected at most 10000 characters, got 1000000 ('" +
                       std::string(40, 'x') + "...')");
}

// Found by fuzz/fuzz_fasta: a name with control bytes was read, and one ending in '\r' did not
// survive a write and a read. Such names are refused.
TEST(FastaTest, ControlBytesInANameAreAnInputError) {
  TempDir dir;
  const std::string p = dir.file("ctl.fa");
  write_text(p, ">1\r4\r\r\nACGT\n");
  EXPECT_THROW_MSG(read_fasta(p), InputError,
                   p + ":1: bad sequence name; expected one word without control characters, got '1\\r4'");
  write_text(p, ">a\nAC\n>b\x01z comment\nACGT\n");
  EXPECT_THROW_MSG(read_fasta(p), InputError,
                   p + ":3: bad sequence name; expected one word without control characters, got 'b\\x01z'");
}

TEST(FastaTest, NonDnaResiduesAllowedWhenAsked) {
  TempDir dir;
  write_text(dir.file("p.fa"), ">p\nMKU*\n");
  FastaReadOptions opt;
  opt.dna_only = false;
  EXPECT_EQ(read_fasta(dir.file("p.fa"), opt)[0].seq, "MKU*");
}

TEST(FastaTest, TruncatedOrCorruptGzipIsInputError) {
  TempDir dir;
  const std::string msg = ": cannot decompress; expected a complete gzip or BGZF stream, got truncated or corrupt data";
  // Plain gzip cut in the middle of its only deflate stream: fails on the first read.
  const std::string gz = dir.file("cut.fa.gz");
  std::string text;
  for (int i = 0; i < 50; ++i) text += ">s" + std::to_string(i) + "\n" + long_seq() + "\n";
  lb::testing::write_gzip(gz, text);
  lb::testing::truncate_file(gz, std::filesystem::file_size(gz) / 2);
  EXPECT_THROW_MSG(read_fasta(gz), InputError, gz + ":1" + msg);
  // Gzip magic followed by garbage.
  const std::string bad = dir.file("bad.fa.gz");
  write_text(bad, std::string("\x1f\x8b\x08\x00", 4) + "not deflate data at all, not at all");
  EXPECT_THROW_MSG(read_fasta(bad), InputError, bad + ":1" + msg);
  // BGZF cut inside its data block.
  const std::string bgz = dir.file("cut.bgz.fa.gz");
  write_fasta_bgzf(bgz, {{"a", "", "ACGTACGTAC", 0}});
  lb::testing::truncate_file(bgz, 30);
  EXPECT_THROW_MSG(read_fasta(bgz), InputError, bgz + ":1" + msg);
  // BGZF cut at a block boundary: every line reads, but the 28-byte EOF block is missing.
  const std::string eof = dir.file("noeof.fa.gz");
  write_fasta_bgzf(eof, {{"a", "", "ACGTACGTAC", 0}});
  lb::testing::truncate_file(eof, std::filesystem::file_size(eof) - 28);
  EXPECT_THROW_MSG(read_fasta(eof), InputError, eof + ":3" + msg);
}

TEST(FastaTest, BgzfRoundTripWritesIndexes) {
  TempDir dir;
  const std::string p = dir.file("out.fa.gz");
  const std::vector<FastaRecord> recs = {{"chr1", "a comment", long_seq(), 0}, {"chr2", "", "ACGTN", 0}};
  write_fasta_bgzf(p, recs);
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"out.fa.gz", "out.fa.gz.fai", "out.fa.gz.gzi"}));
  const std::string bytes = read_text(p);
  ASSERT_GE(bytes.size(), 4u);
  EXPECT_EQ(bytes.substr(0, 4), std::string("\x1f\x8b\x08\x04", 4));  // gzip with FEXTRA: BGZF
  // .fai: name, length, offset, bases per line, bytes per line (offset of chr1's first base:
  // after ">chr1 a comment\n", 16 bytes; chr2 after 130 bases in 3 lines plus its header).
  EXPECT_EQ(read_text(p + ".fai"), "chr1\t130\t16\t60\t61\nchr2\t5\t155\t5\t6\n");
  const auto back = read_fasta(p);
  ASSERT_EQ(back.size(), recs.size());
  for (std::size_t i = 0; i < recs.size(); ++i) {
    EXPECT_EQ(back[i].name, recs[i].name);
    EXPECT_EQ(back[i].comment, recs[i].comment);
    EXPECT_EQ(back[i].seq, recs[i].seq);
  }
  write_fasta_bgzf(dir.file("again.fa.gz"), recs);
  EXPECT_EQ(read_text(dir.file("again.fa.gz")), bytes);  // deterministic bytes
}

TEST(FastaTest, BgzfWriteOfNothingLeavesNoFiles) {
  TempDir dir;
  EXPECT_THROW(write_fasta_bgzf(dir.file("e.fa.gz"), {}), Error);
  EXPECT_EQ(list_dir(dir.path()), std::vector<std::string>{});
}

TEST(FastaTest, IndexedPlainWriteIsSamtoolsLayout) {
  TempDir dir;
  const std::string p = dir.file("out.fa");
  const std::vector<FastaRecord> recs = {{"chr1", "a comment", long_seq(), 0}, {"chr2", "", "ACGTN", 0}};
  write_fasta_indexed(p, recs);
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"out.fa", "out.fa.fai"}));
  // Plain text, byte for byte what the bgzip writer compresses, and the same .fai offsets.
  EXPECT_EQ(read_text(p), ">chr1 a comment\n" + long_seq().substr(0, 60) + "\n" + long_seq().substr(60, 60) + "\n" +
                              long_seq().substr(120) + "\n>chr2\nACGTN\n");
  EXPECT_EQ(read_text(p + ".fai"), "chr1\t130\t16\t60\t61\nchr2\t5\t155\t5\t6\n");
  const auto back = read_fasta(p);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].seq, recs[0].seq);
  EXPECT_EQ(back[1].seq, recs[1].seq);
  EXPECT_EQ(fetch_fasta_region(p, "chr1:55-70"), long_seq().substr(54, 16));
  // Nothing to index: a contract error, no file left behind.
  EXPECT_THROW(write_fasta_indexed(dir.file("e.fa"), {}), Error);
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"out.fa", "out.fa.fai"}));
}

// The index temporaries had predictable names (`.<base>.tmp.<pid>.<counter>`)
// that HTSlib opened without O_EXCL, so a symlink planted there made write_fasta_bgzf write
// through it (the victim became BGZF bytes) and write_fasta_indexed fail with "File exists".
// Every temporary is now made by mkstemp; the planted names and their target stay untouched.
TEST(FastaTest, PlantedSymlinksAtOldTemporaryNamesAreNotFollowed) {
  TempDir dir;
  write_text(dir.file("victim"), "precious");
  for (const char* base : {"seqs.fa", "seqs.fa.fai", "seqs.fa.gz", "seqs.fa.gz.fai", "seqs.fa.gz.gzi"})
    for (int i = 0; i < 2000; ++i)
      std::filesystem::create_symlink(dir.file("victim"), temp_prefix_for(dir.file(base)) + std::to_string(i));
  const std::vector<FastaRecord> recs = {{"chr1", "", long_seq(), 0}, {"chr2", "", "ACGTN", 0}};
  write_fasta_indexed(dir.file("seqs.fa"), recs);
  write_fasta_bgzf(dir.file("seqs.fa.gz"), recs);
  EXPECT_EQ(read_text(dir.file("victim")), "precious");
  EXPECT_EQ(read_text(dir.file("seqs.fa.fai")), "chr1\t130\t6\t60\t61\nchr2\t5\t145\t5\t6\n");
  EXPECT_EQ(read_fasta(dir.file("seqs.fa.gz")).size(), 2u);
  EXPECT_EQ(fetch_fasta_region(dir.file("seqs.fa.gz"), "chr2"), "ACGTN");
  EXPECT_FALSE(std::filesystem::is_symlink(dir.file("seqs.fa.gz.fai")));
  EXPECT_EQ(list_dir(dir.path()).size(), 5u * 2000u + 6u);  // the planted names, victim and the five outputs
}

TEST(FastaTest, FetchRegionThroughTheIndex) {
  TempDir dir;
  const std::string p = dir.file("out.fa.gz");
  const std::string s = long_seq();
  write_fasta_bgzf(p, {{"chr1", "", s, 0}, {"chr2", "", "ACGTN", 0}, {"chr:3", "", "GGCC", 0}});
  EXPECT_EQ(fetch_fasta_region(p, "chr1"), s);
  EXPECT_EQ(fetch_fasta_region(p, "chr2"), "ACGTN");
  EXPECT_EQ(fetch_fasta_region(p, "chr1:55-70"), s.substr(54, 16));  // crosses a line break
  EXPECT_EQ(fetch_fasta_region(p, "chr1:130-130"), s.substr(129, 1));
  EXPECT_EQ(fetch_fasta_region(p, "chr1:7"), s.substr(6, 1));
  EXPECT_EQ(fetch_fasta_region(p, "chr:3"), "GGCC");  // a name with ':' wins over a range
  EXPECT_EQ(fetch_fasta_region(p, "chr:3:2-3"), "GC");
  EXPECT_THROW_MSG(fetch_fasta_region(p, "chrZ:1-2"), InputError,
                   p + ": unknown sequence in region 'chrZ:1-2'; expected a name listed in the .fai index, "
                       "got 'chrZ'");
  EXPECT_THROW_MSG(fetch_fasta_region(p, "chrZ"), InputError,
                   p + ": unknown sequence in region 'chrZ'; expected a name listed in the .fai index, got 'chrZ'");
  EXPECT_THROW_MSG(fetch_fasta_region(p, "chr2:4-2"), InputError,
                   p + ": bad range in region 'chr2:4-2'; expected 1 <= beg <= end <= 5, got '4-2'");
  EXPECT_THROW_MSG(fetch_fasta_region(p, "chr2:1-6"), InputError,
                   p + ": bad range in region 'chr2:1-6'; expected 1 <= beg <= end <= 5, got '1-6'");
  EXPECT_THROW_MSG(fetch_fasta_region(p, "chr2:a-b"), InputError,
                   p + ": bad range in region 'chr2:a-b'; expected 1 <= beg <= end <= 5, got 'a-b'");
}

TEST(FastaTest, FetchWithoutIndexIsIoError) {
  TempDir dir;
  write_text(dir.file("a.fa"), ">a\nACGT\n");
  EXPECT_THROW(fetch_fasta_region(dir.file("a.fa"), "a"), IoError);
  EXPECT_EQ(list_dir(dir.path()), std::vector<std::string>{"a.fa"});  // no index created behind our back
}

TEST(FastaTest, WritePlainWrapsLines) {
  TempDir dir;
  write_fasta_plain(dir.file("a.fa"), {{"a", "x y", "ACGTACG", 0}, {"b", "", "TT", 0}}, 3);
  EXPECT_EQ(read_text(dir.file("a.fa")), ">a x y\nACG\nTAC\nG\n>b\nTT\n");
}

}  // namespace
}  // namespace lb::io
