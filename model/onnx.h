// ONNX in and out (docs/cli.md, "liftbench import" and "liftbench export"), through the ONNX
// protobuf schema (Debian's libonnx-dev): a model exported by torch.onnx.export (opsets 11-17)
// becomes a liftbench Network, and a Network becomes an ONNX model (opset 13, IR version 7).
//
// Import maps the graph node by node onto liftbench layers (the table is onnx_supported_ops()):
// each Conv, BatchNormalization, Gemm or MatMul(+Add) becomes the layer of the same computation,
// named after its weight initializer ("body.0.weight" -> layer "body.0"), so the imported
// model.npz is the PyTorch state_dict; parameter-free layers get generated names (relu1, ...).
// Shape arithmetic on constants (Shape, Gather, Concat, Reshape, Slice, ... as torch emits it for
// x.view(x.size(0), -1) or F.pad) is evaluated at import, with the batch size kept symbolic.
// Patterns that are one layer in liftbench are folded: torch's GELU decomposition (Div, Erf,
// Add, Mul, Mul) is a GELU layer, a zero Pad on the last axis directly before a Conv is that
// convolution's padding, and a final Sigmoid / Softmax / LogSoftmax is the network's output kind
// (sigmoid / softmax; none: linear, the network's outputs are the graph's output).
#pragma once

#include <optional>
#include <string>

#include "model/network.h"

namespace lb::model {

/// True when `path` is read as ONNX: its name ends in ".onnx" (any case) and it does not start
/// like a zip archive (a .npz under that name stays a .npz).
bool is_onnx_path(const std::string& path);

/// Reads an ONNX model into a network with its parameters. `output` decides the output kind when
/// given (and strips a final Sigmoid for sigmoid, a final Softmax / LogSoftmax for softmax);
/// without it the final node decides (see above). Errors are one-line InputErrors naming the
/// file (and the node: "m.onnx: node 'fc' (Gemm): ..."): an unreadable or malformed protobuf, an
/// opset outside 11-17, an unsupported node (with the list of supported ops), attributes the
/// layer cannot represent, a missing initializer, a shape that cannot be resolved.
Network import_onnx(const std::string& path, std::optional<OutputKind> output = std::nullopt);
/// The same from a serialized ModelProto in memory (torch.onnx.export into a buffer); `name`
/// stands for the file in errors.
Network import_onnx_bytes(const std::string& bytes, const std::string& name,
                          std::optional<OutputKind> output = std::nullopt);

/// Writes `net` as an ONNX model atomically: opset 13, IR version 7, input "input" of shape
/// (N, C, L) (N, C, H, W for 2-D inputs, (N, C) for flat ones) with a symbolic batch N, output
/// "output" (N, T); a sigmoid (softmax) network ends in a Sigmoid (Softmax) node, so the graph
/// computes what `liftbench predict` reports. Initializers are the model.npz arrays, same names.
/// Dropout layers are left out (the identity at inference).
void export_onnx(const std::string& path, const Network& net);

/// "AveragePool, BatchNormalization, ...": the op types import_onnx reads, sorted.
std::string onnx_supported_ops();

}  // namespace lb::model
