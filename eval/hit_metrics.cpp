// The motifs liftbench evaluate scans, their top hits in the scored sequences, and the hit and
// localisation metrics (docs/cli.md, liftbench evaluate: fn_rate, fp_rate, spearman, loc_*).
#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/alphabet.h"
#include "core/error.h"
#include "core/metrics.h"
#include "core/parallel.h"
#include "eval/evaluate.h"
#include "eval/hits.h"
#include "eval/metric_catalogue.h"
#include "eval/metrics.h"
#include "eval/scan.h"

namespace lb::eval {

namespace {

// Rows of one metric: value over all items, then over each tier present (ascending).
template <typename F>
void emit_tiers(std::vector<MetricRow>& out, const MetricRow& base, const std::vector<int>& tiers, F&& value_of,
                bool skip_tier0 = false) {
  std::vector<int> present = tiers;
  std::sort(present.begin(), present.end());
  present.erase(std::unique(present.begin(), present.end()), present.end());
  auto push = [&](const std::string& tier, int only) {
    MetricRow r = base;
    r.tier = tier;
    auto [v, n] = value_of(only);
    r.value = v;
    r.n = n;
    out.push_back(std::move(r));
  };
  push("all", -1);
  for (int t : present) {
    if (skip_tier0 && t == 0) continue;
    push(fmt::format("{}", t), t);
  }
}

// The PWM name of each key with sites (empty for keys without), and the names of sites without
// a key in order of appearance.
std::pair<std::vector<std::string>, std::vector<std::string>> names_by_key(const sim::Dataset& ds) {
  std::vector<std::string> by_key(static_cast<std::size_t>(ds.n_keys())), unkeyed;
  for (const sim::MotifSite& site : ds.sites) {
    if (site.key >= 0 && site.key < ds.n_keys()) {
      auto& name = by_key[static_cast<std::size_t>(site.key)];
      if (name.empty()) name = site.motif;
    } else if (std::find(unkeyed.begin(), unkeyed.end(), site.motif) == unkeyed.end()) {
      unkeyed.push_back(site.motif);
    }
  }
  return {by_key, unkeyed};
}

}  // namespace

std::vector<std::string> planted_motifs(const sim::Dataset& ds) {
  const auto [by_key, unkeyed] = names_by_key(ds);
  std::vector<std::string> names;
  auto add = [&](const std::string& n) {
    if (!n.empty() && std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  };
  for (const auto& n : by_key) add(n);
  for (const auto& n : unkeyed) add(n);
  return names;
}

std::vector<std::pair<std::string, std::string>> planted_motif_keys(const sim::Dataset& ds) {
  const auto [by_key, unkeyed] = names_by_key(ds);
  std::vector<std::pair<std::string, std::string>> keys;
  for (std::size_t k = 0; k < by_key.size(); ++k)
    if (!by_key[k].empty()) keys.emplace_back(ds.motif_keys[k], by_key[k]);
  for (const auto& n : unkeyed) keys.emplace_back(n, n);
  return keys;
}

std::vector<sim::Pwm> planted_pwms(const sim::Dataset& ds, const io::MemeFile& file, const std::string& path,
                                   std::string_view data_where) {
  const std::vector<std::string> names = planted_motifs(ds);
  std::vector<sim::Pwm> pwms;
  for (const std::string& name : names) {
    const auto it = std::find_if(file.motifs.begin(), file.motifs.end(),
                                 [&](const io::MemeMotif& m) { return m.name == name; });
    if (it == file.motifs.end())
      throw InputError(fmt::format("{}: motif {} missing; expected every motif that {}/motifs.bed plants ({}), got a "
                                   "motif file without {}",
                                   path, quote_token(name), data_where, fmt::join(names, ", "), quote_token(name)));
    sim::Pwm pwm = sim::Pwm::from_meme(*it, path);
    if (pwm.width() > ds.seq_len)
      throw InputError(fmt::format("{}: motif {} (width {}) is wider than the sequences of {}; expected width <= {}, "
                                   "got {}",
                                   path, quote_token(name), pwm.width(), data_where, ds.seq_len, pwm.width()));
    pwms.push_back(std::move(pwm));
  }
  return pwms;
}

std::vector<Hit> find_hits(const sim::Dataset& ds, std::span<const int> seq, const std::vector<sim::Pwm>& motifs,
                           const EvalConfig& cfg) {
  Strands strands;
  ScanMode mode;
  LB_CHECK(parse_strands(cfg.strands, strands) && parse_scan_mode(cfg.scan_mode, mode), "unvalidated EvalConfig");
  const sim::Background bg{cfg.background};
  std::vector<sim::Pwm> pwms, rcs;
  for (const sim::Pwm& m : motifs) {
    pwms.push_back(m.smoothed(cfg.pseudocount));
    rcs.push_back(pwms.back().reverse_complement());
  }
  std::vector<std::vector<Hit>> per_row(seq.size());
  parallel_for(static_cast<int>(seq.size()), [&](int r) {
    const std::string& s = ds.seqs[static_cast<std::size_t>(seq[static_cast<std::size_t>(r)])];
    std::vector<std::uint8_t> codes(s.size());
    for (std::size_t l = 0; l < s.size(); ++l) codes[l] = std::min<std::uint8_t>(base_code(s[l]), kBaseN);
    auto& out = per_row[static_cast<std::size_t>(r)];
    for (std::size_t m = 0; m < pwms.size(); ++m) {
      const auto& pwm = pwms[m];
      const WindowScores ws = scan(codes, pwm, rcs[m], bg, strands);
      for (const int p : top_hits(ws.log_odds, pwm.width(), cfg.top_hits, mode))
        out.push_back(Hit{r, static_cast<int>(m), p, p + pwm.width(), ws.strand[static_cast<std::size_t>(p)],
                          ws.log_odds[static_cast<std::size_t>(p)]});
    }
  });
  std::vector<Hit> hits;
  for (auto& v : per_row) hits.insert(hits.end(), v.begin(), v.end());
  return hits;
}

void hit_metrics(const sim::Dataset& ds, const ScoresInput& scores, const std::vector<sim::Pwm>& motifs,
                 const EvalConfig& cfg, Evaluation& ev) {
  const int T = ds.n_tasks();
  const auto Ts = static_cast<std::size_t>(T);
  const std::size_t M = motifs.size();
  const auto L = static_cast<std::size_t>(scores.seq_len);
  const std::size_t N = scores.seq.size();
  const std::vector<std::string>& names = ev.motifs;
  LB_CHECK(names.size() == M, "hit_metrics: ev.motifs do not match the PWMs");
  ev.hits = find_hits(ds, scores.seq, motifs, cfg);

  std::unordered_map<std::string, std::size_t> motif_of;
  for (std::size_t m = 0; m < M; ++m) motif_of.emplace(names[m], m);
  std::unordered_map<int, std::size_t> row_of;
  for (std::size_t r = 0; r < N; ++r) row_of.emplace(scores.seq[r], r);

  // relevant[t][m]: any instance of motif m drives task t or is context for it (all sequences).
  // Per scored row: instance counts of each motif, whether an instance of motif m drives task t,
  // and the sites planted in it.
  std::vector<std::vector<char>> relevant(Ts, std::vector<char>(M, 0));
  std::vector<std::vector<int>> count(N, std::vector<int>(M, 0));
  std::vector<char> drives(N * Ts * M, 0);  // [r][t][m]
  std::vector<std::vector<std::size_t>> sites_of_row(N);
  for (std::size_t k = 0; k < ds.sites.size(); ++k) {
    const sim::MotifSite& site = ds.sites[k];
    const auto mit = motif_of.find(site.motif);
    LB_CHECK(mit != motif_of.end(), "hit_metrics: a planted motif is not scanned");
    const std::size_t m = mit->second;
    for (std::size_t t = 0; t < Ts; ++t) {
      const sim::Role role = ds.role(k, static_cast<int>(t));
      if (role == sim::Role::Driver || role == sim::Role::Context) relevant[t][m] = 1;
    }
    const auto it = row_of.find(site.seq);
    if (it == row_of.end()) continue;
    const std::size_t r = it->second;
    ++count[r][m];
    sites_of_row[r].push_back(k);
    for (std::size_t t = 0; t < Ts; ++t)
      if (ds.role(k, static_cast<int>(t)) == sim::Role::Driver) drives[(r * Ts + t) * M + m] = 1;
  }
  ev.instances = count;

  const std::size_t n_methods = scores.methods.size();
  ev.hit_scores.assign(n_methods, {});
  std::vector<std::vector<MetricRow>> rows(n_methods);
  parallel_for(static_cast<int>(n_methods), [&](int mi) {
    const MethodScores& ms = scores.methods[static_cast<std::size_t>(mi)];
    auto& hs = ev.hit_scores[static_cast<std::size_t>(mi)];
    hs.resize(ev.hits.size() * Ts);
    for (std::size_t h = 0; h < ev.hits.size(); ++h) {
      const Hit& hit = ev.hits[h];
      for (std::size_t t = 0; t < Ts; ++t) {
        const std::span<const double> pb(ms.per_base.data() + (static_cast<std::size_t>(hit.row) * Ts + t) * L, L);
        hs[h * Ts + t] = hit_score(pb, hit.start, hit.end);
      }
    }
    auto& out = rows[static_cast<std::size_t>(mi)];
    auto base = [&](int task, const std::string& motif, const std::string& metric) {
      MetricRow r;
      r.method = ms.name;
      r.reference = ms.reference;
      r.task = task;
      r.motif = motif;
      r.metric = metric;
      return r;
    };
    // Hits of motif m passing `keep`, with their tier and score on the task.
    auto hit_metric = [&](int task, std::size_t m, const std::string& metric, auto keep, auto stat) {
      std::vector<int> tiers;
      std::vector<double> x, y;
      for (std::size_t h = 0; h < ev.hits.size(); ++h) {
        const Hit& hit = ev.hits[h];
        if (static_cast<std::size_t>(hit.motif) != m || !keep(hit)) continue;
        tiers.push_back(count[static_cast<std::size_t>(hit.row)][m]);
        x.push_back(hit.log_odds);
        y.push_back(hs[h * Ts + static_cast<std::size_t>(task)]);
      }
      emit_tiers(out, base(task, names[m], metric), tiers, [&](int only) {
        std::vector<double> xs, ys;
        for (std::size_t i = 0; i < x.size(); ++i)
          if (only < 0 || tiers[i] == only) {
            xs.push_back(x[i]);
            ys.push_back(y[i]);
          }
        return std::pair<double, long>(stat(xs, ys), static_cast<long>(xs.size()));
      });
    };
    const double thr = cfg.log_odds_threshold;
    auto fn = [](const std::vector<double>&, const std::vector<double>& y) { return share_nonpositive(y); };
    auto fp = [](const std::vector<double>&, const std::vector<double>& y) { return share_positive(y); };
    auto rho = [](const std::vector<double>& x, const std::vector<double>& y) { return spearman(x, y); };
    auto any = [](const Hit&) { return true; };
    auto strong = [&](const Hit& h) { return h.log_odds >= thr; };

    for (int task = 0; task < T; ++task) {
      const auto t = static_cast<std::size_t>(task);
      std::vector<std::size_t> rel, other;
      for (std::size_t m = 0; m < M; ++m) (relevant[t][m] ? rel : other).push_back(m);
      // The hit metrics in the catalogue's order, each computed by its name.
      for (const MetricInfo& info : kMetricCatalogue) {
        if (info.family != Family::Hit) continue;
        const std::string metric(info.name);
        if (metric == "fn_rate") {
          // Strong hits of m in sequences where an instance of m drives the task (for the
          // paper's task 0, the sequences of class both).
          if (rel.size() >= 2)
            for (const std::size_t m : rel)
              hit_metric(task, m, metric,
                         [&, t, m](const Hit& h) {
                           return h.log_odds >= thr && drives[(static_cast<std::size_t>(h.row) * Ts + t) * M + m];
                         },
                         fn);
        } else if (metric == "fp_rate") {
          for (const std::size_t m : other) hit_metric(task, m, metric, strong, fp);
        } else {
          LB_CHECK(metric == "spearman", "hit_metrics: no computation for the catalogued metric {}", metric);
          for (const std::size_t m : rel) hit_metric(task, m, metric, any, rho);
        }
      }
      if (rel.empty()) continue;

      // Localisation: every base of every scored sequence against the relevant planted bases.
      std::string motif;
      for (const std::size_t m : rel) motif += (motif.empty() ? "" : "+") + names[m];
      std::vector<int> tiers(N, 0);
      for (std::size_t r = 0; r < N; ++r)
        for (const std::size_t m : rel) tiers[r] += count[r][m];
      struct Loc {
        std::vector<double> s, a;
        std::vector<int> y;
      };
      auto collect = [&](int only) {
        Loc loc;
        std::vector<int> planted(L);
        for (std::size_t r = 0; r < N; ++r) {
          if (only >= 0 && tiers[r] != only) continue;
          std::fill(planted.begin(), planted.end(), 0);
          for (const std::size_t k : sites_of_row[r]) {
            const sim::MotifSite& site = ds.sites[k];
            if (!relevant[t][motif_of.at(site.motif)]) continue;
            for (auto l = site.start; l < site.end; ++l) planted[static_cast<std::size_t>(l)] = 1;
          }
          const double* pb = ms.per_base.data() + (r * Ts + t) * L;
          for (std::size_t l = 0; l < L; ++l) {
            loc.s.push_back(pb[l]);
            loc.a.push_back(std::fabs(pb[l]));
            loc.y.push_back(planted[l]);
          }
        }
        return loc;
      };
      std::map<int, Loc> cache;
      auto get = [&](int only) -> const Loc& {
        auto it = cache.find(only);
        if (it == cache.end()) it = cache.emplace(only, collect(only)).first;
        return it->second;
      };
      // The localisation metrics in the catalogue's order, each computed by its name: auROC or
      // auPRC of the scores or of their absolute values.
      for (const MetricInfo& info : kMetricCatalogue) {
        if (info.family != Family::Localisation) continue;
        const std::string_view name = info.name;
        const bool absolute = name == "loc_auroc_abs" || name == "loc_auprc_abs";
        const bool roc = name == "loc_auroc" || name == "loc_auroc_abs";
        LB_CHECK(roc || absolute || name == "loc_auprc", "hit_metrics: no computation for the catalogued metric {}", name);
        emit_tiers(out, base(task, motif, std::string(info.name)), tiers, [&](int only) {
          const Loc& loc = get(only);
          const std::vector<double>& s = absolute ? loc.a : loc.s;
          const double v = roc ? auroc(s, loc.y) : auprc(s, loc.y);
          return std::pair<double, long>(v, static_cast<long>(s.size()));
        }, /*skip_tier0=*/true);
      }
    }
  });
  for (auto& r : rows) ev.rows.insert(ev.rows.end(), std::make_move_iterator(r.begin()), std::make_move_iterator(r.end()));
}

}  // namespace lb::eval
