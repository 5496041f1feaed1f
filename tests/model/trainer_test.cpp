// Trainer: a separable problem learned to 100%, determinism across thread counts, exact resume,
// chunking that does not change the gradient, early stopping, NaN reporting, validate().
#include "model/trainer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/alphabet.h"
#include "core/error.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "testing/helpers.h"

namespace lb::model {
namespace {

using lb::testing::TempDir;

struct ThreadGuard {
  ~ThreadGuard() { set_threads(1); }
};

// n random sequences of length len; label 1 when the sequence contains GATA. Every other
// sequence gets a GATA planted at a random position, so the classes are balanced.
// One-task data of n sequences of length len: make(rng, i, s) fills s (all 'A' on entry) and
// returns the target.
template <class Make>
TrainData one_task_data(int n, int len, std::uint64_t seed, Make make) {
  Rng rng(seed);
  std::vector<std::vector<std::uint8_t>> codes;
  TrainData d;
  d.n = n;
  d.shape = Shape{4, 1, len};
  d.targets.resize(1, n);
  for (int i = 0; i < n; ++i) {
    std::string s(static_cast<std::size_t>(len), 'A');
    d.targets(0, i) = make(rng, i, s);
    codes.push_back(encode_bases(s, "test"));
  }
  d.x = one_hot(codes);
  return d;
}

// Label 1 when GATA occurs (planted in every other sequence, or by chance).
TrainData gata_data(int n, int len, std::uint64_t seed) {
  return one_task_data(n, len, seed, [len](Rng& rng, int i, std::string& s) {
    for (auto& c : s) c = "ACGT"[rng.below(4)];
    if (i % 2 == 0) s.replace(rng.below(static_cast<std::uint64_t>(len - 3)), 4, "GATA");
    return s.find("GATA") != std::string::npos ? 1.0f : 0.0f;
  });
}

// Random 3-task data for the paper-like network (with dropout).
TrainData random_data(int n, int len, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<std::vector<std::uint8_t>> codes(static_cast<std::size_t>(n));
  TrainData d;
  d.n = n;
  d.shape = Shape{4, 1, len};
  d.targets.resize(3, n);
  for (int i = 0; i < n; ++i) {
    for (int p = 0; p < len; ++p) codes[static_cast<std::size_t>(i)].push_back(static_cast<std::uint8_t>(rng.below(4)));
    for (int t = 0; t < 3; ++t) d.targets(t, i) = static_cast<float>(rng.below(2));
  }
  d.x = one_hot(codes);
  return d;
}

ModelConfig small_model() {
  ModelConfig m;
  m.layers = "conv1=conv1d(6,5) relu conv2=conv1d(6,5) relu gap fc1=dense(8) relu dropout(0.5) fc2=dense(3)";
  return m;
}

Network make_net(const ModelConfig& m, Shape in) {
  Network net = Network::from_config(m, in);
  net.init(m.init_seed);
  return net;
}

// Largest |a - b| (a plain loop: GCC 12's -Wmaybe-uninitialized misfires on Eigen's AVX-512
// max reductions).
double max_abs_diff(const Mat& a, const Mat& b) {
  double m = 0;
  for (Eigen::Index i = 0; i < a.size(); ++i) m = std::max(m, static_cast<double>(std::fabs(a.data()[i] - b.data()[i])));
  return m;
}

// Bit-for-bit equality of every parameter.
void expect_same_weights(Network& a, Network& b) {
  auto pa = a.params();
  auto pb = b.params();
  ASSERT_EQ(pa.size(), pb.size());
  for (std::size_t j = 0; j < pa.size(); ++j) {
    ASSERT_EQ(pa[j].value->size(), pb[j].value->size());
    EXPECT_EQ(0, std::memcmp(pa[j].value->data(), pb[j].value->data(),
                             sizeof(float) * static_cast<std::size_t>(pa[j].value->size())))
        << pa[j].name;
  }
}

TEST(TrainerTest, LearnsContainsGataToFullTrainAccuracy) {
  const TrainData tr = gata_data(128, 12, 1), va = gata_data(64, 12, 2);
  ModelConfig m;
  m.layers = "conv1=conv1d(4,4) relu gap fc1=dense(1)";
  Network net = make_net(m, tr.shape);
  TrainConfig cfg;
  cfg.adam.learning_rate = 0.05;
  cfg.batch_size = 16;
  cfg.max_epochs = 150;
  cfg.patience = 150;
  const TrainResult res = train(net, tr, va, cfg);
  EXPECT_EQ(static_cast<int>(res.epochs.size()), 150);
  const Mat z = predict_logits(net, tr.x, tr.shape, tr.n);
  int correct = 0;
  for (int i = 0; i < tr.n; ++i) correct += (z(0, i) > 0) == (tr.targets(0, i) > 0.5f);
  EXPECT_EQ(correct, tr.n);
  EXPECT_LT(res.epochs.back().train_loss, res.epochs.front().train_loss);
  EXPECT_GT(res.epochs[static_cast<std::size_t>(res.best_epoch - 1)].valid_metric[0], 0.9);  // it generalises, too
}

// A real-valued target, 0.5 + 1.5 x (GATA instances), learned with a linear output and MSE:
// a conv filter, average pooling and a dense layer can represent it exactly.
TEST(TrainerTest, LinearOutputLearnsACountTarget) {
  auto counts = [](int n, int len, std::uint64_t seed) {
    return one_task_data(n, len, seed, [](Rng& rng, int, std::string& s) {
      for (auto& c : s) c = "CT"[rng.below(2)];  // no G or A: GATA occurs only where planted
      const int k = static_cast<int>(rng.below(3));
      for (int j = 0; j < k; ++j) s.replace(static_cast<std::size_t>(j * 6 + rng.below(2)), 4, "GATA");
      return 0.5f + 1.5f * static_cast<float>(k);
    });
  };
  const TrainData tr = counts(256, 16, 3), va = counts(128, 16, 4);
  ModelConfig m;
  m.layers = "conv1=conv1d(2,4) relu gap fc1=dense(1)";
  m.output = "linear";
  Network net = make_net(m, tr.shape);
  EXPECT_EQ(net.output_kind(), OutputKind::Linear);
  TrainConfig cfg;
  cfg.adam.learning_rate = 0.03;
  cfg.batch_size = 32;
  cfg.max_epochs = 200;
  cfg.patience = 200;
  const TrainResult res = train(net, tr, va, cfg);
  const EpochLog& best = res.epochs[static_cast<std::size_t>(res.best_epoch - 1)];
  EXPECT_GT(best.valid_metric[0], 0.98);  // R^2 on unseen sequences
  EXPECT_LT(best.valid_loss, 0.05);       // MSE; the targets' variance is 1.5^2 x 2/3 = 1.5
  const Mat z = predict_logits(net, va.x, va.shape, va.n);
  for (int i = 0; i < va.n; ++i) EXPECT_NEAR(z(0, i), va.targets(0, i), 0.5) << i;
}

TEST(TrainerTest, SameSeedSameWeightsOnOneAndTwoThreads) {
  ThreadGuard guard;
  const TrainData tr = random_data(100, 30, 3), va = random_data(40, 30, 4);
  TrainConfig cfg;
  cfg.adam.learning_rate = 0.01;
  cfg.batch_size = 32;  // 4 batches, the last of 4 samples
  cfg.chunk = 8;
  cfg.max_epochs = 3;
  cfg.patience = 3;
  set_threads(1);
  Network a = make_net(small_model(), tr.shape);
  const TrainResult ra = train(a, tr, va, cfg);
  set_threads(2);
  Network b = make_net(small_model(), tr.shape);
  const TrainResult rb = train(b, tr, va, cfg);
  expect_same_weights(a, b);
  ASSERT_EQ(ra.epochs.size(), rb.epochs.size());
  for (std::size_t e = 0; e < ra.epochs.size(); ++e) {
    EXPECT_EQ(ra.epochs[e].train_loss, rb.epochs[e].train_loss);
    EXPECT_EQ(ra.epochs[e].valid_loss, rb.epochs[e].valid_loss);
  }
  // Another seed changes the batch order and dropout masks.
  cfg.seed = 2;
  Network c = make_net(small_model(), tr.shape);
  train(c, tr, va, cfg);
  EXPECT_NE(*a.params()[0].value, *c.params()[0].value);
}

TEST(TrainerTest, ResumeEndsBitIdenticalToAnUninterruptedRun) {
  ThreadGuard guard;
  set_threads(2);
  TempDir tmp;
  const TrainData tr = random_data(90, 30, 5), va = random_data(30, 30, 6);
  TrainConfig cfg;
  cfg.adam.learning_rate = 0.01;
  cfg.batch_size = 32;
  cfg.chunk = 8;
  cfg.max_epochs = 3;
  cfg.patience = 10;

  Network straight = make_net(small_model(), tr.shape);
  const TrainResult rs = train(straight, tr, va, cfg, tmp.file("straight.ckpt.npz"));

  // "Killed" after epoch 1: a run with max_epochs = 1 leaves the same checkpoint behind.
  const std::string ckpt = tmp.file("run.ckpt.npz");
  TrainConfig one = cfg;
  one.max_epochs = 1;
  Network first = make_net(small_model(), tr.shape);
  train(first, tr, va, one, ckpt);
  ASSERT_TRUE(std::filesystem::exists(ckpt));

  // A fresh process: a newly initialised network, resumed from the checkpoint.
  Network resumed = make_net(small_model(), tr.shape);
  const TrainResult rr = train(resumed, tr, va, cfg, ckpt, /*resume=*/true);
  expect_same_weights(straight, resumed);
  ASSERT_EQ(rr.epochs.size(), 3u);  // the log of epoch 1 comes from the checkpoint
  for (std::size_t e = 0; e < 3; ++e) {
    EXPECT_EQ(rs.epochs[e].train_loss, rr.epochs[e].train_loss) << e;
    EXPECT_EQ(rs.epochs[e].valid_loss, rr.epochs[e].valid_loss) << e;
    EXPECT_EQ(rs.epochs[e].valid_metric, rr.epochs[e].valid_metric) << e;
  }
  EXPECT_EQ(rs.best_epoch, rr.best_epoch);
  EXPECT_EQ(rs.best_valid_loss, rr.best_valid_loss);

  // Resuming a finished run trains no further and returns the same best weights.
  Network again = make_net(small_model(), tr.shape);
  const TrainResult ra = train(again, tr, va, cfg, ckpt, true);
  expect_same_weights(straight, again);
  EXPECT_EQ(ra.epochs.size(), 3u);

  // A checkpoint of other settings is refused, naming the difference.
  TrainConfig other = cfg;
  other.seed = 9;
  Network x = make_net(small_model(), tr.shape);
  try {
    train(x, tr, va, other, ckpt, true);
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind(ckpt + ": checkpoint was written with other training settings or data; expected ", 0), 0u)
        << msg;
    EXPECT_NE(msg.find("seed=9"), std::string::npos) << msg;
    EXPECT_NE(msg.find("; delete the checkpoint or run without --resume"), std::string::npos) << msg;
  }
}

TEST(TrainerTest, ChunkingDoesNotChangeTheGradient) {
  // Without dropout, one step on a batch of 64 split into chunks of 8 or of 64 takes the same
  // step up to float summation order: the loss gradient is scaled to the batch mean.
  const TrainData tr = random_data(64, 20, 7), va = random_data(16, 20, 8);
  ModelConfig m;
  m.layers = "conv1=conv1d(5,5) relu gap fc1=dense(3)";
  TrainConfig cfg;
  cfg.batch_size = 64;
  cfg.max_epochs = 1;
  cfg.adam.beta1 = 0;  // one step, so the update is lr * g / (|g| + eps): compare the gradients' signs
  cfg.adam.beta2 = 0;  // and magnitudes through epsilon large enough to keep the step linear in g
  cfg.adam.epsilon = 1e3;
  cfg.adam.learning_rate = 1e3;  // step = g / (1 + |g|/1e3) ~ g
  Network a = make_net(m, tr.shape), b = make_net(m, tr.shape), init = make_net(m, tr.shape);
  cfg.chunk = 8;
  const TrainResult ra = train(a, tr, va, cfg);
  cfg.chunk = 64;
  const TrainResult rb = train(b, tr, va, cfg);
  auto pa = a.params(), pb = b.params(), p0 = init.params();
  for (std::size_t j = 0; j < pa.size(); ++j) {
    const Mat step_a = *p0[j].value - *pa[j].value, step_b = *p0[j].value - *pb[j].value;
    const double size_b = max_abs_diff(step_b, Mat::Zero(step_b.rows(), step_b.cols()));
    EXPECT_LT(max_abs_diff(step_a, step_b), 1e-5 * (1 + size_b)) << pa[j].name;
    EXPECT_GT(size_b, 1e-4) << pa[j].name;  // the step is not trivially zero
  }
  EXPECT_NEAR(ra.epochs[0].train_loss, rb.epochs[0].train_loss, 1e-6);
}

TEST(TrainerTest, EarlyStoppingRestoresTheBestWeights) {
  // Validation labels are the training labels flipped: learning the training set makes the
  // validation loss rise, so training stops after `patience` epochs without improvement.
  const TrainData tr = gata_data(64, 12, 11);
  TrainData va = tr;
  va.targets = (1.0f - tr.targets.array()).matrix();
  ModelConfig m;
  m.layers = "conv1=conv1d(4,4) relu gap fc1=dense(1)";
  Network net = make_net(m, tr.shape);
  TrainConfig cfg;
  cfg.adam.learning_rate = 0.05;
  cfg.batch_size = 16;
  cfg.max_epochs = 50;
  cfg.patience = 2;
  const TrainResult res = train(net, tr, va, cfg);
  EXPECT_TRUE(res.stopped_early);
  EXPECT_EQ(static_cast<int>(res.epochs.size()), res.best_epoch + cfg.patience);
  for (const auto& e : res.epochs) EXPECT_GE(e.valid_loss, res.best_valid_loss);
  EXPECT_TRUE(res.epochs[static_cast<std::size_t>(res.best_epoch - 1)].best);
  // The network holds the best epoch's weights: its validation loss is the best one.
  const Mat z = predict_logits(net, va.x, va.shape, va.n);
  EXPECT_NEAR(sigmoid_bce(z, va.targets, nullptr), res.best_valid_loss, 1e-6);
}

TEST(TrainerTest, NonFiniteLossNamesEpochStepAndLearningRate) {
  TrainData tr = random_data(40, 20, 9);
  const TrainData va = random_data(10, 20, 10);
  tr.x(0, 5 * 20 + 3) = std::nanf("");  // sample 5 is NaN: its batch's loss is NaN
  TrainConfig cfg;
  cfg.batch_size = 40;  // one batch per epoch
  Network net = make_net(small_model(), tr.shape);
  EXPECT_THROW_MSG(train(net, tr, va, cfg), Error, "train: loss is NaN at epoch 1, step 1 (learning_rate=0.001)");

  // A huge learning rate blows the weights up within a few steps.
  const TrainData tr2 = random_data(64, 20, 9);
  cfg.batch_size = 8;
  cfg.adam.learning_rate = 1e30;
  Network net2 = make_net(small_model(), tr2.shape);
  try {
    train(net2, tr2, va, cfg);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_TRUE(std::regex_match(e.what(), std::regex(R"(train: (validation )?loss is (NaN|infinite) (at|after) epoch \d+(, step \d+)? \(learning_rate=1e\+30\))")))
        << e.what();
  }
}

TEST(TrainerTest, PredictLogitsMatchesOneForwardPass) {
  ThreadGuard guard;
  const TrainData d = random_data(150, 25, 12);
  Network net = make_net(small_model(), d.shape);
  Trace t;
  net.forward(d.x, d.n, t);
  set_threads(1);
  const Mat one = predict_logits(net, d.x, d.shape, d.n);
  set_threads(2);
  const Mat two = predict_logits(net, d.x, d.shape, d.n);
  EXPECT_EQ(one, two);
  ASSERT_EQ(one.rows(), 3);
  ASSERT_EQ(one.cols(), 150);
  EXPECT_LT(max_abs_diff(one, net.logits(t)), 1e-5);
}

TEST(TrainerTest, ValidateNamesTheOption) {
  TrainConfig c;
  c.batch_size = 0;
  EXPECT_THROW_MSG(validate(c), ConfigError, "train.batch_size: too small; expected a value >= 1, got 0");
  c = {};
  c.max_epochs = 0;
  EXPECT_THROW_MSG(validate(c), ConfigError, "train.max_epochs: too small; expected a value >= 1, got 0");
  c = {};
  c.patience = -2;
  EXPECT_THROW_MSG(validate(c), ConfigError, "train.patience: too small; expected a value >= 1, got -2");
  c = {};
  c.chunk = 0;
  EXPECT_THROW_MSG(validate(c), ConfigError, "train.chunk: too small; expected a value >= 1, got 0");
  c = {};
  c.adam.learning_rate = -1;
  EXPECT_THROW_MSG(validate(c), ConfigError, "train.learning_rate: must be positive; expected a value > 0, got -1");
  EXPECT_NO_THROW(validate(TrainConfig{}));
}

}  // namespace
}  // namespace lb::model

namespace lb::model {
namespace {

// A batch-norm / max-pool network (each batch one chunk: batch statistics as in PyTorch) learns
// the GATA task; its running statistics move; training is the same on 1 and 2 threads; and a
// resumed run (the checkpoint carries the running statistics) ends bit-identical.
TEST(TrainerTest, BatchNormMaxPoolNetworkTrainsDeterministicallyAndResumes) {
  ThreadGuard guard;
  TempDir tmp;
  const TrainData tr = gata_data(128, 12, 1), va = gata_data(64, 12, 2);
  ModelConfig m;
  m.layers = "conv1=conv1d(6,4,padding=same) bn1=batchnorm relu maxpool(2) flatten fc1=dense(1)";
  TrainConfig cfg;
  cfg.adam.learning_rate = 0.02;
  cfg.batch_size = 16;
  cfg.chunk = 4;  // ignored for a network with batch norm: one chunk per batch
  cfg.max_epochs = 30;
  cfg.patience = 30;
  Network net = make_net(m, tr.shape);
  const TrainResult res = train(net, tr, va, cfg, tmp.file("a.ckpt.npz"));
  const Mat z = predict_logits(net, va.x, va.shape, va.n);
  int correct = 0;
  for (int i = 0; i < va.n; ++i) correct += (z(0, i) > 0) == (va.targets(0, i) > 0.5f);
  EXPECT_GE(correct, 52) << "of 64";  // 56 measured; chance is 32
  EXPECT_LT(res.epochs.back().train_loss, res.epochs.front().train_loss);
  const auto st = net.state();
  ASSERT_EQ(st[st.size() - 2].name, "bn1.running_mean");
  EXPECT_GT(st[st.size() - 2].value->cwiseAbs().maxCoeff(), 0.01f);  // moved from 0

  set_threads(2);
  Network two = make_net(m, tr.shape);
  train(two, tr, va, cfg);
  expect_same_weights(net, two);
  EXPECT_EQ(*st[st.size() - 1].value, *two.state()[st.size() - 1].value);

  TrainConfig first = cfg;
  first.max_epochs = 7;
  Network part = make_net(m, tr.shape);
  train(part, tr, va, first, tmp.file("b.ckpt.npz"));
  Network resumed = make_net(m, tr.shape);
  train(resumed, tr, va, cfg, tmp.file("b.ckpt.npz"), /*resume=*/true);
  expect_same_weights(net, resumed);
  EXPECT_EQ(*st[st.size() - 2].value, *resumed.state()[st.size() - 2].value);
}

}  // namespace
}  // namespace lb::model
