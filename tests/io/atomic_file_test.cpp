// Tests for io/atomic_file: temporary names, commit, cleanup, output directories.
#include "io/atomic_file.h"

#include <filesystem>

#include "core/error.h"
#include "testing/helpers.h"

namespace lb::io {
namespace {

using lb::testing::list_dir;
using lb::testing::read_text;
using lb::testing::TempDir;
using lb::testing::write_text;

TEST(AtomicFileTest, TempPathIsHiddenInTheSameDirectory) {
  TempDir dir;
  AtomicFile f(dir.file("out.txt"));
  EXPECT_EQ(f.temp_path().rfind(dir.path() + "/.out.txt.tmp.", 0), 0u) << f.temp_path();
  EXPECT_TRUE(std::filesystem::exists(f.temp_path()));
  EXPECT_NE(temp_path_for("a.txt"), temp_path_for("a.txt"));
  EXPECT_EQ(temp_path_for("a.txt").rfind(".a.txt.tmp.", 0), 0u);
}

TEST(AtomicFileTest, DestroyWithoutCommitLeavesNoFile) {
  TempDir dir;
  {
    AtomicFile f(dir.file("out.txt"));
    f.write("partial");
  }
  EXPECT_EQ(list_dir(dir.path()), std::vector<std::string>{});
}

TEST(AtomicFileTest, ExceptionBeforeCommitLeavesNoFile) {
  TempDir dir;
  try {
    AtomicFile f(dir.file("out.txt"));
    f.write("partial");
    throw std::runtime_error("boom");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(list_dir(dir.path()), std::vector<std::string>{});
}

TEST(AtomicFileTest, CommitRenamesIntoPlace) {
  TempDir dir;
  AtomicFile f(dir.file("out.txt"));
  f.write("hello ");
  f.write("world\n");
  EXPECT_FALSE(std::filesystem::exists(dir.file("out.txt")));
  f.commit();
  EXPECT_EQ(read_text(dir.file("out.txt")), "hello world\n");
  EXPECT_EQ(list_dir(dir.path()), std::vector<std::string>{"out.txt"});
}

TEST(AtomicFileTest, CloseStreamThenWriteByNameThenCommit) {
  TempDir dir;
  AtomicFile f(dir.file("out.bin"));
  f.close_stream();
  write_text(f.temp_path(), "by name");
  f.commit();
  EXPECT_EQ(read_text(dir.file("out.bin")), "by name");
  EXPECT_EQ(list_dir(dir.path()), std::vector<std::string>{"out.bin"});
}

TEST(AtomicFileTest, WriteFileAtomicReplacesExistingFile) {
  TempDir dir;
  write_text(dir.file("a.txt"), "old");
  write_file_atomic(dir.file("a.txt"), "new");
  EXPECT_EQ(read_text(dir.file("a.txt")), "new");
  EXPECT_EQ(list_dir(dir.path()), std::vector<std::string>{"a.txt"});
}

TEST(AtomicFileTest, MissingDirectoryThrowsIoError) {
  TempDir dir;
  const std::string path = dir.file("nope/out.txt");
  EXPECT_THROW_MSG(AtomicFile f(path), IoError, path + ": cannot create: No such file or directory");
}

TEST(AtomicFileTest, EnsureOutputDirCreatesParents) {
  TempDir dir;
  const std::string out = dir.file("a/b/c");
  ensure_output_dir(out);
  EXPECT_TRUE(std::filesystem::is_directory(out));
  ensure_output_dir(out);  // existing directory: fine
}

TEST(AtomicFileTest, EnsureOutputDirUnderAFileThrows) {
  // chmod does not stop root (the tests may run as root): a regular file in the path does.
  TempDir dir;
  write_text(dir.file("afile"), "x");
  EXPECT_THROW_MSG(ensure_output_dir(dir.file("afile/sub")), IoError,
                   dir.file("afile/sub") + ": cannot create output directory: Not a directory");
  EXPECT_THROW_MSG(ensure_output_dir(dir.file("afile")), IoError,
                   dir.file("afile") + ": cannot create output directory: Not a directory");
}

TEST(AtomicFileTest, ReadFileReadsAndReportsMissingFile) {
  TempDir dir;
  write_text(dir.file("a.txt"), std::string("a\0b", 3));
  EXPECT_EQ(read_file(dir.file("a.txt")), std::string("a\0b", 3));
  EXPECT_THROW_MSG(read_file(dir.file("missing")), IoError,
                   dir.file("missing") + ": cannot open: No such file or directory");
}

TEST(AtomicFileTest, RenameFileFailureNamesBoth) {
  TempDir dir;
  EXPECT_THROW_MSG(rename_file(dir.file("x"), dir.file("y")), IoError,
                   dir.file("y") + ": cannot replace (renaming " + dir.file("x") + " into place): No such file or directory");
}

}  // namespace
}  // namespace lb::io
