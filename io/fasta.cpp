// FASTA through HTSlib: BGZF line reading with line numbers, plain and bgzip writing with
// fai_build3 indexes, region fetch with faidx. Does not read FASTQ or multi-line-width-checked input.
#include "io/fasta.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <unordered_map>

#include <htslib/bgzf.h>
#include <htslib/faidx.h>

#include "core/alphabet.h"
#include "core/error.h"
#include "io/atomic_file.h"
#include "io/text_io.h"

namespace lb::io {

namespace {

bool is_dna_residue(char c) { return base_code(c) != kBadBase; }

void check_residues(const detail::LineReader& in, std::string_view line, const FastaRecord& rec,
                    bool dna_only) {
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    const bool ok = dna_only ? is_dna_residue(c) : (c > ' ' && c < 127);
    if (!ok)
      throw input_error(in.path(), in.line_number(),
                        fmt::format("unexpected character in sequence {} at column {}", quote_token(rec.name), i + 1),
                        dna_only ? "one of ACGTN" : "a printable residue", detail::describe_char(c));
  }
}

void finish_record(const std::string& path, std::vector<FastaRecord>& out, FastaRecord& rec) {
  if (rec.seq.empty())
    throw input_error(path, rec.line, fmt::format("empty sequence {}", quote_token(rec.name)), "at least one residue",
                      "none");
  out.push_back(std::move(rec));
}

std::string format_fasta(const std::vector<FastaRecord>& records, int line_width) {
  LB_CHECK(line_width > 0, "FASTA line width must be positive, got {}", line_width);
  const auto width = static_cast<std::size_t>(line_width);
  std::string text;
  for (const FastaRecord& r : records) {
    LB_CHECK(!r.name.empty() && r.name.find_first_of(" \t\n") == std::string::npos,
             "FASTA name must be one non-empty word, got '{}'", r.name);
    text += '>';
    text += r.name;
    if (!r.comment.empty()) {
      text += ' ';
      text += r.comment;
    }
    text += '\n';
    for (std::size_t i = 0; i < r.seq.size(); i += width) {
      text.append(r.seq, i, width);
      text += '\n';
    }
  }
  return text;
}

struct FaiDeleter {
  void operator()(faidx_t* fai) const { fai_destroy(fai); }
};

}  // namespace

std::vector<FastaRecord> read_fasta(const std::string& path, const FastaReadOptions& opt) {
  detail::LineReader in(path);
  std::vector<FastaRecord> out;
  std::unordered_map<std::string, long> seen;  // name -> header line
  FastaRecord rec;
  bool in_record = false;
  std::string_view line;
  while (in.next(line)) {
    if (!line.empty() && line.front() == '>') {
      if (in_record) finish_record(path, out, rec);
      const std::string_view header = line.substr(1);
      const std::size_t ws = header.find_first_of(" \t");
      const std::string_view name = header.substr(0, ws);
      if (name.empty())
        throw input_error(path, in.line_number(), "empty sequence name", "a name right after '>'",
                          quote_token(line));
      if (name.size() > kMaxFastaNameLength)
        throw input_error(path, in.line_number(), "sequence name too long",
                          fmt::format("at most {} characters", kMaxFastaNameLength),
                          fmt::format("{} ({})", name.size(), quote_token(name)));
      // Names become TSV, BED and npz fields and are written back as FASTA headers: no control
      // bytes (a '\r' in a name did not survive a write and a read, found by fuzz/fuzz_fasta).
      for (const char c : name)
        if (static_cast<unsigned char>(c) < ' ' || c == '\x7f')
          throw input_error(path, in.line_number(), "bad sequence name", "one word without control characters",
                            quote_token(name));
      rec = FastaRecord{};
      rec.name = std::string(name);
      rec.line = in.line_number();
      if (ws != std::string_view::npos) rec.comment = std::string(detail::trim(header.substr(ws)));
      const auto [it, inserted] = seen.emplace(rec.name, rec.line);
      if (!inserted)
        throw input_error(path, rec.line, "duplicate sequence name",
                          fmt::format("unique names (first seen on line {})", it->second),
                          quote_token(rec.name));
      in_record = true;
      continue;
    }
    std::string_view residues = line;  // trailing blanks dropped, anything else is checked
    while (!residues.empty() && (residues.back() == ' ' || residues.back() == '\t')) residues.remove_suffix(1);
    if (residues.empty()) continue;
    if (!in_record)
      throw input_error(path, in.line_number(), "not a FASTA header", "a line starting with '>'",
                        quote_token(line));
    check_residues(in, residues, rec, opt.dna_only);
    rec.seq.append(residues);
  }
  if (in_record) finish_record(path, out, rec);
  return out;
}

void write_fasta_plain(const std::string& path, const std::vector<FastaRecord>& records, int line_width) {
  const std::string text = format_fasta(records, line_width);
  if (path == "-") detail::write_stdout(text);
  else write_file_atomic(path, text);
}

void write_fasta_bgzf(const std::string& path, const std::vector<FastaRecord>& records, int line_width) {
  LB_CHECK(!records.empty(), "write_fasta_bgzf: no records for {} (fai_build3 cannot index an empty FASTA)", path);
  const std::string text = format_fasta(records, line_width);
  // Three exclusively created temporaries that HTSlib reopens by name (never a planted name).
  AtomicFile data(path), fai(path + ".fai"), gzi(path + ".gzi");
  data.close_stream();
  fai.close_stream();
  gzi.close_stream();

  errno = 0;
  BGZF* fp = bgzf_open(data.temp_path().c_str(), "w");
  if (!fp) throw io_error(path, "cannot create", errno ? errno : EIO);
  const bool ok = bgzf_write(fp, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const int err = errno;
  if (bgzf_close(fp) < 0 || !ok) throw io_error(path, "cannot write", err ? err : EIO);

  if (fai_build3(data.temp_path().c_str(), fai.temp_path().c_str(), gzi.temp_path().c_str()) != 0)
    throw IoError(fmt::format("{}cannot build the FASTA index (.fai/.gzi) with fai_build3", where(path)));
  fai.commit();
  gzi.commit();
  data.commit();
}

void write_fasta_indexed(const std::string& path, const std::vector<FastaRecord>& records, int line_width) {
  LB_CHECK(!records.empty(), "write_fasta_indexed: no records for {} (fai_build3 cannot index an empty FASTA)", path);
  AtomicFile data(path), fai(path + ".fai");
  data.write(format_fasta(records, line_width));
  data.close_stream();
  fai.close_stream();
  // No .gzi for a plain file: fai_build3 writes one only for bgzip input.
  if (fai_build3(data.temp_path().c_str(), fai.temp_path().c_str(), nullptr) != 0)
    throw IoError(fmt::format("{}cannot build the FASTA index (.fai) with fai_build3", where(path)));
  fai.commit();
  data.commit();
}

std::string fetch_fasta_region(const std::string& path, const std::string& region) {
  std::unique_ptr<faidx_t, FaiDeleter> fai(fai_load3(path.c_str(), nullptr, nullptr, 0));
  if (!fai) throw io_error(path, "cannot load FASTA index (.fai, and .gzi if compressed)", errno ? errno : ENOENT);

  // "name" first (names may contain ':'), then "name:beg-end" split at the last ':'.
  std::string name = region;
  hts_pos_t beg = 0, end = -1;  // 0-based inclusive; end < 0 = whole sequence
  if (!faidx_has_seq(fai.get(), region.c_str())) {
    const std::size_t colon = region.rfind(':');
    if (colon == std::string::npos || !faidx_has_seq(fai.get(), region.substr(0, colon).c_str()))
      throw input_error(path, 0, fmt::format("unknown sequence in region '{}'", region),
                        "a name listed in the .fai index",
                        quote_token(colon == std::string::npos ? region : region.substr(0, colon)));
    name = region.substr(0, colon);
    const std::string range = region.substr(colon + 1);
    const std::size_t dash = range.find('-');
    const auto b = detail::parse_int64(range.substr(0, dash));
    const auto e = dash == std::string::npos ? b : detail::parse_int64(range.substr(dash + 1));
    const hts_pos_t len = static_cast<hts_pos_t>(faidx_seq_len(fai.get(), name.c_str()));
    if (!b || !e || *b < 1 || *e < *b || *e > len)
      throw input_error(path, 0, fmt::format("bad range in region '{}'", region),
                        fmt::format("1 <= beg <= end <= {}", len), quote_token(range));
    beg = *b - 1, end = *e - 1;
  } else {
    end = static_cast<hts_pos_t>(faidx_seq_len(fai.get(), name.c_str())) - 1;
  }
  hts_pos_t got = 0;
  char* seq = faidx_fetch_seq64(fai.get(), name.c_str(), beg, end, &got);
  if (!seq || got < 0) {
    std::free(seq);
    throw IoError(fmt::format("{}cannot fetch region {} (corrupt file or index?)", where(path), quote_token(region, 80)));
  }
  std::string out(seq, static_cast<std::size_t>(got));
  std::free(seq);
  return out;
}

}  // namespace lb::io
