// `liftbench run`: the whole benchmark into one directory (simulate, train, attribute with the
// paper's methods, evaluate, report), reusing every step whose outputs exist for the same config.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/discover_run.h"
#include "cli/options.h"
#include "cli/sections.h"
#include "cli/train_data.h"
#include "core/error.h"
#include "core/log.h"
#include "eval/report.h"
#include "io/atomic_file.h"
#include "io/manifest.h"
#include "io/tsv.h"
#include "sim/dataset.h"
#include "sim/scenario.h"

namespace lb::cli {

namespace {

namespace fs = std::filesystem;

/// The paper's genomics methods (appendices G-J): guided backprop x input, gradient x input,
/// IG with 10 steps, DeepLIFT Rescale, RevealCancel, the genomics preset (RevealCancel on the
/// dense layers, Rescale on the convolutions), the preset averaged over dinucleotide-shuffled
/// references (Multiref-n, appendix J), and in-silico mutagenesis. `run`'s default list.
constexpr const char* kPaperMethods =
    "guided_backprop,grad_x_input,ig,deeplift:rescale,deeplift:revealcancel,deeplift:genomics,"
    "deeplift:genomics@dinuc_shuffle,ism";

/// One step of the pipeline: the resolved config it writes beside its outputs (written last,
/// so its presence means the step completed), the outputs that must exist, how to run it, and
/// the manifest it writes last (empty: none), whose files must still match it.
struct Step {
  std::string name;
  std::string config;
  std::vector<std::string> outputs;
  std::function<void()> run;
  std::string manifest;
};

/// Why `step` must run again, or empty when its outputs are current for `want`.
std::string stale_reason(const Step& step, const std::map<std::string, std::string>& want) {
  for (const auto& f : step.outputs)
    if (!fs::exists(f)) return fmt::format("{} is missing", f);
  if (!fs::exists(step.config)) return fmt::format("{} is missing", step.config);
  if (!step.manifest.empty()) {
    try {
      io::verify_manifest(step.manifest, "liftbench " + step.name);
    } catch (const InputError& e) {
      return e.what();
    }
  }
  const auto have = ini_values(step.config);
  if (have.empty()) return fmt::format("{} has no configuration keys", step.config);
  for (const auto& [key, value] : have) {
    const auto it = want.find(key);
    if (it == want.end()) return fmt::format("{} has key {}, unknown to this version", step.config, key);
    if (it->second != value)
      return fmt::format("{} differs: '{}' in {}, '{}' now", key, value, step.config, it->second);
  }
  return "";
}

/// Runs a subcommand with argv built from `args`; a non-zero exit is an error.
void run_command(int (*cmd)(int, const char* const*), const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  const int rc = cmd(static_cast<int>(argv.size()), argv.data());
  if (rc != 0) throw Error(fmt::format("liftbench {} exited with status {}", args.front(), rc));
}

/// The discover step (docs/discovery.md, "The benchmark"): for each method of eval.discover_methods
/// and each task, discovery into OUT/discover/<method>/task<t>/, matched to the scenario's motif
/// file and scored against the planted drivers; every row in OUT/discovery.tsv. A task where
/// discovery finds too little (too few seqlets, no motif with the support) counts as nothing
/// found, with a warning, rather than stopping the run.
void discover_step(const RunConfig& run, const std::vector<std::string>& methods, const std::string& data,
                   const std::string& scores, const std::string& out, const std::string& resolved) {
  io::remove_stale_marker(out + "/discover.manifest.tsv");
  const sim::Dataset ds = sim::read_dataset_dir(data);
  const std::string motif_path =
      run.sim.scenario.empty() ? run.sim.motifs_file : sim::read_scenario(run.sim.scenario).motifs_path;
  DiscoveryRows rows;
  for (const auto& m : methods)
    for (int t = 0; t < ds.n_tasks(); ++t) {
      DiscoverJob job{.scores_path = scores, .method = m, .task = t, .seqlets = {}, .motifs = {},
                      .motif_file = motif_path, .data_dir = data,
                      .out = fmt::format("{}/discover/{}/task{}", out, method_dir_name(m), t)};
      DiscoveryRows r;
      try {
        r = run_discover(job);
      } catch (const InputError& e) {
        log_warn("run", "discover: {} task {}: {}; counted as nothing discovered", m, t, e.what());
        r = failed_discovery_rows(job);
      }
      rows.insert(rows.end(), r.begin(), r.end());
    }
  io::write_tsv(out + "/discovery.tsv", kDiscoveryHeader, rows);
  io::write_file_atomic(out + "/discover.config.ini", resolved);
  io::write_manifest(out + "/discover.manifest.tsv", std::vector<std::string>{"discovery.tsv", "discover.config.ini"});
}

}  // namespace

int cmd_run(int argc, const char* const* argv) {
  RunConfig run;
  run.attribution.methods = kPaperMethods;  // before registration: the default `run --help` shows
  std::string out, threads = "0";
  bool quiet = false, force = false;
  OptionSet opts("run");
  opts.add_flag("out,o", &out,
                "output directory: data/, model.npz, scores.npz, metrics.tsv, metrics.json, hits.tsv, "
                "report/index.html, run.config.ini, and each step's resolved config",
                "DIR");
  opts.add_flag("threads", &threads, "threads (0 = all cores); results are identical for any value", "N");
  opts.add_switch("force", &force, "run every step, even those whose outputs exist for the same configuration");
  opts.add_switch("quiet,q", &quiet, "no information lines on stderr");
  add_all_options(opts, run);
  opts.show_sections({"sim", "model", "train", "attribution", "eval", "sanity"});
  if (!opts.parse(argc, argv)) {
    fmt::print("{}", opts.help());
    return 0;
  }
  set_log_quiet(quiet);
  if (out.empty()) throw ConfigError("--out: missing output directory; expected -o DIR, got nothing");
  sim::validate(run.sim);
  model::validate(run.model);
  model::validate(run.train);
  attr::validate(run.attribution);
  eval::validate(run.eval);
  const std::vector<std::string> discover_methods = eval::discover_method_list(run.eval);
  {
    std::vector<std::string> attributed;
    std::stringstream ss(run.attribution.methods);
    for (std::string m; std::getline(ss, m, ',');) {
      const auto b = m.find_first_not_of(" \t"), e = m.find_last_not_of(" \t");
      if (b != std::string::npos) attributed.push_back(m.substr(b, e - b + 1));
    }
    for (const auto& m : discover_methods)
      if (std::find(attributed.begin(), attributed.end(), m) == attributed.end())
        throw ConfigError(with_config_location(fmt::format(
            "eval.discover_methods: '{}' is not attributed; expected methods of attribution.methods, got '{}'", m, m)));
  }
  apply_threads(threads);
  io::ensure_output_dir(out);

  // Every step reads the run's resolved configuration, so flags given to `run` reach them all.
  const std::string resolved = opts.resolved_ini();
  const std::string run_ini = out + "/run.config.ini";
  if (!fs::exists(run_ini) || io::read_file(run_ini) != resolved) io::write_file_atomic(run_ini, resolved);
  const auto want = ini_values(run_ini);

  const std::string data = out + "/data", model = out + "/model.npz", scores = out + "/scores.npz";
  std::vector<std::string> common{"-c", run_ini};
  if (quiet) common.push_back("-q");
  auto with = [&](std::vector<std::string> args, bool threaded) {
    args.insert(args.end(), common.begin(), common.end());
    if (threaded) args.insert(args.end(), {"--threads", threads});
    return args;
  };
  std::vector<Step> steps{
      {"simulate", data + "/config.ini",
       {data + "/sequences.fa", data + "/sequences.fa.fai", data + "/labels.tsv", data + "/motifs.bed"},
       [&] { run_command(cmd_simulate, with({"simulate", "-o", data}, false)); }, data + "/manifest.tsv"},
      {"train", out + "/model.config.ini", {model, out + "/model.metrics.tsv"},
       [&] { run_command(cmd_train, with({"train", "--data", data, "-o", model}, true)); },
       out + "/model.manifest.tsv"},
      {"attribute", out + "/scores.config.ini", {scores},
       [&] { run_command(cmd_attribute, with({"attribute", "--model", model, "--data", data, "-o", scores}, true)); },
       out + "/scores.manifest.tsv"},
      {"evaluate", out + "/evaluate.config.ini",
       {out + "/metrics.tsv", out + "/metrics.json", out + "/hits.tsv"},
       [&] {
         run_command(cmd_evaluate, with({"evaluate", "--data", data, "--scores", scores, "--model-metrics",
                                         out + "/model.metrics.tsv", "-o", out},
                                        true));
       },
       out + "/evaluate.manifest.tsv"},
      // The report again, now with the whole run's configuration (evaluate's shows its own),
      // from an evaluation whose files still match their manifest.
      {"report", out + "/report/config.ini", {out + "/report/index.html"},
       [&] {
         io::verify_manifest(out + "/evaluate.manifest.tsv", "liftbench evaluate");
         eval::write_report(out, {.data_dir = data, .scores_path = scores, .config_ini = resolved});
         io::write_file_atomic(out + "/report/config.ini", resolved);
       },
       ""},
  };
  // The model-randomisation check (docs/cli.md, liftbench sanity), when sanity.in_run asks for it:
  // after evaluate, before the report.
  if (run.sanity.in_run)
    steps.insert(steps.end() - 1,
                 Step{"sanity", out + "/sanity.config.ini", {out + "/sanity.tsv"},
                      [&] {
                        run_command(cmd_sanity, with({"sanity", "--model", model, "--data", data, "-o", out}, true));
                      },
                      out + "/sanity.manifest.tsv"});

  // Motif discovery (eval.discover_methods): after the evaluation, before the report, which shows it.
  if (!discover_methods.empty())
    steps.insert(steps.end() - 1,
                 Step{"discover", out + "/discover.config.ini", {out + "/discovery.tsv"},
                      [&] { discover_step(run, discover_methods, data, scores, out, resolved); },
                      out + "/discover.manifest.tsv"});

  const auto t_run = std::chrono::steady_clock::now();
  bool rerun_rest = false;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const Step& step = steps[i];
    const std::string reason =
        force ? "--force" : rerun_rest ? "an earlier step ran" : stale_reason(step, want);
    if (reason.empty()) {
      log_info("run", "{}: reused ({} matches this configuration)", step.name, step.config);
      continue;
    }
    if (!rerun_rest) {
      // Invalidate this step and every later one first: a run killed from here on must not
      // leave a later step looking current beside outputs of a different configuration.
      for (std::size_t j = i; j < steps.size(); ++j) {
        fs::remove(steps[j].config);
        if (!steps[j].manifest.empty()) fs::remove(steps[j].manifest);
      }
      rerun_rest = true;
    }
    log_info("run", "{}: running ({})", step.name, reason);
    const auto t0 = std::chrono::steady_clock::now();
    step.run();
    log_info("run", "{}: done in {:.2f} s", step.name,
             std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  log_info("run", "{}/report/index.html is ready ({:.2f} s)", out,
           std::chrono::duration<double>(std::chrono::steady_clock::now() - t_run).count());
  return 0;
}

}  // namespace lb::cli
