// Sweeps (docs/sweeps.md): the sweep file's errors, the grid and its shared steps, the workflow
// files, and the smoke sweep under Snakemake -- run, killed part-way and resumed to the same
// aggregate as an uninterrupted sweep.
#include "cli/sweep.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "io/tsv.h"
#include "testing/helpers.h"

extern char** environ;

namespace lb::cli {
namespace {

using lb::testing::read_text;
using lb::testing::run_liftbench;
using lb::testing::TempDir;
using lb::testing::write_text;

const std::string kConfigs = std::string(LB_SOURCE_DIR) + "/configs";

// The error line of a failed command's stderr (after its provenance lines).
std::string error_line(const std::string& err) {
  const auto pos = err.rfind("liftbench: error: ");
  return pos == std::string::npos ? err : err.substr(pos);
}

// A sweep file beside configs/ so that `base = smoke.ini` resolves.
std::string sweep_file(const TempDir& d, const std::string& body) {
  const std::string p = d.file("s.ini");
  write_text(p, fmt::format("[sweep]\nbase = {}/smoke.ini\n{}", kConfigs, body));
  return p;
}

TEST(SweepTest, SmokeGridSharesDatasets) {
  const SweepPlan plan = plan_sweep(read_sweep_spec(kConfigs + "/sweeps/smoke.ini"));
  ASSERT_EQ(plan.points.size(), 4u);
  EXPECT_EQ(plan.points[0].id, "p0001");
  EXPECT_EQ(plan.points[1].values, (std::vector<std::string>{"7", "2"}));  // last axis fastest
  EXPECT_EQ(plan.points[2].values, (std::vector<std::string>{"8", "1"}));
  std::map<std::string, int> kinds;
  for (const auto& s : plan.steps) ++kinds[s.kind];
  EXPECT_EQ(kinds["simulate"], 2);  // one dataset per sim.seed
  EXPECT_EQ(kinds["train"], 4);
  EXPECT_EQ(kinds["attribute"], 4);
  EXPECT_EQ(kinds["evaluate"], 4);
  EXPECT_EQ(plan.points[0].data, plan.points[1].data);
  EXPECT_NE(plan.points[0].data, plan.points[2].data);
  EXPECT_NE(plan.points[0].model, plan.points[1].model);
  EXPECT_NE(plan.points[1].config.find("init_seed = 2"), std::string::npos);
  EXPECT_TRUE(plan.spec.axes[0].replicate);
  EXPECT_TRUE(plan.spec.axes[1].replicate);
}

TEST(SweepTest, DiscoverStepOnlyWhereMethodsAreListed) {
  TempDir d;
  const SweepPlan plan = plan_sweep(read_sweep_spec(
      sweep_file(d, "[axes]\nsim.seed = 1 | 2\neval.discover_methods = deeplift:rescale\n")));
  ASSERT_EQ(plan.points.size(), 2u);
  std::map<std::string, int> kinds;
  for (const auto& s : plan.steps) ++kinds[s.kind];
  EXPECT_EQ(kinds["discover"], 2);
  EXPECT_EQ(plan.points[0].discover, plan.points[0].evaluate);  // the sections of the evaluation
  const SweepPlan none = plan_sweep(read_sweep_spec(kConfigs + "/sweeps/smoke.ini"));
  for (const auto& s : none.steps) EXPECT_NE(s.kind, "discover");
  EXPECT_EQ(none.points[0].discover, "");
  write_workflow(plan, d.file("w"), "/bin/liftbench", 1);
  const auto points = io::read_tsv(d.file("w/points.tsv"));
  EXPECT_EQ(points.header.back(), "discover");
  EXPECT_EQ(points.rows[1].back(), "discover/" + plan.points[1].evaluate);
  EXPECT_TRUE(std::filesystem::exists(d.file("w/steps/discover/" + plan.points[1].evaluate + ".ini")));
  EXPECT_NE(read_text(d.file("w/Snakefile")).find("rule discover:"), std::string::npos);
  EXPECT_NE(read_text(d.file("w/sweep.json")).find("\"discover\": {"), std::string::npos);
  write_workflow(none, d.file("n"), "/bin/liftbench", 1);
  EXPECT_EQ(io::read_tsv(d.file("n/points.tsv")).rows[0].back(), "-");
}

TEST(SweepTest, StepsDependOnlyOnTheirSections) {
  // An [eval] axis shares every step but the evaluation; replicates default to the *seed keys.
  TempDir d;
  const SweepPlan plan =
      plan_sweep(read_sweep_spec(sweep_file(d, "[axes]\neval.top_hits = 3 | 5\nsim.seed = 1 | 2\n")));
  ASSERT_EQ(plan.points.size(), 4u);
  EXPECT_FALSE(plan.spec.axes[0].replicate);
  EXPECT_TRUE(plan.spec.axes[1].replicate);
  EXPECT_EQ(plan.points[0].scores, plan.points[2].scores);  // top_hits 3 and 5, seed 1
  EXPECT_NE(plan.points[0].evaluate, plan.points[2].evaluate);
  // Values with commas and parentheses, split only at '|'.
  const SweepPlan layers = plan_sweep(read_sweep_spec(
      sweep_file(d, "[axes]\nmodel.layers = conv1d(8,11) relu gap dense(3) | conv1d(4,5) relu gap dense(3)\n")));
  ASSERT_EQ(layers.points.size(), 2u);
  EXPECT_EQ(layers.points[0].data, layers.points[1].data);
  EXPECT_NE(layers.points[0].model, layers.points[1].model);
  EXPECT_NE(layers.points[1].config.find("conv1d(4,5)"), std::string::npos);
}

TEST(SweepTest, BadSweepFiles) {
  TempDir d;
  const std::string p = d.file("s.ini");
  auto expect = [&](const std::string& body, const std::string& msg) {
    write_text(p, body);
    EXPECT_THROW_MSG(plan_sweep(read_sweep_spec(p)), ConfigError, msg);
  };
  const std::string base = fmt::format("[sweep]\nbase = {}/smoke.ini\n", kConfigs);
  expect(base + "[axes]\nsim.sed = 1 | 2\n",
         p + ":4: unknown config key 'sim.sed'; expected a key of 'liftbench run --help' (did you mean 'sim.seed'?)");
  expect(base + "[axes]\nsim.seed = 1 || 2\n", p + ":4: sim.seed: empty value; expected values separated by '|', got '1 || 2'");
  expect(base + "[axes]\nsim.seed =\n", p + ":4: sim.seed: empty value; expected values separated by '|', got ''");
  expect(base + "[axes]\nsim.seed = 1 | 1\n", p + ":4: sim.seed: duplicate value '1'; expected distinct values");
  expect("[axes]\nsim.seed = 1 | 2\n", p + ": missing sweep.base; expected the base config file under [sweep], got nothing");
  expect(base, p + ": no axes; expected at least one 'section.key = v1 | v2' under [axes]");
  expect(base + "replicates = model.init_seed\n[axes]\nsim.seed = 1 | 2\n",
         p + ":3: sweep.replicates: 'model.init_seed' is not an axis; expected keys listed under [axes]");
  expect(base + "cores = 2\n[axes]\nsim.seed = 1\n",
         p + ":3: unknown key 'sweep.cores'; expected sweep.base, sweep.replicates or a config key under [axes]");
  expect(base + "[axes]\nsim.seed = 1\nsim.seed = 2\n", p + ":5: duplicate key 'axes.sim.seed'; expected each key once");
  // A grid point whose config is invalid, named with its values, before anything runs.
  expect(base + "[axes]\nsim.seed = 1\nmodel.init_seed = 1 | -1\n",
         p + ": grid point p0002 (sim.seed=1, model.init_seed=-1): --model.init_seed: bad value for "
             "'model.init_seed'; expected a non-negative integer, got '-1'");
  expect(base + "[axes]\ntrain.learning_rate = 0.01 | 0\n",
         p + ": grid point p0002 (train.learning_rate=0): train.learning_rate: must be positive; expected a value > 0, got 0");
}

TEST(SweepTest, CommandErrorsAndNoRun) {
  TempDir d;
  const std::string s = sweep_file(d, "[axes]\nsim.seed = 1 | 2\n");
  auto r = run_liftbench("sweep -o " + d.file("w"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(error_line(r.err), "liftbench: error: --config: missing sweep file; expected -c SWEEP.ini, got nothing\n");
  r = run_liftbench("sweep -c " + s + " -o " + d.file("w") + " --cores x");
  EXPECT_EQ(error_line(r.err), "liftbench: error: --cores: bad value; expected an integer >= 0, got 'x'\n");
  EXPECT_FALSE(std::filesystem::exists(d.file("w")));
  // Snakemake not on PATH: a clear error, nothing written.
  r = lb::testing::run_command(fmt::format("PATH=/nonexistent {} sweep -c {} -o {}", LB_BINARY, s, d.file("w")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(error_line(r.err),
            "liftbench: error: snakemake: not found on PATH; expected Snakemake 7 (Debian: apt-get install snakemake, as "
            "scripts/setup.sh --tests does), or --no-run to write the workflow only\n");
  EXPECT_FALSE(std::filesystem::exists(d.file("w")));
  // --no-run: the workflow only; a second run rewrites nothing (Snakemake reads modification times).
  r = run_liftbench("sweep -q --no-run -c " + s + " -o " + d.file("w"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* f : {"Snakefile", "sweep.json", "axes.tsv", "points.tsv", "points/p0001.ini", "points/p0002.ini"})
    EXPECT_TRUE(std::filesystem::exists(d.file("w") + "/" + f)) << f;
  EXPECT_FALSE(std::filesystem::exists(d.file("w") + "/data"));
  const auto t = std::filesystem::last_write_time(d.file("w") + "/points/p0001.ini");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(run_liftbench("sweep -q --no-run -c " + s + " -o " + d.file("w")).exit_code, 0);
  EXPECT_EQ(std::filesystem::last_write_time(d.file("w") + "/points/p0001.ini"), t);
  const auto pts = io::read_tsv(d.file("w") + "/points.tsv");
  EXPECT_EQ(pts.header, (std::vector<std::string>{"point", "sim.seed", "data", "model", "scores", "evaluate", "discover"}));
}

TEST(SweepTest, FailedJobsAreReadFromSnakemakesOutput) {
  // Snakemake 7.21's text (--quiet rules): a local failure, a cluster one, and the cluster one's
  // second report, which counts once.
  const std::string text =
      "Select jobs to execute...\n"
      "[Tue Dec  8 02:06:16 2026]\n"
      "Error in rule simulate:\n"
      "    jobid: 1\n"
      "    input: steps/simulate/ff6316438ec4.ini\n"
      "    output: data/ff6316438ec4/manifest.tsv\n"
      "    log: logs/simulate/ff6316438ec4.log (check log file(s) for error details)\n"
      "    shell:\n"
      "        liftbench simulate -c steps/simulate/ff6316438ec4.ini -o data/ff6316438ec4 -q 2> logs/simulate/ff6316438ec4.log\n"
      "        (one of the commands exited with non-zero exit code; note that snakemake uses bash strict mode!)\n"
      "\n"
      "Error in rule train:\n"
      "    jobid: 7\n"
      "    log: logs/train/0123456789ab.log (check log file(s) for error details)\n"
      "    cluster_jobid: 4242\n"
      "\n"
      "Error executing rule train on cluster (jobid: 7, external: 4242, jobscript: /x/snakejob.train.7.sh). For "
      "error details see the cluster log and the log files of the involved rule(s).\n"
      "Error in rule train:\n"
      "    jobid: 7\n"
      "    log: logs/train/0123456789ab.log (check log file(s) for error details)\n"
      "    cluster_jobid: 4242\n"
      "Error in rule aggregate:\n"
      "    jobid: 9\n";
  const auto jobs = failed_jobs(text);
  ASSERT_EQ(jobs.size(), 3u);
  EXPECT_EQ(jobs[0].rule, "simulate");
  EXPECT_EQ(jobs[0].log, "logs/simulate/ff6316438ec4.log");
  EXPECT_EQ(jobs[0].cluster_jobid, "");
  EXPECT_EQ(jobs[1].rule, "train");
  EXPECT_EQ(jobs[1].log, "logs/train/0123456789ab.log");
  EXPECT_EQ(jobs[1].cluster_jobid, "4242");
  EXPECT_EQ(jobs[2].rule, "aggregate");  // the block ends with the text
  EXPECT_EQ(jobs[2].log, "");
  EXPECT_TRUE(failed_jobs("Building DAG of jobs...\nNothing to be done.\n").empty());
}

// A sweep whose motif file is missing: its simulate step fails when it runs.
std::string failing_sweep(const TempDir& d) {
  return sweep_file(d, "[axes]\nsim.seed = 7\nsim.motifs = missing.meme\n");
}

TEST(SweepTest, FailedStepIsNamedWithItsLog) {
  TempDir d;
  const std::string s = failing_sweep(d), w = d.file("w");
  auto r = run_liftbench("sweep -q -c " + s + " -o " + w + " --cores 1");
  EXPECT_EQ(r.exit_code, 1);
  const std::string hash = std::filesystem::path(*std::filesystem::directory_iterator(w + "/steps/simulate")).stem();
  EXPECT_EQ(r.err, fmt::format("liftbench: error: snakemake exited with status 1; step simulate failed, its log is "
                               "{}/logs/simulate/{}.log (run the same command again to resume)\n",
                               w, hash));
  EXPECT_NE(read_text(fmt::format("{}/logs/simulate/{}.log", w, hash)).find("missing.meme: cannot open"),
            std::string::npos);
  // Snakemake's own output is in logs/snakemake.log, and on stderr without -q.
  EXPECT_NE(read_text(w + "/logs/snakemake.log").find("Error in rule simulate:"), std::string::npos);
  r = run_liftbench("sweep -c " + s + " -o " + w + " --cores 1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("Error in rule simulate:"), std::string::npos) << r.err;
}

TEST(SweepTest, FailedClusterJobIsNamedWithItsSlurmLog) {
  // Snakemake's generic cluster submission through a stand-in for sbatch (runs the job script
  // at once, prints job id 42) and a stand-in for scontrol that knows job 42's log. CI=true:
  // Snakemake then looks at its cluster jobs every second instead of every 10 s.
  TempDir d;
  const std::string s = failing_sweep(d), w = d.file("w"), bin = d.file("bin");
  std::filesystem::create_directories(bin);
  write_text(bin + "/submit", "#!/bin/sh\nbash \"$1\" >/dev/null 2>&1\necho 42\n");
  write_text(bin + "/scontrol",
             "#!/bin/sh\n[ \"$*\" = \"show job -o 42\" ] || exit 1\n"
             "echo \"JobId=42 JobName=snakejob.simulate.1.sh JobState=FAILED StdOut=/cluster/logs/slurm-42.out "
             "StdErr=/cluster/logs/slurm-42.out\"\n");
  std::filesystem::permissions(bin + "/submit", std::filesystem::perms::owner_all);
  std::filesystem::permissions(bin + "/scontrol", std::filesystem::perms::owner_all);
  auto r = lb::testing::run_command(fmt::format("CI=true PATH={}:$PATH {} sweep -q -c {} -o {} --snakemake-args '--cluster {}/submit "
                                                "--jobs 1 --latency-wait 1'",
                                                bin, LB_BINARY, s, w, bin));
  EXPECT_EQ(r.exit_code, 1);
  const std::string hash = std::filesystem::path(*std::filesystem::directory_iterator(w + "/steps/simulate")).stem();
  EXPECT_EQ(r.err, fmt::format("liftbench: error: snakemake exited with status 1; step simulate failed on the cluster "
                               "(job 42, SLURM log /cluster/logs/slurm-42.out), its log is {}/logs/simulate/{}.log "
                               "(run the same command again to resume)\n",
                               w, hash));
  // When scontrol no longer knows the job (SLURM forgets it MinJobAge after its end): the job id alone.
  write_text(bin + "/scontrol", "#!/bin/sh\nexit 1\n");
  r = lb::testing::run_command(fmt::format("CI=true PATH={}:$PATH {} sweep -q -c {} -o {} --snakemake-args '--cluster "
                                           "{}/submit --jobs 1 --latency-wait 1'",
                                           bin, LB_BINARY, s, w, bin));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, fmt::format("liftbench: error: snakemake exited with status 1; step simulate failed on the cluster "
                               "(job 42), its log is {}/logs/simulate/{}.log (run the same command again to resume)\n",
                               w, hash));
}

// Starts `liftbench sweep` in a process group of its own; once `marker` exists, kills the whole
// group (liftbench, Snakemake and its jobs) with SIGKILL. True when the kill landed first.
bool kill_sweep_when(const std::vector<std::string>& args, const std::string& marker) {
  std::vector<std::string> argv_s{LB_BINARY};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    ADD_FAILURE() << "posix_spawn failed: " << rc;
    return false;
  }
  int status = 0;
  for (;;) {
    if (waitpid(pid, &status, WNOHANG) == pid) return false;
    if (std::filesystem::exists(marker)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(-pid, SIGKILL);
  waitpid(pid, &status, 0);
  // Let the group's other members (Snakemake's jobs) die before the directory is reused.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  return WIFSIGNALED(status);
}

TEST(SweepTest, SmokeSweepRunsKilledAndResumesToTheSameAggregate) {
  TempDir d;
  const std::string s = sweep_file(
      d, "replicates = sim.seed, model.init_seed\n[axes]\nsim.seed = 7 | 8\nmodel.init_seed = 1 | 2\n"
         "attribution.methods = grad_x_input,deeplift:rescale\neval.discover_methods = deeplift:rescale\n");
  const std::string a = d.file("a"), b = d.file("b");
  auto r = run_liftbench("sweep -q -c " + s + " -o " + a + " --cores 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto summary = io::read_tsv(a + "/aggregate/summary.tsv");
  ASSERT_FALSE(summary.rows.empty());
  EXPECT_EQ(summary.rows[0][0],
            "attribution.methods=grad_x_input,deeplift:rescale; eval.discover_methods=deeplift:rescale");
  // The discover step ran per point (in the evaluation's hash) and its rows reached the aggregate.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(a + "/discover"), std::filesystem::directory_iterator{}), 4);
  std::map<std::string, int> discovery_runs;
  for (const auto& row : summary.rows)
    if (row[5] == "recovered" || row[5] == "seqlets") discovery_runs[row[5]] = std::stoi(row[7]);
  EXPECT_EQ(discovery_runs["recovered"], 4);
  EXPECT_EQ(discovery_runs["seqlets"], 4);
  EXPECT_EQ(summary.rows[0][7], "4");  // runs
  std::set<std::string> models;
  for (const auto& e : std::filesystem::directory_iterator(a + "/models")) models.insert(e.path().filename().string());
  EXPECT_EQ(models.size(), 4u);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(a + "/data"), std::filesystem::directory_iterator{}), 2);

  // Killed once the first model is written; run again; the aggregate equals the uninterrupted one.
  const std::string first_model = b + "/models/" + *models.begin() + "/model.manifest.tsv";
  const bool killed = kill_sweep_when({"sweep", "-q", "-c", s, "-o", b, "--cores", "2"}, first_model);
  EXPECT_TRUE(killed) << "the sweep ended before the kill";
  EXPECT_FALSE(std::filesystem::exists(b + "/aggregate/summary.tsv"));
  r = run_liftbench("sweep -q -c " + s + " -o " + b + " --cores 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* f : {"runs.tsv", "summary.tsv", "comparisons.tsv", "summary.json"})
    EXPECT_TRUE(read_text(a + "/aggregate/" + f) == read_text(b + "/aggregate/" + f)) << f << " differs";
  // Nothing to do the third time: every step is reused.
  const auto t = std::filesystem::last_write_time(b + "/aggregate/summary.tsv");
  r = run_liftbench("sweep -q -c " + s + " -o " + b + " --cores 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::filesystem::last_write_time(b + "/aggregate/summary.tsv"), t);
}

}  // namespace
}  // namespace lb::cli
