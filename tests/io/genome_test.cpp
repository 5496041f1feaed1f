// Tests for io/genome: the indexed reference (plain and bgzip, index built when missing, the
// errors of a gzip file and of an unindexed FASTA in a read-only directory), BED3+/narrowPeak
// regions with each bad line's message, the windows (middle, summit, pad, shift, error) and the
// base codes (soft-masked, N, IUPAC, padding). samtools faidx checks the fetched bases.
#include "io/genome.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>

#include "core/alphabet.h"
#include "core/error.h"
#include "io/fasta.h"
#include "io/gzip_util.h"
#include "testing/helpers.h"

namespace lb::io {
namespace {

using lb::testing::list_dir;
using lb::testing::read_text;
using lb::testing::run_command;
using lb::testing::TempDir;
using lb::testing::write_text;

// chr1: 30 bases (two lines of 15), chr2: 12 bases with soft-masked, N and IUPAC letters.
const char* const kGenome =
    ">chr1 first\n"
    "ACGTACGTAACCGGT\n"
    "TAAGGCCTTAGCATG\n"
    ">chr2\n"
    "acgtNNRYacgt\n";

std::string codes_text(const std::vector<std::uint8_t>& codes) { return decode_bases(codes); }

TEST(GenomeTest, BuildsTheIndexOfAPlainFastaAndFetches) {
  TempDir tmp;
  const std::string fa = tmp.file("ref.fa");
  write_text(fa, kGenome);
  Genome g(fa);
  EXPECT_EQ(list_dir(tmp.path()), (std::vector<std::string>{"ref.fa", "ref.fa.fai"}));
  EXPECT_EQ(g.n_sequences(), 2);
  EXPECT_EQ(g.length("chr1"), 30);
  EXPECT_EQ(g.length("chr2"), 12);
  EXPECT_EQ(g.length("chr3"), -1);
  EXPECT_EQ(g.fetch("chr1", 0, 30), "ACGTACGTAACCGGTTAAGGCCTTAGCATG");
  EXPECT_EQ(g.fetch("chr1", 13, 17), "GTTA");  // across the line break
  EXPECT_EQ(g.fetch("chr2", 0, 4), "acgt");    // case as stored
  EXPECT_EQ(g.fetch("chr2", 5, 5), "");
  // samtools reads the index built here (1-based inclusive regions).
  const auto r = run_command("samtools faidx " + fa + " chr1:14-17");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, ">chr1:14-17\nGTTA\n");
}

TEST(GenomeTest, BgzipFastaGetsBothIndexesAndMatchesSamtools) {
  TempDir tmp;
  const std::string fa = tmp.file("ref.fa.gz");
  std::vector<FastaRecord> recs{{"chrA", "", std::string(100, 'A') + std::string(100, 'C') + "GGTT", 0},
                                {"chrB", "", "TTTTGGGGCCCCAAAA", 0}};
  write_fasta_bgzf(fa, recs, 7);
  std::filesystem::remove(fa + ".fai");
  std::filesystem::remove(fa + ".gzi");
  Genome g(fa);
  EXPECT_EQ(list_dir(tmp.path()), (std::vector<std::string>{"ref.fa.gz", "ref.fa.gz.fai", "ref.fa.gz.gzi"}));
  EXPECT_EQ(g.fetch("chrA", 98, 102), "AACC");
  EXPECT_EQ(g.fetch("chrB", 3, 9), "TGGGGC");
  const auto r = run_command("samtools faidx " + fa + " chrA:199-204");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, ">chrA:199-204\nCCGGTT\n");
  EXPECT_EQ(g.fetch("chrA", 198, 204), "CCGGTT");
}

TEST(GenomeTest, GzipAndMissingFilesAreOneLineErrors) {
  TempDir tmp;
  const std::string gz = tmp.file("ref.fa.gz");
  lb::testing::write_gzip(gz, kGenome);
  EXPECT_THROW_MSG(Genome{gz}, InputError,
                   gz + ": compressed with gzip, which has no random access; expected plain or bgzip-compressed FASTA "
                        "(zcat FILE | bgzip > FILE.gz), got gzip");
  EXPECT_THROW_MSG(Genome{tmp.file("none.fa")}, IoError, tmp.file("none.fa") + ": cannot open: No such file or directory");
  EXPECT_EQ(list_dir(tmp.path()), (std::vector<std::string>{"ref.fa.gz"}));
}

// An unindexed FASTA in a directory nobody may write: the error names the file and the way out.
// Root may write anywhere, so the check runs in a child that drops to 'nobody' (uid 65534).
TEST(GenomeTest, UnindexedFastaInReadOnlyDirectory) {
  TempDir tmp;
  const std::string dir = tmp.file("ro");
  std::filesystem::create_directories(dir);
  const std::string fa = dir + "/ref.fa";
  write_text(fa, kGenome);
  ASSERT_EQ(::chmod(tmp.path().c_str(), 0755), 0);
  ASSERT_EQ(::chmod(fa.c_str(), 0644), 0);
  ASSERT_EQ(::chmod(dir.c_str(), 0555), 0);
  const std::string expected = fa + ": no index (.fai) and its directory cannot take one (Permission denied); expected "
                                    "an index beside the FASTA (samtools faidx " + fa + ") or a writable directory, got "
                                    "neither";
  if (::geteuid() != 0) {
    EXPECT_THROW_MSG(Genome{fa}, InputError, expected);
  } else {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int code = 3;
      if (::setgid(65534) == 0 && ::setuid(65534) == 0) {
        try {
          Genome g(fa);
          code = 1;
        } catch (const InputError& e) {
          code = std::string(e.what()) == expected ? 0 : 2;
        } catch (...) {
          code = 4;
        }
      }
      ::_exit(code);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "1: no error, 2: another message, 3: cannot drop to nobody, 4: another type";
  }
  EXPECT_EQ(list_dir(dir), (std::vector<std::string>{"ref.fa"}));
  ::chmod(dir.c_str(), 0755);
}

TEST(GenomeTest, ReadsBed3AndNarrowPeak) {
  TempDir tmp;
  const std::string bed = tmp.file("r.bed");
  write_text(bed,
             "track name=x\n"
             "# comment\n"
             "chr1\t10\t20\n"
             "\n"
             "chr1\t0\t4\tpeak1\n"
             "chr2\t2\t8\t.\t0\t.\t1.5\t2\t3\t4\n"
             "chr2\t1\t9\tp3\t0\t.\t1.5\t2\t3\t-1\r\n");
  const auto r = read_regions(bed);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].chrom, "chr1");
  EXPECT_EQ(r[0].start, 10);
  EXPECT_EQ(r[0].end, 20);
  EXPECT_EQ(r[0].name, "");
  EXPECT_EQ(r[0].summit, -1);
  EXPECT_EQ(r[0].n_columns, 3);
  EXPECT_EQ(r[0].line, 3);
  EXPECT_EQ(r[1].name, "peak1");
  EXPECT_EQ(r[2].name, "");
  EXPECT_EQ(r[2].summit, 4);
  EXPECT_EQ(r[2].n_columns, 10);
  EXPECT_EQ(r[3].summit, -1);
  EXPECT_EQ(r[3].line, 7);
}

TEST(GenomeTest, BadBedLinesNameFileAndLine) {
  TempDir tmp;
  const std::string bed = tmp.file("r.bed");
  const auto expect_bad = [&](const std::string& line, const std::string& message) {
    write_text(bed, "chr1\t0\t5\n" + line + "\n");
    EXPECT_THROW_MSG(read_regions(bed), InputError, bed + ":2: " + message);
  };
  expect_bad("chr1\t5", "too few columns; expected at least 3 tab-separated columns (chrom start end), got 2");
  expect_bad("chr1\t-1\t5", "bad start; expected a non-negative integer, got '-1'");
  expect_bad("chr1\tx\t5", "bad start; expected a non-negative integer, got 'x'");
  expect_bad("chr1\t5\t5.5", "bad end; expected an integer, got '5.5'");
  expect_bad("chr1\t20\t10", "end before start; expected end >= start (20), got 10");
  expect_bad("\t1\t2", "empty chromosome name; expected a name, got ''");
  expect_bad("chr1\t10\t20\tp\t0\t.\t1\t2\t3\t10",
             "bad summit (narrowPeak column 10); expected an offset from start in [0, 10) or -1, got '10'");
  expect_bad("chr1\t10\t20\tp\t0\t.\t1\t2\t3\t-2",
             "bad summit (narrowPeak column 10); expected an offset from start in [0, 10) or -1, got '-2'");
  write_text(bed, "# nothing\n");
  EXPECT_THROW_MSG(read_regions(bed), InputError, bed + ": no regions; expected at least 1 BED line (chrom start end), got 0");
}

GenomicRegion region(std::string chrom, std::int64_t start, std::int64_t end, std::string name = "",
                     std::int64_t summit = -1, int n_columns = 3) {
  GenomicRegion r;
  r.chrom = std::move(chrom);
  r.start = start, r.end = end, r.name = std::move(name), r.summit = summit, r.n_columns = n_columns;
  r.line = 4;
  return r;
}

TEST(GenomeTest, WindowsAreCentredResizedAndHandleChromosomeEnds) {
  TempDir tmp;
  const std::string fa = tmp.file("ref.fa");
  write_text(fa, kGenome);
  const Genome g(fa);
  const std::string bed = "r.bed";
  // Middle of [10, 20) is 15; a window of 6 starts at 15 - 3 = 12; of 5 at 15 - 2 = 13.
  Window w = region_window(region("chr1", 10, 20), bed, g, Center::Middle, 6, ChromEnds::Pad);
  EXPECT_EQ(w.chrom, "chr1");
  EXPECT_EQ(w.start, 12);
  EXPECT_EQ(w.id, "chr1:10-20");
  EXPECT_EQ(region_window(region("chr1", 10, 20), bed, g, Center::Middle, 5, ChromEnds::Pad).start, 13);
  // Odd length: the middle of [10, 21) rounds down to 15.
  EXPECT_EQ(region_window(region("chr1", 10, 21, "p"), bed, g, Center::Middle, 6, ChromEnds::Pad).start, 12);
  EXPECT_EQ(region_window(region("chr1", 10, 21, "p"), bed, g, Center::Middle, 6, ChromEnds::Pad).id, "p");
  // Summit 8 of [10, 20): centre 18; -1 falls back to the middle.
  EXPECT_EQ(region_window(region("chr1", 10, 20, "", 8, 10), bed, g, Center::Summit, 6, ChromEnds::Pad).start, 15);
  EXPECT_EQ(region_window(region("chr1", 10, 20, "", -1, 10), bed, g, Center::Summit, 6, ChromEnds::Pad).start, 12);
  // The summit is ignored with Center::Middle.
  EXPECT_EQ(region_window(region("chr1", 10, 20, "", 8, 10), bed, g, Center::Middle, 6, ChromEnds::Pad).start, 12);
  // Near the start: pad keeps the window (start -2), shift moves it to 0, error stops.
  EXPECT_EQ(region_window(region("chr1", 0, 2), bed, g, Center::Middle, 6, ChromEnds::Pad).start, -2);
  EXPECT_EQ(region_window(region("chr1", 0, 2), bed, g, Center::Middle, 6, ChromEnds::Shift).start, 0);
  EXPECT_THROW_MSG(region_window(region("chr1", 0, 2), bed, g, Center::Middle, 6, ChromEnds::Error), InputError,
                   "r.bed:4: the 6-base window passes an end of 'chr1' (--chrom-ends pad or shift allows it); "
                   "expected a window inside [0, 30), got [-2, 4)");
  // Near the end: shift to 30 - 6 = 24.
  EXPECT_EQ(region_window(region("chr1", 27, 30), bed, g, Center::Middle, 6, ChromEnds::Pad).start, 25);
  EXPECT_EQ(region_window(region("chr1", 27, 30), bed, g, Center::Middle, 6, ChromEnds::Shift).start, 24);
  // A region past the end: clipped to [26, 30) (middle 28) unless error.
  EXPECT_EQ(region_window(region("chr1", 26, 40), bed, g, Center::Middle, 4, ChromEnds::Pad).start, 26);
  EXPECT_THROW_MSG(region_window(region("chr1", 26, 40), bed, g, Center::Middle, 4, ChromEnds::Error), InputError,
                   "r.bed:4: region ends past the end of 'chr1' (--chrom-ends pad or shift clips it); expected end <= "
                   "30 (its length), got 40");
  EXPECT_THROW_MSG(region_window(region("chr1", 30, 40), bed, g, Center::Middle, 4, ChromEnds::Pad), InputError,
                   "r.bed:4: region starts past the end of 'chr1'; expected start < 30 (its length), got 30");
  EXPECT_THROW_MSG(region_window(region("chrX", 1, 4), bed, g, Center::Middle, 4, ChromEnds::Pad), InputError,
                   "r.bed:4: unknown chromosome 'chrX'; expected a sequence of " + fa + " (2 listed in its index), "
                   "got 'chrX'");
  EXPECT_THROW_MSG(region_window(region("chr2", 1, 4), bed, g, Center::Middle, 20, ChromEnds::Shift), InputError,
                   "r.bed:4: chromosome 'chr2' is shorter than the model's input (--chrom-ends pad allows it); "
                   "expected a length >= 20, got 12");
  EXPECT_THROW_MSG(region_window(region("chr2", 1, 4), bed, g, Center::Summit, 4, ChromEnds::Pad), InputError,
                   "r.bed:4: no summit for --center summit; expected a narrowPeak line (the summit in column 10), got "
                   "3 columns");
}

TEST(GenomeTest, WindowCodesReadSoftMaskedNAndPadding) {
  TempDir tmp;
  const std::string fa = tmp.file("ref.fa");
  write_text(fa, kGenome);
  const Genome g(fa);
  std::vector<std::uint8_t> codes;
  // chr2 = acgtNNRYacgt: lowercase read as bases, N and R/Y as N.
  EXPECT_EQ(window_codes(g, Window{"chr2", 0, ""}, 12, codes), 4);
  EXPECT_EQ(codes_text(codes), "ACGTNNNNACGT");
  // Padding on both sides of a window longer than the chromosome.
  codes.clear();
  EXPECT_EQ(window_codes(g, Window{"chr2", -3, ""}, 18, codes), 3 + 4 + 3);
  EXPECT_EQ(codes_text(codes), "NNNACGTNNNNACGTNNN");
  codes.clear();
  EXPECT_EQ(window_codes(g, Window{"chr1", 27, ""}, 5, codes), 2);
  EXPECT_EQ(codes_text(codes), "ATGNN");
  // Appends.
  EXPECT_EQ(window_codes(g, Window{"chr1", 0, ""}, 2, codes), 0);
  EXPECT_EQ(codes_text(codes), "ATGNNAC");
  // Any other letter is an error naming the genome and the position (1-based).
  write_text(tmp.file("bad.fa"), ">c\nACGTXA\n");
  const Genome bad(tmp.file("bad.fa"));
  codes.clear();
  EXPECT_THROW_MSG(window_codes(bad, Window{"c", 0, ""}, 6, codes), InputError,
                   tmp.file("bad.fa") + ": 'c':5: unexpected character in the sequence; expected one of ACGTN (any "
                   "case) or an IUPAC ambiguity code, got 'X'");
}

TEST(GenomeTest, ParsesCenterAndChromEnds) {
  Center c;
  ChromEnds e;
  EXPECT_TRUE(parse_center("summit", c));
  EXPECT_EQ(c, Center::Summit);
  EXPECT_FALSE(parse_center("peak", c));
  EXPECT_TRUE(parse_chrom_ends("shift", e));
  EXPECT_EQ(e, ChromEnds::Shift);
  EXPECT_FALSE(parse_chrom_ends("clip", e));
}

// Column 4 (the name) of a BED region is capped as FASTA names are: a 100,000-character name
// made a 413 MB archive ('ids' is a fixed-width string array).
TEST(GenomeTest, OverlongRegionNameIsAnInputError) {
  TempDir tmp;
  const std::string bed = tmp.file("r.bed");
  const std::string ok(kMaxFastaNameLength, 'n');
  write_text(bed, "chr1\t0\t5\t" + ok + "\n");
  EXPECT_EQ(read_regions(bed).at(0).name, ok);
  write_text(bed, "chr1\t0\t5\tp1\nchr1\t10\t20\t" + std::string(100000, 'x') + "\t0\t.\n");
  EXPECT_THROW_MSG(read_regions(bed), InputError,
                   bed + ":2: region name too long (column 4); expected at most 10000 characters, got 100000 ('" +
                       std::string(40, 'x') + "...')");
  // A control byte would not survive the archive's ids and the BED fields written back.
  write_text(bed, "chr1\t0\t5\tp\x01q\n");
  EXPECT_THROW_MSG(read_regions(bed), InputError,
                   bed + ":1: bad region name (column 4); expected one word without control characters, got " +
                       quote_token("p\x01q"));
}

// kGenome's index: chr1, 30 bases from byte 12 in lines of 15 bases (16 bytes); chr2, 12 from
// byte 50; the file has 63 bytes.
const char* const kGenomeFai = "chr1\t30\t12\t15\t16\nchr2\t12\t50\t12\t13\n";

std::string expected_stale(const std::string& fa) {
  return "expected an index of " + fa + " as it is now (remove " + fa + ".fai to have it rebuilt, or samtools faidx " +
         fa + ")";
}

// Every field of a .fai line is range-checked before any arithmetic on it: line lengths of 0
// made HTSlib divide by zero (SIGFPE in predict and attribute --genome). Neither file changes.
TEST(GenomeTest, IndexFieldsAreRangeCheckedBeforeUse) {
  TempDir tmp;
  const std::string fa = tmp.file("ref.fa"), fai = fa + ".fai";
  write_text(fa, kGenome);
  write_text(fai, kGenomeFai);
  EXPECT_EQ(Genome(fa).fetch("chr1", 13, 17), "GTTA");
  write_text(fai, "chr1\t30\t12\t15\t16\nchr2\t12\t50\t12\t12\n");  // one line: no line break needed
  EXPECT_EQ(Genome(fa).fetch("chr2", 0, 12), "acgtNNRYacgt");
  const auto expect_bad = [&](const std::string& index, const std::string& message) {
    write_text(fai, index);
    EXPECT_THROW_MSG(Genome{fa}, InputError, message);
    EXPECT_EQ(read_text(fai), index);
    EXPECT_EQ(read_text(fa), kGenome);
    EXPECT_EQ(list_dir(tmp.path()), (std::vector<std::string>{"ref.fa", "ref.fa.fai"}));
  };
  const std::string chr2 = "chr2\t12\t50\t12\t13\n";
  expect_bad("chr1\t30\t12\t0\t0\n" + chr2, fai + ":1: bad bases per line (column 4); expected an integer >= 1, got '0'");
  expect_bad("chr1\t30\t12\t15\t0\n" + chr2,
             fai + ":1: bad bytes per line (column 5); expected an integer >= 16 (the bases per line and the line "
                   "break), got '0'");
  expect_bad("chr1\t30\t12\t15\t15\n" + chr2,
             fai + ":1: bad bytes per line (column 5); expected an integer >= 16 (the bases per line and the line "
                   "break), got '15'");
  expect_bad("chr1\t-1\t12\t15\t16\n" + chr2,
             fai + ":1: bad sequence length (column 2); expected an integer in [0, 2147483647] (sequences are limited "
                   "to 2^31 - 1 bases), got '-1'");
  expect_bad("chr1\t99999999999999999999\t12\t15\t16\n" + chr2,
             fai + ":1: bad sequence length (column 2); expected an integer in [0, 2147483647] (sequences are limited "
                   "to 2^31 - 1 bases), got '99999999999999999999'");
  expect_bad("chr1\t30\tx\t15\t16\n" + chr2,
             fai + ":1: bad offset (column 3); expected a non-negative integer (the byte of the first base), got 'x'");
  expect_bad("chr1\t30\t9223372036854775807\t15\t16\n" + chr2,
             fai + ":1: sequence layout too large; expected offsets that fit a 64-bit file position, got offset "
                   "9223372036854775807 + 1 lines of 16 bytes");
  expect_bad("chr1\t30\t12\t15\t16\nchr2\t12\t60\t12\t13\n",
             fai + ":2: stale index (sequence 'chr2' ends past the end of " + fa + "); " + expected_stale(fa) +
                 ", got bytes [60, 72) of a 63-byte file");
  expect_bad("chr1\t30\t12\t15\n" + chr2,
             fai + ":1: bad index line; expected 5 tab-separated columns (name, length, offset, bases per line, bytes "
                   "per line), got 4");
  expect_bad("chr1\t30\t12\t15\t16\nchr1\t12\t50\t12\t13\n",
             fai + ":2: duplicate sequence name; expected unique names (first on line 1), got 'chr1'");
  expect_bad("\t30\t12\t15\t16\n" + chr2, fai + ":1: empty sequence name; expected a name in column 1, got ''");
  expect_bad("", fai + ": empty index; expected a line per sequence of " + fa + ", got none");
}

void set_mtime(const std::string& path, std::time_t sec) {
  const struct timespec t[2] = {{sec, 0}, {sec, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), t, 0), 0);
}

// A FASTA rewritten at another line width after it was indexed: refused, by its time and, with
// the times of a restored copy, by its layout. The index stays as it was (never rebuilt over).
TEST(GenomeTest, AStaleIndexIsRefusedNamingIt) {
  TempDir tmp;
  const std::string fa = tmp.file("ref.fa"), fai = fa + ".fai";
  write_text(fa, kGenome);
  EXPECT_EQ(Genome(fa).fetch("chr2", 0, 4), "acgt");
  ASSERT_EQ(read_text(fai), kGenomeFai);
  const std::string rewrapped = ">chr1 first\nACGTACGTAA\nCCGGTTAAGG\nCCTTAGCATG\n>chr2\nacgtNNRYacgt\n";
  write_text(fa, rewrapped);
  set_mtime(fai, 1700000000);
  set_mtime(fa, 1700000001);
  EXPECT_THROW_MSG(Genome{fa}, InputError,
                   fai + ": stale index (older than " + fa + ", which changed after it was indexed); " +
                       expected_stale(fa) + ", got an index older than its FASTA");
  set_mtime(fa, 1600000000);
  EXPECT_THROW_MSG(Genome{fa}, InputError,
                   fai + ":2: stale index (no header line '>chr2' right before sequence 'chr2' at byte 50 of " + fa +
                       "); " + expected_stale(fa) + ", got 'G\\n>chr2'");
  write_text(fa, std::string(kGenome) + ">chr3\nAC\n");  // a sequence added after indexing
  set_mtime(fa, 1600000000);
  EXPECT_THROW_MSG(Genome{fa}, InputError,
                   fai + ": stale index (" + fa + " goes on after its last indexed sequence); " + expected_stale(fa) +
                       ", got '\\n>chr3\\nAC\\n'");
  EXPECT_EQ(read_text(fai), kGenomeFai);
  EXPECT_EQ(list_dir(tmp.path()), (std::vector<std::string>{"ref.fa", "ref.fa.fai"}));
  // Removed, it is built again from the file as it is.
  std::filesystem::remove(fai);
  EXPECT_EQ(Genome(fa).fetch("chr3", 0, 2), "AC");
}

// An index whose lines fit the file's size and header lines but not its line breaks (16 bases
// a line where the file has 15): the read that meets a line break where a base belongs fails.
TEST(GenomeTest, AnIndexWhoseLinesMissTheFileFailsTheRead) {
  TempDir tmp;
  const std::string fa = tmp.file("ref.fa"), fai = fa + ".fai";
  write_text(fa, kGenome);
  write_text(fai, "chr1\t30\t12\t16\t17\nchr2\t12\t50\t12\t13\n");
  const Genome g(fa);
  EXPECT_EQ(g.fetch("chr1", 0, 15), "ACGTACGTAACCGGT");
  EXPECT_THROW_MSG(g.fetch("chr1", 10, 20), InputError,
                   fai + ":1: stale index (a line break at base 16 of 'chr1'); " + expected_stale(fa) +
                       ", got a line break at byte 27 of " + fa);
}

// HTSlib's indexer drops a NUL byte (shifting every later base of its line) and a sequence whose
// name it has seen: both are refused before indexing, naming the line, and no index is left.
// An index made elsewhere (samtools drops the duplicate) does not fit the file and is refused.
TEST(GenomeTest, NulBytesAndDuplicateNamesAreRefusedNamingTheLine) {
  TempDir tmp;
  const std::string fa = tmp.file("ref.fa");
  static const char kNul[] = ">chr1\nACGTA\nAC\0TA\nACG\n>chr2\nAC\n";
  write_text(fa, std::string(kNul, sizeof kNul - 1));
  EXPECT_THROW_MSG(Genome{fa}, InputError,
                   fa + ":3: unexpected byte in sequence 'chr1' at column 3; expected a letter (faidx would skip this "
                        "byte and shift every later base of the line), got byte 0x00");
  EXPECT_EQ(list_dir(tmp.path()), (std::vector<std::string>{"ref.fa"}));
  write_text(fa, ">chr1\nACGT\n>chr2\nAC\n>chr1 again\nGG\n");
  EXPECT_THROW_MSG(Genome{fa}, InputError,
                   fa + ":5: duplicate sequence name; expected unique names (first seen on line 1), got 'chr1'");
  EXPECT_EQ(list_dir(tmp.path()), (std::vector<std::string>{"ref.fa"}));
  const auto r = run_command("samtools faidx " + fa);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(read_text(fa + ".fai"), "chr1\t4\t6\t4\t5\nchr2\t2\t17\t2\t3\n");
  EXPECT_THROW_MSG(Genome{fa}, InputError,
                   fa + ".fai: stale index (" + fa + " goes on after its last indexed sequence); " + expected_stale(fa) +
                       ", got '\\n>chr1 again\\nGG\\n'");
}

}  // namespace
}  // namespace lb::io
