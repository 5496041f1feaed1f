// What `train` and `predict` share: a dataset directory's splits as one-hot model inputs, and
// the --threads flag.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/trainer.h"
#include "sim/dataset.h"

namespace lb::cli {

/// The --split flag: train, valid or test, or all (empty); ConfigError naming --split otherwise.
std::optional<sim::Split> parse_split_flag(const std::string& name);

/// The sequences of one split (all when `split` is empty) as a (4 x n*L) one-hot batch with
/// (3 x n) 0/1 targets; `indices` are their positions in the dataset, in dataset order.
struct SplitInput {
  std::vector<int> indices;
  model::TrainData data;
};
SplitInput split_input(const sim::Dataset& ds, std::optional<sim::Split> split, const std::string& dir);

/// Parses --threads (0 = all cores) and applies it; ConfigError naming --threads otherwise.
void apply_threads(const std::string& value);

/// `model.npz` -> `model` (the stem beside which train writes its other outputs).
std::string output_stem(const std::string& model_path);

}  // namespace lb::cli
