// Hand-made datasets in the paper's shape for eval tests: fills in what the simulator would
// (tasks, classes, motif keys, counts, labels and roles) from the sites and the classes given.
#pragma once

#include <string>
#include <vector>

#include "sim/dataset.h"
#include "sim/scenario.h"

namespace lb::testing {

/// What the simulator derives from the planted sites: ds.counts (per motif key), and for each
/// binary task its labels and every site's role, from ds.tasks' definitions over ds.motif_keys.
/// The caller sets the sites (with their keys), motif_keys and tasks.
inline void derive_truth(sim::Dataset& ds) {
  const std::size_t n = ds.ids.size(), T = ds.tasks.size(), K = ds.motif_keys.size();
  ds.counts.assign(n * K, 0);
  ds.labels.assign(n * T, 0.0f);
  ds.roles.assign(ds.sites.size() * T, sim::Role::Irrelevant);
  for (const auto& s : ds.sites) ++ds.counts[static_cast<std::size_t>(s.seq) * K + static_cast<std::size_t>(s.key)];
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<sim::Instance> inst;
    std::vector<std::size_t> where;
    for (std::size_t k = 0; k < ds.sites.size(); ++k)
      if (ds.sites[k].seq == static_cast<int>(i)) {
        inst.push_back({ds.sites[k].key, ds.sites[k].start, ds.sites[k].end, ds.sites[k].strand});
        where.push_back(k);
      }
    for (std::size_t t = 0; t < T; ++t) {
      std::vector<sim::Role> roles;
      const bool label =
          sim::evaluate_task(sim::parse_expression(ds.tasks[t].definition, ds.motif_keys, "test"), inst, &roles);
      ds.labels[i * T + t] = label ? 1.0f : 0.0f;
      for (std::size_t j = 0; j < where.size(); ++j) ds.roles[where[j] * T + t] = roles[j];
    }
  }
}

/// ds.ids, seqs, seq_len, splits, sites (motif = gata_name or tal_name) and classes (indices of
/// empty, gata_only, tal_only, both) set by the caller; the rest as the paper scenario defines it.
inline void finish_paper_dataset(sim::Dataset& ds, const std::string& gata_name, const std::string& tal_name) {
  ds.tasks = {{"task0", sim::TaskKind::Binary, "gata & tal"},
              {"task1", sim::TaskKind::Binary, "gata"},
              {"task2", sim::TaskKind::Binary, "tal"}};
  ds.class_names = {"empty", "gata_only", "tal_only", "both"};
  ds.motif_keys = {"gata", "tal"};
  for (auto& site : ds.sites) site.key = site.motif == gata_name ? 0 : site.motif == tal_name ? 1 : -1;
  derive_truth(ds);
}

}  // namespace lb::testing
