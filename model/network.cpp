// Network: layer-spec parsing, the architecture text and its parser, shapes, init, clone,
// forward and backward through the layer list. Losses are in model/loss.cpp.
#include "model/network.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <utility>

#include "core/error.h"
#include "core/text.h"
#include "model/layers.h"

namespace lb::model {

namespace {

constexpr std::string_view kKinds = "conv1d, conv2d, dense, relu, gap, flatten, dropout";
constexpr std::string_view kArchKinds = "Conv1d, Conv2d, Linear, ReLU, GlobalAvgPool, Flatten, Dropout";

bool is_identifier(std::string_view s) {
  auto alpha = [](char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_'; };
  if (s.empty() || !alpha(s[0])) return false;
  return std::all_of(s.begin() + 1, s.end(), [&](char ch) { return alpha(ch) || (ch >= '0' && ch <= '9'); });
}

// A whole-string positive int (no sign, no spaces).
bool parse_positive(std::string_view s, int& out) {
  if (s.empty() || s[0] == '+' || s[0] == '-') return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size() && out > 0;
}

// A whole-string dropout rate in [0, 1).
bool parse_rate(std::string_view s, double& out) {
  if (s.empty() || s[0] == '+') return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size() && out >= 0.0 && out < 1.0;
}

// Splits at `sep` outside parentheses; returns false on unbalanced parentheses.
bool split_top(std::string_view s, char sep, std::vector<std::string_view>& parts) {
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '(') ++depth;
    if (s[i] == ')' && --depth < 0) return false;
    if (s[i] == sep && depth == 0) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(s.substr(start));
  return depth == 0;
}

// ---- Parameter sizes -------------------------------------------------------------------------

using TorchShape = std::vector<std::int64_t>;

std::string torch_shape_str(const TorchShape& s) {
  std::string out = "(";
  for (std::size_t i = 0; i < s.size(); ++i) out += fmt::format("{}{}", i ? "," : "", s[i]);
  return out + (s.size() == 1 ? ",)" : ")");
}

// Parameter arrays hold at most 2^31-1 values (Eigen sizes and the k*c, kh*kw*c column counts
// are ints): ConfigError naming the layer otherwise, before anything is allocated.
void check_param_sizes(std::string_view layer, const std::vector<std::pair<std::string, TorchShape>>& params) {
  for (const auto& [suffix, shape] : params) {
    std::int64_t n = 1;
    bool fits = true;
    for (const auto d : shape) fits = fits && !__builtin_mul_overflow(n, d, &n) && n <= INT32_MAX;
    if (!fits)
      throw layer_error(layer, "too many parameters", fmt::format("at most {} values per array", INT32_MAX),
                        torch_shape_str(shape));
  }
}

// ---- The layer spec of ModelConfig::layers -------------------------------------------------

struct LayerSpec {
  std::string token;  // as written, for messages
  std::string name;
  std::string kind;   // conv1d, conv2d, dense, relu, gap, flatten, dropout
  std::vector<int> ints;
  double rate = 0;
};

ConfigError spec_error(std::string_view what, std::string_view expected, std::string_view got) {
  return ConfigError(fmt::format("model.layers: {}; expected {}, got {}", what, expected, got));
}

LayerSpec parse_token(std::string_view token) {
  LayerSpec spec;
  spec.token = std::string(token);
  const std::string tok = quote_token(token);
  std::string_view rest = token;
  const auto eq = token.find('='), paren = token.find('(');
  if (eq != std::string_view::npos && (paren == std::string_view::npos || eq < paren)) {
    spec.name = std::string(token.substr(0, eq));
    if (!is_identifier(spec.name))
      throw spec_error(fmt::format("bad layer name in {}", tok), "[A-Za-z_][A-Za-z0-9_]*", quote_token(spec.name));
    rest = token.substr(eq + 1);
  }
  std::vector<std::string_view> args;
  const auto open = rest.find('(');
  spec.kind = std::string(rest.substr(0, open));
  if (open != std::string_view::npos) {
    if (rest.back() != ')')
      throw spec_error(fmt::format("text after ')' in {}", tok), "nothing after the closing parenthesis", tok);
    const std::string_view inner = trim(rest.substr(open + 1, rest.size() - open - 2));
    if (!inner.empty()) {
      split_top(inner, ',', args);
      for (auto& a : args) a = trim(a);
    }
  }
  const std::string_view kind = spec.kind;
  auto want_args = [&](std::initializer_list<std::size_t> counts, std::string_view form) {
    if (std::find(counts.begin(), counts.end(), args.size()) == counts.end())
      throw spec_error(fmt::format("wrong number of arguments in {}", tok), form,
                       fmt::format("{} argument{}", args.size(), args.size() == 1 ? "" : "s"));
  };
  auto ints = [&] {
    for (auto a : args) {
      int v = 0;
      if (!parse_positive(a, v))
        throw spec_error(fmt::format("bad argument in {}", tok), "a positive integer", quote_token(a));
      spec.ints.push_back(v);
    }
  };
  if (kind == "conv1d") {
    want_args({2, 3}, "conv1d(out,kernel[,stride])");
    ints();
  } else if (kind == "conv2d") {
    want_args({2, 3, 5}, "conv2d(out,k), conv2d(out,kh,kw) or conv2d(out,kh,kw,sh,sw)");
    ints();
  } else if (kind == "dense") {
    want_args({1}, "dense(out)");
    ints();
  } else if (kind == "relu" || kind == "gap" || kind == "flatten") {
    want_args({0}, fmt::format("{} without arguments", kind));
  } else if (kind == "dropout") {
    want_args({1}, "dropout(p)");
    if (!parse_rate(args[0], spec.rate))
      throw spec_error(fmt::format("bad argument in {}", tok), "a dropout rate in [0, 1)", quote_token(args[0]));
  } else {
    throw spec_error(fmt::format("unknown layer kind {} in {}", quote_token(kind), tok), fmt::format("one of {}", kKinds),
                     quote_token(kind));
  }
  return spec;
}

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
  for (auto t : tokens) specs.push_back(parse_token(t));
  // Unnamed layers: <kind><k>, k counting layers of that kind from 1 (named ones included).
  std::vector<std::pair<std::string, int>> counts;
  std::set<std::string> seen;
  for (auto& s : specs) {
    auto it = std::find_if(counts.begin(), counts.end(), [&](auto& c) { return c.first == s.kind; });
    if (it == counts.end()) it = counts.insert(counts.end(), {s.kind, 0});
    const int k = ++it->second;
    if (s.name.empty()) s.name = fmt::format("{}{}", s.kind, k);
    if (!seen.insert(s.name).second)
      throw spec_error(fmt::format("duplicate layer name {}", quote_token(s.name)), "unique names",
                       fmt::format("{} twice (in {})", quote_token(s.name), quote_token(s.token)));
  }
  return specs;
}

LayerPtr build_layer(const LayerSpec& s, const Shape& in) {
  const auto& a = s.ints;
  if (s.kind == "conv1d") check_param_sizes(s.name, {{"weight", {a[0], in.c, a[1]}}});
  if (s.kind == "conv2d")
    check_param_sizes(s.name, {{"weight", {a[0], in.c, a[1], a.size() == 2 ? a[1] : a[2]}}});
  if (s.kind == "dense") check_param_sizes(s.name, {{"weight", {a[0], in.c}}});
  if (s.kind == "conv1d") return std::make_unique<Conv1d>(s.name, in.c, a[0], a[1], a.size() > 2 ? a[2] : 1);
  if (s.kind == "conv2d") {
    if (a.size() == 2) return std::make_unique<Conv2d>(s.name, in.c, a[0], a[1], a[1], 1, 1);
    if (a.size() == 3) return std::make_unique<Conv2d>(s.name, in.c, a[0], a[1], a[2], 1, 1);
    return std::make_unique<Conv2d>(s.name, in.c, a[0], a[1], a[2], a[3], a[4]);
  }
  if (s.kind == "dense") {
    // Name the problem here: Dense's own check would report a feature-count mismatch.
    if (in.h != 1 || in.w != 1)
      throw layer_error(s.name, "dense needs a flat input", "a (C) input after gap or flatten", in.str());
    return std::make_unique<Dense>(s.name, in.c, a[0]);
  }
  if (s.kind == "relu") return std::make_unique<ReLU>(s.name);
  if (s.kind == "gap") return std::make_unique<GlobalAvgPool>(s.name);
  if (s.kind == "flatten") return std::make_unique<Flatten>(s.name);
  return std::make_unique<Dropout>(s.name, s.rate);
}

OutputKind parse_output(std::string_view s, bool& ok) {
  ok = true;
  if (s == "sigmoid") return OutputKind::Sigmoid;
  if (s == "softmax") return OutputKind::Softmax;
  if (s == "linear") return OutputKind::Linear;
  ok = false;
  return OutputKind::Sigmoid;
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

Network::Network(Shape input, std::vector<LayerPtr> layers, OutputKind output)
    : input_(input), layers_(std::move(layers)), output_(output) {
  LB_CHECK(input_.c > 0 && input_.h > 0 && input_.w > 0, "network input shape {}x{}x{}", input_.c, input_.h, input_.w);
  LB_CHECK(!layers_.empty(), "a network needs at least one layer");
  shapes_.push_back(input_);
  param_offset_.push_back(0);
  for (auto& l : layers_) {
    shapes_.push_back(l->output_shape(shapes_.back()));
    param_offset_.push_back(param_offset_.back() + static_cast<int>(l->params().size()));
  }
  const Shape& out = shapes_.back();
  if (out.h != 1 || out.w != 1)
    throw layer_error(layers_.back()->name(), "the network must end in a flat output",
                      "a (T) output after gap, flatten or dense", out.str());
}

Network Network::from_config(const ModelConfig& cfg, Shape input) {
  validate(cfg);
  bool ok = false;
  const OutputKind out = parse_output(cfg.output, ok);
  std::vector<LayerPtr> layers;
  Shape shape = input;
  for (const auto& s : parse_spec(cfg.layers)) {
    layers.push_back(build_layer(s, shape));
    shape = layers.back()->output_shape(shape);
  }
  return Network(input, std::move(layers), out);
}

std::string Network::architecture() const {
  std::string text = fmt::format("input {}\noutput {}\n", input_.str(), output_name(output_));
  for (const auto& l : layers_) text += fmt::format("{} {}\n", l->name(), l->describe());
  return text;
}

namespace {

// One architecture line's description, parsed but not built: the kind and its numbers.
struct LayerDecl {
  std::string kind;
  std::vector<int> ints;  // Conv1d: in, out, kernel, stride; Conv2d: in, out, kh, kw, sh, sw; Linear: in, out
  double p = 0;           // Dropout
};

LayerDecl parse_decl(std::string_view description) {
  const auto bad_args = [&](std::string_view form) {
    return InputError(fmt::format("bad layer description; expected {}, got {}", form, quote_token(description, 80)));
  };
  const auto open = description.find('(');
  if (open == std::string_view::npos || description.back() != ')')
    throw InputError(fmt::format("bad layer description; expected <Layer>(<arguments>), got {}",
                                 quote_token(description, 80)));
  const std::string_view kind = description.substr(0, open);
  const std::string_view inner = description.substr(open + 1, description.size() - open - 2);
  // key=value pairs at depth 0; tuple values "(a,b)" keep their commas.
  std::vector<std::pair<std::string_view, std::string_view>> kv;
  if (!trim(inner).empty()) {
    std::vector<std::string_view> parts;
    if (!split_top(inner, ',', parts)) throw bad_args("balanced parentheses");
    for (auto p : parts) {
      p = trim(p);
      const auto eq = p.find('=');
      if (eq == std::string_view::npos) throw bad_args("key=value arguments");
      kv.emplace_back(p.substr(0, eq), p.substr(eq + 1));
    }
  }
  // Values of the expected keys, in order; ints may be "(a,b)" pairs.
  auto get_ints = [&](std::initializer_list<std::string_view> keys, std::string_view form, std::size_t count) {
    std::vector<int> v;
    if (kv.size() != keys.size()) throw bad_args(form);
    std::size_t i = 0;
    for (auto key : keys) {
      if (kv[i].first != key) throw bad_args(form);
      std::string_view val = kv[i++].second;
      std::vector<std::string_view> items;
      if (val.size() >= 2 && val.front() == '(' && val.back() == ')') split_top(val.substr(1, val.size() - 2), ',', items);
      else items.push_back(val);
      for (auto it : items) {
        int x = 0;
        if (!parse_positive(it, x)) throw bad_args(form);
        v.push_back(x);
      }
    }
    if (v.size() != count) throw bad_args(form);
    return v;
  };
  LayerDecl d{std::string(kind), {}, 0};
  if (kind == "Conv1d") {
    d.ints = get_ints({"in", "out", "kernel", "stride"}, "Conv1d(in=<int>, out=<int>, kernel=<int>, stride=<int>)", 4);
  } else if (kind == "Conv2d") {
    d.ints = get_ints({"in", "out", "kernel", "stride"},
                      "Conv2d(in=<int>, out=<int>, kernel=(<int>,<int>), stride=(<int>,<int>))", 6);
  } else if (kind == "Linear") {
    d.ints = get_ints({"in", "out"}, "Linear(in=<int>, out=<int>)", 2);
  } else if (kind == "ReLU" || kind == "GlobalAvgPool" || kind == "Flatten") {
    if (!kv.empty()) throw bad_args(fmt::format("{}()", kind));
  } else if (kind == "Dropout") {
    if (kv.size() != 1 || kv[0].first != "p" || !parse_rate(kv[0].second, d.p)) throw bad_args("Dropout(p=<rate in [0, 1)>)");
  } else {
    throw InputError(fmt::format("unknown layer {}; expected one of {}, got {}", quote_token(kind), kArchKinds,
                                 quote_token(kind)));
  }
  return d;
}

// The PyTorch parameter shapes a declaration asks for (weight, then bias).
std::vector<std::pair<std::string, TorchShape>> declared_params(const LayerDecl& d) {
  const auto& v = d.ints;
  if (d.kind == "Conv1d") return {{"weight", {v[1], v[0], v[2]}}, {"bias", {v[1]}}};
  if (d.kind == "Conv2d") return {{"weight", {v[1], v[0], v[2], v[3]}}, {"bias", {v[1]}}};
  if (d.kind == "Linear") return {{"weight", {v[1], v[0]}}, {"bias", {v[1]}}};
  return {};
}

// Builds a parsed (and size-checked) declaration; only the canonical spelling is accepted, so
// that text -> network -> text is the identity.
LayerPtr build_decl(std::string name, const LayerDecl& d, std::string_view description) {
  const auto& v = d.ints;
  LayerPtr layer;
  if (d.kind == "Conv1d") layer = std::make_unique<Conv1d>(std::move(name), v[0], v[1], v[2], v[3]);
  else if (d.kind == "Conv2d") layer = std::make_unique<Conv2d>(std::move(name), v[0], v[1], v[2], v[3], v[4], v[5]);
  else if (d.kind == "Linear") layer = std::make_unique<Dense>(std::move(name), v[0], v[1]);
  else if (d.kind == "ReLU") layer = std::make_unique<ReLU>(std::move(name));
  else if (d.kind == "GlobalAvgPool") layer = std::make_unique<GlobalAvgPool>(std::move(name));
  else if (d.kind == "Flatten") layer = std::make_unique<Flatten>(std::move(name));
  else layer = std::make_unique<Dropout>(std::move(name), d.p);
  if (layer->describe() != description)
    throw InputError(fmt::format("non-canonical layer description; expected {}, got {}",
                                 quote_token(layer->describe(), 80), quote_token(description, 80)));
  return layer;
}

}  // namespace

LayerPtr parse_layer(std::string name, std::string_view description) {
  const LayerDecl d = parse_decl(description);
  check_param_sizes(name, declared_params(d));
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
  std::set<std::string, std::less<>> names;
  Shape shape = input;
  for (std::size_t i = 2; i < lines.size(); ++i) {
    const std::string_view l = line_at(i);
    const auto sp = l.find(' ');
    if (sp == std::string_view::npos)
      throw fail(i + 1, "bad layer line", "'<name> <Layer>(<arguments>)'", quote_token(l, 80));
    const std::string name(l.substr(0, sp));
    const std::string_view description = l.substr(sp + 1);
    if (!is_identifier(name)) throw fail(i + 1, "bad layer name", "[A-Za-z_][A-Za-z0-9_]*", quote_token(name));
    if (!names.insert(name).second)
      throw fail(i + 1, "duplicate layer name", "unique names", fmt::format("{} twice", quote_token(name)));
    // Parse and size-check, let the caller check the declared parameters, and only then build.
    const LayerDecl decl = at_line(i + 1, [&] {
      LayerDecl d = parse_decl(description);
      check_param_sizes(name, declared_params(d));
      return d;
    });
    if (check)
      for (const auto& [suffix, torch_shape] : declared_params(decl)) check(name + "." + suffix, torch_shape, name, description);
    at_line(i + 1, [&] {
      layers.push_back(build_decl(name, decl, description));
      shape = layers.back()->output_shape(shape);
    });
  }
  try {
    return Network(input, std::move(layers), out);
  } catch (const ConfigError& e) {  // the only one left: a non-flat last output
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
  for (std::size_t i = 0; i < nl; ++i) layers_[i]->forward(t.acts[i], shapes_[i], n, t.acts[i + 1], t.aux[i], mode);
}

void Network::backward(const Trace& t, const Mat& d_logits, std::vector<Mat>& grads, Mat* d_input) const {
  const int nl = n_layers();
  LB_CHECK(t.n > 0 && static_cast<int>(t.acts.size()) == nl + 1, "backward of an empty or foreign trace");
  LB_CHECK(d_logits.rows() == t.acts.back().rows() && d_logits.cols() == t.acts.back().cols(),
           "d_logits is {}x{}, expected {}x{}", d_logits.rows(), d_logits.cols(), t.acts.back().rows(),
           t.acts.back().cols());
  LB_CHECK(static_cast<int>(grads.size()) == param_offset_.back(), "{} gradient slots, expected {}", grads.size(),
           param_offset_.back());
  // Without d_input nothing below the lowest parameterised layer is needed: stop there, and
  // skip that layer's input gradient (for the genomics net, conv1's dx: ~4% of the work).
  int lowest = 0;
  if (!d_input) {
    lowest = nl;
    for (int i = 0; i < nl; ++i)
      if (param_offset_[static_cast<std::size_t>(i) + 1] > param_offset_[static_cast<std::size_t>(i)]) {
        lowest = i;
        break;
      }
  }
  Mat buf[2];
  const Mat* dy = &d_logits;
  for (int i = nl - 1; i >= lowest; --i) {
    const auto ui = static_cast<std::size_t>(i);
    Mat* dx = i > lowest ? &buf[i % 2] : d_input;  // alternate buffers; dy lives in the other
    const auto off = static_cast<std::size_t>(param_offset_[ui]);
    const auto cnt = static_cast<std::size_t>(param_offset_[ui + 1] - param_offset_[ui]);
    layers_[ui]->backward(t.acts[ui], t.acts[ui + 1], t.aux[ui], *dy, t.shapes[ui], t.n, dx,
                          std::span<Mat>(grads.data() + off, cnt));
    dy = dx;
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
      std::vector<float> v(static_cast<std::size_t>(ps[i].value->size()), 0.0f);
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
  auto src = const_cast<Network*>(this)->params();  // read only
  auto dst = copy.params();
  for (std::size_t i = 0; i < src.size(); ++i) *dst[i].value = *src[i].value;
  return copy;
}

}  // namespace lb::model
