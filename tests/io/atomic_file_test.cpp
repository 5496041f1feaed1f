// Tests for io/atomic_file: temporary names, commit, cleanup, output directories.
#include "io/atomic_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

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
  AtomicFile g(dir.file("out.txt"));
  EXPECT_NE(f.temp_path(), g.temp_path());
  EXPECT_EQ(f.temp_path().rfind(temp_prefix_for(dir.file("out.txt")), 0), 0u);
  EXPECT_EQ(temp_prefix_for("a.txt"), fmt::format(".a.txt.tmp.{}.", static_cast<long>(::getpid())));
}

// The temporary was `.<base>.tmp.<pid>.<counter>`, predictable; a symlink
// planted there made AtomicFile fail ("cannot create: File exists") and made the writers
// that reopen the name (HTSlib, see FastaTest.PlantedSymlinksAtOldTemporaryNamesAreNotFollowed)
// write through it. Now the name is random (mkstemp), so the planted names are left alone.
TEST(AtomicFileTest, PlantedSymlinksAtPredictableNamesDoNotStopOrRedirectTheWrite) {
  TempDir dir;
  write_text(dir.file("victim"), "precious");
  const std::string prefix = temp_prefix_for(dir.file("out.txt"));
  for (int i = 0; i < 1000; ++i)
    std::filesystem::create_symlink(dir.file("victim"), prefix + std::to_string(i));
  write_file_atomic(dir.file("out.txt"), "new");
  EXPECT_EQ(read_text(dir.file("out.txt")), "new");
  EXPECT_EQ(read_text(dir.file("victim")), "precious");
  EXPECT_TRUE(std::filesystem::is_symlink(prefix + "0"));  // a live process's names: not ours to remove
}

// A killed run's temporaries stayed forever (failed before: all still there).
// Those of a process that is gone are removed by the next write of the same output; a live
// writer's (this process) and other outputs' are not.
TEST(AtomicFileTest, StaleTemporariesOfADeadRunAreRemovedByTheNextWrite) {
  TempDir dir;
  // 999999999 is above any Linux pid_max (at most 2^22): no such process.
  const std::string dead = dir.file(".out.txt.tmp.999999999.");
  const std::string live = temp_prefix_for(dir.file("out.txt")) + "Ab12Cd";
  for (const std::string& p : {dead + "Ab12Cd", dead + "7", dead + "Ab12Cd.Ef34Gh", live,
                               dir.file(".other.txt.tmp.999999999.Ab12Cd"), dir.file(".out.txt.tmp.999999999.x.y.z")})
    write_text(p, "left over");
  std::filesystem::create_symlink(dir.file("victim"), dead + "Zz99Zz");
  write_text(dir.file("victim"), "precious");
  write_file_atomic(dir.file("out.txt"), "new");
  std::vector<std::string> kept{".other.txt.tmp.999999999.Ab12Cd", ".out.txt.tmp.999999999.x.y.z",
                                 std::filesystem::path(live).filename().string(), "out.txt", "victim"};
  std::sort(kept.begin(), kept.end());
  EXPECT_EQ(list_dir(dir.path()), kept);
  EXPECT_EQ(read_text(dir.file("victim")), "precious");
}

// mkstemp creates 0600; an output is still created as open(..., 0666) would be under the umask.
TEST(AtomicFileTest, OutputHasTheUsualPermissions) {
  TempDir dir;
  const mode_t mask = ::umask(0);
  ::umask(mask);
  write_file_atomic(dir.file("a.txt"), "x");
  const auto perms = std::filesystem::status(dir.file("a.txt")).permissions();
  EXPECT_EQ(static_cast<unsigned>(perms) & 0777u, 0666u & ~static_cast<unsigned>(mask)) << "umask " << mask;
}

// A device, FIFO or socket at the output name is refused before anything is written: the rename
// would replace it (as root, `-o /dev/null` would replace /dev/null). Checked on a FIFO, which the
// test can make and remove safely.
TEST(AtomicFileTest, ANonRegularFileIsNotReplaced) {
  TempDir d;
  const std::string fifo = d.file("pipe");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_THROW_MSG(write_file_atomic(fifo, "x"), IoError,
                   fifo + ": not a regular file; expected a file to write or a new name, got a FIFO");
  struct stat st {};
  ASSERT_EQ(::stat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(lb::testing::list_dir(d.path()), std::vector<std::string>{"pipe"});  // no temporary left
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
