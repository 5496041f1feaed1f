// model.npz (docs/cli.md): every parameter as `<layer>.weight` / `<layer>.bias` in PyTorch layout
// and dtype float32, plus `architecture`, a 0-d string array with Network::architecture(), so a
// file is self-describing. A weights-only .npz (numpy.savez of a PyTorch state_dict with the
// same layer names) loads when the architecture comes from the config.
#pragma once

#include <string>

#include "model/network.h"

namespace lb::model {

/// Writes model.npz atomically (also any `extra` arrays, e.g. metrics, are not written here).
void save_model(const std::string& path, const Network& net);

/// Loads a model. With an `architecture` entry the network is rebuilt from it (and, when
/// `cfg` is given, must match it line by line; when `input` is given, its input shape must be
/// `input`); without, it is built from `cfg` for `input` (both required; no cfg is an InputError).
/// float64 arrays are accepted and rounded to float32.
/// Errors (InputError, naming the file and array): a missing or unexpected array, a wrong
/// shape "path: array 'conv1.weight': expected shape (50,4,11), got (50,11,4)", a non-float
/// dtype, non-finite values, a corrupt archive.
Network load_model(const std::string& path, const ModelConfig* cfg = nullptr, const Shape* input = nullptr);

}  // namespace lb::model
