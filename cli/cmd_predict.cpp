// `liftbench predict`: per-sequence probabilities of a trained model for a dataset directory.
#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/sections.h"
#include "cli/train_data.h"
#include "core/error.h"
#include "core/log.h"
#include "io/tsv.h"
#include "model/model_file.h"

namespace lb::cli {

int cmd_predict(int argc, const char* const* argv) {
  RunConfig run;
  std::string model_path, data_dir, out = "-", split_name = "test", threads = "0";
  bool quiet = false;
  OptionSet opts("predict");
  opts.add_flag("model", &model_path, "model file written by 'liftbench train' (or a weights-only .npz with -c)",
                "FILE");
  opts.add_flag("data", &data_dir, "dataset directory written by 'liftbench simulate'", "DIR");
  opts.add_flag("split", &split_name, "sequences to predict: train, valid, test or all", "NAME");
  opts.add_flag("out,o", &out, "output TSV: id, split, one probability column per output ('-' = stdout)", "FILE");
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
  if (data_dir.empty()) throw ConfigError("--data: missing dataset directory; expected --data DIR, got nothing");
  const std::optional<sim::Split> split = parse_split_flag(split_name);
  model::validate(run.model);
  apply_threads(threads);

  const sim::Dataset ds = sim::read_dataset_dir(data_dir);
  const SplitInput in = split_input(ds, split, data_dir);
  // With -c the file's architecture must match [model]; without, the file describes itself.
  const model::Network net = model::load_model(model_path, opts.config_file().empty() ? nullptr : &run.model,
                                               &in.data.shape);
  const Mat logits = in.data.n > 0 ? model::predict_logits(net, in.data.x, in.data.shape, in.data.n)
                                   : Mat(net.n_outputs(), 0);

  const bool softmax = net.output_kind() == model::OutputKind::Softmax;
  std::vector<std::string> header{"id", "split"};
  for (int t = 0; t < net.n_outputs(); ++t) header.push_back(fmt::format("{}{}", softmax ? "class" : "task", t));
  std::vector<std::vector<std::string>> rows;
  for (int j = 0; j < in.data.n; ++j) {
    const auto i = static_cast<std::size_t>(in.indices[static_cast<std::size_t>(j)]);
    std::vector<std::string> r{ds.ids[i], std::string(sim::split_name(ds.splits[i]))};
    // Probabilities: sigmoid of each logit, or the softmax across the logits (shifted by the max).
    std::vector<double> z(static_cast<std::size_t>(logits.rows()));
    for (std::size_t t = 0; t < z.size(); ++t) z[t] = logits(static_cast<Eigen::Index>(t), j);
    const double zmax = *std::max_element(z.begin(), z.end());
    double norm = 0;
    for (double v : z) norm += std::exp(v - zmax);
    for (double v : z) {
      const double p = softmax ? std::exp(v - zmax) / norm : 1.0 / (1.0 + std::exp(-v));
      r.push_back(fmt::format("{:.6g}", p));
    }
    rows.push_back(std::move(r));
  }
  io::write_tsv(out, header, rows);
  log_info("predict", "{} sequences ({} split) -> {}", in.data.n, split_name, out == "-" ? "stdout" : out);
  return 0;
}

}  // namespace lb::cli
