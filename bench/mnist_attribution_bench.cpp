// Attribution speed on the MNIST network of appendix D: image-logits per second of each erasure method (two logits, c0 = 8 and ct = 3) on the first 1000 t10k images.
//
//   build/bench/mnist_attribution_bench --model model.npz [--mnist DIR] [--threads 2] [--reps 3] [--n 1000]
//
// Without --mnist the images are uniform random pixels in [0, 1] (said in the output; speed
// barely depends on them). Also times the whole 4-pair erasure benchmark (eval::run_erasure).
#include <chrono>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "attribution/methods.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "eval/erasure.h"
#include "io/idx.h"
#include "model/model_file.h"

using namespace lb;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  int n_threads = 2, reps = 3, n = 1000;
  std::string model_path, mnist;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads")) n_threads = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--reps")) reps = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--n")) n = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--model")) model_path = argv[i + 1];
    else if (!std::strcmp(argv[i], "--mnist")) mnist = argv[i + 1];
  }
  if (model_path.empty()) {
    fmt::print(stderr, "usage: mnist_attribution_bench --model model.npz [--mnist DIR] [--threads 2] [--reps 3] [--n 1000]\n");
    return 2;
  }
  keep_freed_memory();  // as the CLI does
  set_threads(n_threads);
  const model::Network net = model::load_model(model_path);
  const model::Shape shape = net.input_shape();
  const int S = shape.spatial();
  eval::ImageSet data;
  data.shape = shape;
  if (!mnist.empty()) {
    const io::IdxImages im = io::read_idx_images(mnist + "/t10k-images-idx3-ubyte");
    const auto labels = io::read_idx_labels(mnist + "/t10k-labels-idx1-ubyte");
    data.images.resize(1, Eigen::Index{im.n} * S);
    for (Eigen::Index j = 0; j < data.images.cols(); ++j)
      data.images(0, j) = static_cast<float>(im.pixels[static_cast<std::size_t>(j)]) / 255.0f;
    data.labels.assign(labels.begin(), labels.end());
  } else {
    Rng rng(1);
    data.images.resize(1, Eigen::Index{n} * S);
    for (Eigen::Index j = 0; j < data.images.cols(); ++j) data.images(0, j) = static_cast<float>(rng.uniform());
    data.labels.assign(static_cast<std::size_t>(n), 8);
  }
  n = std::min(n, data.n());
  const Mat x = data.images.leftCols(Eigen::Index{n} * S);
  fmt::print("MNIST attribution: {} images {} ({}), logits 8 and 3, {} threads, best of {} runs\n", n, shape.str(),
             mnist.empty() ? "random pixels" : "t10k", n_threads, reps);
  fmt::print("| method | seconds | image-logits/s | max |summation error| |\n|---|---|---|---|\n");
  double rescale_s = 0;
  for (const auto& m : eval::paper_erasure_methods()) {
    eval::erasure_scores(m, net, x.leftCols(Eigen::Index{std::min(n, 64)} * S), std::min(n, 64), 8, 3);  // warm-up
    double best = 1e30;
    double max_delta = 0;
    for (int r = 0; r < reps; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      const attr::MethodResult res = eval::erasure_run(m, net, x, n, 8, 3);
      best = std::min(best, seconds_since(t0));
      max_delta = res.max_abs_delta;
    }
    const std::string err = attr::has_delta(eval::erasure_method(net, m)) ? fmt::format("{:.1e}", max_delta) : "";
    if (m.name == "deeplift_rescale") rescale_s = best;
    std::string rate = fmt::format("{:.0f}", 2.0 * n / best);
    if (m.name == "deeplift_revealcancel" && rescale_s > 0) rate += fmt::format(" ({:.2f}x Rescale's cost)", best / rescale_s);
    fmt::print("| {} | {:.3f} | {} | {} |\n", m.name, best, rate, err);
  }
  if (!mnist.empty()) {
    const std::vector<std::pair<int, int>> pairs{{8, 3}, {8, 6}, {9, 1}, {4, 1}};
    const auto methods = eval::paper_erasure_methods();
    const auto t0 = std::chrono::steady_clock::now();
    const auto rows = eval::run_erasure(net, data, pairs, methods, {});
    fmt::print("whole erasure benchmark (4 pairs, 10 methods, {} image-method rows): {:.2f} s\n", rows.size(),
               seconds_since(t0));
  }
  return 0;
}
