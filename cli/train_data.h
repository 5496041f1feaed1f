// The flags train, predict, attribute and sanity share: --split, --threads, the model stem, and
// --fasta (sequences of a FASTA file for a model on one-hot DNA).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "model/network.h"
#include "sim/dataset.h"

namespace lb::cli {

/// The --split flag: train, valid or test, or all (empty); ConfigError naming --split otherwise.
std::optional<sim::Split> parse_split_flag(const std::string& name);

/// Parses --threads (0 = all cores) and applies it; ConfigError naming --threads otherwise.
void apply_threads(const std::string& value);

/// `model.npz` -> `model` (the stem beside which train writes its other outputs).
std::string output_stem(const std::string& model_path);

/// The records of a FASTA file, one-hot (4 x n*len), for the model of `model_path`, loaded here:
/// a self-describing model knows its input length, a weights-only one (with `cfg`) takes the
/// first record's. InputError naming the file (and line) for no records, a model whose input is
/// not one-hot DNA, a record of another length, or a base outside ACGTN.
struct FastaInput {
  model::Network net;
  std::vector<std::string> ids;
  Mat x;
  int n = 0, len = 0;
};
FastaInput read_fasta_input(const std::string& fasta, const std::string& model_path, const model::ModelConfig* cfg);

}  // namespace lb::cli
