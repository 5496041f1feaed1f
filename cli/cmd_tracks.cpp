// `liftbench tracks` (bigWig and bedGraph of a genome scores archive) and `liftbench merge` (the
// shards of attribute --genome --shard i/n joined into the archive one run writes), docs/genomes.md.
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/sections.h"
#include "core/error.h"
#include "core/log.h"
#include "core/text.h"
#include "io/atomic_file.h"
#include "io/genome.h"
#include "io/npz.h"
#include "io/npz_map.h"
#include "io/npz_stream.h"
#include "io/text_io.h"
#include "io/tracks.h"
#include "pipeline/inputs.h"
#include "pipeline/paths.h"

namespace lb::cli {

using namespace pipeline;

int cmd_tracks(int argc, const char* const* argv) {
  std::string scores, genome, out, format = "bigwig,bedgraph";
  bool quiet = false;
  OptionSet opts("tracks");
  opts.add_flag("scores", &scores, "scores archive of 'liftbench attribute --genome' (arrays chrom and start)", "FILE");
  opts.add_flag("genome", &genome, "the reference genome of the run (its index gives the chromosome sizes)", "FILE");
  opts.add_flag("out,o", &out, "directory for <method>.task<k>.bw and .bedGraph", "DIR");
  opts.add_flag("format", &format, "bigwig, bedgraph or both (comma-separated)", "LIST");
  opts.add_switch("quiet,q", &quiet, "no information lines on stderr");
  if (!opts.parse(argc, argv)) {
    fmt::print("{}", opts.help());
    return 0;
  }
  set_log_quiet(quiet);
  if (scores.empty()) throw ConfigError("--scores: missing scores archive; expected --scores FILE, got nothing");
  if (genome.empty()) throw ConfigError("--genome: missing genome; expected --genome FILE, got nothing");
  if (out.empty()) throw ConfigError("--out: missing output directory; expected -o DIR, got nothing");
  const io::TrackFormats formats = parse_track_formats(format);
  write_genome_tracks(scores, genome, out, formats);
  return 0;
}

namespace {

// Strings of width `from` code points re-encoded at width `to` >= from (UTF-32, NUL-padded).
std::string widen_strings(const char* data, std::uint64_t bytes, std::int64_t from, std::int64_t to) {
  if (from == to) return std::string(data, bytes);
  const auto n = static_cast<std::int64_t>(bytes) / (4 * from);
  std::string out(static_cast<std::size_t>(n * 4 * to), '\0');
  for (std::int64_t i = 0; i < n; ++i)
    std::memcpy(out.data() + i * 4 * to, data + i * 4 * from, static_cast<std::size_t>(4 * from));
  return out;
}

std::int64_t string_width(const std::string& dtype) { return std::stoll(dtype.substr(2)); }

}  // namespace

int cmd_merge(int argc, const char* const* argv) {
  std::string list, out, genome, tracks, format = "bigwig,bedgraph";
  bool quiet = false;
  OptionSet opts("merge");
  opts.add_flag("scores", &list,
                "the shards' archives in shard order, comma-separated (attribute --genome --shard 1/n, ..., n/n)",
                "FILES");
  opts.add_flag("out,o", &out, "merged scores archive: the one a single run writes", "FILE");
  opts.add_flag("tracks", &tracks, "also write the merged archive's tracks into this directory (needs --genome)", "DIR");
  opts.add_flag("genome", &genome, "with --tracks: the reference genome of the run", "FILE");
  opts.add_flag("format", &format, "with --tracks: bigwig, bedgraph or both (comma-separated)", "LIST");
  opts.add_switch("quiet,q", &quiet, "no information lines on stderr");
  if (!opts.parse(argc, argv)) {
    fmt::print("{}", opts.help());
    return 0;
  }
  set_log_quiet(quiet);
  if (list.empty()) throw ConfigError("--scores: missing archives; expected --scores FILE,FILE,..., got nothing");
  if (out.empty()) throw ConfigError("--out: missing merged archive; expected -o FILE, got nothing");
  if (!tracks.empty() && genome.empty())
    throw ConfigError("--genome: missing genome for --tracks; expected --genome FILE, got nothing");
  const io::TrackFormats formats = parse_track_formats(format);
  require_file_output("--out", out);
  std::vector<std::string> paths;
  for (const auto& p : io::detail::split(list, ',')) paths.emplace_back(p);
  {
    std::vector<PathUse> inputs;
    for (const auto& p : paths) inputs.push_back({"--scores", p});
    refuse_output_over_input({{"--out", out}}, inputs);
  }
  std::vector<std::unique_ptr<io::NpzMap>> shards;
  for (const auto& p : paths) shards.push_back(std::make_unique<io::NpzMap>(p));
  // Every shard has the members of the first, in its order, of the same dtype kind and the same
  // shape but the first axis; `tasks` equal.
  const auto& first = shards.front()->members();
  std::vector<io::NpzStreamWriter::Member> members;
  for (std::size_t m = 0; m < first.size(); ++m) {
    io::NpzStreamWriter::Member mem{first[m].name, first[m].dtype, first[m].shape};
    for (std::size_t s = 1; s < shards.size(); ++s) {
      const auto& other = shards[s]->members();
      const std::string& p = paths[s];
      if (m == 0) {
        // The first member whose name differs (or that one of the two lacks).
        std::size_t k = 0;
        while (k < first.size() && k < other.size() && other[k].name == first[k].name) ++k;
        if (k < first.size() || k < other.size())
          throw input_error(p, 0, "not a shard of the same run", fmt::format("the arrays of {}", paths[0]),
                            fmt::format("array {} where {} has {}",
                                        k < other.size() ? quote_token(other[k].name) : std::string("none"), paths[0],
                                        k < first.size() ? quote_token(first[k].name) : std::string("none")));
      }
      const auto& o = other[m];
      const bool strings = first[m].dtype.starts_with("<U") && o.dtype.starts_with("<U");
      std::vector<std::int64_t> a(first[m].shape), b(o.shape);
      const bool per_task = io::is_per_task_member(first[m].name);
      if (!per_task && !a.empty() && !b.empty()) a[0] = b[0] = 0;
      if ((!strings && o.dtype != first[m].dtype) || a != b ||
          (per_task && std::string_view(o.data, o.bytes) != std::string_view(first[m].data, first[m].bytes)))
        throw input_error(p, 0, fmt::format("array '{}' differs from {}", o.name, paths[0]),
                          fmt::format("{} {} but the first axis", first[m].dtype, io::NpyArray{first[m].dtype, first[m].shape, {}}.shape_str()),
                          fmt::format("{} {}", o.dtype, io::NpyArray{o.dtype, o.shape, {}}.shape_str()));
      if (!per_task) mem.shape[0] += o.shape[0];
      if (strings) mem.dtype = "<U" + std::to_string(std::max(string_width(mem.dtype), string_width(o.dtype)));
    }
    members.push_back(std::move(mem));
  }
  const auto parent = std::filesystem::path(out).parent_path();
  if (!parent.empty()) io::ensure_output_dir(parent.string());
  io::NpzStreamWriter writer(out, members);
  for (std::size_t m = 0; m < members.size(); ++m) {
    if (io::is_per_task_member(members[m].name)) {
      writer.append(m, std::string_view(first[m].data, first[m].bytes));
      continue;
    }
    for (const auto& shard : shards) {
      const auto& mem = shard->members()[m];
      if (members[m].dtype.starts_with("<U"))
        writer.append(m, widen_strings(mem.data, mem.bytes, string_width(mem.dtype), string_width(members[m].dtype)));
      else
        writer.append(m, std::string_view(mem.data, mem.bytes));
    }
  }
  writer.finish();
  const std::int64_t n = members.empty() || members[0].shape.empty() ? 0 : members[0].shape[0];
  log_info("merge", "{} shards, {} regions -> {}", shards.size(), n, out);
  if (!tracks.empty()) write_genome_tracks(out, genome, tracks, formats);
  return 0;
}

}  // namespace lb::cli
