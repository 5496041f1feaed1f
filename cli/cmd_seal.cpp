// `liftbench seal`: write the manifest of a dataset directory made by hand, after checking that
// it reads as every dataset reader reads it (docs/cli.md, docs/reliability.md).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "core/error.h"
#include "core/log.h"
#include "sim/dataset.h"

namespace lb::cli {

int cmd_seal(int argc, const char* const* argv) {
  std::string data_dir;
  bool quiet = false;
  OptionSet opts("seal");
  opts.add_flag("data", &data_dir,
                "dataset directory to seal: checked as train, predict, attribute, evaluate and sanity read it, "
                "then DIR/manifest.tsv is written",
                "DIR");
  opts.add_switch("quiet,q", &quiet, "no information lines on stderr");
  if (!opts.parse(argc, argv)) {
    fmt::print("{}", opts.help());
    return 0;
  }
  set_log_quiet(quiet);
  if (data_dir.empty()) throw ConfigError("--data: missing dataset directory; expected --data DIR, got nothing");
  const std::vector<std::string> files = sim::seal_dataset_dir(data_dir);
  log_info("seal", "wrote {}/{} ({})", data_dir, sim::kDatasetManifest, fmt::join(files, ", "));
  return 0;
}

}  // namespace lb::cli
