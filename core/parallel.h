// Threads (OpenMP underneath). Work is split into items whose results are combined in item
// order, never per thread, so results are identical for any thread count.
#pragma once

#include <functional>

namespace lb {

/// Threads used by parallel_for; 0 = all cores. Set once from the CLI (--threads).
void set_threads(int n);
int threads();

/// Makes the C library keep freed memory for reuse instead of returning it to the kernel: the
/// engine allocates and frees matrices of the same few sizes (0.1-2 MB) for every chunk of
/// samples, and with glibc's defaults each such matrix comes from fresh pages (mmap or a grown
/// heap) that the kernel must fault in and zero: 12% of RevealCancel's time, which this removes
/// (docs/benchmarks/speed.md). Memory then stays at the process's peak until exit. Called once at the
/// start of the CLI and of the benchmarks; does nothing without glibc.
void keep_freed_memory();

/// Runs f(i) for i in [0, n), statically scheduled over threads(); f must only write its own
/// item's outputs. Exceptions thrown by f are rethrown (the first by item index).
void parallel_for(int n, const std::function<void(int)>& f);

}  // namespace lb
