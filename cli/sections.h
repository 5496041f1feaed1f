// The config sections: one function per area mapping its struct's fields to `section.key`
// options. Every command registers every section (one INI file serves all commands) and shows
// the ones it uses.
#pragma once

#include "cli/options.h"
#include "sim/simulator.h"

namespace lb::cli {

/// The default motif file: the project's copy under configs/motifs/.
std::string default_motifs_file();

void add_sim_options(OptionSet& opts, sim::SimConfig& cfg);

}  // namespace lb::cli
