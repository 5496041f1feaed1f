// model.npz (docs/cli.md): every parameter and buffer as `<layer>.weight`, `<layer>.bias`,
// `<layer>.running_mean`, ... in PyTorch layout and dtype float32 — exactly a PyTorch
// state_dict, so `model.load_state_dict({k: torch.from_numpy(v) for k, v in np.load(f).items()})`
// works as written — with Network::architecture() in the zip archive comment (after the line
// "liftbench-architecture 1"), which numpy ignores, so a file is self-describing. Files written
// before kept the architecture as a 0-d string array `architecture`; they still load. A
// weights-only .npz (numpy.savez of a state_dict) loads when the architecture comes from the
// config.
#pragma once

#include <string>

#include "model/network.h"

namespace lb::model {

/// Writes model.npz atomically (also any `extra` arrays, e.g. metrics, are not written here).
void save_model(const std::string& path, const Network& net);

/// True when the file carries its architecture (archive comment or `architecture` array), and
/// for ONNX files.
bool is_self_describing(const std::string& path);

/// Loads a model. An ONNX file (is_onnx_path: a name ending in .onnx) is imported
/// (model/onnx.h) and then checked against `cfg` and `input` like a self-describing model.npz.
/// With an architecture the network is rebuilt from it (and, when
/// `cfg` is given, must match it line by line; when `input` is given, its input shape must be
/// `input`); without, it is built from `cfg` for `input` (both required; no cfg is an InputError).
/// float64 arrays are accepted and rounded to float32.
/// Errors (InputError, naming the file and array): a missing or unexpected array, a wrong
/// shape "path: array 'conv1.weight': expected shape (50,4,11), got (50,11,4)", a non-float
/// dtype, non-finite values, a corrupt archive.
Network load_model(const std::string& path, const ModelConfig* cfg = nullptr, const Shape* input = nullptr);

}  // namespace lb::model
