// BED6(+n) reading (through BGZF, so .bed.gz works) and writing; no BED12 blocks, no track
// parsing.
#include "io/bed.h"

#include <cmath>
#include <iterator>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/text_io.h"

namespace lb::io {

std::vector<BedRecord> read_bed(const std::string& path) {
  detail::LineReader in(path);
  std::vector<BedRecord> out;
  std::string_view line;
  while (in.next(line)) {
    if (detail::is_bed_header(line)) continue;
    const long ln = in.line_number();
    const auto f = detail::split(line, '\t');
    if (f.size() < 6)
      throw input_error(path, ln, "too few columns", "at least 6 tab-separated columns (BED6)",
                        std::to_string(f.size()));
    BedRecord r;
    r.chrom = std::string(f[0]);
    const auto start = detail::parse_int64(f[1]);
    if (!start || *start < 0) throw input_error(path, ln, "bad start", "a non-negative integer", quote_token(f[1]));
    const auto end = detail::parse_int64(f[2]);
    if (!end) throw input_error(path, ln, "bad end", "an integer", quote_token(f[2]));
    if (*end < *start)
      throw input_error(path, ln, "end before start", fmt::format("end >= start ({})", *start), std::to_string(*end));
    r.start = *start, r.end = *end;
    detail::check_record_name(path, ln, "record", 4, f[3]);
    r.name = std::string(f[3]);
    if (f[4] != ".") {  // '.' = no score, read as 0
      const auto score = detail::parse_double(f[4]);
      if (!score) throw input_error(path, ln, "bad score", "a finite number", quote_token(f[4]));
      r.score = *score;
    }
    if (f[5] != "+" && f[5] != "-" && f[5] != ".")
      throw input_error(path, ln, "bad strand", "'+', '-' or '.'", quote_token(f[5]));
    r.strand = f[5][0];
    for (std::size_t c = 6; c < f.size(); ++c) r.extra.emplace_back(f[c]);
    r.line = ln;
    out.push_back(std::move(r));
  }
  return out;
}

void write_bed(const std::string& path, const std::vector<BedRecord>& records) {
  std::string text;
  for (const BedRecord& r : records) {
    LB_CHECK(r.start >= 0 && r.end >= r.start, "BED record {}: bad interval [{}, {})", r.name, r.start, r.end);
    LB_CHECK(r.strand == '+' || r.strand == '-' || r.strand == '.', "BED record {}: bad strand '{}'", r.name,
             r.strand);
    LB_CHECK(r.score >= 0 && r.score <= 1000 && std::floor(r.score) == r.score,
             "BED record {}: score {} is not a BED score (an integer in [0, 1000])", r.name, r.score);
    fmt::format_to(std::back_inserter(text), "{}\t{}\t{}\t{}\t{}\t{}", r.chrom, r.start, r.end, r.name,
                   static_cast<int>(r.score), r.strand);
    for (const std::string& e : r.extra) {
      LB_CHECK(e.find_first_of("\t\n\r") == std::string::npos, "BED record {}: extra column '{}' holds a tab or newline",
               r.name, e);
      text += '\t';
      text += e;
    }
    text += '\n';
  }
  if (path == "-") detail::write_stdout(text);
  else write_file_atomic(path, text);
}

}  // namespace lb::io
