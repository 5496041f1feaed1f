// Threads (OpenMP underneath). Work is split into items whose results are combined in item
// order, never per thread, so results are identical for any thread count.
#pragma once

#include <functional>

namespace lb {

/// Threads used by parallel_for; 0 = all cores. Set once from the CLI (--threads).
void set_threads(int n);
int threads();

/// Runs f(i) for i in [0, n), statically scheduled over threads(); f must only write its own
/// item's outputs. Exceptions thrown by f are rethrown (the first by item index).
void parallel_for(int n, const std::function<void(int)>& f);

}  // namespace lb
