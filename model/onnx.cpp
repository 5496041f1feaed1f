// ONNX import (model/onnx.h). The importer walks the graph's nodes in their
// (topological) order and keeps, for every tensor name, what it is: a constant (initializer,
// Constant node, or the result of shape arithmetic on constants), an activation (the network
// input or a layer's output, with its ONNX dimensions after the batch), or a step of a pattern
// that becomes one layer (a Pad waiting for its Conv, a GELU decomposition half way, a final
// Softmax). Layers are described in the architecture spelling (model/registry.h) and built
// through parse_layer, so this file names no layer class. Export is model/onnx_export.cpp.
//
// The network may be a graph: a residual Add of two activations and a Concat of activations
// along the channels become the Add and Concat layers, each layer lists the activations it reads.
//
// Everything read from the file is bounded before use: dimensions and attribute values are
// range-checked, constant tensors computed here hold at most kMaxFolded elements, indices are
// checked against their tensors. The batch size stays symbolic (kBatch) through shape arithmetic.
#include "model/onnx.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"
#include "core/text.h"
#include "io/atomic_file.h"
#include "model/registry.h"

namespace lb::model {

namespace {

constexpr int kMinOpset = 11, kMaxOpset = 17;
// The batch size in shape arithmetic: Shape(x)[0] of an activation.
constexpr std::int64_t kBatch = std::numeric_limits<std::int64_t>::min();
// Elements of a tensor computed at import (shape arithmetic, ConstantOfShape): shapes and pads
// are a handful of numbers; this only stops a file from asking for gigabytes.
constexpr std::int64_t kMaxFolded = std::int64_t{1} << 20;
// Ranks of constants and attribute lists we look at.
constexpr int kMaxRank = 8;
// The ONNX files liftbench reads: protobuf's own limit.
constexpr std::uintmax_t kMaxFileBytes = std::uintmax_t{2} << 30;

// The op types the importer reads, sorted (onnx_supported_ops()).
constexpr std::string_view kSupportedOps[] = {
    "Add", "AveragePool", "BatchNormalization", "Cast", "Concat", "Constant", "ConstantOfShape", "Conv", "Div",
    "Dropout", "Elu", "Erf", "Exp", "Flatten", "Gather", "Gemm", "GlobalAveragePool", "GlobalMaxPool", "Identity",
    "LogSoftmax", "MatMul", "MaxPool", "Mul", "Pad", "ReduceMax", "ReduceMean", "Relu", "Reshape", "Shape",
    "Sigmoid", "Slice", "Softmax", "Softplus", "Squeeze", "Sub", "Tanh", "Transpose", "Unsqueeze"};

// ---- Small helpers ---------------------------------------------------------------------------

// The shortest decimal that reads back as the same float: ONNX stores epsilon, alpha and
// momentum as float, so 1e-5 arrives as 9.99999974737875e-06 and is read as 1e-05 again.
double float_to_short_double(float v) {
  const std::string s = fmt::format("{}", v);
  return std::strtod(s.c_str(), nullptr);
}

std::string dims_str(const std::vector<std::int64_t>& dims, bool batch) {
  std::vector<std::string> parts;
  if (batch) parts.emplace_back("N");
  for (const auto d : dims) parts.push_back(d == kBatch ? "N" : std::to_string(d));
  return fmt::format("({})", fmt::join(parts, ","));
}

bool checked_product(const std::vector<std::int64_t>& dims, std::int64_t limit, std::int64_t& out) {
  std::int64_t p = 1;
  for (const auto d : dims) {
    if (d < 0 || __builtin_mul_overflow(p, d, &p) || p > limit) return false;
  }
  out = p;
  return true;
}

// A constant tensor. Integers (int64, int32, ...) keep exact values (kBatch included); floats
// (float, double) are float32, as liftbench's parameters.
struct Tensor {
  std::vector<std::int64_t> dims;
  bool integer = false;
  std::vector<std::int64_t> i;
  std::vector<float> f;
  std::int64_t size() const { return static_cast<std::int64_t>(integer ? i.size() : f.size()); }
  double at(std::int64_t k) const {
    return integer ? static_cast<double>(i[static_cast<std::size_t>(k)]) : f[static_cast<std::size_t>(k)];
  }
};

Tensor int_tensor(std::vector<std::int64_t> values) {
  Tensor t;
  t.integer = true;
  t.dims = {static_cast<std::int64_t>(values.size())};
  t.i = std::move(values);
  return t;
}

// What a tensor name stands for while the graph is read.
enum class Kind {
  Const,   // a constant
  Act,     // an activation: act, dims
  Padded,  // Pad's output before a Conv: act, left, right
  Gelu,    // a step of torch's GELU decomposition of act: stage 1 x/√2, 2 erf, 3 +1, 4 x*(...)
  Final,   // Softmax / LogSoftmax of act: only the graph output may be one
  Stale,   // a MatMul output whose bias a later Add folded into the layer: no longer valid
};

struct Value {
  Kind kind = Kind::Const;
  Tensor c;
  int act = -1;
  std::vector<std::int64_t> dims;  // ONNX dimensions after the batch (Act)
  int left = 0, right = 0;         // Padded
  int stage = 0;                   // Gelu
  std::string op;                  // the producing node's op type (for messages)
};

// A layer read from the graph, before it is named and built for good.
struct PendingLayer {
  std::string name;          // from its weight initializer, or empty: generated at the end
  std::string_view kind;     // config spelling of its type, for generated names ("relu")
  std::string description;   // architecture spelling
  std::vector<std::pair<std::string, std::vector<float>>> params;  // suffix -> PyTorch-order values
  std::string node;          // "node 'x' (Conv)" for messages
  std::string hint;          // a name from the node's name (torch's "/body/body.2/Relu" -> "body.2"), or empty
  std::vector<int> inputs;   // the activations it reads
  bool open_bias = false;    // a MatMul's dense layer: an Add of a constant may still set its bias
  LayerPtr layer;            // built under a provisional name, for shapes and parameter shapes
};

struct Activation {
  Shape shape;
  int layer = -1;     // the layer producing it; -1 for the network input
  int consumers = 0;  // layers reading it
};

const char* type_name(int t) {
  switch (t) {
    case onnx::TensorProto::FLOAT: return "float";
    case onnx::TensorProto::DOUBLE: return "double";
    case onnx::TensorProto::INT64: return "int64";
    case onnx::TensorProto::INT32: return "int32";
    case onnx::TensorProto::FLOAT16: return "float16";
    case onnx::TensorProto::BFLOAT16: return "bfloat16";
    case onnx::TensorProto::UINT8: return "uint8";
    case onnx::TensorProto::INT8: return "int8";
    case onnx::TensorProto::BOOL: return "bool";
    case onnx::TensorProto::STRING: return "string";
    default: return "another type";
  }
}

const char* attr_type_name(int t) {
  switch (t) {
    case onnx::AttributeProto::FLOAT: return "FLOAT";
    case onnx::AttributeProto::INT: return "INT";
    case onnx::AttributeProto::STRING: return "STRING";
    case onnx::AttributeProto::TENSOR: return "TENSOR";
    case onnx::AttributeProto::FLOATS: return "FLOATS";
    case onnx::AttributeProto::INTS: return "INTS";
    case onnx::AttributeProto::GRAPH: return "GRAPH";
    default: return "another type";
  }
}

// A layer name from a node name: torch names a node by its module path and op, each scope either
// the child's attribute name or already qualified by its parent ("/body/body.2/Relu": module
// "body.2"; "/stem_act/f/Relu": module "stem_act.f"); liftbench's export names nodes by layer
// ("body.2"). Empty when neither.
std::string layer_name_hint(const std::string& node_name) {
  if (is_layer_name(node_name)) return node_name;
  if (!node_name.starts_with('/')) return {};
  std::string module;
  std::size_t begin = 1;
  for (std::size_t end; (end = node_name.find('/', begin)) != std::string::npos; begin = end + 1) {
    const std::string scope = node_name.substr(begin, end - begin);
    module = module.empty() || scope.starts_with(module + ".") ? scope : module + "." + scope;
  }
  return is_layer_name(module) ? module : std::string();
}

// ---- The importer ------------------------------------------------------------------------------

class Importer {
 public:
  Importer(std::string path, std::optional<OutputKind> output) : path_(std::move(path)), output_(output) {}
  /// Reads the model from `bytes` instead of the file; `path` only names it in errors.
  void set_bytes(std::string bytes) { bytes_ = std::move(bytes), has_bytes_ = true; }
  Network run();

 private:
  // Errors: "<file>: <what>; expected <x>, got <y>" and, for a node, "<file>: node 'n' (Op): ...".
  [[noreturn]] void fail(std::string_view what, std::string_view expected, std::string_view got) const {
    throw input_error(path_, 0, what, expected, got);
  }
  [[noreturn]] void fail_node(std::string_view what, std::string_view expected, std::string_view got) const {
    throw input_error(path_, 0, fmt::format("{}: {}", label_, what), expected, got);
  }

  // Reading.
  void read_model(onnx::ModelProto& m) const;
  int check_opset(const onnx::ModelProto& m) const;
  Tensor read_tensor(const onnx::TensorProto& t, std::string_view what) const;
  void read_input(const onnx::GraphProto& g, const std::set<std::string>& inits);

  // Node helpers.
  const Value& value_of(const onnx::NodeProto& n, int k, std::string_view role) const;
  bool has_input(const onnx::NodeProto& n, int k) const { return k < n.input_size() && !n.input(k).empty(); }
  const Value& act_input(const onnx::NodeProto& n, int k);
  const Tensor& const_input(const onnx::NodeProto& n, int k, std::string_view role) const;
  std::vector<std::int64_t> ints_input(const onnx::NodeProto& n, int k, std::string_view role) const;
  const onnx::AttributeProto* attr(const onnx::NodeProto& n, std::string_view name, int type) const;
  std::int64_t attr_int(const onnx::NodeProto& n, std::string_view name, std::int64_t fallback) const;
  float attr_float(const onnx::NodeProto& n, std::string_view name, float fallback) const;
  std::string attr_string(const onnx::NodeProto& n, std::string_view name, std::string fallback) const;
  std::optional<std::vector<std::int64_t>> attr_ints(const onnx::NodeProto& n, std::string_view name) const;
  int small_int(std::int64_t v, std::int64_t lo, std::string_view what) const;
  void set_output(const onnx::NodeProto& n, Value v);
  void only_outputs(const onnx::NodeProto& n, int count) const;

  // Layers.
  int emit(std::string name, std::string_view kind, std::string description,
           std::vector<std::pair<std::string, std::vector<float>>> params, std::vector<int> inputs);
  void finish_heads(const onnx::GraphProto& g);
  int emit(std::string name, std::string_view kind, std::string description,
           std::vector<std::pair<std::string, std::vector<float>>> params, int input) {
    return emit(std::move(name), kind, std::move(description), std::move(params), std::vector<int>{input});
  }
  std::string name_from(const onnx::NodeProto& n, int k, std::string_view suffix) const;
  Value act_value(int act, std::vector<std::int64_t> dims) const;
  Value view_as(const Value& in, std::vector<std::int64_t> dims);

  // Ops.
  void node(const onnx::NodeProto& n);
  void op_constant(const onnx::NodeProto& n);
  void op_fold(const onnx::NodeProto& n);
  void op_conv(const onnx::NodeProto& n);
  void op_batchnorm(const onnx::NodeProto& n);
  void op_pool(const onnx::NodeProto& n, bool max);
  void op_global_pool(const onnx::NodeProto& n, bool max, bool reduce);
  void op_gemm(const onnx::NodeProto& n);
  void op_matmul(const onnx::NodeProto& n);
  void op_add(const onnx::NodeProto& n);
  void op_muldiv(const onnx::NodeProto& n);
  void op_arith(const onnx::NodeProto& n);
  void op_concat(const onnx::NodeProto& n);
  void op_reshape_like(const onnx::NodeProto& n);
  void op_slice(const onnx::NodeProto& n);
  void op_pad(const onnx::NodeProto& n);

  Network finish(const onnx::GraphProto& g);

  std::string path_;
  std::string bytes_;
  bool has_bytes_ = false;
  std::optional<OutputKind> output_;
  int opset_ = 0;
  std::int64_t fixed_batch_ = 0;  // the input's batch dimension when the file fixes it (0: symbolic)
  std::string label_;             // the current node, for messages
  std::string node_hint_;         // the current node's name as a layer name, or empty
  std::string input_name_;
  std::map<std::string, Value, std::less<>> values_;
  std::vector<Activation> acts_;
  std::vector<PendingLayer> layers_;
};

void Importer::read_model(onnx::ModelProto& m) const {
  std::error_code ec;
  const std::uintmax_t bytes = has_bytes_ ? bytes_.size() : std::filesystem::file_size(path_, ec);
  if (!ec && bytes > kMaxFileBytes)
    fail("file too large", "an ONNX model under 2 GiB (external data is not supported)", fmt::format("{} bytes", bytes));
  const std::string data = has_bytes_ ? bytes_ : io::read_file(path_);
  if (data.empty()) fail("not an ONNX model", "a serialized ONNX ModelProto", "an empty file");
  if (!m.ParseFromString(data))
    fail("not an ONNX model", "a serialized ONNX ModelProto (protobuf)", "bytes protobuf cannot parse");
  if (!m.has_graph() || m.graph().node_size() == 0)
    fail("not an ONNX model", "a ModelProto with a graph of nodes", m.has_graph() ? "a graph without nodes" : "no graph");
}

int Importer::check_opset(const onnx::ModelProto& m) const {
  int opset = 0;
  for (const auto& o : m.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") {
      if (o.version() < kMinOpset || o.version() > kMaxOpset)
        fail("unsupported opset", fmt::format("opset {} to {}", kMinOpset, kMaxOpset), std::to_string(o.version()));
      opset = static_cast<int>(o.version());
    }
  if (opset == 0) fail("no opset", fmt::format("an opset_import of the default domain, {} to {}", kMinOpset, kMaxOpset), "none");
  return opset;
}

Tensor Importer::read_tensor(const onnx::TensorProto& t, std::string_view what) const {
  const std::string where_t = fmt::format("{} {}", what, quote_token(t.name(), 80));
  if (t.data_location() == onnx::TensorProto::EXTERNAL || t.external_data_size() > 0)
    fail(fmt::format("{}: external data", where_t), "tensor data inside the .onnx file", "a reference to an external file");
  if (t.dims_size() > kMaxRank) fail(fmt::format("{}: too many dimensions", where_t), fmt::format("at most {}", kMaxRank), std::to_string(t.dims_size()));
  Tensor out;
  out.dims.assign(t.dims().begin(), t.dims().end());
  std::int64_t n = 0;
  if (!checked_product(out.dims, INT32_MAX, n))
    fail(fmt::format("{}: bad dimensions", where_t), "non-negative dimensions with at most 2147483647 elements", dims_str(out.dims, false));
  const auto count = static_cast<std::size_t>(n);
  const std::string& raw = t.raw_data();
  const bool has_raw = t.has_raw_data();
  const auto wrong_count = [&](std::size_t got) {
    fail(fmt::format("{}: data does not match the dimensions", where_t), fmt::format("{} values for {}", count, dims_str(out.dims, false)),
         fmt::format("{} values", got));
  };
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      if (has_raw) {
        if (raw.size() != count * 4) wrong_count(raw.size() / 4);
        out.f.resize(count);
        if (count) std::memcpy(out.f.data(), raw.data(), count * 4);  // little-endian, as x86 and ARM
      } else {
        if (static_cast<std::size_t>(t.float_data_size()) != count) wrong_count(static_cast<std::size_t>(t.float_data_size()));
        out.f.assign(t.float_data().begin(), t.float_data().end());
      }
      break;
    case onnx::TensorProto::DOUBLE: {
      std::vector<double> d;
      if (has_raw) {
        if (raw.size() != count * 8) wrong_count(raw.size() / 8);
        d.resize(count);
        if (count) std::memcpy(d.data(), raw.data(), count * 8);
      } else {
        if (static_cast<std::size_t>(t.double_data_size()) != count) wrong_count(static_cast<std::size_t>(t.double_data_size()));
        d.assign(t.double_data().begin(), t.double_data().end());
      }
      out.f.assign(d.begin(), d.end());  // rounded to float32, as model.npz's float64 arrays
      break;
    }
    case onnx::TensorProto::INT64:
      out.integer = true;
      if (has_raw) {
        if (raw.size() != count * 8) wrong_count(raw.size() / 8);
        out.i.resize(count);
        if (count) std::memcpy(out.i.data(), raw.data(), count * 8);
      } else {
        if (static_cast<std::size_t>(t.int64_data_size()) != count) wrong_count(static_cast<std::size_t>(t.int64_data_size()));
        out.i.assign(t.int64_data().begin(), t.int64_data().end());
      }
      break;
    case onnx::TensorProto::INT32:
      out.integer = true;
      if (has_raw) {
        if (raw.size() != count * 4) wrong_count(raw.size() / 4);
        std::vector<std::int32_t> v(count);
        if (count) std::memcpy(v.data(), raw.data(), count * 4);
        out.i.assign(v.begin(), v.end());
      } else {
        if (static_cast<std::size_t>(t.int32_data_size()) != count) wrong_count(static_cast<std::size_t>(t.int32_data_size()));
        out.i.assign(t.int32_data().begin(), t.int32_data().end());
      }
      break;
    default:
      fail(fmt::format("{}: unsupported data type", where_t), "float, double, int64 or int32", type_name(t.data_type()));
  }
  return out;
}

// The graph input: the one input that is not an initializer, float, (N, C), (N, C, L) or
// (N, C, H, W) with fixed sizes after the batch dimension.
void Importer::read_input(const onnx::GraphProto& g, const std::set<std::string>& inits) {
  std::vector<const onnx::ValueInfoProto*> inputs;
  for (const auto& in : g.input())
    if (!inits.count(in.name())) inputs.push_back(&in);
  if (inputs.size() != 1) {
    std::string names;
    for (const auto* in : inputs) names += (names.empty() ? "" : ", ") + quote_token(in->name(), 80);
    fail("wrong number of graph inputs",
         "one input besides initializers, the sequence (graphs with extra inputs, such as control tracks or a bias "
         "model's output, are not supported)",
         inputs.empty() ? std::string("none") : fmt::format("{}: {}", inputs.size(), names));
  }
  const onnx::ValueInfoProto& in = *inputs[0];
  const std::string where_in = fmt::format("graph input {}", quote_token(in.name(), 80));
  if (!in.has_type() || !in.type().has_tensor_type())
    fail(fmt::format("{}: not a tensor", where_in), "a float tensor", "another type");
  const auto& tt = in.type().tensor_type();
  if (tt.elem_type() != onnx::TensorProto::FLOAT)
    fail(fmt::format("{}: wrong element type", where_in), "float", type_name(tt.elem_type()));
  if (!tt.has_shape()) fail(fmt::format("{}: no shape", where_in), "(N, C, L), (N, C, H, W) or (N, C)", "an unknown shape");
  const int rank = tt.shape().dim_size();
  if (rank < 2 || rank > 4)
    fail(fmt::format("{}: wrong rank", where_in), "(N, C, L), (N, C, H, W) or (N, C)", fmt::format("{} dimensions", rank));
  std::vector<std::int64_t> dims;
  for (int d = 0; d < rank; ++d) {
    const auto& dim = tt.shape().dim(d);
    if (d == 0) {  // the batch: symbolic, or any fixed value
      if (dim.has_dim_value() && dim.dim_value() > 0) fixed_batch_ = dim.dim_value();
      continue;
    }
    if (!dim.has_dim_value())
      fail(fmt::format("{}: dimension {} cannot be resolved", where_in, d), "fixed sizes after the batch dimension",
           dim.has_dim_param() ? fmt::format("the symbol {}", quote_token(dim.dim_param())) : std::string("an unknown size"));
    if (dim.dim_value() < 1 || dim.dim_value() > INT32_MAX)
      fail(fmt::format("{}: bad dimension {}", where_in, d), "a size from 1 to 2147483647", std::to_string(dim.dim_value()));
    dims.push_back(dim.dim_value());
  }
  Shape s;
  s.c = static_cast<int>(dims[0]);
  if (rank == 3) s.w = static_cast<int>(dims[1]);
  if (rank == 4) s.h = static_cast<int>(dims[1]), s.w = static_cast<int>(dims[2]);
  if (!s.size_fits_int()) fail(fmt::format("{}: too large", where_in), "at most 2147483647 values per sample", dims_str(dims, true));
  input_name_ = in.name();
  acts_.push_back({s, -1});
  values_[in.name()] = act_value(0, dims);
}

Value Importer::act_value(int act, std::vector<std::int64_t> dims) const {
  Value v;
  v.kind = Kind::Act;
  v.act = act;
  v.dims = std::move(dims);
  return v;
}

const Value& Importer::value_of(const onnx::NodeProto& n, int k, std::string_view role) const {
  if (!has_input(n, k)) fail_node(fmt::format("missing input {} ({})", k, role), fmt::format("{} as input {}", role, k), "none");
  const auto it = values_.find(n.input(k));
  if (it == values_.end())
    fail_node(fmt::format("unknown input {}", quote_token(n.input(k), 80)),
              fmt::format("{}: an initializer, a Constant, the graph input or an earlier node's output", role), "a name nothing defines");
  return it->second;
}

// The message for a pattern value used where a plain activation was expected.
const Value& Importer::act_input(const onnx::NodeProto& n, int k) {
  const Value& v = value_of(n, k, "data");
  switch (v.kind) {
    case Kind::Act: return v;
    case Kind::Const:
      fail_node("constant input", "an activation (computed from the graph input)",
                fmt::format("the constant {}", quote_token(n.input(k), 80)));
    case Kind::Padded:
      fail_node("reads a Pad's output", "Pad only directly before a Conv (folded into its padding)",
                fmt::format("Pad followed by {}", n.op_type()));
    case Kind::Gelu:
      fail_node("reads a step of an unfinished GELU", "Div, Erf, Add and Mul only as x * 0.5 * (1 + erf(x / sqrt(2)))",
                fmt::format("{} inside that pattern", n.op_type()));
    case Kind::Final:
      fail_node(fmt::format("reads a {} output", v.op), fmt::format("{} only as the graph's last node", v.op),
                fmt::format("{} after it", n.op_type()));
    case Kind::Stale:
      fail_node("reads a MatMul output before its bias Add",
                "the MatMul's output used only by the Add that holds its bias", "a second use");
  }
  return v;
}

const Tensor& Importer::const_input(const onnx::NodeProto& n, int k, std::string_view role) const {
  const Value& v = value_of(n, k, role);
  if (v.kind != Kind::Const)
    fail_node(fmt::format("input {} ({}) is not a constant", k, role), "an initializer or a Constant",
              fmt::format("the activation {}", quote_token(n.input(k), 80)));
  return v.c;
}

std::vector<std::int64_t> Importer::ints_input(const onnx::NodeProto& n, int k, std::string_view role) const {
  const Tensor& t = const_input(n, k, role);
  if (!t.integer || t.dims.size() > 1)
    fail_node(fmt::format("bad input {} ({})", k, role), "a 1-D integer tensor",
              fmt::format("a {} tensor of shape {}", t.integer ? "integer" : "float", dims_str(t.dims, false)));
  return t.i;
}

const onnx::AttributeProto* Importer::attr(const onnx::NodeProto& n, std::string_view name, int type) const {
  for (const auto& a : n.attribute())
    if (a.name() == name) {
      if (a.type() != type && !(a.type() == onnx::AttributeProto::UNDEFINED))
        fail_node(fmt::format("attribute '{}' has the wrong type", name), attr_type_name(type), attr_type_name(a.type()));
      return &a;
    }
  return nullptr;
}

std::int64_t Importer::attr_int(const onnx::NodeProto& n, std::string_view name, std::int64_t fallback) const {
  const auto* a = attr(n, name, onnx::AttributeProto::INT);
  return a ? a->i() : fallback;
}

float Importer::attr_float(const onnx::NodeProto& n, std::string_view name, float fallback) const {
  const auto* a = attr(n, name, onnx::AttributeProto::FLOAT);
  return a ? a->f() : fallback;
}

std::string Importer::attr_string(const onnx::NodeProto& n, std::string_view name, std::string fallback) const {
  const auto* a = attr(n, name, onnx::AttributeProto::STRING);
  return a ? a->s() : fallback;
}

std::optional<std::vector<std::int64_t>> Importer::attr_ints(const onnx::NodeProto& n, std::string_view name) const {
  const auto* a = attr(n, name, onnx::AttributeProto::INTS);
  if (!a) return std::nullopt;
  if (a->ints_size() > 2 * kMaxRank)
    fail_node(fmt::format("attribute '{}' too long", name), fmt::format("at most {} values", 2 * kMaxRank), std::to_string(a->ints_size()));
  return std::vector<std::int64_t>(a->ints().begin(), a->ints().end());
}

int Importer::small_int(std::int64_t v, std::int64_t lo, std::string_view what) const {
  if (v < lo || v > INT32_MAX) fail_node(fmt::format("bad {}", what), fmt::format("an integer from {} to 2147483647", lo), std::to_string(v));
  return static_cast<int>(v);
}

void Importer::only_outputs(const onnx::NodeProto& n, int count) const {
  for (int k = count; k < n.output_size(); ++k)
    if (!n.output(k).empty())
      fail_node(fmt::format("output {} is used", k), fmt::format("only the first {} output(s) (inference)", count),
                quote_token(n.output(k), 80));
}

void Importer::set_output(const onnx::NodeProto& n, Value v) {
  if (n.output_size() < 1 || n.output(0).empty()) fail_node("no output", "an output name", "none");
  if (values_.count(n.output(0)))
    fail_node(fmt::format("output {} defined twice", quote_token(n.output(0), 80)), "each name assigned once (SSA)",
              "a second definition");
  v.op = n.op_type();
  values_[n.output(0)] = std::move(v);
}

// The layer name from a parameter's initializer name: "body.0.weight" -> "body.0" when the name
// ends in `suffix` and the rest is a layer name not used yet; empty otherwise (generated later).
std::string Importer::name_from(const onnx::NodeProto& n, int k, std::string_view suffix) const {
  if (!has_input(n, k)) return {};
  const std::string& full = n.input(k);
  if (full.size() <= suffix.size() || !full.ends_with(suffix)) return {};
  std::string name = full.substr(0, full.size() - suffix.size());
  if (!is_layer_name(name)) return {};
  for (const auto& l : layers_)
    if (l.name == name) return {};
  return name;
}

int Importer::emit(std::string name, std::string_view kind, std::string description,
                   std::vector<std::pair<std::string, std::vector<float>>> params, std::vector<int> inputs) {
  PendingLayer p;
  p.name = std::move(name);
  p.kind = kind;
  p.description = std::move(description);
  p.params = std::move(params);
  p.node = label_;
  p.hint = node_hint_;
  std::vector<Shape> ins;
  for (const int a : inputs) ins.push_back(acts_[static_cast<std::size_t>(a)].shape);
  p.inputs = inputs;
  Shape out;
  try {
    p.layer = parse_layer(p.name.empty() ? std::string(kind) : p.name, p.description);
    const auto* merge = dynamic_cast<const Merge*>(p.layer.get());
    LB_CHECK((merge != nullptr) == (inputs.size() > 1), "onnx import: {} with {} inputs", p.description, inputs.size());
    out = merge ? merge->merge_shape(ins) : p.layer->output_shape(ins[0]);
  } catch (const Error& e) {
    std::string_view msg = e.what();
    if (msg.starts_with("model.layers: ")) msg.remove_prefix(14);
    throw InputError(fmt::format("{}{}: {} as {}: {}", where(path_), label_, p.description, std::string(kind), msg));
  }
  // The declared parameter shapes against the arrays read (checked by the op; a mismatch here is ours).
  std::vector<Param> declared = p.layer->params();
  for (auto& b : p.layer->buffers()) declared.push_back(b);
  LB_CHECK(declared.size() == p.params.size(), "onnx import: {} declares {} parameters, {} read", p.description,
           declared.size(), p.params.size());
  for (std::size_t i = 0; i < declared.size(); ++i) {
    std::int64_t count = 0;
    checked_product(declared[i].torch_shape, INT32_MAX, count);
    LB_CHECK(declared[i].name == p.params[i].first && count == static_cast<std::int64_t>(p.params[i].second.size()),
             "onnx import: parameter {} of {}", declared[i].name, p.description);
  }
  for (const int a : inputs) ++acts_[static_cast<std::size_t>(a)].consumers;
  layers_.push_back(std::move(p));
  acts_.push_back({out, static_cast<int>(layers_.size()) - 1, 0});
  return static_cast<int>(acts_.size()) - 1;
}

// ---- Nodes ---------------------------------------------------------------------------------------

void Importer::node(const onnx::NodeProto& n) {
  const std::string& op = n.op_type();
  if (!n.domain().empty() && n.domain() != "ai.onnx")
    fail_node(fmt::format("operator of domain {}", quote_token(n.domain())), "an operator of the default ONNX domain",
              quote_token(n.domain()));
  if (op == "Constant") return op_constant(n);
  if (op == "Identity" || op == "Dropout") {
    if (op == "Dropout") {
      only_outputs(n, 1);
      if (has_input(n, 2)) {  // training_mode (opset 12+)
        const Tensor& t = const_input(n, 2, "training_mode");
        if (t.size() != 1 || t.at(0) != 0) fail_node("training mode", "training_mode false (inference)", "true");
      }
    }
    Value v = value_of(n, 0, "data");
    return set_output(n, std::move(v));
  }
  if (op == "Concat") {
    for (int k = 0; k < n.input_size(); ++k)
      if (value_of(n, k, "data").kind != Kind::Const) return op_concat(n);
    return op_fold(n);
  }
  if (op == "Shape" || op == "Gather" || op == "Unsqueeze" || op == "ConstantOfShape" || op == "Transpose" || op == "Cast")
    return op_fold(n);
  if ((op == "Add" || op == "Sub" || op == "Mul" || op == "Div") && value_of(n, 0, "A").kind == Kind::Const &&
      value_of(n, 1, "B").kind == Kind::Const)
    return op_arith(n);
  if (op == "Squeeze" || op == "Reshape" || op == "Flatten") {
    if (value_of(n, 0, "data").kind == Kind::Const) return op_fold(n);
    return op_reshape_like(n);
  }
  if (op == "Slice") {
    if (value_of(n, 0, "data").kind == Kind::Const) return op_fold(n);
    return op_slice(n);
  }
  if (op == "Sub")
    fail_node("Sub of an activation", "Sub only of two constants (shape arithmetic)",
              fmt::format("{} - {}", quote_token(n.input_size() > 0 ? n.input(0) : "", 80),
                          quote_token(n.input_size() > 1 ? n.input(1) : "", 80)));
  if (op == "Conv") return op_conv(n);
  if (op == "BatchNormalization") return op_batchnorm(n);
  if (op == "MaxPool") return op_pool(n, true);
  if (op == "AveragePool") return op_pool(n, false);
  if (op == "GlobalAveragePool") return op_global_pool(n, false, false);
  if (op == "GlobalMaxPool") return op_global_pool(n, true, false);
  if (op == "ReduceMean") return op_global_pool(n, false, true);
  if (op == "ReduceMax") return op_global_pool(n, true, true);
  if (op == "Gemm") return op_gemm(n);
  if (op == "MatMul") return op_matmul(n);
  if (op == "Add") return op_add(n);
  if (op == "Mul" || op == "Div") return op_muldiv(n);
  if (op == "Pad") return op_pad(n);
  if (op == "Erf") {
    const Value& v = value_of(n, 0, "data");
    if (v.kind != Kind::Gelu || v.stage != 1)
      fail_node("Erf outside GELU", "Erf only in x * 0.5 * (1 + erf(x / sqrt(2))) (torch's GELU)", "another use");
    Value w = v;
    w.stage = 2;
    return set_output(n, std::move(w));
  }
  // Elementwise layers and the output nonlinearities.
  static const std::map<std::string_view, std::pair<std::string_view, std::string_view>> kElementwise = {
      {"Relu", {"relu", "ReLU()"}}, {"Sigmoid", {"sigmoid", "Sigmoid()"}}, {"Tanh", {"tanh", "Tanh()"}},
      {"Softplus", {"softplus", "Softplus()"}}, {"Exp", {"exp", "Exp()"}}};
  if (const auto it = kElementwise.find(op); it != kElementwise.end()) {
    const Value& x = act_input(n, 0);
    std::vector<std::int64_t> dims = x.dims;
    const int a = emit("", it->second.first, std::string(it->second.second), {}, x.act);
    return set_output(n, act_value(a, std::move(dims)));
  }
  if (op == "Elu") {
    const Value& x = act_input(n, 0);
    const float alpha = attr_float(n, "alpha", 1.0f);
    if (!(alpha > 0) || !std::isfinite(alpha)) fail_node("bad alpha", "alpha > 0 (liftbench's ELU)", fmt::format("{}", alpha));
    std::vector<std::int64_t> dims = x.dims;
    const int a = emit("", "elu", fmt::format("ELU(alpha={})", float_to_short_double(alpha)), {}, x.act);
    return set_output(n, act_value(a, std::move(dims)));
  }
  if (op == "Softmax" || op == "LogSoftmax") {
    const Value& x = act_input(n, 0);
    const std::int64_t axis = attr_int(n, "axis", opset_ >= 13 ? -1 : 1);
    if (x.dims.size() != 1 || (axis != 1 && axis != -1))
      fail_node(fmt::format("{} over more than the outputs", op), "a flat (N, T) input and axis 1 or -1",
                fmt::format("input {} and axis {}", dims_str(x.dims, true), axis));
    Value v = x;
    v.kind = Kind::Final;
    return set_output(n, std::move(v));
  }
  std::vector<std::string_view> names(std::begin(kSupportedOps), std::end(kSupportedOps));
  fail_node("unsupported operator", fmt::format("one of {}", fmt::join(names, ", ")), quote_token(op, 40));
}

void Importer::op_constant(const onnx::NodeProto& n) {
  if (n.attribute_size() != 1)
    fail_node("bad Constant", "exactly one of value, value_float(s), value_int(s)", fmt::format("{} attributes", n.attribute_size()));
  const auto& a = n.attribute(0);
  Value v;
  if (a.name() == "value" && a.type() == onnx::AttributeProto::TENSOR) {
    v.c = read_tensor(a.t(), "Constant");
  } else if (a.name() == "value_float" && a.type() == onnx::AttributeProto::FLOAT) {
    v.c.f = {a.f()};
  } else if (a.name() == "value_int" && a.type() == onnx::AttributeProto::INT) {
    v.c.integer = true;
    v.c.i = {a.i()};
  } else if (a.name() == "value_floats" && a.type() == onnx::AttributeProto::FLOATS) {
    v.c.f.assign(a.floats().begin(), a.floats().end());
    v.c.dims = {static_cast<std::int64_t>(v.c.f.size())};
  } else if (a.name() == "value_ints" && a.type() == onnx::AttributeProto::INTS) {
    v.c = int_tensor(std::vector<std::int64_t>(a.ints().begin(), a.ints().end()));
  } else {
    fail_node("unsupported Constant", "value (a tensor), value_float(s) or value_int(s)", quote_token(a.name()));
  }
  set_output(n, std::move(v));
}

// Normalises an axis against `rank` (negative counts from the end); fails outside [-rank, rank).
int norm_axis(std::int64_t axis, std::size_t rank, bool& ok) {
  const auto r = static_cast<std::int64_t>(rank);
  ok = axis >= -r && axis < r;
  return ok ? static_cast<int>(axis < 0 ? axis + r : axis) : 0;
}

// Shape arithmetic on constants: Shape, Gather, Unsqueeze, Squeeze, Concat, ConstantOfShape,
// Reshape, Slice, Transpose, Cast. The results are small (kMaxFolded) and keep kBatch as data.
void Importer::op_fold(const onnx::NodeProto& n) {
  const std::string& op = n.op_type();
  const auto check_size = [&](const std::vector<std::int64_t>& dims) {
    std::int64_t count = 0;
    if (!checked_product(dims, kMaxFolded, count))
      fail_node("result too large", fmt::format("at most {} elements computed at import", kMaxFolded), dims_str(dims, false));
    return count;
  };
  const auto gather_elems = [](const Tensor& src, const std::vector<std::int64_t>& index, Tensor& dst) {
    dst.integer = src.integer;
    for (const auto k : index) {
      if (src.integer) dst.i.push_back(src.i[static_cast<std::size_t>(k)]);
      else dst.f.push_back(src.f[static_cast<std::size_t>(k)]);
    }
  };
  // Strides of a C-order tensor.
  const auto strides_of = [](const std::vector<std::int64_t>& dims) {
    std::vector<std::int64_t> s(dims.size(), 1);
    for (std::size_t d = dims.size(); d-- > 1;) s[d - 1] = s[d] * dims[d];
    return s;
  };
  Value out;
  if (op == "Shape") {
    const Value& v = value_of(n, 0, "data");
    std::vector<std::int64_t> shape;
    if (v.kind == Kind::Const) shape = v.c.dims;
    else {
      const Value& a = act_input(n, 0);
      shape.push_back(kBatch);
      shape.insert(shape.end(), a.dims.begin(), a.dims.end());
    }
    const auto r = static_cast<std::int64_t>(shape.size());
    std::int64_t start = attr_int(n, "start", 0), end = attr_int(n, "end", r);  // opset 15
    start = std::clamp(start < 0 ? start + r : start, std::int64_t{0}, r);
    end = std::clamp(end < 0 ? end + r : end, std::int64_t{0}, r);
    out.c = int_tensor(end > start ? std::vector<std::int64_t>(shape.begin() + start, shape.begin() + end)
                                   : std::vector<std::int64_t>{});
  } else if (op == "Gather") {
    const Tensor& data = const_input(n, 0, "data");
    const Tensor& idx = const_input(n, 1, "indices");
    if (data.dims.size() != 1 || !idx.integer || idx.dims.size() > 1)
      fail_node("unsupported Gather", "indices (a scalar or 1-D integer tensor) into a 1-D constant",
                fmt::format("data {} and indices {}", dims_str(data.dims, false), dims_str(idx.dims, false)));
    bool ok = false;
    norm_axis(attr_int(n, "axis", 0), 1, ok);
    if (!ok) fail_node("bad axis", "0 or -1 for 1-D data", std::to_string(attr_int(n, "axis", 0)));
    std::vector<std::int64_t> index;
    for (const auto k : idx.i) {
      bool in = false;
      index.push_back(norm_axis(k, static_cast<std::size_t>(data.dims[0]), in));
      if (!in) fail_node("index out of range", fmt::format("an index in [-{0}, {0})", data.dims[0]), std::to_string(k));
    }
    gather_elems(data, index, out.c);
    out.c.dims = idx.dims;
  } else if (op == "Unsqueeze" || op == "Squeeze") {
    const Tensor& data = const_input(n, 0, "data");
    std::optional<std::vector<std::int64_t>> axes = opset_ >= 13 ? std::nullopt : attr_ints(n, "axes");
    if (opset_ >= 13 && has_input(n, 1)) axes = ints_input(n, 1, "axes");
    out.c = data;
    if (op == "Unsqueeze") {
      if (!axes) fail_node("missing axes", "the axes to insert", "none");
      const std::size_t rank = data.dims.size() + axes->size();
      if (rank > kMaxRank) fail_node("too many dimensions", fmt::format("at most {}", kMaxRank), std::to_string(rank));
      std::vector<bool> inserted(rank, false);
      for (const auto a : *axes) {
        bool ok = false;
        const int k = norm_axis(a, rank, ok);
        if (!ok || inserted[static_cast<std::size_t>(k)]) fail_node("bad axes", fmt::format("distinct axes in [-{0}, {0})", rank), fmt::format("{}", fmt::join(*axes, ",")));
        inserted[static_cast<std::size_t>(k)] = true;
      }
      out.c.dims.clear();
      std::size_t src = 0;
      for (std::size_t d = 0; d < rank; ++d) out.c.dims.push_back(inserted[d] ? 1 : data.dims[src++]);
    } else {
      std::vector<bool> drop(data.dims.size(), false);
      if (axes) {
        for (const auto a : *axes) {
          bool ok = false;
          const int k = norm_axis(a, data.dims.size(), ok);
          if (!ok || data.dims[static_cast<std::size_t>(k)] != 1)
            fail_node("bad axes", "axes of size 1", fmt::format("{} for shape {}", fmt::join(*axes, ","), dims_str(data.dims, false)));
          drop[static_cast<std::size_t>(k)] = true;
        }
      } else {
        for (std::size_t d = 0; d < drop.size(); ++d) drop[d] = data.dims[d] == 1;
      }
      out.c.dims.clear();
      for (std::size_t d = 0; d < drop.size(); ++d)
        if (!drop[d]) out.c.dims.push_back(data.dims[d]);
    }
  } else if (op == "Concat") {
    if (n.input_size() < 1 || n.input_size() > 64) fail_node("bad Concat", "1 to 64 inputs", std::to_string(n.input_size()));
    std::vector<const Tensor*> parts;
    for (int k = 0; k < n.input_size(); ++k) parts.push_back(&value_of(n, k, "data").c);
    const Tensor& first = *parts[0];
    bool ok = false;
    const int axis = norm_axis(attr_int(n, "axis", 0), first.dims.size(), ok);
    if (!ok) fail_node("bad axis", fmt::format("an axis of the rank-{} inputs", first.dims.size()), std::to_string(attr_int(n, "axis", 0)));
    std::vector<std::int64_t> dims = first.dims;
    dims[static_cast<std::size_t>(axis)] = 0;
    for (const Tensor* t : parts) {
      bool same = t->dims.size() == first.dims.size() && t->integer == first.integer;
      for (std::size_t d = 0; same && d < dims.size(); ++d) same = static_cast<int>(d) == axis || t->dims[d] == first.dims[d];
      if (!same) fail_node("inputs do not fit", fmt::format("tensors like {} except along axis {}", dims_str(first.dims, false), axis),
                           dims_str(t->dims, false));
      dims[static_cast<std::size_t>(axis)] += t->dims[static_cast<std::size_t>(axis)];
    }
    check_size(dims);
    std::int64_t outer = 1;
    for (int d = 0; d < axis; ++d) outer *= dims[static_cast<std::size_t>(d)];
    out.c.integer = first.integer;
    out.c.dims = dims;
    for (std::int64_t o = 0; o < outer; ++o)
      for (const Tensor* t : parts) {
        const std::int64_t block = t->size() / outer;
        std::vector<std::int64_t> index;
        for (std::int64_t e = 0; e < block; ++e) index.push_back(o * block + e);
        gather_elems(*t, index, out.c);
      }
  } else if (op == "ConstantOfShape") {
    const std::vector<std::int64_t> shape = ints_input(n, 0, "shape");
    for (const auto d : shape)
      if (d == kBatch) fail_node("shape cannot be resolved", "a shape that does not depend on the batch size", dims_str(shape, false));
    const std::int64_t count = check_size(shape);
    Tensor fill;
    fill.f = {0.0f};
    if (const auto* a = attr(n, "value", onnx::AttributeProto::TENSOR)) fill = read_tensor(a->t(), "ConstantOfShape value");
    if (fill.size() != 1) fail_node("bad value", "a one-element tensor", fmt::format("{} elements", fill.size()));
    out.c.integer = fill.integer;
    out.c.dims = shape;
    if (fill.integer) out.c.i.assign(static_cast<std::size_t>(count), fill.i[0]);
    else out.c.f.assign(static_cast<std::size_t>(count), fill.f[0]);
  } else if (op == "Reshape" || op == "Flatten") {
    const Tensor& data = const_input(n, 0, "data");
    std::vector<std::int64_t> dims;
    if (op == "Flatten") {
      bool ok = false;
      const int axis = norm_axis(attr_int(n, "axis", 1), data.dims.size() + 1, ok);
      if (!ok) fail_node("bad axis", "an axis of the input", std::to_string(attr_int(n, "axis", 1)));
      std::int64_t a = 1, b = 1;
      for (std::size_t d = 0; d < data.dims.size(); ++d) (static_cast<int>(d) < axis ? a : b) *= data.dims[d];
      dims = {a, b};
    } else {
      dims = ints_input(n, 1, "shape");
      const bool allowzero = attr_int(n, "allowzero", 0) != 0;
      int infer = -1;
      std::int64_t known = 1;
      for (std::size_t d = 0; d < dims.size(); ++d) {
        if (dims[d] == 0 && !allowzero) {
          if (d >= data.dims.size()) fail_node("bad shape", "0 only where the input has that dimension", dims_str(dims, false));
          dims[d] = data.dims[d];
        }
        if (dims[d] == -1 && infer < 0) infer = static_cast<int>(d);
        else if (dims[d] < 0) fail_node("bad shape", "sizes >= 0 and at most one -1", dims_str(dims, false));
        else if (__builtin_mul_overflow(known, dims[d], &known) || known > kMaxFolded)
          fail_node("bad shape", fmt::format("at most {} elements", kMaxFolded), dims_str(dims, false));
      }
      if (infer >= 0) {
        if (known == 0 || data.size() % known != 0)
          fail_node("bad shape", fmt::format("a shape of {} elements", data.size()), dims_str(dims, false));
        dims[static_cast<std::size_t>(infer)] = data.size() / known;
      }
    }
    std::int64_t count = 0;
    if (!checked_product(dims, kMaxFolded, count) || count != data.size())
      fail_node("bad shape", fmt::format("a shape of {} elements", data.size()), dims_str(dims, false));
    out.c = data;
    out.c.dims = dims;
  } else if (op == "Transpose") {
    const Tensor& data = const_input(n, 0, "data");
    const std::size_t rank = data.dims.size();
    std::vector<std::int64_t> perm;
    if (const auto p = attr_ints(n, "perm")) perm = *p;
    else for (std::size_t d = rank; d-- > 0;) perm.push_back(static_cast<std::int64_t>(d));
    std::vector<bool> seen(rank, false);
    bool ok = perm.size() == rank;
    for (const auto p : perm) {
      ok = ok && p >= 0 && p < static_cast<std::int64_t>(rank) && !seen[static_cast<std::size_t>(p)];
      if (ok) seen[static_cast<std::size_t>(p)] = true;
    }
    if (!ok) fail_node("bad perm", fmt::format("a permutation of 0..{}", rank - 1), fmt::format("({})", fmt::join(perm, ",")));
    std::vector<std::int64_t> dims(rank);
    for (std::size_t d = 0; d < rank; ++d) dims[d] = data.dims[static_cast<std::size_t>(perm[d])];
    check_size(dims);
    const auto in_strides = strides_of(data.dims);
    std::vector<std::int64_t> index;
    std::vector<std::int64_t> pos(rank, 0);
    for (std::int64_t e = 0; e < data.size(); ++e) {
      std::int64_t src = 0;
      for (std::size_t d = 0; d < rank; ++d) src += pos[d] * in_strides[static_cast<std::size_t>(perm[d])];
      index.push_back(src);
      for (std::size_t d = rank; d-- > 0;) {  // next output position, C order
        if (++pos[d] < dims[d]) break;
        pos[d] = 0;
      }
    }
    gather_elems(data, index, out.c);
    out.c.dims = dims;
  } else if (op == "Slice") {
    const Tensor& data = const_input(n, 0, "data");
    const std::size_t rank = data.dims.size();
    std::vector<std::int64_t> starts, ends, axes, steps;
    if (opset_ >= 10 && has_input(n, 1)) {
      starts = ints_input(n, 1, "starts");
      ends = ints_input(n, 2, "ends");
      if (has_input(n, 3)) axes = ints_input(n, 3, "axes");
      if (has_input(n, 4)) steps = ints_input(n, 4, "steps");
    }
    if (axes.empty()) for (std::size_t d = 0; d < starts.size(); ++d) axes.push_back(static_cast<std::int64_t>(d));
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
      fail_node("bad Slice", "starts, ends, axes and steps of the same length", fmt::format("{}, {}, {}, {}", starts.size(), ends.size(), axes.size(), steps.size()));
    std::vector<std::int64_t> first(rank, 0), step(rank, 1), dims = data.dims;
    for (std::size_t k = 0; k < starts.size(); ++k) {
      bool ok = false;
      const auto d = static_cast<std::size_t>(norm_axis(axes[k], rank, ok));
      if (!ok) fail_node("bad axes", fmt::format("axes of a rank-{} tensor", rank), std::to_string(axes[k]));
      if (steps[k] == 0 || steps[k] == kBatch) fail_node("bad steps", "non-zero steps", std::to_string(steps[k]));
      const std::int64_t dim = data.dims[d];
      // ONNX's clamping: negative values count from the end; forward slices clamp to [0, dim],
      // backward ones start in [0, dim-1] and end in [-1, dim-1].
      const auto adj = [&](std::int64_t v) { return v < 0 ? v + dim : v; };
      std::int64_t s = starts[k], e = ends[k];
      if (dim == 0) {
        dims[d] = 0;
      } else if (steps[k] > 0) {
        s = std::clamp(adj(s), std::int64_t{0}, dim);
        e = std::clamp(adj(e), std::int64_t{0}, dim);
        dims[d] = e > s ? (e - s - 1) / steps[k] + 1 : 0;
      } else {
        s = std::clamp(adj(s), std::int64_t{0}, dim - 1);
        e = std::clamp(adj(e), std::int64_t{-1}, dim - 1);
        dims[d] = s > e ? (s - e - 1) / -steps[k] + 1 : 0;
      }
      first[d] = s;
      step[d] = steps[k];
    }
    check_size(dims);
    const auto in_strides = strides_of(data.dims);
    std::int64_t count = 0;
    checked_product(dims, kMaxFolded, count);
    std::vector<std::int64_t> index, pos(rank, 0);
    for (std::int64_t e = 0; e < count; ++e) {
      std::int64_t src = 0;
      for (std::size_t d = 0; d < rank; ++d) src += (first[d] + pos[d] * step[d]) * in_strides[d];
      index.push_back(src);
      for (std::size_t d = rank; d-- > 0;) {
        if (++pos[d] < dims[d]) break;
        pos[d] = 0;
      }
    }
    gather_elems(data, index, out.c);
    out.c.dims = dims;
  } else if (op == "Cast") {
    const Tensor& data = const_input(n, 0, "input");
    const std::int64_t to = attr_int(n, "to", 0);
    out.c.dims = data.dims;
    if (to == onnx::TensorProto::INT64 || to == onnx::TensorProto::INT32) {
      out.c.integer = true;
      if (data.integer) out.c.i = data.i;
      else
        for (const float v : data.f) {
          if (!(std::abs(v) < 9.2e18f)) fail_node("value out of range", "finite values that fit int64", fmt::format("{}", v));
          out.c.i.push_back(static_cast<std::int64_t>(v));
        }
    } else if (to == onnx::TensorProto::FLOAT || to == onnx::TensorProto::DOUBLE) {
      if (data.integer)
        for (const auto v : data.i) {
          if (v == kBatch) fail_node("shape cannot be resolved", "a value that does not depend on the batch size", "the batch size");
          out.c.f.push_back(static_cast<float>(v));
        }
      else out.c.f = data.f;
    } else {
      fail_node("unsupported Cast", "to float, double, int32 or int64", type_name(static_cast<int>(to)));
    }
  }
  set_output(n, std::move(out));
}

// A view of an activation as other ONNX dims without a layer, or with a Flatten layer: the only
// reshapes liftbench has are the identity and flattening (N, C, ...) to (N, C*...).
Value Importer::view_as(const Value& in, std::vector<std::int64_t> dims) {
  const Shape s = acts_[static_cast<std::size_t>(in.act)].shape;
  if (dims == in.dims) return in;
  if (dims.size() == 1 && dims[0] == s.size()) {
    if (s.h == 1 && s.w == 1) return act_value(in.act, std::move(dims));  // already flat: (C,1) -> (C)
    const int a = emit("", "flatten", "Flatten()", {}, in.act);
    return act_value(a, std::move(dims));
  }
  // Other views that keep liftbench's layout: (C) <-> (C,1) <-> (C,1,1) when flat.
  std::int64_t count = 0;
  if (s.h == 1 && s.w == 1 && !dims.empty() && dims[0] == s.c && checked_product(dims, INT32_MAX, count) && count == s.c)
    return act_value(in.act, std::move(dims));
  fail_node("unsupported reshape", fmt::format("flattening {} to {}", dims_str(in.dims, true), dims_str({s.size()}, true)),
            dims_str(dims, true));
}

// Squeeze, Reshape and Flatten of an activation.
void Importer::op_reshape_like(const onnx::NodeProto& n) {
  const std::string& op = n.op_type();
  const Value x = act_input(n, 0);
  std::vector<std::int64_t> dims;  // after the batch
  if (op == "Flatten") {
    const std::int64_t axis = attr_int(n, "axis", 1);
    if (axis != 1 && axis != -static_cast<std::int64_t>(x.dims.size()))
      fail_node("unsupported Flatten", "axis 1 (keeping the batch dimension)", std::to_string(axis));
    std::int64_t count = 1;
    for (const auto d : x.dims) count *= d;  // bounded: the activation's size fits an int
    dims = {count};
  } else if (op == "Squeeze") {
    std::optional<std::vector<std::int64_t>> axes = opset_ >= 13 ? std::nullopt : attr_ints(n, "axes");
    if (opset_ >= 13 && has_input(n, 1)) axes = ints_input(n, 1, "axes");
    if (!axes) fail_node("Squeeze without axes", "the axes to remove (never the batch)", "none");
    std::vector<bool> drop(x.dims.size(), false);
    for (const auto a : *axes) {
      bool ok = false;
      const int k = norm_axis(a, x.dims.size() + 1, ok);
      if (!ok || k == 0 || x.dims[static_cast<std::size_t>(k - 1)] != 1)
        fail_node("bad axes", "axes of size 1 after the batch", fmt::format("({}) for {}", fmt::join(*axes, ","), dims_str(x.dims, true)));
      drop[static_cast<std::size_t>(k - 1)] = true;
    }
    for (std::size_t d = 0; d < x.dims.size(); ++d)
      if (!drop[d]) dims.push_back(x.dims[d]);
  } else {  // Reshape: the first target dimension is the batch, the rest the sample's
    std::vector<std::int64_t> shape = ints_input(n, 1, "shape");
    const bool allowzero = attr_int(n, "allowzero", 0) != 0;
    const std::string shown = dims_str(shape, false);
    if (shape.empty() || shape.size() > kMaxRank) fail_node("bad shape", "(N, ...) with the batch first", shown);
    std::int64_t per_sample = 1;
    for (const auto d : x.dims) per_sample *= d;
    const std::int64_t first = shape[0];
    const bool batch_first = first == kBatch || (first == 0 && !allowzero) || (fixed_batch_ > 0 && first == fixed_batch_);
    if (!batch_first && first != -1)
      fail_node("shape cannot be resolved", "a shape starting with the batch size (N, 0 or -1)", shown);
    int infer = -1;
    std::int64_t known = 1;
    for (std::size_t d = 1; d < shape.size(); ++d) {
      std::int64_t v = shape[d];
      if (v == 0 && !allowzero) {
        if (d - 1 >= x.dims.size()) fail_node("bad shape", "0 only where the input has that dimension", shown);
        v = x.dims[d - 1];
      }
      if (v == -1 && infer < 0) infer = static_cast<int>(d - 1);
      else if (v < 1) fail_node("shape cannot be resolved", "sizes >= 1 after the batch and at most one -1", shown);
      else if (__builtin_mul_overflow(known, v, &known) || known > per_sample)
        fail_node("bad shape", fmt::format("{} values per sample", per_sample), shown);
      dims.push_back(v);
    }
    if (first == -1 && infer >= 0)
      fail_node("shape cannot be resolved", "at most one -1 (the batch size and one other size are both unknown)", shown);
    if (infer >= 0) {
      if (per_sample % known != 0) fail_node("bad shape", fmt::format("{} values per sample", per_sample), shown);
      dims[static_cast<std::size_t>(infer)] = per_sample / known;
    } else if (known != per_sample) {
      fail_node("bad shape", fmt::format("{} values per sample", per_sample), shown);
    }
  }
  set_output(n, view_as(x, std::move(dims)));
}

// Slice of an activation: the last axis only, step 1: a Crop1d.
void Importer::op_slice(const onnx::NodeProto& n) {
  const Value x = act_input(n, 0);
  if (opset_ < 10 || !has_input(n, 1)) fail_node("Slice without inputs", "starts and ends as inputs (opset 10+)", "none");
  const std::vector<std::int64_t> starts = ints_input(n, 1, "starts"), ends = ints_input(n, 2, "ends");
  std::vector<std::int64_t> axes = has_input(n, 3) ? ints_input(n, 3, "axes") : std::vector<std::int64_t>{};
  const std::vector<std::int64_t> steps = has_input(n, 4) ? ints_input(n, 4, "steps") : std::vector<std::int64_t>(starts.size(), 1);
  const std::size_t rank = x.dims.size() + 1;
  if (axes.empty()) for (std::size_t d = 0; d < starts.size(); ++d) axes.push_back(static_cast<std::int64_t>(d));
  bool ok = false;
  const int axis = starts.size() == 1 && ends.size() == 1 && axes.size() == 1 ? norm_axis(axes[0], rank, ok) : 0;
  const Shape s = acts_[static_cast<std::size_t>(x.act)].shape;
  if (!ok || axis != static_cast<int>(rank) - 1 || s.h != 1 || rank != 3 || steps.size() != 1 || steps[0] != 1)
    fail_node("unsupported Slice", "a slice of the last axis of (N, C, L) with step 1 (a crop)",
              fmt::format("axes ({}) steps ({}) of {}", fmt::join(axes, ","), fmt::join(steps, ","), dims_str(x.dims, true)));
  const std::int64_t L = x.dims.back();
  const auto clamp_pos = [&](std::int64_t v) { return std::clamp(v < 0 ? (v < -L ? 0 : v + L) : v, std::int64_t{0}, L); };
  const std::int64_t b = clamp_pos(starts[0]), e = clamp_pos(ends[0]);
  if (e <= b) fail_node("empty Slice", "a slice keeping at least one position", fmt::format("[{}, {}) of {}", starts[0], ends[0], L));
  if (b == 0 && e == L) return set_output(n, x);
  std::vector<std::int64_t> dims = x.dims;
  dims.back() = e - b;
  const int a = emit("", "crop", fmt::format("Crop1d(left={}, right={})", b, L - e), {}, x.act);
  set_output(n, act_value(a, std::move(dims)));
}

// Pad of an activation: zeros on the last axis only, folded into the next Conv; all-zero pads
// are the identity (torch writes one before every AveragePool).
void Importer::op_pad(const onnx::NodeProto& n) {
  const Value x = act_input(n, 0);
  const std::string mode = attr_string(n, "mode", "constant");
  if (mode != "constant") fail_node("unsupported Pad mode", "'constant' (zeros)", quote_token(mode));
  std::vector<std::int64_t> pads;
  if (opset_ >= 11) {
    pads = ints_input(n, 1, "pads");
    if (has_input(n, 2)) {
      const Tensor& v = const_input(n, 2, "constant_value");
      if (v.size() > 1 || (v.size() == 1 && v.at(0) != 0))
        fail_node("nonzero padding value", "zeros", v.size() == 1 ? fmt::format("{}", v.at(0)) : "several values");
    }
    if (has_input(n, 3)) fail_node("Pad with axes", "pads for every axis", "an axes input");
  }
  const std::size_t rank = x.dims.size() + 1;
  if (pads.size() != 2 * rank)
    fail_node("bad pads", fmt::format("{} values (begin and end of each of {} axes)", 2 * rank, rank), std::to_string(pads.size()));
  bool others_zero = true;
  for (std::size_t d = 0; d + 1 < rank; ++d) others_zero = others_zero && pads[d] == 0 && pads[rank + d] == 0;
  const std::int64_t left = pads[rank - 1], right = pads[2 * rank - 1];
  if (others_zero && left == 0 && right == 0) return set_output(n, x);
  const Shape s = acts_[static_cast<std::size_t>(x.act)].shape;
  if (!others_zero || rank != 3 || s.h != 1 || left < 0 || right < 0 || left > INT32_MAX || right > INT32_MAX)
    fail_node("unsupported Pad", "non-negative zero padding of the last axis of (N, C, L), directly before a Conv",
              fmt::format("pads ({}) of {}", fmt::join(pads, ","), dims_str(x.dims, true)));
  Value v = x;
  v.kind = Kind::Padded;
  v.left = static_cast<int>(left);
  v.right = static_cast<int>(right);
  set_output(n, std::move(v));
}

void Importer::op_conv(const onnx::NodeProto& n) {
  only_outputs(n, 1);
  const Value& xin = value_of(n, 0, "X");
  int extra_left = 0, extra_right = 0;
  Value x;
  if (xin.kind == Kind::Padded) {
    x = xin;
    x.kind = Kind::Act;
    extra_left = xin.left, extra_right = xin.right;
  } else {
    x = act_input(n, 0);
  }
  const Tensor& w = const_input(n, 1, "W");
  if (w.integer || (w.dims.size() != 3 && w.dims.size() != 4))
    fail_node("bad weight", "a float (F, C, K) or (F, C, KH, KW) tensor", dims_str(w.dims, false));
  const bool two_d = w.dims.size() == 4;
  const int spatial = two_d ? 2 : 1;
  const Shape s = acts_[static_cast<std::size_t>(x.act)].shape;
  if (static_cast<int>(x.dims.size()) != 1 + spatial)
    fail_node("input does not fit the weight", fmt::format("a (N, C{}) input for a {}-D weight", two_d ? ", H, W" : ", L", spatial),
              dims_str(x.dims, true));
  const std::int64_t group = attr_int(n, "group", 1);
  if (group != 1) fail_node("grouped convolution", "group=1", fmt::format("group={}", group));
  if (w.dims[1] != s.c)
    fail_node("weight does not fit the input", fmt::format("{} input channels (weight (F, {}, ...))", s.c, s.c), dims_str(w.dims, false));
  std::vector<std::int64_t> kernel(w.dims.begin() + 2, w.dims.end());
  if (const auto k = attr_ints(n, "kernel_shape"); k && *k != kernel)
    fail_node("kernel_shape does not match the weight", dims_str(kernel, false), dims_str(*k, false));
  const auto list = [&](std::string_view name, std::int64_t fallback, std::size_t count) {
    std::vector<std::int64_t> v = attr_ints(n, name).value_or(std::vector<std::int64_t>(count, fallback));
    if (v.size() != count) fail_node(fmt::format("bad {}", name), fmt::format("{} values", count), std::to_string(v.size()));
    return v;
  };
  const auto strides = list("strides", 1, static_cast<std::size_t>(spatial));
  const auto dilations = list("dilations", 1, static_cast<std::size_t>(spatial));
  auto pads = list("pads", 0, 2 * static_cast<std::size_t>(spatial));
  const std::string auto_pad = attr_string(n, "auto_pad", "NOTSET");
  const int F = small_int(w.dims[0], 1, "output channels");
  std::vector<float> bias(static_cast<std::size_t>(F), 0.0f);
  if (has_input(n, 2)) {
    const Tensor& b = const_input(n, 2, "B");
    if (b.integer || b.dims.size() != 1 || b.dims[0] != F)
      fail_node("bad bias", fmt::format("a float ({}) tensor", F), dims_str(b.dims, false));
    bias = b.f;
  }
  std::string name = name_from(n, 1, ".weight");
  if (!two_d) {
    const int K = small_int(kernel[0], 1, "kernel size");
    const int stride = small_int(strides[0], 1, "stride");
    const int dil = small_int(dilations[0], 1, "dilation");
    if (!product_fits_int({dil, K})) fail_node("bad dilation", "dilation * kernel <= 2147483647", fmt::format("{} * {}", dil, K));
    const std::int64_t L = x.dims[1], span = std::int64_t{dil} * (K - 1);
    std::int64_t left = pads[0], right = pads[1];
    if (auto_pad == "VALID") left = right = 0;
    else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      // Output ceil(L / stride); the total padding split evenly, the odd one at the end (UPPER)
      // or the beginning (LOWER).
      const std::int64_t out = (L + stride - 1) / stride;
      const std::int64_t total = std::max<std::int64_t>((out - 1) * stride + span + 1 - L, 0);
      left = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      right = total - left;
    } else if (auto_pad != "NOTSET") {
      fail_node("bad auto_pad", "NOTSET, VALID, SAME_UPPER or SAME_LOWER", quote_token(auto_pad));
    }
    if (left < 0 || right < 0) fail_node("bad pads", "non-negative pads", fmt::format("({},{})", left, right));
    left += extra_left, right += extra_right;
    if (left > span || right > span)
      fail_node("padding wider than the kernel", fmt::format("at most dilation * (kernel - 1) = {} on each side (liftbench's Conv1d)", span),
                fmt::format("({},{})", left, right));
    std::string desc = fmt::format("Conv1d(in={}, out={}, kernel={}, stride={}", s.c, F, K, stride);
    if (left || right) desc += fmt::format(", padding=({},{})", left, right);
    if (dil != 1) desc += fmt::format(", dilation={}", dil);
    desc += ")";
    const int a = emit(std::move(name), "conv1d", std::move(desc), {{"weight", w.f}, {"bias", std::move(bias)}}, x.act);
    return set_output(n, act_value(a, {F, acts_[static_cast<std::size_t>(a)].shape.w}));
  }
  if (extra_left || extra_right) fail_node("Pad before a 2-D Conv", "Pad only before a 1-D Conv", "a 2-D Conv");
  if (std::any_of(pads.begin(), pads.end(), [](std::int64_t p) { return p != 0; }) ||
      (auto_pad != "NOTSET" && auto_pad != "VALID"))
    fail_node("padded 2-D convolution", "pads 0 (liftbench's Conv2d has no padding)",
              auto_pad == "NOTSET" || auto_pad == "VALID" ? fmt::format("pads ({})", fmt::join(pads, ",")) : quote_token(auto_pad));
  if (dilations[0] != 1 || dilations[1] != 1)
    fail_node("dilated 2-D convolution", "dilations (1,1)", fmt::format("({},{})", dilations[0], dilations[1]));
  const int kh = small_int(kernel[0], 1, "kernel size"), kw = small_int(kernel[1], 1, "kernel size");
  const int sh = small_int(strides[0], 1, "stride"), sw = small_int(strides[1], 1, "stride");
  const int a = emit(std::move(name), "conv2d",
                     fmt::format("Conv2d(in={}, out={}, kernel=({},{}), stride=({},{}))", s.c, F, kh, kw, sh, sw),
                     {{"weight", w.f}, {"bias", std::move(bias)}}, x.act);
  const Shape o = acts_[static_cast<std::size_t>(a)].shape;
  set_output(n, act_value(a, {o.c, o.h, o.w}));
}

void Importer::op_batchnorm(const onnx::NodeProto& n) {
  only_outputs(n, 1);
  const Value x = act_input(n, 0);
  if (attr_int(n, "training_mode", 0) != 0) fail_node("training mode", "training_mode 0 (inference)", "1");
  const int C = acts_[static_cast<std::size_t>(x.act)].shape.c;
  const char* roles[] = {"scale", "B", "input_mean", "input_var"};
  std::vector<std::vector<float>> v;
  for (int k = 1; k <= 4; ++k) {
    const Tensor& t = const_input(n, k, roles[k - 1]);
    if (t.integer || t.dims.size() != 1 || t.dims[0] != C)
      fail_node(fmt::format("bad {}", roles[k - 1]), fmt::format("a float ({}) tensor (one value per channel)", C), dims_str(t.dims, false));
    v.push_back(t.f);
  }
  const float eps = attr_float(n, "epsilon", 1e-5f), momentum = attr_float(n, "momentum", 0.9f);
  if (!(eps > 0) || !std::isfinite(eps)) fail_node("bad epsilon", "a number > 0", fmt::format("{}", eps));
  if (!(momentum >= 0 && momentum <= 1)) fail_node("bad momentum", "a number in [0, 1]", fmt::format("{}", momentum));
  for (const float var : v[3])
    if (!(var + eps > 0)) fail_node("bad input_var", "variances with var + epsilon > 0", fmt::format("{}", var));
  std::string name = name_from(n, 1, ".weight");
  if (name.empty()) name = name_from(n, 3, ".running_mean");
  // ONNX's momentum weighs the running value, PyTorch's the batch value: theirs is 1 - ours.
  const double torch_momentum = float_to_short_double(static_cast<float>(1.0 - float_to_short_double(momentum)));
  const std::string desc =
      fmt::format("BatchNorm1d(channels={}, eps={}, momentum={})", C, float_to_short_double(eps), torch_momentum);
  std::vector<std::int64_t> dims = x.dims;
  const int a = emit(std::move(name), "batchnorm", desc,
                     {{"weight", v[0]}, {"bias", v[1]}, {"running_mean", v[2]}, {"running_var", v[3]}}, x.act);
  set_output(n, act_value(a, std::move(dims)));
}

void Importer::op_pool(const onnx::NodeProto& n, bool max) {
  only_outputs(n, 1);
  const Value x = act_input(n, 0);
  const Shape s = acts_[static_cast<std::size_t>(x.act)].shape;
  if (x.dims.size() != 2 || s.h != 1)
    fail_node("pooling of a 2-D input", "a 1-D (N, C, L) input (liftbench pools in 1-D)", dims_str(x.dims, true));
  const auto kernel = attr_ints(n, "kernel_shape");
  if (!kernel || kernel->size() != 1) fail_node("bad kernel_shape", "one value", kernel ? std::to_string(kernel->size()) + " values" : "none");
  const int k = small_int((*kernel)[0], 1, "kernel size");
  const auto strides = attr_ints(n, "strides").value_or(std::vector<std::int64_t>{1});
  if (strides.size() != 1) fail_node("bad strides", "one value", fmt::format("{} values", strides.size()));
  const int stride = small_int(strides[0], 1, "stride");
  auto pads = attr_ints(n, "pads").value_or(std::vector<std::int64_t>{0, 0});
  const std::string auto_pad = attr_string(n, "auto_pad", "NOTSET");
  if (auto_pad == "VALID") pads = {0, 0};
  else if (auto_pad != "NOTSET") fail_node("unsupported auto_pad", "NOTSET or VALID", quote_token(auto_pad));
  if (pads.size() != 2) fail_node("bad pads", "two values", fmt::format("{} values", pads.size()));
  if (attr_int(n, "ceil_mode", 0) != 0) fail_node("ceil_mode", "ceil_mode 0 (floor, PyTorch's default)", "1");
  if (const auto d = attr_ints(n, "dilations"); d && (d->size() != 1 || (*d)[0] != 1))
    fail_node("dilated pooling", "dilations (1)", fmt::format("({})", fmt::join(*d, ",")));
  if (pads[0] != pads[1])
    fail_node("asymmetric pads", "the same padding at both ends", fmt::format("({},{})", pads[0], pads[1]));
  if (max) {
    if (pads[0] < 0 || 2 * pads[0] > k) fail_node("bad pads", fmt::format("from 0 to half the kernel ({})", k / 2), std::to_string(pads[0]));
    const std::string desc = pads[0] ? fmt::format("MaxPool1d(kernel={}, stride={}, padding={})", k, stride, pads[0])
                                     : fmt::format("MaxPool1d(kernel={}, stride={})", k, stride);
    const int a = emit("", "maxpool", desc, {}, x.act);
    return set_output(n, act_value(a, {s.c, acts_[static_cast<std::size_t>(a)].shape.w}));
  }
  if (pads[0] != 0) fail_node("padded average pooling", "pads 0 (liftbench's AvgPool1d has no padding)", fmt::format("({},{})", pads[0], pads[1]));
  const int a = emit("", "avgpool", fmt::format("AvgPool1d(kernel={}, stride={})", k, stride), {}, x.act);
  set_output(n, act_value(a, {s.c, acts_[static_cast<std::size_t>(a)].shape.w}));
}

// GlobalAveragePool / GlobalMaxPool, and ReduceMean / ReduceMax over all spatial axes.
void Importer::op_global_pool(const onnx::NodeProto& n, bool max, bool reduce) {
  const Value x = act_input(n, 0);
  const std::size_t rank = x.dims.size() + 1;
  bool keep = true;
  if (reduce) {
    std::optional<std::vector<std::int64_t>> axes = attr_ints(n, "axes");
    if (!axes && has_input(n, 1)) axes = ints_input(n, 1, "axes");  // ReduceMean takes them as input from opset 18
    std::set<int> got;
    for (const auto a : axes.value_or(std::vector<std::int64_t>{})) {
      bool ok = false;
      got.insert(norm_axis(a, rank, ok));
      if (!ok) got.insert(-1);
    }
    std::set<int> spatial;
    for (std::size_t d = 2; d < rank; ++d) spatial.insert(static_cast<int>(d));
    if (spatial.empty() || got != spatial)
      fail_node(fmt::format("{} over other axes", n.op_type()),
                fmt::format("the spatial axes of {} (axes=[-1] for x.{}(-1))", dims_str(x.dims, true), max ? "amax" : "mean"),
                axes ? fmt::format("axes ({})", fmt::join(*axes, ",")) : std::string("all axes"));
    keep = attr_int(n, "keepdims", 1) != 0;
  } else if (rank < 3) {
    fail_node("global pooling of a flat input", "an (N, C, L) or (N, C, H, W) input", dims_str(x.dims, true));
  }
  const int a = emit("", max ? "gmp" : "gap", max ? "GlobalMaxPool()" : "GlobalAvgPool()", {}, x.act);
  std::vector<std::int64_t> dims{x.dims[0]};
  if (keep) dims.resize(rank - 1, 1);
  set_output(n, act_value(a, std::move(dims)));
}

void Importer::op_gemm(const onnx::NodeProto& n) {
  const Value x = act_input(n, 0);
  const Shape s = acts_[static_cast<std::size_t>(x.act)].shape;
  if (x.dims.size() != 1)
    fail_node("Gemm of a non-flat input", "a flat (N, F) input (Flatten first)", dims_str(x.dims, true));
  if (attr_int(n, "transA", 0) != 0) fail_node("transA", "transA 0", "1");
  const bool transB = attr_int(n, "transB", 0) != 0;
  const float alpha = attr_float(n, "alpha", 1.0f), beta = attr_float(n, "beta", 1.0f);
  if (!std::isfinite(alpha) || !std::isfinite(beta)) fail_node("bad alpha or beta", "finite numbers", fmt::format("{} and {}", alpha, beta));
  const Tensor& b = const_input(n, 1, "B");
  if (b.integer || b.dims.size() != 2) fail_node("bad B", "a float 2-D tensor", dims_str(b.dims, false));
  const std::int64_t out = transB ? b.dims[0] : b.dims[1], in = transB ? b.dims[1] : b.dims[0];
  if (in != s.c)
    fail_node("B does not fit the input", fmt::format("{} input features ({})", s.c, transB ? "B is (out, in)" : "B is (in, out)"),
              dims_str(b.dims, false));
  const int outs = small_int(out, 1, "output features");
  // PyTorch's (out, in) layout, alpha folded in.
  std::vector<float> w(static_cast<std::size_t>(out * in));
  for (std::int64_t o = 0; o < out; ++o)
    for (std::int64_t i = 0; i < in; ++i)
      w[static_cast<std::size_t>(o * in + i)] = alpha * b.f[static_cast<std::size_t>(transB ? o * in + i : i * out + o)];
  std::vector<float> bias(static_cast<std::size_t>(out), 0.0f);
  if (has_input(n, 2)) {
    const Tensor& c = const_input(n, 2, "C");
    const bool row = (c.dims.size() == 1 && c.dims[0] == out) || (c.dims.size() == 2 && c.dims[0] == 1 && c.dims[1] == out);
    const bool scalar = c.size() == 1 && c.dims.size() <= 2;
    if (c.integer || !(row || scalar))
      fail_node("bad C", fmt::format("a float ({}) or (1, {}) bias", out, out), dims_str(c.dims, false));
    for (std::int64_t o = 0; o < out; ++o) bias[static_cast<std::size_t>(o)] = beta * c.f[static_cast<std::size_t>(row ? o : 0)];
  }
  const int a = emit(name_from(n, 1, ".weight"), "dense", fmt::format("Linear(in={}, out={})", in, outs),
                     {{"weight", std::move(w)}, {"bias", std::move(bias)}}, x.act);
  set_output(n, act_value(a, {out}));
}

// MatMul(x, W) with W (in, out): a dense layer without bias; an Add of a constant right after sets it.
void Importer::op_matmul(const onnx::NodeProto& n) {
  const Value x = act_input(n, 0);
  const Shape s = acts_[static_cast<std::size_t>(x.act)].shape;
  if (x.dims.size() != 1) fail_node("MatMul of a non-flat input", "a flat (N, F) input (Flatten first)", dims_str(x.dims, true));
  const Tensor& b = const_input(n, 1, "B");
  if (b.integer || b.dims.size() != 2 || b.dims[0] != s.c)
    fail_node("bad B", fmt::format("a float ({}, out) tensor", s.c), dims_str(b.dims, false));
  const std::int64_t in = b.dims[0], out = b.dims[1];
  const int outs = small_int(out, 1, "output features");
  std::vector<float> w(static_cast<std::size_t>(out * in));
  for (std::int64_t o = 0; o < out; ++o)
    for (std::int64_t i = 0; i < in; ++i) w[static_cast<std::size_t>(o * in + i)] = b.f[static_cast<std::size_t>(i * out + o)];
  const int a = emit(name_from(n, 1, ".weight"), "dense", fmt::format("Linear(in={}, out={})", in, outs),
                     {{"weight", std::move(w)}, {"bias", std::vector<float>(static_cast<std::size_t>(out), 0.0f)}}, x.act);
  layers_.back().open_bias = true;
  set_output(n, act_value(a, {out}));
}

bool is_scalar_near(const Value& v, double want, double tol) {
  return v.kind == Kind::Const && !v.c.integer && v.c.size() == 1 && std::abs(v.c.at(0) - want) <= tol;
}

// Add: a residual connection (two activations of one shape), a MatMul's bias, or GELU's
// 1 + erf(...).
void Importer::op_add(const onnx::NodeProto& n) {
  const Value& a = value_of(n, 0, "A");
  const Value& b = value_of(n, 1, "B");
  const bool a_const = a.kind == Kind::Const;
  const Value& v = a_const ? b : a;
  const Value& c = a_const ? a : b;
  if (v.kind == Kind::Gelu && v.stage == 2 && is_scalar_near(c, 1.0, 1e-6)) {
    Value w = v;
    w.stage = 3;
    return set_output(n, std::move(w));
  }
  if (v.kind == Kind::Act && c.kind == Kind::Const && acts_[static_cast<std::size_t>(v.act)].layer >= 0) {
    PendingLayer& l = layers_[static_cast<std::size_t>(acts_[static_cast<std::size_t>(v.act)].layer)];
    // Only while nothing has read the MatMul's output: what read it saw no bias.
    if (l.open_bias && acts_[static_cast<std::size_t>(v.act)].consumers == 0) {
      const std::int64_t out = v.dims[0];
      const bool row = (c.c.dims.size() == 1 && c.c.dims[0] == out) || (c.c.dims.size() == 2 && c.c.dims[0] == 1 && c.c.dims[1] == out);
      if (c.c.integer || !row) fail_node("bad bias", fmt::format("a float ({}) tensor", out), dims_str(c.c.dims, false));
      l.params[1].second = c.c.f;
      l.open_bias = false;
      const std::string matmul_out = a_const ? n.input(1) : n.input(0);
      Value result = act_value(v.act, v.dims);
      values_[matmul_out].kind = Kind::Stale;  // the name now means the output without the bias
      return set_output(n, std::move(result));
    }
  }
  if (a.kind == Kind::Act && b.kind == Kind::Act) {
    if (a.dims != b.dims)
      fail_node("Add of activations of different shapes", "two activations of one shape (no broadcasting)",
                fmt::format("{} and {}", dims_str(a.dims, true), dims_str(b.dims, true)));
    std::vector<std::int64_t> dims = a.dims;
    const int act = emit("", "add", "Add()", {}, std::vector<int>{a.act, b.act});
    return set_output(n, act_value(act, std::move(dims)));
  }
  if (a.kind != Kind::Const && b.kind != Kind::Const) act_input(n, a.kind == Kind::Act ? 1 : 0);  // names the pattern
  fail_node("unsupported Add", "a residual Add of two activations, the bias of a MatMul or a step of GELU",
            "an Add of an activation and a constant");
}

// Add, Sub, Mul and Div of two constants (shape arithmetic: torch computes a slice's end as
// Shape(x)[2] - k), elementwise, a one-element operand broadcast. Integer division truncates.
void Importer::op_arith(const onnx::NodeProto& n) {
  const std::string& op = n.op_type();
  const Tensor& a = const_input(n, 0, "A");
  const Tensor& b = const_input(n, 1, "B");
  if (a.integer != b.integer) fail_node("mixed types", "two integer or two float constants", "an integer and a float one");
  if (a.size() != b.size() && a.size() != 1 && b.size() != 1)
    fail_node("shapes do not broadcast", "equal shapes or a one-element operand",
              fmt::format("{} and {}", dims_str(a.dims, false), dims_str(b.dims, false)));
  Value out;
  out.c.integer = a.integer;
  out.c.dims = a.size() >= b.size() ? a.dims : b.dims;
  const std::int64_t count = std::max(a.size(), b.size());
  for (std::int64_t k = 0; k < count; ++k) {
    const std::int64_t i = a.size() == 1 ? 0 : k, j = b.size() == 1 ? 0 : k;
    if (a.integer) {
      const std::int64_t x = a.i[static_cast<std::size_t>(i)], y = b.i[static_cast<std::size_t>(j)];
      if (x == kBatch || y == kBatch)
        fail_node("shape cannot be resolved", "arithmetic on sizes that do not depend on the batch size", "the batch size");
      std::int64_t r = 0;
      const bool overflow = op == "Add"   ? __builtin_add_overflow(x, y, &r)
                            : op == "Sub" ? __builtin_sub_overflow(x, y, &r)
                            : op == "Mul" ? __builtin_mul_overflow(x, y, &r)
                                          : (y == 0 || (x == INT64_MIN && y == -1));
      if (overflow) fail_node("integer overflow or division by zero", "values that fit int64", fmt::format("{} {} {}", x, op, y));
      out.c.i.push_back(op == "Div" ? x / y : r);
    } else {
      const float x = a.f[static_cast<std::size_t>(i)], y = b.f[static_cast<std::size_t>(j)];
      out.c.f.push_back(op == "Add" ? x + y : op == "Sub" ? x - y : op == "Mul" ? x * y : x / y);
    }
  }
  set_output(n, std::move(out));
}

// Concat of activations along the channels (axis 1): heads of equal spatial shape, or flat ones.
void Importer::op_concat(const onnx::NodeProto& n) {
  if (n.input_size() < 2 || n.input_size() > 64) fail_node("bad Concat", "2 to 64 inputs", std::to_string(n.input_size()));
  std::vector<int> inputs;
  std::vector<std::int64_t> dims, first;
  for (int k = 0; k < n.input_size(); ++k) {
    const Value& v = value_of(n, k, "data");
    if (v.kind == Kind::Const)
      fail_node("Concat of an activation and a constant", "activations only (or constants only)",
                fmt::format("the constant {}", quote_token(n.input(k), 80)));
    const Value& x = act_input(n, k);
    if (k == 0) {
      dims = first = x.dims;
      bool ok = false;
      const int axis = norm_axis(attr_int(n, "axis", 0), x.dims.size() + 1, ok);
      if (!ok || axis != 1)
        fail_node("Concat along another axis", "axis 1 (the channels)", std::to_string(attr_int(n, "axis", 0)));
    } else {
      if (x.dims.size() != first.size() || !std::equal(x.dims.begin() + 1, x.dims.end(), first.begin() + 1))
        fail_node("inputs of different shapes", fmt::format("the positions of the first input, {}", dims_str(first, true)),
                  dims_str(x.dims, true));
      dims[0] += x.dims[0];
    }
    inputs.push_back(x.act);
  }
  const int act = emit("", "concat", "Concat()", {}, inputs);
  set_output(n, act_value(act, std::move(dims)));
}

// Mul and Div: the steps of torch's GELU, x * (1 + erf(x / sqrt(2))) * 0.5 (operands in any order).
void Importer::op_muldiv(const onnx::NodeProto& n) {
  const bool div = n.op_type() == "Div";
  const Value& a = value_of(n, 0, "A");
  const Value& b = value_of(n, 1, "B");
  const auto step = [&](const Value& from, int stage) {
    Value w = from;
    w.kind = Kind::Gelu;
    w.stage = stage;
    set_output(n, std::move(w));
  };
  if (div) {
    if (a.kind == Kind::Act && is_scalar_near(b, std::sqrt(2.0), 1e-5)) return step(a, 1);
  } else {
    for (const auto& [x, y] : {std::pair<const Value*, const Value*>{&a, &b}, {&b, &a}}) {
      if (x->kind == Kind::Act && is_scalar_near(*y, std::sqrt(0.5), 1e-6)) return step(*x, 1);
      if (x->kind == Kind::Act && y->kind == Kind::Gelu && y->stage == 3 && y->act == x->act && y->dims == x->dims)
        return step(*x, 4);
      if (x->kind == Kind::Gelu && x->stage == 4 && is_scalar_near(*y, 0.5, 1e-7)) {
        const Value xv = *x;
        const int act = emit("", "gelu", "GELU()", {}, xv.act);
        return set_output(n, act_value(act, xv.dims));
      }
    }
  }
  fail_node(fmt::format("unsupported {}", n.op_type()), "Mul and Div only in x * 0.5 * (1 + erf(x / sqrt(2))) (torch's GELU)",
            "another use");
}

// Several graph outputs (BPNet's profile and counts): each the output of a layer, named by a
// valid head name; a final Heads layer stacks them, and the network's output is linear.
void Importer::finish_heads(const onnx::GraphProto& g) {
  if (output_ && *output_ != OutputKind::Linear)
    fail(fmt::format("{} graph outputs for --output {}", g.output_size(), output_name(*output_)),
         "--output linear (or none) for a graph with several outputs (its heads)", output_name(*output_));
  if (g.output_size() > 64) fail("too many graph outputs", "at most 64 heads", std::to_string(g.output_size()));
  std::vector<int> acts;
  std::vector<std::string> names;
  for (int k = 0; k < g.output_size(); ++k) {
    const std::string& name = g.output(k).name();
    const std::string label = fmt::format("graph output {}", quote_token(name, 80));
    const auto it = values_.find(name);
    if (it == values_.end()) fail(fmt::format("{} is never computed", label), "the output of a node", "no such node output");
    const Value& v = it->second;
    if (v.kind == Kind::Final)
      fail(fmt::format("{} is a {}", label, v.op), "heads of logits (a graph with several outputs ends in no Softmax)",
           fmt::format("a final {}", v.op));
    if (v.kind != Kind::Act || v.act == 0)
      fail(fmt::format("{} is not a layer's output", label), "the output of a layer",
           v.act == 0 && v.kind == Kind::Act ? "the graph input" : v.kind == Kind::Const ? "a constant" : "an unfinished pattern");
    if (!is_layer_name(name) || name == "input")
      fail(fmt::format("{} is no head name", label), "[A-Za-z0-9_] names joined by dots, other than input",
           quote_token(name, 80));
    if (std::find(names.begin(), names.end(), name) != names.end())
      fail(fmt::format("{} twice", label), "distinct graph outputs", quote_token(name, 80));
    if (std::find(acts.begin(), acts.end(), v.act) != acts.end())
      fail(fmt::format("{} is another output's tensor", label), "one layer's output per head", quote_token(name, 80));
    acts.push_back(v.act);
    names.push_back(name);
  }
  const int act = emit("", "heads", fmt::format("Heads(names=({}))", fmt::join(names, ",")), {}, acts);
  Value out = act_value(act, {acts_[static_cast<std::size_t>(act)].shape.c});
  values_[g.output(g.output_size() - 1).name()] = std::move(out);
  output_ = OutputKind::Linear;
}

Network Importer::finish(const onnx::GraphProto& g) {
  label_.clear();
  if (g.output_size() < 1) fail("no graph output", "one output, or several (the heads)", "none");
  if (g.output_size() > 1) finish_heads(g);
  const std::string& out_name = g.output(g.output_size() - 1).name();
  const auto it = values_.find(out_name);
  if (it == values_.end()) fail(fmt::format("graph output {} is never computed", quote_token(out_name, 80)), "the output of a node", "no such node output");
  const Value& out = it->second;
  OutputKind kind = OutputKind::Linear;
  int act = out.act;
  const std::string out_label = fmt::format("graph output {}", quote_token(out_name, 80));
  if (out.kind == Kind::Final) {
    if (output_ && *output_ != OutputKind::Softmax)
      fail(fmt::format("{} is a {}", out_label, out.op), fmt::format("a graph without a final {} for --output {}", out.op, output_name(*output_)),
           fmt::format("a final {}", out.op));
    kind = OutputKind::Softmax;
  } else if (out.kind != Kind::Act) {
    fail(fmt::format("{} is not a layer's output", out_label), "the output of the last layer",
         out.kind == Kind::Const ? "a constant" : out.kind == Kind::Padded ? "a Pad" : "an unfinished pattern");
  } else {
    const bool final_sigmoid = !layers_.empty() && act == static_cast<int>(acts_.size()) - 1 &&
                               layers_.back().description == "Sigmoid()";
    if ((!output_ && final_sigmoid) || (output_ == OutputKind::Sigmoid && final_sigmoid)) {
      kind = OutputKind::Sigmoid;
      act = layers_.back().inputs[0];
      --acts_[static_cast<std::size_t>(act)].consumers;
      layers_.pop_back();
      acts_.pop_back();
    } else if (output_) {
      kind = *output_;
    }
  }
  if (layers_.empty() || act == 0) fail("no layers", "at least one layer between the graph input and output", "none");
  // Every layer leads to the output, which the last one computes (liftbench's networks are
  // topologically ordered and have one output).
  const auto node_of = [&](int a) { return layers_[static_cast<std::size_t>(acts_[static_cast<std::size_t>(a)].layer)].node; };
  if (act != static_cast<int>(acts_.size()) - 1)
    fail(fmt::format("{} is not the last layer's output", out_label),
         fmt::format("the output of the last layer, {}", node_of(static_cast<int>(acts_.size()) - 1)),
         fmt::format("the output of {}", node_of(act)));
  for (int a = 1; a + 1 < static_cast<int>(acts_.size()); ++a)
    if (acts_[static_cast<std::size_t>(a)].consumers == 0)
      fail(fmt::format("{}: its output reaches no graph output", node_of(a)), "every layer on the way to the output",
           "an unused result");
  const Shape s = acts_.back().shape;
  if (s.h != 1 || s.w != 1)
    fail(fmt::format("{} is not flat", out_label), "a flat (N, outputs) output (Flatten, or a pooling over the length, first)",
         dims_str(out.dims, true));

  // Names: the weight-derived ones stay; then each other layer takes its node's name when free
  // (torch's module path), else <kind><k>, k counting from 1 per kind and skipping names taken.
  std::set<std::string> taken;
  for (const auto& l : layers_)
    if (!l.name.empty()) taken.insert(l.name);
  for (auto& l : layers_)
    if (l.name.empty() && !l.hint.empty() && taken.insert(l.hint).second) l.name = l.hint;
  std::map<std::string_view, int> counts;
  for (auto& l : layers_) {
    if (!l.name.empty()) continue;
    std::string name;
    do name = fmt::format("{}{}", l.kind, ++counts[l.kind]);
    while (taken.count(name));
    taken.insert(name);
    l.name = std::move(name);
  }
  std::vector<LayerPtr> built;
  std::vector<std::vector<int>> inputs;
  for (const auto& l : layers_) {
    built.push_back(parse_layer(l.name, l.description));
    inputs.push_back(l.inputs);
  }
  Network net(acts_[0].shape, std::move(built), kind, std::move(inputs));
  for (int k = 0; k < net.n_layers(); ++k) {
    Layer& layer = net.layer(k);
    const PendingLayer& p = layers_[static_cast<std::size_t>(k)];
    for (std::size_t i = 0; i < p.params.size(); ++i) {
      for (const float v : p.params[i].second)
        if (!std::isfinite(v))
          fail(fmt::format("parameter '{}.{}' of {}", p.name, p.params[i].first, p.node), "finite values", fmt::format("{}", v));
      layer.import_param(static_cast<int>(i), p.params[i].second);
    }
  }
  return net;
}

Network Importer::run() {
  onnx::ModelProto m;
  read_model(m);
  opset_ = check_opset(m);
  const onnx::GraphProto& g = m.graph();
  std::set<std::string> inits;
  for (const auto& t : g.initializer()) {
    inits.insert(t.name());
    Value v;
    v.c = read_tensor(t, "initializer");
    values_[t.name()] = std::move(v);
  }
  if (g.sparse_initializer_size() > 0) fail("sparse initializers", "dense initializers", fmt::format("{} sparse ones", g.sparse_initializer_size()));
  read_input(g, inits);
  for (int k = 0; k < g.node_size(); ++k) {
    const auto& n = g.node(k);
    const std::string name = n.name().empty() ? fmt::format("#{}", k) : quote_token(n.name(), 80);
    const std::string op = quote_token(n.op_type(), 40);
    label_ = fmt::format("node {} ({})", name, op.substr(1, op.size() - 2));
    node_hint_ = layer_name_hint(n.name());
    node(n);
  }
  return finish(g);
}

}  // namespace

bool is_onnx_path(const std::string& path) {
  std::string lower = path.size() >= 5 ? path.substr(path.size() - 5) : "";
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower != ".onnx") return false;
  std::ifstream in(path, std::ios::binary);
  char magic[2] = {0, 0};
  in.read(magic, 2);
  return !(in.gcount() == 2 && magic[0] == 'P' && magic[1] == 'K');
}

Network import_onnx(const std::string& path, std::optional<OutputKind> output) {
  return Importer(path, output).run();
}

Network import_onnx_bytes(const std::string& bytes, const std::string& name, std::optional<OutputKind> output) {
  Importer importer(name, output);
  importer.set_bytes(bytes);
  return importer.run();
}

std::string onnx_supported_ops() {
  std::vector<std::string_view> names(std::begin(kSupportedOps), std::end(kSupportedOps));
  return fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace lb::model
