// `liftbench evaluate`: score every method of a scores file against the planted motifs of its
// dataset (the evaluate step, pipeline/steps.h).
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/sections.h"
#include "cli/steps.h"
#include "core/log.h"

namespace lb::cli {

using namespace pipeline;

int cmd_evaluate(int argc, const char* const* argv) {
  EvaluateJob job;
  bool quiet = false;
  OptionSet opts("evaluate");
  opts.add_flag("data", &job.data_dir, "dataset directory written by 'liftbench simulate' (ground truth: motifs.bed)", "DIR");
  opts.add_flag("scores", &job.scores_path, "scores file written by 'liftbench attribute'", "FILE");
  opts.add_flag("model-metrics", &job.model_metrics,
                "test metrics written by 'liftbench train' (<stem>.metrics.tsv), copied into the outputs", "FILE");
  opts.add_flag("model", &job.model_path,
                "model file (model.npz or .onnx) whose forward pass the faithfulness metrics of eval.xai_metrics "
                "perturb (docs/metrics.md); without it they are not computed",
                "FILE");
  opts.add_flag("out,o", &job.out,
                "output directory: metrics.tsv, metrics.json, hits.tsv, role_metrics.tsv, method_differences.tsv, "
                "report/index.html, evaluate.config.ini, evaluate.manifest.tsv",
                "DIR");
  opts.add_flag("threads", &job.threads, "threads (0 = all cores); results are identical for any value", "N");
  opts.add_switch("quiet,q", &quiet, "no information lines on stderr");
  add_all_options(opts, job.run);
  opts.show_sections(step_sections("evaluate"));
  if (!opts.parse(argc, argv)) {
    fmt::print("{}", opts.help());
    return 0;
  }
  set_log_quiet(quiet);
  job.config_ini = opts.resolved_ini();
  evaluate_step(job);
  return 0;
}

}  // namespace lb::cli
