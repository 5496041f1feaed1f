// The pipeline's table of steps (pipeline/steps.h) and the check of a run's configuration, used
// without the command line.
#include "pipeline/steps.h"

#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "core/error.h"
#include "testing/helpers.h"

namespace lb::pipeline {
namespace {

std::size_t index_of(const StepDef& s) { return static_cast<std::size_t>(&s - steps().data()); }

TEST(PipelineStepsTest, EveryInputComesFromAnEarlierStep) {
  for (const auto& s : steps())
    for (const auto& in : s.inputs) {
      const StepDef& p = producer(in);
      EXPECT_LT(index_of(p), index_of(s)) << s.name << " reads " << in.path << " of " << p.name;
    }
}

TEST(PipelineStepsTest, NamesAreUniqueAndFilesLieInTheStepsDirectory) {
  std::set<std::string_view> names, keys;
  for (const auto& s : steps()) {
    EXPECT_TRUE(names.insert(s.name).second) << s.name;
    EXPECT_TRUE(keys.insert(s.key).second) << s.key;
    EXPECT_FALSE(s.config.empty()) << s.name;
    EXPECT_FALSE(s.sections.empty()) << s.name;
    for (const auto& o : s.outputs) EXPECT_NO_THROW(in_step_dir(s, o)) << s.name << " " << o;
    EXPECT_NO_THROW(in_step_dir(s, s.config)) << s.name;
    // A sweep step is run by its command and declares its manifest as the rule's output.
    if (!s.sweep_dir.empty()) {
      EXPECT_FALSE(s.command.empty()) << s.name;
      EXPECT_FALSE(s.manifest.empty()) << s.name;
      EXPECT_NO_THROW(in_step_dir(s, s.out)) << s.name;
    }
  }
  EXPECT_EQ(names, (std::set<std::string_view>{"simulate", "train", "attribute", "evaluate", "sanity", "discover",
                                               "report"}));
  EXPECT_THROW_MSG(step("predict"), Error, "no step named 'predict'");
}

TEST(PipelineStepsTest, ASweepStepDependsOnTheSectionsOfEveryStepItReads) {
  const auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(sorted(depends_on_sections(step("simulate"))), (std::vector<std::string>{"sim"}));
  EXPECT_EQ(sorted(depends_on_sections(step("train"))), (std::vector<std::string>{"model", "sim", "train"}));
  EXPECT_EQ(sorted(depends_on_sections(step("attribute"))),
            (std::vector<std::string>{"attribution", "model", "sim", "train"}));
  for (const char* name : {"evaluate", "discover"})
    EXPECT_EQ(sorted(depends_on_sections(step(name))),
              (std::vector<std::string>{"attribution", "eval", "model", "sim", "train"}))
        << name;
  EXPECT_EQ(run_sections(), (std::vector<std::string>{"sim", "model", "train", "attribution", "eval", "sanity"}));
  EXPECT_EQ(sweep_sections(), (std::vector<std::string>{"sim", "model", "train", "attribution", "eval"}));
}

TEST(PipelineStepsTest, OptionalStepsFollowTheirConfiguration) {
  RunConfig run;
  std::vector<std::string_view> on;
  for (const auto& s : steps())
    if (step_on(s, run)) on.push_back(s.name);
  EXPECT_EQ(on, (std::vector<std::string_view>{"simulate", "train", "attribute", "evaluate", "report"}));
  run.sanity.in_run = true;
  run.eval.discover_methods = "ism";
  EXPECT_TRUE(step_on(step("sanity"), run));
  EXPECT_TRUE(step_on(step("discover"), run));
}

TEST(PipelineValidateTest, ExactMessages) {
  RunConfig run;
  run.attribution.methods = "grad_x_input, deeplift:rescale";
  run.eval.discover_methods = "deeplift:rescale";
  EXPECT_NO_THROW(validate(run));
  run.eval.discover_methods = "deeplift:rescale,ism";
  EXPECT_THROW_MSG(validate(run), ConfigError,
                   "eval.discover_methods: 'ism' is not attributed; expected methods of attribution.methods, got 'ism'");
  run.eval.discover_methods = "";
  run.train.adam.learning_rate = 0;
  EXPECT_THROW_MSG(validate(run), ConfigError,
                   "train.learning_rate: must be positive; expected a value > 0, got 0");
}

}  // namespace
}  // namespace lb::pipeline
