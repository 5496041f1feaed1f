// The MNIST pixel-erasure benchmark: pixel choice, method scores, drops, summary and TSV files.
#include "eval/erasure.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <numeric>
#include <tuple>

#include <fmt/format.h>

#include "core/error.h"
#include "io/atomic_file.h"

namespace lb::eval {

std::vector<int> pixels_to_erase(std::span<const float> s_c0, std::span<const float> s_ct, int k) {
  if (s_c0.size() != s_ct.size())
    throw InputError(fmt::format("erasure: score maps differ in size; expected equal sizes, got {} and {}",
                                 s_c0.size(), s_ct.size()));
  std::vector<int> idx;
  std::vector<float> d(s_c0.size());
  for (std::size_t i = 0; i < s_c0.size(); ++i) {
    d[i] = s_c0[i] - s_ct[i];
    if (d[i] > 0) idx.push_back(static_cast<int>(i));  // NaN compares false: never chosen
  }
  std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) {
    return d[static_cast<std::size_t>(a)] > d[static_cast<std::size_t>(b)];
  });  // stable on ascending indices: ties keep index order
  if (static_cast<int>(idx.size()) > std::max(k, 0)) idx.resize(static_cast<std::size_t>(std::max(k, 0)));
  return idx;
}

std::vector<ErasureMethod> paper_erasure_methods() {
  return {{"abs_grad", "abs_grad"},
          {"guided_backprop", "guided_grad"},
          {"guided_backprop_x_input", "guided_backprop@zeros"},
          {"grad_x_input", "grad_x_input@zeros"},
          {"ig_5", "ig:5@zeros"},
          {"ig_10", "ig:10@zeros"},
          {"deeplift_rescale", "deeplift:rescale@zeros"},
          {"deeplift_revealcancel", "deeplift:[conv]=rc;[dense]=rc@zeros"},
          {"deeplift_rc_fc_conv2_rs_conv1", "deeplift:[first_conv]=rs;[later_conv]=rc;[dense]=rc@zeros"},
          {"deeplift_rc_fc_rs_conv", "deeplift:[conv]=rs;[dense]=rc@zeros"}};
}

attr::AttributionConfig erasure_config() {
  attr::AttributionConfig cfg;
  cfg.reference = "zeros";
  return cfg;
}

attr::Method erasure_method(const model::Network& net, const ErasureMethod& m) {
  attr::Method method = attr::parse_method(m.spec, net, erasure_config());
  // Erased pixels are set to 0: the reference the scores must be computed against.
  LB_CHECK(!attr::uses_reference(method.kind) || method.reference == attr::ReferenceKind::Zeros,
           "erasure method {} ({}) needs the zero reference", m.name, m.spec);
  return method;
}

attr::MethodResult erasure_run(const ErasureMethod& m, const model::Network& net, const Mat& x, int n, int c0, int ct) {
  const std::vector<int> tasks{c0, ct};
  return attr::run_method(erasure_method(net, m), net, x, n, tasks, erasure_config());
}

Mat erasure_scores(const ErasureMethod& m, const model::Network& net, const Mat& x, int n, int c0, int ct) {
  return erasure_run(m, net, x, n, c0, ct).contributions;
}

std::vector<int> source_images(const model::Network& net, const ImageSet& data, int c0, bool only_correct) {
  std::vector<int> idx;
  for (int i = 0; i < data.n(); ++i)
    if (data.labels[static_cast<std::size_t>(i)] == c0) idx.push_back(i);
  if (!only_correct || idx.empty()) return idx;
  const int S = data.shape.spatial();
  Mat x(data.images.rows(), Eigen::Index{S} * static_cast<Eigen::Index>(idx.size()));
  for (std::size_t j = 0; j < idx.size(); ++j)
    x.middleCols(static_cast<Eigen::Index>(j) * S, S) = data.images.middleCols(Eigen::Index{idx[j]} * S, S);
  model::Trace t;
  net.forward(x, static_cast<int>(idx.size()), t);
  const Mat& lg = net.logits(t);
  std::vector<int> kept;
  for (std::size_t j = 0; j < idx.size(); ++j) {
    Eigen::Index best = 0;
    lg.col(static_cast<Eigen::Index>(j)).maxCoeff(&best);
    if (best == c0) kept.push_back(idx[j]);
  }
  return kept;
}

namespace {
constexpr int kBatch = 512;  // images per engine call (bounds memory; results do not depend on it)
}  // namespace

std::vector<ErasureRow> run_erasure(const model::Network& net, const ImageSet& data,
                                    std::span<const std::pair<int, int>> pairs,
                                    std::span<const ErasureMethod> methods, const ErasureOptions& opt) {
  if (!(net.input_shape() == data.shape))
    throw InputError(fmt::format("erasure: images are {}; expected the model's input shape {}, got {}",
                                 data.shape.str(), net.input_shape().str(), data.shape.str()));
  for (const auto& m : methods) erasure_method(net, m);  // every method string checked before any work
  const int S = data.shape.spatial();
  const int K = net.n_outputs();
  std::vector<ErasureRow> rows;
  for (const auto& [c0, ct] : pairs) {
    if (c0 < 0 || c0 >= K || ct < 0 || ct >= K || c0 == ct)
      throw ConfigError(fmt::format("erasure: bad class pair {}->{}; expected two different classes in 0..{}, got {}->{}",
                                    c0, ct, K - 1, c0, ct));
    const std::vector<int> idx = source_images(net, data, c0, opt.only_correct);
    for (const auto& m : methods) {
      for (std::size_t b0 = 0; b0 < idx.size(); b0 += kBatch) {
        const int nb = static_cast<int>(std::min<std::size_t>(kBatch, idx.size() - b0));
        const Eigen::Index C = data.images.rows();
        Mat x(C, Eigen::Index{nb} * S);
        for (int j = 0; j < nb; ++j)
          x.middleCols(Eigen::Index{j} * S, S) = data.images.middleCols(Eigen::Index{idx[b0 + static_cast<std::size_t>(j)]} * S, S);
        const Mat sc = erasure_scores(m, net, x, nb, c0, ct);
        Mat xe = x;
        std::vector<int> n_erased(static_cast<std::size_t>(nb));
        for (int j = 0; j < nb; ++j) {
          // Per input element (channels summed for multi-channel inputs: one pixel = one column).
          const Eigen::Index o0 = Eigen::Index{j} * S, o1 = (Eigen::Index{nb} + j) * S;
          const Vec a = sc.middleCols(o0, S).colwise().sum().transpose();
          const Vec bt = sc.middleCols(o1, S).colwise().sum().transpose();
          const std::vector<int> px = pixels_to_erase({a.data(), static_cast<std::size_t>(S)},
                                                      {bt.data(), static_cast<std::size_t>(S)}, opt.k);
          for (int p : px) xe.col(o0 + p).setZero();  // the reference the scores were computed against
          n_erased[static_cast<std::size_t>(j)] = static_cast<int>(px.size());
        }
        model::Trace t0, t1;
        net.forward(x, nb, t0);
        net.forward(xe, nb, t1);
        const Mat& l0 = net.logits(t0);
        const Mat& l1 = net.logits(t1);
        for (int j = 0; j < nb; ++j) {
          ErasureRow row;
          row.c0 = c0;
          row.ct = ct;
          row.image = idx[b0 + static_cast<std::size_t>(j)];
          row.method = m.name;
          row.diff_before = double(l0(c0, j)) - double(l0(ct, j));
          row.diff_after = double(l1(c0, j)) - double(l1(ct, j));
          row.drop = row.diff_before - row.diff_after;
          row.n_erased = n_erased[static_cast<std::size_t>(j)];
          Eigen::Index best = 0;
          l1.col(j).maxCoeff(&best);
          row.flipped = best != c0;
          rows.push_back(std::move(row));
        }
      }
    }
  }
  return rows;
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

std::vector<ErasureSummary> summarize_erasure(const std::vector<ErasureRow>& rows) {
  // Keyed by first appearance so the summary follows the rows' order (pair, then method).
  std::vector<std::tuple<int, int, std::string>> order;
  std::map<std::tuple<int, int, std::string>, std::vector<const ErasureRow*>> groups;
  for (const auto& r : rows) {
    auto key = std::make_tuple(r.c0, r.ct, r.method);
    auto& g = groups[key];
    if (g.empty()) order.push_back(key);
    g.push_back(&r);
  }
  std::vector<ErasureSummary> out;
  for (const auto& key : order) {
    const auto& g = groups[key];
    ErasureSummary s;
    s.c0 = std::get<0>(key);
    s.ct = std::get<1>(key);
    s.method = std::get<2>(key);
    s.n = static_cast<int>(g.size());
    std::vector<double> d;
    double flipped = 0, erased = 0;
    for (const auto* r : g) {
      d.push_back(r->drop);
      flipped += r->flipped ? 1 : 0;
      erased += r->n_erased;
    }
    s.median = quantile(d, 0.5);
    s.q1 = quantile(d, 0.25);
    s.q3 = quantile(d, 0.75);
    s.mean = std::accumulate(d.begin(), d.end(), 0.0) / static_cast<double>(d.size());
    s.share_flipped = flipped / static_cast<double>(g.size());
    s.mean_erased = erased / static_cast<double>(g.size());
    out.push_back(s);
  }
  return out;
}

void write_erasure_tsv(const std::string& dir, const std::vector<ErasureRow>& rows,
                       const std::vector<ErasureSummary>& summary) {
  std::filesystem::create_directories(dir);
  std::string a = "pair\timage\tmethod\tdrop\tn_erased\tflipped\tdiff_before\tdiff_after\n";
  for (const auto& r : rows)
    a += fmt::format("{}->{}\t{}\t{}\t{:.6g}\t{}\t{}\t{:.6g}\t{:.6g}\n", r.c0, r.ct, r.image, r.method, r.drop,
                     r.n_erased, r.flipped ? 1 : 0, r.diff_before, r.diff_after);
  std::string b = "pair\tmethod\tn\tmedian\tq1\tq3\tmean\tshare_flipped\tmean_erased\n";
  for (const auto& s : summary)
    b += fmt::format("{}->{}\t{}\t{}\t{:.6g}\t{:.6g}\t{:.6g}\t{:.6g}\t{:.4f}\t{:.2f}\n", s.c0, s.ct, s.method, s.n,
                     s.median, s.q1, s.q3, s.mean, s.share_flipped, s.mean_erased);
  io::write_file_atomic(dir + "/erasure.tsv", a);
  io::write_file_atomic(dir + "/erasure_summary.tsv", b);
}

}  // namespace lb::eval
