// `liftbench simulate`: simulate the dataset (or convert a simdna file) into a dataset directory.
#include <fmt/format.h>

#include <array>
#include <chrono>

#include "cli/commands.h"
#include "cli/paths.h"
#include "cli/sections.h"
#include "core/error.h"
#include "core/log.h"
#include "io/atomic_file.h"
#include "io/meme.h"
#include "io/simdata.h"
#include "sim/dataset.h"
#include "sim/simulator.h"

namespace lb::cli {

int cmd_simulate(int argc, const char* const* argv) {
  RunConfig run;  // every section is accepted, so one INI file serves every command
  sim::SimConfig& cfg = run.sim;
  std::string out, simdata;
  bool quiet = false;
  OptionSet opts("simulate");
  opts.add_flag("out,o", &out, "output dataset directory (created if missing)", "DIR");
  opts.add_flag("simdata", &simdata, "convert this simdna .simdata(.gz) file instead of simulating", "FILE");
  opts.add_switch("quiet,q", &quiet, "no information lines on stderr");
  add_all_options(opts, run);
  opts.show_sections({"sim"});
  if (!opts.parse(argc, argv)) {
    fmt::print("{}", opts.help());
    return 0;
  }
  set_log_quiet(quiet);
  if (out.empty()) throw ConfigError("--out: missing output directory; expected -o DIR, got nothing");
  sim::validate(cfg);
  // The dataset's files (written or, for the old layout, removed) must not be the inputs.
  refuse_output_over_input(dataset_files("--out", out), {{"--simdata", simdata}, {"sim.motifs", cfg.motifs_file}});

  const auto [gata, tal] = sim::load_motifs(cfg);

  const auto t0 = std::chrono::steady_clock::now();
  sim::Dataset data;
  if (!simdata.empty()) {
    log_info("simulate", "converting {}", simdata);
    data = sim::dataset_from_simdata(io::read_simdata(simdata), simdata, cfg, gata, tal);
  } else {
    Progress progress("simulate", "sequences", cfg.n_seqs);
    data = sim::simulate(cfg, gata, tal, [&](int done) { progress.update(done); });
    progress.finish();
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::array<int, 4> per_class{};
  for (auto c : data.classes) ++per_class[static_cast<int>(c)];
  log_info("simulate", "{} sequences of length {} in {:.3f} s: {} empty, {} gata_only, {} tal_only, {} both; {} motif instances",
           data.size(), data.seq_len, secs, per_class[0], per_class[1], per_class[2], per_class[3],
           data.sites.size());

  io::ensure_output_dir(out);
  sim::write_dataset_dir(out, data, opts.resolved_ini());
  log_info("simulate", "wrote {}/{{sequences.fa,.fai,labels.tsv,motifs.bed,config.ini}}", out);
  return 0;
}

}  // namespace lb::cli
