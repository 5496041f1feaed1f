// The steps' resolved configurations (cli/steps.h).
#include "cli/steps.h"

#include "cli/options.h"

namespace lb::cli {

std::string step_config_ini(const std::string& command, RunConfig run) {
  OptionSet opts(command);
  add_all_options(opts, run);
  opts.show_sections(pipeline::step_sections(command));
  return opts.resolved_ini();
}

}  // namespace lb::cli
