// Training: mini-batches shuffled from the seed every epoch, Adam, early stopping on validation
// loss with patience (restoring the best weights), a maximum number of epochs, one log line per
// epoch, atomic checkpoints each epoch and exact resume. Batches are split into fixed chunks of
// samples run in parallel, with gradients summed in chunk order: the same seed gives
// bit-identical weights on any thread count.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/adam.h"
#include "model/network.h"

namespace lb::model {

/// [train] section.
struct TrainConfig {
  AdamConfig adam;
  int batch_size = 128;
  int max_epochs = 100;
  int patience = 3;               // epochs without a new best validation loss before stopping
  std::uint64_t seed = 1;         // batch order and dropout masks
  int chunk = 16;                 // samples per parallel work item (fixed: results independent of threads)
};

/// Throws ConfigError naming the option (train.batch_size, ...).
void validate(const TrainConfig& cfg);

/// Inputs and targets of one split. For sigmoid outputs `targets` is (T x n) 0/1, for linear
/// outputs (T x n) real values; for softmax `classes` holds n class indices.
struct TrainData {
  Shape shape;                 // per-sample input shape
  int n = 0;
  Mat x;                       // (shape.c x n*shape.spatial())
  Mat targets;                 // (T x n), sigmoid and linear models
  std::vector<int> classes;    // n, softmax models
};

struct EpochLog {
  int epoch = 0;               // 1-based
  double train_loss = 0, valid_loss = 0;
  std::vector<double> valid_metric;  // per task auROC (sigmoid) or R^2 (linear), or one accuracy (softmax)
  double seconds = 0;
  bool best = false;
};

struct TrainResult {
  std::vector<EpochLog> epochs;
  int best_epoch = 0;
  double best_valid_loss = 0;
  bool stopped_early = false;
};

struct TrainCallbacks {
  std::function<void(const EpochLog&)> on_epoch;               // after each epoch
  std::function<void(int epoch, int step, int n_steps)> on_step;  // progress
};

/// Trains `net` in place; at the end it holds the best weights. `checkpoint` (if not empty) is
/// written atomically after every epoch; with `resume` true and the checkpoint present,
/// training continues from it and ends with the same weights as an uninterrupted run.
/// A non-finite loss throws Error("train: loss is NaN at epoch E, step S (learning_rate=...)").
TrainResult train(Network& net, const TrainData& train_data, const TrainData& valid_data, const TrainConfig& cfg,
                  const std::string& checkpoint = "", bool resume = false, const TrainCallbacks& callbacks = {});

/// Logits of every sample (T x n), in chunks, in parallel; inference mode.
Mat predict_logits(const Network& net, const Mat& x, const Shape& shape, int n);

}  // namespace lb::model
