// `liftbench sweep`: a grid of runs written as a Snakemake workflow and run by Snakemake;
// `liftbench aggregate`: the sweep's metrics as one table with statistics across seeds
// (docs/sweeps.md).
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
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
#include "pipeline/steps.h"

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

/// SIGINT and SIGTERM sent to liftbench reach Snakemake as SIGINT: Snakemake 7 stops its jobs only
/// on SIGINT (it kills its local jobs and cancels its cluster jobs with the profile's
/// `cluster-cancel`), while on SIGTERM it waits for the running jobs to finish. A SIGINT from the
/// terminal (si_code SI_KERNEL) has reached Snakemake, in the same process group, already: a second
/// one could interrupt its cancelling, so it is not passed on.
void forward_signal(int sig, siginfo_t* info, void*) {
  if (g_child <= 0) return;
  if (sig == SIGINT && info != nullptr && info->si_code == SI_KERNEL) return;
  ::kill(g_child, SIGINT);
}

/// Runs argv and waits; the exit status (128 + signal when killed). Signals as forward_signal
/// says; the child gets SIGINT if liftbench dies without passing a signal on (SIGKILL). The
/// child's stderr goes to the file `log` (a file, not a pipe, so that a child outliving liftbench
/// can still write, and cancel its jobs): copied from there to liftbench's stderr when `echo`,
/// and kept in `*err` (its last 16 MiB).
int run_and_wait(const std::vector<std::string>& args, const std::string& log, bool echo, std::string* err) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const int log_w = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (log_w < 0) throw io_error(log, "cannot create", errno);
  const int log_r = ::open(log.c_str(), O_RDONLY | O_CLOEXEC);
  if (log_r < 0) {
    const int e = errno;
    ::close(log_w);
    throw io_error(log, "cannot read", e);
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int e = errno;
    ::close(log_w);
    ::close(log_r);
    throw io_error(args[0], "cannot start", e);
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGINT);
    if (::getppid() != parent) ::_exit(128 + SIGINT);  // the parent died before prctl
    // A command started in the background by a non-interactive shell has SIGINT ignored, and
    // Python keeps an ignored SIGINT ignored: Snakemake could then never cancel its jobs.
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::dup2(log_w, 2);
    ::execv(args[0].c_str(), argv.data());
    ::_exit(127);
  }
  ::close(log_w);
  g_child = pid;
  struct sigaction sa {};
  sa.sa_sigaction = forward_signal;
  sa.sa_flags = SA_SIGINFO;
  ::sigemptyset(&sa.sa_mask);
  struct sigaction old_int {}, old_term {};
  ::sigaction(SIGINT, &sa, &old_int);
  ::sigaction(SIGTERM, &sa, &old_term);
  constexpr std::size_t kKeep = std::size_t{16} << 20;
  char buf[65536];
  const auto drain = [&] {
    for (;;) {
      const ssize_t n = ::read(log_r, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      if (echo) {
        for (ssize_t done = 0; done < n;) {
          const ssize_t w = ::write(2, buf + done, static_cast<std::size_t>(n - done));
          if (w < 0 && errno == EINTR) continue;
          if (w <= 0) break;
          done += w;
        }
      }
      err->append(buf, static_cast<std::size_t>(n));
      if (err->size() > 2 * kKeep) err->erase(0, err->size() - kKeep);
    }
  };
  int status = 0;
  pid_t w = 0;
  int wait_errno = 0;
  for (;;) {
    drain();
    w = ::waitpid(pid, &status, WNOHANG);
    if (w == 0) {
      ::usleep(50'000);  // woken early by a signal, which is fine
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    wait_errno = errno;
    break;
  }
  drain();
  ::close(log_r);
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGTERM, &old_term, nullptr);
  g_child = 0;
  if (w < 0) throw io_error(args[0], "cannot wait for", wait_errno);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

/// Runs argv with stdout read back (stderr discarded); empty when it cannot run or fails.
std::string output_of(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return "";
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return "";
  }
  if (pid == 0) {
    ::dup2(fds[1], 1);
    const int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0) ::dup2(null, 2);
    ::execv(args[0].c_str(), argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? out : "";
}

/// The SLURM log (the job's StdOut) of cluster job `id` as `scontrol show job` gives it while
/// SLURM remembers the job (MinJobAge, 300 s by default); empty without scontrol or the job.
std::string slurm_log_of(const std::string& id) {
  const std::string scontrol = find_on_path("scontrol");
  if (scontrol.empty() || id.empty() || id.find_first_not_of("0123456789_") != std::string::npos) return "";
  const std::string text = output_of({scontrol, "show", "job", "-o", id});
  const std::size_t at = text.find(" StdOut=");
  if (at == std::string::npos) return "";
  const std::size_t b = at + 8, e = text.find_first_of(" \n", b);
  return text.substr(b, e == std::string::npos ? std::string::npos : e - b);
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
  // Steps per kind, in the pipeline's order (the steps table), whatever kinds the sweep has.
  std::string counts;
  for (const auto& def : pipeline::steps()) {
    const auto n = std::count_if(plan.steps.begin(), plan.steps.end(), [&](const auto& s) { return s.kind == def.name; });
    if (n > 0) counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", n, def.name);
  }
  log_info("sweep", "{} grid points over {} axes: {} steps -> {}/Snakefile", plan.points.size(), spec.axes.size(),
           counts, out);
  if (no_run) return 0;

  // Snakemake's errors are read back from its output (DIR/logs/snakemake.log, failed_jobs), so it
  // always runs with `--quiet rules`; -q keeps that output off liftbench's stderr instead.
  std::vector<std::string> args{snakemake, "--snakefile", out + "/Snakefile", "--directory", out,
                                "--cores", n_cores > 0 ? std::to_string(n_cores) : std::string("all"),
                                "--nolock", "--rerun-incomplete", "--scheduler", "greedy", "--quiet", "rules"};
  for (auto& a : split_ws(snakemake_args)) args.push_back(std::move(a));
  const auto t0 = std::chrono::steady_clock::now();
  std::string snakemake_output;
  const int rc = run_and_wait(args, out + "/logs/snakemake.log", !quiet, &snakemake_output);
  if (rc != 0) {
    // Each failed step with its log, and for a cluster job its id and SLURM log (docs/sweeps.md,
    // "When a step fails").
    std::string failed;
    for (const auto& job : failed_jobs(snakemake_output)) {
      failed += fmt::format("; step {} failed", job.rule);
      if (!job.cluster_jobid.empty()) {
        failed += fmt::format(" on the cluster (job {}", job.cluster_jobid);
        const std::string slurm_log = slurm_log_of(job.cluster_jobid);
        if (!slurm_log.empty()) failed += fmt::format(", SLURM log {}", slurm_log);
        failed += ")";
      }
      if (!job.log.empty()) failed += fmt::format(", its log is {}/{}", out, job.log);
    }
    if (failed.empty()) failed = fmt::format("; the failed step's log is in {}/logs/", out);
    throw Error(fmt::format("snakemake exited with status {}{} (run the same command again to resume)", rc, failed));
  }
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
