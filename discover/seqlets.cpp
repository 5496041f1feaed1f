// Seqlets from per-base contribution scores: window sums, the Laplace null, the FDR rule, the
// floor and cap on passing windows, greedy non-overlapping choice and flanks (docs/discovery.md).
#include "discover/seqlets.h"

#include <bit>
#include <cstring>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <fmt/format.h>

#include "core/error.h"

namespace lb::discover {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string shape_str(const std::vector<std::int64_t>& s) {
  std::string out = "(";
  for (std::size_t i = 0; i < s.size(); ++i) out += fmt::format("{}{}", i ? "," : "", s[i]);
  return out + (s.size() == 1 ? ",)" : ")");
}

// The k-th largest (1-based) of `values` (reordered); LB_CHECK 1 <= k <= size.
double kth_largest(std::vector<double>& values, std::size_t k) {
  LB_CHECK(k >= 1 && k <= values.size(), "k = {} of {} values", k, values.size());
  auto nth = values.begin() + static_cast<std::ptrdiff_t>(k - 1);
  std::nth_element(values.begin(), nth, values.end(), std::greater<>());
  return *nth;
}

}  // namespace

void validate(const SeqletConfig& cfg) {
  if (cfg.window < 1)
    throw ConfigError(fmt::format("--window: out of range; expected an integer >= 1, got {}", cfg.window));
  if (cfg.flank < 0)
    throw ConfigError(fmt::format("--flank: out of range; expected an integer >= 0, got {}", cfg.flank));
  if (!(cfg.fdr > 0 && cfg.fdr < 1))
    throw ConfigError(fmt::format("--fdr: out of range; expected a number in (0, 1), got {}", cfg.fdr));
  if (!(cfg.min_passing >= 0 && cfg.min_passing <= 1))
    throw ConfigError(fmt::format("--min-passing: out of range; expected a number in [0, 1], got {}", cfg.min_passing));
  if (!(cfg.max_passing >= cfg.min_passing && cfg.max_passing <= 1))
    throw ConfigError(fmt::format("--max-passing: out of range; expected a number in [--min-passing = {}, 1], got {}",
                                  cfg.min_passing, cfg.max_passing));
}

void validate(const SeqletConfig& cfg, int seq_len) {
  validate(cfg);
  if (cfg.window > seq_len)
    throw ConfigError(fmt::format("--window: wider than the sequences; expected an integer in [1, {}] (the sequence "
                                  "length), got {}",
                                  seq_len, cfg.window));
  if (static_cast<std::int64_t>(cfg.window) + 2 * static_cast<std::int64_t>(cfg.flank) > seq_len)
    throw ConfigError(fmt::format("--flank: too wide for the sequences; expected window + 2 x flank <= {} (the "
                                  "sequence length), got {} + 2 x {}",
                                  seq_len, cfg.window, cfg.flank));
}

double median_of(std::vector<double>& values) {
  LB_CHECK(!values.empty(), "median of no values");
  const std::size_t n = values.size();
  auto hi = values.begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::nth_element(values.begin(), hi, values.end());
  if (n % 2 == 1) return *hi;
  const double lo = *std::max_element(values.begin(), hi);  // the largest of the lower half
  return 0.5 * (lo + *hi);
}

LaplaceNull fit_laplace_null(std::span<const double> sums) {
  LB_CHECK(!sums.empty(), "no window sums to fit");
  LaplaceNull null;
  std::vector<double> v(sums.begin(), sums.end());
  null.location = median_of(v);
  std::vector<double> pos, neg;
  for (const double s : sums) {
    if (s > null.location) pos.push_back(s - null.location);
    if (s < null.location) neg.push_back(null.location - s);
  }
  null.n_pos = static_cast<std::int64_t>(pos.size());
  null.n_neg = static_cast<std::int64_t>(neg.size());
  // Given S > m, a Laplace(m, b) deviation S - m is exponential with mean b and median b ln 2.
  if (!pos.empty()) null.scale_pos = median_of(pos) / std::log(2.0);
  if (!neg.empty()) null.scale_neg = median_of(neg) / std::log(2.0);
  return null;
}

double fdr_threshold(std::span<const double> deviations, double scale, double fdr) {
  if (deviations.empty() || !(scale > 0)) return kInf;
  std::vector<double> d(deviations.begin(), deviations.end());
  std::sort(d.begin(), d.end(), std::greater<>());
  const auto n = static_cast<double>(d.size());
  double best = kInf;
  for (std::size_t i = 0; i < d.size(); ++i) {
    if (i + 1 < d.size() && d[i + 1] == d[i]) continue;  // the last of a tie: #{deviations >= d[i]} = i + 1
    const double expected_null = n * std::exp(-d[i] / scale);
    if (expected_null <= fdr * static_cast<double>(i + 1)) best = d[i];
  }
  return best;
}

std::vector<double> window_sums(std::span<const double> per_base, int n_seqs, int seq_len, int window) {
  LB_CHECK(n_seqs >= 0 && window >= 1 && window <= seq_len &&
               per_base.size() == static_cast<std::size_t>(n_seqs) * static_cast<std::size_t>(seq_len),
           "{} scores for {} sequences of length {}, window {}", per_base.size(), n_seqs, seq_len, window);
  const auto L = static_cast<std::size_t>(seq_len), w = static_cast<std::size_t>(window), nw = L - w + 1;
  std::vector<double> out(static_cast<std::size_t>(n_seqs) * nw);
  for (std::size_t i = 0; i < static_cast<std::size_t>(n_seqs); ++i)
    for (std::size_t p = 0; p < nw; ++p) {
      double s = 0;
      for (std::size_t k = 0; k < w; ++k) s += per_base[i * L + p + k];
      out[i * nw + p] = s;
    }
  return out;
}

SeqletResult find_seqlets(std::span<const double> per_base, int n_seqs, int seq_len, const SeqletConfig& cfg,
                          std::string_view where) {
  validate(cfg, seq_len);
  const int w = cfg.window;
  const auto nw = static_cast<std::int64_t>(seq_len - w + 1);
  SeqletResult r;
  r.n_windows = static_cast<std::int64_t>(n_seqs) * nw;
  if (r.n_windows < kMinNullWindows)
    throw InputError(fmt::format("{}too few windows to fit the null; expected at least {} windows (sequences x "
                                 "(length - window + 1)), got {} = {} x ({} - {} + 1)",
                                 where, kMinNullWindows, r.n_windows, n_seqs, seq_len, w));
  const std::vector<double> sums = window_sums(per_base, n_seqs, seq_len, w);
  r.null = fit_laplace_null(sums);
  const double m = r.null.location;

  // The FDR rule per side.
  std::vector<double> pos, neg, all;
  for (const double s : sums) {
    if (s > m) pos.push_back(s - m);
    if (s < m) neg.push_back(m - s);
  }
  r.fdr_threshold_pos = fdr_threshold(pos, r.null.scale_pos, cfg.fdr);
  r.fdr_threshold_neg = fdr_threshold(neg, r.null.scale_neg, cfg.fdr);
  r.threshold_pos = r.fdr_threshold_pos;
  r.threshold_neg = r.fdr_threshold_neg;
  const auto count_passing = [&] {
    std::int64_t c = 0;
    for (const double d : pos) c += d >= r.threshold_pos;
    for (const double d : neg) c += d >= r.threshold_neg;
    return c;
  };
  r.n_passing = count_passing();

  // Floor and cap: t = the k-th largest deviation |S - m| over both sides. The floor only
  // loosens (each side takes the smaller of its threshold and t), the cap only tightens (the
  // larger): a side the FDR rule already holds strictly is not opened by the other side's excess.
  const auto floor_n = static_cast<std::int64_t>(std::ceil(cfg.min_passing * static_cast<double>(r.n_windows)));
  const auto cap_n = static_cast<std::int64_t>(std::floor(cfg.max_passing * static_cast<double>(r.n_windows)));
  if (r.n_passing < floor_n || r.n_passing > cap_n) {
    r.limit = r.n_passing < floor_n ? "floor" : "cap";
    const std::int64_t k = r.n_passing < floor_n ? floor_n : cap_n;
    all.reserve(pos.size() + neg.size());
    all.insert(all.end(), pos.begin(), pos.end());
    all.insert(all.end(), neg.begin(), neg.end());
    double t = kInf;
    if (k >= 1 && !all.empty()) t = kth_largest(all, std::min<std::size_t>(static_cast<std::size_t>(k), all.size()));
    if (r.limit == "floor") {
      r.threshold_pos = std::min(r.threshold_pos, t);
      r.threshold_neg = std::min(r.threshold_neg, t);
    } else {
      r.threshold_pos = std::max(r.threshold_pos, t);
      r.threshold_neg = std::max(r.threshold_neg, t);
    }
    r.n_passing = count_passing();
  }

  // Greedy choice per sign: the most extreme passing window first (ties: lower sequence, then
  // lower position), windows overlapping a chosen one of the same sign suppressed.
  for (const int sign : {1, -1}) {
    std::vector<std::int64_t> cand;
    for (std::int64_t j = 0; j < r.n_windows; ++j) {
      const double s = sums[static_cast<std::size_t>(j)];
      if (sign > 0 ? (s > m && s - m >= r.threshold_pos) : (s < m && m - s >= r.threshold_neg)) cand.push_back(j);
    }
    std::sort(cand.begin(), cand.end(), [&](std::int64_t a, std::int64_t b) {
      const double sa = sums[static_cast<std::size_t>(a)], sb = sums[static_cast<std::size_t>(b)];
      if (sa != sb) return sign > 0 ? sa > sb : sa < sb;
      return a < b;
    });
    std::vector<char> blocked(static_cast<std::size_t>(r.n_windows), 0);
    for (const std::int64_t j : cand) {
      if (blocked[static_cast<std::size_t>(j)]) continue;
      const std::int64_t i = j / nw, p = j % nw;
      for (std::int64_t q = std::max<std::int64_t>(0, p - w + 1); q <= std::min<std::int64_t>(nw - 1, p + w - 1); ++q)
        blocked[static_cast<std::size_t>(i * nw + q)] = 1;
      const std::int64_t start = p - cfg.flank, end = p + w + cfg.flank;
      if (start < 0 || end > seq_len) {
        ++r.n_dropped_at_edge;
        continue;
      }
      r.seqlets.push_back({static_cast<int>(i), static_cast<int>(start), static_cast<int>(end), sign,
                           sums[static_cast<std::size_t>(j)]});
    }
  }
  std::sort(r.seqlets.begin(), r.seqlets.end(), [](const Seqlet& a, const Seqlet& b) {
    if (a.seq != b.seq) return a.seq < b.seq;
    if (a.start != b.start) return a.start < b.start;
    return a.sign > b.sign;
  });
  return r;
}

std::vector<std::int64_t> task_values(const io::NpzArchive& archive, const std::string& path, std::int64_t T,
                                      const std::string& array) {
  std::vector<std::int64_t> tasks;
  for (const auto& [name, a] : archive)
    if (name == "targets") return {};  // named targets (attribution.targets): --task is the position
  for (const auto& [name, a] : archive)
    if (name == "tasks") {
      tasks = a.to_i64(fmt::format("{}array 'tasks'", where(path)));
      if (static_cast<std::int64_t>(tasks.size()) != T)
        throw InputError(fmt::format("{}array 'tasks': wrong length; expected {} (the task axis of '{}'), got {}",
                                     where(path), T, array, tasks.size()));
    }
  return tasks;
}

int task_axis(const std::vector<std::int64_t>& values, std::int64_t T, const std::string& array, int task) {
  if (!values.empty()) {
    const auto it = std::find(values.begin(), values.end(), static_cast<std::int64_t>(task));
    if (it == values.end()) {
      std::string listed;
      for (std::size_t k = 0; k < values.size(); ++k) listed += fmt::format("{}{}", k ? ", " : "", values[k]);
      throw ConfigError(fmt::format("--task: task {} was not attributed; expected one of {} (the file's 'tasks'), got {}",
                                    task, listed, task));
    }
    return static_cast<int>(it - values.begin());
  }
  if (task < 0 || task >= T)
    throw ConfigError(fmt::format("--task: out of range; expected a task in [0, {}] ('{}' has {} task{}), got {}",
                                  T - 1, array, T, T == 1 ? "" : "s", task));
  return task;
}

TaskScores read_task_scores(const io::NpzArchive& archive, const std::string& path, const std::string& method,
                            int task) {
  TaskScores ts;
  const io::NpyArray& ids_arr = io::find_array(archive, "ids", path);
  if (ids_arr.shape.size() != 1)
    throw InputError(fmt::format("{}array 'ids': wrong shape; expected (N,), got {}", where(path), shape_str(ids_arr.shape)));
  ts.ids = ids_arr.to_strings(fmt::format("{}array 'ids'", where(path)));
  for (const auto& id : ts.ids)
    if (id.empty() || id.find_first_of(" \t\r\n") != std::string::npos)
      throw InputError(fmt::format("{}array 'ids': sequence id {} cannot be a BED name; expected a non-empty id "
                                   "without whitespace, got {}",
                                   where(path), quote_token(id), quote_token(id)));
  const auto N = static_cast<std::int64_t>(ts.ids.size());

  const io::NpyArray& onehot = io::find_array(archive, "onehot", path);
  if (onehot.shape.size() != 3 || onehot.shape[0] != N || onehot.shape[1] != 4)
    throw InputError(fmt::format("{}array 'onehot': wrong shape; expected (N,4,L) with N = {} (from 'ids'), got {}",
                                 where(path), N, shape_str(onehot.shape)));
  const std::int64_t L = onehot.shape[2];
  if (L < 1 || L > std::numeric_limits<int>::max())
    throw InputError(fmt::format("{}array 'onehot': wrong shape; expected a length L in [1, {}], got {}", where(path),
                                 std::numeric_limits<int>::max(), shape_str(onehot.shape)));
  ts.seq_len = static_cast<int>(L);

  const io::NpyArray& arr = io::find_array(archive, method, path);
  if (arr.shape.size() != 4 || arr.shape[0] != N || arr.shape[1] < 1 || arr.shape[2] != 4 || arr.shape[3] != L)
    throw InputError(fmt::format("{}array '{}': wrong shape; expected (N,T,4,L) with N = {}, L = {} (from 'ids' and "
                                 "'onehot'), got {}",
                                 where(path), method, N, L, shape_str(arr.shape)));
  const std::int64_t T = arr.shape[1];

  // The task: a value of `tasks` when the file has it, else an index on the task axis.
  ts.axis = task_axis(task_values(archive, path, T, method), T, method, task);
  ts.task = task;

  const std::vector<float> x = onehot.to_f32(fmt::format("{}array 'onehot'", where(path)));
  const std::vector<float> c = task_slice_f32(arr, static_cast<std::size_t>(ts.axis), fmt::format("{}array '{}'", where(path), method));
  const auto Ls = static_cast<std::size_t>(L);  // c: N × 4 × L, the task's slice
  ts.per_base.assign(static_cast<std::size_t>(N) * Ls, 0.0);
  for (std::size_t i = 0; i < static_cast<std::size_t>(N); ++i)
    for (std::size_t ch = 0; ch < 4; ++ch)
      for (std::size_t l = 0; l < Ls; ++l) {
        const float v = c[(i * 4 + ch) * Ls + l];
        if (!std::isfinite(v))
          throw InputError(fmt::format("{}array '{}': non-finite score of sequence {} (task {}) at channel {} position "
                                       "{}; expected finite contributions, got {}",
                                       where(path), method, quote_token(ts.ids[i]), task, ch, l, v));
        ts.per_base[i * Ls + l] += static_cast<double>(v) * static_cast<double>(x[(i * 4 + ch) * Ls + l]);
      }
  return ts;
}

std::vector<float> task_slice_f32(const io::NpyArray& a, std::size_t axis, std::string_view where) {
  LB_CHECK(a.shape.size() == 4 && axis < static_cast<std::size_t>(a.shape[1]), "shape {} axis {}", a.shape_str(), axis);
  const auto N = static_cast<std::size_t>(a.shape[0]), T = static_cast<std::size_t>(a.shape[1]);
  const std::size_t row = 4 * static_cast<std::size_t>(a.shape[3]);  // 4 × L values per sequence and task
  std::vector<float> out(N * row);
  if (a.dtype == "<f4" && std::endian::native == std::endian::little) {
    LB_CHECK(a.bytes.size() == N * T * row * sizeof(float), "{} bytes for shape {}", a.bytes.size(), a.shape_str());
    for (std::size_t i = 0; i < N; ++i)
      std::memcpy(out.data() + i * row, a.bytes.data() + (i * T + axis) * row * sizeof(float), row * sizeof(float));
    return out;
  }
  const std::vector<float> all = a.to_f32(where);
  for (std::size_t i = 0; i < N; ++i)
    std::copy_n(all.begin() + static_cast<std::ptrdiff_t>((i * T + axis) * row), row, out.begin() + static_cast<std::ptrdiff_t>(i * row));
  return out;
}

std::vector<io::BedRecord> seqlet_bed(const std::vector<Seqlet>& seqlets, std::span<const std::string> ids) {
  double max_abs = 0;
  for (const auto& s : seqlets) max_abs = std::max(max_abs, std::abs(s.score));
  std::vector<io::BedRecord> out;
  out.reserve(seqlets.size());
  for (std::size_t k = 0; k < seqlets.size(); ++k) {
    const Seqlet& s = seqlets[k];
    LB_CHECK(s.seq >= 0 && static_cast<std::size_t>(s.seq) < ids.size(), "seqlet of sequence {} of {}", s.seq,
             ids.size());
    io::BedRecord b;
    b.chrom = ids[static_cast<std::size_t>(s.seq)];
    b.start = s.start;
    b.end = s.end;
    b.name = fmt::format("seqlet_{}", k + 1);
    b.score = max_abs > 0 ? std::min(1000.0, std::round(1000.0 * std::abs(s.score) / max_abs)) : 0.0;
    b.strand = '.';
    b.extra = {s.sign > 0 ? "pos" : "neg", fmt::format("{}", s.score)};
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace lb::discover
