// `liftbench predict`: per-sequence (or per-image, --mnist) probabilities of a trained model.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/genome_flags.h"
#include "cli/sections.h"
#include "core/error.h"
#include "core/log.h"
#include "core/text.h"
#include "io/atomic_file.h"
#include "io/text_io.h"
#include "io/tsv.h"
#include "model/inputs.h"
#include "model/model_file.h"
#include "pipeline/inputs.h"
#include "pipeline/paths.h"

namespace lb::cli {

using namespace pipeline;

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

// id, [split,] one column per output: class<k> (softmax) or task<k>; for a network of several
// heads, each head's units as attribution.targets names them, HEAD[i].
std::vector<std::string> prediction_header(const model::Network& net, bool with_split) {
  std::vector<std::string> header{"id"};
  if (with_split) header.push_back("split");
  const bool softmax = net.output_kind() == model::OutputKind::Softmax;
  if (net.heads().size() > 1) {
    for (const model::Head& h : net.heads())
      for (int i = 0; i < h.shape.size(); ++i) header.push_back(fmt::format("{}[{}]", h.name, i));
    return header;
  }
  for (int t = 0; t < net.n_outputs(); ++t) header.push_back(fmt::format("{}{}", softmax ? "class" : "task", t));
  return header;
}

// One row: the id, the split unless empty, and per output a probability (the sigmoid of its
// logit, or the softmax across the logits) or, for a linear output, the value as it is.
std::vector<std::string> prediction_row(const std::string& id, const std::string& split, const Mat& logits, int j,
                                        model::OutputKind kind) {
  std::vector<std::string> r{id};
  if (!split.empty()) r.push_back(split);
  const std::vector<double> soft = kind == model::OutputKind::Softmax ? softmax_column(logits, j) : std::vector<double>{};
  for (Eigen::Index t = 0; t < logits.rows(); ++t) {
    const double v = logits(t, j);
    const double p = kind == model::OutputKind::Softmax ? soft[static_cast<std::size_t>(t)]
                     : kind == model::OutputKind::Linear ? v
                                                          : 1.0 / (1.0 + std::exp(-v));
    r.push_back(fmt::format("{:.6g}", p));
  }
  return r;
}

// --genome/--regions: predictions region by region in chunks, written as they come (to a hidden
// temporary renamed at the end, or to stdout): a BED4+ table `#chrom start end id task0 ...`,
// the window's coordinates clipped to the chromosome (padding with N is not part of the genome).
int predict_genome(const GenomeInput& in, int chunk, const std::string& out) {
  const auto N = static_cast<std::int64_t>(in.windows.size());
  std::vector<std::string> header{"#chrom", "start", "end"};
  for (const auto& h : prediction_header(in.net, false)) header.push_back(h);
  std::unique_ptr<io::AtomicFile> file;
  if (out != "-") {
    const auto parent = std::filesystem::path(out).parent_path();
    if (!parent.empty()) io::ensure_output_dir(parent.string());
    file = std::make_unique<io::AtomicFile>(out);
  }
  const auto emit = [&](const std::string& text) {
    if (file) file->write(text);
    else io::detail::write_stdout(text);
  };
  emit(io::format_tsv(header, {}));
  std::int64_t n_missing = 0;
  Progress progress("predict", "regions", N);
  for (std::int64_t first = 0; first < N; first += chunk) {
    const int n = static_cast<int>(std::min<std::int64_t>(chunk, N - first));
    const Mat x = genome_one_hot(in, static_cast<std::size_t>(first), n, &n_missing);
    const Mat logits = model::predict_logits(in.net, x, in.net.input_shape(), n);
    std::vector<std::vector<std::string>> rows;
    for (int j = 0; j < n; ++j) {
      const io::Window& w = in.windows[static_cast<std::size_t>(first + j)];
      const std::int64_t len = in.genome->length(w.chrom);
      std::vector<std::string> r{w.chrom, std::to_string(std::clamp<std::int64_t>(w.start, 0, len)),
                                 std::to_string(std::clamp<std::int64_t>(w.start + in.len, 0, len))};
      for (auto& v : prediction_row(w.id, {}, logits, j, in.net.output_kind())) r.push_back(std::move(v));
      rows.push_back(std::move(r));
    }
    std::string text;
    for (const auto& r : rows) {
      for (std::size_t c = 0; c < r.size(); ++c) (text += c ? "\t" : "") += r[c];
      text += '\n';
    }
    emit(text);
    progress.update(first + n);
  }
  progress.finish();
  if (file) file->commit();
  log_info("predict", "{} regions ({} N bases, {} regions clipped at a chromosome end) -> {}", N, n_missing,
           in.n_clipped, out == "-" ? "stdout" : out);
  return 0;
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
  std::string model_path, data_dir, fasta, mnist_dir, out = "-", split_name = "test", threads = "0";
  std::string mnist_valid = std::to_string(model::kMnistValidDefault), chunk_flag = "1000";
  bool quiet = false;
  GenomeFlags gflags;
  OptionSet opts("predict");
  opts.add_flag("model", &model_path, "model file written by 'liftbench train' or 'import', an ONNX model (.onnx), or a weights-only .npz with -c",
                "FILE");
  opts.add_flag("data", &data_dir, "dataset directory written by 'liftbench simulate'", "DIR");
  opts.add_flag("fasta", &fasta,
                "instead of --data: sequences of the model's input length (one-hot DNA models); the output has "
                "no split column",
                "FILE");
  opts.add_flag("mnist", &mnist_dir,
                "instead of --data: directory of the MNIST IDX files; ids are train-<i> / t10k-<i> (index in "
                "the file), with a label column",
                "DIR");
  add_genome_flags(opts, gflags);
  opts.add_flag("chunk", &chunk_flag, "with --regions: regions read and predicted at a time", "N");
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
  if (!fasta.empty() && (!data_dir.empty() || !mnist_dir.empty()))
    throw ConfigError(fmt::format("--fasta: two sources of sequences; expected one of --data, --fasta or --mnist, got "
                                  "--fasta {} and {}",
                                  quote_token(fasta), data_dir.empty() ? "--mnist" : "--data"));
  if (!gflags.genome.empty() && (!data_dir.empty() || !mnist_dir.empty() || !fasta.empty()))
    throw ConfigError(fmt::format("--genome: two sources of sequences; expected one of --data, --fasta, --mnist or "
                                  "--genome, got --genome {} and {}",
                                  quote_token(gflags.genome),
                                  !data_dir.empty() ? "--data" : !fasta.empty() ? "--fasta" : "--mnist"));
  if (gflags.genome.empty() && !gflags.regions.empty())
    throw ConfigError("--regions: needs a genome; expected --genome FILE with --regions, got nothing");
  int chunk = 0;
  {
    const char* end = chunk_flag.data() + chunk_flag.size();
    const auto [p, ec] = std::from_chars(chunk_flag.data(), end, chunk);
    if (chunk_flag.empty() || ec != std::errc() || p != end || chunk < 1)
      throw ConfigError(fmt::format("--chunk: bad value; expected an integer >= 1, got {}", quote_token(chunk_flag)));
  }
  if (mnist_dir.empty() && data_dir.empty() && fasta.empty() && gflags.genome.empty())
    throw ConfigError(
        "--data: missing dataset directory; expected --data DIR (or --fasta FILE, --mnist DIR, --genome FILE), got "
        "nothing");
  const std::optional<sim::Split> split = parse_split_flag(split_name);
  require_file_output("--out", out);
  {
    std::vector<PathUse> inputs{{"--model", model_path}, {"--fasta", fasta}, {"--regions", gflags.regions}};
    for (auto& f : genome_files("--genome", gflags.genome)) inputs.push_back(std::move(f));
    if (fasta.empty() && gflags.genome.empty())
      for (auto& f : data_dir.empty() ? mnist_files("--mnist", mnist_dir) : dataset_files("--data", data_dir))
        inputs.push_back(std::move(f));
    refuse_output_over_input({{"--out", out}}, inputs);
  }
  model::validate(run.model);
  apply_threads(threads);
  if (!mnist_dir.empty()) return predict_mnist(run, opts, model_path, mnist_dir, mnist_valid, split, split_name, out);
  const model::ModelConfig* model_cfg = opts.config_file().empty() ? nullptr : &run.model;
  if (!gflags.genome.empty()) return predict_genome(read_genome_input(gflags, model_path, model_cfg), chunk, out);
  if (!fasta.empty()) {
    const FastaInput in = read_fasta_input(fasta, model_path, model_cfg);
    const Mat logits = model::predict_logits(in.net, in.x, in.net.input_shape(), in.n);
    std::vector<std::vector<std::string>> rows;
    for (int j = 0; j < in.n; ++j) rows.push_back(prediction_row(in.ids[static_cast<std::size_t>(j)], {}, logits, j,
                                                                  in.net.output_kind()));
    write_predictions(out, prediction_header(in.net, false), rows);
    log_info("predict", "{} sequences of {} -> {}", in.n, show_path(fasta), out == "-" ? "stdout" : out);
    return 0;
  }

  const sim::Dataset ds = sim::read_dataset_dir(data_dir, sim::DatasetParts::NoSites);
  const model::SplitInput in = model::split_input(ds, split, data_dir);
  // With -c the file's architecture must match [model]; without, the file describes itself.
  const model::Network net = model::load_model(model_path, model_cfg, &in.data.shape);
  const Mat logits = in.data.n > 0 ? model::predict_logits(net, in.data.x, in.data.shape, in.data.n)
                                   : Mat(net.n_outputs(), 0);

  std::vector<std::vector<std::string>> rows;
  for (int j = 0; j < in.data.n; ++j) {
    const auto i = static_cast<std::size_t>(in.indices[static_cast<std::size_t>(j)]);
    rows.push_back(prediction_row(ds.ids[i], std::string(sim::split_name(ds.splits[i])), logits, j, net.output_kind()));
  }
  const auto header = prediction_header(net, true);
  write_predictions(out, header, rows);
  log_info("predict", "{} sequences ({} split) -> {}", in.data.n, split_name, out == "-" ? "stdout" : out);
  return 0;
}

}  // namespace lb::cli
