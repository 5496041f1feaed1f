// Error helpers: message formatting only.
#include "core/error.h"

#include <cstring>

namespace lb {

std::string where(std::string_view path, long line) {
  if (line > 0) return fmt::format("{}:{}: ", path, line);
  return fmt::format("{}: ", path);
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

std::string quote_token(std::string_view token, std::size_t max_len) {
  if (token.size() <= max_len) return fmt::format("'{}'", token);
  return fmt::format("'{}...'", token.substr(0, max_len));
}

namespace detail {
void check_failed(const char* file, int line, const char* cond, const std::string& msg) {
  throw Error(fmt::format("{}:{}: check failed: {}: {}", file, line, cond, msg));
}
}  // namespace detail

}  // namespace lb
