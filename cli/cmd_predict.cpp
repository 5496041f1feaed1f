// `liftbench predict`: per-sequence (or per-image, --mnist) probabilities of a trained model.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/paths.h"
#include "cli/sections.h"
#include "cli/train_data.h"
#include "core/error.h"
#include "core/log.h"
#include "io/atomic_file.h"
#include "io/tsv.h"
#include "model/inputs.h"
#include "model/model_file.h"

namespace lb::cli {

namespace {

// The output TSV, its folder created first (as every other command does); "-" is stdout.
void write_predictions(const std::string& out, const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows) {
  const auto parent = std::filesystem::path(out).parent_path();
  if (out != "-" && !parent.empty()) io::ensure_output_dir(parent.string());
  io::write_tsv(out, header, rows);
}

// Softmax probabilities of one column of logits (shifted by the max).
std::vector<double> softmax_column(const Mat& logits, int j) {
  std::vector<double> p(static_cast<std::size_t>(logits.rows()));
  double zmax = -std::numeric_limits<double>::infinity(), norm = 0;
  for (std::size_t t = 0; t < p.size(); ++t) zmax = std::max(zmax, double{logits(static_cast<Eigen::Index>(t), j)});
  for (std::size_t t = 0; t < p.size(); ++t) norm += p[t] = std::exp(logits(static_cast<Eigen::Index>(t), j) - zmax);
  for (double& v : p) v /= norm;
  return p;
}

int predict_mnist(const RunConfig& run, const OptionSet& opts, const std::string& model_path,
                  const std::string& mnist_dir, const std::string& mnist_valid, std::optional<sim::Split> split,
                  const std::string& split_name, const std::string& out) {
  int n_valid = 0;
  const char* end = mnist_valid.data() + mnist_valid.size();
  const auto [ptr, ec] = std::from_chars(mnist_valid.data(), end, n_valid);
  if (mnist_valid.empty() || ec != std::errc() || ptr != end || n_valid < 1)
    throw ConfigError(fmt::format("--mnist-valid: bad value; expected an integer >= 1, got {}", quote_token(mnist_valid)));
  const model::MnistInput m = model::load_mnist(mnist_dir, n_valid);
  const model::Network net = model::load_model(model_path, opts.config_file().empty() ? nullptr : &run.model,
                                               &m.train.shape);
  if (net.output_kind() != model::OutputKind::Softmax || net.n_outputs() != model::kMnistClasses)
    throw InputError(fmt::format("{}not an MNIST model; expected softmax with {} outputs, got {} with {}", where(model_path),
                                 model::kMnistClasses, model::output_name(net.output_kind()),
                                 net.n_outputs()));
  struct Part {
    const model::TrainData* data;
    sim::Split split;
    const char* prefix;
    int first;  // index in its file of the first image
  };
  const Part parts[] = {{&m.train, sim::Split::Train, "train", 0},
                        {&m.valid, sim::Split::Valid, "train", m.train.n},
                        {&m.test, sim::Split::Test, "t10k", 0}};
  std::vector<std::string> header{"id", "split", "label"};
  for (int t = 0; t < model::kMnistClasses; ++t) header.push_back(fmt::format("class{}", t));
  std::vector<std::vector<std::string>> rows;
  for (const Part& part : parts) {
    if (split && *split != part.split) continue;
    const model::TrainData& d = *part.data;
    if (d.n == 0) continue;
    const Mat logits = model::predict_logits(net, d.x, d.shape, d.n);
    for (int j = 0; j < d.n; ++j) {
      std::vector<std::string> r{fmt::format("{}-{}", part.prefix, part.first + j), std::string(sim::split_name(part.split)),
                                 fmt::format("{}", d.classes[static_cast<std::size_t>(j)])};
      for (double p : softmax_column(logits, j)) r.push_back(fmt::format("{:.6g}", p));
      rows.push_back(std::move(r));
    }
  }
  write_predictions(out, header, rows);
  log_info("predict", "{} images ({} split) -> {}", rows.size(), split_name, out == "-" ? "stdout" : out);
  return 0;
}

}  // namespace

int cmd_predict(int argc, const char* const* argv) {
  RunConfig run;
  std::string model_path, data_dir, mnist_dir, out = "-", split_name = "test", threads = "0";
  std::string mnist_valid = std::to_string(model::kMnistValidDefault);
  bool quiet = false;
  OptionSet opts("predict");
  opts.add_flag("model", &model_path, "model file written by 'liftbench train' (or a weights-only .npz with -c)",
                "FILE");
  opts.add_flag("data", &data_dir, "dataset directory written by 'liftbench simulate'", "DIR");
  opts.add_flag("mnist", &mnist_dir,
                "instead of --data: directory of the MNIST IDX files; ids are train-<i> / t10k-<i> (index in "
                "the file), with a label column",
                "DIR");
  opts.add_flag("mnist-valid", &mnist_valid, "with --mnist: the last N training images form the valid split", "N");
  opts.add_flag("split", &split_name, "sequences to predict: train, valid, test or all", "NAME");
  opts.add_flag("out,o", &out,
                "output TSV: id, split, one column per output: a probability (sigmoid, softmax) or a value "
                "(linear) ('-' = stdout)",
                "FILE");
  opts.add_flag("threads", &threads, "threads (0 = all cores); results are identical for any value", "N");
  opts.add_switch("quiet,q", &quiet, "no information lines on stderr");
  add_all_options(opts, run);
  opts.show_sections({"model"});
  if (!opts.parse(argc, argv)) {
    fmt::print("{}", opts.help());
    return 0;
  }
  set_log_quiet(quiet);
  if (model_path.empty()) throw ConfigError("--model: missing model file; expected --model FILE, got nothing");
  if (!mnist_dir.empty() && !data_dir.empty())
    throw ConfigError(fmt::format("--mnist: cannot be combined with --data; expected one of them, got both ({} and {})",
                                  quote_token(data_dir), quote_token(mnist_dir)));
  if (mnist_dir.empty() && data_dir.empty())
    throw ConfigError("--data: missing dataset directory; expected --data DIR, got nothing");
  const std::optional<sim::Split> split = parse_split_flag(split_name);
  require_file_output("--out", out);
  {
    std::vector<PathUse> inputs{{"--model", model_path}};
    for (auto& f : data_dir.empty() ? mnist_files("--mnist", mnist_dir) : dataset_files("--data", data_dir))
      inputs.push_back(std::move(f));
    refuse_output_over_input({{"--out", out}}, inputs);
  }
  model::validate(run.model);
  apply_threads(threads);
  if (!mnist_dir.empty()) return predict_mnist(run, opts, model_path, mnist_dir, mnist_valid, split, split_name, out);

  const sim::Dataset ds = sim::read_dataset_dir(data_dir);
  const model::SplitInput in = model::split_input(ds, split, data_dir);
  // With -c the file's architecture must match [model]; without, the file describes itself.
  const model::Network net = model::load_model(model_path, opts.config_file().empty() ? nullptr : &run.model,
                                               &in.data.shape);
  const Mat logits = in.data.n > 0 ? model::predict_logits(net, in.data.x, in.data.shape, in.data.n)
                                   : Mat(net.n_outputs(), 0);

  const bool softmax = net.output_kind() == model::OutputKind::Softmax;
  const bool linear = net.output_kind() == model::OutputKind::Linear;
  std::vector<std::string> header{"id", "split"};
  for (int t = 0; t < net.n_outputs(); ++t) header.push_back(fmt::format("{}{}", softmax ? "class" : "task", t));
  std::vector<std::vector<std::string>> rows;
  for (int j = 0; j < in.data.n; ++j) {
    const auto i = static_cast<std::size_t>(in.indices[static_cast<std::size_t>(j)]);
    std::vector<std::string> r{ds.ids[i], std::string(sim::split_name(ds.splits[i]))};
    // Probabilities: sigmoid of each logit, or the softmax across the logits (shifted by the
    // max); a linear output's values as they are.
    std::vector<double> z(static_cast<std::size_t>(logits.rows()));
    for (std::size_t t = 0; t < z.size(); ++t) z[t] = logits(static_cast<Eigen::Index>(t), j);
    const double zmax = *std::max_element(z.begin(), z.end());
    double norm = 0;
    for (double v : z) norm += std::exp(v - zmax);
    for (double v : z) {
      const double p = softmax ? std::exp(v - zmax) / norm : linear ? v : 1.0 / (1.0 + std::exp(-v));
      r.push_back(fmt::format("{:.6g}", p));
    }
    rows.push_back(std::move(r));
  }
  write_predictions(out, header, rows);
  log_info("predict", "{} sequences ({} split) -> {}", in.data.n, split_name, out == "-" ? "stdout" : out);
  return 0;
}

}  // namespace lb::cli
