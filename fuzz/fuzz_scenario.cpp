// Scenario files (sim/scenario.h read_scenario): the input as <scratch>/scenarios/in.scenario,
// beside which ../motifs/tal1_gata1.meme is the project's motif file (as for the shipped
// scenarios). A scenario that reads is checked against 200 bp sequences and, when it fits,
// simulates 24 of them.
#include <filesystem>

#include "core/error.h"
#include "harness.h"
#include "sim/scenario.h"
#include "sim/simulator.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool ready = [] {
    namespace fs = std::filesystem;
    const fs::path dir = lb::fuzz::scratch_dir();
    fs::create_directories(dir / "scenarios");
    fs::create_directories(dir / "motifs");
    fs::copy_file(fs::path(LB_SOURCE_DIR) / "configs/motifs/tal1_gata1.meme", dir / "motifs/tal1_gata1.meme",
                  fs::copy_options::overwrite_existing);
    return true;
  }();
  (void)ready;
  const std::string path = lb::fuzz::write_temp("scenarios/in.scenario", lb::fuzz::as_text(data, size));
  lb::fuzz::run([&] {
    const lb::sim::Scenario s = lb::sim::read_scenario(path);
    for (const auto& t : s.tasks) lb::sim::describe_task(t, s.keys);
    lb::sim::check_scenario_fits(s, 200);
    lb::sim::SimConfig cfg;
    cfg.n_seqs = 24;
    cfg.seq_len = 200;
    cfg.scenario = path;
    lb::sim::simulate_scenario(cfg, s);
  });
  return 0;
}
