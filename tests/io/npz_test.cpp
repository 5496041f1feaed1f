// Tests for io/npz: .npy encoding, .npz round trips of every dtype, corrupt inputs with exact
// messages, and interoperability with numpy (skipped when no python3 with numpy is found).
#include "io/npz.h"

#include <zlib.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>

#include "core/error.h"
#include "testing/helpers.h"

namespace lb::io {
namespace {

using lb::testing::list_dir;
using lb::testing::read_text;
using lb::testing::run_command;
using lb::testing::TempDir;
using lb::testing::write_text;

// --- helpers ---

void put_le(std::string& s, std::uint64_t v, int bytes) {
  for (int k = 0; k < bytes; ++k) s += static_cast<char>((v >> (8 * k)) & 0xff);
}

// A .npy member by hand: magic, version, header length, header text (unpadded), data.
std::string raw_npy(const std::string& header, const std::string& data, int major = 1) {
  std::string s = "\x93NUMPY";
  s += static_cast<char>(major);
  s += '\0';
  put_le(s, header.size(), major == 1 ? 2 : 4);
  return s + header + data;
}

// A stored (uncompressed) zip written by hand, independent of libzip: local headers, central
// directory, end record (APPNOTE 4.3). Members are (name, bytes).
std::string raw_zip(const std::vector<std::pair<std::string, std::string>>& members) {
  std::string out, central;
  for (const auto& [name, data] : members) {
    const auto crc = ::crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size()));
    const auto offset = out.size();
    std::string common;  // version needed .. extra length, shared by both headers
    put_le(common, 20, 2);
    put_le(common, 0, 2);     // flags
    put_le(common, 0, 2);     // stored
    put_le(common, 0, 2);     // time
    put_le(common, 0x21, 2);  // date 1980-01-01
    put_le(common, crc, 4);
    put_le(common, data.size(), 4);
    put_le(common, data.size(), 4);
    put_le(common, name.size(), 2);
    put_le(common, 0, 2);
    put_le(out, 0x04034b50, 4);
    out += common + name + data;
    put_le(central, 0x02014b50, 4);
    put_le(central, 20, 2);  // version made by
    central += common;
    put_le(central, 0, 2);  // comment length
    put_le(central, 0, 2);  // disk
    put_le(central, 0, 2);  // internal attributes
    put_le(central, 0, 4);  // external attributes
    put_le(central, offset, 4);
    central += name;
  }
  const auto cd_offset = out.size();
  out += central;
  put_le(out, 0x06054b50, 4);
  put_le(out, 0, 2);
  put_le(out, 0, 2);
  put_le(out, members.size(), 2);
  put_le(out, members.size(), 2);
  put_le(out, central.size(), 4);
  put_le(out, cd_offset, 4);
  put_le(out, 0, 2);
  return out;
}

// A zip with one deflated member whose headers declare `declared_size` uncompressed bytes
// (the CRC is that of the real data), written by hand like raw_zip.
std::string raw_zip_deflated(const std::string& name, const std::string& data, std::uint64_t declared_size) {
  std::string comp(compressBound(static_cast<uLong>(data.size())) + 64, '\0');
  z_stream zs{};
  deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);  // raw deflate, as zip stores it
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(comp.data());
  zs.avail_out = static_cast<uInt>(comp.size());
  deflate(&zs, Z_FINISH);
  comp.resize(zs.total_out);
  deflateEnd(&zs);
  const auto crc = ::crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size()));
  std::string out, common;
  put_le(common, 20, 2);
  put_le(common, 0, 2);
  put_le(common, 8, 2);  // deflated
  put_le(common, 0, 2);
  put_le(common, 0x21, 2);
  put_le(common, crc, 4);
  put_le(common, comp.size(), 4);
  put_le(common, declared_size, 4);
  put_le(common, name.size(), 2);
  put_le(common, 0, 2);
  put_le(out, 0x04034b50, 4);
  out += common + name + comp;
  std::string central;
  put_le(central, 0x02014b50, 4);
  put_le(central, 20, 2);
  central += common;
  put_le(central, 0, 2);
  put_le(central, 0, 2);
  put_le(central, 0, 2);
  put_le(central, 0, 4);
  put_le(central, 0, 4);
  central += name;
  const auto cd_offset = out.size();
  out += central;
  put_le(out, 0x06054b50, 4);
  put_le(out, 0, 2);
  put_le(out, 0, 2);
  put_le(out, 1, 2);
  put_le(out, 1, 2);
  put_le(out, central.size(), 4);
  put_le(out, cd_offset, 4);
  put_le(out, 0, 2);
  return out;
}

template <class T>
NpyArray raw_array(const std::string& dtype, std::vector<std::int64_t> shape, const std::vector<T>& v) {
  NpyArray a{dtype, std::move(shape), std::vector<char>(v.size() * sizeof(T))};
  if (!v.empty()) std::memcpy(a.bytes.data(), v.data(), a.bytes.size());
  return a;
}

void expect_same(const NpzArchive& got, const NpzArchive& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].first, want[i].first);
    EXPECT_EQ(got[i].second.dtype, want[i].second.dtype) << want[i].first;
    EXPECT_EQ(got[i].second.shape, want[i].second.shape) << want[i].first;
    EXPECT_EQ(got[i].second.bytes, want[i].second.bytes) << want[i].first;
  }
}

NpzArchive every_dtype() {
  const std::vector<float> f4 = {0.5f, -1.25f, 3.0f, std::numeric_limits<float>::infinity(), -0.0f, 1e-40f};
  const std::vector<double> f8 = {1.0 / 3.0, -2.5e300};
  const std::vector<std::int64_t> i8 = {std::numeric_limits<std::int64_t>::min(), -1, 0, 42};
  const std::vector<std::string> strs = {"conv1", "fc2.weight", ""};
  NpzArchive a;
  a.emplace_back("f4", NpyArray::from_f32({2, 3}, f4));
  a.emplace_back("f8", NpyArray::from_f64({2}, f8));
  a.emplace_back("i4", raw_array<std::int32_t>("<i4", {2, 1, 2}, {-7, 0, 2147483647, -2147483647 - 1}));
  a.emplace_back("i8", NpyArray::from_i64({4}, i8));
  a.emplace_back("u1", raw_array<std::uint8_t>("|u1", {3}, {0, 128, 255}));
  a.emplace_back("b1", raw_array<std::uint8_t>("|b1", {2, 2}, {1, 0, 0, 1}));
  a.emplace_back("strings", NpyArray::from_strings({3}, strs));
  a.emplace_back("architecture", NpyArray::from_string("Input(4x200)\nConv1d(in=4, out=50, kernel=11, stride=1)"));
  a.emplace_back("empty", NpyArray::from_f32({0, 3}, {}));
  a.emplace_back("empty_strings", NpyArray::from_strings({0}, {}));
  a.emplace_back("scalar", NpyArray::from_f64({}, std::vector<double>{2.5}));
  return a;
}

// A python3 that has numpy: the first of `python3` and `/usr/bin/python3` that imports it
// (pyenv or a venv may shadow Debian's python3-numpy); empty when there is none.
std::string numpy_python() {
  for (const std::string py : {"python3", "/usr/bin/python3"})
    if (run_command(py + " -c 'import numpy'").exit_code == 0) return py;
  return "";
}

// --- .npy ---

TEST(NpzTest, ShapeStrIsNumpysCompactForm) {
  EXPECT_EQ((NpyArray{"<f4", {50, 4, 11}, {}}).shape_str(), "(50,4,11)");
  EXPECT_EQ((NpyArray{"<f4", {3}, {}}).shape_str(), "(3,)");
  EXPECT_EQ((NpyArray{"<f4", {}, {}}).shape_str(), "()");
  EXPECT_EQ((NpyArray{"<f4", {2, 0}, {}}).size(), 0);
  EXPECT_EQ((NpyArray{"<f4", {}, {}}).size(), 1);
}

TEST(NpzTest, EncodeWritesVersion1HeaderAlignedTo64) {
  const std::vector<float> v = {1, 2, 3, 4, 5, 6};
  const std::string npy = encode_npy(NpyArray::from_f32({2, 3}, v));
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  // 10 + 59 dict bytes + '\n' do not fit in 64: the header is padded to 128, as numpy does
  ASSERT_EQ(npy.size(), 128u + 24u);
  EXPECT_EQ(npy.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  EXPECT_EQ(static_cast<unsigned char>(npy[8]) | (static_cast<unsigned char>(npy[9]) << 8), 128 - 10);
  EXPECT_EQ(npy.substr(10, dict.size()), dict);
  EXPECT_EQ(npy.substr(10 + dict.size(), 128 - 11 - dict.size()), std::string(128 - 11 - dict.size(), ' '));
  EXPECT_EQ(npy[127], '\n');
  EXPECT_EQ(std::memcmp(npy.data() + 128, v.data(), 24), 0);
  // 1-d and 0-d shapes are Python tuples
  EXPECT_NE(encode_npy(NpyArray::from_f32({3}, std::vector<float>{1, 2, 3})).find("'shape': (3,), }"), std::string::npos);
  EXPECT_NE(encode_npy(NpyArray::from_string("x")).find("{'descr': '<U1', 'fortran_order': False, 'shape': (), }"),
            std::string::npos);
}

TEST(NpzTest, DecodeReadsVersions2And3AndLooseHeaders) {
  const std::vector<std::int32_t> v = {5, -6};
  const std::string data(reinterpret_cast<const char*>(v.data()), 8);
  for (const int major : {2, 3}) {
    const auto a = decode_npy(raw_npy("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }\n", data, major), "x");
    EXPECT_EQ(a.dtype, "<i4");
    EXPECT_EQ(a.shape, std::vector<std::int64_t>{2});
    EXPECT_EQ(a.to_i64("x"), (std::vector<std::int64_t>{5, -6}));
  }
  // any key order, double quotes, no trailing comma, Python 2 longs, '<u1' for '|u1'
  const auto b = decode_npy(raw_npy("{\"shape\": (1L, 2L), \"fortran_order\": False, \"descr\": \"<u1\"}", "\x01\x02"), "x");
  EXPECT_EQ(b.dtype, "|u1");
  EXPECT_EQ(b.shape, (std::vector<std::int64_t>{1, 2}));
}

TEST(NpzTest, EncodeDecodeRoundTripsEveryDtype) {
  for (const auto& [name, a] : every_dtype()) {
    const auto back = decode_npy(encode_npy(a), name);
    EXPECT_EQ(back.dtype, a.dtype) << name;
    EXPECT_EQ(back.shape, a.shape) << name;
    EXPECT_EQ(back.bytes, a.bytes) << name;
  }
}

TEST(NpzTest, ConversionsBetweenDtypes) {
  const auto arch = every_dtype();
  EXPECT_EQ(find_array(arch, "i8", "a.npz").to_f64("w"), (std::vector<double>{-9223372036854775808.0, -1, 0, 42}));
  EXPECT_EQ(find_array(arch, "u1", "a.npz").to_f32("w"), (std::vector<float>{0, 128, 255}));
  EXPECT_EQ(find_array(arch, "b1", "a.npz").to_i64("w"), (std::vector<std::int64_t>{1, 0, 0, 1}));
  EXPECT_EQ(find_array(arch, "i4", "a.npz").to_i64("w"), (std::vector<std::int64_t>{-7, 0, 2147483647, -2147483648LL}));
  EXPECT_EQ(find_array(arch, "f8", "a.npz").to_f32("w")[0], static_cast<float>(1.0 / 3.0));
  EXPECT_EQ(find_array(arch, "scalar", "a.npz").to_f64("w"), std::vector<double>{2.5});
  EXPECT_EQ(find_array(arch, "strings", "a.npz").to_strings("w"), (std::vector<std::string>{"conv1", "fc2.weight", ""}));
  EXPECT_EQ(find_array(arch, "strings", "a.npz").dtype, "<U10");
  EXPECT_THROW_MSG(find_array(arch, "f4", "a.npz").to_i64("a.npz: array 'f4'"), InputError,
                   "a.npz: array 'f4': wrong dtype; expected an integer array ('<i4', '<i8', '|u1' or '|b1'), got '<f4'");
  EXPECT_THROW_MSG(find_array(arch, "strings", "a.npz").to_f32("a.npz: array 'strings'"), InputError,
                   "a.npz: array 'strings': wrong dtype; expected a numeric array ('<f4', '<f8', '<i4', '<i8', '|u1' or "
                   "'|b1'), got '<U10'");
  EXPECT_THROW_MSG(find_array(arch, "f4", "a.npz").to_strings("a.npz: array 'f4'"), InputError,
                   "a.npz: array 'f4': wrong dtype; expected a string array ('<U<n>'), got '<f4'");
  EXPECT_THROW_MSG(find_array(arch, "nope", "a.npz"), InputError,
                   "a.npz: missing array 'nope'; expected an array named 'nope', got 'f4', 'f8', 'i4', 'i8', 'u1', "
                   "'b1', 'strings', 'architecture', 'empty', 'empty_strings', 'scalar'");
  EXPECT_THROW_MSG(find_array({}, "ids", "s.npz"), InputError,
                   "s.npz: missing array 'ids'; expected an array named 'ids', got an empty archive");
}

TEST(NpzTest, StringsAreUtf32CodePoints) {
  const std::vector<std::string> s = {"A\xc3\xa9", "\xe2\x82\xac!"};  // "Aé", "€!"
  const auto a = NpyArray::from_strings({2}, s);
  EXPECT_EQ(a.dtype, "<U2");
  ASSERT_EQ(a.bytes.size(), 16u);
  char32_t cps[4];
  std::memcpy(cps, a.bytes.data(), 16);
  EXPECT_EQ(cps[0], U'A');
  EXPECT_EQ(cps[1], U'\u00e9');
  EXPECT_EQ(cps[2], U'\u20ac');
  EXPECT_EQ(cps[3], U'!');
  EXPECT_EQ(a.to_strings("w"), s);
  const auto empty = NpyArray::from_string("");
  EXPECT_EQ(empty.dtype, "<U1");  // as np.array("")
  EXPECT_EQ(empty.to_strings("w"), std::vector<std::string>{""});
}

// --- .npz ---

TEST(NpzTest, RoundTripsStoredAndCompressed) {
  TempDir dir;
  for (const bool compress : {false, true}) {
    const std::string path = dir.file(compress ? "c.npz" : "s.npz");
    write_npz(path, every_dtype(), compress);
    expect_same(read_npz(path), every_dtype());
  }
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"c.npz", "s.npz"}));  // no temporaries left
  EXPECT_LT(std::filesystem::file_size(dir.file("c.npz")), std::filesystem::file_size(dir.file("s.npz")));
}

TEST(NpzTest, WriteIsDeterministicAndReplacesTheFile) {
  TempDir dir;
  write_text(dir.file("a.npz"), "old contents");
  write_npz(dir.file("a.npz"), every_dtype(), true);
  write_npz(dir.file("b.npz"), every_dtype(), true);
  EXPECT_EQ(read_text(dir.file("a.npz")), read_text(dir.file("b.npz")));
  write_npz(dir.file("e.npz"), {});
  EXPECT_TRUE(read_npz(dir.file("e.npz")).empty());
}

TEST(NpzTest, WriteIntoMissingDirectoryIsIoErrorAndLeavesNothing) {
  TempDir dir;
  try {
    write_npz(dir.file("no/such/dir/m.npz"), every_dtype());
    ADD_FAILURE() << "expected IoError";
  } catch (const IoError& e) {
    // The temporary is created first (exclusively, beside the output), so this is where it fails.
    EXPECT_EQ(std::string(e.what()), dir.file("no/such/dir/m.npz") + ": cannot create: No such file or directory");
  }
  EXPECT_EQ(list_dir(dir.path()), std::vector<std::string>{});
}

TEST(NpzTest, ReadsZipWrittenByAnotherWriter) {
  TempDir dir;
  const std::vector<float> v = {1.5f, -2.0f};
  write_text(dir.file("h.npz"), raw_zip({{"w.npy", encode_npy(NpyArray::from_f32({2}, v))}}));
  const auto a = read_npz(dir.file("h.npz"));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].first, "w");
  EXPECT_EQ(a[0].second.to_f32("w"), v);
}

// --- corrupt inputs ---

class NpzCorruptTest : public ::testing::Test {
 protected:
  // Writes a hand-made zip with one member "x.npy" and returns read_npz's error text.
  std::string member_error(const std::string& npy) {
    write_text(path_, raw_zip({{"x.npy", npy}}));
    try {
      read_npz(path_);
    } catch (const InputError& e) {
      return e.what();
    }
    return "no error";
  }
  TempDir dir_;
  std::string path_ = dir_.file("m.npz");
  std::string f4x2_ = std::string(8, '\0');
};

TEST_F(NpzCorruptTest, MissingFileIsIoError) {
  EXPECT_THROW_MSG(read_npz(dir_.file("none.npz")), IoError,
                   dir_.file("none.npz") + ": cannot open: No such file or directory");
}

TEST_F(NpzCorruptTest, NotAZipArchive) {
  write_text(path_, "conv1.weight 0.5 0.25\n");
  EXPECT_THROW_MSG(read_npz(path_), InputError,
                   path_ + ": not a zip archive; expected an .npz file (numpy.savez), got 22 bytes without a zip "
                           "directory (truncated?)");
  write_text(path_, "");
  EXPECT_THROW_MSG(read_npz(path_), InputError,
                   path_ + ": not a zip archive; expected an .npz file (numpy.savez), got an empty file");
}

TEST_F(NpzCorruptTest, TruncatedZip) {
  write_npz(path_, every_dtype());
  const std::string full = read_text(path_);
  const std::string half = full.substr(0, full.size() / 2);
  write_text(path_, half);
  EXPECT_THROW_MSG(read_npz(path_), InputError,
                   fmt::format("{}: not a zip archive; expected an .npz file (numpy.savez), got {} bytes without a zip "
                               "directory (truncated?)",
                               path_, half.size()));
}

TEST_F(NpzCorruptTest, CorruptMemberData) {
  const std::vector<float> v = {1, 2, 3, 4};
  write_npz(path_, {{"w", NpyArray::from_f32({4}, v)}});
  std::string bytes = read_text(path_);
  const std::size_t pos = bytes.find(std::string(reinterpret_cast<const char*>(v.data()), 16));
  ASSERT_NE(pos, std::string::npos);
  bytes[pos + 3] ^= 0x01;  // flip a bit of the first float: the CRC no longer matches
  write_text(path_, bytes);
  EXPECT_THROW_MSG(read_npz(path_), InputError, path_ + ": member 'w.npy': corrupt member; expected intact zip data, got CRC error");
}

TEST_F(NpzCorruptTest, NonNpyMember) {
  write_text(path_, raw_zip({{"w.npy", encode_npy(NpyArray::from_string("a"))}, {"notes.txt", "hi"}}));
  EXPECT_THROW_MSG(read_npz(path_), InputError,
                   path_ + ": member 'notes.txt': not an .npy array; expected only '<name>.npy' members in an .npz "
                           "file, got 'notes.txt'");
}

TEST_F(NpzCorruptTest, BadMagic) {
  EXPECT_EQ(member_error("PK\x03\x04hello"),
            path_ + ": member 'x.npy': not a .npy array; expected the magic string '\\x93NUMPY', got "
                    "'PK\\x03\\x04hell'");
  EXPECT_EQ(member_error(""), path_ + ": member 'x.npy': not a .npy array; expected the magic string '\\x93NUMPY', got "
                                      "an empty member");
}

TEST_F(NpzCorruptTest, BadVersionOrTruncatedHeader) {
  EXPECT_EQ(member_error(std::string("\x93NUMPY\x04\x00\x10\x00", 10)),
            path_ + ": member 'x.npy': unsupported .npy format version; expected 1.0, 2.0 or 3.0, got 4.0");
  EXPECT_EQ(member_error(std::string("\x93NUMPY\x01\x00", 8)),
            path_ + ": member 'x.npy': truncated .npy header; expected at least 10 bytes, got 8");
  EXPECT_EQ(member_error(raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", f4x2_).substr(0, 30)),
            path_ + ": member 'x.npy': truncated .npy header; expected 57 header bytes, got 20");
}

TEST_F(NpzCorruptTest, BadHeader) {
  const std::string expected = "a dict like {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  EXPECT_EQ(member_error(raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': [2], }", f4x2_)),
            path_ + ": member 'x.npy': malformed .npy header; expected " + expected +
                ", got '{'descr': '<f4', 'fortran_order': False, 'shape': [2], }'");
  EXPECT_EQ(member_error(raw_npy("{'descr': '<f4', 'shape': (2,), }", f4x2_)),  // no fortran_order
            path_ + ": member 'x.npy': malformed .npy header; expected " + expected +
                ", got '{'descr': '<f4', 'shape': (2,), }'");
  EXPECT_EQ(member_error(raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2), }", f4x2_)),  // (2) is no tuple
            path_ + ": member 'x.npy': malformed .npy header; expected " + expected +
                ", got '{'descr': '<f4', 'fortran_order': False, 'shape': (2), }'");
  EXPECT_EQ(member_error(raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", f4x2_)),
            path_ + ": member 'x.npy': malformed .npy header; expected " + expected +
                ", got '{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }'");
  EXPECT_EQ(member_error(raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", f4x2_)),
            path_ + ": member 'x.npy': malformed .npy header; expected " + expected +
                ", got '{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}'");
}

TEST_F(NpzCorruptTest, SizeMismatch) {
  EXPECT_EQ(member_error(raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", f4x2_)),
            path_ + ": member 'x.npy': data size disagrees with the header; expected 24 bytes for shape (2,3) of '<f4', "
                    "got 8 bytes");
  EXPECT_EQ(member_error(raw_npy("{'descr': '<U3', 'fortran_order': False, 'shape': (), }", f4x2_)),
            path_ + ": member 'x.npy': data size disagrees with the header; expected 12 bytes for shape () of '<U3', "
                    "got 8 bytes");
  EXPECT_EQ(member_error(raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", f4x2_)),
            path_ + ": member 'x.npy': array too large; expected at most 9223372036854775807 bytes (numpy's limit), "
                    "got shape (4611686018427387904,4) of '<f8'");
}

TEST_F(NpzCorruptTest, FortranOrder) {
  EXPECT_EQ(member_error(raw_npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", f4x2_)),
            path_ + ": member 'x.npy': unsupported Fortran-order array; expected fortran_order False (numpy: "
                    "np.ascontiguousarray(a)), got True");
}

TEST_F(NpzCorruptTest, UnsupportedDtypes) {
  EXPECT_EQ(member_error(raw_npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", f4x2_)),
            path_ + ": member 'x.npy': unsupported big-endian dtype; expected little-endian '<f4' (numpy: "
                    "a.astype('<f4')), got '>f4'");
  EXPECT_EQ(member_error(raw_npy("{'descr': '>U2', 'fortran_order': False, 'shape': (), }", f4x2_)),
            path_ + ": member 'x.npy': unsupported big-endian dtype; expected little-endian '<U2' (numpy: "
                    "a.astype('<U2')), got '>U2'");
  EXPECT_EQ(member_error(raw_npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", f4x2_)),
            path_ + ": member 'x.npy': unsupported dtype; expected one of '<f4', '<f8', '<i4', '<i8', '|u1', '|b1', "
                    "'<U<n>', got '<c8'");
  EXPECT_EQ(member_error(raw_npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", f4x2_)),
            path_ + ": member 'x.npy': unsupported dtype; expected one of '<f4', '<f8', '<i4', '<i8', '|u1', '|b1', "
                    "'<U<n>', got '|O'");
}

// Found by fuzz/fuzz_npy and fuzz_npz: a dtype or member name from the file reached the message
// raw (an invalid UTF-8 byte, an ANSI escape); they are quoted with quote_token now.
TEST_F(NpzCorruptTest, DtypeAndMemberNameBytesAreEscapedInMessages) {
  EXPECT_EQ(member_error(raw_npy("{'descr': '(\x92<U2', 'fortran_order': False, 'shape': (2,), }", f4x2_)),
            path_ + ": member 'x.npy': unsupported dtype; expected one of '<f4', '<f8', '<i4', '<i8', '|u1', '|b1', "
                    "'<U<n>', got '(\\x92<U2'");
  // A name flagged UTF-8 keeps its bytes (libzip reads other names as CP437, all printable).
  const std::vector<float> v = {1, 2, 3, 4};
  write_npz(path_, {{"a\x7f", NpyArray::from_f32({4}, v)}});
  std::string bytes = read_text(path_);
  bytes[bytes.find(std::string(reinterpret_cast<const char*>(v.data()), 16)) + 3] ^= 0x01;  // CRC mismatch
  write_text(path_, bytes);
  EXPECT_THROW_MSG(read_npz(path_), InputError,
                   path_ + ": member 'a\\x7f.npy': corrupt member; expected intact zip data, got CRC error");
  const NpzArchive arch = {{"b\x07" "ell", NpyArray::from_string("x")}};
  EXPECT_THROW_MSG(find_array(arch, "ids", "s.npz"), InputError,
                   "s.npz: missing array 'ids'; expected an array named 'ids', got 'b\\x07ell'");
}

// --- numpy interoperability ---

// Python that prints every array of an .npz: name, dtype.str, shape, tolist().
constexpr const char* kDumpScript = R"(import sys, zipfile, numpy as np
z = np.load(sys.argv[1])
for k in z.files:
    a = z[k]
    print(k, a.dtype.str, a.shape, repr(a.tolist()))
print('times', sorted(set(i.date_time for i in zipfile.ZipFile(sys.argv[1]).infolist())))
)";

// Declared sizes are checked against the bytes present and against numpy's
// limits before anything is allocated. Before the fix: (2^62, 2^62, 0) passed (the overflowed
// byte count times 0 is 0) and NpyArray::size() overflowed; '<U0' with 10^9 elements passed
// with 0 data bytes (to_strings then asked for 10^9 strings, 32 GB); a deflated member whose
// header claims 100 MB for 20-odd compressed bytes was allocated in full before reading, and
// the error was "corrupt member; expected 100000000 bytes, got ...".
TEST(NpzTest, DeclaredSizesAreCheckedBeforeAllocating) {
  const std::string big = "4611686018427387904";  // 2^62
  EXPECT_THROW_MSG(decode_npy(raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (" + big + ", " + big + ", 0), }", ""), "x.npy"),
                   InputError,
                   "x.npy: array too large; expected at most 9223372036854775807 bytes (numpy's limit), got shape (" +
                       big + "," + big + ",0) of '<f4'");
  EXPECT_THROW_MSG(decode_npy(raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (" + big + ", 4), }", ""), "x.npy"),
                   InputError,
                   "x.npy: array too large; expected at most 9223372036854775807 bytes (numpy's limit), got shape (" +
                       big + ",4) of '<f8'");
  // 0-d and empty arrays still load
  EXPECT_EQ(decode_npy(raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 1000000000), }", ""), "x.npy").size(), 0);

  TempDir dir;
  const std::string u0 = raw_npy("{'descr': '<U0', 'fortran_order': False, 'shape': (1000000000,), }", "");
  write_text(dir.file("scores.npz"), raw_zip({{"ids.npy", u0}}));
  EXPECT_THROW_MSG(read_npz(dir.file("scores.npz")), InputError,
                   dir.file("scores.npz") + ": member 'ids.npy': unsupported dtype; expected '<U<n>' with n >= 1 (numpy "
                                            "writes at least '<U1'), got '<U0'");

  const std::string member = raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", std::string(8, '\0'));
  write_text(dir.file("bomb.npz"), raw_zip_deflated("x.npy", member, 100000000));
  const std::string compressed = read_text(dir.file("bomb.npz"));
  try {
    read_npz(dir.file("bomb.npz"));
    ADD_FAILURE() << "expected InputError";
  } catch (const InputError& e) {
    const std::string want = dir.file("bomb.npz") + ": member 'x.npy': impossible size; expected at most 1032 times the ";
    EXPECT_EQ(std::string(e.what()).substr(0, want.size()), want) << e.what();
    EXPECT_NE(std::string(e.what()).find("got 100000000 bytes"), std::string::npos) << e.what();
  }
  // an honest deflated member written the same way loads
  write_text(dir.file("ok.npz"), raw_zip_deflated("x.npy", member, member.size()));
  EXPECT_EQ(read_npz(dir.file("ok.npz")).at(0).second.shape, std::vector<std::int64_t>{2});
}

TEST(NpzTest, NumpyLoadsOurFiles) {
  const std::string py = numpy_python();
  if (py.empty()) FAIL() << "no python3 with numpy (scripts/setup.sh installs python3-numpy)";
  TempDir dir;
  write_text(dir.file("dump.py"), kDumpScript);
  const std::string expected =
      "f4 <f4 (2, 3) [[0.5, -1.25, 3.0], [inf, -0.0, 9.99994610111476e-41]]\n"
      "f8 <f8 (2,) [0.3333333333333333, -2.5e+300]\n"
      "i4 <i4 (2, 1, 2) [[[-7, 0]], [[2147483647, -2147483648]]]\n"
      "i8 <i8 (4,) [-9223372036854775808, -1, 0, 42]\n"
      "u1 |u1 (3,) [0, 128, 255]\n"
      "b1 |b1 (2, 2) [[True, False], [False, True]]\n"
      "strings <U10 (3,) ['conv1', 'fc2.weight', '']\n"
      "architecture <U54 () 'Input(4x200)\\nConv1d(in=4, out=50, kernel=11, stride=1)'\n"
      "empty <f4 (0, 3) []\n"
      "empty_strings <U1 (0,) []\n"
      "scalar <f8 () 2.5\n"
      "times [(1980, 1, 1, 0, 0, 0)]\n";
  for (const bool compress : {false, true}) {
    write_npz(dir.file("ours.npz"), every_dtype(), compress);
    const auto r = run_command(py + " " + dir.file("dump.py") + " " + dir.file("ours.npz"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, expected) << "compress=" << compress;
  }
}

TEST(NpzTest, NumpyLoadsScoresShapedArchive) {
  const std::string py = numpy_python();
  if (py.empty()) FAIL() << "no python3 with numpy (scripts/setup.sh installs python3-numpy)";
  // docs/cli.md scores.npz: ids (N), onehot (N,4,L), <method> and <method>.hypothetical (N,T,4,L),
  // <method>.delta (N,T); dotted names must survive as numpy keys.
  TempDir dir;
  const std::vector<std::string> ids = {"seq0", "seq1"};
  std::vector<float> onehot(2 * 4 * 5), scores(2 * 3 * 4 * 5), delta(2 * 3);
  for (std::size_t i = 0; i < scores.size(); ++i) scores[i] = static_cast<float>(i) / 4 - 7;
  for (std::size_t i = 0; i < onehot.size(); ++i) onehot[i] = i % 5 == (i / 5) % 4 ? 1.0f : 0.0f;
  for (std::size_t i = 0; i < delta.size(); ++i) delta[i] = 1e-6f * static_cast<float>(i);
  write_npz(dir.file("scores.npz"),
            {{"ids", NpyArray::from_strings({2}, ids)},
             {"onehot", NpyArray::from_f32({2, 4, 5}, onehot)},
             {"rescale", NpyArray::from_f32({2, 3, 4, 5}, scores)},
             {"rescale.hypothetical", NpyArray::from_f32({2, 3, 4, 5}, scores)},
             {"rescale.delta", NpyArray::from_f32({2, 3}, delta)}},
            true);
  const auto r = run_command(py + " -c \"import sys, numpy as np; z = np.load(sys.argv[1]); "
                                  "print(z.files); print(z['ids'].tolist(), z['onehot'].shape, z['rescale'].shape, "
                                  "float(z['rescale'][1, 2, 3, 4]), z['rescale.delta'].shape, "
                                  "bool((z['rescale'] == z['rescale.hypothetical']).all()))\" " +
                             dir.file("scores.npz"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "['ids', 'onehot', 'rescale', 'rescale.hypothetical', 'rescale.delta']\n"
            "['seq0', 'seq1'] (2, 4, 5) (2, 3, 4, 5) 22.75 (2, 3) True\n");  // element 119: 119/4 - 7
}

TEST(NpzTest, ReadsNumpySavezAndSavezCompressed) {
  const std::string py = numpy_python();
  if (py.empty()) FAIL() << "no python3 with numpy (scripts/setup.sh installs python3-numpy)";
  TempDir dir;
  write_text(dir.file("make.py"), R"(import sys, numpy as np
d = dict(f4=np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 8 - 1,
         f8=np.array([1 / 3, -2.5e300]),
         i4=np.array([[-7], [2147483647]], dtype=np.int32),
         i8=np.arange(-2, 3),
         u1=np.array([0, 128, 255], dtype=np.uint8),
         b1=np.array([True, False, True]),
         strings=np.array(['a', 'bcd', '\u00e9\u20ac']),
         architecture=np.array('Input(4x200)\nReLU()'),
         empty=np.zeros((0, 4), dtype=np.float32),
         fortran_made_c=np.ascontiguousarray(np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3))))
np.savez(sys.argv[1], **d)
np.savez_compressed(sys.argv[2], **d)
with open(sys.argv[3], 'wb') as f: np.lib.format.write_array(f, d['f4'], version=(2, 0))
with open(sys.argv[4], 'wb') as f: np.lib.format.write_array(f, d['strings'], version=(3, 0))
)");
  const auto r = run_command(py + " " + dir.file("make.py") + " " + dir.file("s.npz") + " " + dir.file("c.npz") + " " +
                             dir.file("v2.npy") + " " + dir.file("v3.npy"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<float> f4(24);
  for (int i = 0; i < 24; ++i) f4[static_cast<std::size_t>(i)] = static_cast<float>(i) / 8 - 1;
  for (const auto* name : {"s.npz", "c.npz"}) {
    const auto a = read_npz(dir.file(name));
    const auto get = [&](const std::string& k) { return find_array(a, k, name); };
    ASSERT_EQ(a.size(), 10u) << name;
    EXPECT_EQ(get("f4").dtype, "<f4");
    EXPECT_EQ(get("f4").shape, (std::vector<std::int64_t>{2, 3, 4}));
    EXPECT_EQ(get("f4").to_f32("f4"), f4);
    EXPECT_EQ(get("f8").to_f64("f8"), (std::vector<double>{1.0 / 3.0, -2.5e300}));
    EXPECT_EQ(get("i4").dtype, "<i4");
    EXPECT_EQ(get("i4").shape, (std::vector<std::int64_t>{2, 1}));
    EXPECT_EQ(get("i4").to_i64("i4"), (std::vector<std::int64_t>{-7, 2147483647}));
    EXPECT_EQ(get("i8").dtype, "<i8");
    EXPECT_EQ(get("i8").to_i64("i8"), (std::vector<std::int64_t>{-2, -1, 0, 1, 2}));
    EXPECT_EQ(get("u1").dtype, "|u1");
    EXPECT_EQ(get("u1").to_i64("u1"), (std::vector<std::int64_t>{0, 128, 255}));
    EXPECT_EQ(get("b1").dtype, "|b1");
    EXPECT_EQ(get("b1").to_i64("b1"), (std::vector<std::int64_t>{1, 0, 1}));
    EXPECT_EQ(get("strings").dtype, "<U3");
    EXPECT_EQ(get("strings").to_strings("s"), (std::vector<std::string>{"a", "bcd", "\xc3\xa9\xe2\x82\xac"}));
    EXPECT_TRUE(get("architecture").shape.empty());
    EXPECT_EQ(get("architecture").to_strings("a"), std::vector<std::string>{"Input(4x200)\nReLU()"});
    EXPECT_EQ(get("empty").shape, (std::vector<std::int64_t>{0, 4}));
    EXPECT_TRUE(get("empty").bytes.empty());
    EXPECT_EQ(get("fortran_made_c").to_f32("x"), (std::vector<float>{0, 1, 2, 3, 4, 5}));
  }
  const auto v2 = decode_npy(read_text(dir.file("v2.npy")), "v2.npy");
  EXPECT_EQ(v2.to_f32("v2"), f4);
  const auto v3 = decode_npy(read_text(dir.file("v3.npy")), "v3.npy");
  EXPECT_EQ(v3.to_strings("v3"), (std::vector<std::string>{"a", "bcd", "\xc3\xa9\xe2\x82\xac"}));
}

TEST(NpzTest, NumpyFortranOrderAndBigEndianAreRejected) {
  const std::string py = numpy_python();
  if (py.empty()) FAIL() << "no python3 with numpy (scripts/setup.sh installs python3-numpy)";
  TempDir dir;
  const auto r = run_command(py + " -c \"import sys, numpy as np; "
                                  "np.savez(sys.argv[1], w=np.asfortranarray(np.zeros((2, 3), dtype=np.float32))); "
                                  "np.savez(sys.argv[2], w=np.zeros(3, dtype='>f4'))\" " +
                             dir.file("f.npz") + " " + dir.file("b.npz"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THROW_MSG(read_npz(dir.file("f.npz")), InputError,
                   dir.file("f.npz") + ": member 'w.npy': unsupported Fortran-order array; expected fortran_order False "
                                       "(numpy: np.ascontiguousarray(a)), got True");
  EXPECT_THROW_MSG(read_npz(dir.file("b.npz")), InputError,
                   dir.file("b.npz") + ": member 'w.npy': unsupported big-endian dtype; expected little-endian '<f4' "
                                       "(numpy: a.astype('<f4')), got '>f4'");
}

}  // namespace
}  // namespace lb::io

namespace lb::io {
namespace {

// The archive comment (where model.npz keeps its architecture): written, read back, invisible to
// the members, kept on an archive without arrays, and absent ("") by default.
TEST(NpzTest, ArchiveCommentRoundTrips) {
  lb::testing::TempDir dir;
  const std::string text = "input 4x20\noutput sigmoid\nfc Linear(in=80, out=1)\n";
  NpzArchive a;
  a.emplace_back("fc.weight", NpyArray::from_f32({1, 80}, std::vector<float>(80, 0.5f)));
  write_npz(dir.file("c.npz"), a, false, text);
  EXPECT_EQ(read_npz_comment(dir.file("c.npz")), text);
  const NpzArchive back = read_npz(dir.file("c.npz"));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].first, "fc.weight");
  write_npz(dir.file("empty.npz"), {}, false, text);
  EXPECT_EQ(read_npz_comment(dir.file("empty.npz")), text);
  EXPECT_TRUE(read_npz(dir.file("empty.npz")).empty());
  write_npz(dir.file("none.npz"), a);
  EXPECT_EQ(read_npz_comment(dir.file("none.npz")), "");
  EXPECT_THROW_MSG(read_npz_comment(dir.file("missing.npz")), IoError,
                   dir.file("missing.npz") + ": cannot open: No such file or directory");
}

}  // namespace
}  // namespace lb::io
