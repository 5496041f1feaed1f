// The layer registry: one table of layer types, each with its config spelling ("conv1d(50,11)"
// in model.layers), its architecture spelling ("Conv1d(in=4, out=50, kernel=11, stride=1)" in a
// model file), how both are parsed and how the layer is built. Each layer's own source file
// registers its type with LB_REGISTER_LAYER; nothing else lists layer types (docs/developers.md,
// "Adding a layer").
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/layer.h"

namespace lb::model {

/// The arguments of one config token (`kind(1, 2, key=value)`: positional values, then
/// key=value pairs) or one architecture description (`Kind(key=value, ...)`: pairs only; tuple
/// values "(a,b)" keep their commas). Accessors throw the layer's own error on a bad value:
///   config:        ConfigError "model.layers: bad argument in '<token>'; expected ..., got ..."
///   architecture:  InputError "bad layer description; expected <architecture form>, got '<text>'"
class LayerArgs {
 public:
  /// Splits `text` ("kind(args)" or "kind") into the kind and its arguments; throws on text after
  /// ')' or unbalanced parentheses.
  static LayerArgs parse(std::string_view text, bool architecture);

  std::string_view kind() const { return kind_; }
  bool architecture() const { return architecture_; }
  /// The spelling shown in errors ("conv1d(out,kernel[,stride])"); set by the registry.
  void set_form(std::string_view form) { form_ = form; }

  std::size_t positional() const { return positional_.size(); }
  std::string_view positional_text(std::size_t i) const { return positional_[i]; }
  /// The number of positional arguments must be one of `counts` (config tokens); error
  /// "wrong number of arguments in '<token>'; expected <form>, got <k> argument(s)".
  void want_positional(std::initializer_list<std::size_t> counts) const;
  /// Only these keys may appear (any order); error naming the first other key.
  void only_keys(std::initializer_list<std::string_view> keys) const;
  bool has(std::string_view key) const;
  /// The raw value of `key` ("" when absent).
  std::string_view value(std::string_view key) const;

  int positive(std::size_t i) const;  // positional i: a whole positive int
  int positive(std::string_view key) const;  // required
  int positive(std::string_view key, int fallback) const;
  int non_negative(std::string_view key, int fallback) const;
  /// `key` as n positive ints: "(a,b)" or, when n == 1, "a".
  std::vector<int> positive_tuple(std::string_view key, std::size_t n) const;
  /// A dropout rate in [0, 1): positional i, or `key`.
  double rate(std::size_t i) const;
  double rate(std::string_view key) const;
  /// A finite number > 0: `key`, or `fallback` when absent.
  double positive_real(std::string_view key, double fallback) const;

  /// Throws this layer's error: config "<what> in '<token>'; expected <expected>, got <got>",
  /// architecture "bad layer description; expected <form>, got '<text>'".
  [[noreturn]] void fail(std::string_view what, std::string_view expected, std::string_view got) const;

 private:
  std::string_view text_, kind_, form_;
  bool architecture_ = false;
  std::vector<std::string_view> positional_;
  std::vector<std::pair<std::string_view, std::string_view>> keyed_;
};

/// A parameter a layer declares before it is built: PyTorch name suffix and shape.
struct ParamDecl {
  std::string suffix;  // "weight", "bias", "running_mean", ...
  std::vector<std::int64_t> torch_shape;
};

/// An architecture line parsed but not built: the parameters (and buffers) it declares, which
/// the model reader checks against its arrays before anything is allocated, and the builder.
struct LayerDecl {
  std::vector<ParamDecl> params;
  std::function<LayerPtr(std::string name)> build;
};

struct LayerType {
  std::string_view config_name;  // "conv1d": the kind in model.layers; empty when config cannot name it
  std::string_view arch_name;    // "Conv1d": the kind in a model file's architecture
  std::string_view config_form;  // "conv1d(out,kernel[,stride])": shown in config errors
  std::string_view arch_form;    // "Conv1d(in=<int>, ...)": shown in architecture errors
  /// Parses a config token for input shape `in` (nothing is allocated until build): ConfigError
  /// on bad arguments (through LayerArgs). Whether the layer fits its input is checked by its
  /// output_shape() once built.
  LayerDecl (*from_config)(const LayerArgs& args, const Shape& in) = nullptr;
  /// Parses an architecture description (InputError through LayerArgs).
  LayerDecl (*from_architecture)(const LayerArgs& args) = nullptr;
  /// A Merge layer (model/layer.h): its config token names its inputs as positional arguments
  /// (`add(res1, relu3)`), which the network builder resolves; from_config sees them too.
  bool merge = false;
};

/// Adds a type (at static initialisation: see LB_REGISTER_LAYER). Names must be unique.
bool register_layer_type(const LayerType& type);
/// The type with this config / architecture name, or nullptr.
const LayerType* find_config_type(std::string_view name);
const LayerType* find_arch_type(std::string_view name);
/// Every registered type, ordered by architecture name (the tests that cover every type loop
/// over it).
std::vector<const LayerType*> layer_types();
/// "conv1d, conv2d, ...": every config (or architecture) name, sorted, for error messages.
std::string config_type_names();
std::string arch_type_names();

/// Whole-string positive int (no sign, no spaces).
bool parse_positive(std::string_view s, int& out);
/// Splits at `sep` outside parentheses; false on unbalanced parentheses.
bool split_top(std::string_view s, char sep, std::vector<std::string_view>& parts);

/// ConfigError "model.layers: layer '<layer>': too many parameters; expected at most 2147483647
/// values per array, got (a,b,...)" when a declared array would not fit an int.
void check_param_sizes(std::string_view layer, const std::vector<ParamDecl>& params);

/// Builders of a layer type without arguments ("relu" / "ReLU()"), constructed from its name.
template <class L>
LayerDecl no_arg_from_config(const LayerArgs& args, const Shape& in) {
  (void)in;
  args.want_positional({0});
  args.only_keys({});
  return {{}, [](std::string name) -> LayerPtr { return std::make_unique<L>(std::move(name)); }};
}
template <class L>
LayerDecl no_arg_from_architecture(const LayerArgs& args) {
  args.only_keys({});
  return {{}, [](std::string name) -> LayerPtr { return std::make_unique<L>(std::move(name)); }};
}

}  // namespace lb::model

/// Registers a LayerType at static initialisation; one per layer type, in the layer's own file.
/// (The model library is linked whole, so an otherwise unreferenced file still registers.)
#define LB_REGISTER_LAYER(ident, ...) \
  static const bool lb_layer_registered_##ident = ::lb::model::register_layer_type(::lb::model::LayerType __VA_ARGS__)
