// `liftbench attribute`: attribution scores of a trained model for a dataset split or a FASTA
// file, every method of attribution.methods, written as scores.npz (docs/cli.md).
#include <chrono>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "attribution/methods.h"
#include "attribution/scores_file.h"
#include "cli/commands.h"
#include "cli/paths.h"
#include "cli/sections.h"
#include "cli/train_data.h"
#include "core/error.h"
#include "core/log.h"
#include "core/parallel.h"
#include "io/atomic_file.h"
#include "io/manifest.h"
#include "io/npz.h"
#include "model/inputs.h"
#include "model/model_file.h"

namespace lb::cli {

namespace {

// The sequences to attribute: one-hot (4 x n*L), their names and shuffle streams.
struct Sequences {
  std::vector<std::string> ids;
  std::vector<std::uint64_t> streams;  // dataset index (or FASTA record index): the shuffle stream
  Mat x;
  int n = 0, len = 0;
  std::string source;  // for the log
};

}  // namespace

int cmd_attribute(int argc, const char* const* argv) {
  RunConfig run;
  std::string model_path, data_dir, fasta, out, methods, split_name = "test", threads = "0";
  bool quiet = false, compress = false;
  OptionSet opts("attribute");
  opts.add_flag("model", &model_path, "model file written by 'liftbench train' or 'import', an ONNX model (.onnx), or a weights-only .npz with -c",
                "FILE");
  opts.add_flag("data", &data_dir, "dataset directory written by 'liftbench simulate'", "DIR");
  opts.add_flag("split", &split_name, "sequences of --data to attribute: train, valid, test or all", "NAME");
  opts.add_flag("fasta", &fasta, "attribute the sequences of this FASTA file instead (each of the model's input length)",
                "FILE");
  opts.add_flag("methods", &methods, "shorthand for --attribution.methods", "LIST");
  opts.add_flag("out,o", &out,
                "scores file to write (e.g. scores.npz); beside it <stem>.config.ini, the resolved configuration", "FILE");
  opts.add_flag("threads", &threads, "threads (0 = all cores); results are identical for any value", "N");
  opts.add_switch("compress", &compress, "deflate the arrays (like numpy.savez_compressed): smaller, slower to write");
  opts.add_switch("quiet,q", &quiet, "no information lines on stderr");
  add_all_options(opts, run);
  opts.show_sections({"model", "attribution"});
  if (!opts.parse(argc, argv)) {
    fmt::print("{}", opts.help());
    return 0;
  }
  set_log_quiet(quiet);
  if (model_path.empty()) throw ConfigError("--model: missing model file; expected --model FILE, got nothing");
  if (data_dir.empty() && fasta.empty())
    throw ConfigError("--data: missing sequences; expected --data DIR or --fasta FILE, got nothing");
  if (!data_dir.empty() && !fasta.empty())
    throw ConfigError(fmt::format("--fasta: two sources of sequences; expected either --data DIR or --fasta FILE, got "
                                  "both --data {} and --fasta {}",
                                  quote_token(data_dir), quote_token(fasta)));
  if (out.empty()) throw ConfigError("--out: missing scores file; expected -o FILE, got nothing");
  require_file_output("--out", out);
  {
    std::vector<PathUse> inputs{{"--model", model_path}, {"--fasta", fasta}};
    if (!data_dir.empty())
      for (auto& f : dataset_files("--data", data_dir)) inputs.push_back(std::move(f));
    refuse_output_over_input({{"--out", out},
                              {"--out", output_stem(out) + ".config.ini"},
                              {"--out", output_stem(out) + ".manifest.tsv"}},
                             inputs);
  }
  const std::optional<sim::Split> split = parse_split_flag(split_name);
  if (!methods.empty()) run.attribution.methods = methods;
  model::validate(run.model);
  attr::validate(run.attribution);
  apply_threads(threads);
  const model::ModelConfig* model_cfg = opts.config_file().empty() ? nullptr : &run.model;

  Sequences seqs;
  model::Network net;
  if (!data_dir.empty()) {
    const sim::Dataset ds = sim::read_dataset_dir(data_dir);
    model::SplitInput in = model::split_input(ds, split, data_dir);
    if (in.data.n == 0)
      throw InputError(fmt::format("{}no sequences in the '{}' split; expected at least 1, got 0",
                                   where(data_dir + "/labels.tsv"), split_name));
    // The loader names both shapes when the model's input length differs from the sequences'.
    net = model::load_model(model_path, model_cfg, &in.data.shape);
    for (int i : in.indices) {
      seqs.ids.push_back(ds.ids[static_cast<std::size_t>(i)]);
      seqs.streams.push_back(static_cast<std::uint64_t>(i));
    }
    seqs.x = std::move(in.data.x);
    seqs.n = in.data.n;
    seqs.len = ds.seq_len;
    seqs.source = fmt::format("{} split of {}", split_name, data_dir);
  } else {
    FastaInput in = read_fasta_input(fasta, model_path, model_cfg);
    net = std::move(in.net);
    seqs.ids = std::move(in.ids);
    for (int i = 0; i < in.n; ++i) seqs.streams.push_back(static_cast<std::uint64_t>(i));
    seqs.x = std::move(in.x);
    seqs.n = in.n;
    seqs.len = in.len;
    seqs.source = fasta;
  }

  const auto method_list = attr::parse_methods(run.attribution.methods, net, run.attribution);
  std::string max_pool;  // the first layer with the gradient rule (a max pool), if any
  for (int i = 0; i < net.n_layers() && max_pool.empty(); ++i)
    if (net.layer(i).attr_role() == model::AttrRole::Gradient) max_pool = net.layer(i).name();
  bool said_max_pool = false;
  const std::vector<int> tasks = attr::parse_tasks(run.attribution.tasks, net.n_outputs());
  const int T = static_cast<int>(tasks.size());
  log_info("attribute", "{} sequences of length {} ({}), {} tasks, {} methods, {} threads", seqs.n, seqs.len,
           seqs.source, T, method_list.size(), lb::threads());
  log_info("attribute", "attribution.reference = {}, n_shuffles = {}, ig_steps = {} ({}), near_zero = {:g}{}{}",
           run.attribution.reference, run.attribution.n_shuffles, run.attribution.ig_steps, run.attribution.ig_rule,
           run.attribution.near_zero, run.attribution.weight_normalize ? ", weight_normalize" : "",
           run.attribution.mean_normalize ? ", mean_normalize" : "");

  std::vector<attr::ScoredMethod> scored;
  for (const auto& m : method_list) {
    const auto t0 = std::chrono::steady_clock::now();
    attr::MethodResult res;
    {
      Progress progress("attribute", m.name, seqs.n);
      res = attr::run_method(m, net, seqs.x, seqs.n, tasks, run.attribution, seqs.streams,
                             [&](int done) { progress.update(done); });
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const bool uses_ref = attr::uses_reference(m.kind);
    std::string line = fmt::format("{}: {:.3f} s, {:.0f} sequence-tasks/s", m.name, secs,
                                   static_cast<double>(seqs.n) * T / std::max(secs, 1e-9));
    if (uses_ref)
      line += fmt::format(", reference {}{}", attr::reference_name(m.reference),
                          res.n_references > 1 ? fmt::format(" x{}", res.n_references) : "");
    if (attr::has_delta(m))
      line += fmt::format(", max |{}| {:.3g} (relative {:.3g})",
                          m.kind == attr::Method::Kind::Deeplift ? "summation-to-delta error" : "completeness error",
                          res.max_abs_delta, res.max_rel_delta);
    log_info("attribute", "{}", line);
    // DeepLIFT's sums must match the logit differences up to rounding; IG's error is its
    // quadrature error (reported above, expected to be larger). Across a max pool (deeplift's
    // gradient rule) they need not match at all: said once, not warned per method.
    if (m.kind == attr::Method::Kind::Deeplift && attr::has_delta(m) && !max_pool.empty() && !said_max_pool) {
      log_info("attribute",
               "layer '{}' is a max pool: DeepLIFT passes its multipliers through the argmax of the actual input "
               "(deeplift's rule), so contributions need not add up to the logit difference (docs/attribution.md)",
               max_pool);
      said_max_pool = true;
    }
    if (m.kind == attr::Method::Kind::Deeplift && attr::has_delta(m) && max_pool.empty() &&
        res.max_rel_delta > run.attribution.delta_warn)
      log_warn("attribute",
               "{}: SUMMATION-TO-DELTA VIOLATED: relative error {:.3g} > attribution.delta_warn = {:g} (worst: "
               "sequence '{}', task {}, reference {}); the contributions do not add up to the logit difference",
               m.name, res.max_rel_delta, run.attribution.delta_warn,
               seqs.ids[static_cast<std::size_t>(res.worst_sequence)], tasks[static_cast<std::size_t>(res.worst_task)],
               res.worst_reference);
    scored.push_back({m.name, std::move(res)});
  }

  const auto parent = std::filesystem::path(out).parent_path();
  if (!parent.empty()) io::ensure_output_dir(parent.string());
  const std::string stem = output_stem(out);
  // The config marks a complete pair, and the manifest (written last) lists it with sizes and MD5s.
  io::remove_stale_marker(stem + ".manifest.tsv");
  io::remove_stale_marker(stem + ".config.ini");
  io::write_npz(out, attr::scores_archive(seqs.ids, seqs.x, net.input_shape(), tasks, scored), compress);
  io::write_file_atomic(stem + ".config.ini", opts.resolved_ini());
  const std::string base = std::filesystem::path(stem).filename().string();
  io::write_manifest(stem + ".manifest.tsv",
                     std::vector<std::string>{std::filesystem::path(out).filename().string(), base + ".config.ini"});
  log_info("attribute", "wrote {} and {}.{{config.ini,manifest.tsv}}", out, stem);
  return 0;
}

}  // namespace lb::cli
