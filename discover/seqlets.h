// Seqlets, the first step of motif discovery (docs/discovery.md): windows of a task's per-base
// contribution scores whose summed contribution stands out against a Laplace null, positive and
// negative apart, chosen greedily without overlap and extended by flanks, as TF-MoDISco-lite does
// in spirit.
//
// Rules: the per-base score is the contribution at the observed base (Σ_c contribution × one-hot);
// every window of width w of every sequence is summed; the null is a Laplace distribution with
// location m = the median of all window sums and, per side, scale b± = (median of the side's
// deviations |S - m|) / ln 2; each side's threshold is the smallest deviation whose estimated
// false discovery rate n± e^(-t/b±) / #{deviations >= t} is at most the target; the number of
// passing windows is then held between a floor and a cap (fractions of all windows). Results
// depend only on the values (no threads, no randomness; ties go to the lower sequence, then the
// lower position).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "io/bed.h"
#include "io/npz.h"

namespace lb::discover {

/// The options of seqlet calling, with TF-MoDISco-lite's defaults but the flank (its 10).
struct SeqletConfig {
  int window = 21;            // w: width of the summed window
  int flank = 5;              // added on each side of a chosen window
  double fdr = 0.2;           // target false discovery rate per side
  double min_passing = 0.03;  // floor on passing windows / all windows
  double max_passing = 0.2;   // cap on passing windows / all windows
};

/// Checks the options that need no data (--window >= 1, --flank >= 0, --fdr in (0, 1),
/// 0 <= --min-passing <= --max-passing <= 1): ConfigError naming the option.
void validate(const SeqletConfig& cfg);
/// Checks the options against the sequence length L: window <= L, window + 2 flank <= L.
void validate(const SeqletConfig& cfg, int seq_len);

/// Fewest windows the null is fitted to.
inline constexpr std::int64_t kMinNullWindows = 100;

/// The fitted null of the window sums: Laplace(location, scale) on each side.
struct LaplaceNull {
  double location = 0;         // m: median of the sums
  double scale_pos = 0;        // b+: median of {S - m : S > m} / ln 2 (0 when that side is empty)
  double scale_neg = 0;        // b-: median of {m - S : S < m} / ln 2
  std::int64_t n_pos = 0;      // #{S > m}
  std::int64_t n_neg = 0;      // #{S < m}
};

/// The median as the mean of the two middle order statistics (the middle one for odd counts);
/// `values` is reordered. LB_CHECK: not empty.
double median_of(std::vector<double>& values);

/// Fits the null to window sums (any order; the result does not depend on it).
LaplaceNull fit_laplace_null(std::span<const double> sums);

/// One side's threshold on deviations d > 0 (S - m above, m - S below) at target `fdr`: the
/// smallest observed d with n e^(-d/scale) <= fdr × #{deviations >= d}, where n = deviations.size();
/// +infinity when no d qualifies (or there are none).
double fdr_threshold(std::span<const double> deviations, double scale, double fdr);

/// Sums of every window of width w: (N × (L - w + 1)), window p of sequence i at i*(L-w+1) + p,
/// each summed left to right in double.
std::vector<double> window_sums(std::span<const double> per_base, int n_seqs, int seq_len, int window);

struct Seqlet {
  int seq = 0;        // sequence index
  int start = 0;      // extended window [start, end): the chosen window and `flank` bases each side
  int end = 0;
  int sign = 1;       // +1: sum above the null's location, -1: below
  double score = 0;   // the chosen window's sum (width w, without flanks)
};

struct SeqletResult {
  std::vector<Seqlet> seqlets;  // by sequence, then start, then sign (+1 first)
  LaplaceNull null;
  std::int64_t n_windows = 0;
  double fdr_threshold_pos = 0, fdr_threshold_neg = 0;  // deviations from the location (FDR rule)
  double threshold_pos = 0, threshold_neg = 0;  // after the floor and cap: S >= m + t+ or S <= m - t-
  std::string limit;                            // "", "floor" or "cap": which bound moved the thresholds
  std::int64_t n_passing = 0;                   // windows past the final thresholds
  std::int64_t n_dropped_at_edge = 0;           // chosen windows whose flanks did not fit
};

/// Seqlets of per-base scores (N × L, sequence i at [i*L, (i+1)*L)). Throws InputError
/// "<where>too few windows to fit the null; ..." below kMinNullWindows windows; ConfigError when
/// validate(cfg, seq_len) fails.
SeqletResult find_seqlets(std::span<const double> per_base, int n_seqs, int seq_len, const SeqletConfig& cfg,
                          std::string_view where = {});

/// The archive's `tasks` array (int64, one value per task axis entry), or empty when it has none
/// or names its targets (a `targets` array: then --task is the target's position on the axis).
/// InputError "<path>: array 'tasks': wrong length; expected T (the task axis of '<array>'), got n".
std::vector<std::int64_t> task_values(const io::NpzArchive& archive, const std::string& path, std::int64_t T,
                                      const std::string& array);
/// The axis of model output `task` on the task axis of `array` (T entries): its position in
/// `values` when the file has a `tasks` array, else `task` itself. ConfigError "--task: task 5 was
/// not attributed; expected one of 0, 2 (the file's 'tasks'), got 5" or "--task: out of range;
/// expected a task in [0, T-1] ('<array>' has T tasks), got 5".
int task_axis(const std::vector<std::int64_t>& values, std::int64_t T, const std::string& array, int task);

/// One task's per-base scores of one method of a scores archive (docs/attribution.md).
struct TaskScores {
  std::vector<std::string> ids;
  int seq_len = 0;
  int task = 0;               // the model output (the `tasks` array's value) ...
  int axis = 0;               // ... and its index on the array's task axis
  std::vector<double> per_base;  // N × L: Σ_c contribution[i, axis, c, l] × onehot[i, c, l]
};

/// Reads `method` of task `task` from a scores archive read from `path`. `task` is a model output:
/// with a `tasks` array, one of its values; without, an index on the task axis. Errors:
/// InputError for missing arrays (io::find_array's message), wrong shapes, non-finite scores or
/// ids that cannot be a BED name; ConfigError "--task: ..." for a task not in the file.
TaskScores read_task_scores(const io::NpzArchive& archive, const std::string& path, const std::string& method,
                            int task);

/// The slice [:, axis] of an (N, T, 4, L) array as N × 4 × L floats, without converting the other
/// tasks first (a '<f4' array is copied straight from its bytes; other dtypes through to_f32's
/// conversion and its errors, naming `where`).
std::vector<float> task_slice_f32(const io::NpyArray& a, std::size_t axis, std::string_view where);

/// BED6+2 records (docs/discovery.md): chrom = id, start, end, name seqlet_<k> (k from 1 in
/// output order), score round(1000 |S| / max |S|) over the seqlets, strand '.', then the sign
/// ("pos" / "neg") and the window sum S in shortest round-trip form.
std::vector<io::BedRecord> seqlet_bed(const std::vector<Seqlet>& seqlets, std::span<const std::string> ids);

}  // namespace lb::discover
