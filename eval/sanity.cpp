// The model-randomisation cascade and the rank correlations of original and randomised maps.
#include "eval/sanity.h"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "core/error.h"
#include "core/parallel.h"
#include "eval/metrics.h"

namespace lb::eval {

namespace {

// Salt of the re-initialisation seed ("sanity" in ASCII), so that sanity.seed = model.init_seed
// does not re-create the network training started from.
constexpr std::uint64_t kSalt = 0x73616e697479ULL;

// Per-position scores of one (task, sample) block: the sum over channels.
std::vector<double> position_scores(const Mat& m, Eigen::Index first_col, int spatial) {
  std::vector<double> s(static_cast<std::size_t>(spatial));
  for (int p = 0; p < spatial; ++p) {
    double v = 0;
    for (Eigen::Index c = 0; c < m.rows(); ++c) v += static_cast<double>(m(c, first_col + p));
    s[static_cast<std::size_t>(p)] = v;
  }
  return s;
}

// Spearman's rho, 1 for identical vectors (constant ones included).
double rho_or_identical(const std::vector<double>& a, const std::vector<double>& b) {
  if (a == b) return 1.0;
  return spearman(a, b);
}

std::vector<double> absolute(std::vector<double> v) {
  for (auto& x : v) x = std::fabs(x);
  return v;
}

}  // namespace

void validate(const SanityConfig& cfg) {
  if (!(cfg.threshold > 0 && cfg.threshold <= 1))
    throw ConfigError(fmt::format("sanity.threshold: out of range; expected a value in (0, 1], got {}", cfg.threshold));
}

std::vector<CascadeStep> randomisation_cascade(const model::Network& net, model::InitScheme scheme,
                                               std::uint64_t seed) {
  model::Network random = net.clone();
  random.init(seed ^ kSalt, scheme);
  auto random_params = random.params();
  // Parameterised layers in network order.
  std::vector<int> layers;
  for (const auto& p : random_params)
    if (layers.empty() || layers.back() != p.layer) layers.push_back(p.layer);
  if (layers.empty())
    throw InputError("sanity: the model has no layers with parameters; expected at least 1, got 0");
  const int k_layers = static_cast<int>(layers.size());
  std::vector<CascadeStep> steps;
  for (int k = 1; k <= k_layers; ++k) {
    const int lowest = layers[static_cast<std::size_t>(k_layers - k)];
    CascadeStep step{k, net.layer(lowest).name(), net.clone()};
    auto params = step.net.params();
    for (std::size_t j = 0; j < params.size(); ++j)
      if (params[j].layer >= lowest) *params[j].value = *random_params[j].value;
    steps.push_back(std::move(step));
  }
  return steps;
}

MapSimilarity compare_maps(const Mat& original, const Mat& randomised, int n, int n_tasks, int spatial) {
  const Eigen::Index cols = static_cast<Eigen::Index>(n) * n_tasks * spatial;
  LB_CHECK(original.rows() == randomised.rows() && original.cols() == cols && randomised.cols() == cols,
           "compare_maps: maps of {}x{} and {}x{}; expected C x {} (T={}, n={}, S={})", original.rows(),
           original.cols(), randomised.rows(), randomised.cols(), cols, n_tasks, n, spatial);
  const int items = n * n_tasks;
  std::vector<double> rho(static_cast<std::size_t>(items)), rho_abs(static_cast<std::size_t>(items));
  parallel_for(items, [&](int item) {
    const Eigen::Index first = static_cast<Eigen::Index>(item) * spatial;  // item = t*n + i
    const auto a = position_scores(original, first, spatial);
    const auto b = position_scores(randomised, first, spatial);
    rho[static_cast<std::size_t>(item)] = rho_or_identical(a, b);
    rho_abs[static_cast<std::size_t>(item)] = rho_or_identical(absolute(a), absolute(b));
  });
  MapSimilarity out;
  for (int t = 0; t < n_tasks; ++t) {
    double s = 0, s_abs = 0;
    int k = 0, k_abs = 0;
    for (int i = 0; i < n; ++i) {
      const auto j = static_cast<std::size_t>(t * n + i);
      if (std::isfinite(rho[j])) s += rho[j], ++k;
      if (std::isfinite(rho_abs[j])) s_abs += rho_abs[j], ++k_abs;
    }
    out.spearman.push_back(k > 0 ? s / k : kNaN);
    out.spearman_abs.push_back(k_abs > 0 ? s_abs / k_abs : kNaN);
    out.n.push_back(k);
    out.n_abs.push_back(k_abs);
  }
  return out;
}

MethodSanity sanity_check(const std::string& method, const MapFn& maps, const model::Network& net,
                          std::span<const CascadeStep> cascade, int n, std::span<const int> tasks,
                          const SanityConfig& cfg) {
  validate(cfg);
  LB_CHECK(!cascade.empty(), "sanity_check: empty cascade");
  const int n_tasks = static_cast<int>(tasks.size());
  const int spatial = net.input_shape().spatial();
  const Mat original = maps(net);
  MethodSanity out;
  out.method = method;
  for (const auto& step : cascade) {
    const MapSimilarity sim = compare_maps(original, maps(step.net), n, n_tasks, spatial);
    for (int t = 0; t < n_tasks; ++t) {
      const auto u = static_cast<std::size_t>(t);
      out.rows.push_back({method, step.step, step.layer, tasks[u], sim.spearman[u], sim.spearman_abs[u], sim.n[u]});
    }
  }
  // The last step randomises every layer.
  double s = 0;
  for (int t = 0; t < n_tasks; ++t) s += std::fabs(out.rows[out.rows.size() - static_cast<std::size_t>(n_tasks - t)].spearman);
  out.final_mean_abs_rho = n_tasks > 0 ? s / n_tasks : kNaN;
  out.passed = out.final_mean_abs_rho < cfg.threshold;
  return out;
}

std::string sanity_tsv(std::span<const MethodSanity> results) {
  std::string out = "method\tstep\tlayer\ttask\tspearman\tspearman_abs\tn\n";
  for (const auto& r : results)
    for (const auto& row : r.rows)
      out += fmt::format("{}\t{}\t{}\t{}\t{:.6g}\t{:.6g}\t{}\n", row.method, row.step, row.layer, row.task, row.spearman,
                         row.spearman_abs, row.n);
  return out;
}

}  // namespace lb::eval
