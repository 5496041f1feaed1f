// Simulating a scenario's dataset (sim/scenario.h, docs/scenarios.md): class sizes and
// assignment, then per sequence its background, counts, placements, labels and roles. Every
// benchmark, the paper's included, runs through it.
#include "sim/scenario.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/alphabet.h"
#include "core/error.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "sim/simulator.h"

namespace lb::sim {

namespace {

// Sequences per parallel work item.
constexpr int kSimChunk = 256;

using Spans = std::vector<std::pair<std::int64_t, std::int64_t>>;

// How many instances a placement plants in one sequence.
int draw_count(Rng& rng, const CountSpec& c, const Scenario& s, const Placement& p, int max_draws) {
  switch (c.kind) {
    case CountSpec::Kind::Fixed: return c.min;
    case CountSpec::Kind::Uniform: {
      const std::int64_t n_counts = std::int64_t{c.max} - c.min + 1;  // up to 2^31: 0..INT_MAX
      return c.min + static_cast<int>(rng.below(static_cast<std::uint64_t>(n_counts)));
    }
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

bool overlaps(std::int64_t start, std::int64_t end, const Spans& occ) {
  for (const auto& [b, e] : occ)
    if (start < e && b < end) return true;
  return false;
}

// What every sequence of one simulation shares: the smoothed PWMs of the keys on both strands,
// and per class its plan (the class's placements in order, then the decoys) with the room each
// anchor of the plan keeps after its end (anchor_reserves), so that a dependant always fits.
struct Setup {
  Setup(const SimConfig& config, const Scenario& scenario)
      : cfg(config), s(scenario), bg{config.background}, n_keys(scenario.keys.size()), n_tasks(scenario.tasks.size()),
        file(scenario.path.empty() ? "sim" : scenario.path) {
    for (const Pwm& p : s.pwms) {
      fwd.push_back(p.smoothed(cfg.pseudocount));
      rev.push_back(fwd.back().reverse_complement());
    }
    for (const ClassSpec& c : s.classes) {
      std::vector<Placement> plan = c.placements;
      plan.insert(plan.end(), s.decoys.begin(), s.decoys.end());
      reserves.push_back(anchor_reserves(plan, fwd));
      plans.push_back(std::move(plan));
    }
  }

  const SimConfig& cfg;
  const Scenario& s;
  Background bg;
  std::size_t n_keys, n_tasks;
  std::string file;                            // the scenario file as messages name it
  std::vector<Pwm> fwd, rev;                   // per key
  std::vector<std::vector<Placement>> plans;   // per class
  std::vector<std::vector<std::int64_t>> reserves;  // per class, per plan entry
};

// The dataset's description: sequence length, tasks, class names and motif keys.
Dataset dataset_header(const Scenario& s, int seq_len) {
  Dataset data;
  data.seq_len = seq_len;
  for (const TaskSpec& t : s.tasks) data.tasks.push_back({t.name, t.kind, t.text});
  for (const ClassSpec& c : s.classes) data.class_names.push_back(c.name);
  data.motif_keys = s.keys;
  return data;
}

// Every sequence's class and split: exact class sizes, then a shuffle on stream 0 so that class
// is not tied to the index; splits stratified by class from their own stream.
void assign_classes(const SimConfig& cfg, const Scenario& s, Dataset& data) {
  std::vector<double> weights;
  for (const ClassSpec& c : s.classes) weights.push_back(c.weight);
  const std::vector<int> sizes = class_sizes(weights, cfg.n_seqs);
  for (std::size_t c = 0; c < sizes.size(); ++c)
    data.classes.insert(data.classes.end(), static_cast<std::size_t>(sizes[c]), static_cast<int>(c));
  Rng class_rng(cfg.seed, 0);
  class_rng.shuffle(data.classes.begin(), data.classes.end());
  data.splits = stratified_split(data.classes, static_cast<int>(s.classes.size()), cfg.split, cfg.seed);
}

// A sequence being planted: its codes (and the background it restarts from), the spans taken,
// its sites and, per entry of the plan, its drawn count and the indices of its sites. Reused by
// the sequences of a chunk.
struct Planting {
  std::vector<std::uint8_t> codes, background;
  std::vector<std::uint8_t> motif_codes;       // the letters of the instance being planted
  Spans occupied;
  std::vector<MotifSite> sites;
  std::vector<int> count;                      // per plan entry
  std::vector<std::vector<std::size_t>> placed;  // per plan entry: indices into sites
};

// The counts of every entry of the plan, in order, before any instance is placed.
void draw_counts(const Setup& u, const std::vector<Placement>& plan, Rng& rng, std::vector<int>& count) {
  count.assign(plan.size(), 0);
  for (std::size_t p = 0; p < plan.size(); ++p)
    count[p] = draw_count(rng, plan[p].count, u.s, plan[p], u.cfg.max_count_draws);
}

// A free placement's start: uniform over its window's starts (short of the room it keeps for its
// dependants), redrawn while overlapping (the paper's placement); InputError when every attempt
// overlaps.
std::int64_t free_start(const Setup& u, const Placement& pl, std::int64_t reserve, const std::string& seq_id,
                        Rng& rng, const Planting& w) {
  const int L = u.cfg.seq_len;
  const Pwm& pwm = u.fwd[static_cast<std::size_t>(pl.key)];
  const int width = pwm.width();
  const std::int64_t lo = pl.window_hi >= 0 ? pl.window_lo : 0;
  const std::int64_t hi = std::min<std::int64_t>(pl.window_hi >= 0 ? pl.window_hi : L, L - reserve);
  const auto n_starts = static_cast<std::uint64_t>(hi - width - lo + 1);
  for (int a = 0; a < u.cfg.max_placement_attempts; ++a) {
    const std::int64_t start = lo + static_cast<std::int64_t>(rng.below(n_starts));
    if (!overlaps(start, start + width, w.occupied)) return start;
  }
  std::int64_t covered = 0;
  for (const auto& [b, e] : w.occupied) covered += e - b;
  throw InputError(fmt::format(
      "sequence '{}': cannot place motif {} (width {}) without overlap after {} attempts; expected free "
      "space for {} bases, got {} motifs already covering {} of {} bases",
      seq_id, quote_token(pwm.name(), 80), width, u.cfg.max_placement_attempts, width, w.occupied.size(), covered, L));
}

// A dependant's start: its gap drawn uniformly after the anchor's end, redrawn while the instance
// overlaps or leaves the sequence; false when every attempt was blocked.
bool anchored_start(const Setup& u, const Placement& pl, const MotifSite& anchor, Rng& rng, const Planting& w,
                    std::int64_t& start) {
  const int width = u.fwd[static_cast<std::size_t>(pl.key)].width();
  for (int t = 0; t < u.cfg.max_placement_attempts; ++t) {
    const std::int64_t n_gaps = std::int64_t{pl.gap_hi} - pl.gap_lo + 1;
    const std::int64_t gap = pl.gap_lo + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(n_gaps)));
    start = anchor.end + gap;
    if (start + width <= u.cfg.seq_len && !overlaps(start, start + width, w.occupied)) return true;
  }
  return false;
}

// Plants an instance of entry p of the plan at `start`: its strand (one uniform draw, then the
// orientation to its anchor), its letters, their log-odds, its site and its key's count.
void plant_instance(const Setup& u, const Placement& pl, std::size_t p, std::int64_t start, char anchor_strand,
                    int seq, std::span<int> key_counts, Rng& rng, Planting& w) {
  const auto key = static_cast<std::size_t>(pl.key);
  const Pwm& pwm = u.fwd[key];
  const int width = pwm.width();
  const auto uw = static_cast<std::size_t>(width);
  w.occupied.emplace_back(start, start + width);
  bool minus = rng.uniform() < pl.p_minus;  // always one draw: starts do not depend on strands
  if (pl.orient == Placement::Orient::Same) minus = anchor_strand == '-';
  else if (pl.orient == Placement::Orient::Opposite) minus = anchor_strand == '+';
  w.motif_codes.resize(uw);
  pwm.sample_into(std::span<std::uint8_t>(w.motif_codes.data(), uw), rng);
  std::uint8_t* dst = w.codes.data() + start;
  if (minus) {
    for (std::size_t j = 0; j < uw; ++j) dst[j] = static_cast<std::uint8_t>(3 - w.motif_codes[uw - 1 - j]);
  } else {
    std::copy(w.motif_codes.begin(), w.motif_codes.end(), dst);
  }
  const double log_odds = (minus ? u.rev[key] : pwm).log_odds(std::span<const std::uint8_t>(dst, uw), u.bg);
  w.placed[p].push_back(w.sites.size());
  w.sites.push_back({seq, start, start + width, pwm.name(), log_odds, minus ? '-' : '+', pl.key});
  ++key_counts[key];
}

// One pass over the plan from the background: every entry's instances in order. False when a
// dependant found every gap blocked and the sequence may restart; InputError when it may not.
bool plant_plan(const Setup& u, const std::vector<Placement>& plan, const std::vector<std::int64_t>& reserve,
                int restart, int seq, const std::string& seq_id, std::span<int> key_counts, Rng& rng, Planting& w) {
  for (std::size_t p = 0; p < plan.size(); ++p) {
    const Placement& pl = plan[p];
    for (int k = 0; k < w.count[p]; ++k) {
      std::int64_t start = 0;
      char anchor_strand = '+';
      if (pl.anchor < 0) {
        start = free_start(u, pl, reserve[p], seq_id, rng, w);
      } else {
        const auto& anchors = w.placed[static_cast<std::size_t>(pl.anchor)];
        const MotifSite& a = w.sites[anchors[static_cast<std::size_t>(k) % anchors.size()]];
        anchor_strand = a.strand;
        if (!anchored_start(u, pl, a, rng, w, start)) {
          if (restart + 1 < u.cfg.max_placement_attempts) return false;
          throw InputError(fmt::format(
              "sequence '{}': cannot place motif {} {}-{} bases after {} (placement {} of {}:{}) in {} "
              "restarts; expected a free gap after the anchor, got every gap blocked",
              seq_id, quote_token(u.fwd[static_cast<std::size_t>(pl.key)].name(), 80), pl.gap_lo, pl.gap_hi,
              quote_token(a.motif, 80), quote_token(pl.id, 80), u.file, pl.line, u.cfg.max_placement_attempts));
        }
      }
      plant_instance(u, pl, p, start, anchor_strand, seq, key_counts, rng, w);
    }
  }
  return true;
}

// Plants the class's plan into the sequence's background: every count first, then the instances.
// A dependant whose every gap is blocked (by an instance planted after its anchor) restarts the
// planting from the background: the same stream continues, so the result is still determined
// by (seed, i). The paper's scenario has no anchors and never restarts. Sites end sorted by start.
void plant_sequence(const Setup& u, int cls, int seq, const std::string& seq_id, std::span<int> key_counts, Rng& rng,
                    Planting& w) {
  const std::vector<Placement>& plan = u.plans[static_cast<std::size_t>(cls)];
  const std::vector<std::int64_t>& reserve = u.reserves[static_cast<std::size_t>(cls)];
  draw_counts(u, plan, rng, w.count);
  w.background = w.codes;
  w.placed.resize(plan.size());
  for (int restart = 0;; ++restart) {
    w.codes = w.background;
    w.occupied.clear();
    w.sites.clear();
    for (auto& v : w.placed) v.clear();
    std::fill(key_counts.begin(), key_counts.end(), 0);
    if (plant_plan(u, plan, reserve, restart, seq, seq_id, key_counts, rng, w)) break;
  }
  std::sort(w.sites.begin(), w.sites.end(), [](const MotifSite& a, const MotifSite& b) { return a.start < b.start; });
}

// A real-valued target: intercept + effect x count per key + coefficient x presence of both keys
// per interaction, plus Gaussian noise from the sequence's noise stream.
double linear_target(const TaskSpec& task, std::span<const int> key_counts, const std::vector<int>& present,
                     Rng& noise) {
  double y = task.intercept;
  for (std::size_t k = 0; k < key_counts.size(); ++k) y += task.effect[k] * key_counts[k];
  for (const auto& in : task.interactions)
    y += in.coef * present[static_cast<std::size_t>(in.a)] * present[static_cast<std::size_t>(in.b)];
  if (task.noise > 0) y += task.noise * noise.normal();
  return y;
}

// An instance's role for a real-valued task: Driver or Repressor by the sign of its key's effect;
// with no effect of its own, its interactions decide: the strongest one whose partner is
// present, else Context when it has any interaction.
Role linear_role(const TaskSpec& task, int key, const std::vector<int>& present) {
  const double effect = task.effect[static_cast<std::size_t>(key)];
  Role r = effect > 0 ? Role::Driver : effect < 0 ? Role::Repressor : Role::Irrelevant;
  if (r != Role::Irrelevant) return r;
  double best = 0;
  for (const auto& in : task.interactions) {
    if (in.a != key && in.b != key) continue;
    const auto partner = static_cast<std::size_t>(in.a == key ? in.b : in.a);
    if (!present[partner]) {
      if (r == Role::Irrelevant) r = Role::Context;
    } else if (std::abs(in.coef) > best) {
      best = std::abs(in.coef);
      r = in.coef > 0 ? Role::Driver : in.coef < 0 ? Role::Repressor : r;
    }
  }
  return r;
}

// Scratch of the labelling step, reused by the sequences of a chunk, and its result: the roles
// of the sequence's sites (site k, task t at k * T + t).
struct Labelling {
  std::vector<Instance> inst;
  std::vector<Role> task_roles, roles;
  std::vector<int> present;  // per key: 1 when planted
};

// Every task's label of sequence `seq` (into `labels`, one per task) and the roles of its sites,
// from the planted content only.
void label_sequence(const Setup& u, int seq, const std::vector<MotifSite>& sites, std::span<const int> key_counts,
                    std::span<float> labels, Labelling& b) {
  const std::size_t T = u.n_tasks;
  b.inst.clear();
  for (const MotifSite& m : sites) b.inst.push_back({m.key, m.start, m.end, m.strand});
  b.present.assign(key_counts.size(), 0);
  for (std::size_t k = 0; k < key_counts.size(); ++k) b.present[k] = key_counts[k] > 0;
  b.roles.assign(sites.size() * T, Role::Irrelevant);
  Rng noise(u.cfg.seed, kNoiseStream + static_cast<std::uint64_t>(seq));
  for (std::size_t t = 0; t < T; ++t) {
    const TaskSpec& task = u.s.tasks[t];
    if (task.kind == TaskKind::Binary) {
      labels[t] = evaluate_task(task.expr, b.inst, &b.task_roles) ? 1.0f : 0.0f;
      for (std::size_t k = 0; k < b.inst.size(); ++k) b.roles[k * T + t] = b.task_roles[k];
    } else {
      labels[t] = static_cast<float>(linear_target(task, key_counts, b.present, noise));
      for (std::size_t k = 0; k < b.inst.size(); ++k)
        b.roles[k * T + t] = linear_role(task, b.inst[k].key, b.present);
    }
  }
}

// Sequence i: its id, background, planted instances, counts, labels and roles, from its own
// streams (Rng(seed, 1 + i), and the noise stream for real-valued targets).
void simulate_sequence(const Setup& u, int i, Dataset& data, Planting& w, Labelling& b) {
  const auto si = static_cast<std::size_t>(i);
  const std::size_t K = u.n_keys, T = u.n_tasks;
  const std::span<int> key_counts(data.counts.data() + si * K, K);
  data.ids[si] = sequence_id(i, u.cfg.n_seqs);
  Rng rng(u.cfg.seed, 1 + static_cast<std::uint64_t>(i));
  w.codes.resize(static_cast<std::size_t>(u.cfg.seq_len));
  sample_background_into(u.bg, w.codes, rng);
  plant_sequence(u, data.classes[si], i, data.ids[si], key_counts, rng, w);
  label_sequence(u, i, w.sites, key_counts, std::span<float>(data.labels.data() + si * T, T), b);
  std::string& str = data.seqs[si];
  str.resize(w.codes.size());
  for (std::size_t j = 0; j < w.codes.size(); ++j) str[j] = kBases[w.codes[j]];
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
  const Setup setup(cfg, s);
  const int n = cfg.n_seqs;
  Dataset data = dataset_header(s, cfg.seq_len);
  assign_classes(cfg, s, data);
  data.ids.resize(static_cast<std::size_t>(n));
  data.seqs.resize(static_cast<std::size_t>(n));
  data.labels.assign(static_cast<std::size_t>(n) * setup.n_tasks, 0.0f);
  data.counts.assign(static_cast<std::size_t>(n) * setup.n_keys, 0);

  // Sequences in fixed chunks run in parallel: sequence i depends on its own streams only, and
  // its sites and roles are joined in sequence order afterwards (any thread count, same bytes).
  std::vector<std::vector<MotifSite>> sites_of(static_cast<std::size_t>(n));
  std::vector<std::vector<Role>> roles_of(static_cast<std::size_t>(n));
  std::mutex progress_mutex;
  int done = 0;
  parallel_for((n + kSimChunk - 1) / kSimChunk, [&](int chunk) {
    Planting planting;
    Labelling labelling;
    const int end = std::min(n, (chunk + 1) * kSimChunk);
    for (int i = chunk * kSimChunk; i < end; ++i) {
      const auto si = static_cast<std::size_t>(i);
      simulate_sequence(setup, i, data, planting, labelling);
      sites_of[si] = planting.sites;
      roles_of[si] = std::move(labelling.roles);
    }
    if (progress) {
      const std::lock_guard<std::mutex> lock(progress_mutex);
      done += end - chunk * kSimChunk;
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
