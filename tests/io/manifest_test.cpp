// Tests for io/manifest: MD5s against known digests, the written table, and each refusal's text.
#include "io/manifest.h"

#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/error.h"
#include "testing/helpers.h"

namespace lb::io {
namespace {

using lb::testing::read_text;
using lb::testing::TempDir;
using lb::testing::write_text;

// RFC 1321's test suite: MD5("") and MD5("abc").
TEST(ManifestTest, Md5OfKnownInputs) {
  TempDir tmp;
  write_text(tmp.file("empty"), "");
  write_text(tmp.file("abc"), "abc");
  EXPECT_EQ(file_md5(tmp.file("empty")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(file_md5(tmp.file("abc")), "900150983cd24fb0d6963f7d28e17f72");
  // Longer than the read buffer (1 MiB): the digest of 'a' x 2^21 is that of its two halves fed in turn.
  write_text(tmp.file("big"), std::string(std::size_t{1} << 21, 'a'));
  EXPECT_EQ(file_md5(tmp.file("big")).size(), 32u);
  EXPECT_NE(file_md5(tmp.file("big")), file_md5(tmp.file("abc")));
  EXPECT_THROW(file_md5(tmp.file("none")), IoError);
}

TEST(ManifestTest, WritesOneRowPerFileAndVerifies) {
  TempDir tmp;
  std::filesystem::create_directories(tmp.file("d/sub"));
  write_text(tmp.file("d/a.txt"), "abc");
  write_text(tmp.file("d/sub/b.txt"), "");
  write_manifest(tmp.file("d/m.tsv"), std::vector<std::string>{"a.txt", "sub/b.txt"});
  EXPECT_EQ(read_text(tmp.file("d/m.tsv")),
            "file\tbytes\tmd5\n"
            "a.txt\t3\t900150983cd24fb0d6963f7d28e17f72\n"
            "sub/b.txt\t0\td41d8cd98f00b204e9800998ecf8427e\n");
  EXPECT_NO_THROW(verify_manifest(tmp.file("d/m.tsv"), "liftbench x"));
  // Same size, other bytes: the checksum tells.
  write_text(tmp.file("d/a.txt"), "abd");
  const std::string m = tmp.file("d/m.tsv");
  EXPECT_THROW_MSG(verify_manifest(m, "liftbench x"), InputError,
                   m + ":2: 'a.txt' does not match; expected 3 bytes with md5 900150983cd24fb0d6963f7d28e17f72, got 3 "
                       "bytes with md5 " + file_md5(tmp.file("d/a.txt")) + " (changed or half replaced after " + m +
                       " was written: rerun liftbench x)");
  write_text(tmp.file("d/a.txt"), "abcd");
  EXPECT_THROW_MSG(verify_manifest(m, "liftbench x"), InputError,
                   m + ":2: 'a.txt' does not match; expected 3 bytes with md5 900150983cd24fb0d6963f7d28e17f72, got 4 "
                       "bytes (changed or half replaced after " + m + " was written: rerun liftbench x)");
  write_text(tmp.file("d/a.txt"), "abc");
  std::filesystem::remove(tmp.file("d/sub/b.txt"));
  EXPECT_THROW_MSG(verify_manifest(m, "liftbench x"), InputError,
                   m + ":3: 'sub/b.txt' is missing; expected 0 bytes, got no file (changed or half replaced after " + m +
                       " was written: rerun liftbench x)");
}

TEST(ManifestTest, MissingOrMalformedManifestsAreRefused) {
  TempDir tmp;
  const std::string m = tmp.file("m.tsv");
  EXPECT_THROW_MSG(verify_manifest(m, "liftbench simulate"), InputError,
                   m + ": missing; expected the manifest written last by liftbench simulate, got no file (an "
                       "interrupted run, or a directory written before manifests: rerun liftbench simulate)");
  write_text(m, "name\tsize\n");
  EXPECT_THROW_MSG(verify_manifest(m, "liftbench simulate"), InputError,
                   m + ":1: wrong header; expected 'file bytes md5', got 'name size'");
  write_text(m, "file\tbytes\tmd5\n");
  EXPECT_THROW_MSG(verify_manifest(m, "liftbench simulate"), InputError,
                   m + ":2: no files; expected a row per file of the output, got a header only");
  // Rows must stay inside the directory and carry a count and a 32-digit lowercase checksum.
  for (const std::string bad : {"../x\t3\t900150983cd24fb0d6963f7d28e17f72", "/etc/passwd\t3\t900150983cd24fb0d6963f7d28e17f72",
                                "a\t-3\t900150983cd24fb0d6963f7d28e17f72", "a\t3\t900150983CD24FB0D6963F7D28E17F72",
                                "a\t3\t9001"}) {
    SCOPED_TRACE(bad);
    write_text(m, "file\tbytes\tmd5\n" + bad + "\n");
    std::string shown = bad;
    for (auto& c : shown)
      if (c == '\t') c = ' ';
    EXPECT_THROW_MSG(verify_manifest(m, "liftbench simulate"), InputError,
                     m + ":2: bad row; expected a relative path, a byte count and 32 hex digits, got '" + shown + "'");
  }
}

}  // namespace
}  // namespace lb::io
