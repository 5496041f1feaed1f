// The ranking of the report's tables: methods ordered by a metric in its direction, ranks with
// ties shared, and tiers from the paired differences between methods (method_differences.tsv).
#include <algorithm>
#include <cmath>
#include <map>

#include "eval/report_parts.h"

namespace lb::eval::report {

Better better_direction(std::string_view metric) {
  const MetricInfo* m = find_metric(metric);
  return m ? m->better : Better::NotRanked;
}

std::vector<RankedRow> rank_methods(const std::vector<RoleMetric>& rows, const std::vector<MethodDiff>& diffs,
                                    Better better) {
  std::vector<RankedRow> out;
  for (const auto& r : rows) out.push_back({r.method, r.value, r.lo, r.hi, r.n});
  if (rows.empty()) return out;
  const std::string& task = rows.front().task;
  const std::string& metric = rows.front().metric;
  std::map<std::pair<std::string, std::string>, const MethodDiff*> pair;
  for (const auto& d : diffs)
    if (d.task == task && d.metric == metric) {
      pair[{d.a, d.b}] = &d;
      pair[{d.b, d.a}] = &d;
    }
  auto find = [&](const RankedRow& a, const RankedRow& b) -> const MethodDiff* {
    const auto it = pair.find({a.method, b.method});
    return it == pair.end() ? nullptr : it->second;
  };
  if (better != Better::NotRanked) {
    std::stable_sort(out.begin(), out.end(), [&](const RankedRow& a, const RankedRow& b) {
      const bool fa = std::isfinite(a.value), fb = std::isfinite(b.value);
      if (fa != fb) return fa;
      if (!fa) return false;
      return better == Better::Lower ? a.value < b.value : a.value > b.value;
    });
    // Ranks: equal values share the better rank (1, 2, 2, 4).
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (!std::isfinite(out[i].value)) continue;
      out[i].rank = i > 0 && out[i].value == out[i - 1].value ? out[i - 1].rank : static_cast<int>(i) + 1;
    }
    // Tiers: the best unassigned method leads a tier that takes every unassigned method not
    // shown to differ from it.
    int tier = 0;
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (!std::isfinite(out[i].value) || out[i].tier) continue;
      out[i].tier = ++tier;
      for (std::size_t j = i + 1; j < out.size(); ++j) {
        if (!std::isfinite(out[j].value) || out[j].tier) continue;
        const MethodDiff* d = find(out[i], out[j]);
        if (!d || !d->real) out[j].tier = tier;
      }
    }
  }
  for (std::size_t i = 1; i < out.size(); ++i) {
    const MethodDiff* d = find(out[i - 1], out[i]);
    out[i].vs_above = !d ? RankedRow::Vs::Unknown : d->real ? RankedRow::Vs::Real : RankedRow::Vs::NotReal;
    out[i].p_above = d ? d->p_value : 0;
  }
  return out;
}

}  // namespace lb::eval::report
