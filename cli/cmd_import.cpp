// `liftbench import` and `liftbench export`: ONNX in and out (model/onnx.h, docs/cli.md).
#include <filesystem>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "core/error.h"
#include "core/log.h"
#include "core/text.h"
#include "io/atomic_file.h"
#include "model/model_file.h"
#include "model/onnx.h"
#include "pipeline/paths.h"

namespace lb::cli {

using namespace pipeline;

namespace {

// The folder of an output file, created first (as every other command does).
void prepare_output(const std::string& option, const std::string& out) {
  require_file_output(option, out);
  const auto parent = std::filesystem::path(out).parent_path();
  if (!parent.empty()) io::ensure_output_dir(parent.string());
}

std::string layer_summary(const model::Network& net) {
  int params = 0;
  for (const auto& p : const_cast<model::Network&>(net).state()) params += static_cast<int>(p.value->size());
  return fmt::format("{} layer{}, {} parameter values, input {}, {} output{} ({})", net.n_layers(),
                     net.n_layers() == 1 ? "" : "s", params, net.input_shape().str(), net.n_outputs(),
                     net.n_outputs() == 1 ? "" : "s", model::output_name(net.output_kind())) +
         (net.heads().size() > 1 ? ", heads " + model::heads_str(net) : "");
}

}  // namespace

int cmd_import(int argc, const char* const* argv) {
  std::string model_path, out, output;
  bool quiet = false;
  OptionSet opts("import");
  opts.add_flag("model", &model_path, "ONNX model to read (also the positional argument): opsets 11-17", "MODEL.onnx");
  opts.add_flag("out,o", &out, "model.npz to write: the PyTorch state_dict with the architecture", "FILE");
  opts.add_flag("output", &output,
                "the network's output: sigmoid, softmax or linear (default: sigmoid after a final Sigmoid node, "
                "softmax after a final Softmax or LogSoftmax, otherwise linear)",
                "KIND");
  opts.add_switch("quiet,q", &quiet, "no information lines on stderr");
  opts.set_positional("model");
  if (!opts.parse(argc, argv)) {
    fmt::print("{}", opts.help());
    return 0;
  }
  set_log_quiet(quiet);
  if (model_path.empty()) throw ConfigError("--model: missing ONNX model; expected liftbench import MODEL.onnx -o model.npz, got nothing");
  if (out.empty()) throw ConfigError("--out: missing output file; expected -o model.npz, got nothing");
  std::optional<model::OutputKind> kind;
  if (!output.empty()) {
    model::OutputKind k;
    if (!model::parse_output_kind(output, k))
      throw ConfigError(fmt::format("--output: unknown output; expected sigmoid, softmax or linear, got {}", quote_token(output)));
    kind = k;
  }
  prepare_output("--out", out);
  refuse_output_over_input({{"--out", out}}, {{"--model", model_path}});
  const model::Network net = model::import_onnx(model_path, kind);
  model::save_model(out, net);
  log_info("import", "{}: {} -> {}", show_path(model_path), layer_summary(net), show_path(out));
  return 0;
}

int cmd_export(int argc, const char* const* argv) {
  std::string model_path, out;
  bool quiet = false;
  OptionSet opts("export");
  opts.add_flag("model", &model_path, "model file to read (also the positional argument): a liftbench model.npz or an .onnx",
                "MODEL.npz");
  opts.add_flag("out,o", &out, "ONNX model to write (opset 13, IR version 7, symbolic batch dimension)", "FILE");
  opts.add_switch("quiet,q", &quiet, "no information lines on stderr");
  opts.set_positional("model");
  if (!opts.parse(argc, argv)) {
    fmt::print("{}", opts.help());
    return 0;
  }
  set_log_quiet(quiet);
  if (model_path.empty()) throw ConfigError("--model: missing model file; expected liftbench export model.npz -o MODEL.onnx, got nothing");
  if (out.empty()) throw ConfigError("--out: missing output file; expected -o MODEL.onnx, got nothing");
  prepare_output("--out", out);
  refuse_output_over_input({{"--out", out}}, {{"--model", model_path}});
  // The file's own architecture; a weights-only .npz has none to export.
  if (!model::is_self_describing(model_path))
    throw InputError(fmt::format("{}no architecture; expected a model.npz written by liftbench (train or import), got a "
                                 "weights-only .npz",
                                 where(model_path)));
  const model::Network net = model::load_model(model_path);
  model::export_onnx(out, net);
  log_info("export", "{}: {} -> {}", show_path(model_path), layer_summary(net), show_path(out));
  return 0;
}

}  // namespace lb::cli
