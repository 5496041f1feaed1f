// Scores file matching, hit finding, the metrics and their output files.
#include "eval/evaluate.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <unordered_map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "attribution/methods.h"
#include "core/alphabet.h"
#include "core/error.h"
#include "core/metrics.h"
#include "core/parallel.h"
#include "eval/bootstrap.h"
#include "eval/hits.h"
#include "eval/metrics.h"
#include "eval/scan.h"
#include "io/atomic_file.h"
#include "io/tsv.h"

namespace lb::eval {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string shape_str(const std::vector<std::int64_t>& s) {
  std::string out = "(";
  for (std::size_t i = 0; i < s.size(); ++i) out += fmt::format("{}{}", i ? "," : "", s[i]);
  return out + (s.size() == 1 ? ",)" : ")");
}

std::string num(double v) {
  if (std::isnan(v)) return "nan";
  return fmt::format("{:.6g}", v);
}

std::string json_num(double v) {
  if (!std::isfinite(v)) return "null";
  return fmt::format("{:.6g}", v);
}

std::string json_str(std::string_view s) {
  std::string out = "\"";
  for (const char ch : s) {
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(ch) < 0x20) out += fmt::format("\\u{:04x}", static_cast<int>(ch));
        else out += ch;
    }
  }
  return out + "\"";
}

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

}  // namespace

void validate(const EvalConfig& cfg) {
  sim::validate_background(sim::Background{cfg.background}, "eval.background");
  validate(BootstrapConfig{cfg.bootstrap_resamples, cfg.bootstrap_seed, 0.95});
  if (!(cfg.pseudocount >= 0 && cfg.pseudocount < 1))
    throw ConfigError(fmt::format("eval.pseudocount: out of range; expected a value in [0, 1), got {}", cfg.pseudocount));
  Strands s;
  if (!parse_strands(cfg.strands, s))
    throw ConfigError(
        fmt::format("eval.strands: unknown value; expected forward or both, got {}", quote_token(cfg.strands)));
  if (cfg.top_hits < 1)
    throw ConfigError(fmt::format("eval.top_hits: too small; expected top_hits >= 1, got {}", cfg.top_hits));
  ScanMode m;
  if (!parse_scan_mode(cfg.scan_mode, m))
    throw ConfigError(fmt::format("eval.scan_mode: unknown value; expected exclusive or deeplift_compatible, got {}",
                                  quote_token(cfg.scan_mode)));
}

ScoresInput match_scores(const io::NpzArchive& archive, const std::string& path, const sim::Dataset& ds,
                         std::string_view data_where, std::string_view default_reference) {
  ScoresInput in;
  in.n_tasks = ds.n_tasks();
  in.seq_len = ds.seq_len;
  const auto L = static_cast<std::int64_t>(ds.seq_len);

  const io::NpyArray& ids_arr = io::find_array(archive, "ids", path);
  if (ids_arr.shape.size() != 1)
    throw InputError(fmt::format("{}: array 'ids': wrong shape; expected (N,), got {}", path, shape_str(ids_arr.shape)));
  const std::vector<std::string> ids = ids_arr.to_strings(fmt::format("{}: array 'ids'", path));
  std::unordered_map<std::string, int> index;
  for (int i = 0; i < ds.size(); ++i) index.emplace(ds.ids[static_cast<std::size_t>(i)], i);
  std::unordered_map<std::string, int> seen;
  for (const auto& id : ids) {
    const auto it = index.find(id);
    if (it == index.end())
      throw InputError(fmt::format("{}: array 'ids': unknown sequence {}; expected an id of the dataset {}, got {}", path,
                                   quote_token(id), data_where, quote_token(id)));
    if (seen[id]++ > 0)
      throw InputError(fmt::format("{}: array 'ids': duplicate sequence {}; expected each id once, got {} twice", path,
                                   quote_token(id), quote_token(id)));
    in.seq.push_back(it->second);
  }
  const auto N = static_cast<std::int64_t>(ids.size());

  // `tasks` (written since attribution.tasks): the metrics here need every task of the dataset.
  for (const auto& [name, arr] : archive) {
    if (name != "tasks") continue;
    const std::vector<std::int64_t> got = arr.to_i64(fmt::format("{}: array 'tasks'", path));
    std::vector<std::int64_t> all(static_cast<std::size_t>(ds.n_tasks()));
    for (int t = 0; t < ds.n_tasks(); ++t) all[static_cast<std::size_t>(t)] = t;
    if (got != all)
      throw InputError(fmt::format("{}: array 'tasks': scores of a subset of the tasks; expected every task {} "
                                   "(attribute with attribution.tasks = all), got {}",
                                   path, fmt::join(all, ","), fmt::join(got, ",")));
  }

  const io::NpyArray& onehot = io::find_array(archive, "onehot", path);
  const std::vector<std::int64_t> want_onehot{N, 4, L};
  if (onehot.shape != want_onehot)
    throw InputError(fmt::format("{}: array 'onehot': wrong shape; expected (N,4,L) = {} (N from 'ids', L from the "
                                 "dataset {}), got {}",
                                 path, shape_str(want_onehot), data_where, shape_str(onehot.shape)));
  {
    const std::vector<float> x = onehot.to_f32(fmt::format("{}: array 'onehot'", path));
    const auto Ls = static_cast<std::size_t>(L);
    for (std::size_t r = 0; r < in.seq.size(); ++r) {
      const std::string& s = ds.seqs[static_cast<std::size_t>(in.seq[r])];
      for (std::size_t l = 0; l < Ls; ++l) {
        const std::uint8_t code = base_code(s[l]);
        bool same = true;
        int hot = -1, n_hot = 0;
        for (std::size_t c = 0; c < 4; ++c) {
          const float v = x[(r * 4 + c) * Ls + l];
          same &= v == (c == code ? 1.0f : 0.0f);
          if (v != 0) {
            hot = static_cast<int>(c);
            ++n_hot;
          }
        }
        if (!same) {
          const std::string got = n_hot == 0 ? "N" : n_hot == 1 ? std::string(1, kBases[hot]) : "not one-hot";
          throw InputError(fmt::format(
              "{}: array 'onehot': sequence {} position {} differs from the dataset {}; expected '{}', got '{}'", path,
              quote_token(ids[r]), l, data_where, kBases[std::min<int>(code, 4)], got));
        }
      }
    }
  }

  const std::vector<std::int64_t> want{N, ds.n_tasks(), 4, L};
  for (const auto& [name, arr] : archive) {
    if (name == "ids" || name == "onehot" || name == "tasks" || name.find('.') != std::string::npos) continue;
    if (arr.shape != want)
      throw InputError(fmt::format("{}: array '{}': wrong shape; expected (N,T,4,L) = {} (N from 'ids', T tasks, L from "
                                   "the dataset {}), got {}",
                                   path, name, shape_str(want), data_where, shape_str(arr.shape)));
    MethodScores m;
    m.name = name;
    m.reference = attr::method_reference_label(name, default_reference);
    const std::vector<float> c = arr.to_f32(fmt::format("{}: array '{}'", path, name));
    for (std::size_t e = 0; e < c.size(); ++e)
      if (!std::isfinite(c[e]))
        throw InputError(fmt::format("{}: array '{}': non-finite score at flat index {}; expected finite "
                                     "contributions, got {}",
                                     path, name, e, c[e]));
    const auto Ls = static_cast<std::size_t>(L);
    const std::size_t blocks = static_cast<std::size_t>(N) * static_cast<std::size_t>(ds.n_tasks());
    m.per_base.resize(blocks * Ls);
    for (std::size_t b = 0; b < blocks; ++b)
      per_base_scores(std::span<const float>(c).subspan(b * 4 * Ls, 4 * Ls), ds.seq_len,
                      std::span<double>(m.per_base).subspan(b * Ls, Ls));
    in.methods.push_back(std::move(m));
  }
  if (in.methods.empty())
    throw InputError(
        fmt::format("{}: no method arrays; expected at least one array besides 'ids' and 'onehot', got none", path));
  return in;
}

ScoresInput read_scores(const std::string& path, const sim::Dataset& ds, std::string_view data_where,
                        std::string_view default_reference) {
  return match_scores(io::read_npz(path), path, ds, data_where, default_reference);
}

std::vector<Hit> find_hits(const sim::Dataset& ds, std::span<const int> seq, const sim::Pwm& gata, const sim::Pwm& tal,
                           const EvalConfig& cfg) {
  Strands strands;
  ScanMode mode;
  LB_CHECK(parse_strands(cfg.strands, strands) && parse_scan_mode(cfg.scan_mode, mode), "unvalidated EvalConfig");
  const sim::Background bg{cfg.background};
  const std::array<sim::Pwm, 2> pwms{gata.smoothed(cfg.pseudocount), tal.smoothed(cfg.pseudocount)};
  const std::array<sim::Pwm, 2> rcs{pwms[0].reverse_complement(), pwms[1].reverse_complement()};
  std::vector<std::vector<Hit>> per_row(seq.size());
  parallel_for(static_cast<int>(seq.size()), [&](int r) {
    const std::string& s = ds.seqs[static_cast<std::size_t>(seq[static_cast<std::size_t>(r)])];
    std::vector<std::uint8_t> codes(s.size());
    for (std::size_t l = 0; l < s.size(); ++l) codes[l] = std::min<std::uint8_t>(base_code(s[l]), kBaseN);
    auto& out = per_row[static_cast<std::size_t>(r)];
    for (int m = 0; m < 2; ++m) {
      const auto& pwm = pwms[static_cast<std::size_t>(m)];
      const WindowScores ws = scan(codes, pwm, rcs[static_cast<std::size_t>(m)], bg, strands);
      for (const int p : top_hits(ws.log_odds, pwm.width(), cfg.top_hits, mode))
        out.push_back(Hit{r, m, p, p + pwm.width(), ws.strand[static_cast<std::size_t>(p)],
                          ws.log_odds[static_cast<std::size_t>(p)]});
    }
  });
  std::vector<Hit> hits;
  for (auto& v : per_row) hits.insert(hits.end(), v.begin(), v.end());
  return hits;
}

ModelMetrics read_model_metrics(const std::string& path, int n_tasks) {
  const io::TsvTable t = io::read_tsv(path);
  const int cm = t.column("metric", path), ct = t.column("task", path), cv = t.column("value", path);
  ModelMetrics mm;
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const auto& row = t.rows[i];
    const std::string& metric = row[static_cast<std::size_t>(cm)];
    if (metric != "test_auroc" && metric != "test_auprc") continue;
    const std::string& task = row[static_cast<std::size_t>(ct)];
    int k = -1;
    if (task.size() > 4 && task.size() < 9 && task.starts_with("task") &&
        task.find_first_not_of("0123456789", 4) == std::string::npos)
      k = std::stoi(task.substr(4));
    if (k < 0 || k >= n_tasks)
      throw InputError(fmt::format("{}bad task; expected task0..task{}, got {}", where(path, t.lines[i]), n_tasks - 1,
                                   quote_token(task)));
    const std::string& text = row[static_cast<std::size_t>(cv)];
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size())
      throw InputError(fmt::format("{}bad value; expected a number, got {}", where(path, t.lines[i]), quote_token(text)));
    auto& dst = metric == "test_auroc" ? mm.test_auroc : mm.test_auprc;
    if (dst.size() <= static_cast<std::size_t>(k)) dst.resize(static_cast<std::size_t>(k) + 1, kNaN);
    dst[static_cast<std::size_t>(k)] = v;
  }
  return mm;
}

namespace {

// Per-sequence numerators and denominators of every role metric of one method and task.
constexpr std::array<std::string_view, 5> kRoleMetrics{"driver_fn_rate", "irrelevant_fp_rate", "context_pos_rate",
                                                       "repressor_neg_rate", "gss"};
struct RoleCounts {
  std::array<std::vector<double>, 5> num, den;
};

RoleCounts role_counts(const sim::Dataset& ds, const ScoresInput& scores, const MethodScores& ms, int task,
                       const std::vector<std::vector<std::size_t>>& sites_of_row) {
  const std::size_t N = scores.seq.size(), T = static_cast<std::size_t>(ds.n_tasks());
  const auto L = static_cast<std::size_t>(scores.seq_len);
  RoleCounts c;
  for (auto& v : c.num) v.assign(N, 0.0);
  for (auto& v : c.den) v.assign(N, 0.0);
  for (std::size_t r = 0; r < N; ++r) {
    const double* pb = ms.per_base.data() + (r * T + static_cast<std::size_t>(task)) * L;
    double min_driver = HUGE_VAL, max_context = -HUGE_VAL;
    bool ok = true, any = false;
    for (const std::size_t k : sites_of_row[r]) {
      const sim::MotifSite& site = ds.sites[k];
      double s = 0;
      for (auto l = site.start; l < site.end; ++l) s += pb[static_cast<std::size_t>(l)];
      switch (ds.role(k, task)) {
        case sim::Role::Driver:
          c.den[0][r] += 1, c.num[0][r] += s <= 0;
          min_driver = std::min(min_driver, s);
          ok &= s > 0, any = true;
          break;
        case sim::Role::Irrelevant: c.den[1][r] += 1, c.num[1][r] += s > 0; break;
        case sim::Role::Context:
          c.den[2][r] += 1, c.num[2][r] += s > 0;
          max_context = std::max(max_context, s);
          break;
        case sim::Role::Repressor:
          c.den[3][r] += 1, c.num[3][r] += s < 0;
          ok &= s < 0, any = true;
          break;
      }
    }
    if (!any) continue;
    if (min_driver < HUGE_VAL && max_context >= min_driver) ok = false;
    c.den[4][r] = 1, c.num[4][r] = ok ? 1 : 0;
  }
  return c;
}

}  // namespace

void role_metrics(const sim::Dataset& ds, const ScoresInput& scores, const EvalConfig& cfg, Evaluation& ev) {
  const BootstrapConfig bc{cfg.bootstrap_resamples, cfg.bootstrap_seed, 0.95};
  const std::size_t N = scores.seq.size();
  std::unordered_map<int, std::size_t> row_of;
  for (std::size_t r = 0; r < N; ++r) row_of.emplace(scores.seq[r], r);
  std::vector<std::vector<std::size_t>> sites_of_row(N);
  for (std::size_t k = 0; k < ds.sites.size(); ++k)
    if (const auto it = row_of.find(ds.sites[k].seq); it != row_of.end()) sites_of_row[it->second].push_back(k);
  const std::size_t M = scores.methods.size();
  for (int task = 0; task < ds.n_tasks(); ++task) {
    std::vector<RoleCounts> counts;
    for (const MethodScores& ms : scores.methods) counts.push_back(role_counts(ds, scores, ms, task, sites_of_row));
    for (std::size_t k = 0; k < kRoleMetrics.size(); ++k) {
      double total = 0;
      for (double d : counts[0].den[k]) total += d;
      if (total == 0) continue;  // no instance of that role for this task
      for (std::size_t m = 0; m < M; ++m) {
        const Interval iv = bootstrap_ratio({counts[m].num[k], counts[m].den[k]}, bc);
        ev.role_rows.push_back({scores.methods[m].name, scores.methods[m].reference, task, std::string(kRoleMetrics[k]),
                                iv.estimate, iv.lo, iv.hi, total});
      }
      for (std::size_t a = 0; a < M; ++a)
        for (std::size_t b = a + 1; b < M; ++b) {
          const PairedInterval p = paired_bootstrap_ratio({counts[a].num[k], counts[a].den[k]},
                                                          {counts[b].num[k], counts[b].den[k]}, bc);
          ev.diffs.push_back({task, std::string(kRoleMetrics[k]), scores.methods[a].name, scores.methods[b].name,
                              p.diff.estimate, p.diff.lo, p.diff.hi, p.p_value, p.excludes_zero});
        }
    }
  }
}

Evaluation evaluate(const sim::Dataset& ds, const ScoresInput& scores, const sim::Pwm& gata, const sim::Pwm& tal,
                    const EvalConfig& cfg, const std::optional<ModelMetrics>& model) {
  const int T = ds.n_tasks();
  Evaluation ev;
  ev.gata_name = gata.name();
  ev.tal_name = tal.name();
  ev.n_sequences = static_cast<int>(scores.seq.size());
  ev.hits = find_hits(ds, scores.seq, gata, tal, cfg);
  const auto L = static_cast<std::size_t>(scores.seq_len);
  const std::size_t N = scores.seq.size();
  const std::array<std::string, 2> names{ev.gata_name, ev.tal_name};

  // Which of the two scanned motifs each task depends on, from the dataset's roles: a motif is
  // relevant to a task when any of its planted instances drives it or is context for it. A
  // repressor is not "relevant" here (these hit metrics assume positive evidence; a repressor's
  // hits count as the other motif's: positive scores on them are false positives); the role
  // metrics score repressors by their sign.
  if (!ds.has_roles())
    throw InputError("dataset: no roles.tsv; expected a dataset directory written by this version of 'liftbench "
                     "simulate' (simulate again: it is fast), got one without the ground-truth roles");
  std::vector<std::array<bool, 2>> relevant(static_cast<std::size_t>(T), {false, false});
  for (std::size_t k = 0; k < ds.sites.size(); ++k) {
    const int m = ds.sites[k].motif == names[0] ? 0 : ds.sites[k].motif == names[1] ? 1 : -1;
    if (m < 0) continue;
    for (int t = 0; t < T; ++t)
      if (ds.role(k, t) == sim::Role::Driver || ds.role(k, t) == sim::Role::Context)
        relevant[static_cast<std::size_t>(t)][static_cast<std::size_t>(m)] = true;
  }

  // Per-row facts: instance counts and planted masks of each motif, and the task labels.
  std::vector<std::array<int, 2>> count(N, {0, 0});
  std::vector<std::array<std::vector<std::uint8_t>, 2>> planted(N);
  {
    std::unordered_map<int, std::size_t> row_of;
    for (std::size_t r = 0; r < N; ++r) {
      row_of.emplace(scores.seq[r], r);
      planted[r][0].assign(L, 0);
      planted[r][1].assign(L, 0);
    }
    for (const auto& site : ds.sites) {
      const auto it = row_of.find(site.seq);
      if (it == row_of.end()) continue;
      const int m = site.motif == names[0] ? 0 : site.motif == names[1] ? 1 : -1;
      if (m < 0) continue;
      ++count[it->second][static_cast<std::size_t>(m)];
      for (auto l = site.start; l < site.end; ++l) planted[it->second][static_cast<std::size_t>(m)][static_cast<std::size_t>(l)] = 1;
    }
  }
  auto positive = [&](std::size_t r, int task) { return ds.label(scores.seq[r], task) > 0.5f; };
  ev.instances = count;

  const std::size_t M = scores.methods.size();
  ev.hit_scores.resize(M);
  std::vector<std::vector<MetricRow>> rows(M);
  parallel_for(static_cast<int>(M), [&](int mi) {
    const MethodScores& ms = scores.methods[static_cast<std::size_t>(mi)];
    auto& hs = ev.hit_scores[static_cast<std::size_t>(mi)];
    hs.resize(ev.hits.size() * T);
    for (std::size_t h = 0; h < ev.hits.size(); ++h) {
      const Hit& hit = ev.hits[h];
      for (int t = 0; t < T; ++t) {
        const std::span<const double> pb(ms.per_base.data() + (static_cast<std::size_t>(hit.row) * T + t) * L, L);
        hs[h * T + static_cast<std::size_t>(t)] = hit_score(pb, hit.start, hit.end);
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
    // Hits of motif m passing `keep`, with their tier and score on task t.
    auto hit_metric = [&](int task, int m, const std::string& metric, auto keep, auto stat) {
      std::vector<int> tiers;
      std::vector<double> x, y;
      for (std::size_t h = 0; h < ev.hits.size(); ++h) {
        const Hit& hit = ev.hits[h];
        if (hit.motif != m || !keep(hit)) continue;
        tiers.push_back(count[static_cast<std::size_t>(hit.row)][static_cast<std::size_t>(m)]);
        x.push_back(hit.log_odds);
        y.push_back(hs[h * T + static_cast<std::size_t>(task)]);
      }
      emit_tiers(out, base(task, names[static_cast<std::size_t>(m)], metric), tiers, [&](int only) {
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
    // Strong hits in sequences that carry every motif the task needs and are labelled positive
    // (for the paper's task 0, the sequences of class both).
    auto strong_positive = [&](int task) {
      return [&, task](const Hit& h) {
        const auto r = static_cast<std::size_t>(h.row);
        const auto& rel = relevant[static_cast<std::size_t>(task)];
        return h.log_odds >= thr && positive(r, task) && (!rel[0] || count[r][0] > 0) && (!rel[1] || count[r][1] > 0);
      };
    };
    auto strong = [&](const Hit& h) { return h.log_odds >= thr; };
    auto any = [](const Hit&) { return true; };
    auto fn = [](const std::vector<double>&, const std::vector<double>& y) { return share_nonpositive(y); };
    auto fp = [](const std::vector<double>&, const std::vector<double>& y) { return share_positive(y); };
    auto rho = [](const std::vector<double>& x, const std::vector<double>& y) { return spearman(x, y); };

    for (int task = 0; task < T; ++task) {
      const auto& rel = relevant[static_cast<std::size_t>(task)];
      if (!rel[0] && !rel[1]) continue;
      if (rel[0] && rel[1]) {  // a task of both motifs: false negatives where both are needed
        hit_metric(task, 0, "fn_rate", strong_positive(task), fn);
        hit_metric(task, 1, "fn_rate", strong_positive(task), fn);
        hit_metric(task, 0, "spearman", any, rho);
        hit_metric(task, 1, "spearman", any, rho);
      } else {  // a task of one motif: false positives on the other
        const int relevant_motif = rel[0] ? 0 : 1;
        hit_metric(task, 1 - relevant_motif, "fp_rate", strong, fp);
        hit_metric(task, relevant_motif, "spearman", any, rho);
      }
      // Localisation: every base of every scored sequence.
      const bool use_gata = rel[0], use_tal = rel[1];
      const std::string motif = use_gata && use_tal ? names[0] + "+" + names[1] : names[use_gata ? 0 : 1];
      std::vector<int> tiers(N);
      for (std::size_t r = 0; r < N; ++r) tiers[r] = (use_gata ? count[r][0] : 0) + (use_tal ? count[r][1] : 0);
      struct Loc {
        std::vector<double> s, a;
        std::vector<int> y;
      };
      auto collect = [&](int only) {
        Loc loc;
        for (std::size_t r = 0; r < N; ++r) {
          if (only >= 0 && tiers[r] != only) continue;
          const double* pb = ms.per_base.data() + (r * T + static_cast<std::size_t>(task)) * L;
          for (std::size_t l = 0; l < L; ++l) {
            loc.s.push_back(pb[l]);
            loc.a.push_back(std::fabs(pb[l]));
            loc.y.push_back((use_gata && planted[r][0][l]) || (use_tal && planted[r][1][l]) ? 1 : 0);
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
      const std::array<std::string, 4> loc_names{"loc_auroc", "loc_auprc", "loc_auroc_abs", "loc_auprc_abs"};
      for (int k = 0; k < 4; ++k) {
        emit_tiers(out, base(task, motif, loc_names[static_cast<std::size_t>(k)]), tiers, [&](int only) {
          const Loc& loc = get(only);
          const std::vector<double>& s = k >= 2 ? loc.a : loc.s;
          const double v = k % 2 == 0 ? auroc(s, loc.y) : auprc(s, loc.y);
          return std::pair<double, long>(v, static_cast<long>(s.size()));
        }, /*skip_tier0=*/true);
      }
    }
  });
  for (auto& r : rows) ev.rows.insert(ev.rows.end(), std::make_move_iterator(r.begin()), std::make_move_iterator(r.end()));
  role_metrics(ds, scores, cfg, ev);
  if (model) {
    for (int k = 0; k < 2; ++k) {
      const auto& v = k == 0 ? model->test_auroc : model->test_auprc;
      for (std::size_t t = 0; t < v.size(); ++t) {
        MetricRow r;
        r.method = "model";
        r.reference = "-";
        r.task = static_cast<int>(t);
        r.motif = "-";
        r.metric = k == 0 ? "test_auroc" : "test_auprc";
        r.tier = "all";
        r.value = v[t];
        r.n = -1;
        ev.rows.push_back(std::move(r));
      }
    }
  }
  return ev;
}

std::string metrics_json(const Evaluation& ev, const ScoresInput& scores, const EvalConfig& cfg,
                         const std::optional<ModelMetrics>& model, std::string_view version) {
  std::string j = "{\n";
  j += fmt::format("  \"version\": {},\n", json_str(version));
  j += fmt::format("  \"scan_mode\": {},\n", json_str(cfg.scan_mode));
  j += fmt::format("  \"strands\": {},\n", json_str(cfg.strands));
  j += fmt::format("  \"log_odds_threshold\": {},\n", json_num(cfg.log_odds_threshold));
  j += fmt::format("  \"top_hits\": {},\n", cfg.top_hits);
  j += fmt::format("  \"pseudocount\": {},\n", json_num(cfg.pseudocount));
  j += fmt::format("  \"background\": [{}, {}, {}, {}],\n", json_num(cfg.background[0]), json_num(cfg.background[1]),
                   json_num(cfg.background[2]), json_num(cfg.background[3]));
  j += fmt::format("  \"motifs\": {{\"gata\": {}, \"tal\": {}}},\n", json_str(ev.gata_name), json_str(ev.tal_name));
  j += fmt::format("  \"n_sequences\": {},\n", ev.n_sequences);
  j += "  \"methods\": [";
  for (std::size_t i = 0; i < scores.methods.size(); ++i)
    j += fmt::format("{}{}", i ? ", " : "", json_str(scores.methods[i].name));
  j += "],\n  \"references\": [";
  for (std::size_t i = 0; i < scores.methods.size(); ++i)
    j += fmt::format("{}{}", i ? ", " : "", json_str(scores.methods[i].reference));
  j += "],\n";
  if (model) {
    auto list = [](const std::vector<double>& v) {
      std::string s = "[";
      for (std::size_t i = 0; i < v.size(); ++i) s += fmt::format("{}{}", i ? ", " : "", json_num(v[i]));
      return s + "]";
    };
    j += fmt::format("  \"model\": {{\"test_auroc\": {}, \"test_auprc\": {}}},\n", list(model->test_auroc),
                     list(model->test_auprc));
  }
  j += "  \"metrics\": [";
  for (std::size_t i = 0; i < ev.rows.size(); ++i) {
    const MetricRow& r = ev.rows[i];
    j += fmt::format(
        "{}\n    {{\"method\": {}, \"reference\": {}, \"task\": {}, \"motif\": {}, \"metric\": {}, \"tier\": {}, "
        "\"value\": {}, \"n\": {}}}",
        i ? "," : "", json_str(r.method), json_str(r.reference), r.task, json_str(r.motif), json_str(r.metric),
        json_str(r.tier), json_num(r.value), r.n < 0 ? std::string("null") : fmt::format("{}", r.n));
  }
  j += "\n  ]\n}\n";
  return j;
}

void write_evaluation(const std::string& dir, const Evaluation& ev, const sim::Dataset& ds, const ScoresInput& scores,
                      const EvalConfig& cfg, const std::optional<ModelMetrics>& model, std::string_view version) {
  const int T = ds.n_tasks();
  io::ensure_output_dir(dir);
  std::vector<std::vector<std::string>> rows;
  rows.reserve(ev.rows.size());
  for (const MetricRow& r : ev.rows)
    rows.push_back({r.method, r.reference, fmt::format("{}", r.task), r.motif, r.metric, r.tier, num(r.value),
                    r.n < 0 ? std::string() : fmt::format("{}", r.n)});
  io::write_tsv(dir + "/metrics.tsv", std::vector<std::string>(kMetricsColumns.begin(), kMetricsColumns.end()), rows);
  io::write_file_atomic(dir + "/metrics.json", metrics_json(ev, scores, cfg, model, version));
  std::vector<std::vector<std::string>> role_rows;
  for (const RoleRow& r : ev.role_rows)
    role_rows.push_back({r.method, r.reference, ds.tasks[static_cast<std::size_t>(r.task)].name, r.metric, num(r.value),
                         num(r.lo), num(r.hi), fmt::format("{}", r.instances)});
  io::write_tsv(dir + "/role_metrics.tsv",
                {"method", "reference", "task", "metric", "value", "ci_lo", "ci_hi", "n"}, role_rows);
  std::vector<std::vector<std::string>> diff_rows;
  for (const DiffRow& d : ev.diffs)
    diff_rows.push_back({ds.tasks[static_cast<std::size_t>(d.task)].name, d.metric, d.a, d.b, num(d.diff), num(d.lo),
                         num(d.hi), num(d.p_value), d.excludes_zero ? "yes" : "no"});
  io::write_tsv(dir + "/method_differences.tsv",
                {"task", "metric", "method_a", "method_b", "a_minus_b", "ci_lo", "ci_hi", "p_value", "real"}, diff_rows);

  // hits.tsv can be large (N x 2 motifs x top_hits x methods x T lines): formatted directly.
  io::AtomicFile f(dir + "/hits.tsv");
  std::string buf;
  for (std::size_t c = 0; c < kHitsColumns.size(); ++c) buf += fmt::format("{}{}", c ? "\t" : "", kHitsColumns[c]);
  buf += '\n';
  const std::array<std::string, 2> names{ev.gata_name, ev.tal_name};
  for (std::size_t mi = 0; mi < scores.methods.size(); ++mi) {
    const MethodScores& ms = scores.methods[mi];
    for (int t = 0; t < T; ++t) {
      for (std::size_t h = 0; h < ev.hits.size(); ++h) {
        const Hit& hit = ev.hits[h];
        const auto i = static_cast<std::size_t>(scores.seq[static_cast<std::size_t>(hit.row)]);
        const int n_inst = ev.instances[static_cast<std::size_t>(hit.row)][static_cast<std::size_t>(hit.motif)];
        fmt::format_to(std::back_inserter(buf), "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{:.6g}\t{}\t{}\t{:.6g}\n", ms.name,
                       ms.reference, t, ds.ids[i], names[static_cast<std::size_t>(hit.motif)], hit.start, hit.end,
                       hit.strand, hit.log_odds, ds.class_names[static_cast<std::size_t>(ds.classes[i])], n_inst,
                       ev.hit_scores[mi][h * T + static_cast<std::size_t>(t)]);
      }
      if (buf.size() > (1u << 20)) {
        f.write(buf);
        buf.clear();
      }
    }
  }
  f.write(buf);
  f.commit();
}

}  // namespace lb::eval
