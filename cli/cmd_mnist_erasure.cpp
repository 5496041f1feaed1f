// `liftbench mnist-erasure`: the MNIST pixel-erasure benchmark (paper appendix E) on the t10k test images -> erasure.tsv, erasure_summary.tsv, report/mnist.html.
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>

#include "attribution/onehot.h"
#include "cli/commands.h"
#include "cli/sections.h"
#include "core/error.h"
#include "core/log.h"
#include "core/text.h"
#include "eval/erasure.h"
#include "eval/erasure_report.h"
#include "io/atomic_file.h"
#include "io/idx.h"
#include "io/manifest.h"
#include "model/model_file.h"
#include "pipeline/inputs.h"
#include "pipeline/paths.h"

namespace lb::cli {

using namespace pipeline;

namespace {

// "8:3,8:6" (also "8-3" or "8->3") -> pairs; ConfigError naming --pairs.
std::vector<std::pair<int, int>> parse_pairs(const std::string& text) {
  std::vector<std::pair<int, int>> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    int a = -1, b = -1;
    char sep[3] = {};
    const bool ok = (std::sscanf(item.c_str(), "%d->%d", &a, &b) == 2 || std::sscanf(item.c_str(), "%d%2[:-]%d", &a, sep, &b) == 3) &&
                    a >= 0 && a <= 9 && b >= 0 && b <= 9 && a != b;
    if (!ok)
      throw ConfigError(fmt::format("--pairs: bad class pair {}; expected c0:ct with two different digits 0-9 "
                                    "(e.g. 8:3,8:6,9:1,4:1), got {}",
                                    quote_token(item), quote_token(item)));
    out.emplace_back(a, b);
    start = comma + 1;
  }
  return out;
}

// An integer flag >= lo; ConfigError naming the flag otherwise.
int parse_int_flag(const std::string& flag, const std::string& text, int lo) {
  std::size_t used = 0;
  int v = 0;
  try {
    v = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || v < lo)
    throw ConfigError(fmt::format("{}: bad value {}; expected an integer >= {}, got {}", flag, quote_token(text), lo,
                                  quote_token(text)));
  return v;
}

std::string idx_file(const std::string& dir, const std::string& name) {
  for (const std::string& p : {dir + "/" + name, dir + "/" + name + ".gz"})
    if (std::filesystem::exists(p)) return p;
  throw InputError(fmt::format("{}no {}(.gz); expected the MNIST IDX files (scripts/get_mnist.sh), got none", where(dir),
                               name));
}

// The t10k test images, scaled to [0, 1] (byte / 255) like training.
eval::ImageSet read_mnist_test(const std::string& dir) {
  const std::string ip = idx_file(dir, "t10k-images-idx3-ubyte"), lp = idx_file(dir, "t10k-labels-idx1-ubyte");
  const io::IdxImages im = io::read_idx_images(ip);
  const std::vector<std::uint8_t> lab = io::read_idx_labels(lp);
  if (static_cast<int>(lab.size()) != im.n)
    throw InputError(fmt::format("{}{} labels; expected one per image of {} ({}), got {}", where(lp), lab.size(), show_path(ip), im.n,
                                 lab.size()));
  eval::ImageSet d;
  d.shape = model::Shape{1, im.rows, im.cols};
  const int S = im.rows * im.cols;
  d.images.resize(1, Eigen::Index{im.n} * S);
  for (Eigen::Index j = 0; j < d.images.cols(); ++j)
    d.images(0, j) = static_cast<float>(im.pixels[static_cast<std::size_t>(j)]) / 255.0f;
  d.labels.reserve(lab.size());
  for (std::size_t i = 0; i < lab.size(); ++i) {
    if (lab[i] > 9)
      throw InputError(fmt::format("{}label {} of image {}; expected 0 to 9, got {}", where(lp), int(lab[i]), i, int(lab[i])));
    d.labels.push_back(lab[i]);
  }
  return d;
}

}  // namespace

int cmd_mnist_erasure(int argc, const char* const* argv) {
  RunConfig run;
  std::string model_path, mnist_dir, out, threads = "0", pairs_text = "8:3,8:6,9:1,4:1", methods_text;
  std::string k_text = "157", example_text = "-1";
  bool quiet = false, all_images = false, mean_normalize = false;
  OptionSet opts("mnist-erasure");
  opts.add_flag("model", &model_path, "MNIST model written by 'liftbench train --mnist', or one as ONNX (.onnx)", "FILE");
  opts.add_flag("mnist", &mnist_dir, "directory with t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (or .gz)", "DIR");
  opts.add_flag("out,o", &out, "output directory: erasure.tsv, erasure_summary.tsv, report/mnist.html, mnist-erasure.config.ini, "
                "mnist-erasure.manifest.tsv",
                "DIR");
  opts.add_flag("pairs", &pairs_text, "class pairs c0:ct, comma-separated", "LIST");
  std::string method_names;
  for (const auto& m : eval::paper_erasure_methods()) method_names += (method_names.empty() ? "" : ", ") + m.name;
  opts.add_flag("methods", &methods_text, "subset of the methods (default all: " + method_names + ")", "LIST");
  opts.add_flag("k", &k_text, "at most this many pixels erased per image", "INT");
  opts.add_flag("example", &example_text, "test image shown in the report's pixel maps (-1: the first image of the first pair)",
                "INT");
  opts.add_flag("threads", &threads, "threads (0 = all cores); results are identical for any value", "N");
  opts.add_switch("all-images", &all_images, "every test image of the source class, also those the model misclassifies");
  opts.add_switch("mean-normalize", &mean_normalize,
                  "rank pixels on scores of the class-mean-centred network (unchanged S_c0 - S_ct except for abs_grad and "
                  "guided backprop)");
  opts.add_switch("quiet,q", &quiet, "no information lines on stderr");
  add_all_options(opts, run);
  opts.show_sections({"model"});
  if (!opts.parse(argc, argv)) {
    fmt::print("{}", opts.help());
    return 0;
  }
  set_log_quiet(quiet);
  if (model_path.empty()) throw ConfigError("--model: missing model file; expected --model FILE, got nothing");
  if (mnist_dir.empty()) throw ConfigError("--mnist: missing MNIST directory; expected --mnist DIR, got nothing");
  if (out.empty()) throw ConfigError("--out: missing output directory; expected -o DIR, got nothing");
  {
    std::vector<PathUse> inputs = mnist_files("--mnist", mnist_dir);
    inputs.push_back({"--model", model_path});
    std::vector<PathUse> outputs;
    for (const char* name : {"erasure.tsv", "erasure_summary.tsv", "report/mnist.html", "mnist-erasure.config.ini",
                             "mnist-erasure.manifest.tsv"})
      outputs.push_back({"--out", out + "/" + name});
    refuse_output_over_input(outputs, inputs);
  }
  const int k = parse_int_flag("--k", k_text, 0), example = parse_int_flag("--example", example_text, -1);
  const auto pairs = parse_pairs(pairs_text);
  std::vector<eval::ErasureMethod> methods = eval::paper_erasure_methods();
  if (!methods_text.empty()) {
    std::vector<eval::ErasureMethod> chosen;
    std::size_t start = 0;
    while (start <= methods_text.size()) {
      const std::size_t comma = std::min(methods_text.find(',', start), methods_text.size());
      const std::string name = methods_text.substr(start, comma - start);
      auto it = std::find_if(methods.begin(), methods.end(), [&](const auto& m) { return m.name == name; });
      if (it == methods.end())
        throw ConfigError(fmt::format("--methods: unknown method {}; expected names from 'liftbench mnist-erasure --help', "
                                      "got {}",
                                      quote_token(name), quote_token(name)));
      chosen.push_back(*it);
      start = comma + 1;
    }
    methods = chosen;
  }
  model::validate(run.model);
  apply_threads(threads);

  const eval::ImageSet data = read_mnist_test(mnist_dir);
  model::Network net = model::load_model(model_path, opts.config_file().empty() ? nullptr : &run.model, &data.shape);
  if (net.output_kind() != model::OutputKind::Softmax || net.n_outputs() != 10)
    throw ConfigError(fmt::format("model.output: {} has {} outputs ({}); expected a softmax network with 10 classes, got "
                                  "{} outputs",
                                  show_path(model_path), net.n_outputs(),
                                  model::output_name(net.output_kind()), net.n_outputs()));
  if (mean_normalize) net = attr::mean_normalize_softmax(net);
  log_info("mnist-erasure", "{} test images {}; {} pairs, {} methods, k = {}, {} images", data.n(), data.shape.str(),
           pairs.size(), methods.size(), k, all_images ? "all source" : "correctly classified source");

  eval::ErasureOptions eopt;
  eopt.k = k;
  eopt.only_correct = !all_images;
  const auto rows = eval::run_erasure(net, data, pairs, methods, eopt);
  const auto summary = eval::summarize_erasure(rows);
  io::ensure_output_dir(out);
  // The config marks a complete set, and the manifest (written last, after the report) lists it
  // with sizes and MD5s.
  io::remove_stale_marker(out + "/mnist-erasure.manifest.tsv");
  io::remove_stale_marker(out + "/mnist-erasure.config.ini");
  eval::write_erasure_tsv(out, rows, summary);

  std::size_t width = 6;
  for (const auto& m : methods) width = std::max(width, m.name.size());
  for (const auto& [c0, ct] : pairs) {
    log_info("mnist-erasure", "{}->{}: {:<{}} {:>8} {:>8} {:>8} {:>8}", c0, ct, "method", width, "median", "q1", "q3",
             "flipped");
    for (const auto& s : summary)
      if (s.c0 == c0 && s.ct == ct)
        log_info("mnist-erasure", "{}->{}: {:<{}} {:>8.3f} {:>8.3f} {:>8.3f} {:>8.3f}", c0, ct, s.method, width,
                 s.median, s.q1, s.q3, s.share_flipped);
  }

  // The report's example: the given image, or the first of the first pair.
  int ex = example;
  if (ex < 0 && !rows.empty()) ex = rows.front().image;
  if (ex >= data.n())
    throw ConfigError(fmt::format("--example: image {}; expected -1 or 0 to {}, got {}", ex, data.n() - 1, ex));
  eval::write_erasure_report(out, {.net = &net, .data = &data, .rows = &rows, .summary = &summary, .methods = &methods,
                                   .pairs = pairs, .example = ex, .k = k, .config_ini = opts.resolved_ini()});
  io::write_file_atomic(out + "/mnist-erasure.config.ini", opts.resolved_ini());
  io::write_manifest(out + "/mnist-erasure.manifest.tsv",
                     std::vector<std::string>{"erasure.tsv", "erasure_summary.tsv", "report/mnist.html",
                                              "mnist-erasure.config.ini"});
  log_info("mnist-erasure",
           "wrote {}/{{erasure.tsv,erasure_summary.tsv,report/mnist.html,mnist-erasure.config.ini,"
           "mnist-erasure.manifest.tsv}}",
           out);
  return 0;
}

}  // namespace lb::cli
