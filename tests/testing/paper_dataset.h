// Hand-made datasets in the paper's shape for eval tests: fills in what the simulator would
// (tasks, classes, motif keys, counts, labels and roles) from the sites and the classes given.
#pragma once

#include <string>

#include "sim/dataset.h"
#include "sim/scenario.h"

namespace lb::testing {

/// ds.ids, seqs, seq_len, splits, sites (motif = gata_name or tal_name) and classes (indices of
/// empty, gata_only, tal_only, both) set by the caller; the rest as the paper scenario defines it.
inline void finish_paper_dataset(sim::Dataset& ds, const std::string& gata_name, const std::string& tal_name) {
  ds.tasks = {{"task0", sim::TaskKind::Binary, "gata & tal"},
              {"task1", sim::TaskKind::Binary, "gata"},
              {"task2", sim::TaskKind::Binary, "tal"}};
  ds.class_names = {"empty", "gata_only", "tal_only", "both"};
  ds.motif_keys = {"gata", "tal"};
  const std::size_t n = ds.ids.size();
  ds.counts.assign(n * 2, 0);
  ds.labels.assign(n * 3, 0.0f);
  ds.roles.assign(ds.sites.size() * 3, sim::Role::Irrelevant);
  for (auto& s : ds.sites) {
    s.key = s.motif == gata_name ? 0 : s.motif == tal_name ? 1 : -1;
    ++ds.counts[static_cast<std::size_t>(s.seq) * 2 + static_cast<std::size_t>(s.key)];
  }
  const std::vector<std::string> keys{"gata", "tal"};
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<sim::Instance> inst;
    std::vector<std::size_t> where;
    for (std::size_t k = 0; k < ds.sites.size(); ++k)
      if (ds.sites[k].seq == static_cast<int>(i)) {
        inst.push_back({ds.sites[k].key, ds.sites[k].start, ds.sites[k].end, ds.sites[k].strand});
        where.push_back(k);
      }
    for (std::size_t t = 0; t < 3; ++t) {
      std::vector<sim::Role> roles;
      const bool label = sim::evaluate_task(sim::parse_expression(ds.tasks[t].definition, keys, "test"), inst, &roles);
      ds.labels[i * 3 + t] = label ? 1.0f : 0.0f;
      for (std::size_t j = 0; j < where.size(); ++j) ds.roles[where[j] * 3 + t] = roles[j];
    }
  }
}

}  // namespace lb::testing
