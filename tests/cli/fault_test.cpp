// Fault tests (issue 15 item 7, docs/reliability.md): `run` killed with SIGKILL at every step
// resumes to byte-identical outputs, and a full disk fails cleanly, leaving nothing that a
// reader would take for a complete dataset.
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
#include <map>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "testing/helpers.h"

extern char** environ;

namespace lb {
namespace {

using lb::testing::read_text;
using lb::testing::run_liftbench;
using lb::testing::TempDir;

const std::string kSmoke = std::string(LB_SOURCE_DIR) + "/configs/smoke.ini";

std::map<std::string, std::string> read_tree(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file()) files[std::filesystem::relative(e.path(), dir).string()] = read_text(e.path().string());
  return files;
}

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
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
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
