// `liftbench train`: train the [model] network on a dataset directory, then score the test split.
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/sections.h"
#include "cli/train_data.h"
#include "core/error.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/parallel.h"
#include "io/atomic_file.h"
#include "io/tsv.h"
#include "model/model_file.h"

namespace lb::cli {

namespace {

std::string join_metric(const std::vector<double>& v) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += fmt::format("{}{:.3f}", i ? "/" : "", v[i]);
  return s;
}

void require_split(const SplitInput& s, std::string_view name, const std::string& dir) {
  if (s.data.n == 0)
    throw InputError(fmt::format("{}/labels.tsv: no sequences in the '{}' split; expected at least 1, got 0", dir, name));
}

}  // namespace

int cmd_train(int argc, const char* const* argv) {
  RunConfig run;
  std::string out, data_dir, threads = "0";
  bool resume = false, quiet = false;
  OptionSet opts("train");
  opts.add_flag("data", &data_dir, "dataset directory written by 'liftbench simulate'", "DIR");
  opts.add_flag("out,o", &out,
                "model file to write (e.g. model.npz); beside it <stem>.metrics.tsv, <stem>.epochs.tsv, "
                "<stem>.config.ini, and during training the checkpoint <stem>.ckpt.npz",
                "FILE");
  opts.add_switch("resume", &resume, "continue a killed run from its checkpoint <stem>.ckpt.npz");
  opts.add_flag("threads", &threads, "threads (0 = all cores); results are identical for any value", "N");
  opts.add_switch("quiet,q", &quiet, "no information lines on stderr");
  add_all_options(opts, run);
  opts.show_sections({"model", "train"});
  if (!opts.parse(argc, argv)) {
    fmt::print("{}", opts.help());
    return 0;
  }
  set_log_quiet(quiet);
  if (data_dir.empty()) throw ConfigError("--data: missing dataset directory; expected --data DIR, got nothing");
  if (out.empty()) throw ConfigError("--out: missing model file; expected -o FILE, got nothing");
  model::validate(run.model);
  model::validate(run.train);
  apply_threads(threads);
  if (run.model.output != "sigmoid")
    throw ConfigError(fmt::format(
        "model.output: the genomics dataset has {} binary tasks; expected sigmoid, got {}", sim::kNumTasks,
        quote_token(run.model.output)));

  const sim::Dataset ds = sim::read_dataset_dir(data_dir);
  const SplitInput tr = split_input(ds, sim::Split::Train, data_dir);
  const SplitInput va = split_input(ds, sim::Split::Valid, data_dir);
  const SplitInput te = split_input(ds, sim::Split::Test, data_dir);
  require_split(tr, "train", data_dir);
  require_split(va, "valid", data_dir);

  model::Network net = model::Network::from_config(run.model, tr.data.shape);
  if (net.n_outputs() != sim::kNumTasks)
    throw ConfigError(fmt::format("model.layers: the last layer has {} outputs; expected {} (one per task), got {}",
                                  net.n_outputs(), sim::kNumTasks, net.n_outputs()));
  model::InitScheme scheme = model::InitScheme::PyTorch;
  model::parse_init_scheme(run.model.init, scheme);  // validated with the config
  net.init(run.model.init_seed, scheme);
  long n_params = 0;
  for (const auto& p : net.params()) n_params += static_cast<long>(p.value->size());
  log_info("train", "{} train, {} valid, {} test sequences of length {}; {} parameters; {} threads", tr.data.n,
           va.data.n, te.data.n, ds.seq_len, n_params, lb::threads());

  const std::string stem = output_stem(out);
  const std::string checkpoint = stem + ".ckpt.npz";
  const auto parent = std::filesystem::path(out).parent_path();
  if (!parent.empty()) io::ensure_output_dir(parent.string());
  if (resume) {
    if (std::filesystem::exists(checkpoint))
      log_info("train", "resuming from {}", checkpoint);
    else
      log_warn("train", "--resume: no checkpoint {}; starting from the beginning", checkpoint);
  }

  std::unique_ptr<Progress> progress;
  model::TrainCallbacks cb;
  cb.on_step = [&](int epoch, int step, int n_steps) {
    if (!progress) progress = std::make_unique<Progress>("train", fmt::format("epoch {} batches", epoch), n_steps);
    progress->update(step);
  };
  cb.on_epoch = [&](const model::EpochLog& e) {
    if (progress) progress->finish();
    progress.reset();
    log_info("train", "epoch {}: train loss {:.4f}, valid loss {:.4f}, valid auROC {}, {:.2f} s{}", e.epoch,
             e.train_loss, e.valid_loss, join_metric(e.valid_auroc), e.seconds, e.best ? " (best)" : "");
  };
  const model::TrainResult res = model::train(net, tr.data, va.data, run.train, checkpoint, resume, cb);
  double seconds = 0;
  for (const auto& e : res.epochs) seconds += e.seconds;
  log_info("train", "{} after {} epochs ({:.2f} s); best epoch {} (valid loss {:.4f})",
           res.stopped_early ? "stopped early" : "reached train.max_epochs", res.epochs.size(), seconds,
           res.best_epoch, res.best_valid_loss);

  // Test split: per-task auROC and auPRC of the best weights.
  std::vector<double> test_auroc, test_auprc;
  double test_loss = std::numeric_limits<double>::quiet_NaN();
  if (te.data.n > 0) {
    const Mat logits = model::predict_logits(net, te.data.x, te.data.shape, te.data.n);
    test_loss = model::sigmoid_bce(logits, te.data.targets, nullptr);
    std::vector<double> scores(static_cast<std::size_t>(te.data.n));
    std::vector<int> labels(static_cast<std::size_t>(te.data.n));
    for (int t = 0; t < sim::kNumTasks; ++t) {
      for (int i = 0; i < te.data.n; ++i) {
        scores[static_cast<std::size_t>(i)] = logits(t, i);
        labels[static_cast<std::size_t>(i)] = te.data.targets(t, i) > 0.5f;
      }
      test_auroc.push_back(auroc(scores, labels));
      test_auprc.push_back(auprc(scores, labels));
    }
    log_info("train", "test ({} sequences): loss {:.4f}, auROC {}, auPRC {}", te.data.n, test_loss,
             join_metric(test_auroc), join_metric(test_auprc));
  } else {
    log_warn("train", "the test split is empty; no test metrics");
  }

  model::save_model(out, net);
  std::vector<std::vector<std::string>> rows;
  auto num = [](double v) { return fmt::format("{:.6g}", v); };
  for (std::size_t t = 0; t < test_auroc.size(); ++t) {
    rows.push_back({"test_auroc", fmt::format("task{}", t), num(test_auroc[t])});
    rows.push_back({"test_auprc", fmt::format("task{}", t), num(test_auprc[t])});
  }
  rows.push_back({"test_loss", "all", num(test_loss)});
  rows.push_back({"best_valid_loss", "all", num(res.best_valid_loss)});
  rows.push_back({"best_epoch", "all", fmt::format("{}", res.best_epoch)});
  rows.push_back({"epochs", "all", fmt::format("{}", res.epochs.size())});
  rows.push_back({"stopped_early", "all", res.stopped_early ? "true" : "false"});
  rows.push_back({"train_seconds", "all", fmt::format("{:.3f}", seconds)});
  io::write_tsv(stem + ".metrics.tsv", {"metric", "task", "value"}, rows);

  std::vector<std::string> header{"epoch", "train_loss", "valid_loss"};
  for (int t = 0; t < sim::kNumTasks; ++t) header.push_back(fmt::format("valid_auroc_task{}", t));
  header.insert(header.end(), {"seconds", "best"});
  rows.clear();
  for (const auto& e : res.epochs) {
    std::vector<std::string> r{fmt::format("{}", e.epoch), num(e.train_loss), num(e.valid_loss)};
    for (double a : e.valid_auroc) r.push_back(num(a));
    r.insert(r.end(), {fmt::format("{:.3f}", e.seconds), e.best ? "true" : "false"});
    rows.push_back(std::move(r));
  }
  io::write_tsv(stem + ".epochs.tsv", header, rows);
  io::write_file_atomic(stem + ".config.ini", opts.resolved_ini());
  // The run is complete and recorded: the checkpoint has nothing left to resume.
  std::filesystem::remove(checkpoint);
  log_info("train", "wrote {} and {}.{{metrics.tsv,epochs.tsv,config.ini}}", out, stem);
  return 0;
}

}  // namespace lb::cli
