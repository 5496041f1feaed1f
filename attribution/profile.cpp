// Stage timings (attribution/profile.h).
#include "attribution/profile.h"

#include <time.h>

#include <atomic>
#include <chrono>

namespace lb::attr {

namespace {
std::atomic<StageLog*> g_log{nullptr};
}  // namespace

void StageLog::add(std::string_view stage, double cpu, double wall) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (Entry& e : entries_)
    if (e.name == stage) {
      e.cpu += cpu, e.wall += wall, ++e.calls;
      return;
    }
  entries_.push_back(Entry{std::string(stage), cpu, wall, 1});
}

std::vector<StageLog::Entry> StageLog::entries() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_;
}

void StageLog::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.clear();
}

StageLogScope::StageLogScope(StageLog* log) : previous_(g_log.exchange(log)) {}
StageLogScope::~StageLogScope() { g_log.store(previous_); }

StageLog* active_stage_log() { return g_log.load(std::memory_order_relaxed); }

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

StageTimer::StageTimer(std::string_view stage) : log_(active_stage_log()), stage_(stage) {
  if (log_) cpu0_ = thread_cpu_seconds(), wall0_ = wall_seconds();
}

void StageTimer::stop() {
  if (!log_) return;
  log_->add(stage_, thread_cpu_seconds() - cpu0_, wall_seconds() - wall0_);
  log_ = nullptr;
}

void StageTimer::next(std::string_view stage) {
  StageLog* log = log_ ? log_ : active_stage_log();
  if (!log) return;
  const double cpu = thread_cpu_seconds(), wall = wall_seconds();
  if (log_) log_->add(stage_, cpu - cpu0_, wall - wall0_);
  log_ = log, stage_ = stage, cpu0_ = cpu, wall0_ = wall;
}

}  // namespace lb::attr
