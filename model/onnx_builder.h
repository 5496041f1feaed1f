// What a layer sees of the ONNX exporter: it appends its own nodes, initializers and constants to
// the graph through this interface, so each layer type owns its ONNX form in its own file
// (Layer::export_onnx), and only model/onnx_export.cpp sees the ONNX protobuf classes.
//
// Tensors are named by strings. The exporter keeps a current tensor: before a layer's
// export_onnx it is the layer's (first) input, and every node() makes its output the current
// one, so a chain of nodes reads naturally; after export_onnx the current tensor is the layer's
// output (a layer that adds no node, such as Dropout at inference, passes its input through).
// Each tensor also has an ONNX rank: 2 for (N, C), 3 for (N, C, L), 4 for (N, C, H, W).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/layer.h"

namespace lb::model {

/// A node attribute: an int, a list of ints or a float.
struct OnnxAttr {
  enum class Type { Int, Ints, Float };
  std::string name;
  Type type = Type::Int;
  std::vector<std::int64_t> ints;  // Int: one value
  double real = 0;

  static OnnxAttr i(std::string name, std::int64_t v) { return {std::move(name), Type::Int, {v}, 0}; }
  static OnnxAttr list(std::string name, std::vector<std::int64_t> v) { return {std::move(name), Type::Ints, std::move(v), 0}; }
  static OnnxAttr f(std::string name, double v) { return {std::move(name), Type::Float, {}, v}; }
};

class OnnxBuilder {
 public:
  virtual ~OnnxBuilder() = default;

  /// The layer being exported: its name, per-sample input shape, and its inputs' tensors and
  /// ranks (one for most layers; every input of a Merge layer, in order).
  virtual const Layer& layer() const = 0;
  virtual Shape input_shape() const = 0;
  virtual std::vector<std::string> inputs() const = 0;
  virtual std::vector<int> input_ranks() const = 0;

  /// The current tensor and its rank.
  virtual const std::string& current() const = 0;
  virtual int rank() const = 0;
  /// Sets the rank of the current tensor (a node that removes or adds axes).
  virtual void set_rank(int rank) = 0;

  /// Adds a node of ONNX operator `op` reading `inputs` and writing `output`, which becomes the
  /// current tensor.
  virtual void node(std::string_view op, std::string name, std::vector<std::string> inputs, std::string output,
                    std::vector<OnnxAttr> attrs = {}) = 0;
  /// The layer's parameters and then its buffers as float initializers "<layer>.<suffix>" in
  /// PyTorch's layout; returns their names in that order.
  virtual std::vector<std::string> initializers() = 0;
  /// A Constant node holding a float scalar, or an int64 vector; returns its output's name
  /// (the current tensor is unchanged).
  virtual std::string constant(const std::string& name, float value) = 0;
  virtual std::string constant(const std::string& name, std::vector<std::int64_t> values) = 0;
  /// Flattens the current tensor to (N, F) when it still has spatial axes (a Linear after a
  /// length-1 convolution).
  virtual void flatten_if_needed(const std::string& name) = 0;

  /// Makes tensor `tensor` a graph output named `name` with per-sample dims `dims` (a Heads
  /// layer's heads); the exporter then adds no output of its own.
  virtual void graph_output(const std::string& tensor, const std::string& name, std::vector<int> dims) = 0;
  /// Per-sample shapes of the layer's inputs (every input of a Merge layer).
  virtual std::vector<Shape> input_shapes() const = 0;

  /// Throws the exporter's InputError for a layer with no ONNX form, naming the file and the layer.
  [[noreturn]] virtual void unsupported() const = 0;

  /// "<layer>/output": the name of the layer's last node's output.
  std::string output_name() const { return layer().name() + "/output"; }
};

/// A global pool over every spatial axis (`reduce_op` ReduceMean or ReduceMax, keepdims 0):
/// the Identity on a tensor that is already (N, C).
inline void export_global_pool(OnnxBuilder& b, std::string_view reduce_op) {
  const std::string name = b.layer().name();
  if (b.rank() == 2) {
    b.node("Identity", name, {b.current()}, b.output_name());  // already one value per channel
    return;
  }
  b.node(reduce_op, name, {b.current()}, b.output_name(),
         {b.rank() == 4 ? OnnxAttr::list("axes", {2, 3}) : OnnxAttr::list("axes", {2}), OnnxAttr::i("keepdims", 0)});
  b.set_rank(2);
}

}  // namespace lb::model
