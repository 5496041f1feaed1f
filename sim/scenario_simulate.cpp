// Simulating a scenario's dataset (sim/scenario.h, docs/scenarios.md): class sizes and
// assignment, then per sequence its background, counts, placements, labels and roles. Every
// benchmark, the paper's included, runs through it.
#include "sim/scenario.h"

#include <algorithm>
#include <cmath>
#include <mutex>

#include <fmt/format.h>

#include "core/alphabet.h"
#include "core/error.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "sim/simulator.h"

namespace lb::sim {

namespace {

int draw_count(Rng& rng, const CountSpec& c, const Scenario& s, const Placement& p, int max_draws) {
  switch (c.kind) {
    case CountSpec::Kind::Fixed: return c.min;
    case CountSpec::Kind::Uniform: return c.min + static_cast<int>(rng.below(static_cast<std::uint64_t>(c.max - c.min + 1)));
    case CountSpec::Kind::Poisson:
      for (int d = 0; d < max_draws; ++d) {
        const int k = rng.poisson(c.mean);
        if (k >= c.min && k <= c.max) return k;
      }
      throw ConfigError(fmt::format("{}:{}: place.{}: no Poisson draw fell in [{}, {}] after {} draws; expected a "
                                    "range that Poisson({}) reaches, got mean {} and range [{}, {}]",
                                    s.path.empty() ? "sim" : s.path, p.line, p.id, c.min, c.max, max_draws, c.mean,
                                    c.mean, c.min, c.max));
  }
  return 0;
}

bool overlaps(std::int64_t start, std::int64_t end, const std::vector<std::pair<std::int64_t, std::int64_t>>& occ) {
  for (const auto& [b, e] : occ)
    if (start < e && b < end) return true;
  return false;
}

}  // namespace

std::vector<int> class_sizes(const std::vector<double>& weights, int n) {
  const std::size_t K = weights.size();
  double total = 0;
  for (double w : weights) total += w;
  std::vector<int> counts(K, 0);
  std::vector<double> rem(K, 0);
  int sum = 0;
  for (std::size_t c = 0; c < K; ++c) {
    const double share = weights[c] / total * n;
    counts[c] = static_cast<int>(std::floor(share));
    rem[c] = share - counts[c];
    sum += counts[c];
  }
  std::vector<std::size_t> order(K);
  for (std::size_t c = 0; c < K; ++c) order[c] = c;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return rem[a] > rem[b]; });
  for (std::size_t k = 0; sum < n; k = (k + 1) % K, ++sum) ++counts[order[k]];
  for (std::size_t k = K - 1; sum > n; k = (k + K - 1) % K) {
    if (counts[order[k]] > 0) {
      --counts[order[k]];
      --sum;
    }
  }
  return counts;
}

Dataset simulate_scenario(const SimConfig& cfg, const Scenario& s, const std::function<void(int)>& progress) {
  check_scenario_fits(s, cfg.seq_len);
  const int n = cfg.n_seqs, L = cfg.seq_len;
  const Background bg{cfg.background};
  const std::size_t K = s.keys.size(), T = s.tasks.size();
  std::vector<Pwm> fwd, rev;
  for (const Pwm& p : s.pwms) {
    fwd.push_back(p.smoothed(cfg.pseudocount));
    rev.push_back(fwd.back().reverse_complement());
  }

  Dataset data;
  data.seq_len = L;
  for (const TaskSpec& t : s.tasks) data.tasks.push_back({t.name, t.kind, t.text});
  for (const ClassSpec& c : s.classes) data.class_names.push_back(c.name);
  data.motif_keys = s.keys;

  // Classes: exact counts, then a shuffle on stream 0 so that class is not tied to the index.
  std::vector<double> weights;
  for (const ClassSpec& c : s.classes) weights.push_back(c.weight);
  const std::vector<int> sizes = class_sizes(weights, n);
  for (std::size_t c = 0; c < sizes.size(); ++c)
    data.classes.insert(data.classes.end(), static_cast<std::size_t>(sizes[c]), static_cast<int>(c));
  Rng class_rng(cfg.seed, 0);
  class_rng.shuffle(data.classes.begin(), data.classes.end());
  data.splits = stratified_split(data.classes, static_cast<int>(s.classes.size()), cfg.split, cfg.seed);

  data.ids.resize(static_cast<std::size_t>(n));
  data.seqs.resize(static_cast<std::size_t>(n));
  data.labels.assign(static_cast<std::size_t>(n) * T, 0.0f);
  data.counts.assign(static_cast<std::size_t>(n) * K, 0);

  // Sequences in fixed chunks run in parallel: sequence i depends on its own streams only, and
  // its sites and roles are joined in sequence order afterwards (any thread count, same bytes).
  constexpr int kSimChunk = 256;
  std::vector<std::vector<MotifSite>> sites_of(static_cast<std::size_t>(n));
  std::vector<std::vector<Role>> roles_of(static_cast<std::size_t>(n));
  std::mutex progress_mutex;
  int done = 0;
  parallel_for((n + kSimChunk - 1) / kSimChunk, [&](int chunk) {
  std::vector<std::uint8_t> codes(static_cast<std::size_t>(L));
  std::vector<std::uint8_t> draw;
  std::vector<std::pair<std::int64_t, std::int64_t>> occupied;
  std::vector<MotifSite> seq_sites;
  std::vector<Instance> inst;
  std::vector<Role> task_roles;
  std::vector<Placement> plan;
  std::vector<int> plan_count;

  for (int i = chunk * kSimChunk; i < std::min(n, (chunk + 1) * kSimChunk); ++i) {
    const auto si = static_cast<std::size_t>(i);
    const ClassSpec& cls = s.classes[static_cast<std::size_t>(data.classes[si])];
    data.ids[si] = sequence_id(i, n);
    Rng rng(cfg.seed, 1 + static_cast<std::uint64_t>(i));
    sample_background_into(bg, codes, rng);

    // Every count first (the class's placements in order, then the decoys), then the instances.
    plan = cls.placements;
    plan.insert(plan.end(), s.decoys.begin(), s.decoys.end());
    plan_count.assign(plan.size(), 0);
    for (std::size_t p = 0; p < plan.size(); ++p)
      plan_count[p] = draw_count(rng, plan[p].count, s, plan[p], cfg.max_count_draws);

    // A dependant whose every gap is blocked (by an instance planted after its anchor) restarts
    // the sequence's planting from its background: the same stream continues, so the result is
    // still determined by (seed, i). The paper's scenario has no anchors and never restarts.
    const std::vector<std::uint8_t> background_codes = codes;
    std::vector<std::vector<std::size_t>> placed(plan.size());  // indices into seq_sites
    // Room an anchor keeps after its end for the placements that follow it (their largest gap,
    // width and own reserve), so that a dependant always fits inside the sequence.
    std::vector<int> reserve(plan.size(), 0);
    for (std::size_t q = plan.size(); q-- > 0;)
      if (plan[q].anchor >= 0) {
        int& r = reserve[static_cast<std::size_t>(plan[q].anchor)];
        r = std::max(r, plan[q].gap_hi + fwd[static_cast<std::size_t>(plan[q].key)].width() + reserve[q]);
      }
    for (int restart = 0;; ++restart) {
    codes = background_codes;
    occupied.clear();
    seq_sites.clear();
    for (auto& v : placed) v.clear();
    for (std::size_t k = 0; k < K; ++k) data.counts[si * K + k] = 0;
    bool blocked = false;
    for (std::size_t p = 0; p < plan.size() && !blocked; ++p) {
      const Placement& pl = plan[p];
      const auto key = static_cast<std::size_t>(pl.key);
      const int w = fwd[key].width();
      const auto uw = static_cast<std::size_t>(w);
      for (int k = 0; k < plan_count[p] && !blocked; ++k) {
        std::int64_t start = 0;
        char anchor_strand = '+';
        if (pl.anchor < 0) {
          // Uniform over the window's starts, redrawn while overlapping (the paper's placement).
          const int lo = pl.window_hi >= 0 ? pl.window_lo : 0;
          const int hi = std::min(pl.window_hi >= 0 ? pl.window_hi : L, L - reserve[p]);
          const auto n_starts = static_cast<std::uint64_t>(hi - w - lo + 1);
          bool ok = false;
          for (int a = 0; a < cfg.max_placement_attempts && !ok; ++a) {
            start = lo + static_cast<std::int64_t>(rng.below(n_starts));
            ok = !overlaps(start, start + w, occupied);
          }
          if (!ok) {
            std::int64_t covered = 0;
            for (const auto& [b, e] : occupied) covered += e - b;
            throw InputError(fmt::format(
                "sequence '{}': cannot place motif {} (width {}) without overlap after {} attempts; expected free "
                "space for {} bases, got {} motifs already covering {} of {} bases",
                data.ids[si], quote_token(fwd[key].name(), 80), w, cfg.max_placement_attempts, w, occupied.size(), covered, L));
          }
        } else {
          const auto& anchors = placed[static_cast<std::size_t>(pl.anchor)];
          const MotifSite& a = seq_sites[anchors[static_cast<std::size_t>(k) % anchors.size()]];
          anchor_strand = a.strand;
          bool ok = false;
          for (int t = 0; t < cfg.max_placement_attempts && !ok; ++t) {
            const int gap = pl.gap_lo + static_cast<int>(rng.below(static_cast<std::uint64_t>(pl.gap_hi - pl.gap_lo + 1)));
            start = a.end + gap;
            ok = start + w <= L && !overlaps(start, start + w, occupied);
          }
          if (!ok && restart + 1 < cfg.max_placement_attempts) {
            blocked = true;
            break;
          }
          if (!ok)
            throw InputError(fmt::format(
                "sequence '{}': cannot place motif {} {}-{} bases after {} (placement {} of {}:{}) in {} "
                "restarts; expected a free gap after the anchor, got every gap blocked",
                data.ids[si], quote_token(fwd[key].name(), 80), pl.gap_lo, pl.gap_hi, quote_token(a.motif, 80), quote_token(pl.id, 80),
                s.path.empty() ? "sim" : s.path,
                pl.line, cfg.max_placement_attempts));
        }
        occupied.emplace_back(start, start + w);
        bool minus = rng.uniform() < pl.p_minus;  // always one draw: starts do not depend on strands
        if (pl.orient == Placement::Orient::Same) minus = anchor_strand == '-';
        else if (pl.orient == Placement::Orient::Opposite) minus = anchor_strand == '+';
        draw.resize(uw);
        fwd[key].sample_into(std::span<std::uint8_t>(draw.data(), uw), rng);
        std::uint8_t* dst = codes.data() + start;
        if (minus) {
          for (std::size_t j = 0; j < uw; ++j) dst[j] = static_cast<std::uint8_t>(3 - draw[uw - 1 - j]);
        } else {
          std::copy(draw.begin(), draw.end(), dst);
        }
        const double lo_ = (minus ? rev[key] : fwd[key]).log_odds(std::span<const std::uint8_t>(dst, uw), bg);
        placed[p].push_back(seq_sites.size());
        seq_sites.push_back({i, start, start + w, fwd[key].name(), lo_, minus ? '-' : '+', pl.key});
        ++data.counts[si * K + key];
      }
    }
    if (!blocked) break;
    }
    std::sort(seq_sites.begin(), seq_sites.end(), [](const MotifSite& a, const MotifSite& b) { return a.start < b.start; });

    // Labels and roles from the planted content.
    inst.clear();
    for (const MotifSite& m : seq_sites) inst.push_back({m.key, m.start, m.end, m.strand});
    std::vector<Role> roles(seq_sites.size() * T, Role::Irrelevant);
    Rng noise(cfg.seed, kNoiseStream + static_cast<std::uint64_t>(i));
    for (std::size_t t = 0; t < T; ++t) {
      const TaskSpec& task = s.tasks[t];
      if (task.kind == TaskKind::Binary) {
        data.labels[si * T + t] = evaluate_task(task.expr, inst, &task_roles) ? 1.0f : 0.0f;
        for (std::size_t k = 0; k < inst.size(); ++k) roles[k * T + t] = task_roles[k];
        continue;
      }
      double y = task.intercept;
      for (std::size_t k = 0; k < K; ++k) y += task.effect[k] * data.counts[si * K + k];
      std::vector<int> present(K, 0);
      for (std::size_t k = 0; k < K; ++k) present[k] = data.counts[si * K + k] > 0;
      for (const auto& in : task.interactions)
        y += in.coef * present[static_cast<std::size_t>(in.a)] * present[static_cast<std::size_t>(in.b)];
      if (task.noise > 0) y += task.noise * noise.normal();
      data.labels[si * T + t] = static_cast<float>(y);
      for (std::size_t k = 0; k < inst.size(); ++k) {
        const auto key = static_cast<std::size_t>(inst[k].key);
        Role r = task.effect[key] > 0 ? Role::Driver : task.effect[key] < 0 ? Role::Repressor : Role::Irrelevant;
        if (r == Role::Irrelevant) {
          // No effect of its own: its interactions decide; the strongest one whose partner is
          // present, else Context when it has any interaction.
          double best = 0;
          for (const auto& in : task.interactions) {
            if (in.a != inst[k].key && in.b != inst[k].key) continue;
            const auto partner = static_cast<std::size_t>(in.a == inst[k].key ? in.b : in.a);
            if (!present[partner]) {
              if (r == Role::Irrelevant) r = Role::Context;
            } else if (std::abs(in.coef) > best) {
              best = std::abs(in.coef);
              r = in.coef > 0 ? Role::Driver : in.coef < 0 ? Role::Repressor : r;
            }
          }
        }
        roles[k * T + t] = r;
      }
    }
    sites_of[si] = seq_sites;
    roles_of[si] = std::move(roles);

    std::string& str = data.seqs[si];
    str.resize(static_cast<std::size_t>(L));
    for (std::size_t j = 0; j < codes.size(); ++j) str[j] = kBases[codes[j]];
  }
  if (progress) {
    const std::lock_guard<std::mutex> lock(progress_mutex);
    done += std::min(n, (chunk + 1) * kSimChunk) - chunk * kSimChunk;
    progress(done);
  }
  });
  for (std::size_t i = 0; i < sites_of.size(); ++i) {
    data.sites.insert(data.sites.end(), sites_of[i].begin(), sites_of[i].end());
    data.roles.insert(data.roles.end(), roles_of[i].begin(), roles_of[i].end());
  }
  return data;
}

}  // namespace lb::sim
