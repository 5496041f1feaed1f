// Small string helpers shared by the parsers of every area.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace lb {

/// Bytes of a path a message shows at most (show_path).
inline constexpr std::size_t kMaxPathShown = 200;

/// A path for a message (a path the user gave, or a file inside it): escaped like quote_token
/// (core/error.h: \t \r \n \xNN, no raw control byte), not quoted, and over max_len shown bytes
/// cut in the middle ("/first/part...last/part.tsv"), so the file's own name stays visible.
/// `where()` shows every path this way. Defined in core/error.cpp.
std::string show_path(std::string_view path, std::size_t max_len = kMaxPathShown);

/// `s` without leading and trailing spaces, tabs, carriage returns and newlines.
inline std::string_view trim(std::string_view s) {
  const auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace lb
