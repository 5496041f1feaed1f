// Shared by every libFuzzer harness in fuzz/ (docs/reliability.md, "Fuzzing"). A harness feeds
// one input to a parser through lb::fuzz::run, which decides what counts as a failure:
//   - any exception other than liftbench's InputError, ConfigError or IoError (core/error.h),
//     including a bare lb::Error from a failed LB_CHECK (an internal error, exit 2, on input
//     that should have been an input error) and std::bad_alloc;
//   - a message over kMaxMessageBytes, or one holding a raw control byte (C0, DEL, C1) or
//     invalid UTF-8 (quote_token promises none reaches the terminal);
// and aborts, so libFuzzer saves the input. Allocations over 2 GiB are libFuzzer's to catch
// (-malloc_limit_mb=2048, scripts/fuzz.sh).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace lb::fuzz {

inline constexpr std::size_t kMaxMessageBytes = 2000;

/// Runs fn, applying the failure rules above to whatever it throws.
void run(const std::function<void()>& fn);

/// Empty when `message` is acceptable, else why not (too long, a control byte at offset k, ...).
std::string message_problem(std::string_view message);

/// Aborts with "liftbench fuzz failure: <what>" on stderr.
[[noreturn]] void fail(std::string_view what);

/// Writes bytes to `name` inside this process's scratch directory (a fresh mkdtemp directory
/// in $TMPDIR, else /dev/shm, else /tmp; removed at a normal exit) and returns the full path.
/// The same name is overwritten by the next input.
std::string write_temp(std::string_view name, std::string_view bytes);

/// The scratch directory itself (created on first use).
const std::string& scratch_dir();

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace lb::fuzz
