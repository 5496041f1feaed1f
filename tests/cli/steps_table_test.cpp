// The pipeline's table of steps (pipeline/steps.h) drives `liftbench run` and the sweep's
// Snakefile: every step of the table, in table order, is a step of run's log and, if it is a
// sweep step, a rule of the Snakefile; and the commands the table names, with its flags and
// files, write what run writes.
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "cli/sweep.h"
#include "pipeline/steps.h"
#include "testing/helpers.h"

namespace lb::cli {
namespace {

using lb::testing::read_text;
using lb::testing::run_liftbench;
using lb::testing::TempDir;

const std::string kConfigs = std::string(LB_SOURCE_DIR) + "/configs";

using lb::testing::read_tree;

TEST(SweepTest, SnakefileHasARuleForEverySweepStepOfTheTableInOrder) {
  const std::string text = snakefile_text();
  std::size_t last = 0;
  for (const auto& step : pipeline::steps()) {
    const std::size_t at = text.find(fmt::format("\nrule {}:\n", step.name));
    if (step.sweep_dir.empty()) {
      EXPECT_EQ(at, std::string::npos) << step.name << " is not a sweep step";
      continue;
    }
    ASSERT_NE(at, std::string::npos) << step.name;
    EXPECT_GT(at, last) << step.name << " out of table order";
    last = at;
    const std::size_t end = text.find("\n\n", at + 1);
    const std::string rule = text.substr(at, end - at);
    EXPECT_NE(rule.find(fmt::format("{{LB:q}} {} -c ", step.command)), std::string::npos) << rule;
    EXPECT_NE(rule.find(fmt::format("output: \"{}/{{h}}/{}\"", step.sweep_dir,
                                    pipeline::in_step_dir(step, step.manifest))),
              std::string::npos)
        << rule;
    for (const auto& in : step.inputs)
      EXPECT_NE(rule.find(fmt::format(" {} {{params.{}:q}}", in.flag, in.name)), std::string::npos) << rule;
  }
  EXPECT_GT(text.find("\nrule aggregate:\n"), last);
  // The workflow's Snakefile is that text.
  TempDir d;
  write_workflow(plan_sweep(read_sweep_spec(kConfigs + "/sweeps/smoke.ini")), d.file("w"), "/bin/liftbench", 1);
  EXPECT_EQ(read_text(d.file("w/Snakefile")), text);
}

TEST(CliRunTest, RunsTheTablesStepsInOrderAndTheirCommandsWriteTheSameFiles) {
  TempDir tmp;
  const std::string a = tmp.file("run"), b = tmp.file("hand");
  const std::string methods = " --attribution.methods grad_x_input,deeplift:rescale";
  auto r = run_liftbench(fmt::format("run -c {}/smoke.ini -o {} --threads 1 --sanity.in_run true{} "
                                     "--eval.discover_methods deeplift:rescale",
                                     kConfigs, a, methods));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::size_t last = 0;
  for (const auto& step : pipeline::steps()) {
    const std::size_t at = r.err.find(fmt::format(" {}: running (", step.name));
    ASSERT_NE(at, std::string::npos) << step.name << "\n" << r.err;
    EXPECT_GT(at, last) << step.name << " out of table order\n" << r.err;
    last = at;
  }
  // Each step by hand: its command with the table's flags and files, on run's configuration.
  for (const auto& step : pipeline::steps()) {
    if (step.command.empty()) continue;
    std::string cmd = fmt::format("{} -c {}/run.config.ini", step.command, a);
    for (const auto& in : step.inputs) cmd += fmt::format(" {} {}/{}", in.flag, b, in.path);
    cmd += fmt::format(" -o {}", step.out.empty() ? b : fmt::format("{}/{}", b, step.out));
    if (step.threads) cmd += " --threads 2";
    r = run_liftbench(cmd + " -q");
    ASSERT_EQ(r.exit_code, 0) << cmd << "\n" << r.err;
  }
  auto by_run = read_tree(a);
  auto by_hand = read_tree(b);
  for (auto& [name, text] : by_hand)  // discovery's per-task configs name the scores file
    for (std::size_t p = text.find(b); p != std::string::npos; p = text.find(b, p + a.size())) text.replace(p, b.size(), a);
  // run's own configuration and its report (run's last step, which shows the whole configuration)
  by_run.erase("run.config.ini");
  for (const auto& o : pipeline::step("report").outputs) by_run.erase(o);
  by_run.erase(std::string(pipeline::step("report").config));
  std::set<std::string> names_run, names_hand;
  for (const auto& [name, text] : by_run) names_run.insert(name);
  for (const auto& [name, text] : by_hand)
    if (name.rfind("report/", 0) != 0) names_hand.insert(name);
  EXPECT_EQ(names_run, names_hand);
  for (const auto& [name, text] : by_run) {
    const auto it = by_hand.find(name);
    if (it != by_hand.end()) {
      EXPECT_TRUE(it->second == text) << name << " differs";
    }
  }
}

}  // namespace
}  // namespace lb::cli
