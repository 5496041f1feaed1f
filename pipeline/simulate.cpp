// The simulate step (`liftbench simulate`, pipeline/steps.h): simulate the dataset (or convert a
// simdna file) into a dataset directory.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>
#include <chrono>

#include "core/error.h"
#include "core/log.h"
#include "io/atomic_file.h"
#include "io/meme.h"
#include "io/simdata.h"
#include "pipeline/config.h"
#include "pipeline/paths.h"
#include "pipeline/steps.h"
#include "sim/dataset.h"
#include "sim/scenario.h"
#include "sim/simulator.h"

namespace lb::pipeline {

void simulate_step(const SimulateJob& job) {
  const sim::SimConfig& cfg = job.run.sim;
  const std::string& out = job.out;
  const std::string& simdata = job.simdata;
  if (out.empty()) throw ConfigError("--out: missing output directory; expected -o DIR, got nothing");
  sim::validate(cfg);
  // The dataset's files (written or, for the old layout, removed) must not be the inputs.
  refuse_output_over_input(dataset_files("--out", out),
                           {{"--simdata", simdata}, {"sim.motifs", cfg.motifs_file}, {"sim.scenario", cfg.scenario}});

  if (!simdata.empty() && !cfg.scenario.empty())
    throw ConfigError(fmt::format("--simdata: a simdna file holds the paper's scenario; expected no sim.scenario with "
                                  "--simdata, got {}",
                                  quote_token(cfg.scenario)));

  const auto t0 = std::chrono::steady_clock::now();
  sim::Dataset data;
  std::string scenario_text;
  if (!cfg.scenario.empty()) {
    const sim::Scenario scenario = sim::read_scenario(cfg.scenario);
    scenario_text = io::read_file(cfg.scenario);
    log_info("simulate", "scenario {} ({}): {} motifs, {} classes, {} tasks", scenario.name, cfg.scenario,
             scenario.keys.size(), scenario.classes.size(), scenario.tasks.size());
    Progress progress("simulate", "sequences", cfg.n_seqs);
    data = sim::simulate_scenario(cfg, scenario, [&](int done) { progress.update(done); });
    progress.finish();
  } else {
    const auto [gata, tal] = sim::load_motifs(cfg);
    if (!simdata.empty()) {
      log_info("simulate", "converting {}", simdata);
      data = sim::dataset_from_simdata(io::read_simdata(simdata), simdata, cfg, gata, tal);
    } else {
      Progress progress("simulate", "sequences", cfg.n_seqs);
      data = sim::simulate(cfg, gata, tal, [&](int done) { progress.update(done); });
      progress.finish();
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::vector<int> per_class(data.class_names.size(), 0);
  for (int c : data.classes) ++per_class[static_cast<std::size_t>(c)];
  std::vector<std::string> parts;
  for (std::size_t c = 0; c < per_class.size(); ++c) parts.push_back(fmt::format("{} {}", per_class[c], data.class_names[c]));
  log_info("simulate", "{} sequences of length {} in {:.3f} s: {}; {} motif instances", data.size(), data.seq_len,
           secs, fmt::join(parts, ", "), data.sites.size());

  io::ensure_output_dir(out);
  sim::write_dataset_dir(out, data, job.config_ini, scenario_text);
  log_info("simulate", "wrote {}/{{sequences.fa,.fai,labels.tsv,motifs.bed,roles.tsv,tasks.tsv,{}config.ini}}", out,
           scenario_text.empty() ? "" : "scenario.ini,");
}

}  // namespace lb::pipeline
