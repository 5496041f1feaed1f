// liftbench's entry point: the only place that catches, prints `liftbench: error: ...` and
// chooses the exit code (1 for user errors, 2 for internal errors).
#include <cstdio>
#include <exception>

#include <fmt/format.h>

#include "cli/commands.h"
#include "core/error.h"
#include "core/parallel.h"
#include "io/version.h"

int main(int argc, char** argv) {
  lb::io::quiet_htslib();    // our errors carry the message; HTSlib's own lines would double it
  lb::keep_freed_memory();  // the engine reuses its matrices' memory (core/parallel.h)
  try {
    return lb::cli::run_main(argc, argv);
  } catch (const lb::Error& e) {
    fmt::print(stderr, "liftbench: error: {}\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "liftbench: error: internal error: {}\n", e.what());
    return 2;
  }
}
