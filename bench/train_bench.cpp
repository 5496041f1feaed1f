// Training speed of the paper's genomics model: seconds per epoch of 6400 sequences, the
// forward+backward GFLOP/s from the analytic FLOP count, and a plain Eigen float32 GEMM of the
// conv2 shape as the machine's practical ceiling — all measured in one run, so the ratios hold
// on a shared, noisy machine.
//
//   build/bench/train_bench [--threads N] [--epochs E]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "bench/flops.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "io/meme.h"
#include "model/inputs.h"
#include "model/network.h"
#include "model/trainer.h"
#include "sim/simulator.h"

using namespace lb;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  int n_threads = 2, epochs = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads")) n_threads = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--epochs")) epochs = std::stoi(argv[i + 1]);
  }
  keep_freed_memory();  // as the CLI does
  set_threads(n_threads);

  // The paper's dataset: 8000 sequences, 6400 of them for training.
  sim::SimConfig scfg;
  scfg.motifs_file = std::string(LB_SOURCE_DIR) + "/configs/motifs/tal1_gata1.meme";
  const auto motifs = sim::load_motifs(scfg);
  const sim::Dataset data = sim::simulate(scfg, motifs.gata, motifs.tal);
  const auto train = model::split_input(data, sim::Split::Train, "(simulated in memory)").data;
  const auto valid = model::split_input(data, sim::Split::Valid, "(simulated in memory)").data;

  model::ModelConfig mcfg;
  model::Network net = model::Network::from_config(mcfg, train.shape);
  net.init(1);
  const bench::Flops fl = bench::count_flops(net);

  // 1. Forward + backward over the training set, chunked as the trainer does, no optimizer.
  model::TrainConfig tcfg;
  const int chunk = tcfg.chunk;
  const int n_chunks = (train.n + chunk - 1) / chunk;
  // Chunks write disjoint gradient slots; a first untimed pass warms up the allocator.
  std::vector<std::vector<Mat>> grads(static_cast<std::size_t>(n_chunks));
  const auto pass = [&](int c) {
    const int first = c * chunk, n = std::min(chunk, train.n - first);
    const int cols = train.shape.spatial();
    Mat x = train.x.middleCols(static_cast<Eigen::Index>(first) * cols, static_cast<Eigen::Index>(n) * cols);
    thread_local model::Trace tr;  // reused across chunks, as the trainer reuses its buffers
    auto& g = grads[static_cast<std::size_t>(c)];
    g = net.zero_grads();
    model::ForwardMode mode{true, 7, first};
    net.forward(x, n, tr, mode);
    Mat d;
    model::sigmoid_bce(net.logits(tr), train.targets.middleCols(first, n), &d);
    net.backward(tr, d, g);
  };
  parallel_for(n_chunks, pass);
  auto t0 = std::chrono::steady_clock::now();
  parallel_for(n_chunks, pass);
  const double fb_secs = seconds_since(t0);
  const double fb_gflops = (fl.forward + fl.backward) * train.n / fb_secs / 1e9;

  // 2. Whole epochs through the trainer (batches of 128, Adam, validation).
  tcfg.max_epochs = epochs;
  tcfg.patience = epochs + 1;
  model::Network net2 = model::Network::from_config(mcfg, train.shape);
  net2.init(1);
  t0 = std::chrono::steady_clock::now();
  const auto result = model::train(net2, train, valid, tcfg);
  const double train_secs = seconds_since(t0);
  double best_epoch_secs = 1e30;
  for (const auto& e : result.epochs) best_epoch_secs = std::min(best_epoch_secs, e.seconds);

  // 3. The ceiling: Eigen GEMM of conv2's per-sequence shape (50 x 550) * (550 x 180), one thread.
  const double gemm = bench::eigen_gemm_gflops(50, 550, 180);

  fmt::print("threads                          {}\n", n_threads);
  fmt::print("train sequences                  {}\n", train.n);
  fmt::print("analytic GFLOP per epoch         {:.1f} (fwd {:.2f} + bwd {:.2f} MFLOP per sequence)\n",
             (fl.forward + fl.backward) * train.n / 1e9, fl.forward / 1e6, fl.backward / 1e6);
  fmt::print("forward+backward pass, s/epoch   {:.3f}  ({:.1f} GFLOP/s, {:.1f} per thread)\n", fb_secs, fb_gflops,
             fb_gflops / n_threads);
  fmt::print("trainer epoch (best of {}), s     {:.3f}  (mean {:.3f}; includes Adam and validation)\n", epochs,
             best_epoch_secs, train_secs / epochs);
  fmt::print("Eigen GEMM 50x550x180, 1 thread  {:.1f} GFLOP/s\n", gemm);
  fmt::print("fwd+bwd per thread / GEMM        {:.2f}\n", fb_gflops / n_threads / gemm);
  return 0;
}
