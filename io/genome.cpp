// Regions of a reference genome through HTSlib faidx (docs/genomes.md).
#include "io/genome.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>
#include <htslib/bgzf.h>
#include <htslib/faidx.h>

#include "core/alphabet.h"
#include "core/error.h"
#include "io/atomic_file.h"
#include "io/text_io.h"

namespace lb::io {

struct Genome::Impl {
  faidx_t* fai = nullptr;
  ~Impl() {
    if (fai) fai_destroy(fai);
  }
};

namespace {

// 0 plain, 1 gzip, 2 bgzip (bgzf_compression's codes); IoError for a missing or unreadable file.
int compression_of(const std::string& path) {
  errno = 0;
  BGZF* fp = bgzf_open(path.c_str(), "r");
  if (!fp) throw io_error(path, "cannot open", errno ? errno : EIO);
  const int c = bgzf_compression(fp);
  bgzf_close(fp);
  return c;
}

bool exists(const std::string& p) {
  std::error_code ec;
  return std::filesystem::exists(p, ec);
}

}  // namespace

Genome::Genome(std::string path) : path_(std::move(path)), impl_(std::make_unique<Impl>()) {
  if (std::filesystem::is_directory(path_))
    throw InputError(fmt::format("{}a directory; expected a FASTA file, got a directory", where(path_)));
  const int comp = compression_of(path_);
  if (comp == 1)
    throw input_error(path_, 0, "compressed with gzip, which has no random access",
                      "plain or bgzip-compressed FASTA (zcat FILE | bgzip > FILE.gz)", "gzip");
  const bool bgzip = comp == 2;
  const std::string fai = path_ + ".fai", gzi = path_ + ".gzi";
  if (!exists(fai) || (bgzip && !exists(gzi))) {
    // Built beside the FASTA, atomically: a killed run leaves no half index that HTSlib would trust.
    const std::string parent = std::filesystem::path(path_).parent_path().string();
    const std::string dir = parent.empty() ? std::string(".") : parent;
    if (::access(dir.c_str(), W_OK) != 0) {
      const int err = errno;
      throw input_error(path_, 0,
                        fmt::format("no index {} and its directory cannot take one ({})",
                                    bgzip ? "(.fai and .gzi)" : "(.fai)", std::strerror(err)),
                        fmt::format("an index beside the FASTA (samtools faidx {}) or a writable directory", path_),
                        "neither");
    }
    AtomicFile fai_out(fai);
    fai_out.close_stream();
    std::unique_ptr<AtomicFile> gzi_out;
    if (bgzip) {
      gzi_out = std::make_unique<AtomicFile>(gzi);
      gzi_out->close_stream();
    }
    if (fai_build3(path_.c_str(), fai_out.temp_path().c_str(), bgzip ? gzi_out->temp_path().c_str() : nullptr) != 0)
      throw input_error(path_, 0, "cannot index it with HTSlib faidx",
                        "a FASTA file with non-empty, unique sequence names and equal line lengths within each "
                        "sequence",
                        "a file faidx rejects");
    fai_out.commit();
    if (gzi_out) gzi_out->commit();
  }
  impl_->fai = fai_load3(path_.c_str(), fai.c_str(), bgzip ? gzi.c_str() : nullptr, 0);
  if (!impl_->fai)
    throw input_error(path_, 0, "cannot load its index", fmt::format("a FASTA index {} matching the file", fai),
                      "an index faidx rejects");
}

Genome::~Genome() = default;

int Genome::n_sequences() const { return faidx_nseq(impl_->fai); }

std::vector<ChromSize> Genome::sequences() const {
  std::vector<ChromSize> out;
  for (int i = 0; i < faidx_nseq(impl_->fai); ++i) {
    const char* name = faidx_iseq(impl_->fai, i);
    out.push_back({name, length(name)});
  }
  return out;
}

std::int64_t Genome::length(const std::string& chrom) const {
  if (!faidx_has_seq(impl_->fai, chrom.c_str())) return -1;
  // faidx_seq_len is an int (HTSlib 1.16 has no 64-bit one): sequences up to 2^31 - 1 bases.
  return static_cast<std::int64_t>(faidx_seq_len(impl_->fai, chrom.c_str()));
}

std::string Genome::fetch(const std::string& chrom, std::int64_t beg, std::int64_t end) const {
  LB_CHECK(beg >= 0 && end >= beg && end <= length(chrom), "Genome::fetch: [{}, {}) outside {} of length {}", beg, end,
           chrom, length(chrom));
  if (end == beg) return {};
  hts_pos_t got = 0;
  char* seq = faidx_fetch_seq64(impl_->fai, chrom.c_str(), beg, end - 1, &got);
  if (!seq || got != end - beg) {
    std::free(seq);
    throw IoError(fmt::format("{}cannot read {}:{}-{} (corrupt file or index?)", where(path_), quote_token(chrom, 80),
                              beg, end));
  }
  std::string out(seq, static_cast<std::size_t>(got));
  std::free(seq);
  return out;
}

std::vector<GenomicRegion> read_regions(const std::string& path) {
  detail::LineReader in(path);
  std::vector<GenomicRegion> out;
  std::string_view line;
  while (in.next(line)) {
    if (detail::is_bed_header(line)) continue;
    const long ln = in.line_number();
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const auto f = detail::split(line, '\t');
    if (f.size() < 3)
      throw input_error(path, ln, "too few columns", "at least 3 tab-separated columns (chrom start end)",
                        std::to_string(f.size()));
    GenomicRegion r;
    r.chrom = std::string(f[0]);
    if (r.chrom.empty()) throw input_error(path, ln, "empty chromosome name", "a name", "''");
    const auto start = detail::parse_int64(f[1]);
    if (!start || *start < 0) throw input_error(path, ln, "bad start", "a non-negative integer", quote_token(f[1]));
    const auto end = detail::parse_int64(f[2]);
    if (!end) throw input_error(path, ln, "bad end", "an integer", quote_token(f[2]));
    if (*end < *start)
      throw input_error(path, ln, "end before start", fmt::format("end >= start ({})", *start), std::to_string(*end));
    r.start = *start, r.end = *end;
    if (f.size() >= 4 && f[3] != ".") r.name = std::string(f[3]);
    if (f.size() >= 10) {
      const auto summit = detail::parse_int64(f[9]);
      if (!summit || *summit < -1 || (*summit >= 0 && *summit >= r.end - r.start))
        throw input_error(path, ln, "bad summit (narrowPeak column 10)",
                          fmt::format("an offset from start in [0, {}) or -1", r.end - r.start), quote_token(f[9]));
      r.summit = *summit;
    }
    r.n_columns = static_cast<int>(f.size());
    r.line = ln;
    out.push_back(std::move(r));
  }
  if (out.empty()) throw input_error(path, 0, "no regions", "at least 1 BED line (chrom start end)", "0");
  return out;
}

bool parse_center(std::string_view s, Center& out) {
  if (s == "middle") out = Center::Middle;
  else if (s == "summit") out = Center::Summit;
  else return false;
  return true;
}

bool parse_chrom_ends(std::string_view s, ChromEnds& out) {
  if (s == "pad") out = ChromEnds::Pad;
  else if (s == "shift") out = ChromEnds::Shift;
  else if (s == "error") out = ChromEnds::Error;
  else return false;
  return true;
}

Window region_window(const GenomicRegion& r, const std::string& bed_path, const Genome& genome, Center center,
                     int length, ChromEnds ends) {
  LB_CHECK(length >= 1, "region_window: length {}", length);
  const std::int64_t len = genome.length(r.chrom);
  if (len < 0)
    throw input_error(bed_path, r.line, fmt::format("unknown chromosome {}", quote_token(r.chrom, 80)),
                      fmt::format("a sequence of {} ({} listed in its index)", genome.path(), genome.n_sequences()),
                      quote_token(r.chrom, 80));
  if (r.start >= len)
    throw input_error(bed_path, r.line, fmt::format("region starts past the end of {}", quote_token(r.chrom, 80)),
                      fmt::format("start < {} (its length)", len), std::to_string(r.start));
  if (r.end > len && ends == ChromEnds::Error)
    throw input_error(bed_path, r.line,
                      fmt::format("region ends past the end of {} (--chrom-ends pad or shift clips it)",
                                  quote_token(r.chrom, 80)),
                      fmt::format("end <= {} (its length)", len), std::to_string(r.end));
  const std::int64_t end = std::min(r.end, len);
  if (center == Center::Summit && r.n_columns < 10)
    throw input_error(bed_path, r.line, "no summit for --center summit",
                      "a narrowPeak line (the summit in column 10)", fmt::format("{} columns", r.n_columns));
  std::int64_t mid;
  if (center == Center::Summit && r.summit >= 0) mid = r.start + r.summit;
  else mid = r.start + (end - r.start) / 2;
  std::int64_t ws = mid - length / 2;
  if (ws < 0 || ws + length > len) {
    if (ends == ChromEnds::Error)
      throw input_error(bed_path, r.line,
                        fmt::format("the {}-base window passes an end of {} (--chrom-ends pad or shift allows it)",
                                    length, quote_token(r.chrom, 80)),
                        fmt::format("a window inside [0, {})", len),
                        fmt::format("[{}, {})", ws, ws + length));
    if (ends == ChromEnds::Shift) {
      if (len < length)
        throw input_error(bed_path, r.line,
                          fmt::format("chromosome {} is shorter than the model's input (--chrom-ends pad allows it)",
                                      quote_token(r.chrom, 80)),
                          fmt::format("a length >= {}", length), std::to_string(len));
      ws = std::clamp<std::int64_t>(ws, 0, len - length);
    }
  }
  Window w;
  w.chrom = r.chrom;
  w.start = ws;
  w.id = !r.name.empty() ? r.name : fmt::format("{}:{}-{}", r.chrom, r.start, r.end);
  return w;
}

int window_codes(const Genome& genome, const Window& w, int length, std::vector<std::uint8_t>& codes) {
  const std::int64_t len = genome.length(w.chrom);
  LB_CHECK(len >= 0, "window_codes: unknown chromosome {}", w.chrom);
  const std::int64_t beg = std::clamp<std::int64_t>(w.start, 0, len);
  const std::int64_t end = std::clamp<std::int64_t>(w.start + length, 0, len);
  int n_missing = 0;
  for (std::int64_t p = w.start; p < std::min<std::int64_t>(beg, w.start + length); ++p, ++n_missing)
    codes.push_back(kBaseN);
  const std::string seq = end > beg ? genome.fetch(w.chrom, beg, end) : std::string();
  for (std::size_t i = 0; i < seq.size(); ++i) {
    const char c = seq[i];
    std::uint8_t code = base_code(c);
    if (code == kBadBase) {
      switch (c & ~0x20) {  // upper case
        case 'R': case 'Y': case 'S': case 'W': case 'K': case 'M': case 'B': case 'D': case 'H': case 'V':
          code = kBaseN;
          break;
        default:
          throw InputError(fmt::format("{}{}:{}: unexpected character in the sequence; expected one of ACGTN (any "
                                       "case) or an IUPAC ambiguity code, got {}",
                                       where(genome.path()), quote_token(w.chrom, 80),
                                       beg + static_cast<std::int64_t>(i) + 1, detail::describe_char(c)));
      }
    }
    if (code == kBaseN) ++n_missing;
    codes.push_back(code);
  }
  for (std::int64_t p = std::max(end, w.start); p < w.start + length; ++p, ++n_missing) codes.push_back(kBaseN);
  return n_missing;
}

}  // namespace lb::io
