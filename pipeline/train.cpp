// The train step (`liftbench train`, pipeline/steps.h): train the [model] network on a dataset
// directory or MNIST, then score the test split (auROC and auPRC per task, or R²).
#include <charconv>
#include <filesystem>
#include <limits>
#include <memory>

#include <fmt/format.h>

#include "core/error.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/parallel.h"
#include "io/atomic_file.h"
#include "io/manifest.h"
#include "io/tsv.h"
#include "model/inputs.h"
#include "model/model_file.h"
#include "pipeline/config.h"
#include "pipeline/inputs.h"
#include "pipeline/paths.h"
#include "pipeline/steps.h"

namespace lb::pipeline {

namespace {

std::string join_metric(const std::vector<double>& v) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += fmt::format("{}{:.3f}", i ? "/" : "", v[i]);
  return s;
}

void require_split(const model::SplitInput& s, std::string_view name, const std::string& dir) {
  if (s.data.n == 0)
    throw InputError(fmt::format("{}no sequences in the '{}' split; expected at least 1, got 0", where(dir + "/labels.tsv"),
                                 name));
}

}  // namespace

void train_step(const TrainJob& job) {
  const RunConfig& run = job.run;
  const std::string &out = job.out, &data_dir = job.data_dir, &mnist_dir = job.mnist_dir,
                    &mnist_valid = job.mnist_valid, &threads = job.threads;
  const bool resume = job.resume;
  const bool mnist = !mnist_dir.empty();
  if (mnist && !data_dir.empty())
    throw ConfigError(fmt::format("--mnist: cannot be combined with --data; expected one of them, got both ({} and {})",
                                  quote_token(data_dir), quote_token(mnist_dir)));
  if (!mnist && data_dir.empty())
    throw ConfigError("--data: missing dataset directory; expected --data DIR, got nothing");
  if (out.empty()) throw ConfigError("--out: missing model file; expected -o FILE, got nothing");
  {
    // Every output, checked before training: a directory in the way or an input about to be
    // overwritten is an error now, not after the work.
    const std::string stem = output_stem(out);
    const std::vector<PathUse> outputs{{"--out", out},
                                       {"--out", stem + ".metrics.tsv"},
                                       {"--out", stem + ".epochs.tsv"},
                                       {"--out", stem + ".config.ini"},
                                       {"--out", stem + ".manifest.tsv"},
                                       {"--out", stem + ".ckpt.npz"}};
    for (const auto& o : outputs) require_file_output(o.option, o.path);
    refuse_output_over_input(outputs, mnist ? mnist_files("--mnist", mnist_dir) : dataset_files("--data", data_dir));
  }
  model::validate(run.model);
  model::validate(run.train);
  apply_threads(threads);
  if (mnist && run.model.output != "softmax")
    throw ConfigError(fmt::format("model.output: MNIST has 10 classes; expected softmax, got {}",
                                  quote_token(run.model.output)));

  // The three splits, as model inputs.
  model::TrainData train_data, valid_data, test_data;
  int n_outputs = 0;
  bool linear = false;  // real-valued tasks
  if (mnist) {
    int n_valid = 0;
    const char* end = mnist_valid.data() + mnist_valid.size();
    const auto [p, ec] = std::from_chars(mnist_valid.data(), end, n_valid);
    if (mnist_valid.empty() || ec != std::errc() || p != end || n_valid < 1)
      throw ConfigError(fmt::format("--mnist-valid: bad value; expected an integer >= 1, got {}",
                                    quote_token(mnist_valid)));
    model::MnistInput m = model::load_mnist(mnist_dir, n_valid);
    train_data = std::move(m.train), valid_data = std::move(m.valid), test_data = std::move(m.test);
    n_outputs = model::kMnistClasses;
  } else {
    const sim::Dataset ds = sim::read_dataset_dir(data_dir, sim::DatasetParts::NoSites);
    // Binary tasks train a sigmoid output (cross-entropy), real-valued ones a linear output (MSE):
    // one output kind per network, so not both kinds at once.
    const sim::TaskInfo* binary = nullptr;
    const sim::TaskInfo* real = nullptr;
    for (const sim::TaskInfo& t : ds.tasks) (t.kind == sim::TaskKind::Binary ? binary : real) = &t;
    if (binary && real)
      throw ConfigError(fmt::format("{}task {} is binary and task {} real-valued; expected tasks of one "
                                    "kind (a network has one output kind), got both",
                                    where(data_dir + "/tasks.tsv"), quote_token(binary->name), quote_token(real->name)));
    n_outputs = ds.n_tasks();
    linear = real != nullptr;
    const char* want = linear ? "linear" : "sigmoid";
    if (run.model.output != want)
      throw ConfigError(fmt::format("model.output: the dataset has {} {} task{}; expected {}, got {}", n_outputs,
                                    linear ? "real-valued" : "binary", n_outputs == 1 ? "" : "s", want,
                                    quote_token(run.model.output)));
    model::SplitInput tr = model::split_input(ds, sim::Split::Train, data_dir);
    model::SplitInput va = model::split_input(ds, sim::Split::Valid, data_dir);
    model::SplitInput te = model::split_input(ds, sim::Split::Test, data_dir);
    require_split(tr, "train", data_dir);
    require_split(va, "valid", data_dir);
    train_data = std::move(tr.data), valid_data = std::move(va.data), test_data = std::move(te.data);
  }

  model::Network net = model::Network::from_config(run.model, train_data.shape);
  if (net.n_outputs() != n_outputs)
    throw ConfigError(fmt::format("model.layers: the last layer has {} outputs; expected {} (one per {}), got {}",
                                  net.n_outputs(), n_outputs, mnist ? "class" : "task", net.n_outputs()));
  model::InitScheme scheme = model::InitScheme::PyTorch;
  model::parse_init_scheme(run.model.init, scheme);  // validated with the config
  net.init(run.model.init_seed, scheme);
  long n_params = 0;
  for (const auto& p : net.params()) n_params += static_cast<long>(p.value->size());
  const std::string input = mnist ? "images of shape " + train_data.shape.str()
                                  : fmt::format("sequences of length {}", train_data.shape.w);
  log_info("train", "{} train, {} valid, {} test {}; {} parameters; {} threads", train_data.n, valid_data.n,
           test_data.n, input, n_params, lb::threads());

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

  const char* valid_metric = mnist ? "accuracy" : linear ? "R2" : "auROC";
  std::unique_ptr<Progress> progress;
  model::TrainCallbacks cb;
  cb.on_step = [&](int epoch, int step, int n_steps) {
    if (!progress) progress = std::make_unique<Progress>("train", fmt::format("epoch {} batches", epoch), n_steps);
    progress->update(step);
  };
  cb.on_epoch = [&](const model::EpochLog& e) {
    if (progress) progress->finish();
    progress.reset();
    log_info("train", "epoch {}: train loss {:.4f}, valid loss {:.4f}, valid {} {}, {:.2f} s{}", e.epoch,
             e.train_loss, e.valid_loss, valid_metric, join_metric(e.valid_metric), e.seconds, e.best ? " (best)" : "");
  };
  const model::TrainResult res = model::train(net, train_data, valid_data, run.train, checkpoint, resume, cb);
  double seconds = 0;
  for (const auto& e : res.epochs) seconds += e.seconds;
  log_info("train", "{} after {} epochs ({:.2f} s); best epoch {} (valid loss {:.4f})",
           res.stopped_early ? "stopped early" : "reached train.max_epochs", res.epochs.size(), seconds,
           res.best_epoch, res.best_valid_loss);

  std::vector<std::vector<std::string>> rows;
  auto num = [](double v) { return fmt::format("{:.6g}", v); };
  double test_loss = std::numeric_limits<double>::quiet_NaN();
  if (test_data.n == 0) {
    log_warn("train", "the test split is empty; no test metrics");
  } else if (mnist) {
    // Test split: accuracy, overall and per class, of the best weights.
    const Mat logits = model::predict_logits(net, test_data.x, test_data.shape, test_data.n);
    test_loss = model::softmax_ce(logits, test_data.classes, nullptr);
    std::vector<int> correct(model::kMnistClasses, 0), total(model::kMnistClasses, 0);
    for (int i = 0; i < test_data.n; ++i) {
      Eigen::Index best = 0;
      logits.col(i).maxCoeff(&best);
      const auto c = static_cast<std::size_t>(test_data.classes[static_cast<std::size_t>(i)]);
      ++total[c];
      correct[c] += static_cast<int>(best) == static_cast<int>(c);
    }
    int n_correct = 0;
    for (int c : correct) n_correct += c;
    const double accuracy = static_cast<double>(n_correct) / test_data.n;
    std::string per_class;
    for (int c = 0; c < model::kMnistClasses; ++c) {
      const auto k = static_cast<std::size_t>(c);
      const double a = total[k] ? static_cast<double>(correct[k]) / total[k] : std::numeric_limits<double>::quiet_NaN();
      per_class += fmt::format("{}{}:{:.4f}", c ? " " : "", c, a);
      rows.push_back({"test_accuracy", fmt::format("class{}", c), num(a)});
    }
    log_info("train", "test ({} images): loss {:.4f}, accuracy {:.4f} ({} of {})", test_data.n, test_loss, accuracy,
             n_correct, test_data.n);
    log_info("train", "test accuracy per class: {}", per_class);
    rows.insert(rows.begin(), {"test_accuracy", "all", num(accuracy)});
  } else if (linear) {
    // Test split: per-task R^2, Pearson's r and mean squared error of the best weights.
    const Mat pred = model::predict_logits(net, test_data.x, test_data.shape, test_data.n);
    test_loss = model::mean_squared_error(pred, test_data.targets, nullptr);
    std::vector<double> r2, r, mse;
    std::vector<double> p(static_cast<std::size_t>(test_data.n)), y(p.size());
    for (int t = 0; t < n_outputs; ++t) {
      double se = 0;
      for (int i = 0; i < test_data.n; ++i) {
        p[static_cast<std::size_t>(i)] = pred(t, i);
        y[static_cast<std::size_t>(i)] = test_data.targets(t, i);
        se += (p[static_cast<std::size_t>(i)] - y[static_cast<std::size_t>(i)]) *
              (p[static_cast<std::size_t>(i)] - y[static_cast<std::size_t>(i)]);
      }
      r2.push_back(r_squared(p, y));
      r.push_back(pearson(p, y));
      mse.push_back(se / test_data.n);
    }
    log_info("train", "test ({} sequences): loss {:.4f}, R2 {}, Pearson r {}", test_data.n, test_loss,
             join_metric(r2), join_metric(r));
    for (std::size_t t = 0; t < r2.size(); ++t) {
      rows.push_back({"test_r2", fmt::format("task{}", t), num(r2[t])});
      rows.push_back({"test_pearson", fmt::format("task{}", t), num(r[t])});
      rows.push_back({"test_mse", fmt::format("task{}", t), num(mse[t])});
    }
  } else {
    // Test split: per-task auROC and auPRC of the best weights.
    std::vector<double> test_auroc, test_auprc;
    const Mat logits = model::predict_logits(net, test_data.x, test_data.shape, test_data.n);
    test_loss = model::sigmoid_bce(logits, test_data.targets, nullptr);
    std::vector<double> scores(static_cast<std::size_t>(test_data.n));
    std::vector<int> labels(static_cast<std::size_t>(test_data.n));
    for (int t = 0; t < n_outputs; ++t) {
      for (int i = 0; i < test_data.n; ++i) {
        scores[static_cast<std::size_t>(i)] = logits(t, i);
        labels[static_cast<std::size_t>(i)] = test_data.targets(t, i) > 0.5f;
      }
      test_auroc.push_back(auroc(scores, labels));
      test_auprc.push_back(auprc(scores, labels));
    }
    log_info("train", "test ({} sequences): loss {:.4f}, auROC {}, auPRC {}", test_data.n, test_loss,
             join_metric(test_auroc), join_metric(test_auprc));
    for (std::size_t t = 0; t < test_auroc.size(); ++t) {
      rows.push_back({"test_auroc", fmt::format("task{}", t), num(test_auroc[t])});
      rows.push_back({"test_auprc", fmt::format("task{}", t), num(test_auprc[t])});
    }
  }

  // The config marks a complete set, and the manifest (written last) lists it with sizes and MD5s.
  io::remove_stale_marker(stem + ".manifest.tsv");
  io::remove_stale_marker(stem + ".config.ini");
  model::save_model(out, net);
  rows.push_back({"test_loss", "all", num(test_loss)});
  rows.push_back({"best_valid_loss", "all", num(res.best_valid_loss)});
  rows.push_back({"best_epoch", "all", fmt::format("{}", res.best_epoch)});
  rows.push_back({"epochs", "all", fmt::format("{}", res.epochs.size())});
  rows.push_back({"stopped_early", "all", res.stopped_early ? "true" : "false"});
  // No wall-clock figures in files: the same config and seed give byte-identical outputs (the
  // seconds are in the log).
  io::write_tsv(stem + ".metrics.tsv", {"metric", "task", "value"}, rows);

  std::vector<std::string> header{"epoch", "train_loss", "valid_loss"};
  if (mnist)
    header.push_back("valid_accuracy");
  else
    for (int t = 0; t < n_outputs; ++t) header.push_back(fmt::format("valid_{}_task{}", linear ? "r2" : "auroc", t));
  header.push_back("best");
  rows.clear();
  for (const auto& e : res.epochs) {
    std::vector<std::string> r{fmt::format("{}", e.epoch), num(e.train_loss), num(e.valid_loss)};
    for (double a : e.valid_metric) r.push_back(num(a));
    r.push_back(e.best ? "true" : "false");
    rows.push_back(std::move(r));
  }
  io::write_tsv(stem + ".epochs.tsv", header, rows);
  io::write_file_atomic(stem + ".config.ini", job.config_ini);
  const std::string base = std::filesystem::path(stem).filename().string();
  io::write_manifest(stem + ".manifest.tsv",
                     std::vector<std::string>{std::filesystem::path(out).filename().string(), base + ".metrics.tsv",
                                              base + ".epochs.tsv", base + ".config.ini"});
  // The run is complete and recorded: the checkpoint has nothing left to resume.
  std::filesystem::remove(checkpoint);
  log_info("train", "wrote {} and {}.{{metrics.tsv,epochs.tsv,config.ini,manifest.tsv}}", out, stem);
}

}  // namespace lb::pipeline
