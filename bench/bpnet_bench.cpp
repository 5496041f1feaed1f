// Speed on a BPNet-like graph (a model of the kind people use): a 64-filter stem, nine dilated
// residual blocks (kernel 3, dilation 2..512), a profile head cropped to 1,000 positions and a
// count head, on sequences of 2,114 bp; per method, sequence-tasks per second for the two count
// outputs, and for the gradient and DeepLIFT Rescale the GFLOP/s their multiply-adds give
// against a plain Eigen GEMM of the blocks' shape times the threads, all measured in one run
// (ratios hold on a shared, noisy machine). Weights are PyTorch-initialised (speed barely
// depends on them); sequences are random one-hot; the reference is the background (one shared input).
//
//   build/bench/bpnet_bench [--threads 2] [--n 64] [--reps 2]
#include <chrono>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "attribution/methods.h"
#include "bench/flops.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "model/network.h"

using namespace lb;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The model.layers spec: stem, nine residual blocks h = h + relu(conv_d(h)), then the heads.
std::string bpnet_spec(int filters, int blocks, int len, int out_len) {
  std::string s = fmt::format("stem=conv1d({},21,padding=same) r0=relu", filters);
  std::string trunk = "r0";
  for (int b = 1; b <= blocks; ++b) {
    s += fmt::format(" c{0}=conv1d({1},3,padding=same,dilation={2}) r{0}=relu a{0}=add({3},r{0})", b, filters, 1 << b,
                     trunk);
    trunk = fmt::format("a{}", b);
  }
  const int crop = (len - out_len) / 2;
  s += fmt::format(" profile=conv1d(2,75,padding=same) crop(left={},right={}) pf=flatten g=gap@{} counts=dense(2) "
                   "heads=concat(pf,counts)",
                   crop, len - out_len - crop, trunk);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  int n_threads = 2, n = 64, reps = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads")) n_threads = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--n")) n = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--reps")) reps = std::stoi(argv[i + 1]);
  }
  keep_freed_memory();  // as the CLI does
  set_threads(n_threads);
  const int len = 2114, out_len = 1000, filters = 64, blocks = 9;
  model::ModelConfig mcfg;
  mcfg.layers = bpnet_spec(filters, blocks, len, out_len);
  mcfg.output = "linear";
  const model::Shape shape{4, 1, len};
  model::Network net = model::Network::from_config(mcfg, shape);
  net.init(1);
  Rng rng(7);
  Mat x = Mat::Zero(4, Eigen::Index{n} * len);
  for (Eigen::Index p = 0; p < x.cols(); ++p) x(static_cast<Eigen::Index>(rng.uniform() * 4) % 4, p) = 1.0f;
  const std::vector<int> tasks{2 * out_len, 2 * out_len + 1};  // the count head
  const int T = static_cast<int>(tasks.size());
  const bench::Flops fl = bench::count_flops(net);

  fmt::print("model                            BPNet-like: {} filters, {} dilated residual blocks, {} bp in, "
             "{} profile positions x 2 + 2 counts out ({} layers)\n",
             filters, blocks, len, out_len, net.n_layers());
  fmt::print("threads                          {}\n", n_threads);
  fmt::print("sequences x tasks                {} x {} (the count head)\n", n, T);
  fmt::print("forward MFLOP per sequence       {:.1f}\n\n", fl.forward / 1e6);
  fmt::print("{:<40} {:>9} {:>16} {:>14}\n", "method", "seconds", "seq-tasks/s", "GFLOP/s");

  double grad_rate = 0, rescale_rate = 0;
  for (const char* method : {"grad", "deeplift:rescale", "deeplift:revealcancel", "ig"}) {
    attr::AttributionConfig cfg;
    const attr::Method m = attr::parse_methods(method, net, cfg).front();
    attr::run_method(m, net, x.leftCols(Eigen::Index{std::min(n, 4)} * len), std::min(n, 4), tasks, cfg);  // warm-up
    double best = 1e30;
    for (int r = 0; r < reps; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      attr::run_method(m, net, x, n, tasks, cfg);
      best = std::min(best, seconds_since(t0));
    }
    // The gradient's and Rescale's work: one forward (the shared reference's is one sequence's)
    // and one transposed pass per task, each about a forward's multiply-adds.
    const std::string name = method;
    const double flop = n * fl.forward * (1.0 + T);
    const double gflops = name == "grad" || name == "deeplift:rescale" ? flop / best / 1e9 : 0.0;
    if (name == "grad") grad_rate = gflops;
    if (name == "deeplift:rescale") rescale_rate = gflops;
    fmt::print("{:<40} {:>9.3f} {:>16.1f} {:>14}\n", method, best, static_cast<double>(n) * T / best,
               gflops > 0 ? fmt::format("{:.1f}", gflops) : "-");
  }
  const double gemm = bench::eigen_gemm_gflops(filters, 3 * filters, 2048);
  fmt::print("\nEigen GEMM 64x192x2048, 1 thread  {:.1f} GFLOP/s\n", gemm);
  fmt::print("grad / (GEMM x threads)           {:.2f}\n", grad_rate / (gemm * n_threads));
  fmt::print("Rescale / (GEMM x threads)        {:.2f}\n", rescale_rate / (gemm * n_threads));
  return 0;
}
