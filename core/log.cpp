// Log lines and the terminal progress display.
#include "core/log.h"

#include <unistd.h>

#include <cstdio>

namespace lb {

namespace {
bool g_quiet = false;
}

void set_log_quiet(bool quiet) { g_quiet = quiet; }

void log_line(char level, std::string_view where, std::string_view message) {
  if (level == 'M' && g_quiet) return;
  fmt::print(stderr, "[{}::{}] {}\n", level, where, message);
}

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

Progress::Progress(std::string where, std::string label, std::int64_t total)
    : where_(std::move(where)), label_(std::move(label)), total_(total),
      active_(stderr_is_terminal() && !g_quiet), last_(), start_(std::chrono::steady_clock::now()) {}

Progress::~Progress() { finish(); }

void Progress::update(std::int64_t done) {
  if (!active_) return;
  const auto now = std::chrono::steady_clock::now();
  if (done < total_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  const double pct = total_ > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total_) : 100.0;
  // The rate and the ETA since construction.
  const double secs = std::chrono::duration<double>(now - start_).count();
  std::string rate;
  if (secs > 0.5 && done > 0) {
    const double per_s = static_cast<double>(done) / secs;
    const auto eta = static_cast<long>(static_cast<double>(total_ - done) / per_s + 0.5);
    rate = fmt::format(", {:.1f}/s, ETA {}:{:02d}:{:02d}", per_s, eta / 3600, eta / 60 % 60, eta % 60);
  }
  fmt::print(stderr, "\r[M::{}] {} {}/{} ({:.0f}%){}\x1b[K", where_, label_, done, total_, pct, rate);
  std::fflush(stderr);
}

void Progress::finish() {
  if (!active_) return;
  fmt::print(stderr, "\r\x1b[K");
  std::fflush(stderr);
  active_ = false;
}

}  // namespace lb
