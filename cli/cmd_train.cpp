// `liftbench train`: train the [model] network on a dataset directory or MNIST, then score the
// test split (the train step, pipeline/steps.h).
#include <string>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/sections.h"
#include "cli/steps.h"
#include "core/log.h"
#include "model/inputs.h"

namespace lb::cli {

using namespace pipeline;

int cmd_train(int argc, const char* const* argv) {
  TrainJob job;
  job.mnist_valid = std::to_string(model::kMnistValidDefault);
  bool quiet = false;
  OptionSet opts("train");
  opts.add_flag("data", &job.data_dir, "dataset directory written by 'liftbench simulate'", "DIR");
  opts.add_flag("mnist", &job.mnist_dir,
                "instead of --data: directory of the four MNIST IDX files (scripts/get_mnist.sh); pixels scaled "
                "to [0, 1]; needs model.output = softmax",
                "DIR");
  opts.add_flag("mnist-valid", &job.mnist_valid,
                fmt::format("with --mnist: the last N training images are the validation split (early stopping; "
                            "default {})",
                            model::kMnistValidDefault),
                "N");
  opts.add_flag("out,o", &job.out,
                "model file to write (e.g. model.npz); beside it <stem>.metrics.tsv, <stem>.epochs.tsv, "
                "<stem>.config.ini, and during training the checkpoint <stem>.ckpt.npz",
                "FILE");
  opts.add_switch("resume", &job.resume, "continue a killed run from its checkpoint <stem>.ckpt.npz");
  opts.add_flag("threads", &job.threads, "threads (0 = all cores); results are identical for any value", "N");
  opts.add_switch("quiet,q", &quiet, "no information lines on stderr");
  add_all_options(opts, job.run);
  opts.show_sections(step_sections("train"));
  if (!opts.parse(argc, argv)) {
    fmt::print("{}", opts.help());
    return 0;
  }
  set_log_quiet(quiet);
  job.config_ini = opts.resolved_ini();
  train_step(job);
  return 0;
}

}  // namespace lb::cli
