// Attribution speed on the paper's genomics model: sequence-tasks per second of each method on
// the 800 test sequences of the paper dataset, all 3 tasks, with a plain Eigen GEMM rate as the
// ceiling — all measured in one run, so the ratios hold on a shared, noisy machine. Trains
// nothing: the model comes from --model, or is Glorot-initialised (said in the output; speed
// barely depends on the weights, but ReLU patterns, and so RevealCancel's cost, a little do).
//
//   build/bench/attribution_bench [--model model.npz] [--threads 2] [--reps 2] [--only m1,m2,...]
// (--only: the rows whose method string is listed, e.g. deeplift:rescale,ig)
#include <chrono>
#include <cstring>
#include <numeric>
#include <string>

#include <fmt/format.h>

#include "attribution/methods.h"
#include "bench/flops.h"
#include "core/parallel.h"
#include "io/meme.h"
#include "model/inputs.h"
#include "model/model_file.h"
#include "sim/simulator.h"

using namespace lb;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct Timed {
  double seconds;
  attr::MethodResult result;
};

// One untimed warm-up on a few sequences.
void warm_up(const attr::Method& m, const model::Network& net, const Mat& x, int n, std::span<const int> tasks,
             const attr::AttributionConfig& cfg) {
  const int warm = std::min(n, 64);
  attr::run_method(m, net, x.leftCols(static_cast<Eigen::Index>(warm) * x.cols() / n), warm, tasks, cfg);
}

// One timed run, kept in `best` when faster.
void time_method(const attr::Method& m, const model::Network& net, const Mat& x, int n, std::span<const int> tasks,
                 const attr::AttributionConfig& cfg, Timed& best) {
  const auto t0 = std::chrono::steady_clock::now();
  auto res = attr::run_method(m, net, x, n, tasks, cfg);
  const double s = seconds_since(t0);
  if (s < best.seconds) best = Timed{s, std::move(res)};
}

}  // namespace

int main(int argc, char** argv) {
  int n_threads = 2, reps = 2;
  std::string model_path, only;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--only")) only = "," + std::string(argv[i + 1]) + ",";
    if (!std::strcmp(argv[i], "--threads")) n_threads = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--reps")) reps = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--model")) model_path = argv[i + 1];
  }
  keep_freed_memory();  // as the CLI does
  set_threads(n_threads);

  // The paper's dataset; its 800 test sequences.
  sim::SimConfig scfg;
  scfg.motifs_file = std::string(LB_SOURCE_DIR) + "/configs/motifs/tal1_gata1.meme";
  const auto motifs = sim::load_motifs(scfg);
  const sim::Dataset data = sim::simulate(scfg, motifs.gata, motifs.tal);
  const model::SplitInput test = model::split_input(data, sim::Split::Test, "(simulated in memory)");
  const int n = test.data.n;
  const Mat& x = test.data.x;
  const model::Shape shape{4, 1, data.seq_len};

  model::Network net;
  std::string model_desc;
  if (!model_path.empty()) {
    net = model::load_model(model_path, nullptr, &shape);
    model_desc = fmt::format("trained, from {}", model_path);
  } else {
    net = model::Network::from_config(model::ModelConfig{}, shape);
    net.init(1, model::InitScheme::GlorotUniform);
    model_desc = "untrained: Network::init(1, GlorotUniform) (pass --model for the trained paper model)";
  }
  std::vector<int> tasks(static_cast<std::size_t>(net.n_outputs()));
  std::iota(tasks.begin(), tasks.end(), 0);
  const int T = static_cast<int>(tasks.size());

  fmt::print("model                            {}\n", model_desc);
  fmt::print("threads                          {}\n", n_threads);
  fmt::print("sequences x tasks                {} x {} (length {})\n\n", n, T, data.seq_len);
  fmt::print("{:<40} {:>9} {:>16} {:>14}\n", "method", "seconds", "seq-tasks/s", "max |delta|");

  struct Row {
    std::string label, method;
    int n_shuffles = 10;
  };
  const std::vector<Row> rows{
      {"deeplift:rescale (background)", "deeplift:rescale"},
      {"deeplift:revealcancel (background)", "deeplift:revealcancel"},
      {"deeplift:genomics (background)", "deeplift:genomics"},
      {"deeplift:genomics, 10 dinuc shuffles", "deeplift:genomics@dinuc_shuffle", 10},
      {"ig, 10 midpoint steps (background)", "ig"},
      {"grad_x_input (background)", "grad_x_input"},
      {"guided_backprop (background)", "guided_backprop"},
      {"ism (600 substitutions)", "ism"},
      {"grad", "grad"},
      {"smoothgrad, 25 noisy copies", "smoothgrad"},
      {"expected_gradients, 10 refs x 10 steps", "expected_gradients", 10},
      {"deeplift:rescale+gc (background)", "deeplift:rescale+gc"},
      {"deeplift:rescale+rcavg (background)", "deeplift:rescale+rcavg"},
  };
  // Best of `reps` runs of each method, the methods taking turns within each round: the machine's
  // speed drifts (other tenants), and turns spread that drift over all methods, so their ratios
  // (RevealCancel / Rescale) compare runs of the same minutes.
  struct Selected {
    const Row* row;
    attr::AttributionConfig cfg;
    attr::Method method;
    Timed best{1e30, {}};
  };
  std::vector<Selected> sel;
  for (const auto& row : rows) {
    if (!only.empty() && only.find("," + row.method + ",") == std::string::npos) continue;
    attr::AttributionConfig cfg;
    cfg.n_shuffles = row.n_shuffles;
    const attr::Method m = attr::parse_methods(row.method, net, cfg).front();
    sel.push_back({&row, cfg, m});
  }
  for (auto& s : sel) warm_up(s.method, net, x, n, tasks, s.cfg);
  for (int r = 0; r < reps; ++r)
    for (auto& s : sel) time_method(s.method, net, x, n, tasks, s.cfg, s.best);
  double rescale_s = 0, rc_s = 0, ism_s = 0, grad_s = 0, sg_s = 0, ig_s = 0, eg_s = 0, gc_s = 0, rcavg_s = 0;
  for (const auto& s : sel) {
    const Row& row = *s.row;
    const attr::Method& m = s.method;
    const Timed& t = s.best;
    const double rate = static_cast<double>(n) * T / t.seconds;
    const std::string delta = attr::has_delta(m) ? fmt::format("{:.2e}", t.result.max_abs_delta) : "-";
    fmt::print("{:<40} {:>9.3f} {:>16.0f} {:>14}\n", row.label, t.seconds, rate, delta);
    if (row.method == "deeplift:rescale") rescale_s = t.seconds;
    if (row.method == "deeplift:revealcancel") rc_s = t.seconds;
    if (row.method == "ism") ism_s = t.seconds;
    if (row.method == "grad") grad_s = t.seconds;
    if (row.method == "smoothgrad") sg_s = t.seconds;
    if (row.method == "ig") ig_s = t.seconds;
    if (row.method == "expected_gradients") eg_s = t.seconds;
    if (row.method == "deeplift:rescale+gc") gc_s = t.seconds;
    if (row.method == "deeplift:rescale+rcavg") rcavg_s = t.seconds;
  }
  const double gemm = bench::eigen_gemm_gflops(50, 550, 180);
  fmt::print("\n");
  // Ratios of rows that ran (--only may skip some).
  const auto ratio = [](const char* label, double a, double b, const char* unit) {
    if (a > 0 && b > 0) fmt::print("{:<35}{:.2f}{}\n", label, a / b, unit);
  };
  ratio("RevealCancel / Rescale cost", rc_s, rescale_s, "x");
  if (ism_s > 0) fmt::print("ISM sequences/s                    {:.0f}\n", n / ism_s);
  ratio("SmoothGrad-25 / (25 x grad)", sg_s, 25 * grad_s, "");
  ratio("expected gradients-10 / (10 x IG)", eg_s, 10 * ig_s, "");
  ratio("Rescale+gc / Rescale", gc_s, rescale_s, "x");
  ratio("Rescale+rcavg / Rescale", rcavg_s, rescale_s, "x");
  fmt::print("Eigen GEMM 50x550x180, 1 thread    {:.1f} GFLOP/s\n", gemm);
  return 0;
}
