// The pipeline's steps as library functions (docs/developers.md, "The pipeline's steps"):
// `liftbench simulate`, `train`, `attribute`, `evaluate`, `sanity` and `discover -c` parse their
// command line into a job and call the step; `liftbench run` builds the same jobs from its
// resolved configuration and calls the same steps, so the commands a sweep's workflow runs and
// `run` share one code path.
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

/// The config sections step `name` reads and writes to its resolved configuration (simulate,
/// train, attribute, evaluate, sanity, discover); lb::Error for another name.
const std::vector<std::string>& step_sections(std::string_view name);

}  // namespace lb::pipeline
