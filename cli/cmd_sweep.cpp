// `liftbench sweep`: a grid of runs written as a Snakemake workflow and run by Snakemake;
// `liftbench aggregate`: the sweep's metrics as one table with statistics across seeds
// (docs/sweeps.md).
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/sweep.h"
#include "core/error.h"
#include "core/log.h"
#include "eval/aggregate.h"
#include "io/atomic_file.h"
#include "pipeline/inputs.h"

namespace lb::cli {

using namespace pipeline;

namespace {

namespace fs = std::filesystem;

/// The first executable `name` on PATH, or empty.
std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "");
  std::string d;
  while (std::getline(ss, d, ':')) {
    if (d.empty()) continue;
    const std::string f = d + "/" + name;
    if (::access(f.c_str(), X_OK) == 0) return f;
  }
  return "";
}

pid_t g_child = 0;  // the running Snakemake, for the signal forwarder

void forward_signal(int sig) {
  if (g_child > 0) ::kill(g_child, sig);
}

/// Runs argv and waits; the exit status (128 + signal when killed). SIGINT and SIGTERM sent to
/// liftbench are passed on to the child (Snakemake then stops its jobs and marks them
/// incomplete), and the child gets SIGTERM if liftbench dies without passing it on (SIGKILL).
int run_and_wait(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw io_error(args[0], "cannot start", errno);
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(128 + SIGTERM);  // the parent died before prctl
    ::execv(args[0].c_str(), argv.data());
    ::_exit(127);
  }
  g_child = pid;
  struct sigaction sa {};
  sa.sa_handler = forward_signal;
  ::sigemptyset(&sa.sa_mask);
  struct sigaction old_int {}, old_term {};
  ::sigaction(SIGINT, &sa, &old_int);
  ::sigaction(SIGTERM, &sa, &old_term);
  int status = 0;
  pid_t w = 0;
  while ((w = ::waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
  }
  const int wait_errno = errno;
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGTERM, &old_term, nullptr);
  g_child = 0;
  if (w < 0) throw io_error(args[0], "cannot wait for", wait_errno);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

/// A whole number >= lo from a flag's text; ConfigError "--flag: bad value; expected an integer
/// >= lo, got 'text'".
int parse_count(const std::string& text, const std::string& flag, int lo) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || v < lo || v > 1'000'000'000)
    throw ConfigError(fmt::format("{}: bad value; expected an integer >= {}, got '{}'", flag, lo, text));
  return static_cast<int>(v);
}

std::vector<std::string> split_ws(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string w;
  while (ss >> w) out.push_back(w);
  return out;
}

}  // namespace

int cmd_sweep(int argc, const char* const* argv) {
  std::string out, cores = "0", job_threads = "1", snakemake_args;
  bool quiet = false, no_run = false;
  OptionSet opts("sweep", "sweep file: [sweep] base = CONFIG, [axes] section.key = v1 | v2 | ... (docs/sweeps.md)");
  opts.add_flag("out,o", &out,
                "sweep directory: Snakefile, sweep.json, points.tsv, axes.tsv, points/, steps/, data/, models/, "
                "scores/, eval/, logs/, aggregate/",
                "DIR");
  opts.add_flag("cores", &cores, "cores Snakemake may use at once (0 = all of this machine's)", "N");
  opts.add_flag("job-threads", &job_threads, "threads of each train, attribute and evaluate job", "N");
  opts.add_flag("snakemake-args", &snakemake_args,
                "more Snakemake arguments, split at blanks (e.g. '--profile slurm --jobs 100')", "ARGS");
  opts.add_switch("no-run", &no_run, "write the workflow only; run it with snakemake yourself");
  opts.add_switch("quiet,q", &quiet, "no information lines on stderr");
  if (!opts.parse(argc, argv)) {
    fmt::print("{}", opts.help());
    return 0;
  }
  set_log_quiet(quiet);
  if (opts.config_file().empty()) throw ConfigError("--config: missing sweep file; expected -c SWEEP.ini, got nothing");
  if (out.empty()) throw ConfigError("--out: missing output directory; expected -o DIR, got nothing");
  const int n_cores = parse_count(cores, "--cores", 0);
  const int n_job_threads = parse_count(job_threads, "--job-threads", 1);

  const SweepSpec spec = read_sweep_spec(opts.config_file());
  const SweepPlan plan = plan_sweep(spec);
  std::string snakemake;
  if (!no_run) {
    snakemake = find_on_path("snakemake");
    if (snakemake.empty())
      throw ConfigError("snakemake: not found on PATH; expected Snakemake 7 (Debian: apt-get install snakemake, "
                        "as scripts/setup.sh --tests does), or --no-run to write the workflow only");
  }
  io::ensure_output_dir(out);
  // One sweep at a time in a directory: a lock the kernel releases when the process dies (Snakemake's
  // own lock is turned off with --nolock, so a killed sweep leaves nothing to unlock).
  const std::string lock_path = out + "/.sweep.lock";
  const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0) throw io_error(lock_path, "cannot open", errno);
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0)
    throw ConfigError(fmt::format("{}: in use by another liftbench sweep ({}); expected one sweep per directory", out,
                                  lock_path));
  const std::string exe = fs::read_symlink("/proc/self/exe").string();
  write_workflow(plan, out, exe, n_job_threads);
  std::size_t counts[4] = {0, 0, 0, 0};
  for (const auto& s : plan.steps)
    counts[s.kind == "simulate" ? 0 : s.kind == "train" ? 1 : s.kind == "attribute" ? 2 : 3]++;
  log_info("sweep", "{} grid points over {} axes: {} datasets, {} models, {} score files, {} evaluations -> {}/Snakefile",
           plan.points.size(), spec.axes.size(), counts[0], counts[1], counts[2], counts[3], out);
  if (no_run) return 0;

  std::vector<std::string> args{snakemake, "--snakefile", out + "/Snakefile", "--directory", out,
                                "--cores", n_cores > 0 ? std::to_string(n_cores) : std::string("all"),
                                "--nolock", "--rerun-incomplete", "--scheduler", "greedy", "--quiet", quiet ? "all" : "rules"};
  for (auto& a : split_ws(snakemake_args)) args.push_back(std::move(a));
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = run_and_wait(args);
  if (rc != 0)
    throw Error(fmt::format("snakemake exited with status {}; the failed step's log is in {}/logs/ (run the same "
                            "command again to resume)",
                            rc, out));
  log_info("sweep", "done in {:.1f} s: {}/aggregate/index.html", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), out);
  return 0;
}

int cmd_aggregate(int argc, const char* const* argv) {
  std::string dir, resamples = "5000", seed = "1";
  bool quiet = false;
  OptionSet opts("aggregate");
  opts.add_flag("dir", &dir, "sweep directory written by 'liftbench sweep'", "DIR");
  opts.add_flag("resamples", &resamples, "bootstrap resamples of each interval", "B");
  opts.add_flag("seed", &seed, "seed of the bootstrap", "S");
  opts.add_switch("quiet,q", &quiet, "no information lines on stderr");
  opts.set_positional("dir");
  if (!opts.parse(argc, argv)) {
    fmt::print("{}", opts.help());
    return 0;
  }
  set_log_quiet(quiet);
  if (dir.empty()) throw ConfigError("--dir: missing sweep directory; expected 'liftbench aggregate DIR', got nothing");
  eval::AggregateConfig cfg;
  cfg.resamples = parse_count(resamples, "--resamples", 1);
  cfg.seed = static_cast<std::uint64_t>(parse_count(seed, "--seed", 0));
  const int n = eval::write_aggregate(dir, cfg);
  log_info("aggregate", "{} runs -> {}/aggregate/{{runs.tsv,summary.tsv,comparisons.tsv,summary.json,index.html}}", n, dir);
  return 0;
}

}  // namespace lb::cli
