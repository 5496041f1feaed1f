// Error helpers: message formatting only.
#include "core/error.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/text.h"

namespace lb {

std::string where(std::string_view path, long line) {
  if (line > 0) return fmt::format("{}:{}: ", show_path(path), line);
  return fmt::format("{}: ", show_path(path));
}

InputError input_error(std::string_view path, long line, std::string_view what,
                       std::string_view expected, std::string_view got) {
  return InputError(fmt::format("{}{}; expected {}, got {}", where(path, line), what, expected, got));
}

IoError io_error(std::string_view path, std::string_view what, int errno_value) {
  return IoError(fmt::format("{}{}: {}", where(path), what, std::strerror(errno_value)));
}

void check_at_least(long v, long min, std::string_view option) {
  if (v < min) throw ConfigError(fmt::format("{}: too small; expected a value >= {}, got {}", option, min, v));
}

namespace {
// Length of the valid, printable UTF-8 character (U+00A0 and up) starting at s[i], or 0.
std::size_t printable_utf8_length(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  const std::size_t n = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  char32_t cp = n == 2 ? (c & 0x1fu) : n == 3 ? (c & 0x0fu) : (c & 0x07u);
  for (std::size_t k = 1; k < n; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc >> 6) != 0x2) return 0;
    cp = (cp << 6) | (cc & 0x3fu);
  }
  const char32_t min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000) || cp < 0xa0) return 0;  // C1 controls too
  return n;
}

// The shown form of the character starting at s[i] (printable ASCII and valid UTF-8 as they
// are; \t \r \n and \xNN for every other byte, so no control byte, ESC, NUL, CR or 8-bit CSI
// reaches a terminal); `used` is set to the bytes it covers.
std::string shown_piece(std::string_view s, std::size_t i, std::size_t& used) {
  const auto c = static_cast<unsigned char>(s[i]);
  used = 1;
  if (c >= 0x20 && c < 0x7f) return std::string(1, static_cast<char>(c));
  if (c == '\t') return "\\t";
  if (c == '\r') return "\\r";
  if (c == '\n') return "\\n";
  if (c >= 0x80 && (used = printable_utf8_length(s, i)) > 0) return std::string(s.substr(i, used));
  used = 1;
  return fmt::format("\\x{:02x}", c);
}

}  // namespace

std::string quote_token(std::string_view token, std::size_t max_len) {
  // Escaped piece by piece; max_len caps what is shown.
  std::string out = "'";
  std::size_t shown = 0;
  for (std::size_t i = 0; i < token.size();) {
    std::size_t used = 1;
    const std::string piece = shown_piece(token, i, used);
    if (shown + piece.size() > max_len) return out + "...'";
    out += piece;
    shown += piece.size();
    i += used;
  }
  return out + "'";
}

std::string show_path(std::string_view path, std::size_t max_len) {
  if (path.size() <= max_len &&
      std::all_of(path.begin(), path.end(), [](char c) { return c >= 0x20 && c < 0x7f; }))
    return std::string(path);  // the usual case, as it is
  std::vector<std::string> pieces;
  std::size_t shown = 0;
  for (std::size_t i = 0; i < path.size();) {
    std::size_t used = 1;
    pieces.push_back(shown_piece(path, i, used));
    shown += pieces.back().size();
    i += used;
  }
  std::string out;
  if (shown <= max_len) {
    for (const auto& p : pieces) out += p;
    return out;
  }
  // Too long: the start and the end (the file's name), about half the budget each, around "...".
  const std::size_t budget = max_len > 3 ? max_len - 3 : 0, head_budget = budget / 2, tail_budget = budget - head_budget;
  std::size_t head = 0, head_len = 0;
  while (head < pieces.size() && head_len + pieces[head].size() <= head_budget) head_len += pieces[head++].size();
  std::size_t tail = pieces.size(), tail_len = 0;
  while (tail > head && tail_len + pieces[tail - 1].size() <= tail_budget) tail_len += pieces[--tail].size();
  for (std::size_t k = 0; k < head; ++k) out += pieces[k];
  out += "...";
  for (std::size_t k = tail; k < pieces.size(); ++k) out += pieces[k];
  return out;
}

namespace detail {
void check_failed(const char* file, int line, const char* cond, const std::string& msg) {
  throw Error(fmt::format("{}:{}: check failed: {}: {}", file, line, cond, msg));
}
}  // namespace detail

}  // namespace lb
