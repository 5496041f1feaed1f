// The in-memory dataset (simulated, or read from simdata / a dataset directory) and the
// dataset directory of DESIGN §2: sequences.fa (+ .fai), labels.tsv, motifs.bed (BED6+1),
// config.ini.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/pwm.h"

namespace lb::sim {

enum class SeqClass : std::uint8_t { Empty, GataOnly, TalOnly, Both };
enum class Split : std::uint8_t { Train, Valid, Test };

/// "empty", "gata_only", "tal_only", "both" / "train", "valid", "test".
std::string_view class_name(SeqClass c);
std::string_view split_name(Split s);
/// Parse the names above; false when unknown.
bool parse_class(std::string_view name, SeqClass& out);
bool parse_split(std::string_view name, Split& out);

inline constexpr int kNumTasks = 3;  // task0 = both motifs, task1 = GATA, task2 = TAL

/// One planted motif instance (one BED6+1 line of motifs.bed).
struct MotifSite {
  int seq = 0;                // index into Dataset::ids
  std::int64_t start = 0;     // 0-based
  std::int64_t end = 0;       // exclusive
  std::string motif;          // PWM name
  double log_odds = 0;        // natural-log odds of the planted string vs the background
  char strand = '+';
};

struct Dataset {
  int seq_len = 0;
  std::vector<std::string> ids;                      // N
  std::vector<std::string> seqs;                     // N, each seq_len letters ACGT(N)
  std::vector<SeqClass> classes;                     // N
  std::vector<Split> splits;                         // N
  std::vector<std::array<std::uint8_t, kNumTasks>> labels;  // N x T, 0/1
  std::vector<int> n_gata, n_tal;                    // N: planted instances of each motif
  std::vector<MotifSite> sites;                      // sorted by (seq, start)

  int size() const { return static_cast<int>(ids.size()); }
};

/// Labels implied by a class: task0 = both, task1 = GATA present, task2 = TAL present.
std::array<std::uint8_t, kNumTasks> labels_for(SeqClass c);

/// Stream of Rng(seed, ·) used by stratified_split; the simulator uses 0 and 1 + i.
inline constexpr std::uint64_t kSplitStream = ~std::uint64_t{0};

/// Stratified split: within each class (in index order), a seeded shuffle, then the first
/// round(f_train * n_c) are train, the next round(f_valid * n_c) valid (at most what is left),
/// the rest test. All classes draw in turn (empty .. both) from Rng(seed, kSplitStream).
std::vector<Split> stratified_split(const std::vector<SeqClass>& classes,
                                    const std::array<double, 3>& fractions, std::uint64_t seed);

/// BED score (column 5 of motifs.bed, an integer 0-1000) of an instance with these natural-log
/// odds: round(50 x log_odds) clamped to [0, 1000]. Monotone in the log-odds; 0 for instances
/// no likelier under the motif than under the background, 1000 from 20 nats up (the paper's
/// motifs plant at most about 15). The exact value stays in column 7.
int motif_bed_score(double log_odds);

/// The FASTA of dataset directory `dir`: `dir/sequences.fa`, or `dir/sequences.fa.gz` (the
/// bgzip layout written before sequences.fa) when only that one exists.
std::string dataset_fasta_path(const std::string& dir);

/// Writes the dataset directory `dir` (created if needed): sequences.fa with its samtools index
/// sequences.fa.fai, labels.tsv, motifs.bed (BED6+1: `id start end motif score strand
/// log_odds`, score = motif_bed_score(log_odds), log_odds in shortest round-trip form), then
/// config.ini (`config_ini`, the resolved configuration) last. Each file is written
/// atomically; the old layout's sequences.fa.gz(.fai, .gzi) are removed if present.
void write_dataset_dir(const std::string& dir, const Dataset& data, std::string_view config_ini);

/// Reads a dataset directory written by write_dataset_dir (sequences, labels, motifs; not
/// config.ini), or one of the old layout (sequences.fa.gz; motifs.bed as BED6 with the
/// log-odds in column 5): a motifs.bed line with 7 or more columns has its log-odds in column
/// 7, one with 6 in column 5. Checks consistency, each an InputError "file:line: ...": equal
/// sequence lengths, labels.tsv header exactly as written, its ids equal the FASTA names in
/// order, known split/class names, labels equal labels_for(class), motifs.bed ids known, spans
/// inside the sequence and a numeric column 7, and n_gata + n_tal equal to the sequence's lines
/// in motifs.bed. Sequences are upper-cased; sites are sorted by (seq, start).
Dataset read_dataset_dir(const std::string& dir);

}  // namespace lb::sim
