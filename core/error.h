// Exceptions and check macros shared by every area. Library code throws; only cli/main.cpp
// catches, prints `liftbench: error: <message>` and exits. Nothing here prints or exits.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace lb {

/// Base of everything liftbench throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
/// Unknown or contradictory options, bad values. The message names the option.
class ConfigError : public Error {
 public:
  using Error::Error;
};
/// Malformed input data: the message is `path:line: what; expected X, got Y`.
class InputError : public Error {
 public:
  using Error::Error;
};
/// Open, read, write or rename failures, with the system's reason.
class IoError : public Error {
 public:
  using Error::Error;
};

/// `path:line: ` (or `path: ` when line <= 0): the "where" part of every file error.
std::string where(std::string_view path, long line = 0);

/// InputError("path:line: what; expected X, got Y").
InputError input_error(std::string_view path, long line, std::string_view what,
                       std::string_view expected, std::string_view got);

/// IoError("path: what: <strerror(errno_value)>").
IoError io_error(std::string_view path, std::string_view what, int errno_value);

/// ConfigError "option: too small; expected a value >= min, got v" when v < min.
void check_at_least(long v, long min, std::string_view option);

/// A user-supplied token quoted for an error message: control bytes and invalid UTF-8 shown as
/// \t \r \n \xNN (nothing raw reaches the terminal), cut with "..." after max_len shown bytes.
std::string quote_token(std::string_view token, std::size_t max_len = 40);

namespace detail {
[[noreturn]] void check_failed(const char* file, int line, const char* cond, const std::string& msg);
}  // namespace detail

}  // namespace lb

/// Always-on API contract check: throws lb::Error("file:line: check failed: cond: message").
#define LB_CHECK(cond, ...)                                                           \
  do {                                                                                \
    if (!(cond)) ::lb::detail::check_failed(__FILE__, __LINE__, #cond, fmt::format(__VA_ARGS__)); \
  } while (0)

/// Debug-only invariant for hot loops: aborts in debug builds, vanishes with NDEBUG.
#ifdef NDEBUG
#define LB_ASSERT(cond) ((void)0)
#else
#include <cassert>
#define LB_ASSERT(cond) assert(cond)
#endif
