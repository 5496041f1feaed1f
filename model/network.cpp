// Network: layer-spec parsing, the architecture text and its parser, shapes, init, clone,
// forward and backward through the layer list. Losses are in model/loss.cpp.
#include "model/network.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "core/error.h"
#include "core/text.h"
#include "model/layers.h"
#include "model/registry.h"

namespace lb::model {

namespace {

constexpr std::string_view kNameForm = "[A-Za-z0-9_] segments joined by dots (conv1, body.0)";

}  // namespace

bool is_layer_name(std::string_view s) {
  if (s.empty() || s.size() > 200) return false;
  bool segment_start = true;
  for (const char ch : s) {
    if (ch == '.') {
      if (segment_start) return false;
      segment_start = true;
      continue;
    }
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_')) return false;
    segment_start = false;
  }
  return !segment_start;
}

namespace {

// ---- The layer spec of ModelConfig::layers -------------------------------------------------

struct LayerSpec {
  std::string token;  // as written, for messages
  std::string name;
  std::string rest;   // "kind(args)" without the name and the '@input'
  const LayerType* type = nullptr;
  std::vector<std::string> inputs;  // named inputs ('@name', or a merge's arguments); empty: the layer before
};

// The name by which a layer refers to the network input.
constexpr std::string_view kInputName = "input";
bool is_input_ref(std::string_view s) { return s == kInputName || is_layer_name(s); }

ConfigError spec_error(std::string_view what, std::string_view expected, std::string_view got) {
  return ConfigError(fmt::format("model.layers: {}; expected {}, got {}", what, expected, got));
}

// The token's name, kind and type; arguments are checked by the type (parse_args).
LayerSpec parse_token(std::string_view token) {
  LayerSpec spec;
  spec.token = std::string(token);
  std::string_view rest = token;
  const auto eq = token.find('='), paren = token.find('(');
  if (eq != std::string_view::npos && (paren == std::string_view::npos || eq < paren)) {
    spec.name = std::string(token.substr(0, eq));
    if (!is_layer_name(spec.name))
      throw spec_error(fmt::format("bad layer name in {}", quote_token(token)), kNameForm,
                       quote_token(spec.name));
    rest = token.substr(eq + 1);
  }
  const auto at = rest.rfind('@');
  if (at != std::string_view::npos) {
    const std::string_view from = rest.substr(at + 1);
    if (!is_input_ref(from))
      throw spec_error(fmt::format("bad input after '@' in {}", quote_token(token)),
                       "an earlier layer's name or input", quote_token(from));
    spec.inputs.emplace_back(from);
    rest = rest.substr(0, at);
  }
  spec.rest = std::string(rest);
  const std::string_view kind = rest.substr(0, rest.find('('));
  spec.type = find_config_type(kind);
  if (!spec.type)
    throw spec_error(fmt::format("unknown layer kind {} in {}", quote_token(kind), quote_token(token)),
                     fmt::format("one of {}", config_type_names()), quote_token(kind));
  if (spec.type->merge && at != std::string_view::npos)
    throw spec_error(fmt::format("'@' on a merge in {}", quote_token(token)),
                     fmt::format("the inputs as arguments, {}", spec.type->config_form), quote_token(token));
  return spec;
}

// The arguments of a token, checked by its type for input shape `in`.
LayerArgs spec_args(const LayerSpec& spec) {
  // Views into spec.token, which outlives args.
  const auto begin = spec.token.size() - spec.rest.size() - (spec.inputs.empty() || spec.type->merge ? 0 : spec.inputs[0].size() + 1);
  LayerArgs args = LayerArgs::parse(std::string_view(spec.token).substr(begin, spec.rest.size()), false);
  args.set_form(spec.type->config_form);
  return args;
}

LayerDecl parse_args(const LayerSpec& spec, const Shape& in) { return spec.type->from_config(spec_args(spec), in); }

std::vector<LayerSpec> parse_spec(std::string_view text) {
  // Tokens: separated by spaces, tabs, newlines or commas at parenthesis depth 0.
  std::vector<std::string_view> tokens;
  int depth = 0;
  std::size_t start = 0;
  auto flush = [&](std::size_t end) {
    if (end > start) tokens.push_back(text.substr(start, end - start));
    start = end + 1;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (ch == '(') ++depth;
    if (ch == ')' && --depth < 0) {
      const auto begin = text.rfind(' ', i) == std::string_view::npos ? 0 : text.rfind(' ', i) + 1;
      throw spec_error("unbalanced parentheses", "'(' and ')' in pairs", quote_token(text.substr(begin, i + 1 - begin)));
    }
    if (depth == 0 && (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == ',')) flush(i);
  }
  if (depth != 0) throw spec_error("unbalanced parentheses", "'(' and ')' in pairs", quote_token(text.substr(start)));
  flush(text.size());
  if (tokens.empty()) throw spec_error("no layers", "at least one layer", quote_token(text));

  std::vector<LayerSpec> specs;
  for (auto t : tokens) {
    specs.push_back(parse_token(t));
    LayerSpec& s = specs.back();
    parse_args(s, Shape{1, 1, 1});  // the arguments alone (the shapes come when building)
    if (s.type->merge) {
      const LayerArgs args = spec_args(s);
      for (std::size_t k = 0; k < args.positional(); ++k) {
        const std::string_view from = args.positional_text(k);
        if (!is_input_ref(from))
          throw spec_error(fmt::format("bad input in {}", quote_token(s.token)), "an earlier layer's name or input",
                           quote_token(from));
        s.inputs.emplace_back(from);
      }
    }
  }
  // Unnamed layers: <kind><k>, k counting layers of that kind from 1 (named ones included).
  std::vector<std::pair<std::string_view, int>> counts;
  std::set<std::string> seen;
  for (auto& s : specs) {
    const std::string_view kind = s.type->config_name;
    auto it = std::find_if(counts.begin(), counts.end(), [&](auto& c) { return c.first == kind; });
    if (it == counts.end()) it = counts.insert(counts.end(), {kind, 0});
    const int k = ++it->second;
    if (s.name.empty()) s.name = fmt::format("{}{}", kind, k);
    if (s.name == kInputName)
      throw spec_error(fmt::format("reserved layer name in {}", quote_token(s.token)),
                       "another name ('input' means the network input)", quote_token(s.name));
    if (!seen.insert(s.name).second)
      throw spec_error(fmt::format("duplicate layer name {}", quote_token(s.name)), "unique names",
                       fmt::format("{} twice (in {})", quote_token(s.name), quote_token(s.token)));
  }
  return specs;
}

LayerPtr build_layer(const LayerSpec& s, const Shape& in) {
  const LayerDecl decl = parse_args(s, in);
  check_param_sizes(s.name, decl.params);
  return decl.build(s.name);
}

OutputKind parse_output(std::string_view s, bool& ok) {
  OutputKind k = OutputKind::Sigmoid;
  ok = parse_output_kind(s, k);
  return k;
}

// "4x200", "1x28x28", "50" -> Shape; false when malformed.
bool parse_shape(std::string_view s, Shape& out) {
  std::vector<std::string_view> parts;
  split_top(s, 'x', parts);
  std::vector<int> v;
  for (auto p : parts) {
    int x = 0;
    if (!parse_positive(p, x)) return false;
    v.push_back(x);
  }
  if (v.size() == 1) out = Shape{v[0], 1, 1};
  else if (v.size() == 2) out = Shape{v[0], 1, v[1]};
  else if (v.size() == 3) out = Shape{v[0], v[1], v[2]};
  else return false;
  return true;
}

}  // namespace

const char* output_name(OutputKind k) {
  switch (k) {
    case OutputKind::Sigmoid: return "sigmoid";
    case OutputKind::Softmax: return "softmax";
    case OutputKind::Linear: return "linear";
  }
  return "?";
}

bool parse_output_kind(std::string_view name, OutputKind& out) {
  for (const OutputKind k : {OutputKind::Sigmoid, OutputKind::Softmax, OutputKind::Linear})
    if (name == output_name(k)) {
      out = k;
      return true;
    }
  return false;
}

void validate(const ModelConfig& cfg) {
  parse_spec(cfg.layers);
  bool ok = false;
  parse_output(cfg.output, ok);
  if (!ok)
    throw ConfigError(fmt::format("model.output: unknown output; expected sigmoid, softmax or linear, got {}",
                                  quote_token(cfg.output)));
  InitScheme scheme;
  if (!parse_init_scheme(cfg.init, scheme))
    throw ConfigError(fmt::format("model.init: unknown scheme; expected pytorch, glorot_uniform or he_uniform, got {}",
                                  quote_token(cfg.init)));
}

// ---- Network ------------------------------------------------------------------------------

Network::Network(Shape input, std::vector<LayerPtr> layers, OutputKind output, std::vector<std::vector<int>> inputs)
    : input_(input), layers_(std::move(layers)), inputs_(std::move(inputs)), output_(output) {
  LB_CHECK(input_.c > 0 && input_.h > 0 && input_.w > 0, "network input shape {}x{}x{}", input_.c, input_.h, input_.w);
  LB_CHECK(!layers_.empty(), "a network needs at least one layer");
  const std::size_t nl = layers_.size();
  if (inputs_.empty())
    for (std::size_t i = 0; i < nl; ++i) inputs_.push_back({static_cast<int>(i)});
  LB_CHECK(inputs_.size() == nl, "{} input lists for {} layers", inputs_.size(), nl);
  shapes_.push_back(input_);
  param_offset_.push_back(0);
  consumers_.resize(nl + 1);
  for (std::size_t i = 0; i < nl; ++i) {
    const Layer& l = *layers_[i];
    const auto& in = inputs_[i];
    const bool merge = l.attr_role() == AttrRole::Merge;
    LB_CHECK(merge ? in.size() >= 2 : in.size() == 1, "layer '{}' ({}) has {} inputs", l.name(), l.describe(),
             in.size());
    std::vector<Shape> ins;
    for (const int a : in) {
      LB_CHECK(a >= 0 && a <= static_cast<int>(i), "layer {} ('{}') reads activation {}", i, l.name(), a);
      ins.push_back(shapes_[static_cast<std::size_t>(a)]);
      if (consumers_[static_cast<std::size_t>(a)].empty() || consumers_[static_cast<std::size_t>(a)].back() != static_cast<int>(i))
        consumers_[static_cast<std::size_t>(a)].push_back(static_cast<int>(i));
    }
    chain_ = chain_ && in.size() == 1 && in[0] == static_cast<int>(i);
    shapes_.push_back(merge ? static_cast<const Merge&>(l).merge_shape(ins) : l.output_shape(ins[0]));
    in_shapes_.push_back(std::move(ins));
    param_offset_.push_back(param_offset_.back() + static_cast<int>(layers_[i]->params().size()));
  }
  for (std::size_t i = 0; i + 1 < nl; ++i)
    if (consumers_[i + 1].empty())
      throw layer_error(layers_[i]->name(), "its output is never used",
                        "every layer but the last to feed a later layer", "no layer reads it");
  const Shape& out = shapes_.back();
  if (out.h != 1 || out.w != 1)
    throw layer_error(layers_.back()->name(), "the network must end in a flat output",
                      "a (T) output after gap, flatten or dense", out.str());
  for (std::size_t i = 0; i + 1 < nl; ++i)
    if (layers_[i]->attr_role() == AttrRole::Merge && !static_cast<const Merge&>(*layers_[i]).head_names().empty())
      throw layer_error(layers_[i]->name(), "heads before the last layer", "heads(...) as the network's last layer",
                        fmt::format("layer {} of {}", i + 1, nl));
  const Layer& last = *layers_.back();
  const auto names = last.attr_role() == AttrRole::Merge ? static_cast<const Merge&>(last).head_names()
                                                         : std::span<const std::string>{};
  if (names.empty()) {
    heads_.push_back({last.name(), out, 0});
  } else {
    if (output_ != OutputKind::Linear)
      throw ConfigError(fmt::format("model.output: a network with heads has linear outputs; expected linear, got {}",
                                    output_name(output_)));
    int offset = 0;
    for (std::size_t k = 0; k < names.size(); ++k) {
      const Shape& s = in_shapes_.back()[k];
      heads_.push_back({names[k], s, offset});
      offset += s.size();
    }
  }
}

std::string heads_str(const Network& net) {
  std::string out;
  for (const Head& h : net.heads()) out += fmt::format("{}{} ({})", out.empty() ? "" : ", ", h.name, h.shape.str());
  return out;
}

const Head* Network::find_head(std::string_view name) const {
  for (const Head& h : heads_)
    if (h.name == name) return &h;
  return nullptr;
}

Network Network::from_config(const ModelConfig& cfg, Shape input) {
  validate(cfg);
  bool ok = false;
  const OutputKind out = parse_output(cfg.output, ok);
  std::vector<LayerPtr> layers;
  std::vector<std::vector<int>> inputs;
  std::vector<Shape> shapes{input};  // per activation
  std::vector<std::pair<std::string, int>> act_of{{std::string(kInputName), 0}};  // name -> activation
  for (const auto& s : parse_spec(cfg.layers)) {
    std::vector<int> in;
    for (const auto& from : s.inputs) {
      const auto it = std::find_if(act_of.begin(), act_of.end(), [&](const auto& p) { return p.first == from; });
      if (it == act_of.end()) {
        std::string earlier;
        for (const auto& p : act_of) earlier += (earlier.empty() ? "" : ", ") + p.first;
        throw spec_error(fmt::format("unknown input {} in {}", quote_token(from), quote_token(s.token)),
                         fmt::format("an earlier layer or input ({})", earlier), quote_token(from));
      }
      in.push_back(it->second);
    }
    if (in.empty()) in.push_back(static_cast<int>(layers.size()));
    std::vector<Shape> ins;
    for (const int a : in) ins.push_back(shapes[static_cast<std::size_t>(a)]);
    layers.push_back(build_layer(s, ins[0]));
    const Layer& l = *layers.back();
    shapes.push_back(l.attr_role() == AttrRole::Merge ? static_cast<const Merge&>(l).merge_shape(ins)
                                                       : l.output_shape(ins[0]));
    act_of.emplace_back(s.name, static_cast<int>(layers.size()));
    inputs.push_back(std::move(in));
  }
  return Network(input, std::move(layers), out, std::move(inputs));
}

std::string Network::architecture() const {
  std::string text = fmt::format("input {}\noutput {}\n", input_.str(), output_name(output_));
  // A layer that does not read the one before it lists its inputs: "add1 Add() <- relu2, conv1".
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    text += fmt::format("{} {}", layers_[i]->name(), layers_[i]->describe());
    const auto& in = inputs_[i];
    if (in.size() != 1 || in[0] != static_cast<int>(i)) {
      text += " <-";
      for (std::size_t k = 0; k < in.size(); ++k)
        text += fmt::format("{} {}", k ? "," : "",
                            in[k] == 0 ? std::string(kInputName) : layers_[static_cast<std::size_t>(in[k] - 1)]->name());
    }
    text += '\n';
  }
  return text;
}

namespace {

// One architecture line's description, parsed and size-checked but not built.
LayerDecl parse_decl(std::string_view name, std::string_view description) {
  LayerArgs args = LayerArgs::parse(description, true);
  const LayerType* type = find_arch_type(args.kind());
  if (!type)
    throw InputError(fmt::format("unknown layer {}; expected one of {}, got {}", quote_token(args.kind()),
                                 arch_type_names(), quote_token(args.kind())));
  args.set_form(type->arch_form);
  LayerDecl d = type->from_architecture(args);
  check_param_sizes(name, d.params);
  return d;
}

// Builds a parsed declaration; only the canonical spelling is accepted, so that
// text -> network -> text is the identity.
LayerPtr build_decl(std::string name, const LayerDecl& d, std::string_view description) {
  LayerPtr layer = d.build(std::move(name));
  if (layer->describe() != description)
    throw InputError(fmt::format("non-canonical layer description; expected {}, got {}",
                                 quote_token(layer->describe(), 80), quote_token(description, 80)));
  return layer;
}

}  // namespace

LayerPtr parse_layer(std::string name, std::string_view description) {
  const LayerDecl d = parse_decl(name, description);
  return build_decl(std::move(name), d, description);
}

Network Network::from_architecture(std::string_view text, std::string_view where_, const ParamCheck& check) {
  std::vector<std::string_view> lines;
  split_top(text, '\n', lines);  // parentheses cannot span lines in valid text; a stray one fails below
  if (!lines.empty() && lines.back().empty()) lines.pop_back();  // final newline
  auto fail = [&](std::size_t line, std::string_view what, std::string_view expected, std::string_view got) {
    return input_error(where_, static_cast<long>(line), what, expected, got);
  };
  auto line_at = [&](std::size_t i) {
    std::string_view l = lines[i];
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    return l;
  };
  Shape input;
  if (lines.empty() || !line_at(0).starts_with("input "))
    throw fail(1, "bad first line", "'input <shape>'", quote_token(lines.empty() ? "" : line_at(0)));
  if (!parse_shape(line_at(0).substr(6), input))
    throw fail(1, "bad input shape", "C, CxL or CxHxW with positive integers", quote_token(line_at(0).substr(6)));
  if (!input.size_fits_int())  // digits and 'x' only: safe to show unquoted
    throw fail(1, "input shape too large", fmt::format("at most {} values per sample", INT32_MAX), line_at(0).substr(6));
  bool ok = false;
  OutputKind out = OutputKind::Sigmoid;
  if (lines.size() > 1 && line_at(1).starts_with("output ")) out = parse_output(line_at(1).substr(7), ok);
  if (!ok) throw fail(2, "bad output line", "'output sigmoid', 'output softmax' or 'output linear'", quote_token(lines.size() > 1 ? line_at(1) : ""));
  if (lines.size() < 3) throw fail(3, "no layers", "at least one '<name> <Layer>(...)' line", "none");

  // Errors of one line's layer, "model.layers: layer 'x': ..." or InputError, as this file and line.
  const auto at_line = [&](std::size_t line, const auto& fn) {
    try {
      return fn();
    } catch (const ConfigError& e) {
      std::string_view msg = e.what();
      if (msg.starts_with("model.layers: ")) msg.remove_prefix(14);
      throw InputError(fmt::format("{}{}", where(where_, static_cast<long>(line)), msg));
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}{}", where(where_, static_cast<long>(line)), e.what()));
    }
  };
  std::vector<LayerPtr> layers;
  std::vector<std::vector<int>> inputs;
  std::map<std::string, int, std::less<>> act_of{{std::string(kInputName), 0}};  // name -> activation
  std::vector<Shape> shapes{input};
  for (std::size_t i = 2; i < lines.size(); ++i) {
    const std::string_view l = line_at(i);
    const auto sp = l.find(' ');
    if (sp == std::string_view::npos)
      throw fail(i + 1, "bad layer line", "'<name> <Layer>(<arguments>)[ <- <input>, ...]'", quote_token(l, 80));
    const std::string name(l.substr(0, sp));
    std::string_view description = l.substr(sp + 1);
    if (!is_layer_name(name) || name == kInputName) throw fail(i + 1, "bad layer name", kNameForm, quote_token(name));
    // " <- a, b": the activations this layer reads, when not the one before it.
    std::vector<int> in;
    if (const auto arrow = description.find(" <- "); arrow != std::string_view::npos) {
      std::vector<std::string_view> froms;
      split_top(description.substr(arrow + 4), ',', froms);
      for (auto from : froms) {
        from = trim(from);
        const auto it = act_of.find(from);
        if (it == act_of.end())
          throw fail(i + 1, "unknown input", "an earlier layer or input", quote_token(from));
        in.push_back(it->second);
      }
      description = description.substr(0, arrow);
    } else {
      in.push_back(static_cast<int>(layers.size()));
    }
    if (act_of.count(name))
      throw fail(i + 1, "duplicate layer name", "unique names", fmt::format("{} twice", quote_token(name)));
    // Parse and size-check, let the caller check the declared parameters, and only then build.
    const LayerDecl decl = at_line(i + 1, [&] { return parse_decl(name, description); });
    if (check)
      for (const auto& p : decl.params) check(name + "." + p.suffix, p.torch_shape, name, description);
    at_line(i + 1, [&] {
      layers.push_back(build_decl(name, decl, description));
      const Layer& built = *layers.back();
      const bool merge = built.attr_role() == AttrRole::Merge;
      if (merge ? in.size() < 2 : in.size() != 1)
        throw InputError(fmt::format("wrong number of inputs; expected {}, got {}", merge ? "two or more" : "one",
                                     in.size()));
      std::vector<Shape> ins;
      for (const int a : in) ins.push_back(shapes[static_cast<std::size_t>(a)]);
      shapes.push_back(merge ? static_cast<const Merge&>(built).merge_shape(ins) : built.output_shape(ins[0]));
    });
    act_of.emplace(name, static_cast<int>(layers.size()));
    inputs.push_back(std::move(in));
  }
  try {
    return Network(input, std::move(layers), out, std::move(inputs));
  } catch (const ConfigError& e) {  // the only ones left: a non-flat last output, an unused layer
    std::string_view msg = e.what();
    if (msg.starts_with("model.layers: ")) msg.remove_prefix(14);
    throw InputError(fmt::format("{}{}", where(where_, static_cast<long>(lines.size())), msg));
  }
}

void Network::forward(const Mat& x, int n, Trace& t, const ForwardMode& mode) const {
  LB_CHECK(x.rows() == input_.c && x.cols() == Eigen::Index{n} * input_.spatial(),
           "network input is {}x{}, expected {}x{} ({} samples of {})", x.rows(), x.cols(), input_.c,
           Eigen::Index{n} * input_.spatial(), n, input_.str());
  const std::size_t nl = layers_.size();
  t.n = n;
  t.shapes = shapes_;
  t.acts.resize(nl + 1);
  t.aux.resize(nl);
  t.acts[0] = x;
  std::vector<const Mat*> xs;
  for (std::size_t i = 0; i < nl; ++i) {
    const auto& in = inputs_[i];
    if (layers_[i]->attr_role() == AttrRole::Merge) {
      xs.clear();
      for (const int a : in) xs.push_back(&t.acts[static_cast<std::size_t>(a)]);
      static_cast<const Merge&>(*layers_[i]).merge_forward(xs, in_shapes_[i], n, t.acts[i + 1]);
      continue;
    }
    const auto a = static_cast<std::size_t>(in[0]);
    layers_[i]->forward(t.acts[a], shapes_[a], n, t.acts[i + 1], t.aux[i], mode);
  }
}

void Network::backward(const Trace& t, const Mat& d_logits, std::vector<Mat>& grads, Mat* d_input) const {
  const int nl = n_layers();
  LB_CHECK(t.n > 0 && static_cast<int>(t.acts.size()) == nl + 1, "backward of an empty or foreign trace");
  LB_CHECK(d_logits.rows() == t.acts.back().rows() && d_logits.cols() == t.acts.back().cols(),
           "d_logits is {}x{}, expected {}x{}", d_logits.rows(), d_logits.cols(), t.acts.back().rows(),
           t.acts.back().cols());
  LB_CHECK(static_cast<int>(grads.size()) == param_offset_.back(), "{} gradient slots, expected {}", grads.size(),
           param_offset_.back());
  // need[a]: activation a's gradient is wanted: it is the input and d_input is asked for, or a
  // layer at or below it has parameters. Without d_input nothing below the lowest parameterised
  // layers runs (for the genomics net, conv1's dx: ~4% of the work).
  std::vector<char> need(static_cast<std::size_t>(nl) + 1, 0);
  need[0] = d_input != nullptr;
  for (int i = 0; i < nl; ++i) {
    const auto ui = static_cast<std::size_t>(i);
    bool any = param_offset_[ui + 1] > param_offset_[ui];
    for (const int a : inputs_[ui]) any = any || need[static_cast<std::size_t>(a)];
    need[ui + 1] = any;
  }
  // d[a]: dL/d activation a, summed over the layers that read it (have[a]: set). Buffers are
  // recycled through `spare`, so a chain alternates two as it always did.
  std::vector<Mat> d(static_cast<std::size_t>(nl) + 1), spare;
  std::vector<char> have(d.size(), 0);
  const auto take = [&]() {
    Mat m;
    if (!spare.empty()) {
      m.swap(spare.back());
      spare.pop_back();
    }
    return m;
  };
  const auto deposit = [&](int a, Mat& g) {
    const auto ua = static_cast<std::size_t>(a);
    if (!have[ua]) {
      d[ua].swap(g);
      have[ua] = 1;
    } else {
      d[ua] += g;
    }
    spare.push_back(std::move(g));
  };
  std::vector<Mat> dxs;
  std::vector<Mat*> dx_ptrs;
  for (int i = nl - 1; i >= 0; --i) {
    const auto ui = static_cast<std::size_t>(i);
    const Mat* dy = i == nl - 1 ? &d_logits : (have[ui + 1] ? &d[ui + 1] : nullptr);
    if (!dy || !need[ui + 1]) continue;
    const auto& in = inputs_[ui];
    if (layers_[ui]->attr_role() == AttrRole::Merge) {
      dxs.resize(in.size());
      dx_ptrs.assign(in.size(), nullptr);
      for (std::size_t k = 0; k < in.size(); ++k)
        if (need[static_cast<std::size_t>(in[k])]) dxs[k] = take(), dx_ptrs[k] = &dxs[k];
      static_cast<const Merge&>(*layers_[ui]).merge_backward(*dy, in_shapes_[ui], t.n, dx_ptrs);
      for (std::size_t k = 0; k < in.size(); ++k)
        if (dx_ptrs[k]) deposit(in[k], dxs[k]);
    } else {
      const auto a = static_cast<std::size_t>(in[0]);
      Mat dx = need[a] ? take() : Mat();
      const auto off = static_cast<std::size_t>(param_offset_[ui]);
      const auto cnt = static_cast<std::size_t>(param_offset_[ui + 1] - param_offset_[ui]);
      layers_[ui]->backward(t.acts[a], t.acts[ui + 1], t.aux[ui], *dy, shapes_[a], t.n, need[a] ? &dx : nullptr,
                            std::span<Mat>(grads.data() + off, cnt));
      if (need[a]) deposit(in[0], dx);
    }
    if (i < nl - 1) {  // this activation's gradient is used up
      spare.push_back(std::move(d[ui + 1]));
      have[ui + 1] = 0;
    }
  }
  if (d_input) {
    LB_CHECK(have[0], "backward: no gradient reached the input");
    d_input->swap(d[0]);
  }
}

std::vector<Network::NamedParam> Network::params() {
  std::vector<NamedParam> out;
  for (int li = 0; li < n_layers(); ++li) {
    auto ps = layers_[static_cast<std::size_t>(li)]->params();
    for (int pi = 0; pi < static_cast<int>(ps.size()); ++pi) {
      auto& p = ps[static_cast<std::size_t>(pi)];
      out.push_back({fmt::format("{}.{}", layer(li).name(), p.name), p.value, p.torch_shape, li, pi});
    }
  }
  return out;
}

std::vector<Network::NamedParam> Network::state() {
  std::vector<NamedParam> out = params();
  for (int li = 0; li < n_layers(); ++li) {
    Layer& l = *layers_[static_cast<std::size_t>(li)];
    const int first = static_cast<int>(l.params().size());
    auto bs = l.buffers();
    for (int bi = 0; bi < static_cast<int>(bs.size()); ++bi) {
      auto& b = bs[static_cast<std::size_t>(bi)];
      out.push_back({fmt::format("{}.{}", l.name(), b.name), b.value, b.torch_shape, li, first + bi});
    }
  }
  return out;
}

bool Network::couples_batch() const {
  return std::any_of(layers_.begin(), layers_.end(), [](const LayerPtr& l) { return l->couples_batch(); });
}

void Network::update_state(const Trace& t) {
  LB_CHECK(t.aux.size() == layers_.size(), "update_state with a trace of {} layers, network has {}", t.aux.size(),
           layers_.size());
  for (std::size_t i = 0; i < layers_.size(); ++i) layers_[i]->update_state(t.aux[i]);
}

std::vector<Mat> Network::zero_grads() const {
  std::vector<Mat> g;
  for (const auto& l : layers_)
    for (const auto& p : l->params()) g.push_back(Mat::Zero(p.value->rows(), p.value->cols()));
  return g;
}

bool parse_init_scheme(std::string_view name, InitScheme& out) {
  if (name == "pytorch") out = InitScheme::PyTorch;
  else if (name == "glorot_uniform") out = InitScheme::GlorotUniform;
  else if (name == "he_uniform") out = InitScheme::HeUniform;
  else return false;
  return true;
}

void Network::init(std::uint64_t seed, InitScheme scheme) {
  Rng rng(seed);
  if (scheme == InitScheme::PyTorch) {
    for (auto& l : layers_) l->init(rng);
    return;
  }
  // Fans from the PyTorch weight shape (out, in, k...): fan_in = in*prod(k), fan_out = out*prod(k),
  // as Keras and torch.nn.init compute them. Biases start at zero in both schemes.
  for (auto& l : layers_) {
    const auto ps = l->params();
    for (std::size_t i = 0; i < ps.size(); ++i) {
      const auto& shape = ps[i].torch_shape;
      // A 1-D weight is a per-channel scale (batch norm): 1, as every framework starts it.
      const float fill = ps[i].name == "weight" && shape.size() == 1 ? 1.0f : 0.0f;
      std::vector<float> v(static_cast<std::size_t>(ps[i].value->size()), fill);
      if (ps[i].name == "weight" && shape.size() >= 2) {
        double receptive = 1;
        for (std::size_t d = 2; d < shape.size(); ++d) receptive *= static_cast<double>(shape[d]);
        const double fan_in = static_cast<double>(shape[1]) * receptive;
        const double fan_out = static_cast<double>(shape[0]) * receptive;
        const double bound = scheme == InitScheme::GlorotUniform ? std::sqrt(6.0 / (fan_in + fan_out))
                                                                 : std::sqrt(6.0 / fan_in);
        for (auto& x : v) x = uniform_pm(rng, bound);
      }
      l->import_param(static_cast<int>(i), v);
    }
  }
}

Network Network::clone() const {
  Network copy = from_architecture(architecture(), "clone");
  auto src = const_cast<Network*>(this)->state();  // read only
  auto dst = copy.state();
  for (std::size_t i = 0; i < src.size(); ++i) *dst[i].value = *src[i].value;
  return copy;
}

}  // namespace lb::model
