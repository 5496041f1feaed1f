// model.npz reading and writing: parameters (and buffers) in PyTorch layout, the state_dict,
// with the architecture text in the zip archive comment. No optimizer state (checkpoints are
// the trainer's business).
#include "model/model_file.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/ranges.h>

#include "core/error.h"
#include "io/npz.h"
#include "model/onnx.h"

namespace lb::model {

namespace {

constexpr const char* kArchitecture = "architecture";
// The zip archive comment of model.npz: this line, then Network::architecture(). numpy ignores
// the comment, so the members are exactly the state_dict.
constexpr std::string_view kCommentTag = "liftbench-architecture 1\n";

std::string shape_str(const std::vector<std::int64_t>& shape) {
  return io::NpyArray{"", shape, {}}.shape_str();
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string s;
  // The file's names: escaped, and at most ten of them, so that a message stays one short line.
  for (std::size_t i = 0; i < names.size() && i < 10; ++i) s += fmt::format("{}{}", i ? ", " : "", quote_token(names[i]));
  if (names.size() > 10) s += fmt::format(", ... ({} in all)", names.size());
  return s;
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  }
  return lines;
}

// The file's architecture against the one [model] builds for the same input: the first line
// that differs, both sides quoted.
void check_same_architecture(const std::string& path, std::string_view file_text, std::string_view cfg_text) {
  const auto a = lines_of(file_text), b = lines_of(cfg_text);
  for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    if (i < a.size() && i < b.size() && a[i] == b[i]) continue;
    const std::string got = i < a.size() ? quote_token(a[i], 100) : "the end of the text";
    const std::string want = i < b.size() ? quote_token(b[i], 100) : "the end of the text";
    throw InputError(fmt::format("{}: architecture line {} disagrees with the [model] settings; expected {} (from "
                                   "model.layers and model.output), got {}; load the file without [model] settings "
                                   "to use its own architecture",
                                   path, i + 1, want, got));
  }
}

}  // namespace

bool is_self_describing(const std::string& path) {
  if (is_onnx_path(path)) return true;  // an ONNX graph is its architecture
  for (const auto& [name, array] : io::read_npz(path))
    if (name == kArchitecture) return true;
  return io::read_npz_comment(path).starts_with(kCommentTag);
}

void save_model(const std::string& path, const Network& net) {
  io::NpzArchive arrays;
  for (const auto& p : const_cast<Network&>(net).state()) {  // state() only hands out pointers; read only
    const auto values = net.layer(p.layer).export_param(p.index);
    arrays.emplace_back(p.name, io::NpyArray::from_f32(p.torch_shape, values));
  }
  std::string comment = std::string(kCommentTag) + net.architecture();
  if (comment.size() > 0xffff) {  // beyond a zip comment (about 900 layers): the older array form
    arrays.insert(arrays.begin(), {kArchitecture, io::NpyArray::from_string(net.architecture())});
    comment.clear();
  }
  io::write_npz(path, arrays, false, comment);
}

Network load_model(const std::string& path, const ModelConfig* cfg, const Shape* input) {
  if (is_onnx_path(path)) {
    // The graph describes the network, as a model.npz's architecture does, and is checked the same way.
    Network net = import_onnx(path);
    if (cfg) check_same_architecture(path, net.architecture(), Network::from_config(*cfg, net.input_shape()).architecture());
    if (input && !(net.input_shape() == *input))
      throw input_error(path, 0, "the model's input shape does not fit the data", fmt::format("{} (the data)", input->str()),
                        fmt::format("{} (the graph input)", net.input_shape().str()));
    return net;
  }
  const io::NpzArchive archive = io::read_npz(path);
  const io::NpyArray* arch = nullptr;
  for (const auto& [name, a] : archive)
    if (name == kArchitecture) arch = &a;
  std::vector<std::string> present;
  for (const auto& [name, a] : archive)
    if (name != kArchitecture) present.push_back(name);
  // The array for a parameter, present and of the declared shape, or InputError naming both.
  const auto param_array = [&](const std::string& name, const std::vector<std::int64_t>& torch_shape,
                               std::string_view layer, std::string_view description) {
    const io::NpyArray* a = nullptr;
    for (const auto& [n, arr] : archive)
      if (n == name) a = &arr;
    if (!a)
      throw input_error(path, 0, fmt::format("missing array '{}'", name),
                        fmt::format("a {} array for layer {} {}", shape_str(torch_shape), layer, description),
                        present.empty() ? std::string("no parameter arrays") : "arrays " + quoted_list(present));
    if (a->shape != torch_shape)
      throw InputError(fmt::format("{}: array '{}': expected shape {}, got {}", path, name, shape_str(torch_shape),
                                   a->shape_str()));
    return a;
  };

  // The architecture: an 'architecture' string array (files written before the comment), else
  // the archive comment, else none (a weights-only file).
  std::string arch_text;
  bool has_arch = false;
  if (arch) {
    const std::string where = fmt::format("{}: array '{}'", path, kArchitecture);
    const auto texts = arch->to_strings(where);
    if (texts.size() != 1)
      throw input_error(where, 0, "not a single string", "a 0-d string array", fmt::format("shape {}", arch->shape_str()));
    arch_text = texts[0];
    has_arch = true;
  } else if (const std::string comment = io::read_npz_comment(path); comment.starts_with(kCommentTag)) {
    arch_text = comment.substr(kCommentTag.size());
    has_arch = true;
  }

  Network net;
  if (has_arch) {
    // Every declared parameter is checked against the file's arrays before its layer is built:
    // no allocation from a size the file does not hold.
    net = Network::from_architecture(arch_text, fmt::format("{}[{}]", path, kArchitecture),
                                     [&](const std::string& name, const std::vector<std::int64_t>& torch_shape,
                                         std::string_view layer, std::string_view description) {
                                       param_array(name, torch_shape, layer, description);
                                     });
    if (cfg) check_same_architecture(path, arch_text, Network::from_config(*cfg, net.input_shape()).architecture());
    if (input && !(net.input_shape() == *input))
      throw input_error(path, 0, "the model's input shape does not fit the data",
                        fmt::format("{} (the data)", input->str()),
                        fmt::format("{} (architecture line 1)", net.input_shape().str()));
  } else {
    if (!cfg)
      throw input_error(path, 0, "no architecture (neither its archive comment nor an 'architecture' array)",
                        "a self-describing model.npz (liftbench train) or [model] settings to build the network from",
                        "a weights-only .npz and no [model] settings");
    LB_CHECK(input != nullptr, "load_model: a weights-only file ({}) needs the input shape to build [model]", path);
    net = Network::from_config(*cfg, *input);
  }

  std::set<std::string> expected{kArchitecture};
  for (const auto& p : net.state()) {
    expected.insert(p.name);
    const io::NpyArray* a = param_array(p.name, p.torch_shape, net.layer(p.layer).name(), net.layer(p.layer).describe());
    const std::string where = fmt::format("{}: array '{}'", path, p.name);
    if (a->dtype != "<f4" && a->dtype != "<f8")
      throw InputError(fmt::format("{}: expected a float array ('<f4' or '<f8'), got '{}'", where, a->dtype));
    const std::vector<float> values = a->to_f32(where);
    for (std::size_t i = 0; i < values.size(); ++i)
      if (!std::isfinite(values[i])) {
        std::vector<std::int64_t> index(a->shape.size());  // C-order multi-index of element i
        std::size_t rest = i;
        for (std::size_t d = index.size(); d-- > 0;) {
          const auto dim = static_cast<std::size_t>(a->shape[d]);
          index[d] = static_cast<std::int64_t>(rest % dim);
          rest /= dim;
        }
        throw InputError(fmt::format("{}: expected finite values, got {} at index [{}]", where, values[i],
                                     fmt::join(index, ",")));
      }
    net.layer(p.layer).import_param(p.index, values);
  }

  std::vector<std::string> unexpected;
  for (const auto& [name, a] : archive)
    if (!expected.count(name)) unexpected.push_back(name);
  if (!unexpected.empty())
    throw input_error(path, 0, unexpected.size() == 1 ? "unexpected array" : "unexpected arrays",
                      "only the network's parameters and 'architecture'", quoted_list(unexpected));
  return net;
}

}  // namespace lb::model
