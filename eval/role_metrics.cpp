// The role metrics of liftbench evaluate (docs/cli.md, role_metrics.tsv): every planted instance
// scored by its role for each task (docs/scenarios.md), with bootstrap intervals over sequences and
// the paired differences between methods.
#include <algorithm>
#include <array>
#include <cmath>
#include <unordered_map>

#include "eval/bootstrap.h"
#include "eval/evaluate.h"
#include "eval/metric_catalogue.h"

namespace lb::eval {

namespace {

// The role metrics in the catalogue's order (the order of their rows), and where each is.
constexpr auto kRoleMetrics = family_names<Family::Role>();
constexpr std::size_t kDriverFn = family_index(Family::Role, "driver_fn_rate"),
                      kIrrelevantFp = family_index(Family::Role, "irrelevant_fp_rate"),
                      kContextPos = family_index(Family::Role, "context_pos_rate"),
                      kRepressorNeg = family_index(Family::Role, "repressor_neg_rate"),
                      kGss = family_index(Family::Role, "gss");
static_assert(kRoleMetrics.size() == 5, "every role metric of the catalogue needs its counts in role_counts");

// Per-sequence numerators and denominators of every role metric of one method and task.
struct RoleCounts {
  std::array<std::vector<double>, kRoleMetrics.size()> num, den;
};

RoleCounts role_counts(const sim::Dataset& ds, const ScoresInput& scores, const MethodScores& ms, int task,
                       const std::vector<std::vector<std::size_t>>& sites_of_row) {
  const std::size_t N = scores.seq.size(), T = static_cast<std::size_t>(ds.n_tasks());
  const auto L = static_cast<std::size_t>(scores.seq_len);
  RoleCounts c;
  for (auto& v : c.num) v.assign(N, 0.0);
  for (auto& v : c.den) v.assign(N, 0.0);
  for (std::size_t r = 0; r < N; ++r) {
    const double* pb = ms.per_base.data() + (r * T + static_cast<std::size_t>(task)) * L;
    double min_driver = HUGE_VAL, max_context = -HUGE_VAL;
    bool ok = true, any = false;
    for (const std::size_t k : sites_of_row[r]) {
      const sim::MotifSite& site = ds.sites[k];
      double s = 0;
      for (auto l = site.start; l < site.end; ++l) s += pb[static_cast<std::size_t>(l)];
      switch (ds.role(k, task)) {
        case sim::Role::Driver:
          c.den[kDriverFn][r] += 1, c.num[kDriverFn][r] += s <= 0;
          min_driver = std::min(min_driver, s);
          ok &= s > 0, any = true;
          break;
        case sim::Role::Irrelevant: c.den[kIrrelevantFp][r] += 1, c.num[kIrrelevantFp][r] += s > 0; break;
        case sim::Role::Context:
          c.den[kContextPos][r] += 1, c.num[kContextPos][r] += s > 0;
          max_context = std::max(max_context, s);
          break;
        case sim::Role::Repressor:
          c.den[kRepressorNeg][r] += 1, c.num[kRepressorNeg][r] += s < 0;
          ok &= s < 0, any = true;
          break;
      }
    }
    if (!any) continue;
    if (min_driver < HUGE_VAL && max_context >= min_driver) ok = false;
    c.den[kGss][r] = 1, c.num[kGss][r] = ok ? 1 : 0;
  }
  return c;
}

}  // namespace

void role_metrics(const sim::Dataset& ds, const ScoresInput& scores, const EvalConfig& cfg, Evaluation& ev) {
  const BootstrapConfig bc{cfg.bootstrap_resamples, cfg.bootstrap_seed, 0.95};
  const std::size_t N = scores.seq.size();
  std::unordered_map<int, std::size_t> row_of;
  for (std::size_t r = 0; r < N; ++r) row_of.emplace(scores.seq[r], r);
  std::vector<std::vector<std::size_t>> sites_of_row(N);
  for (std::size_t k = 0; k < ds.sites.size(); ++k)
    if (const auto it = row_of.find(ds.sites[k].seq); it != row_of.end()) sites_of_row[it->second].push_back(k);
  const std::size_t M = scores.methods.size();
  for (int task = 0; task < ds.n_tasks(); ++task) {
    std::vector<RoleCounts> counts;
    for (const MethodScores& ms : scores.methods) counts.push_back(role_counts(ds, scores, ms, task, sites_of_row));
    for (std::size_t k = 0; k < kRoleMetrics.size(); ++k) {
      double total = 0;
      for (double d : counts[0].den[k]) total += d;
      if (total == 0) continue;  // no instance of that role for this task
      for (std::size_t m = 0; m < M; ++m) {
        const Interval iv = bootstrap_ratio({counts[m].num[k], counts[m].den[k]}, bc);
        ev.role_rows.push_back({scores.methods[m].name, scores.methods[m].reference, task, std::string(kRoleMetrics[k]),
                                iv.estimate, iv.lo, iv.hi, total});
      }
      for (std::size_t a = 0; a < M; ++a)
        for (std::size_t b = a + 1; b < M; ++b) {
          const PairedInterval p = paired_bootstrap_ratio({counts[a].num[k], counts[a].den[k]},
                                                          {counts[b].num[k], counts[b].den[k]}, bc);
          ev.diffs.push_back({task, std::string(kRoleMetrics[k]), scores.methods[a].name, scores.methods[b].name,
                              p.diff.estimate, p.diff.lo, p.diff.hi, p.p_value, p.excludes_zero});
        }
    }
  }
}

}  // namespace lb::eval
