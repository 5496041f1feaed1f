// Bootstrap confidence intervals over sequences: which differences between methods are real.
//
// Every metric of the evaluation is a statistic of a set of sequences (instances, bases and
// labels grouped by the sequence they belong to), so sequences are the resampling unit. A
// resample draws n sequence indices with replacement; resample r draws them from
// Rng(seed, r), so the intervals do not depend on the thread count or the chunking. The
// interval is the percentile interval of the B resampled statistics (quantiles by linear
// interpolation between order statistics, numpy's default), and the paired interval of two
// methods evaluates both on the same resampled sequences.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace lb::eval {

struct BootstrapConfig {
  int resamples = 1000;   // B
  std::uint64_t seed = 1;
  double level = 0.95;    // coverage of the percentile interval, in (0, 1)
};

/// ConfigError "eval.bootstrap_resamples: too small; expected a value >= 1, got 0" or
/// "eval.bootstrap_level: out of range; expected a value in (0, 1), got 1.5" (the keys under
/// which the evaluation exposes these fields).
void validate(const BootstrapConfig& cfg);

/// A statistic of the sequences `idx` (n indices into 0..n-1, with repeats; the same index
/// twice counts that sequence twice). Called concurrently from several threads: it must only
/// read shared data. NaN (or any non-finite value) marks a resample on which the statistic is
/// undefined (e.g. auROC without a positive); such resamples are left out of the interval.
using Statistic = std::function<double(std::span<const int> idx)>;

struct Interval {
  double estimate = 0;  // the statistic on the original sequences (idx = 0..n-1)
  double lo = 0, hi = 0;  // percentile interval of the finite resampled values (NaN if none)
  int n_finite = 0;     // resamples with a finite statistic (<= B)
};

struct PairedInterval {
  Interval a, b;     // each method's own interval, from the same resamples
  Interval diff;     // of a - b, per resample
  /// Two-sided bootstrap p-value of "a - b = 0": min(1, 2 min(#{d <= 0}, #{d >= 0}) / n_finite)
  /// over the finite resampled differences d (1 when all differences are 0; resolution 2/B, so
  /// 0 means below 1/B). NaN when no resample is finite.
  double p_value = 0;
  /// The interval of the difference excludes 0 (diff.lo > 0 or diff.hi < 0).
  bool excludes_zero = false;
};

/// Percentile bootstrap interval of `stat` over n sequences. InputError
/// "bootstrap: no sequences; expected at least 1, got 0" when n < 1.
Interval bootstrap(int n, const Statistic& stat, const BootstrapConfig& cfg);

/// Paired bootstrap of two statistics of the same n sequences (two methods): both are
/// evaluated on each resample's indices.
PairedInterval paired_bootstrap(int n, const Statistic& a, const Statistic& b, const BootstrapConfig& cfg);

/// A ratio-of-sums statistic, sum(num[idx]) / sum(den[idx]) over the resampled sequences: a
/// rate over instances grouped by sequence (num: false negatives of a sequence, den: its
/// instances; a plain mean of per-sequence values has den = 1). Resamples whose denominator
/// sums to 0 are undefined. InputErrors:
///   bootstrap: no sequences; expected at least 1, got 0
///   bootstrap: numerators and denominators differ in length; expected equal lengths, got 5 and 4
///   bootstrap: non-finite value at sequence 3; expected finite numbers, got nan
struct RatioData {
  std::span<const double> num, den;
};
Interval bootstrap_ratio(RatioData data, const BootstrapConfig& cfg);
/// The mean of per-sequence values (den = 1 for every sequence).
Interval bootstrap_mean(std::span<const double> values, const BootstrapConfig& cfg);
/// Paired ratio of two methods over the same sequences; besides the errors above,
/// "bootstrap: methods cover different sequences; expected equal lengths, got 5 and 4".
PairedInterval paired_bootstrap_ratio(RatioData a, RatioData b, const BootstrapConfig& cfg);

/// Percentile q in [0, 1] of sorted finite values by linear interpolation (numpy's default).
double percentile_sorted(std::span<const double> sorted, double q);

}  // namespace lb::eval
