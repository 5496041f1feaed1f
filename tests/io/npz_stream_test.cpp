// Tests for io/npz_stream: members appended in chunks read back equal (libzip here, numpy and
// Python's zipfile with its CRC check in a second test), and an unfinished writer leaves nothing;
// and io/npz_map: the members of streamed, libzip-written and numpy-written archives in place,
// and the messages for a deflated member and a file that is not a zip.
#include "io/npz_stream.h"

#include "io/npz_map.h"

#include <numeric>

#include <fmt/format.h>
#include <zlib.h>

#include "core/error.h"
#include "io/npz.h"
#include "testing/helpers.h"

namespace lb::io {
namespace {

using lb::testing::list_dir;
using lb::testing::run_command;
using lb::testing::TempDir;

// Three members: floats (N, 2, 3), int64 (N), strings (N); filled in chunks of `chunk` rows.
NpzArchive expected_arrays(std::int64_t n) {
  std::vector<float> f(static_cast<std::size_t>(n * 6));
  for (std::size_t i = 0; i < f.size(); ++i) f[i] = static_cast<float>(i) * 0.5f - 3.0f;
  std::vector<std::int64_t> k(static_cast<std::size_t>(n));
  std::iota(k.begin(), k.end(), -5);
  std::vector<std::string> s;
  for (std::int64_t i = 0; i < n; ++i) s.push_back("id" + std::to_string(i * i));
  return {{"scores", NpyArray::from_f32({n, 2, 3}, f)},
          {"start", NpyArray::from_i64({n}, k)},
          {"ids", NpyArray::from_strings({n}, s)}};
}

void write_streamed(const std::string& path, const NpzArchive& want, std::int64_t n, std::int64_t chunk) {
  std::vector<NpzStreamWriter::Member> members;
  for (const auto& [name, a] : want) members.push_back({name, a.dtype, a.shape});
  NpzStreamWriter w(path, members);
  ASSERT_EQ(w.n_members(), 3u);
  EXPECT_EQ(w.index("ids"), 2u);
  for (std::int64_t first = 0; first < n; first += chunk) {
    const std::int64_t rows = std::min(chunk, n - first);
    for (std::size_t m = 0; m < want.size(); ++m) {
      const NpyArray& a = want[m].second;
      const std::size_t row_bytes = n ? a.bytes.size() / static_cast<std::size_t>(n) : 0;
      w.append(m, std::string_view(a.bytes.data() + first * row_bytes, static_cast<std::size_t>(rows) * row_bytes));
    }
  }
  w.finish();
}

TEST(NpzStreamTest, ChunksReadBackEqualToTheWholeArrays) {
  TempDir tmp;
  for (const std::int64_t chunk : {1, 3, 7, 50}) {
    const std::int64_t n = 17;
    const NpzArchive want = expected_arrays(n);
    const std::string path = tmp.file("s" + std::to_string(chunk) + ".npz");
    write_streamed(path, want, n, chunk);
    const NpzArchive got = read_npz(path);
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t m = 0; m < want.size(); ++m) {
      EXPECT_EQ(got[m].first, want[m].first);
      EXPECT_EQ(got[m].second.dtype, want[m].second.dtype);
      EXPECT_EQ(got[m].second.shape, want[m].second.shape);
      EXPECT_EQ(got[m].second.bytes, want[m].second.bytes) << want[m].first << " chunk " << chunk;
    }
    // The same bytes whatever the chunk size.
    EXPECT_EQ(lb::testing::read_text(path), lb::testing::read_text(tmp.file("s1.npz")));
  }
  // No temporary left beside the outputs.
  EXPECT_EQ(list_dir(tmp.path()), (std::vector<std::string>{"s1.npz", "s3.npz", "s50.npz", "s7.npz"}));
}

TEST(NpzStreamTest, NumpyAndZipfileReadIt) {
  TempDir tmp;
  const std::int64_t n = 9;
  const NpzArchive want = expected_arrays(n);
  const std::string path = tmp.file("s.npz");
  write_streamed(path, want, n, 4);
  const std::string py =
      "import sys, zipfile, numpy as np\n"
      "z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None, 'bad CRC'\n"
      "a = np.load(sys.argv[1])\n"
      "assert a['scores'].shape == (9, 2, 3) and a['scores'].dtype == np.float32\n"
      "assert np.array_equal(a['scores'].ravel(), np.arange(54, dtype=np.float32) * 0.5 - 3)\n"
      "assert list(a['start']) == list(range(-5, 4))\n"
      "assert list(a['ids']) == ['id%d' % (i * i) for i in range(9)]\n"
      "print(sorted(a.files))\n";
  lb::testing::write_text(tmp.file("check.py"), py);
  const auto r = run_command("/usr/bin/python3 " + tmp.file("check.py") + " " + path);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "['ids', 'scores', 'start']\n");
}

TEST(NpzStreamTest, UnfinishedWriterLeavesNoFile) {
  TempDir tmp;
  {
    NpzStreamWriter w(tmp.file("s.npz"), {{"a", "<f4", {4}}});
    const float v[2] = {1, 2};
    w.append(0, std::string_view(reinterpret_cast<const char*>(v), sizeof v));
    EXPECT_EQ(list_dir(tmp.path()).size(), 1u);  // the hidden temporary
    EXPECT_EQ(list_dir(tmp.path())[0].rfind(".s.npz.tmp.", 0), 0u);
  }
  EXPECT_TRUE(list_dir(tmp.path()).empty());
  EXPECT_THROW(NpzStreamWriter(tmp.file("missing/s.npz"), {{"a", "<f4", {1}}}), IoError);
}

// The mapped members equal read_npz's: streamed (zip64), write_npz (libzip) and numpy.savez.
TEST(NpzMapTest, MembersInPlaceEqualReadNpz) {
  TempDir tmp;
  const std::int64_t n = 11;
  const NpzArchive want = expected_arrays(n);
  write_streamed(tmp.file("s.npz"), want, n, 4);
  write_npz(tmp.file("l.npz"), want);
  const auto py = run_command("/usr/bin/python3 -c \"import sys, numpy as np; np.savez(sys.argv[1], "
                              "a=np.arange(6, dtype='<f4').reshape(2, 3), ids=np.array(['x', 'yz']))\" " +
                              tmp.file("n.npz"));
  ASSERT_EQ(py.exit_code, 0) << py.err;
  for (const std::string f : {"s.npz", "l.npz", "n.npz"}) {
    const NpzArchive a = read_npz(tmp.file(f));
    const NpzMap map(tmp.file(f));
    ASSERT_EQ(map.members().size(), a.size()) << f;
    for (std::size_t m = 0; m < a.size(); ++m) {
      const auto& got = map.members()[m];
      EXPECT_EQ(got.name, a[m].first) << f;
      EXPECT_EQ(got.dtype, a[m].second.dtype) << f;
      EXPECT_EQ(got.shape, a[m].second.shape) << f;
      EXPECT_EQ(std::string(got.data, got.bytes), std::string(a[m].second.bytes.begin(), a[m].second.bytes.end())) << f;
      EXPECT_EQ(map.find(got.name), &got);
    }
  }
  const NpzMap map(tmp.file("n.npz"));
  EXPECT_EQ(map.find("b"), nullptr);
  EXPECT_THROW_MSG(map.get("b", "an array b"), InputError,
                   tmp.file("n.npz") + ": missing array 'b'; expected an array b, got an archive without it");
}

TEST(NpzMapTest, DeflatedOrNotZipIsAnError) {
  TempDir tmp;
  write_npz(tmp.file("c.npz"), expected_arrays(3), true);
  EXPECT_THROW_MSG(NpzMap{tmp.file("c.npz")}, InputError,
                   tmp.file("c.npz") + ": member 'scores.npy' is compressed; expected a stored archive (written without "
                                       "--compress), got compression method 8");
  lb::testing::write_text(tmp.file("t.npz"), std::string(100, 'x'));
  EXPECT_THROW_MSG(NpzMap{tmp.file("t.npz")}, InputError,
                   tmp.file("t.npz") + ": not a readable zip archive (no end of central directory); expected an .npz "
                                       "written by numpy or liftbench, got a file that is not one");
  EXPECT_THROW(NpzMap{tmp.file("none.npz")}, IoError);
}

// A flipped bit in a member fails the CRC-32 of the zip directory, naming the file and member,
// in a streamed (zip64), a libzip-written and a numpy-written archive alike: merge and tracks
// read through the map and would otherwise write the bit out under a fresh, valid CRC.
TEST(NpzMapTest, AFlippedBitFailsTheCrcCheck) {
  TempDir tmp;
  const std::int64_t n = 11;
  const NpzArchive want = expected_arrays(n);
  write_streamed(tmp.file("s.npz"), want, n, 4);
  write_npz(tmp.file("l.npz"), want);
  const auto crc = [](const std::string& b) {
    return fmt::format("0x{:08x}", ::crc32(0, reinterpret_cast<const Bytef*>(b.data()), static_cast<uInt>(b.size())));
  };
  const NpyArray& start = want[1].second;
  const std::string member = npy_header(start.dtype, start.shape) + std::string(start.bytes.begin(), start.bytes.end());
  std::string flipped = member;
  flipped[member.size() - 9] ^= 0x10;  // a bit of the last-but-one value of 'start'
  for (const std::string f : {"s.npz", "l.npz"}) {
    const std::string path = tmp.file(f);
    std::string bytes = lb::testing::read_text(path);
    const std::size_t at = bytes.find(member);
    ASSERT_NE(at, std::string::npos) << f;
    bytes.replace(at, member.size(), flipped);
    lb::testing::write_text(path, bytes);
    EXPECT_THROW_MSG(NpzMap{path}, InputError,
                     path + ": member 'start.npy': CRC-32 mismatch (the file is corrupt); expected " + crc(member) +
                         " (the zip directory's), got " + crc(flipped));
  }
}

}  // namespace
}  // namespace lb::io
