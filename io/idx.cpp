// IDX reader over HTSlib's BGZF (plain, gzip and bgzip alike), with byte offsets in its errors.
#include "io/idx.h"

#include <cerrno>
#include <cstdlib>

#include <fmt/format.h>
#include <htslib/bgzf.h>

#include "core/error.h"

namespace lb::io {

namespace {

class ByteReader {
 public:
  explicit ByteReader(const std::string& path) : path_(path) {
    errno = 0;
    fp_ = bgzf_open(path.c_str(), "r");
    if (!fp_) throw io_error(path, "cannot open", errno ? errno : EIO);
  }
  ~ByteReader() { bgzf_close(fp_); }
  ByteReader(const ByteReader&) = delete;
  ByteReader& operator=(const ByteReader&) = delete;

  /// Reads up to n bytes into dst; returns how many (fewer only at the end of the data).
  std::size_t read(void* dst, std::size_t n) {
    std::size_t done = 0;
    auto* p = static_cast<char*>(dst);
    while (done < n) {
      const ssize_t r = bgzf_read(fp_, p + done, n - done);
      if (r < 0 || fp_->errcode) throw_corrupt();
      if (r == 0) break;
      done += static_cast<std::size_t>(r);
    }
    offset_ += done;
    return done;
  }
  std::size_t offset() const { return offset_; }

 private:
  [[noreturn]] void throw_corrupt() const {
    throw InputError(fmt::format("{}cannot decompress at byte {}; expected a complete gzip stream, got truncated or "
                                 "corrupt data",
                                 where(path_), offset_));
  }

  std::string path_;
  BGZF* fp_ = nullptr;
  std::size_t offset_ = 0;
};

std::uint32_t big_endian(const std::uint8_t* b) {
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | std::uint32_t{b[3]};
}

/// Header (magic + dims) -> dims; the data follows.
std::vector<std::uint32_t> read_header(ByteReader& in, const std::string& path, std::uint32_t magic, int n_dims,
                                       std::string_view kind) {
  const std::size_t header = 4 + 4 * static_cast<std::size_t>(n_dims);
  std::uint8_t buf[16] = {};
  const std::size_t got = in.read(buf, header);
  if (got >= 4 && big_endian(buf) != magic)
    throw InputError(fmt::format("{}bad magic number at byte 0; expected 0x{:08x} ({}), got 0x{:08x}", where(path),
                                 magic, kind, big_endian(buf)));
  if (got < header)
    throw InputError(fmt::format("{}truncated header at byte {}; expected {} bytes, got {}", where(path), got, header,
                                 got));
  std::vector<std::uint32_t> dims;
  for (int d = 0; d < n_dims; ++d) dims.push_back(big_endian(buf + 4 + 4 * d));
  return dims;
}

// Reads exactly n data bytes. The buffer grows with the data actually read (1 MiB at a time),
// never to the size a header claims, so a corrupt header cannot ask for gigabytes.
std::vector<std::uint8_t> read_data(ByteReader& in, const std::string& path, std::size_t n, std::size_t header,
                                    std::string_view formula) {
  constexpr std::size_t kBlock = std::size_t{1} << 20;
  std::vector<std::uint8_t> dst;
  std::size_t got = 0;
  while (got < n) {
    const std::size_t want = std::min(kBlock, n - got);
    dst.resize(got + want);
    const std::size_t r = in.read(dst.data() + got, want);
    got += r;
    if (r < want) break;
  }
  dst.resize(got);
  if (got < n)
    throw InputError(fmt::format("{}truncated data at byte {}; expected {} = {} bytes, got {}", where(path),
                                 header + got, formula, header + n, header + got));
  std::uint8_t extra = 0;
  if (in.read(&extra, 1) != 0)
    throw InputError(fmt::format("{}trailing data at byte {}; expected {} bytes, got more", where(path), header + n,
                                 header + n));
  return dst;
}

void check_dim(const std::string& path, std::size_t byte, std::uint32_t v, std::uint32_t lo, std::uint32_t hi,
               std::string_view name) {
  if (v < lo || v > hi)
    throw InputError(fmt::format("{}bad {} at byte {}; expected {} to {}, got {}", where(path), name, byte, lo, hi, v));
}

}  // namespace

IdxImages read_idx_images(const std::string& path) {
  ByteReader in(path);
  const auto dims = read_header(in, path, kIdxImagesMagic, 3, "unsigned-byte images, 3 dimensions");
  check_dim(path, 4, dims[0], 0, 0x7fffffff, "image count");
  check_dim(path, 8, dims[1], 1, 65535, "row count");
  check_dim(path, 12, dims[2], 1, 65535, "column count");
  IdxImages out;
  out.n = static_cast<int>(dims[0]);
  out.rows = static_cast<int>(dims[1]);
  out.cols = static_cast<int>(dims[2]);
  if (std::uint64_t{dims[1]} * dims[2] > (std::uint64_t{1} << 24))
    throw InputError(fmt::format("{}image too large at byte 8; expected at most 16777216 pixels, got {}x{}", where(path),
                                 dims[1], dims[2]));
  const std::size_t bytes = std::size_t{dims[0]} * dims[1] * dims[2];
  out.pixels = read_data(in, path, bytes, 16, fmt::format("16 + {}*{}*{}", out.n, out.rows, out.cols));
  return out;
}

std::vector<std::uint8_t> read_idx_labels(const std::string& path) {
  ByteReader in(path);
  const auto dims = read_header(in, path, kIdxLabelsMagic, 1, "unsigned-byte labels, 1 dimension");
  check_dim(path, 4, dims[0], 0, 0x7fffffff, "label count");
  return read_data(in, path, dims[0], 8, fmt::format("8 + {}", dims[0]));
}

}  // namespace lb::io
