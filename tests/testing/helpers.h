// Test helpers: scoped temporary directories, small file writers, running the liftbench binary,
// and EXPECT_THROW_MSG for exact error texts.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

namespace lb::testing {

/// A fresh directory under the system temp dir, removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "liftbench-test-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Every file under `dir` (relative path -> content), for "nothing changed" and "same files" checks.
inline std::map<std::string, std::string> read_tree(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file()) files[std::filesystem::relative(e.path(), dir).string()] = read_text(e.path().string());
  return files;
}

/// Names of the entries of a directory, sorted, for "no partial output" checks.
inline std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  if (!std::filesystem::exists(dir)) return names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};

/// Runs `command` through /bin/sh, capturing stdout and stderr (via temporary files).
inline RunResult run_command(const std::string& command) {
  TempDir tmp;
  const std::string out = tmp.file("stdout"), err = tmp.file("stderr");
  const std::string full = command + " >" + out + " 2>" + err + " </dev/null";
  const int status = std::system(full.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_text(out);
  r.err = read_text(err);
  return r;
}

/// Runs the liftbench binary under test with `args` (a shell-quoted string).
inline RunResult run_liftbench(const std::string& args) {
  return run_command(std::string(LB_BINARY) + " " + args);
}

}  // namespace lb::testing

/// Expects `statement` to throw `exception_type` whose what() equals `message` exactly.
#define EXPECT_THROW_MSG(statement, exception_type, message)                     \
  do {                                                                           \
    try {                                                                        \
      statement;                                                                 \
      ADD_FAILURE() << "Expected " #statement " to throw " #exception_type;      \
    } catch (const exception_type& e) {                                          \
      EXPECT_EQ(std::string(e.what()), std::string(message));                    \
    } catch (const std::exception& e) {                                         \
      ADD_FAILURE() << "Expected " #exception_type ", got another exception: " << e.what(); \
    }                                                                            \
  } while (0)
