// Aggregating a sweep (docs/sweeps.md): the metrics of many runs of one benchmark -- grid points
// that differ in their settings and in their seeds -- as one long table, per-method summaries
// across the seeds, and paired comparisons between methods that say which differences survive
// the seed-to-seed variation.
//
// A sweep's axes are either conditions (a scenario, an architecture, a method list: what the
// comparison is about) or replicates (seeds: what it is averaged over). Runs with the same
// condition values are replicates of one condition. For each condition, method, task, motif,
// metric and tier: the number of runs with a finite value, their mean, standard deviation and a
// 95% percentile bootstrap interval of the mean over runs (resampling runs; B resamples from
// Rng(seed, r), eval/bootstrap.h). For each condition, task, motif and metric of tier "all" and
// each pair of methods, over the runs where both are finite: the mean difference a - b with its
// paired bootstrap interval, wins / losses / ties, the exact two-sided sign test's p-value on the
// non-tied runs, and Holm's adjustment of those p-values across the method pairs of that
// condition, task, motif and metric; a difference is called real when the adjusted p < 0.05.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lb::eval {

/// One metric value of one run: a row of the run's metrics.tsv or role_metrics.tsv.
struct RunMetric {
  std::string point, condition;  // the grid point and its condition label
  std::string method, reference, task, motif, metric, tier;
  double value = 0;
};

/// One grid point of a sweep: its id, its axis values (in the order of SweepAxes::keys), and the
/// evaluation directory whose metrics.tsv (and role_metrics.tsv, when present) it reads.
struct SweepPoint {
  std::string id;
  std::vector<std::string> values;
  std::string eval_dir;
  std::string discover_dir;  // its discovery.tsv's directory; empty when the point discovers nothing
};

struct SweepTable {
  std::vector<std::string> keys;       // axis keys, in the sweep file's order
  std::vector<bool> replicate;         // per axis: true = a replicate (seed) axis
  std::vector<SweepPoint> points;
};

/// Reads DIR/axes.tsv (columns axis, role = condition|replicate) and DIR/points.tsv (columns
/// point, one per axis in order, evaluate = the evaluation directory relative to DIR, and
/// optionally discover = the discovery directory or "-"), as
/// `liftbench sweep` writes them. InputErrors name the file and line.
SweepTable read_sweep_table(const std::string& dir);

/// "key=value; key=value" of a point's condition axes, or "all" when every axis is a replicate.
std::string condition_label(const SweepTable& t, const SweepPoint& p);

/// Every metric of every point (metrics.tsv: all rows, the model's test_* rows under method
/// "model"; role_metrics.tsv: motif "-", tier "all"; discovery.tsv, when the point has a discover
/// step: tier "all", the reference of the method's metrics.tsv rows). InputError naming the point
/// when its evaluation or its discovery is missing, and for a metric the catalogue does not list
/// for its file (metric_info's text, eval/metric_catalogue.h): the comparison page ranks every
/// metric in the catalogue's direction.
std::vector<RunMetric> read_run_metrics(const std::string& dir, const SweepTable& t);

struct AggregateConfig {
  int resamples = 5000;    // B of the bootstrap intervals
  std::uint64_t seed = 1;  // their Rng seed
  double alpha = 0.05;     // Holm-adjusted p below which a difference is called real
};

struct SummaryRow {
  std::string condition, method, reference, task, motif, metric, tier;
  int runs = 0;                  // runs with a finite value
  double mean = 0, sd = 0;       // sd: sample standard deviation (n - 1); NaN below 2 runs
  double lo = 0, hi = 0;         // 95% bootstrap interval of the mean over runs
  double min = 0, max = 0;
  std::vector<double> values;    // the finite values, in point order (the per-seed spread)
};

struct ComparisonRow {
  std::string condition, task, motif, metric, tier, a, b;
  int runs = 0;                  // runs where both are finite
  double mean_a = 0, mean_b = 0, diff = 0, lo = 0, hi = 0;  // diff = mean of a - b, its interval
  int wins = 0, losses = 0, ties = 0;  // runs with a > b, a < b, a == b
  double p_sign = 1, p_holm = 1;
  bool real = false;             // p_holm < alpha
};

/// Summaries in order of first appearance of (condition, task, motif, metric, tier, method).
std::vector<SummaryRow> summarize(const std::vector<RunMetric>& rows, const AggregateConfig& cfg);
/// Pairwise comparisons of methods (first appearance order; a before b) on tier "all" rows.
std::vector<ComparisonRow> compare_methods(const std::vector<RunMetric>& rows, const AggregateConfig& cfg);

/// Exact two-sided sign test: P(|X - n/2| >= |k - n/2|) for X ~ Binomial(n, 1/2), where k is
/// the number of wins among n = wins + losses non-tied pairs; 1 when n = 0.
double sign_test_p(int wins, int losses);
/// Holm's step-down adjustment of p-values (same order as given; monotone, capped at 1).
std::vector<double> holm_adjust(const std::vector<double>& p);

/// Writes DIR/aggregate/{runs.tsv, summary.tsv, comparisons.tsv, summary.json, index.html}
/// (each atomically; index.html last). Returns the number of runs read.
int write_aggregate(const std::string& dir, const AggregateConfig& cfg);

}  // namespace lb::eval
