// The network: named layers in a topological order, each reading the layer before it or named
// activations (residual Add, Concat of heads: a graph), built from the config's [model] section
// or a model file's architecture; a caller-owned Trace per forward pass, losses on logits, and
// gradients.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "model/layer.h"

namespace lb::model {

enum class OutputKind { Sigmoid, Softmax, Linear };  // what follows the logits (never part of attribution)

/// "sigmoid", "softmax" or "linear": the spelling of model.output and of a model file's output line.
const char* output_name(OutputKind k);
/// The inverse of output_name; false when `name` is none of the three.
bool parse_output_kind(std::string_view name, OutputKind& out);

/// Weight initialisation. PyTorch: its layers' defaults (weight and bias U(±1/sqrt(fan_in))).
/// GlorotUniform: Keras' default, the framework of the paper (weight U(±sqrt(6/(fan_in+fan_out))),
/// bias 0). HeUniform: weight U(±sqrt(6/fan_in)), bias 0. fan_in = in*kernel, fan_out = out*kernel.
enum class InitScheme { PyTorch, GlorotUniform, HeUniform };
/// "pytorch", "glorot_uniform", "he_uniform"; false when unknown.
bool parse_init_scheme(std::string_view name, InitScheme& out);

/// [model] section of the config.
struct ModelConfig {
  /// Layers as tokens separated by spaces or commas (commas inside parentheses belong to the
  /// layer): `[name=]kind(args)[@input]` (docs/cli.md lists the kinds). Unnamed layers are
  /// named <kind><k> (relu1, ...). Each layer reads the one before it, or the layer named after
  /// '@' (`input`: the network input); merges name their inputs, `add(a, b)`, `concat(a, b)`,
  /// so a model is a graph (residual connections, several heads concatenated). Every layer
  /// but the last must feed a later one; the last is the output. Input channels / features are
  /// inferred from the input shape.
  std::string layers =
      "conv1=conv1d(50,11) relu conv2=conv1d(50,11) relu gap fc1=dense(50) relu dropout(0.5) fc2=dense(3)";
  std::string output = "sigmoid";  // sigmoid (multi-task binary cross-entropy), softmax, or linear (mean squared error)
  std::string init = "pytorch";    // pytorch, glorot_uniform or he_uniform (see InitScheme)
  std::uint64_t init_seed = 1;     // seed of the initialisation
};

/// Throws ConfigError naming model.layers / model.output.
void validate(const ModelConfig& cfg);

/// Activations of one forward pass (the caller owns it; the network is const). Activation a is
/// the network input (a = 0) or the output of layer a - 1.
struct Trace {
  int n = 0;                  // samples
  std::vector<Shape> shapes;  // shapes[0] input, shapes[i+1] output of layer i
  std::vector<Mat> acts;      // acts[0] input, acts[i+1] output of layer i: (shapes[i].c x n*spatial)
  std::vector<Mat> aux;       // per layer (dropout masks)
};

/// A named output of the network: a slice of its logits with the shape it had before it was
/// flattened (PyTorch's flatten order): head units [offset, offset + shape.size()).
struct Head {
  std::string name;
  Shape shape;
  int offset = 0;
};

class Network {
 public:
  Network() = default;
  /// `inputs[i]`: the activations layer i reads (0 = the network input, k + 1 = the output of
  /// layer k; each <= i; two or more for a Merge layer, one otherwise). Empty: a chain, layer i
  /// reads activation i. ConfigError (layer_error) when shapes do not fit or a layer other than
  /// the last feeds nothing.
  Network(Shape input, std::vector<LayerPtr> layers, OutputKind output, std::vector<std::vector<int>> inputs = {});
  Network(Network&&) = default;
  Network& operator=(Network&&) = default;

  /// Builds the network of a ModelConfig for inputs of shape `input`; ConfigError naming
  /// model.layers on a bad token or a layer that does not fit its input.
  static Network from_config(const ModelConfig& cfg, Shape input);
  /// The self-describing architecture text (what model.npz stores), and back.
  std::string architecture() const;
  /// Called by from_architecture for every parameter a layer line declares — full name
  /// ("fc1.weight"), PyTorch shape, layer name, the line's description — before that layer is
  /// built, so that a caller can check the declaration against its data (load_model: the
  /// file's arrays) and no layer is allocated from a size nothing backs. What it throws passes
  /// through unchanged.
  using ParamCheck = std::function<void(const std::string& name, const std::vector<std::int64_t>& torch_shape,
                                        std::string_view layer, std::string_view description)>;
  static Network from_architecture(std::string_view text, std::string_view where, const ParamCheck& check = {});

  Shape input_shape() const { return input_; }
  Shape output_shape() const { return shapes_.back(); }
  int n_outputs() const { return output_shape().size(); }
  OutputKind output_kind() const { return output_; }
  /// The heads: one per input of a final Heads layer (model.layers' heads(a, b)), else one head
  /// named after the last layer, the whole output.
  const std::vector<Head>& heads() const { return heads_; }
  /// The head named `name`, or nullptr.
  const Head* find_head(std::string_view name) const;
  int n_layers() const { return static_cast<int>(layers_.size()); }
  const Layer& layer(int i) const { return *layers_[static_cast<std::size_t>(i)]; }
  Layer& layer(int i) { return *layers_[static_cast<std::size_t>(i)]; }
  /// Per-sample input shape of layer i, its first input (i == n_layers(): the output shape).
  Shape shape(int i) const {
    return i < n_layers() ? shapes_[static_cast<std::size_t>(inputs_[static_cast<std::size_t>(i)][0])] : shapes_.back();
  }
  /// Per-sample shape of activation a (0: the input, k + 1: the output of layer k).
  Shape act_shape(int a) const { return shapes_[static_cast<std::size_t>(a)]; }
  /// The activations layer i reads (see the constructor), and their shapes.
  const std::vector<int>& inputs(int i) const { return inputs_[static_cast<std::size_t>(i)]; }
  const std::vector<Shape>& input_shapes(int i) const { return in_shapes_[static_cast<std::size_t>(i)]; }
  /// The layers that read activation a, ascending (none for the output).
  const std::vector<int>& consumers(int a) const { return consumers_[static_cast<std::size_t>(a)]; }
  /// True when each layer reads the one before it (no merge, no skip).
  bool is_chain() const { return chain_; }

  /// Forward on n samples x (input.c x n*input.spatial()); fills t (resized as needed).
  void forward(const Mat& x, int n, Trace& t, const ForwardMode& mode = {}) const;
  /// The logits of a trace: (n_outputs x n).
  const Mat& logits(const Trace& t) const { return t.acts.back(); }
  /// Backward from d_logits = dL/dlogits (n_outputs x n): grads[j] += dL/d params()[j];
  /// d_input (optional) = dL/dx. Gradients that reach one activation from several layers are
  /// summed in the order of those layers, descending.
  void backward(const Trace& t, const Mat& d_logits, std::vector<Mat>& grads, Mat* d_input = nullptr) const;

  /// Every parameter, layer by layer, with its full PyTorch name ("conv1.weight").
  struct NamedParam {
    std::string name;
    Mat* value;
    std::vector<std::int64_t> torch_shape;
    int layer;
    int index;  // within the layer
  };
  std::vector<NamedParam> params();
  /// Everything a model file stores: params() then, layer by layer, the buffers (batch norm's
  /// running statistics; index continues after the layer's parameters).
  std::vector<NamedParam> state();
  /// True when some layer couples the samples of a training batch (Layer::couples_batch).
  bool couples_batch() const;
  /// After a training step: every layer's update_state with the aux of that step's trace.
  void update_state(const Trace& t);
  /// Zero gradients shaped like params().
  std::vector<Mat> zero_grads() const;
  /// Initialisation of every layer in order from Rng(seed): PyTorch's defaults, or another
  /// scheme drawn in PyTorch's element order (weight, then bias, layer by layer).
  void init(std::uint64_t seed, InitScheme scheme = InitScheme::PyTorch);
  /// Deep copy (parameters included).
  Network clone() const;

 private:
  Shape input_;
  std::vector<LayerPtr> layers_;
  std::vector<std::vector<int>> inputs_;      // per layer
  std::vector<std::vector<Shape>> in_shapes_;  // per layer: shapes of its inputs
  std::vector<std::vector<int>> consumers_;   // per activation
  bool chain_ = true;
  std::vector<Shape> shapes_;                 // per activation
  std::vector<int> param_offset_;  // layer i's parameters are params()[param_offset_[i], param_offset_[i+1])
  OutputKind output_ = OutputKind::Sigmoid;
  std::vector<Head> heads_;
};

/// "profile (2x1000), counts (1)": every head with its per-sample shape (Shape::str()).
std::string heads_str(const Network& net);

/// A layer name: PyTorch module path segments of [A-Za-z0-9_] joined by dots ("conv1", "body.0",
/// "tower.3.conv"), at most 200 bytes, so that a state_dict's keys are layer names plus ".weight".
bool is_layer_name(std::string_view s);

/// One layer of the architecture text back into a layer: `description` is what describe()
/// gives ("Conv1d(in=4, out=50, kernel=11, stride=1)"), in canonical spelling only. Throws
/// InputError (without a location; from_architecture adds "<where>:<line>: "), or ConfigError
/// "model.layers: layer '<name>': too many parameters; ..." when a parameter array would hold
/// more than 2^31-1 values.
LayerPtr parse_layer(std::string name, std::string_view description);

/// Mean binary cross-entropy on logits (n_outputs x n) against 0/1 targets of the same shape,
/// computed stably (max(z,0) - z*y + log1p(exp(-|z|))); d_logits = (sigmoid(z) - y) / (n*T).
double sigmoid_bce(const Mat& logits, const Mat& targets, Mat* d_logits);
/// Mean softmax cross-entropy on logits (K x n) against class indices; d_logits = (softmax - onehot)/n.
double softmax_ce(const Mat& logits, std::span<const int> classes, Mat* d_logits);
/// Mean squared error of logits (n_outputs x n) against real targets of the same shape:
/// mean over all n*T elements of (z - y)^2; d_logits = 2 (z - y) / (n*T).
double mean_squared_error(const Mat& logits, const Mat& targets, Mat* d_logits);

}  // namespace lb::model
