// The table of the pipeline's steps, the check of a run's configuration, and the report step
// (pipeline/steps.h).
#include "pipeline/steps.h"

#include <algorithm>
#include <sstream>

#include <fmt/format.h>

#include "core/error.h"
#include "eval/report.h"
#include "io/atomic_file.h"
#include "io/manifest.h"

namespace lb::pipeline {

namespace {

// Each step's function in a run directory: its job from the table's files, as its command
// builds it from its flags.

void simulate_in_run(const StepContext& c) {
  simulate_step({.run = c.run, .out = c.out(), .simdata = {}, .config_ini = c.config_ini});
}

void train_in_run(const StepContext& c) {
  train_step({.run = c.run, .out = c.out(), .data_dir = c.input("--data"), .mnist_dir = {}, .mnist_valid = {},
              .threads = c.threads, .config_ini = c.config_ini});
}

void attribute_in_run(const StepContext& c) {
  AttributeJob job;
  job.run = c.run, job.model_path = c.input("--model"), job.data_dir = c.input("--data"), job.out = c.out();
  job.threads = c.threads;
  job.model_from_config = true;
  job.config_ini = c.config_ini;
  attribute_step(job);
}

void evaluate_in_run(const StepContext& c) {
  evaluate_step({.run = c.run, .data_dir = c.input("--data"), .scores_path = c.input("--scores"),
                 .model_metrics = c.input("--model-metrics"), .out = c.out(), .threads = c.threads,
                 .config_ini = c.config_ini, .model_path = c.input("--model")});
}

void sanity_in_run(const StepContext& c) {
  SanityJob job;
  job.run = c.run, job.model_path = c.input("--model"), job.data_dir = c.input("--data"), job.out = c.out();
  job.threads = c.threads;
  job.model_from_config = true;
  job.config_ini = c.config_ini;
  sanity_step(job);
}

void discover_in_run(const StepContext& c) {
  discover_step({.run = c.run, .data_dir = c.input("--data"), .scores_path = c.input("--scores"), .out = c.out(),
                 .threads = c.threads, .config_ini = c.config_ini, .seqlets = {}, .motifs = {}});
}

void report_in_run(const StepContext& c) {
  report_step({.data_dir = c.input("--data"), .scores_path = c.input("--scores"),
               .evaluate_manifest = c.input("--evaluation"), .out = c.out(), .config_ini = c.run_ini});
}

const std::vector<StepDef> kSteps{
    {.name = "simulate",
     .sections = {"sim"},
     .dir = "data",
     .out = "data",
     .inputs = {},
     .outputs = {"data/sequences.fa", "data/sequences.fa.fai", "data/labels.tsv", "data/motifs.bed"},
     .config = "data/config.ini",
     .manifest = "data/manifest.tsv",
     .threads = false,
     .command = "simulate",
     .key = "data",
     .sweep_dir = "data",
     .run = simulate_in_run},
    {.name = "train",
     .sections = {"model", "train"},
     .dir = "",
     .out = "model.npz",
     .inputs = {{"--data", "data", "data"}},
     .outputs = {"model.npz", "model.metrics.tsv"},
     .config = "model.config.ini",
     .manifest = "model.manifest.tsv",
     .command = "train",
     .key = "model",
     .sweep_dir = "models",
     .run = train_in_run},
    {.name = "attribute",
     .sections = {"model", "attribution"},
     .dir = "",
     .out = "scores.npz",
     .inputs = {{"--model", "model.npz", "model"}, {"--data", "data", "data"}},
     .outputs = {"scores.npz"},
     .config = "scores.config.ini",
     .manifest = "scores.manifest.tsv",
     .command = "attribute",
     .key = "scores",
     .sweep_dir = "scores",
     .run = attribute_in_run},
    {.name = "evaluate",
     .sections = {"sim", "eval"},
     .dir = "",
     .out = "",
     .inputs = {{"--data", "data", "data"},
                {"--scores", "scores.npz", "scores"},
                {"--model-metrics", "model.metrics.tsv", "metrics"},
                {"--model", "model.npz", "model"}},
     .outputs = {"metrics.tsv", "metrics.json", "hits.tsv"},
     .config = "evaluate.config.ini",
     .manifest = "evaluate.manifest.tsv",
     .command = "evaluate",
     .key = "evaluate",
     .sweep_dir = "eval",
     .run = evaluate_in_run},
    // The model-randomisation check (docs/cli.md, liftbench sanity): only with sanity.in_run.
    {.name = "sanity",
     .sections = {"model", "attribution", "sanity"},
     .dir = "",
     .out = "",
     .inputs = {{"--model", "model.npz", "model"}, {"--data", "data", "data"}},
     .outputs = {"sanity.tsv"},
     .config = "sanity.config.ini",
     .manifest = "sanity.manifest.tsv",
     .when = StepWhen::Sanity,
     .command = "sanity",
     .key = "sanity",
     .sweep_dir = "",
     .run = sanity_in_run},
    // Motif discovery (`liftbench discover -c` without --method): only with eval.discover_methods.
    {.name = "discover",
     .sections = {"sim", "eval"},
     .dir = "",
     .out = "",
     .inputs = {{"--data", "data", "data"}, {"--scores", "scores.npz", "scores"}},
     .outputs = {"discovery.tsv"},
     .config = "discover.config.ini",
     .manifest = "discover.manifest.tsv",
     .when = StepWhen::Discover,
     .command = "discover",
     .key = "discover",
     .sweep_dir = "discover",
     .run = discover_in_run},
    // The report again, with the whole run's configuration (evaluate's shows its own): last,
    // so that it shows every step before it.
    {.name = "report",
     .sections = {"sim", "model", "train", "attribution", "eval", "sanity"},
     .dir = "",
     .out = "",  // writes report/ into the run directory
     .inputs = {{"--data", "data", "data"},
                {"--scores", "scores.npz", "scores"},
                {"--evaluation", "evaluate.manifest.tsv", "evaluation"}},
     .outputs = {"report/index.html"},
     .config = "report/config.ini",
     .manifest = "",
     .threads = false,
     .command = "",
     .key = "report",
     .sweep_dir = "",
     .run = report_in_run},
};

std::string join(std::string_view dir, std::string_view rel) {
  if (rel.empty()) return std::string(dir);
  return fmt::format("{}/{}", dir, rel);
}

void add_unique(std::vector<std::string>& to, const std::vector<std::string>& from) {
  for (const auto& s : from)
    if (std::find(to.begin(), to.end(), s) == to.end()) to.push_back(s);
}

}  // namespace

std::string StepContext::path(std::string_view rel) const { return join(dir, rel); }

std::string StepContext::input(std::string_view flag) const {
  for (const auto& in : step.inputs)
    if (in.flag == flag) return path(in.path);
  throw Error(fmt::format("step {}: no input {}", step.name, flag));
}

std::string StepContext::out() const { return path(step.out); }

const std::vector<StepDef>& steps() { return kSteps; }

const StepDef& step(std::string_view name) {
  for (const auto& s : kSteps)
    if (s.name == name) return s;
  throw Error(fmt::format("no step named '{}'", name));
}

bool step_on(const StepDef& step, const RunConfig& run) {
  switch (step.when) {
    case StepWhen::Always: return true;
    case StepWhen::Sanity: return run.sanity.in_run;
    case StepWhen::Discover: return !eval::discover_method_list(run.eval).empty();
  }
  return true;
}

const StepDef& producer(const StepInput& input) {
  for (const auto& s : kSteps) {
    if (s.out == input.path || s.config == input.path || s.manifest == input.path) return s;
    for (const auto& o : s.outputs)
      if (o == input.path) return s;
  }
  throw Error(fmt::format("no step writes '{}'", input.path));
}

std::string in_step_dir(const StepDef& step, std::string_view path) {
  if (step.dir.empty()) return std::string(path);
  if (path == step.dir) return "";
  if (path.starts_with(step.dir) && path.size() > step.dir.size() && path[step.dir.size()] == '/')
    return std::string(path.substr(step.dir.size() + 1));
  throw Error(fmt::format("step {}: '{}' is not in its directory '{}'", step.name, path, step.dir));
}

std::vector<std::string> depends_on_sections(const StepDef& step) {
  std::vector<std::string> out;
  for (const auto& in : step.inputs) add_unique(out, depends_on_sections(producer(in)));
  add_unique(out, step.sections);
  return out;
}

std::vector<std::string> run_sections() {
  std::vector<std::string> out;
  for (const auto& s : kSteps) add_unique(out, s.sections);
  return out;
}

std::vector<std::string> sweep_sections() {
  std::vector<std::string> out;
  for (const auto& s : kSteps)
    if (!s.sweep_dir.empty()) add_unique(out, s.sections);
  return out;
}

const std::vector<std::string>& step_sections(std::string_view name) { return step(name).sections; }

void validate(const RunConfig& run) {
  sim::validate(run.sim);
  model::validate(run.model);
  model::validate(run.train);
  attr::validate(run.attribution);
  eval::validate(run.eval);
  std::vector<std::string> attributed;
  std::stringstream ss(run.attribution.methods);
  for (std::string m; std::getline(ss, m, ',');) {
    const auto b = m.find_first_not_of(" \t"), e = m.find_last_not_of(" \t");
    if (b != std::string::npos) attributed.push_back(m.substr(b, e - b + 1));
  }
  for (const auto& m : eval::discover_method_list(run.eval))
    if (std::find(attributed.begin(), attributed.end(), m) == attributed.end())
      throw ConfigError(fmt::format(
          "eval.discover_methods: '{}' is not attributed; expected methods of attribution.methods, got '{}'", m, m));
}

void report_step(const ReportJob& job) {
  io::verify_manifest(job.evaluate_manifest, "liftbench evaluate");
  eval::write_report(job.out, {.data_dir = job.data_dir, .scores_path = job.scores_path, .config_ini = job.config_ini});
  io::write_file_atomic(job.out + "/report/config.ini", job.config_ini);
}

}  // namespace lb::pipeline
