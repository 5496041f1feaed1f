// Tests for io/idx: IDX images and labels written by the test (plain and gzip), and each corrupt
// form (bad magic, truncated header and data, trailing bytes, bad sizes) with its exact message.
#include "io/idx.h"

#include "core/error.h"
#include "io/gzip_util.h"
#include "testing/helpers.h"

namespace lb::io {
namespace {

using lb::testing::TempDir;
using lb::testing::write_text;

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>((v >> 16) & 0xff), static_cast<char>((v >> 8) & 0xff),
          static_cast<char>(v & 0xff)};
}

// 2 images of 2 rows x 3 columns: pixel values 0..11.
std::string images_file() {
  std::string s = be32(0x803) + be32(2) + be32(2) + be32(3);
  for (int i = 0; i < 12; ++i) s += static_cast<char>(i * 20);
  return s;
}
std::string labels_file() { return be32(0x801) + be32(3) + std::string("\x07\x00\x09", 3); }

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no InputError";
}

TEST(IdxTest, ReadsPlainImagesAndLabels) {
  TempDir dir;
  write_text(dir.file("img"), images_file());
  write_text(dir.file("lab"), labels_file());
  const IdxImages im = read_idx_images(dir.file("img"));
  EXPECT_EQ(im.n, 2);
  EXPECT_EQ(im.rows, 2);
  EXPECT_EQ(im.cols, 3);
  ASSERT_EQ(im.pixels.size(), 12u);
  EXPECT_EQ(im.pixels[0], 0);
  EXPECT_EQ(im.pixels[11], 220);
  EXPECT_EQ(read_idx_labels(dir.file("lab")), (std::vector<std::uint8_t>{7, 0, 9}));
}

TEST(IdxTest, ReadsGzipFiles) {
  TempDir dir;
  lb::testing::write_gzip(dir.file("img.gz"), images_file());
  lb::testing::write_gzip(dir.file("lab.gz"), labels_file());
  EXPECT_EQ(read_idx_images(dir.file("img.gz")).pixels[7], 140);
  EXPECT_EQ(read_idx_labels(dir.file("lab.gz")).size(), 3u);
}

TEST(IdxTest, BadMagicNamesBothNumbers) {
  TempDir dir;
  write_text(dir.file("lab"), labels_file());
  write_text(dir.file("img"), images_file());
  EXPECT_EQ(error_of([&] { read_idx_images(dir.file("lab")); }),
            dir.file("lab") +
                ": bad magic number at byte 0; expected 0x00000803 (unsigned-byte images, 3 dimensions), got 0x00000801");
  EXPECT_EQ(error_of([&] { read_idx_labels(dir.file("img")); }),
            dir.file("img") +
                ": bad magic number at byte 0; expected 0x00000801 (unsigned-byte labels, 1 dimension), got 0x00000803");
}

TEST(IdxTest, TruncatedHeaderAndData) {
  TempDir dir;
  write_text(dir.file("h"), images_file().substr(0, 10));
  EXPECT_EQ(error_of([&] { read_idx_images(dir.file("h")); }),
            dir.file("h") + ": truncated header at byte 10; expected 16 bytes, got 10");
  write_text(dir.file("d"), images_file().substr(0, 25));
  EXPECT_EQ(error_of([&] { read_idx_images(dir.file("d")); }),
            dir.file("d") + ": truncated data at byte 25; expected 16 + 2*2*3 = 28 bytes, got 25");
  write_text(dir.file("l"), labels_file().substr(0, 9));
  EXPECT_EQ(error_of([&] { read_idx_labels(dir.file("l")); }),
            dir.file("l") + ": truncated data at byte 9; expected 8 + 3 = 11 bytes, got 9");
  write_text(dir.file("t"), labels_file() + "x");
  EXPECT_EQ(error_of([&] { read_idx_labels(dir.file("t")); }),
            dir.file("t") + ": trailing data at byte 11; expected 11 bytes, got more");
}

TEST(IdxTest, BadDimensionSize) {
  TempDir dir;
  write_text(dir.file("z"), be32(0x803) + be32(1) + be32(0) + be32(3));
  EXPECT_EQ(error_of([&] { read_idx_images(dir.file("z")); }),
            dir.file("z") + ": bad row count at byte 8; expected 1 to 65535, got 0");
}

TEST(IdxTest, TruncatedGzipStream) {
  TempDir dir;
  lb::testing::write_gzip(dir.file("img.gz"), images_file());
  lb::testing::truncate_file(dir.file("img.gz"), 20);
  // The whole 28 bytes are one deflate block: nothing decompresses, so the offset is 0.
  EXPECT_EQ(error_of([&] { read_idx_images(dir.file("img.gz")); }),
            dir.file("img.gz") +
                ": cannot decompress at byte 0; expected a complete gzip stream, got truncated or corrupt data");
}

TEST(IdxTest, MissingFileIsIoError) {
  EXPECT_THROW(read_idx_images("/nonexistent/idx"), IoError);
}

}  // namespace
}  // namespace lb::io
