// Model inputs from data: the sequences of a dataset's split as a one-hot batch with its
// targets, and MNIST from IDX files. Every command and benchmark builds its inputs here.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/trainer.h"
#include "sim/dataset.h"

namespace lb::model {

/// The sequences of one split (all when `split` is empty) as a (4 x n*L) one-hot batch with
/// (T x n) targets (the dataset's labels); `indices` are their positions in the dataset, in dataset order.
struct SplitInput {
  std::vector<int> indices;
  TrainData data;
};
SplitInput split_input(const sim::Dataset& ds, std::optional<sim::Split> split, const std::string& dir);

/// MNIST from a directory of IDX files: train-images-idx3-ubyte, train-labels-idx1-ubyte,
/// t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (each also accepted with ".gz"). Pixels are
/// scaled to [0, 1] (byte / 255), shape 1 x rows x cols; the last `valid_count` training images
/// are the validation split (early stopping), the rest the train split; t10k is the test split.
/// InputError when a file is missing ("DIR: no train-images-idx3-ubyte(.gz); ..."), counts of
/// images and labels differ, a label is above 9, or train and test image sizes differ;
/// ConfigError naming --mnist-valid when valid_count leaves no training image.
inline constexpr int kMnistClasses = 10;
inline constexpr int kMnistValidDefault = 5000;  // the last 5000 training images validate (as in many MNIST setups)
struct MnistInput {
  TrainData train, valid, test;
};
MnistInput load_mnist(const std::string& dir, int valid_count);

}  // namespace lb::model
