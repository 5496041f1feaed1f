// Seqlets into motifs (docs/discovery.md "Motifs"): coarse candidates from a gapped k-mer
// embedding (blockwise GEMM), the fine continuous-Jaccard similarity on the candidates, a
// k-nearest-neighbour graph, Leiden (discover/cluster.h), alignment, trimming, merging.
#include "discover/motifs.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <Eigen/Dense>
#include <fmt/format.h>

#include "core/error.h"
#include "core/parallel.h"
#include "discover/cluster.h"

namespace lb::discover {

namespace {

std::string shape_of(const std::vector<std::int64_t>& s) {
  std::string r = "(";
  for (std::size_t i = 0; i < s.size(); ++i) r += fmt::format("{}{}", i ? "," : "", s[i]);
  return r + (s.size() == 1 ? ",)" : ")");
}

void l1_normalise(Window& w) {
  double t = 0;
  for (const float v : w) t += std::abs(static_cast<double>(v));
  if (t > 0)
    for (float& v : w) v = static_cast<float>(static_cast<double>(v) / t);
}

double l1(std::span<const float> w) {
  double t = 0;
  for (const float v : w) t += std::abs(static_cast<double>(v));
  return t;
}

// Continuous Jaccard of a (wa columns) and b (wb columns) with b's column j on a's column j + o,
// both zero-padded to their common span; ta, tb: their total |mass|. With m = Σ min(|a|,|b|) over
// the overlap, Σ max = ma + mb - m there and the columns outside add (ta - ma) + (tb - mb), so the
// union is ta + tb - m. The overlap is one contiguous run of floats in both windows, summed in 8
// independent lanes (vectorised without reassociation) and the lanes added in order: the same
// bits on every machine thread count.
double padded_jaccard(const float* a, int wa, double ta, const float* b, int wb, double tb, int o) {
  const int lo = std::max(0, o), hi = std::min(wa, wb + o);
  if (hi <= lo) return 0.0;
  const float* x = a + lo * 4;
  const float* y = b + (lo - o) * 4;
  const int len = (hi - lo) * 4;  // a multiple of 4
  constexpr int kLanes = 8;
  float mn[kLanes] = {}, sg[kLanes] = {};
  int k = 0;
  for (; k + kLanes <= len; k += kLanes)
    for (int j = 0; j < kLanes; ++j) {
      const float u = x[k + j], v = y[k + j];
      const float m = std::min(std::abs(u), std::abs(v));
      mn[j] += m;
      sg[j] += (u < 0) == (v < 0) ? m : -m;
    }
  for (int j = 0; k < len; ++k, ++j) {
    const float u = x[k], v = y[k];
    const float m = std::min(std::abs(u), std::abs(v));
    mn[j] += m;
    sg[j] += (u < 0) == (v < 0) ? m : -m;
  }
  double m = 0, inter = 0;
  for (int j = 0; j < kLanes; ++j) m += mn[j], inter += sg[j];
  const double uni = ta + tb - m;
  return uni > 1e-12 ? inter / uni : 0.0;
}

struct Tracks {
  const float* c;
  const float* h;
  double tc, th;
};

// The best alignment of b on a over both strands (b_rc: b's reverse-complemented tracks).
Alignment align(const Tracks& a, int wa, const Tracks& b, const Tracks& b_rc, int wb, int min_overlap) {
  Alignment best;
  const int lo = min_overlap - wb, hi = wa - min_overlap;  // offsets with overlap >= min_overlap
  for (const int strand : {1, -1}) {
    const Tracks& t = strand > 0 ? b : b_rc;
    // Offsets nearest 0 first, the lower of two first: ties keep the earlier.
    for (int k = 0; k <= std::max(-lo, hi); ++k)
      for (int side = 0; side < (k == 0 ? 1 : 2); ++side) {
        const int o = side == 0 ? -k : k;
        if (o < lo || o > hi) continue;
        const double s = 0.5 * (padded_jaccard(a.c, wa, a.tc, t.c, wb, t.tc, o) +
                                padded_jaccard(a.h, wa, a.th, t.h, wb, t.th, o));
        if (s > best.similarity) best = {s, o, strand};
      }
  }
  return best;
}

Tracks tracks_of(const Window& c, const Window& h) { return {c.data(), h.data(), l1(c), l1(h)}; }

// ---- coarse embedding: strand-symmetric, contribution-weighted gapped 4-mers ----

// Four patterns of 4 informative positions: contiguous (span 4) and span 5 with one gap.
constexpr int kPatterns[4][4] = {{0, 1, 2, 3}, {0, 2, 3, 4}, {0, 1, 3, 4}, {0, 1, 2, 4}};
constexpr int kPatternRc[4] = {0, 3, 2, 1};  // the pattern of the reverse complement

int kmer_rc(int id) {
  const int p = id / 256, code = id % 256;
  int rc = 0;
  for (int j = 0; j < 4; ++j) {
    const int b = (code >> (2 * (3 - j))) & 3;  // base j (j = 0 most significant)
    rc |= (3 - b) << (2 * j);                    // complement, at reversed position 3 - j
  }
  return kPatternRc[p] * 256 + rc;
}

struct Folding {
  std::vector<int> dim;     // full id -> folded dimension
  std::vector<float> scale;  // sqrt(2) for a pair, 1 for a self-complementary id
  int n_dims = 0;
};

const Folding& folding() {
  static const Folding f = [] {
    Folding r;
    r.dim.assign(1024, -1);
    r.scale.assign(1024, 0);
    for (int id = 0; id < 1024; ++id) {
      const int rc = kmer_rc(id);
      if (rc < id) {
        r.dim[static_cast<std::size_t>(id)] = r.dim[static_cast<std::size_t>(rc)];
        r.scale[static_cast<std::size_t>(id)] = r.scale[static_cast<std::size_t>(rc)];
        continue;
      }
      r.dim[static_cast<std::size_t>(id)] = r.n_dims++;
      r.scale[static_cast<std::size_t>(id)] = rc == id ? 1.0f : std::sqrt(2.0f);
    }
    return r;
  }();
  return f;
}

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Row s: the L2-normalised folded embedding of seqlet s. The symmetric vector u[id] = e[id] +
// e[rc id] (e: the window's weighted counts) is folded to one dimension per {id, rc id} scaled so
// that folded dot products equal those of u.
RowMatrix embed(const DiscoveryScores& x, const std::vector<Seqlet>& s, const std::vector<int>& idx) {
  const Folding& f = folding();
  const int L = x.scores.seq_len;
  RowMatrix e = RowMatrix::Zero(static_cast<Eigen::Index>(idx.size()), f.n_dims);
  parallel_for(static_cast<int>(idx.size()), [&](int r) {
    const Seqlet& q = s[static_cast<std::size_t>(idx[static_cast<std::size_t>(r)])];
    std::vector<double> u(1024, 0.0);
    const int w = q.end - q.start;
    std::vector<int> base(static_cast<std::size_t>(w), -1);
    std::vector<double> score(static_cast<std::size_t>(w), 0.0);
    for (int p = 0; p < w; ++p) {
      const std::size_t l = static_cast<std::size_t>(q.start + p);
      for (int c = 0; c < 4; ++c)
        if (x.onehot[(static_cast<std::size_t>(q.seq) * 4 + c) * L + l] > 0.5f) base[static_cast<std::size_t>(p)] = c;
      score[static_cast<std::size_t>(p)] = q.sign * x.scores.per_base[static_cast<std::size_t>(q.seq) * L + l];
    }
    for (int p = 0; p < 4; ++p)
      for (int st = 0; st + kPatterns[p][3] < w; ++st) {
        int code = 0;
        double wt = 0;
        bool ok = true;
        for (int j = 0; j < 4; ++j) {
          const int b = base[static_cast<std::size_t>(st + kPatterns[p][j])];
          if (b < 0) ok = false;
          code = code * 4 + std::max(b, 0);
          wt += score[static_cast<std::size_t>(st + kPatterns[p][j])];
        }
        if (!ok) continue;
        const int id = p * 256 + code;
        u[static_cast<std::size_t>(id)] += wt;
        u[static_cast<std::size_t>(kmer_rc(id))] += wt;
      }
    double norm = 0;
    std::vector<double> folded(static_cast<std::size_t>(f.n_dims), 0.0);
    for (int id = 0; id < 1024; ++id)
      if (kmer_rc(id) >= id) folded[static_cast<std::size_t>(f.dim[static_cast<std::size_t>(id)])] =
                                 u[static_cast<std::size_t>(id)] * f.scale[static_cast<std::size_t>(id)];
    for (const double v : folded) norm += v * v;
    norm = std::sqrt(norm);
    if (norm > 0)
      for (int d = 0; d < f.n_dims; ++d) e(r, d) = static_cast<float>(folded[static_cast<std::size_t>(d)] / norm);
  });
  return e;
}

// The k best of candidates (value desc, index asc).
void keep_best(std::vector<std::pair<float, int>>& v, std::size_t k) {
  const auto better = [](const std::pair<float, int>& a, const std::pair<float, int>& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  };
  if (v.size() > k) {
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end(), better);
    v.resize(k);
  }
  std::sort(v.begin(), v.end(), better);
}

// Per row, the K most cosine-similar other rows, computed 128 rows at a time.
std::vector<std::vector<int>> coarse_neighbours(const RowMatrix& e, int K) {
  const auto n = static_cast<int>(e.rows());
  constexpr int kBlock = 128;
  const int n_blocks = (n + kBlock - 1) / kBlock;
  std::vector<std::vector<int>> out(static_cast<std::size_t>(n));
  parallel_for(n_blocks, [&](int b) {
    const int r0 = b * kBlock, r1 = std::min(n, r0 + kBlock);
    const RowMatrix sim = e.middleRows(r0, r1 - r0) * e.transpose();
    std::vector<std::pair<float, int>> cand;
    for (int r = r0; r < r1; ++r) {
      cand.clear();
      for (int j = 0; j < n; ++j)
        if (j != r) cand.emplace_back(sim(r - r0, j), j);
      keep_best(cand, static_cast<std::size_t>(K));
      auto& o = out[static_cast<std::size_t>(r)];
      for (const auto& [v, j] : cand) o.push_back(j);
    }
  });
  return out;
}

}  // namespace

void validate(const MotifConfig& cfg) {
  const auto at_least = [](long v, long min, const char* opt) {
    if (v < min) throw ConfigError(fmt::format("{}: out of range; expected an integer >= {}, got {}", opt, min, v));
  };
  at_least(cfg.coarse_neighbors, 1, "--coarse-neighbors");
  at_least(cfg.graph_neighbors, 1, "--graph-neighbors");
  if (cfg.graph_neighbors > cfg.coarse_neighbors)
    throw ConfigError(fmt::format("--graph-neighbors: out of range; expected an integer in [1, --coarse-neighbors = "
                                  "{}], got {}",
                                  cfg.coarse_neighbors, cfg.graph_neighbors));
  at_least(cfg.leiden_runs, 1, "--leiden-runs");
  at_least(cfg.trim_margin, 0, "--trim-margin");
  at_least(cfg.min_support, 1, "--min-support");
  const auto in = [](double v, double lo, bool lo_open, double hi, bool hi_open, const char* opt) {
    if (!(lo_open ? v > lo : v >= lo) || !(hi_open ? v < hi : v <= hi))
      throw ConfigError(fmt::format("{}: out of range; expected a number in {}{:g}, {:g}{}, got {:g}", opt,
                                    lo_open ? "(" : "[", lo, hi, hi_open ? ")" : "]", v));
  };
  in(cfg.min_overlap, 0, true, 1, false, "--min-overlap");
  if (!(cfg.resolution > 0) || !std::isfinite(cfg.resolution))
    throw ConfigError(fmt::format("--resolution: out of range; expected a number > 0, got {:g}", cfg.resolution));
  in(cfg.trim_threshold, 0, false, 1, false, "--trim-threshold");
  in(cfg.min_coverage, 0, false, 1, false, "--min-coverage");
  in(cfg.merge_threshold, -1, false, 1, false, "--merge-threshold");
}

DiscoveryScores read_discovery_scores(const io::NpzArchive& archive, const std::string& path,
                                      const std::string& method, int task) {
  DiscoveryScores d;
  d.scores = read_task_scores(archive, path, method, task);
  const std::string hname = method + ".hypothetical";
  const io::NpyArray* hyp = nullptr;
  for (const auto& [name, a] : archive)
    if (name == hname) hyp = &a;
  if (!hyp) {
    std::string names;
    for (std::size_t i = 0; i < archive.size() && i < 20; ++i)
      names += fmt::format("{}{}", i ? ", " : "", quote_token(archive[i].first));
    if (archive.size() > 20) names += fmt::format(", ... ({} arrays)", archive.size());
    throw InputError(fmt::format("{}missing array '{}'; expected the hypothetical contributions of '{}' (discovery "
                                 "compares seqlets by the scores of all four bases at each position; a method "
                                 "without them, e.g. a gradient map, cannot be used), got {}",
                                 where(path), hname, method, names));
  }
  const auto N = static_cast<std::int64_t>(d.scores.ids.size());
  const std::int64_t L = d.scores.seq_len;
  const std::int64_t T = io::find_array(archive, method, path).shape[1];
  if (hyp->shape != std::vector<std::int64_t>{N, T, 4, L})
    throw InputError(fmt::format("{}array '{}': wrong shape; expected ({},{},4,{}) (the shape of '{}'), got {}",
                                 where(path), hname, N, T, L, method, shape_of(hyp->shape)));
  d.onehot = io::find_array(archive, "onehot", path).to_f32(fmt::format("{}array 'onehot'", where(path)));
  // The task's slices only (the other tasks' scores are never converted).
  const auto ax = static_cast<std::size_t>(d.scores.axis);
  d.contrib =
      task_slice_f32(io::find_array(archive, method, path), ax, fmt::format("{}array '{}'", where(path), method));
  d.hyp = task_slice_f32(*hyp, ax, fmt::format("{}array '{}'", where(path), hname));
  const auto Ls = static_cast<std::size_t>(L);
  for (std::size_t i = 0; i < static_cast<std::size_t>(N); ++i)
    for (std::size_t ch = 0; ch < 4; ++ch)
      for (std::size_t l = 0; l < Ls; ++l) {
        const float v = d.hyp[(i * 4 + ch) * Ls + l];
        if (!std::isfinite(v))
          throw InputError(fmt::format("{}array '{}': non-finite score of sequence {} (task {}) at channel {} position "
                                       "{}; expected finite hypothetical contributions, got {}",
                                       where(path), hname, quote_token(d.scores.ids[i]), task, ch, l, v));
      }
  return d;
}

Window reverse_complement(std::span<const float> w) {
  const std::size_t W = w.size() / 4;
  Window r(w.size());
  for (std::size_t p = 0; p < W; ++p)
    for (std::size_t c = 0; c < 4; ++c) r[(W - 1 - p) * 4 + (3 - c)] = w[p * 4 + c];
  return r;
}

double continuous_jaccard(std::span<const float> a, std::span<const float> b) {
  LB_CHECK(a.size() == b.size(), "sizes {} and {}", a.size(), b.size());
  LB_CHECK(a.size() % 4 == 0, "size {}", a.size());
  const int w = static_cast<int>(a.size() / 4);
  return padded_jaccard(a.data(), w, l1(a), b.data(), w, l1(b), 0);
}

SeqletTracks seqlet_tracks(const DiscoveryScores& x, int seq, int start, int width, int sign) {
  const auto L = static_cast<std::size_t>(x.scores.seq_len);
  SeqletTracks t;
  t.contrib.resize(static_cast<std::size_t>(width) * 4);
  t.hyp.resize(t.contrib.size());
  for (std::size_t p = 0; p < static_cast<std::size_t>(width); ++p)
    for (std::size_t c = 0; c < 4; ++c) {
      const std::size_t at = (static_cast<std::size_t>(seq) * 4 + c) * L + static_cast<std::size_t>(start) + p;
      t.contrib[p * 4 + c] = static_cast<float>(sign) * x.contrib[at];
      t.hyp[p * 4 + c] = static_cast<float>(sign) * x.hyp[at];
    }
  l1_normalise(t.contrib);
  l1_normalise(t.hyp);
  t.contrib_rc = reverse_complement(t.contrib);
  t.hyp_rc = reverse_complement(t.hyp);
  return t;
}

Alignment fine_similarity(const SeqletTracks& a, const SeqletTracks& b, int min_overlap) {
  const int wa = static_cast<int>(a.contrib.size() / 4), wb = static_cast<int>(b.contrib.size() / 4);
  LB_CHECK(min_overlap >= 1 && min_overlap <= std::min(wa, wb), "min_overlap {} widths {} {}", min_overlap, wa, wb);
  return align(tracks_of(a.contrib, a.hyp), wa, tracks_of(b.contrib, b.hyp), tracks_of(b.contrib_rc, b.hyp_rc), wb,
               min_overlap);
}

CoreSpan motif_core(const Motif& m) {
  std::vector<double> mass(m.cwm.size(), 0.0);
  double top = 0;
  for (std::size_t r = 0; r < m.cwm.size(); ++r) {
    for (const float v : m.cwm[r]) mass[r] += std::abs(static_cast<double>(v));
    top = std::max(top, mass[r]);
  }
  CoreSpan c{-1, -1};
  for (std::size_t r = 0; r < mass.size(); ++r)
    if (top > 0 && mass[r] >= kCoreShare * top) {
      if (c.first < 0) c.first = static_cast<int>(r);
      c.last = static_cast<int>(r);
    }
  if (c.first < 0) c = {0, std::max(0, static_cast<int>(m.cwm.size()) - 1)};  // nothing carried: all of it
  return c;
}

Alignment core_similarity(const Motif& a, const Motif& b, double min_overlap) {
  LB_CHECK(!a.cwm.empty() && !b.cwm.empty() && a.hyp_cwm.size() == a.cwm.size() && b.hyp_cwm.size() == b.cwm.size(),
           "motif widths {} {}", a.cwm.size(), b.cwm.size());
  const int wa = static_cast<int>(a.cwm.size()), wb = static_cast<int>(b.cwm.size());
  // Hypothetical CWMs times the sign, position-major; b also reverse complemented.
  const auto signed_hyp = [](const Motif& m) {
    Window w;
    for (const auto& row : m.hyp_cwm)
      for (const float v : row) w.push_back(static_cast<float>(m.sign) * v);
    return w;
  };
  const Window ha = signed_hyp(a), hb = signed_hyp(b), hb_rc = reverse_complement(hb);
  const CoreSpan ca = motif_core(a), cb = motif_core(b);
  const int need = std::max(
      1, static_cast<int>(std::ceil(min_overlap * std::min(ca.last - ca.first + 1, cb.last - cb.first + 1) - 1e-9)));
  Alignment best;
  for (const int strand : {1, -1}) {
    const Window& hbs = strand > 0 ? hb : hb_rc;
    // b's core in its columns as placed on this strand.
    const int b0 = strand > 0 ? cb.first : wb - 1 - cb.last, b1 = strand > 0 ? cb.last : wb - 1 - cb.first;
    // Offsets where the cores overlap by `need` columns: min(ca.last, b1 + o) - max(ca.first, b0 + o) + 1 >= need.
    const int lo = ca.first - b1 + need - 1, hi = ca.last - b0 - need + 1;
    for (int k = 0; k <= std::max(std::abs(lo), std::abs(hi)); ++k)
      for (int side = 0; side < (k == 0 ? 1 : 2); ++side) {
        const int o = side == 0 ? -k : k;
        if (o < lo || o > hi) continue;
        const int u0 = std::min(ca.first, b0 + o), u1 = std::max(ca.last, b1 + o);
        double ta = 0, tb = 0;
        for (int u = u0; u <= u1; ++u)
          for (int c = 0; c < 4; ++c) {
            if (u >= 0 && u < wa) ta += std::abs(static_cast<double>(ha[static_cast<std::size_t>(u * 4 + c)]));
            if (u - o >= 0 && u - o < wb) tb += std::abs(static_cast<double>(hbs[static_cast<std::size_t>((u - o) * 4 + c)]));
          }
        double inter = 0, uni = 0;
        for (int u = u0; u <= u1; ++u)
          for (int c = 0; c < 4; ++c) {
            const double x = u >= 0 && u < wa && ta > 0 ? ha[static_cast<std::size_t>(u * 4 + c)] / ta : 0.0;
            const double y =
                u - o >= 0 && u - o < wb && tb > 0 ? hbs[static_cast<std::size_t>((u - o) * 4 + c)] / tb : 0.0;
            const double m = std::min(std::abs(x), std::abs(y));
            inter += (x < 0) == (y < 0) ? m : -m;
            uni += std::max(std::abs(x), std::abs(y));
          }
        const double sim = uni > 1e-12 ? inter / uni : 0.0;
        if (sim > best.similarity) best = {sim, o, strand};
      }
  }
  return best;
}

namespace {

struct SignContext {
  const DiscoveryScores& x;
  const std::vector<Seqlet>& seqlets;
  const std::vector<int>& idx;               // sign's seqlets -> global index
  const std::vector<SeqletTracks>& tracks;   // per sign-local seqlet (normalised)
  const MotifConfig& cfg;
  int sign;
  int min_overlap;  // columns
};

// Aligns `members` (sign-local) on `seed`, averages them on a canvas, trims.
Motif build_motif(const SignContext& s, const std::vector<int>& members, int seed) {
  const int W = static_cast<int>(s.tracks[static_cast<std::size_t>(seed)].contrib.size() / 4);
  const int pad = W - s.min_overlap, width = W + 2 * pad;
  const auto L = static_cast<std::size_t>(s.x.scores.seq_len);
  std::vector<std::array<double, 4>> cwm(static_cast<std::size_t>(width)), hyp(cwm.size()), pwm(cwm.size());
  std::vector<int> cover(cwm.size(), 0);
  std::vector<Alignment> al(members.size());
  parallel_for(static_cast<int>(members.size()), [&](int k) {
    al[static_cast<std::size_t>(k)] = fine_similarity(s.tracks[static_cast<std::size_t>(seed)],
                                                      s.tracks[static_cast<std::size_t>(members[static_cast<std::size_t>(k)])],
                                                      s.min_overlap);
  });
  for (std::size_t k = 0; k < members.size(); ++k) {
    const Seqlet& q = s.seqlets[static_cast<std::size_t>(s.idx[static_cast<std::size_t>(members[k])])];
    const Alignment& a = al[k];
    for (int j = 0; j < W; ++j) {
      // Column j of the member read on its strand.
      const int p = a.strand > 0 ? j : W - 1 - j;
      const auto col = static_cast<std::size_t>(j + a.offset + pad);
      ++cover[col];
      for (int c = 0; c < 4; ++c) {
        const int cc = a.strand > 0 ? c : 3 - c;
        const std::size_t at = (static_cast<std::size_t>(q.seq) * 4 + static_cast<std::size_t>(cc)) * L +
                               static_cast<std::size_t>(q.start + p);
        cwm[col][static_cast<std::size_t>(c)] += s.x.contrib[at];
        hyp[col][static_cast<std::size_t>(c)] += s.x.hyp[at];
        pwm[col][static_cast<std::size_t>(c)] += s.x.onehot[at];
      }
    }
  }
  // Columns covered by enough members, and their |CWM| sums.
  const double need = s.cfg.min_coverage * static_cast<double>(members.size());
  std::vector<double> mass(cwm.size(), -1);
  double top = 0;
  for (std::size_t col = 0; col < cwm.size(); ++col) {
    if (cover[col] == 0 || static_cast<double>(cover[col]) < need) continue;
    double m = 0;
    for (int c = 0; c < 4; ++c) {
      cwm[col][static_cast<std::size_t>(c)] /= cover[col];
      hyp[col][static_cast<std::size_t>(c)] /= cover[col];
      m += std::abs(cwm[col][static_cast<std::size_t>(c)]);
    }
    mass[col] = m;
    top = std::max(top, m);
  }
  int first = -1, last = -1;
  for (int col = 0; col < width; ++col)
    if (mass[static_cast<std::size_t>(col)] >= 0 && mass[static_cast<std::size_t>(col)] >= s.cfg.trim_threshold * top) {
      if (first < 0) first = col;
      last = col;
    }
  if (first < 0) first = last = pad;  // nothing carried (all-zero scores): the seed's first column
  for (int m = 0; m < s.cfg.trim_margin && first > 0 && mass[static_cast<std::size_t>(first - 1)] >= 0; ++m) --first;
  for (int m = 0; m < s.cfg.trim_margin && last + 1 < width && mass[static_cast<std::size_t>(last + 1)] >= 0; ++m) ++last;

  Motif motif;
  motif.sign = s.sign;
  double col_max = 0;
  for (int col = first; col <= last; ++col) {
    const auto ci = static_cast<std::size_t>(col);
    std::array<float, 4> cw{}, hw{}, pw{};
    double tot = 0;
    for (int c = 0; c < 4; ++c) tot += pwm[ci][static_cast<std::size_t>(c)];
    for (std::size_t c = 0; c < 4; ++c) {
      cw[c] = static_cast<float>(cover[ci] ? cwm[ci][c] : 0.0);
      hw[c] = static_cast<float>(cover[ci] ? hyp[ci][c] : 0.0);
      pw[c] = static_cast<float>(tot > 0 ? pwm[ci][c] / tot : 0.25);
    }
    motif.cwm.push_back(cw);
    motif.hyp_cwm.push_back(hw);
    motif.pwm.push_back(pw);
    const double m = std::max(0.0, mass[ci]);
    motif.total_abs += m;
    col_max = std::max(col_max, m);
  }
  for (std::size_t r = 0; r < motif.cwm.size(); ++r) {
    int b = 0;
    double m = 0;
    for (int c = 0; c < 4; ++c) {
      const double v = static_cast<double>(s.sign) * motif.cwm[r][static_cast<std::size_t>(c)];
      if (v > static_cast<double>(s.sign) * motif.cwm[r][static_cast<std::size_t>(b)]) b = c;
      m += std::abs(motif.cwm[r][static_cast<std::size_t>(c)]);
    }
    const char base = "ACGT"[b];
    motif.consensus += m >= 0.5 * col_max && col_max > 0 ? base : static_cast<char>(base - 'A' + 'a');
  }
  for (std::size_t k = 0; k < members.size(); ++k)
    motif.members.push_back({s.idx[static_cast<std::size_t>(members[k])], al[k].strand, first - pad - al[k].offset});
  std::sort(motif.members.begin(), motif.members.end(),
            [](const MotifSeqlet& a, const MotifSeqlet& b) { return a.seqlet < b.seqlet; });
  return motif;
}

// The seed of a cluster: the member of the largest summed edge weight to the other members
// (ties: the lower index).
int pick_seed(const std::vector<int>& members, const std::vector<std::vector<std::pair<int, double>>>& adj,
              const std::vector<int>& label, int cl) {
  int best = members.front();
  double best_w = -1;
  for (const int m : members) {
    double w = 0;
    for (const auto& [j, wt] : adj[static_cast<std::size_t>(m)])
      if (label[static_cast<std::size_t>(j)] == cl) w += wt;
    if (w > best_w) best_w = w, best = m;
  }
  return best;
}

}  // namespace

MotifResult discover_motifs(const DiscoveryScores& x, const std::vector<Seqlet>& seqlets, const MotifConfig& cfg,
                            std::string_view where_) {
  validate(cfg);
  MotifResult res;
  std::vector<int> by_sign[2];
  for (std::size_t i = 0; i < seqlets.size(); ++i) by_sign[seqlets[i].sign > 0 ? 0 : 1].push_back(static_cast<int>(i));
  res.n_pos = static_cast<std::int64_t>(by_sign[0].size());
  res.n_neg = static_cast<std::int64_t>(by_sign[1].size());
  const auto need = static_cast<std::size_t>(std::max(2, cfg.min_support));
  if (by_sign[0].size() < need && by_sign[1].size() < need)
    throw InputError(fmt::format("{}task {}: too few seqlets to cluster; expected at least {} of one sign (--min-support, "
                                 "at least 2), got {} positive and {} negative",
                                 where_, x.scores.task, need, res.n_pos, res.n_neg));

  for (int si = 0; si < 2; ++si) {
    const std::vector<int>& idx = by_sign[si];
    const int sign = si == 0 ? 1 : -1;
    if (idx.size() < need) {
      res.skipped.push_back(fmt::format("{}: {} seqlets", si == 0 ? "positive" : "negative", idx.size()));
      continue;
    }
    const int n = static_cast<int>(idx.size());
    const int W = seqlets[static_cast<std::size_t>(idx[0])].end - seqlets[static_cast<std::size_t>(idx[0])].start;
    for (const int i : idx)
      LB_CHECK(seqlets[static_cast<std::size_t>(i)].end - seqlets[static_cast<std::size_t>(i)].start == W,
               "seqlets of different widths");
    const int min_overlap = std::max(1, static_cast<int>(std::ceil(cfg.min_overlap * W - 1e-9)));

    std::vector<SeqletTracks> tracks(static_cast<std::size_t>(n));
    parallel_for(n, [&](int r) {
      const Seqlet& q = seqlets[static_cast<std::size_t>(idx[static_cast<std::size_t>(r)])];
      tracks[static_cast<std::size_t>(r)] = seqlet_tracks(x, q.seq, q.start, W, sign);
    });

    // Coarse candidates, then the fine similarity on them; the graph keeps each seqlet's
    // graph_neighbors best (positive similarity only), symmetrised by union.
    const int K = std::min(cfg.coarse_neighbors, n - 1);
    const std::vector<std::vector<int>> cand = coarse_neighbours(embed(x, seqlets, idx), K);
    // Each candidate pair once, lower index first (one orientation: the same bits from both
    // ends), though both seqlets may propose it.
    std::vector<std::pair<int, int>> pairs;
    pairs.reserve(static_cast<std::size_t>(n) * static_cast<std::size_t>(K));
    for (int i = 0; i < n; ++i)
      for (const int j : cand[static_cast<std::size_t>(i)]) pairs.emplace_back(std::min(i, j), std::max(i, j));
    std::sort(pairs.begin(), pairs.end());
    pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
    std::vector<double> fine(pairs.size());
    parallel_for(static_cast<int>(pairs.size()), [&](int p) {
      const auto [lo, hi] = pairs[static_cast<std::size_t>(p)];
      fine[static_cast<std::size_t>(p)] =
          fine_similarity(tracks[static_cast<std::size_t>(lo)], tracks[static_cast<std::size_t>(hi)], min_overlap).similarity;
    });
    std::vector<std::vector<std::pair<float, int>>> best(static_cast<std::size_t>(n));
    parallel_for(n, [&](int i) {
      auto& b = best[static_cast<std::size_t>(i)];
      for (const int j : cand[static_cast<std::size_t>(i)]) {
        const std::pair<int, int> key{std::min(i, j), std::max(i, j)};
        const auto at = static_cast<std::size_t>(std::lower_bound(pairs.begin(), pairs.end(), key) - pairs.begin());
        const double s = fine[at];
        if (s > 0) b.emplace_back(static_cast<float>(s), j);
      }
      keep_best(b, static_cast<std::size_t>(cfg.graph_neighbors));
    });
    std::vector<std::tuple<int, int, float>> edges;
    for (int i = 0; i < n; ++i)
      for (const auto& [s, j] : best[static_cast<std::size_t>(i)]) edges.emplace_back(std::min(i, j), std::max(i, j), s);
    std::sort(edges.begin(), edges.end());
    WeightedGraph g;
    g.n = n;
    std::vector<std::vector<std::pair<int, double>>> adj(static_cast<std::size_t>(n));
    for (std::size_t e = 0; e < edges.size(); ++e) {
      const auto [a, b, w] = edges[e];
      if (e > 0 && std::get<0>(edges[e - 1]) == a && std::get<1>(edges[e - 1]) == b) continue;
      g.edges.emplace_back(a, b);
      g.weights.push_back(w);
      adj[static_cast<std::size_t>(a)].emplace_back(b, w);
      adj[static_cast<std::size_t>(b)].emplace_back(a, w);
    }
    const Clustering cl = leiden(g, cfg.resolution, cfg.leiden_runs, cfg.seed);
    (si == 0 ? res.clusters_pos : res.clusters_neg) = cl.n_clusters;
    (si == 0 ? res.quality_pos : res.quality_neg) = cl.quality;

    const SignContext ctx{x, seqlets, idx, tracks, cfg, sign, min_overlap};
    std::vector<std::vector<int>> groups(static_cast<std::size_t>(cl.n_clusters));
    for (int i = 0; i < n; ++i) groups[static_cast<std::size_t>(cl.membership[static_cast<std::size_t>(i)])].push_back(i);
    std::vector<int> label = cl.membership;
    struct Cluster {
      std::vector<int> members;
      Motif motif;
      int id;
    };
    std::vector<Cluster> clusters;
    // Clusters too small to reach the support even by merging with every other are not built.
    for (int c = 0; c < cl.n_clusters; ++c) {
      auto& m = groups[static_cast<std::size_t>(c)];
      if (m.size() < 2) continue;
      clusters.push_back({m, build_motif(ctx, m, pick_seed(m, adj, label, c)), c});
    }
    // Merge the most similar pair at or above the threshold until none is left (pairs by their
    // positions in `clusters`; a merged cluster's similarities are computed again).
    std::vector<std::vector<double>> sim(clusters.size(), std::vector<double>(clusters.size(), -2.0));
    const auto fill = [&](std::size_t a) {
      parallel_for(static_cast<int>(clusters.size()), [&](int b) {
        if (static_cast<std::size_t>(b) == a) return;
        const auto bi = static_cast<std::size_t>(b);
        const std::size_t lo = std::min(a, bi), hi = std::max(a, bi);
        sim[lo][hi] = core_similarity(clusters[lo].motif, clusters[hi].motif, cfg.min_overlap).similarity;
      });
    };
    parallel_for(static_cast<int>(clusters.size()), [&](int a) {
      for (std::size_t b = static_cast<std::size_t>(a) + 1; b < clusters.size(); ++b)
        sim[static_cast<std::size_t>(a)][b] =
            core_similarity(clusters[static_cast<std::size_t>(a)].motif, clusters[b].motif, cfg.min_overlap).similarity;
    });
    std::vector<char> alive(clusters.size(), 1);
    while (true) {
      double top = -2;
      std::size_t ba = 0, bb = 0;
      for (std::size_t a = 0; a < clusters.size(); ++a)
        for (std::size_t b = a + 1; b < clusters.size(); ++b)
          if (alive[a] && alive[b] && sim[a][b] > top) top = sim[a][b], ba = a, bb = b;
      if (top < cfg.merge_threshold) break;
      Cluster& into = clusters[ba];
      for (const int m : clusters[bb].members) label[static_cast<std::size_t>(m)] = into.id;
      into.members.insert(into.members.end(), clusters[bb].members.begin(), clusters[bb].members.end());
      std::sort(into.members.begin(), into.members.end());
      clusters[bb].members.clear();
      alive[bb] = 0;
      into.motif = build_motif(ctx, into.members, pick_seed(into.members, adj, label, into.id));
      fill(ba);
    }
    std::vector<Motif> kept;
    for (std::size_t c = 0; c < clusters.size(); ++c)
      if (alive[c] && static_cast<int>(clusters[c].members.size()) >= cfg.min_support)
        kept.push_back(std::move(clusters[c].motif));
    std::stable_sort(kept.begin(), kept.end(), [](const Motif& a, const Motif& b) {
      if (a.members.size() != b.members.size()) return a.members.size() > b.members.size();
      return a.members.front().seqlet < b.members.front().seqlet;
    });
    for (auto& m : kept) res.motifs.push_back(std::move(m));
  }
  return res;
}

}  // namespace lb::discover
