// The training loop: seeded batch order, chunked parallel forward/backward with gradients summed
// in chunk order, Adam, early stopping, atomic checkpoints with exact resume.
//
// Determinism: every random choice is derived from (cfg.seed, epoch, step) and every sum runs
// in a fixed order over fixed chunks of samples, so neither the thread count nor an
// interruption (checkpoint + resume) changes a single bit of the final weights.
#include "model/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <numeric>

#include <fmt/format.h>

#include "core/error.h"
#include "core/metrics.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "io/npz.h"

namespace lb::model {

namespace {

constexpr int kPredictChunk = 64;  // samples per work item in predict_logits
constexpr std::string_view kCheckpointFormat = "liftbench-checkpoint-1";
// Stream offsets of Rng(cfg.seed, ·): the epoch's batch order uses stream `epoch`; dropout
// seeds use a disjoint range (top bit set) indexed by (epoch, step).
constexpr std::uint64_t kDropoutStreams = std::uint64_t{1} << 63;

// Scratch space of one chunk: a trace and gradients shaped like the parameters.
struct ChunkWork {
  Trace trace;
  std::vector<Mat> grads;
  Mat x, targets, d_logits;
  std::vector<int> classes;
  double loss_sum = 0;  // sum over the chunk's samples of the per-sample loss
};

// Copies samples idx[first, first+m) of `data` into w.x / w.targets / w.classes.
void gather(const TrainData& data, std::span<const int> idx, ChunkWork& w, bool softmax) {
  const int s = data.shape.spatial();
  const auto m = static_cast<int>(idx.size());
  w.x.resize(data.shape.c, static_cast<Eigen::Index>(m) * s);
  for (int i = 0; i < m; ++i)
    w.x.middleCols(static_cast<Eigen::Index>(i) * s, s) = data.x.middleCols(static_cast<Eigen::Index>(idx[i]) * s, s);
  if (softmax) {
    w.classes.resize(static_cast<std::size_t>(m));
    for (int i = 0; i < m; ++i) w.classes[static_cast<std::size_t>(i)] = data.classes[static_cast<std::size_t>(idx[i])];
  } else {
    w.targets.resize(data.targets.rows(), m);
    for (int i = 0; i < m; ++i) w.targets.col(i) = data.targets.col(idx[i]);
  }
}

// Mean loss over the chunk's samples (and tasks, for sigmoid); d_logits is the gradient of
// that mean when wanted.
double chunk_loss(const Network& net, ChunkWork& w, bool want_grad) {
  const Mat& z = net.logits(w.trace);
  Mat* d = want_grad ? &w.d_logits : nullptr;
  switch (net.output_kind()) {
    case OutputKind::Softmax: return softmax_ce(z, w.classes, d);
    case OutputKind::Linear: return mean_squared_error(z, w.targets, d);
    case OutputKind::Sigmoid: break;
  }
  return sigmoid_bce(z, w.targets, d);
}

void check_data(const Network& net, const TrainData& d, std::string_view what) {
  const bool softmax = net.output_kind() == OutputKind::Softmax;
  LB_CHECK(d.shape == net.input_shape(), "{} data shape {} does not match the network input {}", what, d.shape.str(),
           net.input_shape().str());
  LB_CHECK(d.n > 0, "{} data is empty", what);
  LB_CHECK(d.x.rows() == d.shape.c && d.x.cols() == static_cast<Eigen::Index>(d.n) * d.shape.spatial(),
           "{} x is {}x{}, expected {}x{}", what, d.x.rows(), d.x.cols(), d.shape.c,
           static_cast<Eigen::Index>(d.n) * d.shape.spatial());
  if (softmax) {
    LB_CHECK(static_cast<int>(d.classes.size()) == d.n, "{}: {} classes for {} samples", what, d.classes.size(), d.n);
    for (int c : d.classes) LB_CHECK(c >= 0 && c < net.n_outputs(), "{}: class {} out of range", what, c);
  } else {
    LB_CHECK(d.targets.rows() == net.n_outputs() && d.targets.cols() == d.n, "{} targets are {}x{}, expected {}x{}",
             what, d.targets.rows(), d.targets.cols(), net.n_outputs(), d.n);
  }
}

// Inference over a whole split in waves of `work.size()` chunks (bounded memory): the summed
// loss (in chunk order) divided by n, and the logits (T x n).
double evaluate(const Network& net, const TrainData& data, int chunk, std::vector<ChunkWork>& work, Mat& logits) {
  const bool softmax = net.output_kind() == OutputKind::Softmax;
  std::vector<int> all(static_cast<std::size_t>(data.n));
  std::iota(all.begin(), all.end(), 0);
  logits.resize(net.n_outputs(), data.n);
  const int n_chunks = (data.n + chunk - 1) / chunk;
  const auto wave = static_cast<int>(work.size());
  double loss = 0;
  for (int c0 = 0; c0 < n_chunks; c0 += wave) {
    const int nc = std::min(wave, n_chunks - c0);
    parallel_for(nc, [&](int k) {
      ChunkWork& w = work[static_cast<std::size_t>(k)];
      const int first = (c0 + k) * chunk;
      const int m = std::min(chunk, data.n - first);
      gather(data, std::span<const int>(all).subspan(static_cast<std::size_t>(first), static_cast<std::size_t>(m)), w,
             softmax);
      net.forward(w.x, m, w.trace, ForwardMode{});
      w.loss_sum = chunk_loss(net, w, false) * m;
      logits.middleCols(first, m) = net.logits(w.trace);
    });
    for (int k = 0; k < nc; ++k) loss += work[static_cast<std::size_t>(k)].loss_sum;
  }
  return loss / data.n;
}

// Per-task auROC of the logits (sigmoid), R^2 of the outputs (linear), or the accuracy (softmax).
std::vector<double> valid_metrics(const Network& net, const TrainData& data, const Mat& logits) {
  std::vector<double> out;
  if (net.output_kind() == OutputKind::Softmax) {
    int correct = 0;
    for (int i = 0; i < data.n; ++i) {
      Eigen::Index best = 0;
      logits.col(i).maxCoeff(&best);
      correct += static_cast<int>(best) == data.classes[static_cast<std::size_t>(i)];
    }
    out.push_back(static_cast<double>(correct) / data.n);
    return out;
  }
  std::vector<double> scores(static_cast<std::size_t>(data.n));
  std::vector<int> labels(static_cast<std::size_t>(data.n));
  std::vector<double> targets(static_cast<std::size_t>(data.n));
  const bool linear = net.output_kind() == OutputKind::Linear;
  for (Eigen::Index t = 0; t < logits.rows(); ++t) {
    for (int i = 0; i < data.n; ++i) {
      scores[static_cast<std::size_t>(i)] = logits(t, i);
      labels[static_cast<std::size_t>(i)] = data.targets(t, i) > 0.5f ? 1 : 0;
      targets[static_cast<std::size_t>(i)] = data.targets(t, i);
    }
    out.push_back(linear ? r_squared(scores, targets) : auroc(scores, labels));
  }
  return out;
}

void copy_params(Network& dst, Network& src) {
  auto d = dst.state();
  auto s = src.state();
  LB_CHECK(d.size() == s.size(), "parameter count differs: {} vs {}", d.size(), s.size());
  for (std::size_t j = 0; j < d.size(); ++j) *d[j].value = *s[j].value;
}

// ---- checkpoints ------------------------------------------------------------------------

// Everything that must agree for a resumed run to continue the same computation.
std::string fingerprint(const TrainConfig& c, const TrainData& tr, const TrainData& va) {
  return fmt::format("learning_rate={} beta1={} beta2={} epsilon={} batch_size={} seed={} chunk={} n_train={} n_valid={}",
                     c.adam.learning_rate, c.adam.beta1, c.adam.beta2, c.adam.epsilon, c.batch_size, c.seed, c.chunk,
                     tr.n, va.n);
}

struct TrainState {
  int epochs_done = 0;
  int since_best = 0;
  double best_loss = std::numeric_limits<double>::infinity();
  TrainResult result;
};

io::NpyArray mat_array(const Mat& m) {
  return io::NpyArray::from_f32({m.rows(), m.cols()}, std::span<const float>(m.data(), static_cast<std::size_t>(m.size())));
}

io::NpyArray i64_scalar(std::int64_t v) { return io::NpyArray::from_i64({}, std::span<const std::int64_t>(&v, 1)); }
io::NpyArray f64_scalar(double v) { return io::NpyArray::from_f64({}, std::span<const double>(&v, 1)); }

void save_checkpoint(const std::string& path, Network& net, Network& best, Adam& adam, const TrainState& st,
                     const std::string& fp) {
  io::NpzArchive a;
  a.emplace_back("format", io::NpyArray::from_string(std::string(kCheckpointFormat)));
  a.emplace_back("architecture", io::NpyArray::from_string(net.architecture()));
  a.emplace_back("train_config", io::NpyArray::from_string(fp));
  a.emplace_back("epoch", i64_scalar(st.epochs_done));
  a.emplace_back("adam_step", i64_scalar(adam.steps()));
  a.emplace_back("epochs_since_best", i64_scalar(st.since_best));
  a.emplace_back("best_epoch", i64_scalar(st.result.best_epoch));
  a.emplace_back("best_valid_loss", f64_scalar(st.best_loss));
  a.emplace_back("stopped_early", i64_scalar(st.result.stopped_early ? 1 : 0));
  auto params = net.state();  // parameters, then buffers (no Adam moments)
  auto best_params = best.state();
  for (std::size_t j = 0; j < params.size(); ++j) {
    const std::string& name = params[j].name;
    // Internal layouts (rows, cols) of model/layers.h, not PyTorch's: this file is only for resume.
    a.emplace_back("weights." + name, mat_array(*params[j].value));
    a.emplace_back("best." + name, mat_array(*best_params[j].value));
    if (j >= adam.first_moments().size()) continue;
    a.emplace_back("adam_m." + name, mat_array(adam.first_moments()[j]));
    a.emplace_back("adam_v." + name, mat_array(adam.second_moments()[j]));
  }
  // The epoch log, so a resumed run reports (and writes metrics for) every epoch.
  const auto& e = st.result.epochs;
  std::vector<double> tl, vl, sec;
  std::vector<std::int64_t> best_flags;
  std::vector<double> metric;
  const std::int64_t n_metric = e.empty() ? 0 : static_cast<std::int64_t>(e.front().valid_metric.size());
  for (const auto& l : e) {
    tl.push_back(l.train_loss);
    vl.push_back(l.valid_loss);
    sec.push_back(l.seconds);
    best_flags.push_back(l.best ? 1 : 0);
    metric.insert(metric.end(), l.valid_metric.begin(), l.valid_metric.end());
  }
  const auto ne = static_cast<std::int64_t>(e.size());
  a.emplace_back("log.train_loss", io::NpyArray::from_f64({ne}, tl));
  a.emplace_back("log.valid_loss", io::NpyArray::from_f64({ne}, vl));
  a.emplace_back("log.valid_metric", io::NpyArray::from_f64({ne, n_metric}, metric));
  a.emplace_back("log.seconds", io::NpyArray::from_f64({ne}, sec));
  a.emplace_back("log.best", io::NpyArray::from_i64({ne}, best_flags));
  io::write_npz(path, a);
}

std::string one_string(const io::NpzArchive& a, const std::string& name, const std::string& path) {
  auto v = io::find_array(a, name, path).to_strings(path + ": array '" + name + "'");
  if (v.size() != 1)
    throw input_error(path, 0, fmt::format("array '{}' is not a single string", name), "a 0-d string",
                      fmt::format("{} strings", v.size()));
  return v[0];
}

std::int64_t one_int(const io::NpzArchive& a, const std::string& name, const std::string& path) {
  auto v = io::find_array(a, name, path).to_i64(path + ": array '" + name + "'");
  if (v.size() != 1)
    throw input_error(path, 0, fmt::format("array '{}' is not a scalar", name), "1 value", fmt::format("{}", v.size()));
  return v[0];
}

void load_mat(const io::NpzArchive& a, const std::string& name, const std::string& path, Mat& out) {
  const io::NpyArray& arr = io::find_array(a, name, path);
  const std::string want = fmt::format("({},{})", out.rows(), out.cols());
  if (arr.shape.size() != 2 || arr.shape[0] != out.rows() || arr.shape[1] != out.cols())
    throw input_error(path, 0, fmt::format("array '{}': wrong shape", name), want, arr.shape_str());
  const auto v = arr.to_f32(path + ": array '" + name + "'");
  std::copy(v.begin(), v.end(), out.data());
}

void load_checkpoint(const std::string& path, Network& net, Network& best, Adam& adam, TrainState& st,
                     const std::string& fp) {
  const io::NpzArchive a = io::read_npz(path);
  const std::string format = one_string(a, "format", path);
  if (format != kCheckpointFormat)
    throw input_error(path, 0, "not a liftbench training checkpoint", std::string(kCheckpointFormat), format);
  const std::string hint = "; delete the checkpoint or run without --resume";
  if (one_string(a, "architecture", path) != net.architecture())
    throw ConfigError(fmt::format("{}: checkpoint was written for another network (model.layers differs){}", path, hint));
  const std::string got = one_string(a, "train_config", path);
  if (got != fp)
    throw ConfigError(fmt::format("{}: checkpoint was written with other training settings or data; expected {}, got {}{}",
                                  path, fp, got, hint));
  st.epochs_done = static_cast<int>(one_int(a, "epoch", path));
  adam.set_steps(one_int(a, "adam_step", path));
  st.since_best = static_cast<int>(one_int(a, "epochs_since_best", path));
  st.result.best_epoch = static_cast<int>(one_int(a, "best_epoch", path));
  st.result.stopped_early = one_int(a, "stopped_early", path) != 0;
  st.best_loss = io::find_array(a, "best_valid_loss", path).to_f64(path).at(0);
  st.result.best_valid_loss = st.best_loss;
  auto params = net.state();
  auto best_params = best.state();
  for (std::size_t j = 0; j < params.size(); ++j) {
    const std::string& name = params[j].name;
    load_mat(a, "weights." + name, path, *params[j].value);
    load_mat(a, "best." + name, path, *best_params[j].value);
    if (j >= adam.first_moments().size()) continue;
    load_mat(a, "adam_m." + name, path, adam.first_moments()[j]);
    load_mat(a, "adam_v." + name, path, adam.second_moments()[j]);
  }
  const auto tl = io::find_array(a, "log.train_loss", path).to_f64(path);
  const auto vl = io::find_array(a, "log.valid_loss", path).to_f64(path);
  const auto& marr = io::find_array(a, "log.valid_metric", path);
  const auto metric = marr.to_f64(path);
  const auto sec = io::find_array(a, "log.seconds", path).to_f64(path);
  const auto bf = io::find_array(a, "log.best", path).to_i64(path);
  const std::size_t ne = tl.size();
  const auto n_metric = marr.shape.size() == 2 ? static_cast<std::size_t>(marr.shape[1]) : 0;
  if (vl.size() != ne || sec.size() != ne || bf.size() != ne || metric.size() != ne * n_metric ||
      ne != static_cast<std::size_t>(st.epochs_done))
    throw input_error(path, 0, "inconsistent epoch log", fmt::format("{} epochs", st.epochs_done),
                      fmt::format("{} entries", ne));
  st.result.epochs.clear();
  for (std::size_t i = 0; i < ne; ++i) {
    EpochLog l;
    l.epoch = static_cast<int>(i) + 1;
    l.train_loss = tl[i];
    l.valid_loss = vl[i];
    l.valid_metric.assign(metric.begin() + static_cast<std::ptrdiff_t>(i * n_metric),
                         metric.begin() + static_cast<std::ptrdiff_t>((i + 1) * n_metric));
    l.seconds = sec[i];
    l.best = bf[i] != 0;
    st.result.epochs.push_back(l);
  }
}

}  // namespace

void validate(const TrainConfig& c) {
  validate(c.adam);
  check_at_least(c.batch_size, 1, "train.batch_size");
  check_at_least(c.max_epochs, 1, "train.max_epochs");
  check_at_least(c.patience, 1, "train.patience");
  check_at_least(c.chunk, 1, "train.chunk");
}

TrainResult train(Network& net, const TrainData& train_data, const TrainData& valid_data, const TrainConfig& cfg,
                  const std::string& checkpoint, bool resume, const TrainCallbacks& callbacks) {
  validate(cfg);
  check_data(net, train_data, "train");
  check_data(net, valid_data, "valid");
  const bool softmax = net.output_kind() == OutputKind::Softmax;

  std::vector<Mat*> ptrs;
  for (auto& p : net.params()) ptrs.push_back(p.value);
  Adam adam(cfg.adam, ptrs);
  Network best = net.clone();
  TrainState st;
  const std::string fp = fingerprint(cfg, train_data, valid_data);
  if (resume && !checkpoint.empty() && std::filesystem::exists(checkpoint))
    load_checkpoint(checkpoint, net, best, adam, st, fp);

  // One work slot per chunk of a full batch, reused by every step and by validation.
  // A network whose training pass couples the samples of a batch (batch norm) runs each batch
  // as one chunk: its statistics are the batch's, as in PyTorch.
  const int chunk = net.couples_batch() ? cfg.batch_size : std::min(cfg.chunk, cfg.batch_size);
  const int n_slots = (cfg.batch_size + chunk - 1) / chunk;
  std::vector<ChunkWork> work(static_cast<std::size_t>(n_slots));
  for (auto& w : work) w.grads = net.zero_grads();
  std::vector<Mat> total = net.zero_grads();

  const int n = train_data.n;
  const int n_steps = (n + cfg.batch_size - 1) / cfg.batch_size;
  std::vector<int> order(static_cast<std::size_t>(n));
  Mat valid_logits;

  for (int epoch = st.epochs_done + 1; epoch <= cfg.max_epochs && !st.result.stopped_early; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    std::iota(order.begin(), order.end(), 0);
    Rng(cfg.seed, static_cast<std::uint64_t>(epoch)).shuffle(order.begin(), order.end());
    double epoch_loss = 0;
    for (int step = 0; step < n_steps; ++step) {
      const int b0 = step * cfg.batch_size;
      const int nb = std::min(cfg.batch_size, n - b0);
      const int n_chunks = (nb + chunk - 1) / chunk;
      const std::uint64_t dropout_seed =
          Rng(cfg.seed, kDropoutStreams | (static_cast<std::uint64_t>(epoch) << 32) | static_cast<std::uint64_t>(step))
              .next();
      parallel_for(n_chunks, [&](int c) {
        ChunkWork& w = work[static_cast<std::size_t>(c)];
        const int first = c * chunk;
        const int m = std::min(chunk, nb - first);
        gather(train_data,
               std::span<const int>(order).subspan(static_cast<std::size_t>(b0 + first), static_cast<std::size_t>(m)),
               w, softmax);
        // Dropout masks come from (dropout_seed, position in the batch): independent of chunking.
        net.forward(w.x, m, w.trace, ForwardMode{true, dropout_seed, first});
        const double mean = chunk_loss(net, w, true);
        w.loss_sum = mean * m;
        // The chunk's loss gradient is of its own mean; rescale so the chunk sum is the gradient
        // of the batch mean.
        w.d_logits *= static_cast<float>(static_cast<double>(m) / nb);
        for (auto& g : w.grads) g.setZero();
        net.backward(w.trace, w.d_logits, w.grads);
      });
      double batch_loss = 0;
      for (int c = 0; c < n_chunks; ++c) {
        const auto& g = work[static_cast<std::size_t>(c)].grads;
        for (std::size_t j = 0; j < total.size(); ++j) {
          if (c == 0)
            total[j] = g[j];
          else
            total[j] += g[j];
        }
        batch_loss += work[static_cast<std::size_t>(c)].loss_sum;
      }
      if (!std::isfinite(batch_loss))
        throw Error(fmt::format("train: loss is {} at epoch {}, step {} (learning_rate={:g})",
                                std::isnan(batch_loss) ? "NaN" : "infinite", epoch, step + 1, cfg.adam.learning_rate));
      adam.step(total);
      net.update_state(work[0].trace);  // batch norm's running statistics (one chunk when coupled)
      epoch_loss += batch_loss;
      if (callbacks.on_step) callbacks.on_step(epoch, step + 1, n_steps);
    }

    EpochLog log;
    log.epoch = epoch;
    log.train_loss = epoch_loss / n;
    log.valid_loss = evaluate(net, valid_data, chunk, work, valid_logits);
    if (!std::isfinite(log.valid_loss))
      throw Error(fmt::format("train: validation loss is {} after epoch {} (learning_rate={:g})",
                              std::isnan(log.valid_loss) ? "NaN" : "infinite", epoch, cfg.adam.learning_rate));
    log.valid_metric = valid_metrics(net, valid_data, valid_logits);
    if (log.valid_loss < st.best_loss) {
      st.best_loss = log.valid_loss;
      st.since_best = 0;
      st.result.best_epoch = epoch;
      copy_params(best, net);
      log.best = true;
    } else {
      ++st.since_best;
    }
    st.result.stopped_early = st.since_best >= cfg.patience && epoch < cfg.max_epochs;
    st.epochs_done = epoch;
    log.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    st.result.epochs.push_back(log);
    st.result.best_valid_loss = st.best_loss;
    if (!checkpoint.empty()) save_checkpoint(checkpoint, net, best, adam, st, fp);
    if (callbacks.on_epoch) callbacks.on_epoch(log);
  }
  copy_params(net, best);
  st.result.best_valid_loss = st.best_loss;
  return st.result;
}

Mat predict_logits(const Network& net, const Mat& x, const Shape& shape, int n) {
  LB_CHECK(shape == net.input_shape(), "input shape {} does not match the network input {}", shape.str(),
           net.input_shape().str());
  LB_CHECK(x.rows() == shape.c && x.cols() == static_cast<Eigen::Index>(n) * shape.spatial(),
           "x is {}x{}, expected {}x{}", x.rows(), x.cols(), shape.c, static_cast<Eigen::Index>(n) * shape.spatial());
  Mat out(net.n_outputs(), n);
  const int s = shape.spatial();
  const int n_chunks = (n + kPredictChunk - 1) / kPredictChunk;
  parallel_for(n_chunks, [&](int c) {
    const int first = c * kPredictChunk;
    const int m = std::min(kPredictChunk, n - first);
    Trace t;
    const Mat xc = x.middleCols(static_cast<Eigen::Index>(first) * s, static_cast<Eigen::Index>(m) * s);
    net.forward(xc, m, t, ForwardMode{});
    out.middleCols(first, m) = net.logits(t);
  });
  return out;
}

}  // namespace lb::model
