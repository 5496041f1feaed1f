// ONNX export (model/onnx.h): the graph's frame (opset, the input with its rank, the output with
// the network's output function), and the OnnxBuilder each layer writes its own nodes through
// (Layer::export_onnx, model/onnx_builder.h). No layer type is named here.
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/build_info.h"
#include "core/error.h"
#include "core/text.h"
#include "io/atomic_file.h"
#include "model/onnx.h"
#include "model/onnx_builder.h"

namespace lb::model {

namespace {

constexpr int kExportOpset = 13, kExportIrVersion = 7;  // onnx 1.12 (Debian 12) reads IR 8 at most

// A graph input or output: float (N, dims...).
void tensor_info(onnx::ValueInfoProto* v, const std::string& name, const std::vector<int>& dims) {
  v->set_name(name);
  auto* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  auto* shape = t->mutable_shape();
  shape->add_dim()->set_dim_param("N");
  for (const int d : dims) shape->add_dim()->set_dim_value(d);
}

class Exporter final : public OnnxBuilder {
 public:
  Exporter(const std::string& path, const Network& net) : path_(path), net_(net) {}
  void run(onnx::ModelProto& m);

  const Layer& layer() const override { return net_.layer(k_); }
  Shape input_shape() const override { return net_.shape(k_); }
  std::vector<std::string> inputs() const override {
    std::vector<std::string> out;
    for (const int i : net_.inputs(k_)) out.push_back(names_[static_cast<std::size_t>(i)]);
    return out;
  }
  std::vector<int> input_ranks() const override {
    std::vector<int> out;
    for (const int i : net_.inputs(k_)) out.push_back(ranks_[static_cast<std::size_t>(i)]);
    return out;
  }
  const std::string& current() const override { return cur_; }
  int rank() const override { return rank_; }
  void set_rank(int rank) override { rank_ = rank; }

  void node(std::string_view op, std::string name, std::vector<std::string> inputs, std::string output,
            std::vector<OnnxAttr> attrs) override {
    onnx::NodeProto* n = graph_->add_node();
    n->set_op_type(std::string(op));
    n->set_name(std::move(name));
    for (auto& in : inputs) n->add_input(std::move(in));
    n->add_output(output);
    for (const OnnxAttr& a : attrs) {
      auto* p = n->add_attribute();
      p->set_name(a.name);
      switch (a.type) {
        case OnnxAttr::Type::Int:
          p->set_type(onnx::AttributeProto::INT);
          p->set_i(a.ints.at(0));
          break;
        case OnnxAttr::Type::Ints:
          p->set_type(onnx::AttributeProto::INTS);
          for (const auto v : a.ints) p->add_ints(v);
          break;
        case OnnxAttr::Type::Float:
          p->set_type(onnx::AttributeProto::FLOAT);
          p->set_f(static_cast<float>(a.real));
          break;
      }
    }
    cur_ = std::move(output);
  }

  std::vector<std::string> initializers() override {
    Layer& l = const_cast<Network&>(net_).layer(k_);  // params() hands out pointers; read only
    std::vector<Param> ps = l.params();
    for (auto& b : l.buffers()) ps.push_back(b);
    std::vector<std::string> names;
    for (std::size_t i = 0; i < ps.size(); ++i) {
      onnx::TensorProto* t = graph_->add_initializer();
      t->set_name(l.name() + "." + ps[i].name);
      t->set_data_type(onnx::TensorProto::FLOAT);
      for (const auto d : ps[i].torch_shape) t->add_dims(d);
      const std::vector<float> v = l.export_param(static_cast<int>(i));
      t->set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)));
      names.push_back(t->name());
    }
    return names;
  }

  std::string constant(const std::string& name, float value) override {
    onnx::TensorProto* t = constant_node(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    t->add_float_data(value);
    return name;
  }
  std::string constant(const std::string& name, std::vector<std::int64_t> values) override {
    onnx::TensorProto* t = constant_node(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(static_cast<std::int64_t>(values.size()));
    for (const auto v : values) t->add_int64_data(v);
    return name;
  }

  void flatten_if_needed(const std::string& name) override {
    if (rank_ == 2) return;
    node("Flatten", name + "/flatten", {cur_}, name + "/flattened", {OnnxAttr::i("axis", 1)});
    rank_ = 2;
  }

  void graph_output(const std::string& tensor, const std::string& name, std::vector<int> dims) override {
    node("Identity", name + "/head", {tensor}, name, {});
    tensor_info(graph_->add_output(), name, dims);
  }
  std::vector<Shape> input_shapes() const override { return net_.input_shapes(k_); }

  [[noreturn]] void unsupported() const override {
    const Layer& l = layer();
    throw InputError(fmt::format("{}layer {} is {}, which has no ONNX form; expected a network of Conv1d, Conv2d, Linear, "
                                 "BatchNorm1d, pools, Flatten, Crop1d, Dropout and elementwise layers, got {}",
                                 where(path_), quote_token(l.name()), quote_token(l.describe(), 80),
                                 quote_token(l.describe(), 80)));
  }

 private:
  // A Constant node named `name` whose output is `name`; returns its value tensor to fill.
  onnx::TensorProto* constant_node(const std::string& name) {
    onnx::NodeProto* n = graph_->add_node();
    n->set_op_type("Constant");
    n->set_name(name);
    n->add_output(name);
    auto* a = n->add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    return a->mutable_t();
  }

  const std::string& path_;
  const Network& net_;
  onnx::GraphProto* graph_ = nullptr;
  int k_ = 0;                       // the layer being exported
  std::string cur_ = "input";       // the current tensor
  int rank_ = 3;                    // its ONNX rank
  std::vector<std::string> names_;  // per activation: its tensor's name
  std::vector<int> ranks_;          // per activation: its ONNX rank
};

void Exporter::run(onnx::ModelProto& m) {
  m.set_ir_version(kExportIrVersion);
  m.set_producer_name("liftbench");
  m.set_producer_version(build::kVersion);
  auto* opset = m.add_opset_import();
  opset->set_domain("");
  opset->set_version(kExportOpset);
  graph_ = m.mutable_graph();
  graph_->set_name("liftbench");

  // The input's rank: (N, C, H, W) for 2-D models, (N, C, L) for 1-D ones, (N, C) for a flat
  // input that only dense and elementwise layers read (a flat input before a 1-D layer is (N, C, 1)).
  const Shape in = net_.input_shape();
  int axes = in.h > 1 ? 2 : in.w > 1 ? 1 : 0;
  for (int k = 0; k < net_.n_layers(); ++k) axes = std::max(axes, net_.layer(k).onnx_spatial_axes());
  rank_ = 2 + axes;
  if (rank_ == 4) tensor_info(graph_->add_input(), "input", {in.c, in.h, in.w});
  else if (rank_ == 3) tensor_info(graph_->add_input(), "input", {in.c, in.w});
  else tensor_info(graph_->add_input(), "input", {in.c});

  names_.assign(static_cast<std::size_t>(net_.n_layers()) + 1, "input");
  ranks_.assign(names_.size(), rank_);
  for (k_ = 0; k_ < net_.n_layers(); ++k_) {
    const auto first = static_cast<std::size_t>(net_.inputs(k_)[0]);
    cur_ = names_[first];
    rank_ = ranks_[first];
    net_.layer(k_).export_onnx(*this);
    names_[static_cast<std::size_t>(k_) + 1] = cur_;
    ranks_[static_cast<std::size_t>(k_) + 1] = rank_;
  }
  if (graph_->output_size() > 0) return;  // the heads of a Heads layer are the graph's outputs
  // The output: what liftbench predict reports (probabilities for sigmoid and softmax networks).
  cur_ = names_.back();
  rank_ = ranks_.back();
  flatten_if_needed("output");
  const int last = graph_->node_size() - 1;
  if (net_.output_kind() == OutputKind::Sigmoid) node("Sigmoid", "output_sigmoid", {cur_}, "output", {});
  else if (net_.output_kind() == OutputKind::Softmax) node("Softmax", "output_softmax", {cur_}, "output", {OnnxAttr::i("axis", 1)});
  else if (last >= 0 && graph_->node(last).output(0) == cur_ && cur_ != "input") graph_->mutable_node(last)->set_output(0, "output");
  else node("Identity", "output", {cur_}, "output", {});  // a final Dropout: its input may feed other layers too
  tensor_info(graph_->add_output(), "output", {net_.n_outputs()});
}

}  // namespace

void export_onnx(const std::string& path, const Network& net) {
  onnx::ModelProto m;
  Exporter(path, net).run(m);
  std::string bytes;
  LB_CHECK(m.SerializeToString(&bytes), "export: protobuf cannot serialize the model for {}", path);
  io::write_file_atomic(path, bytes);
}

}  // namespace lb::model
