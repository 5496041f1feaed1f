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
#include "cli/options.h"
#include "cli/sections.h"
#include "cli/steps.h"
#include "core/error.h"
#include "core/log.h"
#include "eval/report.h"
#include "io/atomic_file.h"
#include "io/manifest.h"
#include "pipeline/inputs.h"
#include "pipeline/steps.h"

namespace lb::cli {

using namespace pipeline;

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

  // Each step is called as `liftbench <step> -c run.config.ini --threads N` would run it (the
  // same function, the same resolved configuration beside its outputs), so a step of `run` and
  // the same step run by hand or by a sweep's workflow give the same files.
  const std::string data = out + "/data", model = out + "/model.npz", scores = out + "/scores.npz";
  std::vector<Step> steps{
      {"simulate", data + "/config.ini",
       {data + "/sequences.fa", data + "/sequences.fa.fai", data + "/labels.tsv", data + "/motifs.bed"},
       [&] { simulate_step({.run = run, .out = data, .simdata = {}, .config_ini = step_config_ini("simulate", run)}); },
       data + "/manifest.tsv"},
      {"train", out + "/model.config.ini", {model, out + "/model.metrics.tsv"},
       [&] {
         train_step({.run = run, .out = model, .data_dir = data, .mnist_dir = {}, .mnist_valid = {}, .threads = threads,
                     .config_ini = step_config_ini("train", run)});
       },
       out + "/model.manifest.tsv"},
      {"attribute", out + "/scores.config.ini", {scores},
       [&] {
         AttributeJob job;
         job.run = run, job.model_path = model, job.data_dir = data, job.out = scores, job.threads = threads;
         job.model_from_config = true;
         job.config_ini = step_config_ini("attribute", run);
         attribute_step(job);
       },
       out + "/scores.manifest.tsv"},
      {"evaluate", out + "/evaluate.config.ini",
       {out + "/metrics.tsv", out + "/metrics.json", out + "/hits.tsv"},
       [&] {
         evaluate_step({.run = run, .data_dir = data, .scores_path = scores, .model_metrics = out + "/model.metrics.tsv",
                        .out = out, .threads = threads, .config_ini = step_config_ini("evaluate", run)});
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
                        SanityJob job;
                        job.run = run, job.model_path = model, job.data_dir = data, job.out = out, job.threads = threads;
                        job.model_from_config = true;
                        job.config_ini = step_config_ini("sanity", run);
                        sanity_step(job);
                      },
                      out + "/sanity.manifest.tsv"});

  // Motif discovery (eval.discover_methods): after the evaluation, before the report, which shows it.
  if (!discover_methods.empty())
    steps.insert(steps.end() - 1,
                 Step{"discover", out + "/discover.config.ini", {out + "/discovery.tsv"},
                      [&] {
                        discover_step({.run = run, .data_dir = data, .scores_path = scores, .out = out,
                                       .threads = threads, .config_ini = step_config_ini("discover", run),
                                       .seqlets = {}, .motifs = {}});
                      },
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
