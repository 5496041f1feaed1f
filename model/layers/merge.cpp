// Merge layers: Add (residual connections) and Concat (channels of several inputs, e.g. the
// heads of a multi-output model). Both read several activations (model/layer.h, class Merge),
// are linear with non-negative weights and no bias, and carry DeepLIFT's Δ± and m± through
// unchanged in kind (role Merge, docs/attribution.md).
#include <algorithm>

#include <fmt/format.h>

#include "model/layers.h"
#include "model/network.h"
#include "model/onnx_builder.h"
#include "model/registry.h"

namespace lb::model {

namespace {

using Index = Eigen::Index;

std::string shapes_str(std::span<const Shape> ins) {
  std::string out;
  for (const auto& s : ins) out += (out.empty() ? "" : ", ") + s.str();
  return out;
}

}  // namespace

// ---- Add --------------------------------------------------------------------------------------

Shape Add::merge_shape(std::span<const Shape> ins) const {
  LB_CHECK(ins.size() >= 2, "add '{}' with {} inputs", name(), ins.size());
  for (const auto& s : ins)
    if (!(s == ins[0])) throw layer_error(name(), "inputs of different shapes", "one shape", shapes_str(ins));
  return ins[0];
}

void Add::merge_forward(std::span<const Mat* const> xs, std::span<const Shape> ins, int n, Mat& y) const {
  (void)ins, (void)n;
  y = *xs[0];
  for (std::size_t k = 1; k < xs.size(); ++k) y += *xs[k];
}

void Add::merge_backward(const Mat& dy, std::span<const Shape> ins, Index blocks, std::span<Mat* const> dxs) const {
  (void)ins, (void)blocks;
  for (Mat* dx : dxs)
    if (dx) *dx = dy;
}

// ---- Concat -----------------------------------------------------------------------------------

Shape Concat::merge_shape(std::span<const Shape> ins) const {
  LB_CHECK(ins.size() >= 2, "concat '{}' with {} inputs", name(), ins.size());
  std::int64_t c = 0;
  for (const auto& s : ins) {
    if (s.h != ins[0].h || s.w != ins[0].w)
      throw layer_error(name(), "inputs of different spatial shapes", "one length (flatten a head first)",
                        shapes_str(ins));
    c += s.c;
  }
  const Shape out{static_cast<int>(std::min<std::int64_t>(c, INT32_MAX)), ins[0].h, ins[0].w};
  if (c > INT32_MAX || !out.size_fits_int())
    throw layer_error(name(), "too many channels", fmt::format("at most {} values per sample", INT32_MAX),
                      shapes_str(ins));
  return out;
}

void Concat::merge_forward(std::span<const Mat* const> xs, std::span<const Shape> ins, int n, Mat& y) const {
  const Shape out = merge_shape(ins);
  y.resize(out.c, Index{n} * out.spatial());
  Index row = 0;
  for (const Mat* x : xs) {
    y.middleRows(row, x->rows()) = *x;
    row += x->rows();
  }
}

void Concat::merge_backward(const Mat& dy, std::span<const Shape> ins, Index blocks, std::span<Mat* const> dxs) const {
  (void)blocks;
  Index row = 0;
  for (std::size_t k = 0; k < ins.size(); ++k) {
    if (dxs[k]) *dxs[k] = dy.middleRows(row, ins[k].c);
    row += ins[k].c;
  }
}

// ---- Heads ------------------------------------------------------------------------------------

std::string Heads::describe() const { return fmt::format("Heads(names=({}))", fmt::join(names_, ",")); }

Shape Heads::merge_shape(std::span<const Shape> ins) const {
  LB_CHECK(ins.size() >= 2, "heads '{}' with {} inputs", name(), ins.size());
  if (ins.size() != names_.size())
    throw layer_error(name(), "a name for every head", fmt::format("{} names", ins.size()),
                      fmt::format("{} names for {} heads", names_.size(), ins.size()));
  std::int64_t total = 0;
  for (const auto& s : ins) total += s.size();
  const Shape out{static_cast<int>(std::min<std::int64_t>(total, INT32_MAX)), 1, 1};
  if (total > INT32_MAX)
    throw layer_error(name(), "too many outputs", fmt::format("at most {} values per sample", INT32_MAX),
                      shapes_str(ins));
  return out;
}

// Head k of sample b: x(ch, b*S + p) is output off + ch*S + p (PyTorch's flatten order).
void Heads::merge_forward(std::span<const Mat* const> xs, std::span<const Shape> ins, int n, Mat& y) const {
  y.resize(merge_shape(ins).c, n);
  Index off = 0;
  for (std::size_t k = 0; k < ins.size(); ++k) {
    const Mat& x = *xs[k];
    const Index c = ins[k].c, S = ins[k].spatial();
    for (Index b = 0; b < n; ++b)
      for (Index ch = 0; ch < c; ++ch)
        for (Index p = 0; p < S; ++p) y(off + ch * S + p, b) = x(ch, b * S + p);
    off += c * S;
  }
}

void Heads::merge_backward(const Mat& dy, std::span<const Shape> ins, Index blocks, std::span<Mat* const> dxs) const {
  Index off = 0;
  for (std::size_t k = 0; k < ins.size(); ++k) {
    const Index c = ins[k].c, S = ins[k].spatial();
    if (Mat* dx = dxs[k]) {
      dx->resize(c, blocks * S);
      for (Index b = 0; b < blocks; ++b)
        for (Index ch = 0; ch < c; ++ch)
          for (Index p = 0; p < S; ++p) (*dx)(ch, b * S + p) = dy(off + ch * S + p, b);
    }
    off += c * S;
  }
}

// Each head is a graph output of its own shape: (N, C) for a flat head, (N, C, L) or (N, C, H, W).
void Heads::export_onnx(OnnxBuilder& b) const {
  const std::vector<std::string> ins = b.inputs();
  const std::vector<int> ranks = b.input_ranks();
  const std::vector<Shape> shapes = b.input_shapes();
  for (std::size_t k = 0; k < ins.size(); ++k) {
    const Shape& s = shapes[k];
    std::vector<int> dims{s.c};
    if (ranks[k] == 3) dims.push_back(s.w);
    if (ranks[k] == 4) dims.insert(dims.end(), {s.h, s.w});
    b.graph_output(ins[k], names_[k], dims);
  }
}

// ---- ONNX: the Add or Concat node -------------------------------------------------------------

namespace {

// Inputs of one liftbench shape may differ in ONNX rank only when flat ((N, C, 1) after a
// length-1 conv, (N, C) after a dense layer): those are flattened to (N, C) first.
void export_merge(OnnxBuilder& b, std::string_view op, std::vector<OnnxAttr> attrs) {
  const std::string& name = b.layer().name();
  const std::vector<std::string> ins = b.inputs();
  const std::vector<int> ranks = b.input_ranks();
  bool differ = false;
  for (const int r : ranks) differ = differ || r != ranks[0];
  std::vector<std::string> names;
  for (std::size_t j = 0; j < ins.size(); ++j) {
    std::string in_name = ins[j];
    if (differ && ranks[j] > 2) {
      const std::string flat = fmt::format("{}/flat{}", name, j);
      b.node("Flatten", fmt::format("{}/flatten{}", name, j), {in_name}, flat, {OnnxAttr::i("axis", 1)});
      in_name = flat;
    }
    names.push_back(in_name);
  }
  b.node(op, name, names, b.output_name(), std::move(attrs));
  b.set_rank(differ ? 2 : ranks[0]);
}

}  // namespace

void Add::export_onnx(OnnxBuilder& b) const { export_merge(b, "Add", {}); }
void Concat::export_onnx(OnnxBuilder& b) const { export_merge(b, "Concat", {OnnxAttr::i("axis", 1)}); }

// ---- Registration -----------------------------------------------------------------------------

namespace {

// add(a, b, ...) / concat(a, b, ...): two or more inputs, named by the positional arguments
// (resolved by the network builder); the architecture line lists them after "<-".
template <class L>
LayerDecl merge_from_config(const LayerArgs& a, const Shape& in) {
  (void)in;
  a.only_keys({});
  if (a.positional() < 2)
    a.fail("wrong number of arguments", "two or more input layers",
           fmt::format("{} argument{}", a.positional(), a.positional() == 1 ? "" : "s"));
  return {{}, [](std::string name) -> LayerPtr { return std::make_unique<L>(std::move(name)); }};
}

}  // namespace

// heads(a, b, ...): the heads are the inputs, named after them. Heads(names=(a,b)) in a model
// file, the inputs after "<-".
LayerDecl heads_from_config(const LayerArgs& a, const Shape& in) {
  (void)in;
  a.only_keys({});
  if (a.positional() < 2)
    a.fail("wrong number of arguments", "two or more input layers",
           fmt::format("{} argument{}", a.positional(), a.positional() == 1 ? "" : "s"));
  std::vector<std::string> names;
  for (std::size_t k = 0; k < a.positional(); ++k) {
    const std::string_view head = a.positional_text(k);
    if (head == "input") a.fail("bad head", "layers' outputs (not the network input)", head);
    if (std::find(names.begin(), names.end(), head) != names.end()) a.fail("duplicate head", "distinct layers", head);
    names.emplace_back(head);
  }
  return {{}, [names](std::string name) -> LayerPtr { return std::make_unique<Heads>(std::move(name), names); }};
}

LayerDecl heads_from_architecture(const LayerArgs& a) {
  a.only_keys({"names"});
  std::string_view v = a.value("names");
  if (v.size() < 2 || v.front() != '(' || v.back() != ')') a.fail("bad names", "names=(<head>,<head>[,...])", v);
  std::vector<std::string_view> parts;
  split_top(v.substr(1, v.size() - 2), ',', parts);
  std::vector<std::string> names;
  for (const auto p : parts) {
    if (!is_layer_name(p) || p == "input") a.fail("bad head name", "names of [A-Za-z0-9_.] other than input", p);
    if (std::find(names.begin(), names.end(), p) != names.end()) a.fail("duplicate head name", "distinct names", p);
    names.emplace_back(p);
  }
  if (names.size() < 2) a.fail("too few heads", "two or more names", v);
  return {{}, [names](std::string name) -> LayerPtr { return std::make_unique<Heads>(std::move(name), names); }};
}

LB_REGISTER_LAYER(add, {"add", "Add", "add(<layer>,<layer>[,...])", "Add()", merge_from_config<Add>,
                        no_arg_from_architecture<Add>, true});
LB_REGISTER_LAYER(concat, {"concat", "Concat", "concat(<layer>,<layer>[,...])", "Concat()",
                           merge_from_config<Concat>, no_arg_from_architecture<Concat>, true});
LB_REGISTER_LAYER(heads, {"heads", "Heads", "heads(<layer>,<layer>[,...])", "Heads(names=(<head>,<head>[,...]))",
                          heads_from_config, heads_from_architecture, true});

}  // namespace lb::model
