// Line reading through BGZF and small parsing helpers shared by the io/ readers.
#include "io/text_io.h"

#include <cerrno>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <htslib/bgzf.h>
#include <htslib/kstring.h>

#include "core/error.h"
#include "core/text.h"
#include "io/atomic_file.h"
#include "io/fasta.h"

namespace lb::io::detail {

LineReader::LineReader(std::string path) : path_(std::move(path)) {
  errno = 0;
  fp_ = bgzf_open(path_.c_str(), "r");
  if (!fp_) throw io_error(path_, "cannot open", errno ? errno : EIO);
}

LineReader::~LineReader() {
  if (fp_) bgzf_close(fp_);
  std::free(buf_);
}

void LineReader::throw_corrupt() const {
  throw input_error(path_, line_ + 1, "cannot decompress", "a complete gzip or BGZF stream",
                    "truncated or corrupt data");
}

bool LineReader::next(std::string_view& line) {
  kstring_t ks{buf_len_, buf_cap_, buf_};
  const int r = bgzf_getline(fp_, '\n', &ks);
  buf_len_ = ks.l, buf_cap_ = ks.m, buf_ = ks.s;
  if (r < -1) throw_corrupt();
  if (r == -1) {
    // bgzf_getline reports a short BGZF block as a plain EOF; errcode tells them apart. A BGZF
    // file cut at a block boundary lacks the 28-byte EOF block (-1 = cannot seek: stdin).
    if (fp_->errcode) throw_corrupt();
    if (fp_->is_compressed && !fp_->is_gzip && bgzf_check_EOF(fp_) == 0) throw_corrupt();
    return false;
  }
  ++line_;
  std::size_t n = ks.l;
  if (n > 0 && ks.s[n - 1] == '\r') --n;
  line = std::string_view(ks.s, n);
  return true;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t begin = 0;
  for (;;) {
    const std::size_t pos = s.find(sep, begin);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(begin));
      return out;
    }
    out.push_back(s.substr(begin, pos - begin));
    begin = pos + 1;
  }
}

std::vector<std::string_view> split_ws(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    const std::size_t b = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > b) out.push_back(s.substr(b, i - b));
  }
  return out;
}

std::string_view trim(std::string_view s) { return lb::trim(s); }

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

bool is_bed_header(std::string_view line) {
  return trim(line).empty() || starts_with(line, "#") || starts_with(line, "track") || starts_with(line, "browser");
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

namespace {
// One optional leading '+' dropped; false when what follows is another sign ("+-5", "++5"),
// which from_chars would otherwise read as a number.
bool drop_plus(std::string_view& s) {
  if (s.empty() || s.front() != '+') return true;
  s.remove_prefix(1);
  return s.empty() || (s.front() != '-' && s.front() != '+');
}
}  // namespace

std::optional<std::int64_t> parse_int64(std::string_view s) {
  std::int64_t v = 0;
  if (!drop_plus(s)) return std::nullopt;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> parse_double(std::string_view s) {
  double v = 0;
  if (!drop_plus(s)) return std::nullopt;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

void check_record_name(const std::string& path, long line, std::string_view what, int column, std::string_view name) {
  if (name.size() > kMaxFastaNameLength)
    throw input_error(path, line, fmt::format("{} name too long (column {})", what, column),
                      fmt::format("at most {} characters", kMaxFastaNameLength),
                      fmt::format("{} ({})", name.size(), quote_token(name)));
  for (const char c : name)
    if (static_cast<unsigned char>(c) < ' ' || c == '\x7f')
      throw input_error(path, line, fmt::format("bad {} name (column {})", what, column),
                        "one word without control characters", quote_token(name));
}

std::string describe_char(char c) {
  if (std::isprint(static_cast<unsigned char>(c))) return fmt::format("'{}'", c);
  return fmt::format("byte 0x{:02x}", static_cast<unsigned char>(c));
}

void write_text_file(const std::string& path, std::string_view content, bool compress) {
  if (!compress) {
    write_file_atomic(path, content);
    return;
  }
  AtomicFile out(path);
  out.close_stream();  // BGZF reopens the temporary file by name
  errno = 0;
  BGZF* fp = bgzf_open(out.temp_path().c_str(), "w");
  if (!fp) throw io_error(path, "cannot write", errno ? errno : EIO);
  const bool ok = bgzf_write(fp, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  const int err = errno;
  if (bgzf_close(fp) < 0 || !ok) throw io_error(path, "cannot write", err ? err : EIO);
  out.commit();
}

void write_stdout(std::string_view content) {
  if (std::fwrite(content.data(), 1, content.size(), stdout) != content.size() || std::fflush(stdout) != 0)
    throw io_error("-", "cannot write", errno ? errno : EIO);
}

}  // namespace lb::io::detail
