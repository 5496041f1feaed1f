// Fault tests (docs/reliability.md, "Atomicity and durability of outputs"): `run`, and simulate,
// train, attribute and evaluate alone, killed with SIGKILL part-way resume to byte-identical
// outputs, and a full disk fails cleanly, leaving nothing that a reader would take for a complete
// dataset.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "io/manifest.h"
#include "sim/dataset.h"
#include "testing/helpers.h"

extern char** environ;

namespace lb {
namespace {

using lb::testing::read_text;
using lb::testing::run_liftbench;
using lb::testing::TempDir;

const std::string kSmoke = std::string(LB_SOURCE_DIR) + "/configs/smoke.ini";

using lb::testing::read_tree;

// Starts liftbench with `args`, stderr to `log`; once `marker` appears in the log, waits
// `delay` and sends SIGKILL. True when the process was killed (false: it ended first).
bool kill_when(const std::vector<std::string>& args, const std::string& log, const std::string& marker,
               std::chrono::milliseconds delay) {
  std::vector<std::string> argv_s{LB_BINARY};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    ADD_FAILURE() << "posix_spawn failed: " << rc;
    return false;
  }
  int status = 0;
  for (;;) {
    if (waitpid(pid, &status, WNOHANG) == pid) return false;  // ended before the marker
    if (std::filesystem::exists(log) && read_text(log).find(marker) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::this_thread::sleep_for(delay);
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

// Killed at each step of `run` (and a little into it), the next run finishes and every file
// of the run directory equals, byte for byte, what an uninterrupted run wrote: no temporary
// left behind, no step reused from a half-written state.
TEST(CliFaultTest, RunKilledAtEveryStepResumesByteIdentical) {
  TempDir tmp;
  const std::string out = tmp.file("run");
  const std::string flags = " --attribution.methods grad_x_input,deeplift:rescale,ism --threads 2";
  ASSERT_EQ(run_liftbench("run -q -c " + kSmoke + " -o " + out + flags).exit_code, 0);
  const auto want = read_tree(out);
  std::filesystem::remove_all(out);
  const std::vector<std::pair<std::string, int>> kills{
      {"simulate", 0}, {"simulate", 20}, {"train", 0}, {"train", 300}, {"attribute", 50}, {"evaluate", 30}, {"report", 0}};
  int killed = 0;
  for (const auto& [step, ms] : kills) {
    SCOPED_TRACE(fmt::format("killed {} ms into {}", ms, step));
    std::vector<std::string> args{"run", "-c", kSmoke, "-o", out, "--attribution.methods",
                                  "grad_x_input,deeplift:rescale,ism", "--threads", "2"};
    killed += kill_when(args, tmp.file("log"), fmt::format("[M::run] {}: running", step), std::chrono::milliseconds(ms));
    const auto r = run_liftbench("run -c " + kSmoke + " -o " + out + flags);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto got = read_tree(out);
    for (const auto& [name, bytes] : got) {
      const auto it = want.find(name);
      if (it == want.end()) ADD_FAILURE() << "extra file " << name;
      else EXPECT_TRUE(it->second == bytes) << name << " differs";
    }
    for (const auto& [name, bytes] : want) EXPECT_TRUE(got.count(name)) << "missing " << name;
    std::filesystem::remove_all(out);
  }
  EXPECT_GE(killed, 5) << "most kills should land before the run ends";
}

// Temporaries (".<name>.tmp.<pid>.XXXXXX") anywhere under `dir`.
int count_temporaries(const std::string& dir) {
  int n = 0;
  if (!std::filesystem::exists(dir)) return 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    n += e.path().filename().string().find(".tmp.") != std::string::npos;
  return n;
}

std::string join_args(const std::vector<std::string>& args) {
  std::string s;
  for (const auto& a : args) s += (s.empty() ? "" : " ") + a;
  return s;
}

// One command run alone: its arguments for an output at `dest`, the arguments that give other
// bytes (the "old" output a rerun replaces), its manifest under `dest`, and the line it logs
// just before it writes its outputs.
struct KillCase {
  std::string command;
  std::function<std::vector<std::string>(const std::string& dest)> args;
  std::vector<std::string> other;  // added to args for the older, different output
  std::string manifest;            // relative to dest
  std::string write_marker;
};

struct KillCounts {
  int kills = 0, landed = 0, unsealed = 0, temporaries = 0;
};

// Writes the reference output (uninterrupted, into `ref`), then, for each kill point, writes
// an older output of other settings into `dest`, starts the command over it and kills it: after
// the kill either the manifest is missing (the reader refuses the output, naming the manifest)
// or the output is complete and equals the reference. The rerun then ends with `dest`
// byte-identical to the reference and no temporary left.
KillCounts kill_and_rerun(const KillCase& c, const std::string& ref, const std::string& dest, const std::string& log) {
  KillCounts counts;
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = run_liftbench(join_args(c.args(ref)) + " -q");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_NO_THROW(io::verify_manifest(ref + "/" + c.manifest, "liftbench " + c.command));  // sealed when whole
  const auto want = read_tree(ref);
  const std::string manifest = dest + "/" + c.manifest;
  const std::string missing = manifest + ": missing; expected the manifest written last by liftbench " + c.command +
                              ", got no file (an interrupted run, or a directory written before manifests: rerun "
                              "liftbench " + c.command + ")";
  // Part-way through (a share of the uninterrupted run's time after it starts), and at the
  // start of its writing.
  const std::string start = "[M::" + c.command + "] cmd: ";
  std::vector<std::pair<std::string, long>> points{
      {start, ms * 4 / 10}, {start, ms * 8 / 10}, {c.write_marker, 0}, {c.write_marker, 3}};
  // Until a kill lands while the command is replacing the old output (its manifest gone), more
  // kills after the line it logs before writing: at once, 1 ms after, at once, 2, at once, 4, ...
  // (a small output is written in a few ms right after the line, a large one later, and when a
  // kill lands depends on the machine's load): a test whose kills all land before or after the
  // writing would check nothing, so the caller fails when none does.
  constexpr int kMaxExtraKills = 24;
  for (std::size_t p = 0; p < points.size(); ++p) {
    const std::size_t extra = points.size() - 4;
    if (p + 1 == points.size() && counts.unsealed == 0 && extra < kMaxExtraKills)
      points.emplace_back(c.write_marker, extra % 2 == 0 ? 0L : 1L << (extra / 2));
    const auto [marker, delay] = points[p];
    SCOPED_TRACE(fmt::format("{}: killed {} ms after '{}'", c.command, delay, marker));
    std::filesystem::remove_all(dest);
    auto old_args = c.args(dest);
    old_args.insert(old_args.end(), c.other.begin(), c.other.end());
    const auto o = run_liftbench(join_args(old_args) + " -q");
    EXPECT_EQ(o.exit_code, 0) << o.err;
    std::vector<std::string> args = c.args(dest);
    ++counts.kills;
    if (!kill_when(args, log, marker, std::chrono::milliseconds(delay))) continue;
    ++counts.landed;
    counts.temporaries += count_temporaries(dest);
    if (!std::filesystem::exists(manifest)) {
      ++counts.unsealed;
      if (c.command == "simulate")
        EXPECT_THROW_MSG(sim::read_dataset_dir(dest), InputError, missing);
      else
        EXPECT_THROW_MSG(io::verify_manifest(manifest, "liftbench " + c.command), InputError, missing);
    } else {
      EXPECT_NO_THROW(io::verify_manifest(manifest, "liftbench " + c.command));
    }
    const auto again = run_liftbench(join_args(args) + " -q");
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(count_temporaries(dest), 0) << "a temporary of the killed run is left";
    const auto got = read_tree(dest);
    for (const auto& [name, bytes] : got) {
      const auto it = want.find(name);
      if (it == want.end()) ADD_FAILURE() << "extra file " << name;
      else EXPECT_TRUE(it->second == bytes) << name << " differs";
    }
    for (const auto& [name, bytes] : want) EXPECT_TRUE(got.count(name)) << "missing " << name;
  }
  return counts;
}

// simulate, train, attribute and evaluate, each run alone and killed part-way (over an older
// output of other settings, as a rerun would be): what the kill leaves is either refused by
// the reader for its missing manifest or complete, and the rerun removes the kill's temporaries
// and writes the same bytes as an uninterrupted run.
TEST(CliFaultTest, SingleCommandsKilledPartWayRerunByteIdentical) {
  TempDir tmp;
  const std::string data = tmp.file("ref-simulate");
  const std::string model = tmp.file("ref-train/model.npz"), scores = tmp.file("ref-attribute/scores.npz");
  const std::vector<KillCase> cases{
      {"simulate", [&](const std::string& d) { return std::vector<std::string>{"simulate", "-c", kSmoke, "-o", d}; },
       {"--sim.seed", "8"}, "manifest.tsv", "[M::simulate] 400 sequences of length 200 in "},
      {"train",
       [&](const std::string& d) {
         return std::vector<std::string>{"train", "-c", kSmoke, "--data", data, "--train.max_epochs", "2",
                                         "--threads", "1", "-o", d + "/model.npz"};
       },
       {"--train.seed", "2"}, "model.manifest.tsv", "[M::train] test (40 sequences)"},
      {"attribute",
       [&](const std::string& d) {
         return std::vector<std::string>{"attribute", "-c", kSmoke, "--model", model, "--data", data, "--methods",
                                         "grad_x_input,deeplift:rescale", "--threads", "1", "-o", d + "/scores.npz"};
       },
       {"--attribution.reference", "zeros"}, "scores.manifest.tsv", "[M::attribute] deeplift:rescale: "},
      {"evaluate",
       [&](const std::string& d) {
         return std::vector<std::string>{"evaluate", "-c", kSmoke, "--data", data, "--scores", scores,
                                         "--eval.bootstrap_resamples", "50", "--threads", "1", "-o", d};
       },
       // Logged once every metric is computed, just before the writing.
       {"--eval.top_hits", "3"}, "evaluate.manifest.tsv", " metric rows; writing "},
  };
  std::string summary;
  for (const KillCase& c : cases) {
    const KillCounts n = kill_and_rerun(c, tmp.file("ref-" + c.command), tmp.file("killed-" + c.command), tmp.file("log"));
    summary += fmt::format(" {}: {} of {} kills landed, {} before the manifest, {} temporaries left;", c.command,
                           n.landed, n.kills, n.unsealed, n.temporaries);
    EXPECT_GE(n.landed, 1) << c.command << ": no kill landed before the command ended";
    EXPECT_GE(n.unsealed, 1) << c.command << ": no kill landed while the command was writing its outputs";
  }
  RecordProperty("kills", summary);
  std::cerr << "[kills]" << summary << "\n";
}

// A full disk (a 256 KiB tmpfs) stops simulate with the system's reason naming the file, exit
// 1, no temporary left, and no manifest: train refuses the directory. Needs the right to mount
// (root with CAP_SYS_ADMIN); in CI it always runs.
TEST(CliFaultTest, FullDiskFailsCleanlyAndLeavesNoCompleteDataset) {
  if (geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
  TempDir tmp;
  const std::string mnt = tmp.file("small");
  std::filesystem::create_directories(mnt);
  if (mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=256k") != 0) {
    // Root without CAP_SYS_ADMIN (a default container): nothing to mount with. CI has it.
    if (errno == EPERM) GTEST_SKIP() << "mount: " << std::strerror(errno);
    FAIL() << "mount: " << std::strerror(errno);
  }
  struct Unmount {
    std::string dir;
    ~Unmount() { umount2(dir.c_str(), MNT_DETACH); }
  } unmount{mnt};
  const std::string data = mnt + "/data";
  const auto r = run_liftbench("simulate -c " + kSmoke + " --sim.n_seqs 4000 -o " + data);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("liftbench: error: " + data + "/"), std::string::npos) << r.err;
  for (const auto& e : std::filesystem::directory_iterator(data)) {
    const std::string name = e.path().filename().string();
    EXPECT_NE(name.rfind('.', 0), 0u) << "temporary left: " << name;
    EXPECT_NE(name, "manifest.tsv");
    EXPECT_NE(name, "config.ini");
  }
  const auto t = run_liftbench("train -c " + kSmoke + " --data " + data + " -o " + tmp.file("m/model.npz"));
  EXPECT_EQ(t.exit_code, 1);
  EXPECT_NE(t.err.find("liftbench: error: " + data + "/manifest.tsv: missing; expected the manifest written last by "
                       "liftbench simulate"),
            std::string::npos)
      << t.err;
}

}  // namespace
}  // namespace lb
