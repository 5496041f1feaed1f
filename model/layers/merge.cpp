// Merge layers: Add (residual connections) and Concat (channels of several inputs, e.g. the
// heads of a multi-output model). Both read several activations (model/layer.h, class Merge),
// are linear with non-negative weights and no bias, and carry DeepLIFT's Δ± and m± through
// unchanged in kind (role Merge, docs/attribution.md).
#include <algorithm>

#include <fmt/format.h>

#include "model/layers.h"
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

LB_REGISTER_LAYER(add, {"add", "Add", "add(<layer>,<layer>[,...])", "Add()", merge_from_config<Add>,
                        no_arg_from_architecture<Add>, true});
LB_REGISTER_LAYER(concat, {"concat", "Concat", "concat(<layer>,<layer>[,...])", "Concat()",
                           merge_from_config<Concat>, no_arg_from_architecture<Concat>, true});

}  // namespace lb::model
