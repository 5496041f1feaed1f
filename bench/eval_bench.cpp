// Evaluation statistics speed: bootstrap intervals (1,000 resamples) over 800 sequences, the
// size of the paper's test split, for the statistics the evaluation computes per method, task
// and role: a rate of instances grouped by sequence (ratio of sums, ~2 instances a sequence),
// the paired difference of two methods' rates, and an auROC of per-instance scores (a statistic
// that is not a mean, through the general callback). Synthetic data; the cost does not depend on
// the values.
//
//   build/bench/eval_bench [--threads 2] [--reps 3] [--sequences 800] [--resamples 1000]
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/metrics.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "eval/bootstrap.h"

using namespace lb;

namespace {

template <class F>
double best_seconds(int reps, F&& f) {
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  int n_threads = 2, reps = 3, n = 800, b = 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads")) n_threads = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--reps")) reps = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--sequences")) n = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--resamples")) b = std::stoi(argv[i + 1]);
  }
  keep_freed_memory();  // as the CLI does
  set_threads(n_threads);

  // Per sequence: 1-3 instances, each a false negative with probability 0.1 (method a) or 0.15 (b);
  // per instance a score and a label for the auROC.
  std::vector<double> num_a(n), num_b(n), den(n);
  std::vector<int> first(n + 1, 0);
  std::vector<double> inst_score;
  std::vector<int> inst_label;
  for (int i = 0; i < n; ++i) {
    Rng rng(1, static_cast<std::uint64_t>(i));
    const int k = 1 + static_cast<int>(rng.below(3));
    den[i] = k;
    for (int j = 0; j < k; ++j) {
      num_a[i] += rng.uniform() < 0.10;
      num_b[i] += rng.uniform() < 0.15;
      const int label = rng.uniform() < 0.5;
      inst_label.push_back(label);
      inst_score.push_back(rng.normal() + label);
    }
    first[i + 1] = static_cast<int>(inst_score.size());
  }
  const eval::Statistic auroc_stat = [&](std::span<const int> idx) {
    std::vector<double> s;
    std::vector<int> l;
    s.reserve(idx.size() * 3);
    l.reserve(idx.size() * 3);
    for (int i : idx)
      for (int j = first[i]; j < first[i + 1]; ++j) {
        s.push_back(inst_score[j]);
        l.push_back(inst_label[j]);
      }
    return auroc(s, l);
  };

  eval::BootstrapConfig cfg;
  cfg.resamples = b;
  fmt::print("bootstrap, {} resamples over {} sequences ({} instances), {} threads, best of {}\n", b, n,
             inst_score.size(), n_threads, reps);
  fmt::print("{:<40} {:>10}\n", "statistic", "seconds");
  eval::Interval ci;
  double s = best_seconds(reps, [&] { ci = eval::bootstrap_ratio({num_a, den}, cfg); });
  fmt::print("{:<40} {:>10.4f}   [{:.4f}, {:.4f}]\n", "FN rate (ratio of sums)", s, ci.lo, ci.hi);
  eval::PairedInterval p;
  s = best_seconds(reps, [&] { p = eval::paired_bootstrap_ratio({num_a, den}, {num_b, den}, cfg); });
  fmt::print("{:<40} {:>10.4f}   diff [{:.4f}, {:.4f}], p {:.3f}\n", "FN rate, paired difference of 2 methods", s,
             p.diff.lo, p.diff.hi, p.p_value);
  s = best_seconds(reps, [&] { ci = eval::bootstrap(n, auroc_stat, cfg); });
  fmt::print("{:<40} {:>10.4f}   [{:.4f}, {:.4f}]\n", "auROC of instances (general statistic)", s, ci.lo, ci.hi);
  return 0;
}
