// One discovery (docs/discovery.md): seqlets, motifs, and optionally their matches to a motif file
// and their scores against a dataset's planted drivers, written into a directory. Shared by
// `liftbench discover` and the discover step of `liftbench run`.
#pragma once

#include <string>
#include <vector>

#include "discover/motifs.h"
#include "discover/seqlets.h"
#include "io/npz.h"
#include "sim/dataset.h"

namespace lb::pipeline {

struct DiscoverJob {
  std::string scores_path, method;
  int task = 0;
  discover::SeqletConfig seqlets;
  discover::MotifConfig motifs;
  std::string motif_file;  // match the discovered motifs against it (matches.tsv); "" = no matching
  std::string data_dir;    // score them against this dataset's driver sites (discovery.tsv); needs motif_file
  std::string out;         // the directory to write
  // Inputs already read, for a caller that runs many jobs on the same files (the run's discover
  // step: every method and task of one scores file and dataset); null: read from the paths.
  const io::NpzArchive* scores = nullptr;  // the archive at scores_path
  const sim::Dataset* data = nullptr;      // the dataset at data_dir
};

/// Rows of discovery.tsv: method task motif metric value (docs/discovery.md, "The benchmark").
using DiscoveryRows = std::vector<std::vector<std::string>>;
inline const std::vector<std::string> kDiscoveryHeader{"method", "task", "motif", "metric", "value"};

/// Runs the job: every check and the whole computation first, then the files, each atomically,
/// discover.config.ini last (the mark of a complete directory). Returns discovery.tsv's rows
/// (empty without data_dir). Errors as `liftbench discover` documents them.
DiscoveryRows run_discover(const DiscoverJob& job);

/// The rows of a job whose discovery fell short (run_discover threw "too few seqlets to cluster"
/// or "no motif reached the support"): the task's real seqlets (found again, the same as
/// run_discover's) with their precision and recall, no motif, every driver motif not recovered,
/// and a `status` row saying why: too_few_seqlets (neither sign has max(2, min_support)
/// seqlets), no_motif_with_support (otherwise), too_few_windows (no seqlet could be called).
DiscoveryRows failed_discovery_rows(const DiscoverJob& job);

/// A method name as a directory name: every character other than A-Z a-z 0-9 . _ + - becomes '_'.
std::string method_dir_name(const std::string& method);

}  // namespace lb::pipeline
