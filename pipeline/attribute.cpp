// The attribute step (`liftbench attribute`, pipeline/steps.h): attribution scores of a trained
// model for a dataset split, a FASTA file or a genome's regions (streamed in chunks), every
// method of attribution.methods, written as scores.npz (docs/cli.md).
#include <charconv>
#include <chrono>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "attribution/methods.h"
#include "attribution/profile.h"
#include "attribution/scores_file.h"
#include "core/error.h"
#include "core/log.h"
#include "core/parallel.h"
#include "core/text.h"
#include "io/atomic_file.h"
#include "io/manifest.h"
#include "io/npz.h"
#include "io/npz_stream.h"
#include "model/inputs.h"
#include "model/model_file.h"
#include "pipeline/config.h"
#include "pipeline/inputs.h"
#include "pipeline/paths.h"
#include "pipeline/steps.h"

namespace lb::pipeline {

namespace {

// The sequences to attribute: one-hot (4 x n*L), their names and shuffle streams.
struct Sequences {
  std::vector<std::string> ids;
  std::vector<std::uint64_t> streams;  // dataset index (or FASTA record index): the shuffle stream
  Mat x;
  int n = 0, len = 0;
  std::string source;  // for the log
};


// -v: the stages of `log` (CPU and wall seconds summed over chunks and threads), one line each.
void log_stages(std::string_view what, const attr::StageLog& log) {
  double cpu = 0, wall = 0;
  for (const auto& e : log.entries()) {
    log_info("attribute", "  {} stage {}: {:.4f} s CPU, {:.4f} s wall, {} sections", what, e.name, e.cpu, e.wall,
             e.calls);
    cpu += e.cpu, wall += e.wall;
  }
  log_info("attribute", "  {} stages in all: {:.4f} s CPU, {:.4f} s wall (summed over threads)", what, cpu, wall);
}

// --genome/--regions: regions flow through in chunks of `chunk` (read, attribute every method,
// append to the archive), so memory is bounded by the chunk whatever the region count; the
// archive is a streamed .npz (io/npz_stream.h) renamed into place at the end. Each region's
// shuffle stream is its index in the BED file, so results do not depend on the chunk size.
void attribute_genome(const GenomeInput& in, const std::vector<attr::Method>& method_list,
                      const attr::Targets& targets, const attr::AttributionConfig& cfg, int chunk,
                      const std::string& out) {
  const std::vector<int> tasks = targets.unit_indices();
  const std::vector<std::string> target_names = targets.stored_names();
  const int L = in.len, T = targets.size();
  const auto N = static_cast<std::int64_t>(in.windows.size());
  std::vector<std::string> ids, chroms;
  std::vector<std::int64_t> starts;
  for (const auto& w : in.windows) {
    ids.push_back(w.id);
    chroms.push_back(w.chrom);
    starts.push_back(w.start);
  }
  std::unique_ptr<io::NpzStreamWriter> writer;
  std::vector<std::size_t> member_of;  // chunk archive member -> writer member (after the first chunk)
  struct Stats {
    double secs = 0, max_abs = 0, max_rel = 0;
    int n_refs = 0;
    std::int64_t worst_region = -1;  // within the shard
    int worst_task = -1, worst_reference = -1;
  };
  std::vector<Stats> stats(method_list.size());
  std::int64_t n_missing = 0;
  Progress progress("attribute", "regions", N);
  const auto t_start = std::chrono::steady_clock::now();
  for (std::int64_t first = 0; first < N; first += chunk) {
    const int n = static_cast<int>(std::min<std::int64_t>(chunk, N - first));
    const Mat x = genome_one_hot(in, static_cast<std::size_t>(first), n, &n_missing);
    std::vector<std::uint64_t> streams(static_cast<std::size_t>(n));
    for (int j = 0; j < n; ++j) streams[static_cast<std::size_t>(j)] = static_cast<std::uint64_t>(in.first_index + first + j);
    std::vector<attr::ScoredMethod> scored;
    for (std::size_t k = 0; k < method_list.size(); ++k) {
      const auto t0 = std::chrono::steady_clock::now();
      attr::MethodResult res = attr::run_method(method_list[k], in.net, x, n, targets, cfg, streams);
      stats[k].secs += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      stats[k].max_abs = std::max(stats[k].max_abs, res.max_abs_delta);
      if (res.worst_sequence >= 0 && (stats[k].worst_region < 0 || res.max_rel_delta > stats[k].max_rel)) {
        stats[k].worst_region = first + res.worst_sequence;
        stats[k].worst_task = res.worst_task;
        stats[k].worst_reference = res.worst_reference;
      }
      stats[k].max_rel = std::max(stats[k].max_rel, res.max_rel_delta);
      stats[k].n_refs = res.n_references;
      scored.push_back({method_list[k].name, std::move(res)});
    }
    const std::vector<std::string> chunk_ids(ids.begin() + first, ids.begin() + first + n);
    io::NpzArchive part = attr::scores_archive(chunk_ids, x, in.net.input_shape(), tasks, scored, target_names);
    if (!writer) {
      // The layout from the first chunk: every member's dtype, its first axis N.
      std::vector<io::NpzStreamWriter::Member> members;
      for (const auto& [name, a] : part) {
        if (name == "ids") {
          members.push_back({name, io::NpyArray::from_strings({N}, ids).dtype, {N}});
          continue;
        }
        std::vector<std::int64_t> shape = a.shape;
        if (!io::is_per_task_member(name)) shape[0] = N;
        members.push_back({name, a.dtype, shape});
      }
      members.push_back({"chrom", io::NpyArray::from_strings({N}, chroms).dtype, {N}});
      members.push_back({"start", "<i8", {N}});
      writer = std::make_unique<io::NpzStreamWriter>(out, std::move(members));
    }
    for (std::size_t i = 0; i < part.size(); ++i) {
      const auto& [name, a] = part[i];
      if (name == "ids" || io::is_per_task_member(name)) continue;
      writer->append(i, std::string_view(a.bytes.data(), a.bytes.size()));
    }
    progress.update(first + n);
  }
  // The string and coordinate members are written whole (a few bytes a region).
  const auto put = [&](const std::string& name, const io::NpyArray& a) {
    writer->append(writer->index(name), std::string_view(a.bytes.data(), a.bytes.size()));
  };
  put("ids", io::NpyArray::from_strings({N}, ids));
  put("tasks", io::NpyArray::from_i64({T}, std::vector<std::int64_t>(tasks.begin(), tasks.end())));
  if (!target_names.empty()) put("targets", io::NpyArray::from_strings({T}, target_names));
  put("chrom", io::NpyArray::from_strings({N}, chroms));
  put("start", io::NpyArray::from_i64({N}, starts));
  writer->finish();
  progress.finish();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  for (std::size_t k = 0; k < method_list.size(); ++k) {
    const auto& m = method_list[k];
    std::string line = fmt::format("{}: {:.3f} s, {:.0f} sequence-tasks/s", m.name, stats[k].secs,
                                   static_cast<double>(N) * T / std::max(stats[k].secs, 1e-9));
    if (attr::has_delta(m))
      line += fmt::format(", max |{}| {:.3g} (relative {:.3g})",
                          attr::delta_error_name(m),
                          stats[k].max_abs, stats[k].max_rel);
    log_info("attribute", "{}", line);
    // As for --data: DeepLIFT's sums must match the logit differences (docs/attribution.md).
    if (attr::delta_violated(m, in.net, stats[k].max_rel, cfg))
      log_warn("attribute",
               "{}: SUMMATION-TO-DELTA VIOLATED: relative error {:.3g} > attribution.delta_warn = {:g} (worst: "
               "region '{}', task {}, reference {}); the contributions do not add up to the logit difference",
               m.name, stats[k].max_rel, cfg.delta_warn, ids[static_cast<std::size_t>(stats[k].worst_region)],
               targets.label(stats[k].worst_task), stats[k].worst_reference);
  }
  log_info("attribute", "{} regions of {} bases in {:.3f} s ({:.0f} regions/s), {} N bases (N, ambiguity codes, "
           "outside the chromosome), {} regions clipped at a chromosome end",
           N, L, secs, static_cast<double>(N) / std::max(secs, 1e-9), n_missing, in.n_clipped);
}

}  // namespace

void attribute_step(const AttributeJob& job) {
  RunConfig run = job.run;
  const std::string &model_path = job.model_path, &data_dir = job.data_dir, &fasta = job.fasta, &out = job.out,
                    &methods = job.methods, &split_name = job.split_name, &threads = job.threads,
                    &tracks = job.tracks, &track_format = job.track_format;
  const GenomeFlags& gflags = job.genome;
  const bool compress = job.compress, verbose = job.verbose;
  const std::string& chunk_flag = job.chunk;
  if (model_path.empty()) throw ConfigError("--model: missing model file; expected --model FILE, got nothing");
  const int n_sources = !data_dir.empty() + !fasta.empty() + !gflags.genome.empty();
  if (gflags.genome.empty() && !gflags.regions.empty())
    throw ConfigError("--regions: needs a genome; expected --genome FILE with --regions, got nothing");
  if (n_sources == 0)
    throw ConfigError(
        "--data: missing sequences; expected --data DIR, --fasta FILE or --genome FILE --regions FILE, got nothing");
  if (!data_dir.empty() && !fasta.empty())
    throw ConfigError(fmt::format("--fasta: two sources of sequences; expected either --data DIR or --fasta FILE, got "
                                  "both --data {} and --fasta {}",
                                  quote_token(data_dir), quote_token(fasta)));
  if (n_sources > 1)
    throw ConfigError(fmt::format("--genome: two sources of sequences; expected one of --data, --fasta or --genome, "
                                  "got --genome {} and {}",
                                  quote_token(gflags.genome), data_dir.empty() ? "--fasta" : "--data"));
  int chunk = 0;
  {
    const char* end = chunk_flag.data() + chunk_flag.size();
    const auto [p, ec] = std::from_chars(chunk_flag.data(), end, chunk);
    // At most 2^20 regions at a time: a chunk's scores live in memory, and it is rounded up to a
    // multiple of attribution.chunk, which must not overflow.
    if (chunk_flag.empty() || ec != std::errc() || p != end || chunk < 1 || chunk > (1 << 20))
      throw ConfigError(fmt::format("--chunk: bad value; expected an integer from 1 to 1048576, got {}",
                                    quote_token(chunk_flag)));
  }
  if (!tracks.empty() && gflags.genome.empty())
    throw ConfigError("--tracks: needs genome coordinates; expected --genome FILE --regions FILE with --tracks, got "
                      "neither");
  const io::TrackFormats formats = parse_track_formats(track_format);
  if (!gflags.genome.empty() && !run.attribution.references_file.empty())
    throw ConfigError("attribution.references_file: not with --genome; expected the sequences of --data or --fasta, "
                      "got --genome");
  if (!gflags.genome.empty() && compress)
    throw ConfigError("--compress: not with --genome; expected a stored archive (written as it goes), got --compress");
  if (out.empty()) throw ConfigError("--out: missing scores file; expected -o FILE, got nothing");
  require_file_output("--out", out);
  {
    std::vector<PathUse> inputs{{"--model", model_path},
                                {"--fasta", fasta},
                                {"--regions", gflags.regions},
                                {"--references", run.attribution.references_file}};
    for (auto& f : genome_files("--genome", gflags.genome)) inputs.push_back(std::move(f));
    if (!data_dir.empty())
      for (auto& f : dataset_files("--data", data_dir)) inputs.push_back(std::move(f));
    refuse_output_over_input({{"--out", out},
                              {"--out", output_stem(out) + ".config.ini"},
                              {"--out", output_stem(out) + ".manifest.tsv"}},
                             inputs);
  }
  const std::optional<sim::Split> split = parse_split_flag(split_name);
  if (!methods.empty()) run.attribution.methods = methods;
  model::validate(run.model);
  attr::validate(run.attribution);
  apply_threads(threads);
  const model::ModelConfig* model_cfg = job.model_from_config ? &run.model : nullptr;

  if (!gflags.genome.empty()) {
    const GenomeInput in = read_genome_input(gflags, model_path, model_cfg, run.attribution.chunk);
    // The streamed chunk is a multiple of attribution.chunk, so the engine's batches are those of
    // an in-memory run over the same regions and the scores equal it bit for bit.
    const int align = run.attribution.chunk;
    if (chunk % align != 0) chunk += align - chunk % align;
    const auto method_list = attr::parse_methods(run.attribution.methods, in.net, run.attribution);
    const attr::Targets targets = attr::resolve_targets(run.attribution, in.net);
    log_info("attribute", "{} regions of {} ({} bases each, from {}), {} tasks, {} methods, {} threads, chunks of {}",
             in.windows.size(), show_path(gflags.regions), in.len, show_path(gflags.genome), targets.size(),
             method_list.size(), lb::threads(), chunk);
    const auto parent = std::filesystem::path(out).parent_path();
    if (!parent.empty()) io::ensure_output_dir(parent.string());
    const std::string stem = output_stem(out);
    io::remove_stale_marker(stem + ".manifest.tsv");
    io::remove_stale_marker(stem + ".config.ini");
    attribute_genome(in, method_list, targets, run.attribution, chunk, out);
    if (!tracks.empty()) write_genome_tracks(out, gflags.genome, tracks, formats);
    io::write_file_atomic(stem + ".config.ini", job.config_ini);
    const std::string base = std::filesystem::path(stem).filename().string();
    io::write_manifest(stem + ".manifest.tsv",
                       std::vector<std::string>{std::filesystem::path(out).filename().string(), base + ".config.ini"});
    log_info("attribute", "wrote {} and {}.{{config.ini,manifest.tsv}}", out, stem);
    return;
  }

  attr::StageLog io_stages;  // -v: reading and writing; each method has its own log
  std::optional<attr::StageLogScope> io_scope;
  if (verbose) io_scope.emplace(&io_stages);
  attr::StageTimer io_timer("read (sequences and model)");
  Sequences seqs;
  model::Network net;
  if (!data_dir.empty()) {
    const sim::Dataset ds = sim::read_dataset_dir(data_dir, sim::DatasetParts::NoSites);
    model::SplitInput in = model::split_input(ds, split, data_dir);
    if (in.data.n == 0)
      throw InputError(fmt::format("{}no sequences in the '{}' split; expected at least 1, got 0",
                                   where(data_dir + "/labels.tsv"), split_name));
    // The loader names both shapes when the model's input length differs from the sequences'.
    net = model::load_model(model_path, model_cfg, &in.data.shape);
    for (int i : in.indices) {
      seqs.ids.push_back(ds.ids[static_cast<std::size_t>(i)]);
      seqs.streams.push_back(static_cast<std::uint64_t>(i));
    }
    seqs.x = std::move(in.data.x);
    seqs.n = in.data.n;
    seqs.len = ds.seq_len;
    seqs.source = fmt::format("{} split of {}", split_name, data_dir);
  } else {
    FastaInput in = read_fasta_input(fasta, model_path, model_cfg);
    net = std::move(in.net);
    seqs.ids = std::move(in.ids);
    for (int i = 0; i < in.n; ++i) seqs.streams.push_back(static_cast<std::uint64_t>(i));
    seqs.x = std::move(in.x);
    seqs.n = in.n;
    seqs.len = in.len;
    seqs.source = fasta;
  }

  if (attr::load_given_references(run.attribution, seqs.n, net.input_shape())) {
    log_info("attribute", "references: {} per sequence from {} (instead of every method's own)",
             run.attribution.given_references->k, show_path(run.attribution.references_file));
  }
  io_timer.stop();
  const auto method_list = attr::parse_methods(run.attribution.methods, net, run.attribution);
  const std::string gradient_layer = attr::gradient_rule_layer(net);  // e.g. a max pool
  bool said_gradient_layer = false;
  const attr::Targets targets = attr::resolve_targets(run.attribution, net);
  const std::vector<int> tasks = targets.unit_indices();
  const std::vector<std::string> target_names = targets.stored_names();
  const int T = targets.size();
  log_info("attribute", "{} sequences of length {} ({}), {} tasks, {} methods, {} threads", seqs.n, seqs.len,
           seqs.source, T, method_list.size(), lb::threads());
  log_info("attribute", "attribution.reference = {}, n_shuffles = {}, ig_steps = {} ({}), near_zero = {:g}{}{}",
           run.attribution.reference, run.attribution.n_shuffles, run.attribution.ig_steps, run.attribution.ig_rule,
           run.attribution.near_zero, run.attribution.weight_normalize ? ", weight_normalize" : "",
           run.attribution.mean_normalize ? ", mean_normalize" : "");

  std::vector<attr::ScoredMethod> scored;
  for (const auto& m : method_list) {
    const auto t0 = std::chrono::steady_clock::now();
    attr::MethodResult res;
    attr::StageLog method_stages;
    {
      std::optional<attr::StageLogScope> scope;
      if (verbose) scope.emplace(&method_stages);
      Progress progress("attribute", m.name, seqs.n);
      res = attr::run_method(m, net, seqs.x, seqs.n, targets, run.attribution, seqs.streams,
                             [&](int done) { progress.update(done); });
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const bool uses_ref = attr::uses_reference(m.kind);
    std::string line = fmt::format("{}: {:.3f} s, {:.0f} sequence-tasks/s", m.name, secs,
                                   static_cast<double>(seqs.n) * T / std::max(secs, 1e-9));
    if (uses_ref)
      line += fmt::format(", reference {}{}", attr::reference_name(m.reference),
                          res.n_references > 1 ? fmt::format(" x{}", res.n_references) : "");
    if (attr::has_delta(m))
      line += fmt::format(", max |{}| {:.3g} (relative {:.3g})",
                          attr::delta_error_name(m),
                          res.max_abs_delta, res.max_rel_delta);
    log_info("attribute", "{}", line);
    if (verbose) log_stages(m.name, method_stages);
    // DeepLIFT's sums must match the logit differences up to rounding; IG's error is its
    // quadrature error (reported above, expected to be larger). Across a layer with the gradient
    // rule (a max pool) they need not match at all: said once, not warned per method.
    if (attr::method_kind_info(m.kind).exact_delta && attr::has_delta(m) && !gradient_layer.empty() &&
        !said_gradient_layer) {
      log_info("attribute",
               "layer {} has the gradient rule: DeepLIFT passes its multipliers through its gradient at the actual "
               "input (deeplift's max-pool rule), so contributions need not add up to the logit difference "
               "(docs/attribution.md)",
               gradient_layer);
      said_gradient_layer = true;
    }
    if (attr::delta_violated(m, net, res.max_rel_delta, run.attribution))
      log_warn("attribute",
               "{}: SUMMATION-TO-DELTA VIOLATED: relative error {:.3g} > attribution.delta_warn = {:g} (worst: "
               "sequence '{}', task {}, reference {}); the contributions do not add up to the logit difference",
               m.name, res.max_rel_delta, run.attribution.delta_warn,
               seqs.ids[static_cast<std::size_t>(res.worst_sequence)], targets.label(res.worst_task),
               res.worst_reference);
    scored.push_back({m.name, std::move(res)});
  }

  const auto parent = std::filesystem::path(out).parent_path();
  if (!parent.empty()) io::ensure_output_dir(parent.string());
  const std::string stem = output_stem(out);
  // The config marks a complete pair, and the manifest (written last) lists it with sizes and MD5s.
  io::remove_stale_marker(stem + ".manifest.tsv");
  io::remove_stale_marker(stem + ".config.ini");
  io_timer.next("archive (layout and write)");
  if (compress)
    io::write_npz(out, attr::scores_archive(seqs.ids, seqs.x, net.input_shape(), tasks, scored, target_names), true);
  else  // converted and written a block at a time, without a copy of the archive in memory
    attr::write_scores(out, seqs.ids, seqs.x, net.input_shape(), tasks, scored, target_names);
  io_timer.next("config and manifest");
  io::write_file_atomic(stem + ".config.ini", job.config_ini);
  const std::string base = std::filesystem::path(stem).filename().string();
  io::write_manifest(stem + ".manifest.tsv",
                     std::vector<std::string>{std::filesystem::path(out).filename().string(), base + ".config.ini"});
  io_timer.stop();
  log_info("attribute", "wrote {} and {}.{{config.ini,manifest.tsv}}", out, stem);
  if (verbose) log_stages("read and write", io_stages);
}

}  // namespace lb::pipeline
