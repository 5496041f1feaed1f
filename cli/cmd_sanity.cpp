// `liftbench sanity`: the model-randomisation sanity check of every method of
// attribution.methods on a dataset split (the sanity step, pipeline/steps.h).
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/sections.h"
#include "cli/steps.h"
#include "core/log.h"

namespace lb::cli {

using namespace pipeline;

int cmd_sanity(int argc, const char* const* argv) {
  SanityJob job;
  bool quiet = false;
  OptionSet opts("sanity");
  opts.add_flag("model", &job.model_path, "model file written by 'liftbench train' or 'import', or an ONNX model (.onnx)", "FILE");
  opts.add_flag("data", &job.data_dir, "dataset directory written by 'liftbench simulate'", "DIR");
  opts.add_flag("split", &job.split_name, "sequences of --data to attribute: train, valid, test or all", "NAME");
  opts.add_flag("methods", &job.methods, "shorthand for --attribution.methods", "LIST");
  opts.add_flag("out,o", &job.out, "output directory: sanity.tsv, sanity.config.ini, sanity.manifest.tsv", "DIR");
  opts.add_flag("threads", &job.threads, "threads (0 = all cores); results are identical for any value", "N");
  opts.add_switch("quiet,q", &quiet, "no information lines on stderr");
  add_all_options(opts, job.run);
  opts.show_sections(step_sections("sanity"));
  if (!opts.parse(argc, argv)) {
    fmt::print("{}", opts.help());
    return 0;
  }
  set_log_quiet(quiet);
  // --methods is attribution.methods: the resolved configuration shows the list checked.
  if (!job.methods.empty()) job.run.attribution.methods = job.methods;
  job.model_from_config = !opts.config_file().empty();
  job.config_ini = opts.resolved_ini();
  sanity_step(job);
  return 0;
}

}  // namespace lb::cli
