// The config sections: one function per area mapping its struct's fields to `section.key`
// options. Every command registers every section (one INI file serves all commands) and shows
// the ones it uses.
#pragma once

#include "attribution/methods.h"
#include "cli/options.h"
#include "pipeline/config.h"

namespace lb::cli {

/// The default motif file: the project's copy under configs/motifs/.
std::string default_motifs_file();

void add_sim_options(OptionSet& opts, sim::SimConfig& cfg);
void add_model_options(OptionSet& opts, model::ModelConfig& cfg);
void add_train_options(OptionSet& opts, model::TrainConfig& cfg);
void add_attribution_options(OptionSet& opts, attr::AttributionConfig& cfg);
void add_eval_options(OptionSet& opts, eval::EvalConfig& cfg);
void add_sanity_options(OptionSet& opts, eval::SanityConfig& cfg);

/// Every section of a run's configuration (pipeline/config.h), registered on every command.
using pipeline::RunConfig;
void add_all_options(OptionSet& opts, RunConfig& cfg);

}  // namespace lb::cli
