// The benchmark of docs/cli.md, liftbench evaluate (paper appendices G, I, J): reads a scores file against its
// dataset, scans every motif the dataset plants, scores the top hits with every method, and computes the
// metrics (false-negative / false-positive rates, Spearman, localisation auROC / auPRC) split by instance
// tier and by reference, and the role metrics with bootstrap intervals; writes metrics.tsv, metrics.json,
// hits.tsv, role_metrics.tsv and method_differences.tsv. Draws nothing: the HTML report is report.h.
// Sources: scores_input.cpp (the scores file and the model's metrics), hit_metrics.cpp (motifs, hits and
// their metrics), role_metrics.cpp, xai_metrics.cpp and perturbation.cpp (the metrics without a planted truth,
// docs/metrics.md), evaluate_io.cpp (the output files), evaluate.cpp (the whole run).
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eval/metric_catalogue.h"
#include "io/meme.h"
#include "io/npz.h"
#include "sim/dataset.h"
#include "sim/pwm.h"

namespace lb::model {
class Network;
}

namespace lb::eval {

/// The [eval] section.
struct EvalConfig {
  std::array<double, 4> background{0.3, 0.2, 0.2, 0.3};  // A,C,G,T of the scan's null model
  double pseudocount = 0.001;                             // PWM smoothing p' = p(1-c) + c/4
  std::string strands = "forward";                        // forward | both
  int top_hits = 5;                                       // hits per sequence and motif
  double log_odds_threshold = 7.0;                        // "strong" hits (fn_rate, fp_rate)
  std::string scan_mode = "exclusive";                    // exclusive | deeplift_compatible
  int bootstrap_resamples = 1000;                         // role metrics: bootstrap resamples over sequences
  std::uint64_t bootstrap_seed = 1;                       // resample r draws from Rng(seed, r)
  std::string discover_methods;                           // `liftbench run`: methods whose motifs are discovered ("" = none)
  std::string xai_metrics =  // docs/metrics.md
      "sparseness,entropy,deletion_aopc,insertion_auc,faithfulness_corr,random_target_spearman";
  // Faithfulness (docs/metrics.md): perturbations of the model's input.
  std::string perturbation_reference = "background";  // background (eval.background) | dinuc_shuffle
  int perturbation_sequences = 100;                   // scored sequences perturbed, evenly spread (0 = all)
  double perturbation_fraction = 0.2;                 // deletion/insertion: largest k, a fraction of L
  int perturbation_steps = 10;                        // grid points k_j = round(j k_max / steps), j = 1..steps
  int faithfulness_subsets = 32;                      // random position subsets per sequence
  double faithfulness_subset_fraction = 0.05;         // positions per subset, a fraction of L
  std::uint64_t perturbation_seed = 1;                // shuffles and subsets: Rng(seed, dataset index)
};

/// The metrics that eval.xai_metrics computes, in the catalogue's order (blanks trimmed; "" = none).
std::vector<std::string> xai_metric_list(const EvalConfig& cfg);

/// eval.discover_methods as a list (comma-separated, blanks trimmed; empty for "").
std::vector<std::string> discover_method_list(const EvalConfig& cfg);

/// Throws ConfigError naming the key:
///   eval.background: (sim::validate_background's text)
///   eval.pseudocount: out of range; expected a value in [0, 1), got 1
///   eval.strands: unknown value; expected forward or both, got 'x'
///   eval.top_hits: too small; expected top_hits >= 1, got 0
///   eval.scan_mode: unknown value; expected exclusive or deeplift_compatible, got 'x'
///   eval.discover_methods: empty method; expected comma-separated method names, got 'a,,b'
///   eval.xai_metrics: unknown metric; expected comma-separated names of sparseness, entropy, ..., got 'x'
///   eval.perturbation_reference: unknown value; expected background or dinuc_shuffle, got 'x'
///   eval.perturbation_sequences: too small; expected a value >= 0, got -1
///   eval.perturbation_fraction: out of range; expected a value in (0, 1], got 0
///   eval.perturbation_steps: too small; expected a value >= 1, got 0
///   eval.faithfulness_subsets: too small; expected a value >= 2, got 1
///   eval.faithfulness_subset_fraction: out of range; expected a value in (0, 1], got 0
void validate(const EvalConfig& cfg);
/// The eval.xai_metrics part of validate.
void validate_xai_metrics(const EvalConfig& cfg);

/// One method of a scores file, reduced to per-base scores.
struct MethodScores {
  std::string name;              // array name in scores.npz, e.g. "deeplift:genomics@dinuc_shuffle"
  std::string reference;         // the suffix after '@'; without one the default reference
  std::vector<double> per_base;  // (N, T, L): Σ over A,C,G,T of the contributions
};

/// A scores file matched to its dataset.
struct ScoresInput {
  std::vector<int> seq;                // N: dataset index of each row of the scores file
  int n_tasks = 0;                     // T (the dataset's tasks)
  int seq_len = 0;                     // L
  std::vector<MethodScores> methods;   // in archive order; auxiliary arrays ('.' in the name) skipped
};

/// Matches the archive read from `path` to `ds` (`data_where` names the dataset in errors,
/// e.g. its directory). Methods without '@' get `default_reference` (grad and ism: "none").
/// InputErrors, exactly:
///   P: array 'ids': wrong shape; expected (N,), got (2,3)
///   P: array 'ids': unknown sequence 'X'; expected an id of the dataset D, got 'X'
///   P: array 'ids': duplicate sequence 'X'; expected each id once, got 'X' twice
///   P: array 'onehot': wrong shape; expected (N,4,L) = (5,4,200) (N from 'ids', L from the dataset D), got (5,4,100)
///   P: array 'onehot': sequence 'X' position 7 differs from the dataset D; expected 'A', got 'C'
///   P: array 'M': wrong shape; expected (N,T,4,L) = (5,3,4,200) (N from 'ids', T tasks, L from the dataset D), got (5,3,4,100)
///   P: no method arrays; expected at least one array besides 'ids' and 'onehot', got none
/// and find_array's error for a missing 'ids' or 'onehot'.
ScoresInput match_scores(const io::NpzArchive& archive, const std::string& path, const sim::Dataset& ds,
                         std::string_view data_where, std::string_view default_reference);
/// read_npz(path), then match_scores.
ScoresInput read_scores(const std::string& path, const sim::Dataset& ds, std::string_view data_where,
                        std::string_view default_reference);

/// The motifs a dataset plants (the PWM names of motifs.bed), in the order of the dataset's
/// motif keys (labels.tsv's n_<key> columns), each once; then names of sites without a key in
/// order of appearance. These are the motifs evaluate scans.
std::vector<std::string> planted_motifs(const sim::Dataset& ds);
/// Each motif key with planted instances and its PWM name, in key order (metrics.json "motifs").
std::vector<std::pair<std::string, std::string>> planted_motif_keys(const sim::Dataset& ds);

/// The PWMs of planted_motifs(ds), by name from the motif file `file` read from `path`
/// (`data_where` names the dataset directory in errors). InputErrors, exactly:
///   P: motif 'X' missing; expected every motif that D/motifs.bed plants (A, X), got a motif file without 'X'
///   P: motif 'X' (width 30) is wider than the sequences of D; expected width <= 20, got 30
/// and Pwm's validation errors.
std::vector<sim::Pwm> planted_pwms(const sim::Dataset& ds, const io::MemeFile& file, const std::string& path,
                                   std::string_view data_where);

/// One of the top hits of a motif in a scored sequence.
struct Hit {
  int row = 0;          // row of the scores file
  int motif = 0;        // index into the scanned motifs (Evaluation::motifs)
  int start = 0, end = 0;
  char strand = '+';
  double log_odds = 0;
};

/// The top cfg.top_hits hits of every motif in `motifs` (raw PWMs; smoothed here with
/// cfg.pseudocount) in every scored sequence, ordered by (row, motif, pick order).
std::vector<Hit> find_hits(const sim::Dataset& ds, std::span<const int> seq, const std::vector<sim::Pwm>& motifs,
                           const EvalConfig& cfg);

/// One metric value. task < 0 never occurs; `tier` is "all" or the instance count ("1", "2", ...).
struct MetricRow {
  std::string method, reference;
  int task = 0;
  std::string motif, metric, tier;
  double value = 0;
  long n = 0;  // hits or bases the value is computed over; -1 = unknown (model rows)
  // The bootstrap 95% interval over sequences of the families with one (has_interval).
  double ci_lo = std::numeric_limits<double>::quiet_NaN(), ci_hi = std::numeric_limits<double>::quiet_NaN();
};

/// The model's test metrics that evaluate carries, in the order it writes their rows (the
/// catalogue's): auROC / auPRC of a binary model (model.output = sigmoid), R², Pearson r and MSE
/// of a real-valued one (model.output = linear).
inline constexpr auto kModelMetricNames = family_names<Family::Model>();

/// Test metrics of the model (`<stem>.metrics.tsv` of liftbench train). A model has one kind of
/// output, so either the binary pair or the real-valued triple is empty.
struct ModelMetrics {
  std::vector<double> test_auroc, test_auprc;           // T (binary tasks)
  std::vector<double> test_r2, test_pearson, test_mse;  // T (real-valued tasks)

  /// The vector named kModelMetricNames[i].
  std::vector<double>& metric(std::size_t i);
  const std::vector<double>& metric(std::size_t i) const;
};
/// Reads the rows named in kModelMetricNames (others, e.g. test_loss, are skipped); a task
/// missing between listed ones is NaN. InputError "path:line: bad value; expected a number,
/// got 'x'" or "path:line: bad task; expected task0..task2, got 'x'".
ModelMetrics read_model_metrics(const std::string& path, int n_tasks);

/// A metric of planted instances by role (docs/scenarios.md), with its bootstrap 95% interval
/// over sequences. Metrics: driver_fn_rate (drivers scored <= 0), irrelevant_fp_rate
/// (irrelevant instances scored > 0), context_pos_rate (context scored > 0), repressor_neg_rate
/// (repressors scored < 0: the correct sign), gss (Grammar Satisfiability Score: the share of
/// sequences with a driver or a repressor whose every driver scores > 0, every repressor < 0,
/// and no context instance scores at or above the lowest driver). An instance's score is the
/// sum of its bases' per-base scores on the task.
struct RoleRow {
  std::string method, reference;
  int task = 0;
  std::string metric;
  double value = 0, lo = 0, hi = 0;
  double instances = 0;  // the denominator: instances (sequences for gss)
};
/// The paired bootstrap difference a - b of two methods on one role metric.
struct DiffRow {
  int task = 0;
  std::string metric, a, b;
  double diff = 0, lo = 0, hi = 0, p_value = 0;
  bool excludes_zero = false;
};

/// The mean deletion or insertion curve of one method and task over the perturbed sequences:
/// the task's logit after k of the top-scored positions are replaced (deletion, from the input)
/// or restored (insertion, from the reference), k on the grid (k[0] = 0).
struct PerturbationCurve {
  std::string method;
  int task = 0;
  std::string kind;  // "deletion" or "insertion"
  std::vector<int> k;
  std::vector<double> mean;
};

struct Evaluation {
  std::vector<std::string> motifs;                               // scanned PWM names (Hit::motif)
  std::vector<std::pair<std::string, std::string>> motif_keys;   // key -> PWM name (planted_motif_keys)
  std::vector<Hit> hits;
  std::vector<std::vector<double>> hit_scores;  // [method][hit * T + task]
  std::vector<MetricRow> rows;                  // method by method, the model rows if any, then xai_metrics's
  std::vector<std::vector<int>> instances;      // [scored row][motif]: planted instances
  std::vector<RoleRow> role_rows;               // method by method, task by task
  std::vector<DiffRow> diffs;                   // task by task, metric by metric, pairs of methods
  int n_sequences = 0;
  std::vector<PerturbationCurve> curves;        // faithfulness_metrics: method by method, task by task
  long forward_passes = 0;                      // inputs the model was run on (faithfulness_metrics)
};

/// Fills ev.role_rows and ev.diffs from the dataset's roles (evaluate() calls it).
void role_metrics(const sim::Dataset& ds, const ScoresInput& scores, const EvalConfig& cfg, Evaluation& ev);

/// The hit and localisation metrics of every method (docs/cli.md, liftbench evaluate), appended
/// to ev.rows, with ev.hits, ev.hit_scores and ev.instances (evaluate() calls it; ev.motifs set).
/// Which motifs a task depends on comes from the dataset's roles (roles.tsv), never from names
/// or task numbers: a motif is relevant to a task when any of its instances drives it or is
/// context for it (a repressor motif is scored like an irrelevant one here: positive scores on
/// its hits are false positives; role_metrics.tsv scores its sign). Per task, in this order:
///  - fn_rate, tasks with two or more relevant motifs, each relevant motif m: the share of m's
///    hits with log-odds >= threshold, in sequences holding an instance of m that drives the
///    task, scored <= 0 (appendix G(b); the paper's task 0: strong hits in sequences of class both);
///  - fp_rate, each scanned motif not relevant to the task: the share of its hits with log-odds
///    >= threshold (any sequence) scored > 0 (the paper's tasks 1 and 2: hits of the other motif);
///  - spearman, each relevant motif: rank correlation of log-odds and score over all its hits;
///  - loc_auroc, loc_auprc (and _abs of |score|), tasks with a relevant motif: per-base scores of
///    the scored sequences against the planted bases (motifs.bed) of the relevant motifs (motif
///    column: their names joined by '+').
/// Each for tier "all" and per tier: for hit metrics the number of planted instances of the
/// hit's motif in its sequence; for localisation the number of relevant planted instances.
void hit_metrics(const sim::Dataset& ds, const ScoresInput& scores, const std::vector<sim::Pwm>& motifs,
                 const EvalConfig& cfg, Evaluation& ev);

/// Sparseness of one map (Chalasani et al. 2020): the Gini index of |a| over its n entries,
/// G = Σ_k (2k - n - 1) |a|_(k) / (n Σ|a|) with |a|_(1) <= ... <= |a|_(n); 0 for a flat map,
/// (n - 1)/n for one nonzero entry. NaN when every entry is 0.
double gini_sparseness(std::span<const double> a);
/// Complexity of one map (Bhatt et al. 2020): the Shannon entropy -Σ p_i ln p_i of the shares
/// p_i = |a_i| / Σ|a| (0 ln 0 = 0); ln n for a flat map, 0 for one nonzero entry. NaN when every
/// entry is 0.
double attribution_entropy(std::span<const double> a);

/// The metrics of eval.xai_metrics (docs/metrics.md) of every method and task, appended to
/// ev.rows after the model's rows, metric by metric in the catalogue's order, then method by
/// method, then task by task: motif "-", tier "all", value the mean over the scored sequences
/// of the per-sequence value (sequences where it is undefined, NaN, left out), n those
/// sequences, ci_lo and ci_hi its percentile bootstrap 95% interval over sequences
/// (eval.bootstrap_resamples, eval.bootstrap_seed). Per sequence, on the per-position scores
/// of the task (Σ over A,C,G,T): sparseness (gini_sparseness) and entropy (attribution_entropy);
/// then the faithfulness metrics; then random_target_spearman (datasets of two or more tasks):
/// the Spearman correlation of the map of task t with that of task (t + 1) mod T.
/// With `net`, the faithfulness metrics follow (faithfulness_metrics); without it those of
/// eval.xai_metrics that need the model (needs_model) are not computed.
void xai_metrics(const sim::Dataset& ds, const ScoresInput& scores, const EvalConfig& cfg, const model::Network* net,
                 Evaluation& ev);

/// Faithfulness (docs/metrics.md), the metrics of Family::Faithfulness that eval.xai_metrics
/// names, of every method and task (rows as xai_metrics'), with ev.curves and ev.forward_passes.
/// Per sequence of perturbation_rows, with x its one-hot input, ref the reference (every
/// column eval.background, or a dinucleotide shuffle of x drawn from Rng(perturbation_seed, i)
/// for dataset index i), f the task's logit and the positions in positions_by_score's order of
/// the task's per-position scores:
///  - deletion_aopc: AOPC (Samek et al. 2017) over the grid k_0..k_G (perturbation_grid),
///    1/(G+1) Σ_j (f(x) - f(x with its top k_j positions set to ref's columns));
///  - insertion_auc: 1/(G+1) Σ_j (f(ref with its top k_j positions set to x's columns) - f(ref));
///  - faithfulness_corr (Bhatt et al. 2020): over eval.faithfulness_subsets random subsets U of
///    round(faithfulness_subset_fraction L) positions (the same for every method and task; drawn
///    from Rng(perturbation_seed, 2^62 + i)), the Pearson r of Σ_{l in U} a_l and f(x) - f(x with U
///    set to ref's columns);
///  - ism_pearson, ism_spearman: the correlation over positions of a_l with the ISM effect
///    e_l = f(x) - the mean of f over x with each other base at l; ism_sign_agreement: the share
///    of the sequence's planted instances where Σ a and Σ e over the instance have the same sign.
/// Every perturbed input of a sequence goes through model::predict_logits in one batch.
/// InputError when the model's input is not (4, L) or it has not one output per task.
void faithfulness_metrics(const sim::Dataset& ds, const ScoresInput& scores, const EvalConfig& cfg,
                          const model::Network& net, Evaluation& ev);
/// k_j = round(j k_max / steps) for j = 0..steps, k_max = round(perturbation_fraction L) in [1, L].
std::vector<int> perturbation_grid(int seq_len, const EvalConfig& cfg);
/// The rows perturbed: all, or perturbation_sequences of them evenly spread (j n / p, j < p).
std::vector<int> perturbation_rows(int n_rows, const EvalConfig& cfg);
/// Positions by decreasing score, ties in position order.
std::vector<int> positions_by_score(std::span<const double> a);
/// Samek et al.'s AOPC of a curve: the mean of start - f over its points (NaN when empty).
double aopc(std::span<const double> curve, double start);

/// The whole evaluation: hit_metrics, role_metrics, the model's rows, then xai_metrics. `motifs` are the
/// PWMs of planted_motifs(ds), in that order (planted_pwms). InputError when the dataset has no
/// roles (a dataset directory of an older version).
Evaluation evaluate(const sim::Dataset& ds, const ScoresInput& scores, const std::vector<sim::Pwm>& motifs,
                    const EvalConfig& cfg, const std::optional<ModelMetrics>& model = std::nullopt,
                    const model::Network* net = nullptr);

/// metrics.tsv columns, and one hits.tsv line per hit, method and task.
inline constexpr std::array<std::string_view, 8> kMetricsColumns{"method", "reference", "task", "motif",
                                                                 "metric", "tier", "value", "n"};
inline constexpr std::array<std::string_view, 12> kHitsColumns{
    "method", "reference", "task", "seq", "motif", "start", "end", "strand", "log_odds", "class", "n_instances", "score"};

/// Writes `dir`/metrics.tsv, metrics.json and hits.tsv atomically.
void write_evaluation(const std::string& dir, const Evaluation& ev, const sim::Dataset& ds, const ScoresInput& scores,
                      const EvalConfig& cfg, const std::optional<ModelMetrics>& model, std::string_view version);
/// The metrics.json text (also used by tests and the report).
std::string metrics_json(const Evaluation& ev, const ScoresInput& scores, const EvalConfig& cfg,
                         const std::optional<ModelMetrics>& model, std::string_view version);

}  // namespace lb::eval
