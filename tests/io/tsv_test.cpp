// Tests for io/tsv: round trip, gzip input, column lookup, field-count errors.
#include "io/tsv.h"

#include "core/error.h"
#include "io/gzip_util.h"
#include "testing/helpers.h"

namespace lb::io {
namespace {

using lb::testing::read_text;
using lb::testing::TempDir;
using lb::testing::write_text;

const std::vector<std::string> kHeader = {"id", "split", "class"};
const std::vector<std::vector<std::string>> kRows = {{"seq0", "train", "both"}, {"seq1", "test", ""}};

TEST(TsvTest, FormatsHeaderAndRows) {
  EXPECT_EQ(format_tsv(kHeader, kRows), "id\tsplit\tclass\nseq0\ttrain\tboth\nseq1\ttest\t\n");
}

TEST(TsvTest, RoundTrip) {
  TempDir dir;
  write_tsv(dir.file("a.tsv"), kHeader, kRows);
  const TsvTable t = read_tsv(dir.file("a.tsv"));
  EXPECT_EQ(t.header, kHeader);
  EXPECT_EQ(t.rows, kRows);
  EXPECT_EQ(t.lines, (std::vector<long>{2, 3}));
  EXPECT_EQ(t.column("class", dir.file("a.tsv")), 2);
  EXPECT_EQ(lb::testing::list_dir(dir.path()), std::vector<std::string>{"a.tsv"});
}

TEST(TsvTest, ReadsGzip) {
  TempDir dir;
  lb::testing::write_gzip(dir.file("a.tsv.gz"), format_tsv(kHeader, kRows));
  EXPECT_EQ(read_tsv(dir.file("a.tsv.gz")).rows, kRows);
}

TEST(TsvTest, MissingColumnNamesTheHeader) {
  TempDir dir;
  write_tsv(dir.file("a.tsv"), kHeader, kRows);
  EXPECT_THROW_MSG(read_tsv(dir.file("a.tsv")).column("n_tal", dir.file("a.tsv")), InputError,
                   dir.file("a.tsv") + ": missing column 'n_tal'; expected a header with 'n_tal', got 'id split class'");
}

TEST(TsvTest, WrongFieldCountNamesTheLine) {
  TempDir dir;
  write_text(dir.file("a.tsv"), "id\tsplit\tclass\nseq0\ttrain\tboth\nseq1\ttest\n");
  EXPECT_THROW_MSG(read_tsv(dir.file("a.tsv")), InputError,
                   dir.file("a.tsv") + ":3: wrong number of fields; expected 3, got 2");
  write_text(dir.file("b.tsv"), "id\tsplit\nseq0\ttrain\textra\n");
  EXPECT_THROW_MSG(read_tsv(dir.file("b.tsv")), InputError,
                   dir.file("b.tsv") + ":2: wrong number of fields; expected 2, got 3");
}

TEST(TsvTest, EmptyAndMissingFiles) {
  TempDir dir;
  write_text(dir.file("e.tsv"), "");
  EXPECT_THROW_MSG(read_tsv(dir.file("e.tsv")), InputError,
                   dir.file("e.tsv") + ":1: missing header; expected a tab-separated header line, got an empty file");
  EXPECT_THROW_MSG(read_tsv(dir.file("m.tsv")), IoError, dir.file("m.tsv") + ": cannot open: No such file or directory");
}

}  // namespace
}  // namespace lb::io
