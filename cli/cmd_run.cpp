// `liftbench run`: the whole benchmark into one directory, the steps of the pipeline's table in
// order (simulate, train, attribute with the paper's methods, evaluate, sanity and discover when
// asked for, report), reusing every step whose outputs exist for the same config.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/sections.h"
#include "cli/steps.h"
#include "core/error.h"
#include "core/log.h"
#include "io/atomic_file.h"
#include "io/manifest.h"
#include "pipeline/inputs.h"
#include "pipeline/steps.h"

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

/// Why `step` must run again, or empty when its outputs are current for `want`.
/// `dir`: the run directory.
std::string stale_reason(const pipeline::StepDef& step, const std::string& dir,
                         const std::map<std::string, std::string>& want) {
  const auto path = [&](std::string_view rel) { return fmt::format("{}/{}", dir, rel); };
  for (const auto& f : step.outputs)
    if (!fs::exists(path(f))) return fmt::format("{} is missing", path(f));
  const std::string config = path(step.config);
  if (!fs::exists(config)) return fmt::format("{} is missing", config);
  if (!step.manifest.empty()) {
    try {
      io::verify_manifest(path(step.manifest), fmt::format("liftbench {}", step.name));
    } catch (const InputError& e) {
      return e.what();
    }
  }
  const auto have = ini_values(config);
  if (have.empty()) return fmt::format("{} has no configuration keys", config);
  for (const auto& [key, value] : have) {
    const auto it = want.find(key);
    if (it == want.end()) return fmt::format("{} has key {}, unknown to this version", config, key);
    if (it->second != value)
      return fmt::format("{} differs: '{}' in {}, '{}' now", key, value, config, it->second);
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
  opts.show_sections(pipeline::run_sections());
  if (!opts.parse(argc, argv)) {
    fmt::print("{}", opts.help());
    return 0;
  }
  set_log_quiet(quiet);
  if (out.empty()) throw ConfigError("--out: missing output directory; expected -o DIR, got nothing");
  try {
    pipeline::validate(run);
  } catch (const ConfigError& e) {  // a key's check: with the file:line of its value
    throw ConfigError(with_config_location(e.what()));
  }
  pipeline::apply_threads(threads);
  io::ensure_output_dir(out);
  // One run at a time in a directory: an exclusive lock on the directory itself (no file is
  // added to it), held until run returns, released by the kernel however the process ends.
  struct DirLock {
    int fd;
    ~DirLock() {
      if (fd >= 0) ::close(fd);
    }
  } lock{::open(out.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (lock.fd < 0) throw io_error(out, "cannot open", errno);
  if (::flock(lock.fd, LOCK_EX | LOCK_NB) != 0)
    throw ConfigError(fmt::format("{}: in use by another liftbench run; expected one run per directory", out));

  // Every step reads the run's resolved configuration, so flags given to `run` reach them all.
  const std::string resolved = opts.resolved_ini();
  const std::string run_ini = out + "/run.config.ini";
  if (!fs::exists(run_ini) || io::read_file(run_ini) != resolved) io::write_file_atomic(run_ini, resolved);
  const auto want = ini_values(run_ini);

  // Each step of the table, when its configuration asks for it, is called as `liftbench <step>
  // -c run.config.ini --threads N` would run it (the same function, the same resolved
  // configuration beside its outputs), so a step of `run` and the same step run by hand or by a
  // sweep's workflow give the same files.
  std::vector<const pipeline::StepDef*> steps;
  for (const auto& step : pipeline::steps())
    if (pipeline::step_on(step, run)) steps.push_back(&step);
  const auto path = [&](std::string_view rel) { return rel.empty() ? out : fmt::format("{}/{}", out, rel); };

  const auto t_run = std::chrono::steady_clock::now();
  bool rerun_rest = false;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const pipeline::StepDef& step = *steps[i];
    const std::string reason =
        force ? "--force" : rerun_rest ? "an earlier step ran" : stale_reason(step, out, want);
    if (reason.empty()) {
      log_info("run", "{}: reused ({} matches this configuration)", step.name, path(step.config));
      continue;
    }
    if (!rerun_rest) {
      // Invalidate this step and every later one first: a run killed from here on must not
      // leave a later step looking current beside outputs of a different configuration.
      for (std::size_t j = i; j < steps.size(); ++j) {
        fs::remove(path(steps[j]->config));
        if (!steps[j]->manifest.empty()) fs::remove(path(steps[j]->manifest));
      }
      rerun_rest = true;
    }
    log_info("run", "{}: running ({})", step.name, reason);
    const auto t0 = std::chrono::steady_clock::now();
    // A step without a command of its own (the report) writes the run's whole configuration.
    step.run({.step = step, .run = run, .dir = out, .threads = threads,
              .config_ini = step.command.empty() ? resolved : step_config_ini(std::string(step.command), run),
              .run_ini = resolved});
    log_info("run", "{}: done in {:.2f} s", step.name,
             std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  log_info("run", "{}/report/index.html is ready ({:.2f} s)", out,
           std::chrono::duration<double>(std::chrono::steady_clock::now() - t_run).count());
  return 0;
}

}  // namespace lb::cli
