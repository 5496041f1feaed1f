// fuzz/zip_input.h: fuzz bytes to a well-formed zip.
#include "zip_input.h"

#include <zip.h>

#include <charconv>
#include <fstream>
#include <vector>

#include <fmt/format.h>

#include "harness.h"
#include "io/npz.h"

namespace lb::fuzz {

namespace {

// "<f4 50,4,11\n<data>" -> a .npy with that header and the data repeated to the declared size.
std::string typed_member(std::string_view content) {
  const auto nl = content.find('\n');
  const std::string_view head = content.substr(0, nl);
  const std::string_view body = nl == std::string_view::npos ? std::string_view{} : content.substr(nl + 1);
  const auto sp = head.find(' ');
  const std::string_view dtype = head.substr(0, sp);
  std::string_view dims = sp == std::string_view::npos ? std::string_view{} : head.substr(sp + 1);
  if (!dims.empty() && dims.front() == '(') dims.remove_prefix(1);
  if (!dims.empty() && dims.back() == ')') dims.remove_suffix(1);
  // Item size from the dtype's digits ("<f4" 4, "<U5" 20); the declared size in bytes, saturated.
  std::uint64_t item = 1;
  if (dtype.size() > 2) {
    std::uint64_t n = 0;
    std::from_chars(dtype.data() + 2, dtype.data() + dtype.size(), n);
    item = (dtype[1] == 'U' ? 4 : 1) * n;
  }
  std::uint64_t total = item;
  std::string shape;
  std::size_t count = 0;
  for (std::size_t pos = 0; pos <= dims.size() && !dims.empty();) {
    const auto comma = dims.find(',', pos);
    const std::string_view d = dims.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    if (!d.empty()) {
      std::uint64_t v = 0;
      std::from_chars(d.data(), d.data() + d.size(), v);
      if (__builtin_mul_overflow(total, v, &total)) total = UINT64_MAX;
      shape += fmt::format("{}{}", count ? ", " : "", d);
      ++count;
    }
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  if (count == 1) shape += ",";
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': ({}), }}", dtype, shape);
  const std::size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  const auto hl = static_cast<std::uint16_t>(header.size());
  out += static_cast<char>(hl & 0xff);
  out += static_cast<char>(hl >> 8);
  out += header;
  if (total <= kMaxFill && !body.empty()) {
    for (std::uint64_t i = 0; i < total; ++i) out += body[i % body.size()];
  } else {
    out += body;
  }
  return out;
}

struct Closer {
  zip_t* z;
  ~Closer() {
    if (z) zip_discard(z);
  }
};

}  // namespace

std::uint8_t write_zip_input(std::string_view input, const std::string& path) {
  if (input.empty()) {
    write_temp(path.substr(scratch_dir().size() + 1), "");
    return 0;
  }
  const auto flags = static_cast<std::uint8_t>(input[0]);
  input.remove_prefix(1);
  if (flags & 0x80) {
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(input.data(), static_cast<std::streamsize>(input.size()));
    return flags;
  }
  std::vector<std::pair<std::string, std::string>> members;
  std::string comment;
  constexpr std::string_view kSep = "@@\n";
  while (true) {
    const auto end = input.find(kSep);
    const std::string_view m = input.substr(0, end);
    const auto nl = m.find('\n');
    std::string name(m.substr(0, nl));
    const std::string_view content = nl == std::string_view::npos ? std::string_view{} : m.substr(nl + 1);
    std::string bytes;
    if (name == "#comment") {  // the zip archive comment (model.npz's architecture), not a member
      comment = std::string(content.substr(0, 0xffff));
      if (end == std::string_view::npos) break;
      input.remove_prefix(end + kSep.size());
      continue;
    }
    if (content.starts_with("\x93NUMPY")) bytes = std::string(content);
    else if (name == "architecture" && !content.starts_with("<U")) bytes = io::encode_npy(io::NpyArray::from_string(std::string(content)));
    else bytes = typed_member(content);
    members.emplace_back(std::move(name), std::move(bytes));
    if (end == std::string_view::npos) break;
    input.remove_prefix(end + kSep.size());
  }
  int code = 0;
  Closer c{zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code)};
  if (!c.z) fail(fmt::format("zip_open failed on the scratch file: {}", code));
  for (const auto& [name, bytes] : members) {
    zip_source_t* src = zip_source_buffer(c.z, bytes.data(), bytes.size(), 0);
    if (!src) fail("zip_source_buffer failed");
    const zip_int64_t idx = zip_file_add(c.z, (name + ".npy").c_str(), src, ZIP_FL_ENC_UTF_8);
    if (idx < 0) {  // e.g. a name given twice: that member is left out
      zip_source_free(src);
      continue;
    }
    zip_set_file_compression(c.z, static_cast<zip_uint64_t>(idx), (flags & 1) ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
  }
  // libzip refuses some comments (bytes it takes for CP437): then the archive has none.
  if (!comment.empty()) zip_set_archive_comment(c.z, comment.data(), static_cast<zip_uint16_t>(comment.size()));
  if (zip_close(c.z) < 0) fail(fmt::format("zip_close failed: {}", zip_error_strerror(zip_get_error(c.z))));
  c.z = nullptr;
  return flags;
}

}  // namespace lb::fuzz
