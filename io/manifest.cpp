// Manifests: sizes and MD5s of a multi-file output (HTSlib's MD5), written last and verified by readers.
#include "io/manifest.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <htslib/hts.h>

#include "core/error.h"
#include "core/text.h"
#include "io/tsv.h"

namespace lb::io {

namespace {

struct Md5Free {
  void operator()(hts_md5_context* c) const { hts_md5_destroy(c); }
};
struct FileClose {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

std::string dir_of(const std::string& path) {
  const std::string d = std::filesystem::path(path).parent_path().string();
  return d.empty() ? "." : d;
}

bool is_hex32(const std::string& s) {
  return s.size() == 32 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// A listed name stays inside the manifest's directory: relative, no '..' component.
bool is_safe_relative(const std::string& name) {
  if (name.empty()) return false;
  const std::filesystem::path p(name);
  if (p.is_absolute()) return false;
  for (const auto& part : p)
    if (part == "..") return false;
  return true;
}

}  // namespace

std::string file_md5(const std::string& path) {
  std::unique_ptr<std::FILE, FileClose> f(std::fopen(path.c_str(), "rb"));
  if (!f) throw io_error(path, "cannot open", errno);
  std::unique_ptr<hts_md5_context, Md5Free> ctx(hts_md5_init());
  LB_CHECK(ctx != nullptr, "hts_md5_init failed");
  std::vector<char> buf(1 << 20);
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), f.get())) > 0) hts_md5_update(ctx.get(), buf.data(), n);
  if (std::ferror(f.get())) throw io_error(path, "cannot read", errno);
  unsigned char digest[16];
  char hex[33];
  hts_md5_final(digest, ctx.get());
  hts_md5_hex(hex, digest);
  return std::string(hex, 32);
}

std::string text_md5(std::string_view text) {
  std::unique_ptr<hts_md5_context, Md5Free> ctx(hts_md5_init());
  LB_CHECK(ctx != nullptr, "hts_md5_init failed");
  hts_md5_update(ctx.get(), text.data(), static_cast<unsigned long>(text.size()));
  unsigned char digest[16];
  char hex[33];
  hts_md5_final(digest, ctx.get());
  hts_md5_hex(hex, digest);
  return std::string(hex, 32);
}

void write_manifest(const std::string& manifest_path, std::span<const std::string> files) {
  const std::string dir = dir_of(manifest_path);
  std::vector<std::vector<std::string>> rows;
  for (const std::string& name : files) {
    LB_CHECK(is_safe_relative(name), "manifest entry '{}' is not a relative path inside the directory", name);
    const std::string p = dir + "/" + name;
    std::error_code ec;
    const auto size = std::filesystem::file_size(p, ec);
    if (ec) throw io_error(p, "cannot read its size", ec.value());
    rows.push_back({name, std::to_string(size), file_md5(p)});
  }
  write_tsv(manifest_path, {"file", "bytes", "md5"}, rows);
}

void verify_manifest(const std::string& manifest_path, const std::string& writer,
                     std::span<const std::string> unread) {
  const std::string advice = fmt::format("rerun {}", writer);
  if (!std::filesystem::exists(manifest_path))
    throw InputError(fmt::format("{}missing; expected the manifest written last by {}, got no file (an interrupted "
                                 "run, or a directory written before manifests: {})",
                                 where(manifest_path), writer, advice));
  const TsvTable t = read_tsv(manifest_path);
  if (t.header != std::vector<std::string>{"file", "bytes", "md5"})
    throw input_error(manifest_path, 1, "wrong header", "'file bytes md5'", quote_token(fmt::format("{}", fmt::join(t.header, " "))));
  if (t.rows.empty())
    throw input_error(manifest_path, 2, "no files", "a row per file of the output", "a header only");
  const std::string dir = dir_of(manifest_path);
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const auto& r = t.rows[i];
    const long line = t.lines[i];
    std::uintmax_t want = 0;
    bool ok = r.size() == 3 && is_safe_relative(r[0]) && is_hex32(r[2]) && !r[1].empty() &&
              r[1].find_first_not_of("0123456789") == std::string::npos && r[1].size() <= 19;
    if (ok) want = std::stoull(r[1]);
    if (!ok)
      throw input_error(manifest_path, line, "bad row", "a relative path, a byte count and 32 hex digits",
                        quote_token(fmt::format("{}", fmt::join(r, " ")), 80));
    if (std::find(unread.begin(), unread.end(), r[0]) != unread.end()) continue;
    const std::string p = dir + "/" + r[0];
    std::error_code ec;
    const auto size = std::filesystem::file_size(p, ec);
    const std::string why =
        fmt::format("changed or half replaced after {} was written: {}", show_path(manifest_path), advice);
    if (ec)
      throw input_error(manifest_path, line, fmt::format("{} is missing", quote_token(r[0])),
                        fmt::format("{} bytes", want), fmt::format("no file ({})", why));
    const std::string md5 = size == want ? file_md5(p) : std::string();
    if (size != want || md5 != r[2])
      throw input_error(manifest_path, line, fmt::format("{} does not match", quote_token(r[0])),
                        fmt::format("{} bytes with md5 {}", want, r[2]),
                        fmt::format("{} bytes{} ({})", size, md5.empty() ? "" : " with md5 " + md5, why));
  }
}

}  // namespace lb::io
