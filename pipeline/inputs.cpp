// The inputs the steps share: --split, --threads, the model stem, FASTA and genome inputs (inputs.h).
#include "pipeline/inputs.h"

#include <charconv>
#include <chrono>
#include <filesystem>

#include <fmt/format.h>

#include "core/alphabet.h"
#include "core/error.h"
#include "core/log.h"
#include "core/parallel.h"
#include "io/atomic_file.h"
#include "io/fasta.h"
#include "io/genome.h"
#include "io/npz_map.h"
#include "io/text_io.h"
#include "io/tracks.h"
#include "model/model_file.h"

namespace lb::pipeline {

void apply_threads(const std::string& value) {
  int n = -1;
  const char* end = value.data() + value.size();
  auto [p, ec] = std::from_chars(value.data(), end, n);
  if (value.empty() || ec != std::errc() || p != end || n < 0)
    throw ConfigError(fmt::format("--threads: bad value; expected an integer >= 0 (0 = all cores), got {}",
                                  quote_token(value)));
  set_threads(n);
}

std::string output_stem(const std::string& model_path) {
  constexpr std::string_view kExt = ".npz";
  if (model_path.size() > kExt.size() && model_path.ends_with(kExt))
    return model_path.substr(0, model_path.size() - kExt.size());
  return model_path;
}

std::optional<sim::Split> parse_split_flag(const std::string& name) {
  if (name == "all") return std::nullopt;
  sim::Split s;
  if (!sim::parse_split(name, s))
    throw ConfigError(fmt::format("--split: unknown split; expected train, valid, test or all, got {}",
                                  quote_token(name)));
  return s;
}

FastaInput read_fasta_input(const std::string& fasta, const std::string& model_path, const model::ModelConfig* cfg) {
  const auto records = io::read_fasta(fasta);
  if (records.empty())
    throw InputError(fmt::format("{}no sequences; expected at least 1 FASTA record, got 0", where(fasta)));
  const model::Shape first{kNumBases, 1, static_cast<int>(records.front().seq.size())};
  FastaInput out;
  out.net = model::is_self_describing(model_path) ? model::load_model(model_path, cfg)
                                                  : model::load_model(model_path, cfg, &first);
  const model::Shape in = out.net.input_shape();
  if (in.c != kNumBases || in.h != 1)
    throw InputError(fmt::format("{}the model's input is {}; expected one-hot DNA (4xL) for --fasta, got {}",
                                 where(model_path), in.str(), in.str()));
  std::vector<std::vector<std::uint8_t>> codes;
  for (const auto& r : records) {
    if (static_cast<int>(r.seq.size()) != in.w)
      throw InputError(fmt::format("{}sequence {} has length {}; expected the model's input length {}, got {}",
                                   where(fasta, r.line), quote_token(r.name, 80), r.seq.size(), in.w, r.seq.size()));
    codes.push_back(encode_bases(r.seq, fmt::format("{}sequence {}", where(fasta, r.line), quote_token(r.name, 80))));
    out.ids.push_back(r.name);
  }
  out.x = one_hot(codes);
  out.n = static_cast<int>(records.size());
  out.len = in.w;
  return out;
}

GenomeInput read_genome_input(const GenomeFlags& flags, const std::string& model_path, const model::ModelConfig* cfg,
                              int align) {
  if (flags.regions.empty())
    throw ConfigError("--regions: missing regions; expected --regions FILE (BED) with --genome, got nothing");
  io::Center center;
  if (!io::parse_center(flags.center, center))
    throw ConfigError(
        fmt::format("--center: unknown centre; expected middle or summit, got {}", quote_token(flags.center)));
  io::ChromEnds ends;
  if (!io::parse_chrom_ends(flags.chrom_ends, ends))
    throw ConfigError(fmt::format("--chrom-ends: unknown rule; expected pad, shift or error, got {}",
                                  quote_token(flags.chrom_ends)));
  int length = 0;
  if (!flags.length.empty()) {
    const char* end = flags.length.data() + flags.length.size();
    const auto [p, ec] = std::from_chars(flags.length.data(), end, length);
    if (ec != std::errc() || p != end || length < 1)
      throw ConfigError(fmt::format("--length: bad value; expected an integer >= 1, got {}", quote_token(flags.length)));
  }
  GenomeInput out;
  if (model::is_self_describing(model_path)) {
    out.net = model::load_model(model_path, cfg);
  } else {
    if (length == 0)
      throw input_error(model_path, 0, "the model's input length is not set (a weights-only file)",
                        "--length N with --genome", "nothing");
    const model::Shape shape{kNumBases, 1, length};
    out.net = model::load_model(model_path, cfg, &shape);
  }
  const model::Shape in = out.net.input_shape();
  if (in.c != kNumBases || in.h != 1)
    throw InputError(fmt::format("{}the model's input is {}; expected one-hot DNA (4xL) for --genome, got {}",
                                 where(model_path), in.str(), in.str()));
  if (length != 0 && length != in.w)
    throw ConfigError(fmt::format("--length: differs from the model's input length; expected {} (or no --length), got {}",
                                  in.w, length));
  if (!flags.shard.empty()) parse_shard(flags.shard, out.shard, out.n_shards);
  out.len = in.w;
  out.genome = std::make_unique<io::Genome>(flags.genome);
  const auto regions = io::read_regions(flags.regions);
  // Every line is checked (a bad one stops every shard alike); the shard keeps its slice.
  const auto N = static_cast<std::int64_t>(regions.size());
  out.n_regions = N;
  const std::int64_t blocks = (N + align - 1) / align;
  out.first_index = (out.shard - 1) * blocks / out.n_shards * align;
  const std::int64_t last = std::min<std::int64_t>(N, out.shard * blocks / out.n_shards * align);
  out.windows.reserve(static_cast<std::size_t>(last - out.first_index));
  for (std::int64_t i = 0; i < N; ++i) {
    const auto& r = regions[static_cast<std::size_t>(i)];
    io::Window w = io::region_window(r, flags.regions, *out.genome, center, out.len, ends);
    if (i < out.first_index || i >= last) continue;
    out.windows.push_back(std::move(w));
    if (r.end > out.genome->length(r.chrom)) ++out.n_clipped;
  }
  if (out.windows.empty())
    throw ConfigError(fmt::format("--shard: shard {} of {} has no regions; expected at most {} shards for the {} "
                                  "regions of {} in blocks of {}, got {}",
                                  out.shard, out.n_shards, blocks, N, quote_token(flags.regions, 80), align,
                                  out.n_shards));
  return out;
}

void parse_shard(const std::string& value, int& i, int& n) {
  const std::size_t slash = value.find('/');
  bool ok = slash != std::string::npos;
  if (ok) {
    const char* a = value.data();
    const auto r1 = std::from_chars(a, a + slash, i);
    const auto r2 = std::from_chars(a + slash + 1, a + value.size(), n);
    ok = r1.ec == std::errc() && r1.ptr == a + slash && r2.ec == std::errc() && r2.ptr == a + value.size() && n >= 1 &&
         i >= 1 && i <= n;
  }
  if (!ok)
    throw ConfigError(fmt::format("--shard: bad value; expected i/n with 1 <= i <= n (e.g. 2/8), got {}",
                                  quote_token(value)));
}

Mat genome_one_hot(const GenomeInput& in, std::size_t first, int n, std::int64_t* n_missing) {
  std::vector<std::uint8_t> codes;
  codes.reserve(static_cast<std::size_t>(n) * static_cast<std::size_t>(in.len));
  for (int j = 0; j < n; ++j) *n_missing += io::window_codes(*in.genome, in.windows[first + static_cast<std::size_t>(j)], in.len, codes);
  Mat x = Mat::Zero(kNumBases, static_cast<Eigen::Index>(codes.size()));
  for (std::size_t p = 0; p < codes.size(); ++p)
    if (codes[p] < kNumBases) x(codes[p], static_cast<Eigen::Index>(p)) = 1.0f;
  return x;
}

io::TrackFormats parse_track_formats(const std::string& value) {
  io::TrackFormats f{false, false};
  for (const auto& item : io::detail::split(value, ',')) {
    if (item == "bigwig") f.bigwig = true;
    else if (item == "bedgraph") f.bedgraph = true;
    else
      throw ConfigError(fmt::format("--format: unknown track format {}; expected bigwig, bedgraph or both separated "
                                    "by a comma, got {}",
                                    quote_token(item), quote_token(value)));
  }
  return f;
}

std::vector<std::string> write_genome_tracks(const std::string& scores, const std::string& genome_path,
                                             const std::string& dir, const io::TrackFormats& formats) {
  const auto t0 = std::chrono::steady_clock::now();
  const io::Genome genome(genome_path);
  const io::NpzMap archive(scores);
  // An archive without genome coordinates fails before the directory is made.
  archive.get("chrom", "the regions' chromosomes (an archive of attribute --genome)");
  archive.get("start", "the windows' starts (an archive of attribute --genome)");
  io::ensure_output_dir(dir);
  const auto files = io::write_tracks(archive, genome.sequences(), dir, formats);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  log_info("tracks", "{} track files in {} ({:.3f} s)", files.size(), dir, secs);
  return files;
}

}  // namespace lb::pipeline
