// The in-memory dataset every step shares (simulated from a scenario, or read from simdata / a
// dataset directory) and the dataset directory (docs/scenarios.md): sequences.fa (+ .fai),
// labels.tsv, motifs.bed (BED6+1), roles.tsv, tasks.tsv, config.ini.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/pwm.h"

namespace lb::sim {

enum class Split : std::uint8_t { Train, Valid, Test };

/// "train", "valid", "test".
std::string_view split_name(Split s);
/// Parse the names above; false when unknown.
bool parse_split(std::string_view name, Split& out);

/// What a planted instance is for one task (docs/scenarios.md defines each from the task's
/// expression): Driver (the label depends on it: it takes part in satisfying the task),
/// Context (its motif appears in the task, but this instance satisfies nothing: an AND half
/// without its partner, an instance off the required spacing or strand), Repressor (its motif
/// appears only negated, or with a negative effect: its correct attribution is negative),
/// Irrelevant (the task does not mention its motif).
enum class Role : std::uint8_t { Irrelevant, Driver, Context, Repressor };
std::string_view role_name(Role r);
bool parse_role(std::string_view name, Role& out);

/// How a task's target is defined: a 0/1 label from a Boolean expression, or a real value
/// (additive effects, interactions and noise; trained with an MSE loss).
enum class TaskKind : std::uint8_t { Binary, Linear };

struct TaskInfo {
  std::string name;
  TaskKind kind = TaskKind::Binary;
  std::string definition;  // the scenario's text, e.g. "gata & tal" (empty for old datasets)
};

/// One planted motif instance (one line of motifs.bed and of roles.tsv).
struct MotifSite {
  int seq = 0;                // index into Dataset::ids
  std::int64_t start = 0;     // 0-based
  std::int64_t end = 0;       // exclusive
  std::string motif;          // PWM name
  double log_odds = 0;        // natural-log odds of the planted string vs the background
  char strand = '+';
  int key = -1;               // index into Dataset::motif_keys (-1: unknown, old datasets)
};

struct Dataset {
  int seq_len = 0;
  std::vector<TaskInfo> tasks;                       // T
  std::vector<std::string> class_names;              // the scenario's classes
  std::vector<std::string> motif_keys;               // the scenario's motif names (labels.tsv n_<key>)
  std::vector<std::string> ids;                      // N
  std::vector<std::string> seqs;                     // N, each seq_len letters ACGT(N)
  std::vector<int> classes;                          // N: index into class_names
  std::vector<Split> splits;                         // N
  std::vector<float> labels;                         // N x T row-major: 0/1, or real values
  std::vector<int> counts;                           // N x M row-major: planted instances per key
  std::vector<MotifSite> sites;                      // sorted by (seq, start)
  std::vector<Role> roles;                           // sites x T row-major; empty without roles.tsv

  int size() const { return static_cast<int>(ids.size()); }
  int n_tasks() const { return static_cast<int>(tasks.size()); }
  int n_keys() const { return static_cast<int>(motif_keys.size()); }
  float label(int i, int t) const {
    return labels[static_cast<std::size_t>(i) * tasks.size() + static_cast<std::size_t>(t)];
  }
  int count(int i, int k) const {
    return counts[static_cast<std::size_t>(i) * motif_keys.size() + static_cast<std::size_t>(k)];
  }
  Role role(std::size_t site, int t) const { return roles[site * tasks.size() + static_cast<std::size_t>(t)]; }
  bool has_roles() const { return !roles.empty() || sites.empty(); }
  /// Index of a class / task / key by name, or -1.
  int class_index(std::string_view name) const;
  int task_index(std::string_view name) const;
  int key_index(std::string_view name) const;
};

/// Stream of Rng(seed, ·) used by stratified_split; the simulator uses 0 and 1 + i.
inline constexpr std::uint64_t kSplitStream = ~std::uint64_t{0};

/// Stratified split: within each class (in index order), a seeded shuffle, then the first
/// round(f_train * n_c) are train, the next round(f_valid * n_c) valid (at most what is left),
/// the rest test. All classes draw in turn (class 0 first) from Rng(seed, kSplitStream).
std::vector<Split> stratified_split(const std::vector<int>& classes, int n_classes,
                                    const std::array<double, 3>& fractions, std::uint64_t seed);

/// BED score (column 5 of motifs.bed, an integer 0-1000) of an instance with these natural-log
/// odds: round(50 x log_odds) clamped to [0, 1000]. Monotone in the log-odds; 0 for instances
/// no likelier under the motif than under the background, 1000 from 20 nats up (the paper's
/// motifs plant at most about 15). The exact value stays in column 7.
int motif_bed_score(double log_odds);

/// The FASTA of dataset directory `dir`: `dir/sequences.fa`, or `dir/sequences.fa.gz` (the
/// bgzip layout written before sequences.fa) when only that one exists.
std::string dataset_fasta_path(const std::string& dir);

/// The dataset directory's manifest, written last (docs/reliability.md).
inline constexpr std::string_view kDatasetManifest = "manifest.tsv";

/// Writes the dataset directory `dir` (created if needed): sequences.fa with its samtools index
/// sequences.fa.fai; labels.tsv (`id split class <task names...> n_<key>...`; binary labels as
/// 0/1, real ones in shortest round-trip form); motifs.bed (BED6+1: `id start end motif score
/// strand log_odds`, score = motif_bed_score(log_odds), log_odds in shortest round-trip form);
/// roles.tsv (`id start end key <role per task...>`, one line per motifs.bed line, same order);
/// tasks.tsv (`task kind definition`); classes.tsv (`class`, the scenario's order); config.ini
/// (`config_ini`, the resolved configuration); and last manifest.tsv (io/manifest.h: every other
/// file with its size and MD5; removed first, with config.ini). Each file is written atomically;
/// the old layout's sequences.fa.gz(.fai, .gzi) are removed if present. A non-empty
/// `scenario_ini` (the scenario file's text) is kept as scenario.ini, so the directory says how
/// it was made.
void write_dataset_dir(const std::string& dir, const Dataset& data, std::string_view config_ini,
                       std::string_view scenario_ini = {});

/// Reads a dataset directory written by write_dataset_dir (not config.ini) after checking its
/// manifest.tsv (io::verify_manifest's errors: a missing manifest, a file that does not match),
/// or one of an older layout with a manifest: sequences.fa.gz; motifs.bed as BED6 with the log-odds in column 5; no roles.tsv (then
/// sites have key -1 and no roles) and no tasks.tsv (then every task is binary). labels.tsv's
/// header names the tasks (the columns between `class` and the first `n_` column) and the motif
/// keys (`n_<key>`). Checks consistency, each an InputError "file:line: ...": equal sequence
/// lengths, labels.tsv's ids equal the FASTA names in order, known split names, binary labels
/// 0 or 1, motifs.bed ids known and spans inside the sequence, a numeric column 7, the n_<key>
/// counts equal to the sequence's lines in motifs.bed (per key when roles.tsv names them),
/// roles.tsv lines matching motifs.bed's and known role names. Sequences are upper-cased;
/// sites are sorted by (seq, start).
///
/// `parts` = NoSites is for the commands that use only sequences, splits and labels (train,
/// predict, attribute, sanity): motifs.bed and roles.tsv are then neither read nor checked, their
/// manifest rows not hashed, and the result has no sites and no roles (`attribute` on the paper's
/// 8,000 sequences: its read stage 0.083 -> 0.032-0.044 s, docs/benchmarks.md).
enum class DatasetParts : std::uint8_t { All, NoSites };
Dataset read_dataset_dir(const std::string& dir, DatasetParts parts = DatasetParts::All);

/// `liftbench seal`: for a dataset directory made by hand (or edited on purpose), reads it as
/// read_dataset_dir does except for the manifest (so it refuses, with the reader's message, a
/// directory that would not read), then writes manifest.tsv (atomically) listing the dataset
/// files present: sequences.fa (or the bgzip layout) and its index, labels.tsv, motifs.bed,
/// roles.tsv, tasks.tsv, classes.tsv, scenario.ini and config.ini. Returns the files listed.
std::vector<std::string> seal_dataset_dir(const std::string& dir);

}  // namespace lb::sim
