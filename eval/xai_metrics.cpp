// The metrics of liftbench evaluate that need no planted truth (docs/metrics.md): per method and
// task, the mean over the scored sequences of a per-sequence value with its bootstrap interval.
// Complexity here: sparseness (Gini index) and entropy of the absolute per-position scores;
// randomisation: the rank correlation of a task's map with the next task's; faithfulness,
// which needs the model, in perturbation.cpp.
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include <fmt/format.h>

#include "core/error.h"
#include "eval/bootstrap.h"
#include "eval/evaluate.h"
#include "eval/metrics.h"

namespace lb::eval {

namespace {

// The metrics eval.xai_metrics may name: those of the families with intervals, in catalogue order.
std::vector<std::string_view> xai_catalogue() {
  std::vector<std::string_view> out;
  for (const MetricInfo& m : kMetricCatalogue)
    if (has_interval(m.family)) out.push_back(m.name);
  return out;
}

std::string trimmed(std::string_view s) {
  const auto b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string_view::npos ? std::string() : std::string(s.substr(b, e - b + 1));
}

// The names of eval.xai_metrics as written (blanks trimmed).
std::vector<std::string> named(const EvalConfig& cfg) {
  std::vector<std::string> out;
  if (trimmed(cfg.xai_metrics).empty()) return out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = cfg.xai_metrics.find(',', start);
    out.push_back(trimmed(std::string_view(cfg.xai_metrics).substr(start, comma == std::string::npos ? std::string::npos
                                                                                                      : comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// A per-sequence value of one map (the per-position scores of one sequence and task).
using MapStatistic = std::function<double(std::span<const double>)>;

MapStatistic map_statistic(std::string_view metric) {
  if (metric == "sparseness") return gini_sparseness;
  if (metric == "entropy") return attribution_entropy;
  LB_CHECK(false, "xai_metrics: a catalogued metric without its computation");
  return {};
}

}  // namespace

std::vector<std::string> xai_metric_list(const EvalConfig& cfg) {
  const std::vector<std::string> names = named(cfg);
  std::vector<std::string> out;
  for (const std::string_view m : xai_catalogue())
    if (std::find(names.begin(), names.end(), m) != names.end()) out.emplace_back(m);
  return out;
}

void validate_xai_metrics(const EvalConfig& cfg) {
  const std::vector<std::string_view> known = xai_catalogue();
  for (const std::string& m : named(cfg))
    if (std::find(known.begin(), known.end(), m) == known.end()) {
      std::string list;
      for (const auto k : known) list += fmt::format("{}{}", list.empty() ? "" : ", ", k);
      throw ConfigError(fmt::format("eval.xai_metrics: unknown metric; expected comma-separated names of {}, got {}",
                                    list, quote_token(m)));
    }
  if (cfg.perturbation_reference != "background" && cfg.perturbation_reference != "dinuc_shuffle")
    throw ConfigError(fmt::format("eval.perturbation_reference: unknown value; expected background or dinuc_shuffle, got {}",
                                  quote_token(cfg.perturbation_reference)));
  if (cfg.perturbation_sequences < 0)
    throw ConfigError(fmt::format("eval.perturbation_sequences: too small; expected a value >= 0, got {}",
                                  cfg.perturbation_sequences));
  if (!(cfg.perturbation_fraction > 0 && cfg.perturbation_fraction <= 1))
    throw ConfigError(fmt::format("eval.perturbation_fraction: out of range; expected a value in (0, 1], got {}",
                                  cfg.perturbation_fraction));
  if (cfg.perturbation_steps < 1)
    throw ConfigError(
        fmt::format("eval.perturbation_steps: too small; expected a value >= 1, got {}", cfg.perturbation_steps));
  if (cfg.faithfulness_subsets < 2)
    throw ConfigError(
        fmt::format("eval.faithfulness_subsets: too small; expected a value >= 2, got {}", cfg.faithfulness_subsets));
  if (!(cfg.faithfulness_subset_fraction > 0 && cfg.faithfulness_subset_fraction <= 1))
    throw ConfigError(fmt::format("eval.faithfulness_subset_fraction: out of range; expected a value in (0, 1], got {}",
                                  cfg.faithfulness_subset_fraction));
}

double gini_sparseness(std::span<const double> a) {
  std::vector<double> v(a.size());
  std::transform(a.begin(), a.end(), v.begin(), [](double x) { return std::abs(x); });
  std::sort(v.begin(), v.end());
  const auto n = static_cast<double>(v.size());
  double sum = 0, weighted = 0;
  for (std::size_t k = 0; k < v.size(); ++k) {
    sum += v[k];
    weighted += (2.0 * static_cast<double>(k + 1) - n - 1.0) * v[k];
  }
  return sum > 0 ? weighted / (n * sum) : kNaN;
}

double attribution_entropy(std::span<const double> a) {
  double sum = 0;
  for (const double x : a) sum += std::abs(x);
  if (!(sum > 0)) return kNaN;
  double h = 0;
  for (const double x : a) {
    const double p = std::abs(x) / sum;
    if (p > 0) h -= p * std::log(p);
  }
  return h;
}

void xai_metrics(const sim::Dataset& ds, const ScoresInput& scores, const EvalConfig& cfg, const model::Network* net,
                 Evaluation& ev) {
  const std::vector<std::string> metrics = xai_metric_list(cfg);
  const std::size_t N = scores.seq.size(), T = static_cast<std::size_t>(scores.n_tasks),
                    L = static_cast<std::size_t>(scores.seq_len);
  const BootstrapConfig boot{cfg.bootstrap_resamples, cfg.bootstrap_seed, 0.95};
  std::vector<double> num(N), den(N);
  // One row per method and task of `metric`, from the per-sequence values value(ms, t, r).
  auto add_rows = [&](const std::string& metric,
                      const std::function<double(const MethodScores&, std::size_t, std::size_t)>& value) {
    for (const MethodScores& ms : scores.methods)
      for (std::size_t t = 0; t < T; ++t) {
        for (std::size_t r = 0; r < N; ++r) {
          const double v = value(ms, t, r);
          const bool defined = std::isfinite(v);
          num[r] = defined ? v : 0.0;
          den[r] = defined ? 1.0 : 0.0;
        }
        MetricRow row{.method = ms.name, .reference = ms.reference, .task = static_cast<int>(t), .motif = "-",
                      .metric = metric, .tier = "all", .value = kNaN, .n = 0};
        for (const double d : den) row.n += static_cast<long>(d);
        if (N > 0) {
          const Interval iv = bootstrap_ratio(RatioData{num, den}, boot);
          row.value = iv.estimate, row.ci_lo = iv.lo, row.ci_hi = iv.hi;
        }
        ev.rows.push_back(std::move(row));
      }
  };
  auto map_of = [&](const MethodScores& ms, std::size_t t, std::size_t r) {
    return std::span<const double>(ms.per_base.data() + (r * T + t) * L, L);
  };
  for (const std::string& metric : metrics)
    if (metric_info(metric).family == Family::Complexity) {
      const MapStatistic stat = map_statistic(metric);
      add_rows(metric, [&](const MethodScores& ms, std::size_t t, std::size_t r) { return stat(map_of(ms, t, r)); });
    }
  if (net) faithfulness_metrics(ds, scores, cfg, *net, ev);
  // Randomisation: the map of task t against that of the next task, (t + 1) mod T.
  for (const std::string& metric : metrics)
    if (metric == "random_target_spearman" && T >= 2)
      add_rows(metric, [&](const MethodScores& ms, std::size_t t, std::size_t r) {
        return spearman(map_of(ms, t, r), map_of(ms, (t + 1) % T, r));
      });
}

}  // namespace lb::eval
