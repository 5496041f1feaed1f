// IDX files (the MNIST format): unsigned-byte images (idx3) and labels (idx1), plain or gzip.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lb::io {

inline constexpr std::uint32_t kIdxImagesMagic = 0x00000803;  // ubyte, 3 dimensions
inline constexpr std::uint32_t kIdxLabelsMagic = 0x00000801;  // ubyte, 1 dimension

/// An idx3-ubyte file: n images of rows x cols bytes, row-major, image after image.
struct IdxImages {
  int n = 0, rows = 0, cols = 0;
  std::vector<std::uint8_t> pixels;  // (n * rows * cols)
};

/// Reads an IDX image file (gzip-compressed or not, detected by content). Errors:
/// IoError "path: cannot open: <reason>"; InputError
/// "path: bad magic number at byte 0; expected 0x00000803 (unsigned-byte images, 3 dimensions), got 0x..."
/// "path: truncated header at byte B; expected 16 bytes, got B",
/// "path: bad dimension size at byte B; expected 1 to 65535, got V" (rows, cols) or "... expected <= 2^31-1 ..."
/// "path: truncated data at byte B; expected 16 + n*rows*cols = X bytes, got B",
/// "path: trailing data at byte X; expected X bytes, got more",
/// "path: cannot decompress at byte B; expected a complete gzip stream, got truncated or corrupt data".
IdxImages read_idx_images(const std::string& path);

/// Reads an IDX label file (magic 0x00000801): n bytes; same errors with an 8-byte header.
std::vector<std::uint8_t> read_idx_labels(const std::string& path);

}  // namespace lb::io
