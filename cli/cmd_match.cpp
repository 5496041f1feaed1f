// `liftbench match`: every motif of a query file against every motif of a database file,
// TOMTOM-like (docs/discovery.md, "Matching"; docs/cli.md) -> a TSV of the matches with
// q <= --thresh. Every check runs before the output is written, and the output is written
// atomically, so an error leaves nothing behind.
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "core/error.h"
#include "core/log.h"
#include "discover/match.h"
#include "io/atomic_file.h"
#include "io/motif_file.h"
#include "pipeline/paths.h"

namespace lb::cli {

using namespace pipeline;

int cmd_match(int argc, const char* const* argv) {
  std::string query_path, db_path, out, dist = "pearson", overlap_s = "5", thresh_s = "0.5", bins_s = "100";
  bool quiet = false;
  OptionSet opts("match");
  opts.add_flag("query", &query_path, "motifs to match (MEME, JASPAR or HOMER file, by its extension)", "FILE");
  opts.add_flag("db", &db_path, "the database of target motifs (MEME, JASPAR or HOMER file)", "FILE");
  opts.add_flag("dist", &dist, "column similarity: pearson (correlation) or ed (negative Euclidean distance)", "NAME");
  opts.add_flag("min-overlap", &overlap_s, "fewest aligned columns (the shorter motif's width when smaller)", "N");
  opts.add_flag("thresh", &thresh_s, "write the matches with q-value <= this, in [0, 1]", "Q");
  opts.add_flag("bins", &bins_s, "steps of a column score over the similarity's range (the null's resolution)", "B");
  opts.add_flag("out,o", &out, "TSV to write: Query_ID Target_ID Optimal_offset p-value E-value q-value Overlap "
                               "Query_consensus Target_consensus Orientation Similarity", "FILE");
  opts.add_switch("quiet,q", &quiet, "no information lines on stderr");
  if (!opts.parse(argc, argv)) {
    fmt::print("{}", opts.help());
    return 0;
  }
  set_log_quiet(quiet);
  if (query_path.empty()) throw ConfigError("--query: missing query motif file; expected --query FILE, got nothing");
  if (db_path.empty()) throw ConfigError("--db: missing motif database; expected --db FILE, got nothing");
  if (out.empty()) throw ConfigError("--out: missing output file; expected -o FILE, got nothing");
  discover::MatchConfig cfg;
  cfg.similarity = discover::parse_similarity(dist);
  cfg.min_overlap = flag_int("--min-overlap", overlap_s);
  cfg.bins = flag_int("--bins", bins_s);
  discover::validate(cfg);
  const double thresh = flag_number("--thresh", thresh_s);
  if (thresh < 0 || thresh > 1)
    throw ConfigError(fmt::format("--thresh: out of range; expected a q-value in [0, 1], got {}", thresh_s));
  require_file_output("--out", out);
  refuse_output_over_input({{"--out", out}}, {{"--query", query_path}, {"--db", db_path}});

  const io::MemeFile queries = io::read_motif_file(query_path);
  const io::MemeFile db = io::read_motif_file(db_path);
  const auto results = discover::match_motifs(queries.motifs, db.motifs, cfg, where(db_path));
  const std::string tsv = discover::matches_tsv(results, queries.motifs, db.motifs, thresh);
  io::write_file_atomic(out, tsv);

  std::size_t rows = 0;
  for (const char c : tsv) rows += c == '\n';
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& m = results[i].by_target[static_cast<std::size_t>(results[i].best)];
    log_info("match", "{}: best {} offset {} strand {} overlap {} similarity {:.4g} p {:.3g} E {:.3g} q {:.3g}",
             queries.motifs[i].name, db.motifs[static_cast<std::size_t>(m.target)].name, m.offset, m.strand, m.overlap,
             m.score, m.p, m.e, m.q);
  }
  log_info("match", "{} query motifs x {} targets ({}, min overlap {}, {} bins): {} matches with q <= {} -> {}",
           queries.motifs.size(), db.motifs.size(), dist, cfg.min_overlap, cfg.bins, rows - 1, thresh_s, out);
  return 0;
}

}  // namespace lb::cli
