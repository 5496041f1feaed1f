// The pipeline's steps as library functions, and the one table of them (docs/developers.md,
// "The pipeline's steps"). `liftbench simulate`, `train`, `attribute`, `evaluate`, `sanity` and
// `discover -c` parse their command line into a job and call the step; `liftbench run` walks the
// table and calls the same steps on the same files; a sweep hashes, orders and writes its
// Snakemake rules from the table, and its rules run the commands. So a step run by `run`, by
// hand or by a sweep writes the same bytes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "discover/motifs.h"
#include "discover/seqlets.h"
#include "pipeline/config.h"
#include "pipeline/inputs.h"

namespace lb::pipeline {

/// Every job holds the whole configuration (`run`), its command's flags, and `config_ini`, the
/// resolved configuration the step writes beside its outputs (what the command's OptionSet
/// resolves; cli::step_config_ini for a step of `run`). `threads` is the --threads value ("0":
/// all cores).

struct SimulateJob {
  RunConfig run;
  std::string out, simdata, config_ini;
};
void simulate_step(const SimulateJob& job);

struct TrainJob {
  RunConfig run;
  std::string out, data_dir, mnist_dir, mnist_valid, threads = "0", config_ini;
  bool resume = false;
};
void train_step(const TrainJob& job);

struct AttributeJob {
  RunConfig run;
  std::string model_path, data_dir, fasta, out, methods, split_name = "test", threads = "0", chunk = "1000";
  GenomeFlags genome;
  std::string tracks, track_format = "bigwig,bedgraph", config_ini;
  bool compress = false;
  bool verbose = false;  // -v: log each stage's CPU and wall time (attribution/profile.h)
  /// Build the model from run.model (a weights-only model file needs it); the command sets it
  /// when a config file was given (-c).
  bool model_from_config = false;
};
void attribute_step(const AttributeJob& job);

struct EvaluateJob {
  RunConfig run;
  std::string data_dir, scores_path, model_metrics, out, threads = "0", config_ini;
  std::string model_path;  // --model: the faithfulness metrics of eval.xai_metrics (docs/metrics.md); "" = none
};
void evaluate_step(const EvaluateJob& job);

struct SanityJob {
  RunConfig run;
  std::string model_path, data_dir, out, methods, split_name = "test", threads = "0", config_ini;
  bool model_from_config = false;
};
void sanity_step(const SanityJob& job);

/// The discover step of `run` (docs/discovery.md, "The benchmark"): for every method of
/// eval.discover_methods and every task, discovery into OUT/discover/<method>/task<t>/, matched
/// to the scenario's motif file (or sim.motifs) and scored against the planted drivers; every row
/// in OUT/discovery.tsv, then discover.config.ini and discover.manifest.tsv. A task where
/// discovery finds too little counts as nothing found, with a warning, rather than stopping.
/// ConfigError when eval.discover_methods is empty; InputError when the scores file lacks a
/// method's contributions or hypothetical contributions.
struct DiscoverStepJob {
  RunConfig run;
  std::string data_dir, scores_path, out, threads = "0", config_ini;
  discover::SeqletConfig seqlets;  // the defaults in `run`; `liftbench discover`'s flags otherwise
  discover::MotifConfig motifs;
};
void discover_step(const DiscoverStepJob& job);

/// The report step of `run`: the evaluation's report again, OUT/report/index.html, now showing
/// the whole run's configuration (`config_ini`, also written to OUT/report/config.ini), from an
/// evaluation whose files still match their manifest (InputError otherwise).
struct ReportJob {
  std::string data_dir, scores_path, evaluate_manifest, out, config_ini;
};
void report_step(const ReportJob& job);

// ---- The table of steps ----

/// One file a step reads from an earlier step, as its command's flag names it.
struct StepInput {
  std::string_view flag;  // the command's flag ("--data"; for the report, which has no command, a name)
  std::string_view path;  // relative to the run directory: "data", "model.npz", ...
  std::string_view name;  // its name in the sweep's Snakemake rule (params.<name>)
};

/// When a step runs: always, or only when its config asks for it.
enum class StepWhen {
  Always,
  Sanity,    // sanity.in_run
  Discover,  // eval.discover_methods lists methods
};

struct StepDef;

/// What the table's function of a step gets in a run directory.
struct StepContext {
  const StepDef& step;
  const RunConfig& run;
  std::string dir;         // the run directory
  std::string threads;     // --threads
  std::string config_ini;  // the resolved configuration the step writes (cli::step_config_ini)
  std::string run_ini;     // the run's whole resolved configuration (run.config.ini)

  /// `rel` (relative to the run directory) inside `dir`: "" is `dir` itself.
  std::string path(std::string_view rel) const;
  /// The file of the step's input given by `flag`; lb::Error when the step has no such input.
  std::string input(std::string_view flag) const;
  /// What the step's -o names.
  std::string out() const;
};

/// One step of the pipeline. Paths are relative to the run directory ("" is the directory
/// itself); `dir` is the directory the step writes into, so that a sweep, which gives each
/// step a directory of its own, places the same files at `<sweep_dir>/<hash>/` + the path
/// relative to `dir`.
struct StepDef {
  std::string_view name;              // the step's name in `run`'s log and the sweep's files
  std::vector<std::string> sections;  // the config sections it reads, shown in its resolved config
  std::string_view dir;               // its directory ("data"; "" the run directory)
  std::string_view out;               // what its -o names
  std::vector<StepInput> inputs;      // what it reads from earlier steps, in its command's flag order
  std::vector<std::string> outputs;   // the outputs that must exist for it to count as done
  std::string_view config;            // its resolved configuration, written last but the manifest
  std::string_view manifest;          // its manifest, written last (empty: none)
  StepWhen when = StepWhen::Always;
  bool threads = true;                // its command takes --threads
  std::string_view command;           // the liftbench command that runs it by hand (empty: `run` only)
  std::string_view key;               // its column in a sweep's points.tsv and its key in sweep.json
  std::string_view sweep_dir;         // its directories in a sweep, <sweep_dir>/<hash> (empty: not a sweep step)
  void (*run)(const StepContext&);    // runs it in a run directory
};

/// Every step in pipeline order: simulate, train, attribute, evaluate, sanity, discover, report.
/// A step's inputs come from earlier steps.
const std::vector<StepDef>& steps();

/// The step named `name`; lb::Error for another name.
const StepDef& step(std::string_view name);

/// Whether `step` runs for the configuration `run`.
bool step_on(const StepDef& step, const RunConfig& run);

/// The step that writes `input` (its -o, an output, its config or its manifest is that path);
/// lb::Error when none does.
const StepDef& producer(const StepInput& input);

/// `path` of `step` relative to the step's directory ("" for the directory itself).
std::string in_step_dir(const StepDef& step, std::string_view path);

/// The config sections a step's result depends on: its own and those of every step it reads,
/// transitively (a sweep names a step by their hash).
std::vector<std::string> depends_on_sections(const StepDef& step);

/// The config sections of `liftbench run` (every step's) and of a sweep's grid point (its steps'),
/// in table order.
std::vector<std::string> run_sections();
std::vector<std::string> sweep_sections();

/// The config sections step `name` reads and writes to its resolved configuration; lb::Error for
/// another name.
const std::vector<std::string>& step_sections(std::string_view name);

}  // namespace lb::pipeline
