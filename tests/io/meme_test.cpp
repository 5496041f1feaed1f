// Tests for io/meme: the project's motif file, minimal variants, malformed input messages.
#include "io/meme.h"

#include "core/error.h"
#include "io/atomic_file.h"
#include "testing/helpers.h"

namespace lb::io {
namespace {

using lb::testing::TempDir;
using lb::testing::list_dir;
using lb::testing::read_text;
using lb::testing::write_text;

const std::string kMotifs = LB_SOURCE_DIR "/configs/motifs/tal1_gata1.meme";

TEST(MemeTest, ReadsProjectMotifFile) {
  const MemeFile f = read_meme(kMotifs);
  EXPECT_EQ(f.version, 4);
  EXPECT_EQ(f.alphabet, "ACGT");
  EXPECT_EQ(f.strands, "+ -");
  EXPECT_EQ(f.background, (std::array<double, 4>{0.3, 0.2, 0.2, 0.3}));
  ASSERT_EQ(f.motifs.size(), 2u);
  const MemeMotif& gata = f.motifs[0];
  EXPECT_EQ(gata.name, "GATA_disc1");
  EXPECT_EQ(gata.alt_name, "");
  EXPECT_EQ(gata.line, 10);
  ASSERT_EQ(gata.probs.size(), 10u);
  EXPECT_EQ(gata.probs[0], (std::array<double, 4>{0.322751, 0.185185, 0.359788, 0.132275}));
  EXPECT_EQ(gata.probs[9], (std::array<double, 4>{0.243386, 0.248677, 0.507937, 0.0}));
  const MemeMotif& tal = f.motifs[1];
  EXPECT_EQ(tal.name, "TAL1_known1");
  ASSERT_EQ(tal.probs.size(), 16u);
  EXPECT_EQ(tal.probs[0], (std::array<double, 4>{0.23, 0.35, 0.28, 0.14}));
  EXPECT_EQ(&find_motif(f, "TAL1_known1", kMotifs), &tal);
  EXPECT_THROW_MSG(find_motif(f, "CTCF", kMotifs), InputError,
                   kMotifs + ": no motif named 'CTCF'; expected one of GATA_disc1, TAL1_known1");
}

TEST(MemeTest, ReadsMinimalFileWithoutOptionalSections) {
  TempDir dir;
  write_text(dir.file("m.meme"),
             "MEME version 4.12.0\n\nMOTIF m1 ALT1\n"
             "letter-probability matrix: alength=4 w=2\n0.1 0.2 0.3 0.4\n1 0 0 0\n"
             "URL http://example.org\n"
             "MOTIF m2\nletter-probability matrix:\n 0.25 0.25 0.25 0.25\n");
  const MemeFile f = read_meme(dir.file("m.meme"));
  EXPECT_EQ(f.background, (std::array<double, 4>{0.25, 0.25, 0.25, 0.25}));
  ASSERT_EQ(f.motifs.size(), 2u);
  EXPECT_EQ(f.motifs[0].alt_name, "ALT1");
  EXPECT_EQ(f.motifs[0].probs.size(), 2u);
  EXPECT_EQ(f.motifs[1].probs.size(), 1u);  // no w=: rows until the first non-number line
}

TEST(MemeTest, MissingFileIsIoError) {
  EXPECT_THROW_MSG(read_meme("/nonexistent/x.meme"), IoError,
                   "/nonexistent/x.meme: cannot open: No such file or directory");
}

TEST(MemeTest, MalformedInputNamesFileAndLine) {
  TempDir dir;
  const std::string p = dir.file("bad.meme");
  const std::string head = "MEME version 4\n\nALPHABET= ACGT\n\n";  // 4 lines
  const std::string m1 = "MOTIF a\nletter-probability matrix: alength= 4 w= 2 nsites= 20 E= 0\n";  // lines 5-6
  const auto check = [&](const std::string& text, const std::string& message) {
    write_text(p, text);
    EXPECT_THROW_MSG(read_meme(p), InputError, p + message);
  };
  check("MOTIF a\n", ":1: missing MEME header; expected 'MEME version 4', got 'MOTIF a'");
  check("\n\n", ":1: missing MEME header; expected 'MEME version 4', got an empty file");
  check("MEME version 4\n\nALPHABET= ACDEFGHIKLMNPQRSTVWY\n",
        ":3: unsupported alphabet; expected ACGT, got 'ACDEFGHIKLMNPQRSTVWY'");
  check(head + m1 + "0.1 0.2 0.7\n1 0 0 0\n",
        ":7: wrong number of values in matrix row; expected 4 (alength= 4), got 3");
  check(head + m1 + "0.1 0.2 0.3 0.4\n0.1 abc 0.3 0.6\n", ":8: bad matrix value; expected a number, got 'abc'");
  check(head + m1 + "0.1 0.2 0.3 0.4\n\nMOTIF b\n", ":6: w= disagrees with the matrix; expected 2 rows, got 1");
  // Before the fix this pointed at the header (line 6), not at the row beyond w=.
  check(head + m1 + "0.1 0.2 0.3 0.4\n0 0 0 1\n1 0 0 0\n",
        ":9: w= disagrees with the matrix; expected 2 rows (w= on line 6), got 3");
  // Before the fix a bad row was reported by sim::Pwm at the MOTIF line (5), not at its own.
  check(head + m1 + "0.1 0.2 0.3 0.4\n0.5 0.2 0.2 0.2\n",
        ":8: motif 'a' position 2: probabilities do not sum to 1; expected a sum of 1 within 1e-3, got 1.1");
  check(head + m1 + "0.1 0.2 0.3 0.4\n1.5 -0.5 0 0\n",
        ":8: motif 'a' position 2: probability of A out of range; expected a value in [0, 1], got '1.5'");
  check(head + "Background letter frequencies\n\n",
        ":5: bad background frequencies; expected 'A p C p G p T p', got end of file");
  check(head + "MOTIF a\nletter-probability matrix: alength= 20 w= 1\n",
        ":6: bad alength; expected 4, got '20'");
  check(head + m1 + "1 0 0 0\n0 1 0 0\n\n" + m1 + "1 0 0 0\n0 1 0 0\n",
        ":10: duplicate motif name; expected unique names (first seen on line 5), got 'a'");
  check(head + "MOTIF a\n\nMOTIF b\n",
        ":5: motif 'a' has no matrix; expected a 'letter-probability matrix:' line, got 'MOTIF b'");
  check(head + "MOTIF a\n", ":5: motif 'a' has no matrix; expected a 'letter-probability matrix:' line, got end of file");
  check(head + "Background letter frequencies\nA 0.3 C 0.2 G 0.2\n",
        ":6: bad background frequencies; expected 'A p C p G p T p', got 'A 0.3 C 0.2 G 0.2'");
  check(head, ": no motifs; expected at least one MOTIF, got none");
}

// Found by fuzz/fuzz_meme: a motif name's bytes (here \x01 and an invalid UTF-8 \xff) reached
// the message raw; they are escaped now, also in find_motif's list of names.
TEST(MemeTest, MotifNameBytesAreEscapedInMessages) {
  TempDir dir;
  const std::string p = dir.file("bad.meme");
  write_text(p, "MEME version 4\n\nMOTIF G\x01\xff\n");
  EXPECT_THROW_MSG(read_meme(p), InputError,
                   p + ":3: motif 'G\\x01\\xff' has no matrix; expected a 'letter-probability matrix:' line, got "
                       "end of file");
  MemeFile f;
  f.motifs.push_back({"a\x1b[2J", "", {{0.25, 0.25, 0.25, 0.25}}, 1});
  EXPECT_THROW_MSG(find_motif(f, "b\x07", "m.meme"), InputError,
                   "m.meme: no motif named 'b\\x07'; expected one of a\\x1b[2J");
}

// write_meme: the exact text, read back by read_meme (names, alt names, nsites, rows rescaled
// to sum to 1), and the project's own file survives a read-write-read round trip.
TEST(MemeWriteTest, ExactTextAndRoundTrip) {
  TempDir tmp;
  MemeFile f;
  f.background = {0.3, 0.2, 0.2, 0.3};
  MemeMotif a;
  a.name = "pos_1";
  a.alt_name = "GATAAG";
  a.nsites = 120;
  a.probs = {{1, 0, 0, 0}, {0.2, 0.2, 0.2, 0.4}, {2, 1, 1, 0}};  // the last rescaled to 0.5 0.25 0.25 0
  MemeMotif b;
  b.name = "neg_1";
  b.probs = {{0.25, 0.25, 0.25, 0.25}};
  f.motifs = {a, b};
  write_meme(tmp.file("m.meme"), f);
  EXPECT_EQ(read_text(tmp.file("m.meme")),
            "MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\nBackground letter frequencies\n"
            "A 0.300000 C 0.200000 G 0.200000 T 0.300000\n\n"
            "MOTIF pos_1 GATAAG\nletter-probability matrix: alength= 4 w= 3 nsites= 120 E= 0\n"
            " 1.000000 0.000000 0.000000 0.000000\n 0.200000 0.200000 0.200000 0.400000\n"
            " 0.500000 0.250000 0.250000 0.000000\n\n"
            "MOTIF neg_1\nletter-probability matrix: alength= 4 w= 1 E= 0\n 0.250000 0.250000 0.250000 0.250000\n");
  EXPECT_EQ(list_dir(tmp.path()), (std::vector<std::string>{"m.meme"}));  // no temporary left
  const MemeFile r = read_meme(tmp.file("m.meme"));
  EXPECT_EQ(r.background, f.background);
  ASSERT_EQ(r.motifs.size(), 2u);
  EXPECT_EQ(r.motifs[0].name, "pos_1");
  EXPECT_EQ(r.motifs[0].alt_name, "GATAAG");
  EXPECT_EQ(r.motifs[0].nsites, 120);
  EXPECT_EQ(r.motifs[1].nsites, -1);
  EXPECT_EQ(r.motifs[0].probs[2], (std::array<double, 4>{0.5, 0.25, 0.25, 0.0}));
  EXPECT_EQ(r.motifs[1].probs, b.probs);

  const MemeFile project = read_meme(kMotifs);
  write_meme(tmp.file("p.meme"), project);
  const MemeFile again = read_meme(tmp.file("p.meme"));
  ASSERT_EQ(again.motifs.size(), project.motifs.size());
  for (std::size_t k = 0; k < project.motifs.size(); ++k) {
    EXPECT_EQ(again.motifs[k].name, project.motifs[k].name);
    EXPECT_EQ(again.motifs[k].nsites, 20);  // the project file's nsites= 20
    ASSERT_EQ(again.motifs[k].probs.size(), project.motifs[k].probs.size());
    for (std::size_t p = 0; p < project.motifs[k].probs.size(); ++p)
      for (std::size_t c = 0; c < 4; ++c) {
        double sum = 0;
        for (const double v : project.motifs[k].probs[p]) sum += v;
        EXPECT_NEAR(again.motifs[k].probs[p][c], project.motifs[k].probs[p][c] / sum, 5e-7);
      }
  }
}

}  // namespace
}  // namespace lb::io
