// The flags train, predict, attribute and sanity share: --split, --threads, the model stem.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sim/dataset.h"

namespace lb::cli {

/// The --split flag: train, valid or test, or all (empty); ConfigError naming --split otherwise.
std::optional<sim::Split> parse_split_flag(const std::string& name);

/// Parses --threads (0 = all cores) and applies it; ConfigError naming --threads otherwise.
void apply_threads(const std::string& value);

/// `model.npz` -> `model` (the stem beside which train writes its other outputs).
std::string output_stem(const std::string& model_path);

}  // namespace lb::cli
