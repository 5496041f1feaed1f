// Memory-mapped stored .npz: the central directory (APPNOTE 4.3.12, 4.3.16; zip64 4.3.14,
// 4.3.15, 4.5.3) read by hand, since libzip does not tell where a member's data starts.
#include "io/npz_map.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

#include <fmt/format.h>
#include <zlib.h>

#include "core/error.h"
#include "io/npz.h"

namespace lb::io {

namespace {

std::uint64_t le(const char* p, int n) {
  std::uint64_t v = 0;
  for (int k = n; k-- > 0;) v = (v << 8) | static_cast<unsigned char>(p[k]);
  return v;
}

// InputError "where: CRC-32 mismatch (the file is corrupt); expected 0x..., got 0x..." when the
// CRC-32 of a member's `size` bytes at `data` is not `crc`, the one its zip directory records.
void check_member_crc(const std::string& where, const char* data, std::uint64_t size, std::uint32_t crc) {
  uLong c = crc32_z(0L, Z_NULL, 0);
  for (std::uint64_t done = 0; done < size;) {  // in pieces: z_size_t may be narrower than 64 bits elsewhere
    const std::uint64_t n = std::min<std::uint64_t>(size - done, std::uint64_t{1} << 30);
    c = crc32_z(c, reinterpret_cast<const Bytef*>(data + done), static_cast<z_size_t>(n));
    done += n;
  }
  if (static_cast<std::uint32_t>(c) != crc)
    throw input_error(where, 0, "CRC-32 mismatch (the file is corrupt)",
                      fmt::format("0x{:08x} (the zip directory's)", crc), fmt::format("0x{:08x}", static_cast<std::uint32_t>(c)));
}

}  // namespace

NpzMap::NpzMap(std::string path) : path_(std::move(path)) {
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw io_error(path_, "cannot open", errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw io_error(path_, "cannot open", err);
  }
  size_ = static_cast<std::size_t>(st.st_size);
  if (size_ > 0) {
    map_ = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd, 0);
    const int err = errno;
    ::close(fd);
    if (map_ == MAP_FAILED) {
      map_ = nullptr;
      throw io_error(path_, "cannot map", err);
    }
  } else {
    ::close(fd);
  }
  const char* const base = static_cast<const char*>(map_);
  const auto bad = [&](std::string_view what) {
    return input_error(path_, 0, fmt::format("not a readable zip archive ({})", what), "an .npz written by numpy or liftbench",
                       "a file that is not one");
  };
  // The end of central directory record: the last signature within 22 + 65535 bytes of the end.
  if (size_ < 22) throw bad("too short");
  std::size_t eocd = std::string::npos;
  for (std::size_t p = size_ - 22 + 1; p-- > 0 && size_ - p <= 22 + 65535;)
    if (le(base + p, 4) == 0x06054b50) {
      eocd = p;
      break;
    }
  if (eocd == std::string::npos) throw bad("no end of central directory");
  std::uint64_t n = le(base + eocd + 10, 2), cd_size = le(base + eocd + 12, 4), cd_off = le(base + eocd + 16, 4);
  if (n == 0xFFFF || cd_size == 0xFFFFFFFF || cd_off == 0xFFFFFFFF) {
    if (eocd < 20 || le(base + eocd - 20, 4) != 0x07064b50) throw bad("no zip64 locator");
    const std::uint64_t z = le(base + eocd - 20 + 8, 8);
    if (z > size_ || size_ - z < 56 || le(base + z, 4) != 0x06064b50) throw bad("bad zip64 end record");
    n = le(base + z + 32, 8);
    cd_size = le(base + z + 40, 8);
    cd_off = le(base + z + 48, 8);
  }
  if (cd_off > size_ || cd_size > size_ - cd_off) throw bad("central directory outside the file");
  std::uint64_t p = cd_off;
  for (std::uint64_t i = 0; i < n; ++i) {
    if (p + 46 > cd_off + cd_size || le(base + p, 4) != 0x02014b50) throw bad("bad central directory entry");
    const std::uint64_t method = le(base + p + 10, 2);
    const auto crc = static_cast<std::uint32_t>(le(base + p + 16, 4));
    std::uint64_t csize = le(base + p + 20, 4), usize = le(base + p + 24, 4);
    const std::uint64_t name_len = le(base + p + 28, 2), extra_len = le(base + p + 30, 2),
                        comment_len = le(base + p + 32, 2);
    std::uint64_t local = le(base + p + 42, 4);
    if (p + 46 + name_len + extra_len + comment_len > cd_off + cd_size) throw bad("bad central directory entry");
    const std::string name(base + p + 46, name_len);
    // zip64 extra: the 8-byte values of the fields that are 0xFFFFFFFF, in order.
    const std::uint64_t extra_end = p + 46 + name_len + extra_len;
    for (std::uint64_t e = p + 46 + name_len; e + 4 <= extra_end;) {
      const std::uint64_t id = le(base + e, 2), len = le(base + e + 2, 2);
      const std::uint64_t end = std::min(e + 4 + len, extra_end);
      if (id == 0x0001) {
        std::uint64_t q = e + 4;
        if (usize == 0xFFFFFFFF && q + 8 <= end) usize = le(base + q, 8), q += 8;
        if (csize == 0xFFFFFFFF && q + 8 <= end) csize = le(base + q, 8), q += 8;
        if (local == 0xFFFFFFFF && q + 8 <= end) local = le(base + q, 8);
      }
      e += 4 + len;
    }
    p += 46 + name_len + extra_len + comment_len;
    if (!name.ends_with(".npy"))
      throw input_error(path_, 0, fmt::format("member {} is not an array", quote_token(name, 80)), "only .npy members",
                        quote_token(name, 80));
    if (method != 0)
      throw input_error(path_, 0, fmt::format("member {} is compressed", quote_token(name, 80)),
                        "a stored archive (written without --compress)", fmt::format("compression method {}", method));
    if (csize != usize) throw bad("stored member with two sizes");
    if (local >= size_ || size_ - local < 30 || le(base + local, 4) != 0x04034b50) throw bad("bad local header");
    const std::uint64_t data = local + 30 + le(base + local + 26, 2) + le(base + local + 28, 2);
    if (data > size_ || usize > size_ - data) throw bad("member outside the file");
    const std::string where = fmt::format("{}: member {}", path_, quote_token(name, 80));
    std::size_t offset = 0;
    const NpyArray a = decode_npy_header(std::string_view(base + data, usize), where, &offset);
    // Every byte once, against the directory's CRC-32: a flipped bit is refused here, before a
    // reader (tracks, merge) copies it into a file with fresh, valid CRCs.
    check_member_crc(where, base + data, usize, crc);
    release();
    members_.push_back({name.substr(0, name.size() - 4), a.dtype, a.shape, base + data + offset, usize - offset});
  }
}

NpzMap::~NpzMap() {
  if (map_) ::munmap(map_, size_);
}

void NpzMap::release() const {
  if (map_) ::madvise(map_, size_, MADV_DONTNEED);
}

const NpzMap::Member* NpzMap::find(const std::string& name) const {
  for (const auto& m : members_)
    if (m.name == name) return &m;
  return nullptr;
}

const NpzMap::Member& NpzMap::get(const std::string& name, const std::string& expected) const {
  if (const Member* m = find(name)) return *m;
  throw input_error(path_, 0, fmt::format("missing array '{}'", name), expected, "an archive without it");
}

}  // namespace lb::io
