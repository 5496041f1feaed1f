// Streamed .npz: a zip of stored .npy members with zip64 extra fields (APPNOTE 4.3.7, 4.3.12,
// 4.3.14-4.3.16, 4.5.3), laid out from the declared shapes and filled with pwrite.
#include "io/npz_stream.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>
#include <zlib.h>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/npz.h"

namespace lb::io {

namespace {

constexpr std::uint32_t kMax32 = 0xFFFFFFFFu;
constexpr std::uint16_t kVersion = 45;  // 4.5: zip64
constexpr std::uint16_t kDosDate = (0 << 9) | (1 << 5) | 1;  // 1980-01-01, as numpy writes members

void put16(std::string& s, std::uint16_t v) {
  s += static_cast<char>(v & 0xff);
  s += static_cast<char>(v >> 8);
}
void put32(std::string& s, std::uint32_t v) {
  for (int k = 0; k < 4; ++k) s += static_cast<char>((v >> (8 * k)) & 0xff);
}
void put64(std::string& s, std::uint64_t v) {
  for (int k = 0; k < 8; ++k) s += static_cast<char>((v >> (8 * k)) & 0xff);
}

}  // namespace

struct NpzStreamWriter::Impl {
  struct Entry {
    std::string name;     // "<member>.npy"
    std::uint64_t local = 0;    // offset of the local header
    std::uint64_t data = 0;     // offset of the .npy bytes (header first)
    std::uint64_t size = 0;     // .npy bytes: header + array
    std::uint64_t header = 0;   // .npy header bytes (already written)
    std::uint64_t written = 0;  // bytes written so far, header included
    uLong crc = 0;
  };
  std::string path;
  std::vector<Entry> entries;
  std::vector<std::string> names;
  AtomicFile file;
  int fd = -1;
  std::uint64_t end = 0;  // offset after the last member's data
  bool finished = false;

  explicit Impl(std::string p) : path(std::move(p)), file(path) {}
  ~Impl() {
    if (fd >= 0) ::close(fd);
  }

  void pwrite_all(std::string_view bytes, std::uint64_t offset) {
    while (!bytes.empty()) {
      const ssize_t n = ::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        throw io_error(path, "cannot write", errno);
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
      offset += static_cast<std::uint64_t>(n);
    }
  }

  static std::string local_header(const Entry& e, std::uint32_t crc) {
    std::string h;
    put32(h, 0x04034b50);
    put16(h, kVersion);
    put16(h, 0);  // flags
    put16(h, 0);  // stored
    put16(h, 0);  // time 00:00
    put16(h, kDosDate);
    put32(h, crc);
    put32(h, kMax32);
    put32(h, kMax32);
    put16(h, static_cast<std::uint16_t>(e.name.size()));
    put16(h, 20);
    h += e.name;
    put16(h, 0x0001);  // zip64 extra: uncompressed and compressed sizes
    put16(h, 16);
    put64(h, e.size);
    put64(h, e.size);
    return h;
  }
};

NpzStreamWriter::NpzStreamWriter(std::string path, std::vector<Member> members)
    : impl_(std::make_unique<Impl>(std::move(path))) {
  Impl& m = *impl_;
  m.file.close_stream();
  m.fd = ::open(m.file.temp_path().c_str(), O_WRONLY | O_CLOEXEC);
  if (m.fd < 0) throw io_error(m.path, "cannot open", errno);
  std::uint64_t offset = 0;
  for (const Member& mem : members) {
    LB_CHECK(mem.name.size() + 4 < 65536, "NpzStreamWriter: member name of {} bytes", mem.name.size());
    Impl::Entry e;
    e.name = mem.name + ".npy";
    std::uint64_t count = 1;
    for (const auto d : mem.shape) {
      LB_CHECK(d >= 0, "NpzStreamWriter: negative dimension in {}", mem.name);
      count *= static_cast<std::uint64_t>(d);
    }
    const std::string header = npy_header(mem.dtype, mem.shape);
    e.header = header.size();
    e.size = header.size() + count * npy_itemsize(mem.dtype);
    e.local = offset;
    e.data = offset + 30 + e.name.size() + 20;
    e.crc = crc32(0L, Z_NULL, 0);
    m.entries.push_back(std::move(e));
    m.names.push_back(mem.name);
    offset = m.entries.back().data + m.entries.back().size;
    append(m.entries.size() - 1, header);
  }
  m.end = offset;
}

NpzStreamWriter::~NpzStreamWriter() = default;

std::size_t NpzStreamWriter::n_members() const { return impl_->entries.size(); }

std::size_t NpzStreamWriter::index(const std::string& name) const {
  for (std::size_t i = 0; i < impl_->names.size(); ++i)
    if (impl_->names[i] == name) return i;
  LB_CHECK(false, "NpzStreamWriter: no member '{}'", name);
  return 0;
}

void NpzStreamWriter::append(std::size_t i, std::string_view bytes) {
  Impl& m = *impl_;
  LB_CHECK(i < m.entries.size() && !m.finished, "NpzStreamWriter::append: member {} of {}", i, m.entries.size());
  Impl::Entry& e = m.entries[i];
  LB_CHECK(e.written + bytes.size() <= e.size, "NpzStreamWriter: member '{}' overflows: {} + {} bytes > {}", e.name,
           e.written, bytes.size(), e.size);
  m.pwrite_all(bytes, e.data + e.written);
  // zlib's crc32 takes a uInt length: feed it in pieces under 1 GiB.
  for (std::string_view rest = bytes; !rest.empty();) {
    const std::size_t n = std::min<std::size_t>(rest.size(), 1u << 30);
    e.crc = crc32(e.crc, reinterpret_cast<const Bytef*>(rest.data()), static_cast<uInt>(n));
    rest.remove_prefix(n);
  }
  e.written += bytes.size();
}

void NpzStreamWriter::finish() {
  Impl& m = *impl_;
  LB_CHECK(!m.finished, "NpzStreamWriter::finish twice");
  std::string cd;
  for (const Impl::Entry& e : m.entries) {
    LB_CHECK(e.written == e.size, "NpzStreamWriter: member '{}' has {} of {} bytes", e.name, e.written, e.size);
    const auto crc = static_cast<std::uint32_t>(e.crc);
    m.pwrite_all(Impl::local_header(e, crc), e.local);
    put32(cd, 0x02014b50);
    put16(cd, static_cast<std::uint16_t>((3 << 8) | kVersion));  // made by: Unix
    put16(cd, kVersion);
    put16(cd, 0);
    put16(cd, 0);
    put16(cd, 0);
    put16(cd, kDosDate);
    put32(cd, crc);
    put32(cd, kMax32);
    put32(cd, kMax32);
    put16(cd, static_cast<std::uint16_t>(e.name.size()));
    put16(cd, 28);
    put16(cd, 0);  // comment
    put16(cd, 0);  // disk
    put16(cd, 0);  // internal attributes
    put32(cd, 0100644u << 16);  // a regular file, rw-r--r--
    put32(cd, kMax32);          // local header offset: in the zip64 extra
    cd += e.name;
    put16(cd, 0x0001);
    put16(cd, 24);
    put64(cd, e.size);
    put64(cd, e.size);
    put64(cd, e.local);
  }
  const std::uint64_t cd_offset = m.end, cd_size = cd.size(), n = m.entries.size();
  std::string tail;
  const std::uint64_t eocd64 = cd_offset + cd_size;
  put32(tail, 0x06064b50);  // zip64 end of central directory
  put64(tail, 44);
  put16(tail, static_cast<std::uint16_t>((3 << 8) | kVersion));
  put16(tail, kVersion);
  put32(tail, 0);
  put32(tail, 0);
  put64(tail, n);
  put64(tail, n);
  put64(tail, cd_size);
  put64(tail, cd_offset);
  put32(tail, 0x07064b50);  // its locator
  put32(tail, 0);
  put64(tail, eocd64);
  put32(tail, 1);
  put32(tail, 0x06054b50);  // end of central directory
  put16(tail, 0);
  put16(tail, 0);
  put16(tail, static_cast<std::uint16_t>(std::min<std::uint64_t>(n, 0xFFFF)));
  put16(tail, static_cast<std::uint16_t>(std::min<std::uint64_t>(n, 0xFFFF)));
  put32(tail, kMax32);
  put32(tail, kMax32);
  put16(tail, 0);
  m.pwrite_all(cd + tail, cd_offset);
  if (::close(m.fd) != 0) {
    m.fd = -1;
    throw io_error(m.path, "cannot write", errno);
  }
  m.fd = -1;
  m.file.commit();
  m.finished = true;
}

}  // namespace lb::io
