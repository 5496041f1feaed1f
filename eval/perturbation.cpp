// The faithfulness metrics of liftbench evaluate (docs/metrics.md, "Faithfulness"): the model's
// output as the positions a map ranks highest are replaced by a reference (deletion) or
// restored into it (insertion), and as random subsets of positions are replaced (faithfulness
// correlation), and the in-silico mutagenesis agreement. Every perturbed input of one sequence
// goes through the model in one batch.
#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "core/alphabet.h"
#include "core/error.h"
#include "core/metrics.h"
#include "core/rng.h"
#include "eval/bootstrap.h"
#include "eval/evaluate.h"
#include "eval/metrics.h"
#include "model/network.h"
#include "model/trainer.h"
#include "sim/shuffle.h"

namespace lb::eval {

std::vector<int> perturbation_grid(int seq_len, const EvalConfig& cfg) {
  const int k_max = std::clamp(static_cast<int>(std::lround(cfg.perturbation_fraction * seq_len)), 1, seq_len);
  std::vector<int> ks;
  for (int j = 0; j <= cfg.perturbation_steps; ++j)
    ks.push_back(static_cast<int>(std::lround(static_cast<double>(j) * k_max / cfg.perturbation_steps)));
  return ks;
}

std::vector<int> perturbation_rows(int n_rows, const EvalConfig& cfg) {
  const int p = cfg.perturbation_sequences;
  std::vector<int> rows;
  if (p <= 0 || p >= n_rows) {
    rows.resize(static_cast<std::size_t>(n_rows));
    std::iota(rows.begin(), rows.end(), 0);
  } else {
    for (int j = 0; j < p; ++j) rows.push_back(static_cast<int>(static_cast<long>(j) * n_rows / p));
  }
  return rows;
}

std::vector<int> positions_by_score(std::span<const double> a) {
  std::vector<int> order(a.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int i, int j) {
    return a[static_cast<std::size_t>(i)] > a[static_cast<std::size_t>(j)];
  });
  return order;
}

double aopc(std::span<const double> curve, double start) {
  double s = 0;
  for (const double f : curve) s += start - f;
  return curve.empty() ? kNaN : s / static_cast<double>(curve.size());
}

namespace {

// ISM effects whose range is at most this, relative to 1 + |f(x)|, count as constant.
constexpr double kFlatEffect = 1e-6;

bool wanted(const std::vector<std::string>& metrics, std::string_view m) {
  return std::find(metrics.begin(), metrics.end(), m) != metrics.end();
}

// Columns [first, first + L) of a batch set to `src`'s columns at `positions`.
void copy_positions(Mat& batch, Eigen::Index first, const Mat& src, std::span<const int> positions) {
  for (const int l : positions) batch.col(first + l) = src.col(l);
}

}  // namespace

void faithfulness_metrics(const sim::Dataset& ds, const ScoresInput& scores, const EvalConfig& cfg,
                          const model::Network& net, Evaluation& ev) {
  const std::vector<std::string> all = xai_metric_list(cfg);
  std::vector<std::string> metrics;
  for (const auto& m : all)
    if (metric_info(m).family == Family::Faithfulness) metrics.push_back(m);
  if (metrics.empty()) return;
  const int T = scores.n_tasks, L = scores.seq_len;
  const auto M = static_cast<int>(scores.methods.size());
  if (net.input_shape() != model::Shape{kNumBases, 1, L})
    throw InputError(fmt::format("--model: the model's input is {}; expected one-hot DNA of the dataset's length "
                                 "(4x{}), got {}",
                                 net.input_shape().str(), L, net.input_shape().str()));
  if (net.n_outputs() != T)
    throw InputError(fmt::format("--model: the model has {} outputs; expected one logit per task of the dataset "
                                 "({}), got {}",
                                 net.n_outputs(), T, net.n_outputs()));
  const bool del = wanted(metrics, "deletion_aopc"), ins = wanted(metrics, "insertion_auc"),
             corr = wanted(metrics, "faithfulness_corr"), ism_p = wanted(metrics, "ism_pearson"),
             ism_s = wanted(metrics, "ism_spearman"), ism_sign = wanted(metrics, "ism_sign_agreement");
  const bool ism = ism_p || ism_s || ism_sign;
  // The planted sites of each dataset sequence (ism_sign_agreement).
  std::vector<std::vector<std::size_t>> sites_of(ds.seqs.size());
  for (std::size_t k = 0; k < ds.sites.size(); ++k)
    sites_of[static_cast<std::size_t>(ds.sites[k].seq)].push_back(k);
  const bool dinuc = cfg.perturbation_reference == "dinuc_shuffle";
  const std::vector<int> ks = perturbation_grid(L, cfg);
  const auto G = static_cast<int>(ks.size()) - 1;  // grid points besides k = 0
  const int S = corr ? cfg.faithfulness_subsets : 0;
  const int subset = std::clamp(static_cast<int>(std::lround(cfg.faithfulness_subset_fraction * L)), 1, L);
  const std::vector<int> rows = perturbation_rows(static_cast<int>(scores.seq.size()), cfg);
  const std::size_t R = rows.size();

  // Per metric, method and task, per-sequence values (NaN: undefined); per curve, its sum.
  auto at = [&](int m, int t) { return static_cast<std::size_t>(m) * static_cast<std::size_t>(T) + static_cast<std::size_t>(t); };
  const std::size_t MT = static_cast<std::size_t>(M) * static_cast<std::size_t>(T);
  std::vector<std::vector<double>> v_del(MT, std::vector<double>(R, kNaN)), v_ins = v_del, v_corr = v_del,
      v_ism_p = v_del, v_ism_s = v_del, v_ism_sign = v_del;
  std::vector<std::vector<double>> sum_del(MT, std::vector<double>(ks.size(), 0.0)), sum_ins = sum_del;

  // Block layout of one sequence's batch: 0 the input, 1 the reference, then per method and
  // task the deletion steps (j = 1..G), then the insertion steps, then the random subsets.
  const int per_mt = (del ? G : 0) + (ins ? G : 0);
  const int B0 = 2 + M * T * per_mt + S;  // then, with ism, every single-base substitution
  Mat batch;
  std::vector<double> a(static_cast<std::size_t>(L));
  for (std::size_t ri = 0; ri < R; ++ri) {
    const int r = rows[ri];
    const auto i = static_cast<std::size_t>(scores.seq[static_cast<std::size_t>(r)]);
    const std::vector<std::uint8_t> codes = encode_bases(ds.seqs[i], "dataset");
    const Mat x = one_hot({codes});
    int n_subst = 0;
    if (ism)
      for (const std::uint8_t c : codes) n_subst += c < kNumBases ? kNumBases - 1 : kNumBases;
    const int B = B0 + n_subst;
    batch.resize(kNumBases, static_cast<Eigen::Index>(B) * L);
    Mat ref(kNumBases, L);
    if (dinuc) {
      Rng rng(cfg.perturbation_seed, i);
      ref = one_hot({sim::shuffle_codes(codes, sim::ShuffleKind::Dinuc, rng)});
    } else {
      for (int l = 0; l < L; ++l)
        for (int b = 0; b < kNumBases; ++b) ref(b, l) = static_cast<float>(cfg.background[static_cast<std::size_t>(b)]);
    }
    Eigen::Index block = 0;
    auto next_block = [&](const Mat& start) {
      batch.middleCols(block * L, L) = start;
      return (block++) * L;
    };
    next_block(x);
    next_block(ref);
    for (int m = 0; m < M; ++m)
      for (int t = 0; t < T; ++t) {
        const double* pb = scores.methods[static_cast<std::size_t>(m)].per_base.data() +
                           (static_cast<std::size_t>(r) * static_cast<std::size_t>(T) + static_cast<std::size_t>(t)) *
                               static_cast<std::size_t>(L);
        const std::vector<int> order = positions_by_score(std::span<const double>(pb, static_cast<std::size_t>(L)));
        if (del)
          for (int j = 1; j <= G; ++j)
            copy_positions(batch, next_block(x), ref, std::span<const int>(order.data(), static_cast<std::size_t>(ks[j])));
        if (ins)
          for (int j = 1; j <= G; ++j)
            copy_positions(batch, next_block(ref), x, std::span<const int>(order.data(), static_cast<std::size_t>(ks[j])));
      }
    // The random subsets: the same for every method and task of the sequence.
    std::vector<std::vector<int>> subsets(static_cast<std::size_t>(S));
    {
      Rng rng(cfg.perturbation_seed, (std::uint64_t{1} << 62) + i);
      std::vector<int> pos(static_cast<std::size_t>(L));
      for (auto& sub : subsets) {
        std::iota(pos.begin(), pos.end(), 0);
        for (int k = 0; k < subset; ++k)  // the first `subset` draws of a Fisher-Yates shuffle
          std::swap(pos[static_cast<std::size_t>(k)], pos[static_cast<std::size_t>(k) + rng.below(static_cast<std::uint64_t>(L - k))]);
        sub.assign(pos.begin(), pos.begin() + subset);
        copy_positions(batch, next_block(x), ref, sub);
      }
    }
    // In-silico mutagenesis: each position set to each other base, in base order.
    for (int l = 0; l < L && ism; ++l)
      for (int b = 0; b < kNumBases; ++b) {
        if (b == codes[static_cast<std::size_t>(l)]) continue;
        const Eigen::Index first = next_block(x);
        batch.col(first + l).setZero();
        batch(b, first + l) = 1.0f;
      }
    LB_CHECK(block == B, "faithfulness_metrics: batch layout");
    const Mat logits = model::predict_logits(net, batch, net.input_shape(), B);
    ev.forward_passes += B;

    Eigen::Index col = 2;
    const Eigen::Index subset_col = 2 + static_cast<Eigen::Index>(M) * T * per_mt;
    std::vector<double> curve(ks.size()), sums(static_cast<std::size_t>(S)), drops(static_cast<std::size_t>(S));
    // ISM effects per task: f(x) - the mean of f over the position's substitutions.
    std::vector<std::vector<double>> effect(static_cast<std::size_t>(T), std::vector<double>(static_cast<std::size_t>(L)));
    if (ism) {
      Eigen::Index c = B0;
      for (int l = 0; l < L; ++l) {
        const int n = codes[static_cast<std::size_t>(l)] < kNumBases ? kNumBases - 1 : kNumBases;
        for (int t = 0; t < T; ++t) {
          double mean = 0;
          for (int b = 0; b < n; ++b) mean += logits(t, c + b);
          effect[static_cast<std::size_t>(t)][static_cast<std::size_t>(l)] = logits(t, 0) - mean / n;
        }
        c += n;
      }
    }
    for (int m = 0; m < M; ++m)
      for (int t = 0; t < T; ++t) {
        const double f_x = logits(t, 0), f_ref = logits(t, 1);
        const std::size_t k = at(m, t);
        if (del) {
          curve[0] = f_x;
          for (int j = 1; j <= G; ++j) curve[static_cast<std::size_t>(j)] = logits(t, col++);
          v_del[k][ri] = aopc(curve, f_x);
          for (std::size_t j = 0; j < curve.size(); ++j) sum_del[k][j] += curve[j];
        }
        if (ins) {
          curve[0] = f_ref;
          for (int j = 1; j <= G; ++j) curve[static_cast<std::size_t>(j)] = logits(t, col++);
          v_ins[k][ri] = -aopc(curve, f_ref);
          for (std::size_t j = 0; j < curve.size(); ++j) sum_ins[k][j] += curve[j];
        }
        if (corr) {
          const double* pb = scores.methods[static_cast<std::size_t>(m)].per_base.data() +
                             (static_cast<std::size_t>(r) * static_cast<std::size_t>(T) + static_cast<std::size_t>(t)) *
                                 static_cast<std::size_t>(L);
          for (int s = 0; s < S; ++s) {
            double sum = 0;
            for (const int l : subsets[static_cast<std::size_t>(s)]) sum += pb[l];
            sums[static_cast<std::size_t>(s)] = sum;
            drops[static_cast<std::size_t>(s)] = f_x - logits(t, subset_col + s);
          }
          v_corr[k][ri] = pearson(sums, drops);
        }
        if (ism) {
          const std::span<const double> map(scores.methods[static_cast<std::size_t>(m)].per_base.data() +
                                                (static_cast<std::size_t>(r) * static_cast<std::size_t>(T) +
                                                 static_cast<std::size_t>(t)) * static_cast<std::size_t>(L),
                                            static_cast<std::size_t>(L));
          const std::vector<double>& e = effect[static_cast<std::size_t>(t)];
          // Effects equal up to the float rounding of the logits (a sequence the model does not
          // react to) carry no ranking: undefined, not a correlation of rounding noise.
          const auto [e_lo, e_hi] = std::minmax_element(e.begin(), e.end());
          const bool flat = *e_hi - *e_lo <= kFlatEffect * (1.0 + std::abs(logits(t, 0)));
          v_ism_p[k][ri] = flat ? kNaN : pearson(map, e);
          v_ism_s[k][ri] = flat ? kNaN : spearman(map, e);
          double agree = 0, n_sites = 0;
          for (const std::size_t site : sites_of[i]) {
            double sa = 0, se = 0;
            for (auto l = ds.sites[site].start; l < ds.sites[site].end; ++l)
              sa += map[static_cast<std::size_t>(l)], se += e[static_cast<std::size_t>(l)];
            agree += (sa > 0) == (se > 0) && (sa < 0) == (se < 0) ? 1 : 0;
            n_sites += 1;
          }
          v_ism_sign[k][ri] = n_sites > 0 ? agree / n_sites : kNaN;
        }
      }
    LB_CHECK(col == 2 + M * T * per_mt, "faithfulness_metrics: logits layout");
  }

  // Rows: metric by metric (the catalogue's order), method by method, task by task.
  const BootstrapConfig boot{cfg.bootstrap_resamples, cfg.bootstrap_seed, 0.95};
  std::vector<double> num(R), den(R);
  for (const std::string& metric : metrics) {
    const auto& values = metric == "deletion_aopc"        ? v_del
                         : metric == "insertion_auc"      ? v_ins
                         : metric == "faithfulness_corr"  ? v_corr
                         : metric == "ism_pearson"        ? v_ism_p
                         : metric == "ism_spearman"       ? v_ism_s
                                                          : v_ism_sign;
    for (int m = 0; m < M; ++m)
      for (int t = 0; t < T; ++t) {
        const std::vector<double>& v = values[at(m, t)];
        MetricRow row{.method = scores.methods[static_cast<std::size_t>(m)].name,
                      .reference = scores.methods[static_cast<std::size_t>(m)].reference, .task = t, .motif = "-",
                      .metric = metric, .tier = "all", .value = kNaN, .n = 0};
        for (std::size_t s = 0; s < R; ++s) {
          num[s] = std::isfinite(v[s]) ? v[s] : 0.0;
          den[s] = std::isfinite(v[s]) ? 1.0 : 0.0;
          row.n += std::isfinite(v[s]) ? 1 : 0;
        }
        if (R > 0) {
          const Interval iv = bootstrap_ratio(RatioData{num, den}, boot);
          row.value = iv.estimate, row.ci_lo = iv.lo, row.ci_hi = iv.hi;
        }
        ev.rows.push_back(std::move(row));
      }
  }
  for (int m = 0; m < M; ++m)
    for (int t = 0; t < T; ++t)
      for (int kind = 0; kind < 2; ++kind) {
        if ((kind == 0 && !del) || (kind == 1 && !ins)) continue;
        PerturbationCurve c{.method = scores.methods[static_cast<std::size_t>(m)].name, .task = t,
                            .kind = kind == 0 ? "deletion" : "insertion", .k = ks, .mean = {}};
        for (const double s : (kind == 0 ? sum_del : sum_ins)[at(m, t)])
          c.mean.push_back(R > 0 ? s / static_cast<double>(R) : kNaN);
        ev.curves.push_back(std::move(c));
      }
}

}  // namespace lb::eval
