// Per-stage timings of attribution (`liftbench attribute -v`, docs/benchmarks/speed.md):
// the CPU time and the wall time of each stage, summed over chunks and threads. Off unless a
// StageLog is active (StageLogScope); a StageTimer then charges its scope to its stage, from any
// thread, and costs two clock reads at each end. Stages are disjoint scopes, so their sums add
// up to the work timed; nested timers of the same log are not used.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace lb::attr {

class StageLog {
 public:
  struct Entry {
    std::string name;
    double cpu = 0;     // seconds of CPU time of the threads that ran the stage (CLOCK_THREAD_CPUTIME_ID)
    double wall = 0;    // seconds of wall time, summed over the threads that ran it
    std::int64_t calls = 0;
  };
  /// Adds one timed section to `stage` (created on first use; entries keep that order).
  void add(std::string_view stage, double cpu, double wall);
  /// Every stage so far, in order of first use.
  std::vector<Entry> entries() const;
  void clear();

 private:
  mutable std::mutex mutex_;
  std::vector<Entry> entries_;
};

/// While alive, every StageTimer (on any thread) adds to `log`; the previous log (or none) is
/// restored at its end. Not meant to overlap with another scope on another thread.
class StageLogScope {
 public:
  explicit StageLogScope(StageLog* log);
  ~StageLogScope();
  StageLogScope(const StageLogScope&) = delete;
  StageLogScope& operator=(const StageLogScope&) = delete;

 private:
  StageLog* previous_;
};

/// The active log, or nullptr.
StageLog* active_stage_log();

/// This thread's CPU time and the monotonic wall clock, in seconds.
double thread_cpu_seconds();
double wall_seconds();

/// Times its scope (or until stop()) as `stage` in the active log; does nothing when none is.
/// `stage` must outlive the timer (a literal, usually).
class StageTimer {
 public:
  explicit StageTimer(std::string_view stage);
  ~StageTimer() { stop(); }
  StageTimer(const StageTimer&) = delete;
  StageTimer& operator=(const StageTimer&) = delete;
  /// Ends the section now (idempotent).
  void stop();
  /// Ends the current section and starts `next` (the same as stop() and a new timer).
  void next(std::string_view stage);

 private:
  StageLog* log_;
  std::string_view stage_;
  double cpu0_ = 0, wall0_ = 0;
};

}  // namespace lb::attr
