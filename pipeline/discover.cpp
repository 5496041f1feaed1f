// The discover step of `liftbench run` (pipeline/steps.h): every method of eval.discover_methods
// and every task, discovered, matched and scored into one directory.
#include <algorithm>

#include <fmt/format.h>

#include "core/error.h"
#include "core/log.h"
#include "io/atomic_file.h"
#include "io/manifest.h"
#include "io/motif_file.h"
#include "io/npz.h"
#include "io/tsv.h"
#include "pipeline/discover_run.h"
#include "pipeline/paths.h"
#include "pipeline/steps.h"
#include "sim/dataset.h"
#include "sim/scenario.h"

namespace lb::pipeline {

void discover_step(const DiscoverStepJob& job) {
  const RunConfig& run = job.run;
  const std::vector<std::string> methods = eval::discover_method_list(run.eval);
  if (methods.empty())
    throw ConfigError("eval.discover_methods: empty; expected the methods whose motifs are discovered, got nothing");
  refuse_output_over_input({{"--out", job.out + "/discovery.tsv"},
                            {"--out", job.out + "/discover.config.ini"},
                            {"--out", job.out + "/discover.manifest.tsv"}},
                           {{"--scores", job.scores_path}, {"--data", job.data_dir}});
  apply_threads(job.threads);
  // Both read once for every method and task (a job reads only its method's members).
  const sim::Dataset ds = sim::read_dataset_dir(job.data_dir);
  const io::NpzArchive scores = io::read_npz(job.scores_path);
  {
    // A method missing from the scores file is a mistake to name now, not a task that found nothing.
    const auto has = [&](const std::string& name) {
      return std::any_of(scores.begin(), scores.end(), [&](const auto& member) { return member.first == name; });
    };
    for (const auto& m : methods)
      for (const std::string& name : {m, m + ".hypothetical"})
        if (!has(name))
          throw InputError(fmt::format("{}missing array '{}'; expected the contributions and hypothetical "
                                       "contributions of every method of eval.discover_methods, got an archive "
                                       "without it",
                                       where(job.scores_path), name));
  }
  const std::string motif_path =
      run.sim.scenario.empty() ? run.sim.motifs_file : sim::read_scenario(run.sim.scenario).motifs_path;
  // Every input read once before any discovery, so that an InputError inside a task's discovery
  // is that task's shortfall (too few seqlets, no motif with the support), not a bad file.
  (void)io::read_motif_file(motif_path);
  io::ensure_output_dir(job.out);
  io::remove_stale_marker(job.out + "/discover.manifest.tsv");
  io::remove_stale_marker(job.out + "/discover.config.ini");
  DiscoveryRows rows;
  for (const auto& m : methods)
    for (int t = 0; t < ds.n_tasks(); ++t) {
      DiscoverJob one{.scores_path = job.scores_path, .method = m, .task = t, .seqlets = job.seqlets, .motifs = job.motifs,
                      .motif_file = motif_path, .data_dir = job.data_dir,
                      .out = fmt::format("{}/discover/{}/task{}", job.out, method_dir_name(m), t),
                      .scores = &scores, .data = &ds};
      DiscoveryRows r;
      try {
        r = run_discover(one);
      } catch (const InputError& e) {
        log_warn("discover", "{} task {}: {}; counted as nothing discovered", m, t, e.what());
        r = failed_discovery_rows(one);
      }
      rows.insert(rows.end(), r.begin(), r.end());
    }
  io::write_tsv(job.out + "/discovery.tsv", kDiscoveryHeader, rows);
  io::write_file_atomic(job.out + "/discover.config.ini", job.config_ini);
  io::write_manifest(job.out + "/discover.manifest.tsv",
                     std::vector<std::string>{"discovery.tsv", "discover.config.ini"});
}

}  // namespace lb::pipeline
