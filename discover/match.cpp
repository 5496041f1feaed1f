// TOMTOM-like motif matching (docs/discovery.md, "Matching"): column scores, the convolved null
// of each run of query columns, the best alignment per pair, Šidák, E and Benjamini-Hochberg.
#include "discover/match.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <utility>

#include <fmt/format.h>

#include "core/error.h"

namespace lb::discover {

ColumnSimilarity parse_similarity(const std::string& name) {
  if (name == "pearson") return ColumnSimilarity::Pearson;
  if (name == "ed") return ColumnSimilarity::NegEuclidean;
  throw ConfigError(fmt::format("--dist: unknown column similarity; expected pearson or ed, got {}", quote_token(name)));
}

std::string similarity_name(ColumnSimilarity s) { return s == ColumnSimilarity::Pearson ? "pearson" : "ed"; }

void validate(const MatchConfig& cfg) {
  if (cfg.min_overlap < 1)
    throw ConfigError(fmt::format("--min-overlap: out of range; expected an integer >= 1, got {}", cfg.min_overlap));
  if (cfg.bins < 10 || cfg.bins > 1000)
    throw ConfigError(fmt::format("--bins: out of range; expected an integer in [10, 1000], got {}", cfg.bins));
}

double column_score(ColumnSimilarity s, const Column& x, const Column& y) {
  if (s == ColumnSimilarity::NegEuclidean) {
    double d = 0;
    for (int b = 0; b < 4; ++b) d += (x[b] - y[b]) * (x[b] - y[b]);
    return -std::sqrt(d);
  }
  const double mx = (x[0] + x[1] + x[2] + x[3]) / 4, my = (y[0] + y[1] + y[2] + y[3]) / 4;
  double sxy = 0, sxx = 0, syy = 0;
  for (int b = 0; b < 4; ++b) {
    sxy += (x[b] - mx) * (y[b] - my);
    sxx += (x[b] - mx) * (x[b] - mx);
    syy += (y[b] - my) * (y[b] - my);
  }
  if (sxx <= 0 || syy <= 0) return 0;
  return std::clamp(sxy / std::sqrt(sxx * syy), -1.0, 1.0);
}

std::vector<Column> reverse_complement(std::span<const Column> motif) {
  std::vector<Column> rc(motif.rbegin(), motif.rend());
  for (auto& c : rc) c = Column{c[3], c[2], c[1], c[0]};
  return rc;
}

std::string consensus(std::span<const Column> motif) {
  std::string s;
  s.reserve(motif.size());
  for (const auto& c : motif) {
    int best = 0;
    for (int b = 1; b < 4; ++b)
      if (c[b] > c[best]) best = b;
    s += "ACGT"[best];
  }
  return s;
}

std::vector<double> benjamini_hochberg(std::span<const double> p) {
  const std::size_t n = p.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
  std::vector<double> q(n);
  double running = 1.0;
  for (std::size_t r = n; r-- > 0;) {
    const double v = std::min(1.0, p[order[r]] * static_cast<double>(n) / static_cast<double>(r + 1));
    running = std::min(running, v);
    q[order[r]] = running;
  }
  return q;
}

namespace {

// The similarity's range [lo, hi] for probability columns.
std::pair<double, double> score_range(ColumnSimilarity s) {
  return s == ColumnSimilarity::Pearson ? std::pair{-1.0, 1.0} : std::pair{-std::sqrt(2.0), 0.0};
}

int to_bin(double score, double lo, double hi, int bins) {
  const double k = std::round((score - lo) / (hi - lo) * bins);
  return static_cast<int>(std::clamp(k, 0.0, static_cast<double>(bins)));
}

// 1 - (1 - p)^m without cancellation for small p.
double sidak(double p, int m) {
  if (p >= 1) return 1;
  return std::min(1.0, -std::expm1(static_cast<double>(m) * std::log1p(-p)));
}

struct TargetView {
  std::vector<Column> fwd, rev;
};

}  // namespace

std::vector<QueryMatches> match_motifs(std::span<const io::MemeMotif> queries, std::span<const io::MemeMotif> targets,
                                       const MatchConfig& cfg, std::string_view where) {
  LB_CHECK(cfg.min_overlap >= 1 && cfg.bins >= 10, "match_motifs: validate(cfg) first");
  if (targets.empty())
    throw InputError(fmt::format("{}no target motifs; expected at least one motif in the database, got none", where));
  const auto [lo, hi] = score_range(cfg.similarity);
  const int B = cfg.bins;

  // The database's columns, both strands: target t strand s starts at col_start[2t + s].
  std::vector<Column> pool;
  std::vector<std::size_t> col_start;
  for (const auto& t : targets) {
    LB_CHECK(!t.probs.empty(), "target {} has no columns", t.name);
    col_start.push_back(pool.size());
    pool.insert(pool.end(), t.probs.begin(), t.probs.end());
    col_start.push_back(pool.size());
    const auto rc = reverse_complement(t.probs);
    pool.insert(pool.end(), rc.begin(), rc.end());
  }
  const std::size_t n_pool = pool.size();
  const double n_targets = static_cast<double>(targets.size());

  std::vector<QueryMatches> out;
  out.reserve(queries.size());
  for (std::size_t qi = 0; qi < queries.size(); ++qi) {
    const auto& qm = queries[qi].probs;
    LB_CHECK(!qm.empty(), "query {} has no columns", queries[qi].name);
    const int W = static_cast<int>(qm.size());

    // Column scores of every query column against every pool column, raw and binned.
    std::vector<double> raw(static_cast<std::size_t>(W) * n_pool);
    std::vector<int> bin(raw.size());
    for (int j = 0; j < W; ++j)
      for (std::size_t c = 0; c < n_pool; ++c) {
        const double s = column_score(cfg.similarity, qm[static_cast<std::size_t>(j)], pool[c]);
        raw[static_cast<std::size_t>(j) * n_pool + c] = s;
        bin[static_cast<std::size_t>(j) * n_pool + c] = to_bin(s, lo, hi, B);
      }
    // Each query column's null: its binned scores over the pool, as a sparse distribution.
    std::vector<std::vector<std::pair<int, double>>> null(static_cast<std::size_t>(W));
    for (int j = 0; j < W; ++j) {
      std::vector<std::int64_t> count(static_cast<std::size_t>(B) + 1, 0);
      for (std::size_t c = 0; c < n_pool; ++c) ++count[static_cast<std::size_t>(bin[static_cast<std::size_t>(j) * n_pool + c])];
      for (int k = 0; k <= B; ++k)
        if (count[static_cast<std::size_t>(k)] > 0)
          null[static_cast<std::size_t>(j)].emplace_back(
              k, static_cast<double>(count[static_cast<std::size_t>(k)]) / static_cast<double>(n_pool));
    }

    // Every alignment (target order, then strand + before -, then offset ascending) with its
    // binned and raw sums; grouped by the run of query columns [a, b) it overlaps.
    struct Alignment {
      int target, strand, offset, a, b;
      std::int64_t s_bin;
      double s_raw, p;
    };
    std::vector<Alignment> al;
    const auto W1 = static_cast<std::size_t>(W) + 1;
    std::vector<std::vector<std::size_t>> by_run(W1 * W1);
    std::vector<int> max_b(static_cast<std::size_t>(W), -1);
    for (std::size_t ti = 0; ti < targets.size(); ++ti) {
      const int wt = static_cast<int>(targets[ti].probs.size());
      const int m = std::min({cfg.min_overlap, W, wt});
      for (int strand = 0; strand < 2; ++strand) {
        const std::size_t base = col_start[2 * ti + static_cast<std::size_t>(strand)];
        for (int o = -(W - m); o <= wt - m; ++o) {
          const int a = std::max(0, -o), b = std::min(W, wt - o);
          if (b - a < m) continue;
          Alignment x{static_cast<int>(ti), strand, o, a, b, 0, 0.0, 1.0};
          for (int j = a; j < b; ++j) {
            const std::size_t at = static_cast<std::size_t>(j) * n_pool + base + static_cast<std::size_t>(j + o);
            x.s_bin += bin[at];
            x.s_raw += raw[at];
          }
          by_run[static_cast<std::size_t>(a) * W1 + static_cast<std::size_t>(b)].push_back(al.size());
          max_b[static_cast<std::size_t>(a)] = std::max(max_b[static_cast<std::size_t>(a)], b);
          al.push_back(x);
        }
      }
    }
    // p-values: the upper tail P(S >= s) of the convolved null of each run, built by extending
    // runs one column at a time and read while the run is current (memory O(W x bins)).
    std::vector<double> tail;
    for (int a = 0; a < W; ++a) {
      if (max_b[static_cast<std::size_t>(a)] < 0) continue;
      std::vector<double> pmf{1.0};
      for (int b = a + 1; b <= max_b[static_cast<std::size_t>(a)]; ++b) {
        std::vector<double> next(pmf.size() + static_cast<std::size_t>(B), 0.0);
        for (std::size_t s = 0; s < pmf.size(); ++s) {
          if (pmf[s] == 0) continue;
          for (const auto& [k, pk] : null[static_cast<std::size_t>(b - 1)])
            next[s + static_cast<std::size_t>(k)] += pmf[s] * pk;
        }
        pmf = std::move(next);
        const auto& run = by_run[static_cast<std::size_t>(a) * W1 + static_cast<std::size_t>(b)];
        if (run.empty()) continue;
        tail.assign(pmf.size() + 1, 0.0);
        for (std::size_t s = pmf.size(); s-- > 0;) tail[s] = tail[s + 1] + pmf[s];
        for (const std::size_t k : run) al[k].p = tail[static_cast<std::size_t>(al[k].s_bin)];
      }
    }

    QueryMatches qr;
    qr.by_target.resize(targets.size());
    for (std::size_t ti = 0; ti < targets.size(); ++ti) {
      qr.by_target[ti].query = static_cast<int>(qi);
      qr.by_target[ti].target = static_cast<int>(ti);
      qr.by_target[ti].p_alignment = std::numeric_limits<double>::infinity();
    }
    for (const auto& x : al) {  // in order, so that ties keep the first (strand +, smaller offset)
      Match& best = qr.by_target[static_cast<std::size_t>(x.target)];
      ++best.n_alignments;
      if (x.p < best.p_alignment || (x.p == best.p_alignment && x.s_raw > best.score)) {
        best.p_alignment = x.p;
        best.score = x.s_raw;
        best.offset = x.offset;
        best.strand = x.strand == 0 ? '+' : '-';
        best.overlap = x.b - x.a;
      }
    }
    for (auto& best : qr.by_target) {
      best.p = sidak(best.p_alignment, best.n_alignments);
      best.e = best.p * n_targets;
    }
    std::vector<double> ps;
    for (const auto& m : qr.by_target) ps.push_back(m.p);
    const auto qs = benjamini_hochberg(ps);
    for (std::size_t ti = 0; ti < targets.size(); ++ti) qr.by_target[ti].q = qs[ti];
    for (std::size_t ti = 1; ti < targets.size(); ++ti) {
      const auto& m = qr.by_target[ti];
      const auto& b = qr.by_target[static_cast<std::size_t>(qr.best)];
      if (m.p < b.p || (m.p == b.p && m.score > b.score)) qr.best = static_cast<int>(ti);
    }
    out.push_back(std::move(qr));
  }
  return out;
}

std::string matches_tsv(const std::vector<QueryMatches>& results, std::span<const io::MemeMotif> queries,
                        std::span<const io::MemeMotif> targets, double thresh) {
  std::string s =
      "Query_ID\tTarget_ID\tOptimal_offset\tp-value\tE-value\tq-value\tOverlap\tQuery_consensus\tTarget_consensus\t"
      "Orientation\tSimilarity\n";
  for (const auto& qr : results) {
    std::vector<const Match*> rows;
    for (const auto& m : qr.by_target)
      if (m.q <= thresh) rows.push_back(&m);
    std::stable_sort(rows.begin(), rows.end(), [](const Match* x, const Match* y) {
      if (x->p != y->p) return x->p < y->p;
      return x->score > y->score;
    });
    for (const Match* m : rows) {
      const auto& q = queries[static_cast<std::size_t>(m->query)];
      const auto& t = targets[static_cast<std::size_t>(m->target)];
      const std::string tcons =
          m->strand == '+' ? consensus(t.probs) : consensus(reverse_complement(t.probs));
      s += fmt::format("{}\t{}\t{}\t{:.6g}\t{:.6g}\t{:.6g}\t{}\t{}\t{}\t{}\t{:.6g}\n", q.name, t.name, m->offset, m->p,
                       m->e, m->q, m->overlap, consensus(q.probs), tcons, m->strand, m->score);
    }
  }
  return s;
}

}  // namespace lb::discover
