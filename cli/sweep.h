// Sweeps (docs/sweeps.md): a sweep file names a base config and axes (config keys with lists of
// values); every combination is a grid point with its own resolved config. The steps of the
// points (the sweep steps of the pipeline's table, pipeline/steps.h: simulate, train, attribute,
// evaluate, discover) are identified by the config sections they depend on, so points that share
// a dataset or a model share that step. The plan is written as a Snakemake workflow whose rules,
// generated from the table, call the liftbench steps, one directory per distinct step.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace lb::cli {

struct SweepAxis {
  std::string key;                  // a config key, `section.name`
  std::vector<std::string> values;  // as written (paths of path keys made absolute)
  bool replicate = false;           // averaged over (a seed), not compared
  long line = 0;
};

struct SweepSpec {
  std::string path;   // the sweep file
  std::string base;   // the base config (absolute)
  std::vector<SweepAxis> axes;
};

/// Reads a sweep file: `[sweep]` with `base = PATH` (relative to the sweep file) and optionally
/// `replicates = key,key` (default: the axes whose key ends in "seed"); `[axes]` with one line
/// per axis, `section.key = v1 | v2 | ...`. ConfigErrors name the file and line.
SweepSpec read_sweep_spec(const std::string& path);

/// One step of one or more grid points, identified by the MD5 of the config sections it depends
/// on (pipeline::depends_on_sections).
struct SweepStep {
  std::string kind;   // the step's name in the table: simulate, train, attribute, evaluate, discover
  std::string hash;   // 12 hex digits
  std::string config; // resolved config text (of the first point that uses it)
  /// By key (pipeline::StepDef::key: data, model, scores): the hashes of the earlier steps of
  /// the point that some step reads (sweep.json).
  std::map<std::string, std::string> upstream;
};

struct SweepPoint {
  std::string id;                   // p0001, ... in grid order (the last axis varies fastest)
  std::vector<std::string> values;  // per axis
  std::string config;               // the point's resolved config (`liftbench run`'s sections)
  std::map<std::string, std::string> hashes;  // step name -> its step's hash; absent when the step is off
  // The same hashes by the steps' keys, for callers: empty when the step is off (discover
  // without eval.discover_methods; its hash is that of evaluate otherwise).
  std::string data, model, scores, evaluate, discover;
};

struct SweepPlan {
  SweepSpec spec;
  std::vector<SweepPoint> points;
  std::vector<SweepStep> steps;  // distinct steps, by kind in table order, then by first use
};

/// Expands the grid, resolves and validates every point's config (ConfigError
/// "SWEEP: grid point pNNNN (key=value, ...): <the config's own message>") and groups the steps.
SweepPlan plan_sweep(const SweepSpec& spec);

/// The Snakefile of every sweep: one rule per sweep step of the pipeline's table, in table order,
/// each running the step's command, then the aggregate.
std::string snakefile_text();

/// Writes the workflow into `dir`: Snakefile, sweep.json, axes.tsv, points.tsv, points/<id>.ini,
/// steps/<kind>/<hash>.ini. A file whose content is unchanged is not rewritten (Snakemake
/// decides what to rerun from modification times). `liftbench` is the executable the rules run.
void write_workflow(const SweepPlan& plan, const std::string& dir, const std::string& liftbench, int job_threads);

/// A job Snakemake reported as failed.
struct FailedJob {
  std::string rule;          // the step (or `aggregate`)
  std::string log;           // the rule's log, relative to the sweep directory; empty if none
  std::string cluster_jobid; // the cluster's job id (sbatch --parsable's) when it ran on a cluster
};

/// The failed jobs in Snakemake 7's output (`--quiet rules`), from its "Error in rule NAME:"
/// blocks and their `log:` and `cluster_jobid:` lines, in order, each job once.
std::vector<FailedJob> failed_jobs(const std::string& snakemake_output);

}  // namespace lb::cli
