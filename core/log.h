// Logging and progress on stderr, minimap2 style: `[M::<where>] message` for information,
// `[W::<where>] message` for warnings. Data never goes through here.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace lb {

/// Silences info lines (warnings still print) — set by `--quiet`.
void set_log_quiet(bool quiet);

void log_line(char level, std::string_view where, std::string_view message);

template <class... Args>
void log_info(std::string_view where, fmt::format_string<Args...> f, Args&&... args) {
  log_line('M', where, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void log_warn(std::string_view where, fmt::format_string<Args...> f, Args&&... args) {
  log_line('W', where, fmt::format(f, std::forward<Args>(args)...));
}

/// True when stderr is a terminal (progress displays only then).
bool stderr_is_terminal();

/// A one-line progress display `[M::where] label 1234/8000 (15%), 52.1/s, ETA 0:02:31` (the rate
/// since construction, shown after half a second), redrawn in place at most ten times a second,
/// and only when stderr is a terminal; finish() clears the line.
class Progress {
 public:
  Progress(std::string where, std::string label, std::int64_t total);
  ~Progress();
  void update(std::int64_t done);
  void finish();

 private:
  std::string where_, label_;
  std::int64_t total_;
  bool active_;
  std::chrono::steady_clock::time_point last_, start_;
};

}  // namespace lb
