// Tests for io/motif_file: JASPAR (bracketed, bracket-less, bare rows) and HOMER readers on small
// hand-written files, count-to-probability conversion, the reader choice by extension, and every
// malformed-input message.
#include "io/motif_file.h"

#include "core/error.h"
#include "testing/helpers.h"

namespace lb::io {
namespace {

using lb::testing::TempDir;
using lb::testing::write_text;

using Row = std::array<double, 4>;

// Two JASPAR motifs: the 2016 layout (tab after the ID, bracketed rows) and the bracket-less one
// with labels out of order and lower case; counts chosen so the probabilities are exact.
const char* const kJaspar =
    ">MA0001.1\tAGL3\n"
    "A  [     0      2      1 ]\n"
    "C  [     4      2      1 ]\n"
    "G  [     0      0      1 ]\n"
    "T  [     0      0      1 ]\n"
    "\n"
    ">MA0002.2 RUNX1 extra words\n"
    "t 1 0\n"
    "A 3 0\n"
    "c 0 8\n"
    "G 0 0\n";

TEST(JasparTest, ReadsLabelledRowsWithAndWithoutBrackets) {
  TempDir dir;
  const std::string p = dir.file("m.jaspar");
  write_text(p, kJaspar);
  const MemeFile f = read_jaspar(p);
  EXPECT_EQ(f.alphabet, "ACGT");
  EXPECT_EQ(f.background, (Row{0.25, 0.25, 0.25, 0.25}));
  ASSERT_EQ(f.motifs.size(), 2u);
  const MemeMotif& a = f.motifs[0];
  EXPECT_EQ(a.name, "MA0001.1");
  EXPECT_EQ(a.alt_name, "AGL3");
  EXPECT_EQ(a.line, 1);
  // Each position's counts divided by their sum (4, 4, 4).
  EXPECT_EQ(a.probs, (std::vector<Row>{{0, 1, 0, 0}, {0.5, 0.5, 0, 0}, {0.25, 0.25, 0.25, 0.25}}));
  const MemeMotif& b = f.motifs[1];
  EXPECT_EQ(b.name, "MA0002.2");
  EXPECT_EQ(b.alt_name, "RUNX1 extra words");
  EXPECT_EQ(b.line, 7);
  EXPECT_EQ(b.probs, (std::vector<Row>{{0.75, 0, 0, 0.25}, {0, 1, 0, 0}}));
}

TEST(JasparTest, ReadsBareRowsInOrderACGT) {
  TempDir dir;
  const std::string p = dir.file("m.pfm");
  write_text(p, ">MA0003.1 TFAP2A\n1 3\n1 0\n2 0.5\n0 0.5\n");
  const MemeFile f = read_jaspar(p);
  ASSERT_EQ(f.motifs.size(), 1u);
  EXPECT_EQ(f.motifs[0].probs, (std::vector<Row>{{0.25, 0.25, 0.5, 0}, {0.75, 0, 0.125, 0.125}}));
}

TEST(JasparTest, MalformedInputNamesFileAndLine) {
  TempDir dir;
  const std::string p = dir.file("bad.jaspar");
  const std::string ok = ">MA1 one\nA [ 1 0 ]\nC [ 0 1 ]\nG [ 0 0 ]\nT [ 0 0 ]\n";  // lines 1-5
  const auto check = [&](const std::string& text, const std::string& message) {
    write_text(p, text);
    EXPECT_THROW_MSG(read_jaspar(p), InputError, p + message);
  };
  check("A [ 1 0 ]\n", ":1: not a JASPAR header; expected a line starting with '>', got 'A [ 1 0 ]'");
  check(ok + "> MA2\n", ":6: empty motif ID; expected an ID right after '>', got '> MA2'");
  check(ok + ">MA1 again\n", ":6: duplicate motif ID; expected unique IDs (first seen on line 1), got 'MA1'");
  check(">MA2\nA [ 1 ]\nN [ 1 ]\n", ":3: bad row label in motif 'MA2'; expected A, C, G or T, got 'N'");
  check(">MA2\nAC 1 2\n", ":2: bad row label in motif 'MA2'; expected A, C, G or T, got 'AC'");
  check(">MA2\nA [ 1 ]\nC [ 1 ]\na [ 1 ]\n",
        ":4: second row 'A' in motif 'MA2'; expected one row each for A, C, G and T (first on line 2), got 'A' "
        "again");
  check(">MA2\nA [ 1 ]\n1\n",
        ":3: labelled and bare rows mixed in motif 'MA2'; expected a row labelled A, C, G or T, got a bare row");
  check(">MA2\n1\nC 1\n",
        ":3: labelled and bare rows mixed in motif 'MA2'; expected a bare row of counts, got row 'C'");
  check(">MA2\nA [ 1 2\n", ":2: missing ']'; expected 'A [ counts ]', got 'A [ 1 2'");
  check(">MA2\nA [ 1 x ]\n", ":2: bad count; expected a non-negative number, got 'x'");
  check(">MA2\nA [ 1 -2 ]\n", ":2: bad count; expected a non-negative number, got '-2'");
  check(">MA2\nA [ 1 nan ]\n", ":2: bad count; expected a non-negative number, got 'nan'");
  check(">MA2\nA [ ]\n", ":2: row without counts in motif 'MA2'; expected at least one count, got none");
  check(">MA2\nA [ 1 2 ]\nC [ 1 ]\n",
        ":3: rows of different lengths in motif 'MA2'; expected 2 counts (as on line 2), got 1");
  check(ok + "A [ 1 0 ]\n", ":6: too many rows in motif 'MA1'; expected 4 rows (A, C, G, T), got a fifth");
  check(">MA2\nA [ 1 ]\nC [ 1 ]\nG [ 1 ]\n" + ok,
        ":1: incomplete motif 'MA2'; expected 4 rows (A, C, G, T), got 3");
  check(ok + ">MA2\n", ":6: incomplete motif 'MA2'; expected 4 rows (A, C, G, T), got 0");
  check(">MA2\nA [ 1 0 ]\nC [ 1 0 ]\nG [ 0 0 ]\nT [ 0 0 ]\n",
        ":1: motif 'MA2' position 2 has no counts; expected a positive sum of counts, got 0");
  check("\n\n", ": no motifs; expected at least one '>' header, got none");
}

// Two HOMER motifs: probabilities rounded to three decimals (normalised per row) and counts.
const char* const kHomer =
    ">SAGATAAGRV\tGATA(Zf)/K562-GATA1-ChIP-Seq/Homer\t8.059752\t-23791.535714\t0\tT:17311.0(44.2%)\n"
    "0.500\t0.250\t0.125\t0.125\n"
    "0.001 0.001 0.997 0.001\n"
    "\n"
    ">\tcounts\t6\n"
    "1 1 2 0\n";

TEST(HomerTest, ReadsProbabilitiesAndCountsNormalisedPerRow) {
  TempDir dir;
  const std::string p = dir.file("m.motif");
  write_text(p, kHomer);
  const MemeFile f = read_homer(p);
  ASSERT_EQ(f.motifs.size(), 2u);
  const MemeMotif& a = f.motifs[0];
  EXPECT_EQ(a.name, "GATA(Zf)/K562-GATA1-ChIP-Seq/Homer");
  EXPECT_EQ(a.alt_name, "SAGATAAGRV");
  EXPECT_EQ(a.line, 1);
  ASSERT_EQ(a.probs.size(), 2u);
  EXPECT_EQ(a.probs[0], (Row{0.5, 0.25, 0.125, 0.125}));
  const double s = 0.001 + 0.001 + 0.997 + 0.001;
  EXPECT_EQ(a.probs[1], (Row{0.001 / s, 0.001 / s, 0.997 / s, 0.001 / s}));
  const MemeMotif& b = f.motifs[1];
  EXPECT_EQ(b.name, "counts");
  EXPECT_EQ(b.alt_name, "");  // the consensus may be blank
  EXPECT_EQ(b.line, 5);
  EXPECT_EQ(b.probs, (std::vector<Row>{{0.25, 0.25, 0.5, 0}}));
}

TEST(HomerTest, MalformedInputNamesFileAndLine) {
  TempDir dir;
  const std::string p = dir.file("bad.motif");
  const std::string ok = ">ACG\tm1\t5.0\n1 0 0 0\n";  // lines 1-2
  const auto check = [&](const std::string& text, const std::string& message) {
    write_text(p, text);
    EXPECT_THROW_MSG(read_homer(p), InputError, p + message);
  };
  check("0.25 0.25 0.25 0.25\n",
        ":1: not a HOMER motif header; expected a line starting with '>', got '0.25 0.25 0.25 0.25'");
  check(ok + ">ACG m2 5.0\n",
        ":3: too few header fields; expected 3 tab-separated fields (consensus, name, log-odds threshold), got 1");
  check(ok + ">ACG\tm2\n",
        ":3: too few header fields; expected 3 tab-separated fields (consensus, name, log-odds threshold), got 2");
  check(">ACG\t \t5\n", ":1: empty motif name; expected a name in header field 2, got ''");
  check(">ACG\tm1\thigh\n", ":1: bad log-odds threshold; expected a number, got 'high'");
  check(ok + ">TTT\tm1\t4\n1 0 0 0\n", ":3: duplicate motif name; expected unique names (first seen on line 1), got 'm1'");
  check(ok + "0.5 0.5 0\n", ":3: wrong number of values in matrix row; expected 4 (A, C, G, T), got 3");
  check(ok + "0.2 0.2 0.2 0.2 0.2\n", ":3: wrong number of values in matrix row; expected 4 (A, C, G, T), got 5");
  check(ok + "0.5 x 0 0.5\n", ":3: bad matrix value; expected a non-negative number, got 'x'");
  check(ok + "0.5 -0.1 0.1 0.5\n", ":3: bad matrix value; expected a non-negative number, got '-0.1'");
  check(ok + "0 0 0 0\n", ":3: motif 'm1' position 2 sums to 0; expected a positive sum, got 0");
  check(">ACG\tm0\t5\n" + ok, ":1: motif 'm0' has no matrix rows; expected at least one row, got none");
  check(ok + ">ACG\tm2\t5\n", ":3: motif 'm2' has no matrix rows; expected at least one row, got none");
  check("", ": no motifs; expected at least one '>' header, got none");
}

TEST(MotifFileTest, PicksTheReaderByExtension) {
  TempDir dir;
  write_text(dir.file("a.JASPAR"), kJaspar);
  write_text(dir.file("a.motif"), kHomer);
  write_text(dir.file("a.motifs"), kHomer);
  EXPECT_EQ(read_motif_file(dir.file("a.JASPAR")).motifs[0].name, "MA0001.1");
  EXPECT_EQ(read_motif_file(dir.file("a.motif")).motifs[1].name, "counts");
  EXPECT_EQ(read_motif_file(dir.file("a.motifs")).motifs.size(), 2u);
  const std::string meme = LB_SOURCE_DIR "/configs/motifs/tal1_gata1.meme";
  EXPECT_EQ(read_motif_file(meme).motifs[1].name, "TAL1_known1");
  write_text(dir.file("meme.txt"), lb::testing::read_text(meme));
  EXPECT_EQ(read_motif_file(dir.file("meme.txt")).motifs.size(), 2u);
  // The MEME reader's own errors come through unchanged (a JASPAR file named .meme).
  write_text(dir.file("wrong.meme"), kJaspar);
  EXPECT_THROW_MSG(read_motif_file(dir.file("wrong.meme")), InputError,
                   dir.file("wrong.meme") + ":1: missing MEME header; expected 'MEME version 4', got '>MA0001.1\\tAGL3'");
  EXPECT_THROW_MSG(read_motif_file(dir.file("m.pwm")), InputError,
                   dir.file("m.pwm") + ": unknown motif file type; expected a name ending in .meme, .txt, .jaspar, .pfm, "
                                       ".motif or .motifs, got '.pwm'");
  EXPECT_THROW_MSG(read_motif_file(dir.file("motifs")), InputError,
                   dir.file("motifs") + ": unknown motif file type; expected a name ending in .meme, .txt, .jaspar, "
                                        ".pfm, .motif or .motifs, got no extension");
  EXPECT_THROW_MSG(read_motif_file(dir.file("x.jaspar")), IoError,
                   dir.file("x.jaspar") + ": cannot open: No such file or directory");
}

TEST(MotifFileTest, ReadsGzippedFilesByTheInnerExtension) {
  TempDir dir;
  write_text(dir.file("plain.jaspar"), kJaspar);
  ASSERT_EQ(std::system(("gzip -c " + dir.file("plain.jaspar") + " > " + dir.file("a.jaspar.gz")).c_str()), 0);
  EXPECT_EQ(read_motif_file(dir.file("a.jaspar.gz")).motifs.size(), 2u);
}

// Found by fuzz/fuzz_jaspar and fuzz_homer: motif IDs and names reached messages raw.
TEST(MotifFileTest, MotifNameBytesAreEscapedInMessages) {
  TempDir dir;
  const std::string j = dir.file("bad.jaspar");
  write_text(j, ">MA0\xff\xff" "1 x\nA [ 1 ]\n");
  EXPECT_THROW_MSG(read_jaspar(j), InputError,
                   j + ":1: incomplete motif 'MA0\\xff\\xff1'; expected 4 rows (A, C, G, T), got 1");
  const std::string h = dir.file("bad.motif");
  write_text(h, ">GATA\tm\x1b[31m\t6.5\n");
  EXPECT_THROW_MSG(read_homer(h), InputError,
                   h + ":1: motif 'm\\x1b[31m' has no matrix rows; expected at least one row, got none");
}

}  // namespace
}  // namespace lb::io
