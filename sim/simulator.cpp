// The DESIGN §3.1 simulator (config validation, truncated Poisson counts, non-overlapping
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

void check_motif_fits(const Pwm& pwm, int seq_len) {
  if (pwm.width() > seq_len) {
    throw ConfigError(fmt::format(
        "sim.seq_len: motif '{}' (width {}) is wider than the sequence; expected seq_len >= {}, "
        "got {}",
        pwm.name(), pwm.width(), pwm.width(), seq_len));
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

std::string labels_text(const std::array<std::uint8_t, kNumTasks>& l) {
  return fmt::format("{},{},{}", l[0], l[1], l[2]);
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
  // Largest-remainder (Hamilton) rounding: floor every share, then hand the leftover sequences
  // to the largest fractional parts (ties to the lower class index), so the counts sum to
  // n_seqs exactly and 8000 x 0.25 gives exactly 2000 of each class.
  std::array<int, 4> counts{};
  std::array<double, 4> rem{};
  int total = 0;
  for (std::size_t c = 0; c < 4; ++c) {
    const double share = fractions[c] * n_seqs;
    counts[c] = static_cast<int>(std::floor(share));
    rem[c] = share - counts[c];
    total += counts[c];
  }
  std::array<std::size_t, 4> order{0, 1, 2, 3};
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return rem[a] > rem[b]; });
  for (std::size_t k = 0; total < n_seqs; k = (k + 1) % 4, ++total) ++counts[order[k]];
  // Fractions summing to a hair over 1 (validate allows 1e-6) can floor to one too many: take
  // it back from the smallest remainder that has a sequence to give.
  for (std::size_t k = 3; total > n_seqs; k = (k + 3) % 4) {
    if (counts[order[k]] > 0) {
      --counts[order[k]];
      --total;
    }
  }
  return counts;
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
        "sim.seq_len: motif '{}' (width {}) is wider than the sequence; expected seq_len >= {}, "
        "got {}",
        motif, width, width, seq_len));
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
      "sequence '{}': cannot place motif '{}' (width {}) without overlap after {} attempts; "
      "expected free space for {} bases, got {} motifs already covering {} of {} bases",
      seq_id, motif, width, max_attempts, width, occupied.size(), covered, seq_len));
}

MotifPair load_motifs(const SimConfig& cfg) {
  const io::MemeFile meme = io::read_motif_file(cfg.motifs_file);
  return MotifPair{Pwm::from_meme(io::find_motif(meme, cfg.gata_motif, cfg.motifs_file), cfg.motifs_file),
                   Pwm::from_meme(io::find_motif(meme, cfg.tal_motif, cfg.motifs_file), cfg.motifs_file)};
}

Dataset simulate(const SimConfig& cfg, const Pwm& gata, const Pwm& tal,
                 const std::function<void(int)>& progress) {
  validate(cfg);
  check_motif_fits(gata, cfg.seq_len);
  check_motif_fits(tal, cfg.seq_len);
  const Motifs m = smoothed_motifs(gata, tal, cfg.pseudocount);
  const Background bg{cfg.background};
  const int n = cfg.n_seqs, L = cfg.seq_len;

  Dataset data;
  data.seq_len = L;

  // Classes: exact counts, then a shuffle on stream 0 so that class is not tied to the index.
  const auto counts = class_counts(cfg.class_fractions, n);
  data.classes.reserve(static_cast<std::size_t>(n));
  for (int c = 0; c < 4; ++c) data.classes.insert(data.classes.end(), static_cast<std::size_t>(counts[static_cast<std::size_t>(c)]), static_cast<SeqClass>(c));
  Rng class_rng(cfg.seed, 0);
  class_rng.shuffle(data.classes.begin(), data.classes.end());
  data.splits = stratified_split(data.classes, cfg.split, cfg.seed);

  data.ids.resize(static_cast<std::size_t>(n));
  data.seqs.resize(static_cast<std::size_t>(n));
  data.labels.resize(static_cast<std::size_t>(n));
  data.n_gata.assign(static_cast<std::size_t>(n), 0);
  data.n_tal.assign(static_cast<std::size_t>(n), 0);

  // Buffers reused by every sequence: no allocation per base or per motif.
  std::vector<std::uint8_t> codes(static_cast<std::size_t>(L));
  std::vector<std::uint8_t> draw(static_cast<std::size_t>(std::max(gata.width(), tal.width())));
  std::vector<std::pair<std::int64_t, std::int64_t>> occupied;
  std::vector<MotifSite> seq_sites;

  for (int i = 0; i < n; ++i) {
    const auto si = static_cast<std::size_t>(i);
    const SeqClass cls = data.classes[si];
    data.ids[si] = sequence_id(i, n);
    data.labels[si] = labels_for(cls);
    // Stream 1 + i belongs to sequence i alone (stream 0 is the class shuffle): its background,
    // counts, starts, strands and letters do not depend on any other sequence or on threads.
    Rng rng(cfg.seed, 1 + static_cast<std::uint64_t>(i));
    sample_background_into(bg, codes, rng);

    int n_g = 0, n_t = 0;
    if (cls == SeqClass::GataOnly)
      n_g = truncated_poisson(rng, cfg.mean_single, cfg.count_min, cfg.count_max, cfg.max_count_draws);
    else if (cls == SeqClass::TalOnly)
      n_t = truncated_poisson(rng, cfg.mean_single, cfg.count_min, cfg.count_max, cfg.max_count_draws);
    else if (cls == SeqClass::Both) {
      n_g = truncated_poisson(rng, cfg.mean_both, cfg.count_min, cfg.count_max, cfg.max_count_draws);
      n_t = truncated_poisson(rng, cfg.mean_both, cfg.count_min, cfg.count_max, cfg.max_count_draws);
    }
    data.n_gata[si] = n_g;
    data.n_tal[si] = n_t;

    occupied.clear();
    seq_sites.clear();
    // GATA instances first, then TAL (as in the paper's simulation); each instance draws its
    // start, then its strand (always one uniform, so starts do not depend on revcomp_prob),
    // then its letters.
    for (int k = 0; k < n_g + n_t; ++k) {
      const bool is_gata = k < n_g;
      const Pwm& fwd = is_gata ? m.gata : m.tal;
      const Pwm& rev = is_gata ? m.gata_rc : m.tal_rc;
      const int w = fwd.width();
      const auto uw = static_cast<std::size_t>(w);
      const std::int64_t start = place_motif(rng, L, w, occupied, cfg.max_placement_attempts,
                                             data.ids[si], fwd.name());
      const bool minus = rng.uniform() < cfg.revcomp_prob;
      std::span<std::uint8_t> sample(draw.data(), uw);
      fwd.sample_into(sample, rng);
      std::uint8_t* dst = codes.data() + start;
      if (minus) {
        // The opposite strand reads the sample backwards and complemented (code b -> 3 - b).
        for (std::size_t j = 0; j < uw; ++j) dst[j] = static_cast<std::uint8_t>(3 - sample[uw - 1 - j]);
      } else {
        std::copy(sample.begin(), sample.end(), dst);
      }
      // Log-odds of the planted string on the strand it was planted on: the reverse-
      // complemented PWM on the '+' text equals the forward PWM on the sample.
      const double lo = (minus ? rev : fwd).log_odds(std::span<const std::uint8_t>(dst, uw), bg);
      seq_sites.push_back({i, start, start + w, fwd.name(), lo, minus ? '-' : '+'});
    }
    std::sort(seq_sites.begin(), seq_sites.end(),
              [](const MotifSite& a, const MotifSite& b) { return a.start < b.start; });
    data.sites.insert(data.sites.end(), seq_sites.begin(), seq_sites.end());

    std::string& s = data.seqs[si];
    s.resize(static_cast<std::size_t>(L));
    for (std::size_t j = 0; j < codes.size(); ++j) s[j] = kBases[codes[j]];

    if (progress && ((i + 1) % 1000 == 0 || i + 1 == n)) progress(i + 1);
  }
  return data;
}

Dataset dataset_from_simdata(const io::SimdataFile& file, const std::string& path,
                             const SimConfig& cfg, const Pwm& gata, const Pwm& tal) {
  validate(cfg);
  if (file.task_names.size() != static_cast<std::size_t>(kNumTasks)) {
    throw input_error(path, 1, "wrong number of tasks", fmt::format("{} (both, GATA, TAL)", kNumTasks),
                      fmt::format("{}", file.task_names.size()));
  }
  if (file.records.empty()) throw input_error(path, 0, "no sequences", "at least one", "none");
  const Motifs m = smoothed_motifs(gata, tal, cfg.pseudocount);
  const Background bg{cfg.background};

  Dataset data;
  data.seq_len = static_cast<int>(file.records.front().sequence.size());
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
                           e.reverse ? '-' : '+'});
    }
    const SeqClass cls = n_g > 0 && n_t > 0 ? SeqClass::Both
                         : n_g > 0          ? SeqClass::GataOnly
                         : n_t > 0          ? SeqClass::TalOnly
                                            : SeqClass::Empty;
    const auto expected = labels_for(cls);
    std::array<std::uint8_t, kNumTasks> got{};
    bool ok = r.labels.size() == static_cast<std::size_t>(kNumTasks);
    for (std::size_t t = 0; ok && t < got.size(); ++t) {
      got[t] = static_cast<std::uint8_t>(r.labels[t]);
      ok = r.labels[t] == expected[t];
    }
    if (!ok) {
      throw input_error(path, line,
                        fmt::format("sequence '{}': labels disagree with the embeddings (class {})",
                                    r.name, class_name(cls)),
                        fmt::format("labels {}", labels_text(expected)),
                        fmt::format("{}", fmt::join(r.labels, ",")));
    }
    std::sort(seq_sites.begin(), seq_sites.end(),
              [](const MotifSite& a, const MotifSite& b) { return a.start < b.start; });
    data.sites.insert(data.sites.end(), seq_sites.begin(), seq_sites.end());
    data.ids.push_back(r.name);
    data.seqs.push_back(std::move(seq));
    data.classes.push_back(cls);
    data.labels.push_back(expected);
    data.n_gata.push_back(n_g);
    data.n_tal.push_back(n_t);
  }
  data.splits = stratified_split(data.classes, cfg.split, cfg.seed);
  return data;
}

}  // namespace lb::sim
