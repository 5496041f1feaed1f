// A run's whole configuration: one struct per area, as the config sections [sim], [model],
// [train], [attribution], [eval] and [sanity] hold them (cli/sections.h maps them to options).
#pragma once

#include "attribution/methods.h"
#include "eval/evaluate.h"
#include "eval/sanity.h"
#include "model/network.h"
#include "model/trainer.h"
#include "sim/simulator.h"

namespace lb::pipeline {

/// Every section of a run's configuration.
struct RunConfig {
  sim::SimConfig sim;
  model::ModelConfig model;
  model::TrainConfig train;
  attr::AttributionConfig attribution;
  eval::EvalConfig eval;
  eval::SanityConfig sanity;
};

/// Checks the whole configuration as `liftbench run` and every grid point of a sweep need it:
/// each area's validate(), then that every method of eval.discover_methods is attributed.
/// ConfigError naming the key ("eval.discover_methods: 'ism' is not attributed; expected methods
/// of attribution.methods, got 'ism'").
void validate(const RunConfig& run);

}  // namespace lb::pipeline
