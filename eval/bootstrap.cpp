// Percentile and paired bootstrap over sequences: resample r from Rng(seed, r), resamples
// computed in fixed chunks in parallel, each written to its own slot.
#include "eval/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <fmt/format.h>

#include "core/error.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "eval/metrics.h"

namespace lb::eval {

namespace {

constexpr int kChunk = 25;  // resamples per parallel work item (results do not depend on it)

void check_sequences(long n) {
  if (n < 1) throw InputError(fmt::format("bootstrap: no sequences; expected at least 1, got {}", n));
}

// values[s][r] = stats[s](resample r) for every statistic s and resample r.
std::vector<std::vector<double>> resample_all(int n, std::span<const Statistic* const> stats,
                                              const BootstrapConfig& cfg) {
  const int b = cfg.resamples;
  std::vector<std::vector<double>> values(stats.size(), std::vector<double>(static_cast<std::size_t>(b)));
  const int n_chunks = (b + kChunk - 1) / kChunk;
  parallel_for(n_chunks, [&](int c) {
    std::vector<int> idx(static_cast<std::size_t>(n));
    const int end = std::min(b, (c + 1) * kChunk);
    for (int r = c * kChunk; r < end; ++r) {
      Rng rng(cfg.seed, static_cast<std::uint64_t>(r));
      for (auto& i : idx) i = static_cast<int>(rng.below(static_cast<std::uint64_t>(n)));
      for (std::size_t s = 0; s < stats.size(); ++s) values[s][static_cast<std::size_t>(r)] = (*stats[s])(idx);
    }
  });
  return values;
}

Interval interval_of(double estimate, std::span<const double> values, double level) {
  std::vector<double> finite;
  finite.reserve(values.size());
  for (double v : values)
    if (std::isfinite(v)) finite.push_back(v);
  std::sort(finite.begin(), finite.end());
  Interval out;
  out.estimate = estimate;
  out.n_finite = static_cast<int>(finite.size());
  out.lo = percentile_sorted(finite, 0.5 * (1 - level));
  out.hi = percentile_sorted(finite, 0.5 * (1 + level));
  return out;
}

std::vector<int> identity(int n) {
  std::vector<int> idx(static_cast<std::size_t>(n));
  std::iota(idx.begin(), idx.end(), 0);
  return idx;
}

void check_ratio(RatioData d) {
  if (d.num.size() != d.den.size())
    throw InputError(fmt::format("bootstrap: numerators and denominators differ in length; expected equal lengths, got {} and {}",
                                 d.num.size(), d.den.size()));
  check_sequences(static_cast<long>(d.num.size()));
  for (std::size_t i = 0; i < d.num.size(); ++i) {
    const double bad = !std::isfinite(d.num[i]) ? d.num[i] : !std::isfinite(d.den[i]) ? d.den[i] : 0.0;
    if (bad != 0.0)
      throw InputError(fmt::format("bootstrap: non-finite value at sequence {}; expected finite numbers, got {}", i, bad));
  }
}

Statistic ratio_statistic(RatioData d) {
  return [d](std::span<const int> idx) {
    double num = 0, den = 0;
    for (int i : idx) {
      num += d.num[static_cast<std::size_t>(i)];
      den += d.den[static_cast<std::size_t>(i)];
    }
    return den == 0 ? kNaN : num / den;
  };
}

}  // namespace

void validate(const BootstrapConfig& cfg) {
  check_at_least(cfg.resamples, 1, "eval.bootstrap_resamples");
  if (!(cfg.level > 0 && cfg.level < 1))
    throw ConfigError(fmt::format("eval.bootstrap_level: out of range; expected a value in (0, 1), got {}", cfg.level));
}

double percentile_sorted(std::span<const double> sorted, double q) {
  if (sorted.empty()) return kNaN;
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto k = static_cast<std::size_t>(std::floor(pos));
  if (k + 1 >= sorted.size()) return sorted.back();
  const double frac = pos - static_cast<double>(k);
  // Equal neighbours give that value exactly (no a + 0*(b-a) rounding).
  return sorted[k] == sorted[k + 1] ? sorted[k] : sorted[k] + frac * (sorted[k + 1] - sorted[k]);
}

Interval bootstrap(int n, const Statistic& stat, const BootstrapConfig& cfg) {
  validate(cfg);
  check_sequences(n);
  const Statistic* stats[] = {&stat};
  const auto values = resample_all(n, stats, cfg);
  return interval_of(stat(identity(n)), values[0], cfg.level);
}

PairedInterval paired_bootstrap(int n, const Statistic& a, const Statistic& b, const BootstrapConfig& cfg) {
  validate(cfg);
  check_sequences(n);
  const Statistic* stats[] = {&a, &b};
  const auto values = resample_all(n, stats, cfg);
  const auto all = identity(n);
  const double ea = a(all), eb = b(all);
  PairedInterval out;
  out.a = interval_of(ea, values[0], cfg.level);
  out.b = interval_of(eb, values[1], cfg.level);
  std::vector<double> diff(values[0].size());
  for (std::size_t r = 0; r < diff.size(); ++r) diff[r] = values[0][r] - values[1][r];
  out.diff = interval_of(ea - eb, diff, cfg.level);
  long le = 0, ge = 0, finite = 0;
  for (double d : diff) {
    if (!std::isfinite(d)) continue;
    ++finite;
    le += d <= 0;
    ge += d >= 0;
  }
  out.p_value = finite == 0 ? kNaN : std::min(1.0, 2.0 * static_cast<double>(std::min(le, ge)) / static_cast<double>(finite));
  out.excludes_zero = out.diff.lo > 0 || out.diff.hi < 0;
  return out;
}

Interval bootstrap_ratio(RatioData data, const BootstrapConfig& cfg) {
  validate(cfg);
  check_ratio(data);
  return bootstrap(static_cast<int>(data.num.size()), ratio_statistic(data), cfg);
}

Interval bootstrap_mean(std::span<const double> values, const BootstrapConfig& cfg) {
  const std::vector<double> ones(values.size(), 1.0);
  return bootstrap_ratio({values, ones}, cfg);
}

PairedInterval paired_bootstrap_ratio(RatioData a, RatioData b, const BootstrapConfig& cfg) {
  validate(cfg);
  check_ratio(a);
  check_ratio(b);
  if (a.num.size() != b.num.size())
    throw InputError(fmt::format("bootstrap: methods cover different sequences; expected equal lengths, got {} and {}",
                                 a.num.size(), b.num.size()));
  return paired_bootstrap(static_cast<int>(a.num.size()), ratio_statistic(a), ratio_statistic(b), cfg);
}

}  // namespace lb::eval
