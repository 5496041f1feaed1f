// parallel_for over OpenMP with a static schedule; exceptions are caught per item (they must
// not cross an OpenMP region) and the one of the lowest item index is rethrown afterwards.
#include "core/parallel.h"

#include <omp.h>

#include <exception>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace lb {

namespace {
int g_threads = 1;
}  // namespace

void set_threads(int n) { g_threads = n > 0 ? n : omp_get_num_procs(); }

int threads() { return g_threads; }

void keep_freed_memory() {
#if defined(__GLIBC__)
  // Blocks up to 32 MiB (the most glibc accepts) from the heap, not mmap, and the heap's free
  // top never trimmed. Setting either also turns off glibc's dynamic mmap threshold, which would
  // otherwise move with the sizes freed so far.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, -1);
#endif
}

void parallel_for(int n, const std::function<void(int)>& f) {
  if (n <= 0) return;
  // One slot per item so the rethrown exception does not depend on thread timing.
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(n));
  const int nt = n < g_threads ? n : g_threads;
  if (nt <= 1) {
    for (int i = 0; i < n; ++i) {
      try {
        f(i);
      } catch (...) {
        errors[static_cast<std::size_t>(i)] = std::current_exception();
      }
    }
  } else {
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int i = 0; i < n; ++i) {
      try {
        f(i);
      } catch (...) {
        errors[static_cast<std::size_t>(i)] = std::current_exception();
      }
    }
  }
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace lb
