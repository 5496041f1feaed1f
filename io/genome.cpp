// Regions of a reference genome: a samtools-indexed FASTA (the index built with HTSlib when
// missing, read and checked against the file here), BED regions and windows (docs/genomes.md).
#include "io/genome.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <unordered_map>

#include <fmt/format.h>
#include <htslib/bgzf.h>
#include <htslib/faidx.h>

#include "core/alphabet.h"
#include "core/error.h"
#include "core/text.h"
#include "io/atomic_file.h"
#include "io/fasta.h"
#include "io/text_io.h"

namespace lb::io {

namespace {

// One line of a .fai (samtools' index): the sequence's name and length, the byte offset of its
// first base, and its layout (bases per line, bytes per line with the line break).
struct FaiEntry {
  std::string name;
  std::int64_t length = 0, offset = 0, line_bases = 0, line_bytes = 0;
  std::int64_t end = 0;  // one past the byte of its last base
  long line = 0;         // its line in the .fai
};

// Longest sequence read (bigWig positions are 32-bit; HTSlib 1.16's faidx length is an int).
constexpr std::int64_t kMaxSequenceLength = 2147483647;
// Most bytes between two sequences (a line break, blank lines and a header line with its
// description) and after the last one, before an index counts as not fitting its FASTA.
constexpr std::int64_t kMaxHeaderBytes = std::int64_t{1} << 20;
constexpr std::int64_t kMaxTrailingBytes = 4096;

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

bool is_line_break(char c) { return c == '\n' || c == '\r'; }

// The checks HTSlib's indexer skips, before it indexes `path`: fai_build3 drops a sequence
// whose name it has seen (with a warning) and counts only printable bytes as bases, so a NUL
// or a space inside a line shifts every later base of that line. Header names follow
// read_fasta's rules. InputError "path:line: ...".
void check_fasta_for_indexing(const std::string& path) {
  detail::LineReader in(path);
  std::unordered_map<std::string, long> seen;  // name -> header line
  std::string name;
  std::string_view line;
  while (in.next(line)) {
    if (!line.empty() && line.front() == '>') {
      const std::string_view header = line.substr(1);
      const std::string_view n = header.substr(0, header.find_first_of(" \t"));
      if (n.empty())
        throw input_error(path, in.line_number(), "empty sequence name", "a name right after '>'", quote_token(line));
      if (n.size() > kMaxFastaNameLength)
        throw input_error(path, in.line_number(), "sequence name too long",
                          fmt::format("at most {} characters", kMaxFastaNameLength),
                          fmt::format("{} ({})", n.size(), quote_token(n)));
      for (const char c : n)
        if (static_cast<unsigned char>(c) < ' ' || c == '\x7f')
          throw input_error(path, in.line_number(), "bad sequence name", "one word without control characters",
                            quote_token(n));
      name = std::string(n);
      const auto [it, inserted] = seen.emplace(name, in.line_number());
      if (!inserted)
        throw input_error(path, in.line_number(), "duplicate sequence name",
                          fmt::format("unique names (first seen on line {})", it->second), quote_token(name, 80));
      continue;
    }
    std::string_view residues = line;  // trailing blanks are the line break's, as for HTSlib
    while (!residues.empty() && (residues.back() == ' ' || residues.back() == '\t')) residues.remove_suffix(1);
    for (std::size_t i = 0; i < residues.size(); ++i) {
      const auto c = static_cast<unsigned char>(residues[i]);
      if (c <= ' ' || c >= 0x7f)
        throw input_error(path, in.line_number(),
                          fmt::format("unexpected byte in sequence {} at column {}", quote_token(name, 80), i + 1),
                          "a letter (faidx would skip this byte and shift every later base of the line)",
                          detail::describe_char(static_cast<char>(c)));
    }
  }
}

// Why an index does not fit its FASTA, as one line naming the index (and its line).
InputError stale_index(const std::string& fasta, const std::string& fai, long line, std::string_view what,
                       std::string_view got) {
  return input_error(fai, line, fmt::format("stale index ({})", what),
                     fmt::format("an index of {} as it is now (remove {} to have it rebuilt, or samtools faidx {})",
                                 show_path(fasta), show_path(fai), show_path(fasta)),
                     got);
}

// Reads and range-checks every line of `fai` before any arithmetic on it: 5 tab-separated
// columns, a unique name, a length in [0, kMaxSequenceLength], a layout whose bytes fit int64
// and, when `fasta_size` >= 0 (a plain file), end inside the FASTA.
std::vector<FaiEntry> read_fai(const std::string& fasta, const std::string& fai, std::int64_t fasta_size) {
  detail::LineReader in(fai);
  std::vector<FaiEntry> out;
  std::unordered_map<std::string, long> seen;
  std::string_view line;
  while (in.next(line)) {
    const long ln = in.line_number();
    const auto f = detail::split(line, '\t');
    if (f.size() != 5)
      throw input_error(fai, ln, "bad index line",
                        "5 tab-separated columns (name, length, offset, bases per line, bytes per line)",
                        f.size() == 6 ? std::string("6 (a FASTQ index)") : std::to_string(f.size()));
    FaiEntry e;
    e.line = ln;
    if (f[0].empty()) throw input_error(fai, ln, "empty sequence name", "a name in column 1", "''");
    if (f[0].size() > kMaxFastaNameLength)
      throw input_error(fai, ln, "sequence name too long", fmt::format("at most {} characters", kMaxFastaNameLength),
                        fmt::format("{} ({})", f[0].size(), quote_token(f[0])));
    for (const char c : f[0])
      if (static_cast<unsigned char>(c) < ' ' || c == '\x7f' || c == ' ')
        throw input_error(fai, ln, "bad sequence name", "one word without control characters", quote_token(f[0]));
    e.name = std::string(f[0]);
    if (const auto [it, inserted] = seen.emplace(e.name, ln); !inserted)
      throw input_error(fai, ln, "duplicate sequence name", fmt::format("unique names (first on line {})", it->second),
                        quote_token(e.name, 80));
    const auto field = [&](std::size_t col, std::string_view what, std::int64_t min, std::int64_t max,
                           std::string_view expected) {
      const auto v = detail::parse_int64(f[col]);
      if (!v || *v < min || *v > max) throw input_error(fai, ln, fmt::format("bad {} (column {})", what, col + 1), expected, quote_token(f[col]));
      return *v;
    };
    e.length = field(1, "sequence length", 0, kMaxSequenceLength,
                     fmt::format("an integer in [0, {}] (sequences are limited to 2^31 - 1 bases)", kMaxSequenceLength));
    e.offset = field(2, "offset", 0, INT64_MAX, "a non-negative integer (the byte of the first base)");
    if (e.length == 0) {  // an empty sequence: nothing is ever read, its layout is not used
      e.line_bases = field(3, "bases per line", 0, INT64_MAX, "a non-negative integer");
      e.line_bytes = field(4, "bytes per line", 0, INT64_MAX, "a non-negative integer");
      e.end = e.offset;
    } else {
      e.line_bases = field(3, "bases per line", 1, INT64_MAX, "an integer >= 1");
      // One line (the whole sequence) may end the file without a line break.
      const std::int64_t min_bytes = e.length <= e.line_bases ? e.line_bases : e.line_bases + 1;
      e.line_bytes = field(4, "bytes per line", min_bytes, INT64_MAX,
                           fmt::format("an integer >= {} (the bases per line and the line break)", min_bytes));
      const std::int64_t full = (e.length - 1) / e.line_bases, rest = (e.length - 1) % e.line_bases + 1;
      std::int64_t span = 0;
      if (__builtin_mul_overflow(full, e.line_bytes, &span) || __builtin_add_overflow(span, rest, &span) ||
          __builtin_add_overflow(e.offset, span, &e.end))
        throw input_error(fai, ln, "sequence layout too large", "offsets that fit a 64-bit file position",
                          fmt::format("offset {} + {} lines of {} bytes", e.offset, full, e.line_bytes));
    }
    if (fasta_size >= 0 && e.end > fasta_size)
      throw stale_index(fasta, fai, ln, fmt::format("sequence {} ends past the end of {}", quote_token(e.name, 80),
                                                    show_path(fasta)),
                        fmt::format("bytes [{}, {}) of a {}-byte file", e.offset, e.end, fasta_size));
    out.push_back(std::move(e));
  }
  if (out.empty()) throw input_error(fai, 0, "empty index", fmt::format("a line per sequence of {}", show_path(fasta)), "none");
  return out;
}

}  // namespace

// The FASTA's bytes by (uncompressed) offset: pread on a plain file, BGZF with its .gzi for bgzip.
struct Genome::Impl {
  std::string path;
  int fd = -1;
  BGZF* bgzf = nullptr;
  std::int64_t size = -1;  // a plain file's size, -1 for bgzip
  std::vector<FaiEntry> seqs;
  std::unordered_map<std::string, std::size_t> by_name;
  ~Impl() {
    if (fd >= 0) ::close(fd);
    if (bgzf) bgzf_close(bgzf);
  }

  // Up to n bytes from `offset` (fewer at the end of the file). IoError for a read failure.
  std::string read(std::int64_t offset, std::int64_t n) {
    std::string out(static_cast<std::size_t>(n), '\0');
    std::size_t got = 0;
    if (bgzf) {
      // A short hop forward reads on; a longer one, or back, seeks through the .gzi.
      const std::int64_t at = bgzf_utell(bgzf);
      if (offset < at || offset - at > (std::int64_t{1} << 18)) {
        if (bgzf_useek(bgzf, offset, SEEK_SET) < 0) return {};  // past the end
      } else if (offset > at) {
        std::string skip(static_cast<std::size_t>(offset - at), '\0');
        const ssize_t r = bgzf_read(bgzf, skip.data(), skip.size());
        if (r < 0) throw IoError(fmt::format("{}cannot read (corrupt bgzip data?)", where(path)));
        if (static_cast<std::size_t>(r) < skip.size()) return {};
      }
      while (got < out.size()) {
        const ssize_t r = bgzf_read(bgzf, out.data() + got, out.size() - got);
        if (r < 0) throw IoError(fmt::format("{}cannot read (corrupt bgzip data?)", where(path)));
        if (r == 0) break;
        got += static_cast<std::size_t>(r);
      }
    } else {
      while (got < out.size()) {
        const ssize_t r = ::pread(fd, out.data() + got, out.size() - got, static_cast<off_t>(offset) + static_cast<off_t>(got));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) throw io_error(path, "cannot read", errno);
        if (r == 0) break;
        got += static_cast<std::size_t>(r);
      }
    }
    out.resize(got);
    return out;
  }

  void check_layout(const std::string& fai);
};

// The index against the FASTA's bytes: sorted by offset, the sequences do not overlap, each is
// preceded by its own header line ('>' and its name), and only line breaks follow the last.
// Catches an index of an older version of the file (another line width, a sequence added or
// removed) and one that left out a sequence. Reads the header lines only.
void Genome::Impl::check_layout(const std::string& fai) {
  Impl& g = *this;
  std::vector<const FaiEntry*> order;
  for (const auto& e : g.seqs) order.push_back(&e);
  std::stable_sort(order.begin(), order.end(), [](const FaiEntry* a, const FaiEntry* b) { return a->offset < b->offset; });
  std::int64_t prev_end = 0;
  const FaiEntry* prev = nullptr;
  for (const FaiEntry* e : order) {
    if (e->offset < prev_end)
      throw stale_index(g.path, fai, e->line, fmt::format("sequences {} and {} overlap", quote_token(prev->name, 80),
                                                          quote_token(e->name, 80)),
                        fmt::format("offset {} before byte {}", e->offset, prev_end));
    const std::int64_t gap = e->offset - prev_end;
    const std::string header = gap <= kMaxHeaderBytes ? g.read(prev_end, gap) : std::string();
    std::size_t i = 0;
    while (prev && i < header.size() && is_line_break(header[i])) ++i;
    bool ok = gap <= kMaxHeaderBytes && static_cast<std::int64_t>(header.size()) == gap && i < header.size() &&
              header[i] == '>' && header.back() == '\n' && header.find('\n', i) == header.size() - 1;
    if (ok) {
      const std::string_view h = std::string_view(header).substr(i + 1);
      ok = h.substr(0, h.find_first_of(" \t\r\n")) == e->name;
    }
    if (!ok)
      throw stale_index(g.path, fai, e->line,
                        fmt::format("no header line {} right before sequence {} at byte {} of {}",
                                    quote_token(">" + e->name, 80), quote_token(e->name, 80), e->offset,
                                    show_path(g.path)),
                        gap > kMaxHeaderBytes ? fmt::format("{} bytes there", gap) : quote_token(header));
    prev_end = e->end;
    prev = e;
  }
  const std::string tail = g.read(prev_end, kMaxTrailingBytes + 1);
  if (static_cast<std::int64_t>(tail.size()) > kMaxTrailingBytes ||
      tail.find_first_not_of("\r\n \t") != std::string::npos)
    throw stale_index(g.path, fai, 0, fmt::format("{} goes on after its last indexed sequence", show_path(g.path)),
                      static_cast<std::int64_t>(tail.size()) > kMaxTrailingBytes
                          ? fmt::format("more than {} bytes after byte {}", kMaxTrailingBytes, prev_end)
                          : quote_token(tail));
}

namespace {

// True when `a` was last modified after `b`.
bool newer(const struct stat& a, const struct stat& b) {
  return a.st_mtim.tv_sec != b.st_mtim.tv_sec ? a.st_mtim.tv_sec > b.st_mtim.tv_sec
                                              : a.st_mtim.tv_nsec > b.st_mtim.tv_nsec;
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
    check_fasta_for_indexing(path_);
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
  Impl& g = *impl_;
  g.path = path_;
  struct stat fa_st {}, fai_st {}, gzi_st {};
  if (::stat(path_.c_str(), &fa_st) != 0) throw io_error(path_, "cannot open", errno);
  if (::stat(fai.c_str(), &fai_st) != 0) throw io_error(fai, "cannot open", errno);
  if (bgzip && ::stat(gzi.c_str(), &gzi_st) != 0) throw io_error(gzi, "cannot open", errno);
  // The FASTA changed after it was indexed: refused, never rebuilt over an index someone made.
  if (newer(fa_st, fai_st) || (bgzip && newer(fa_st, gzi_st)))
    throw stale_index(path_, newer(fa_st, fai_st) ? fai : gzi, 0,
                      fmt::format("older than {}, which changed after it was indexed", show_path(path_)),
                      "an index older than its FASTA");
  if (bgzip) {
    errno = 0;
    g.bgzf = bgzf_open(path_.c_str(), "r");
    if (!g.bgzf) throw io_error(path_, "cannot open", errno ? errno : EIO);
    if (bgzf_index_load(g.bgzf, gzi.c_str(), nullptr) != 0)
      throw input_error(gzi, 0, "cannot load the bgzip index", fmt::format("the .gzi of {} (samtools faidx {})",
                                                                           show_path(path_), show_path(path_)),
                        "a file HTSlib rejects");
  } else {
    g.fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (g.fd < 0) throw io_error(path_, "cannot open", errno);
    g.size = static_cast<std::int64_t>(fa_st.st_size);
  }
  g.seqs = read_fai(path_, fai, g.size);
  for (std::size_t i = 0; i < g.seqs.size(); ++i) g.by_name.emplace(g.seqs[i].name, i);
  g.check_layout(fai);
}

Genome::~Genome() = default;

int Genome::n_sequences() const { return static_cast<int>(impl_->seqs.size()); }

std::vector<ChromSize> Genome::sequences() const {
  std::vector<ChromSize> out;
  for (const auto& e : impl_->seqs) out.push_back({e.name, e.length});
  return out;
}

std::int64_t Genome::length(const std::string& chrom) const {
  const auto it = impl_->by_name.find(chrom);
  return it == impl_->by_name.end() ? -1 : impl_->seqs[it->second].length;
}

std::string Genome::fetch(const std::string& chrom, std::int64_t beg, std::int64_t end) const {
  LB_CHECK(beg >= 0 && end >= beg && end <= length(chrom), "Genome::fetch: [{}, {}) outside {} of length {}", beg, end,
           chrom, length(chrom));
  if (end == beg) return {};
  const FaiEntry& e = impl_->seqs[impl_->by_name.at(chrom)];
  const std::int64_t lb = e.line_bases, lw = e.line_bytes;
  const std::int64_t first = e.offset + beg / lb * lw + beg % lb;
  const std::int64_t last = e.offset + (end - 1) / lb * lw + (end - 1) % lb + 1;
  const std::string raw = impl_->read(first, last - first);
  if (static_cast<std::int64_t>(raw.size()) != last - first)
    throw IoError(fmt::format("{}cannot read {}:{}-{} (the file ends at its byte {}; changed while in use?)", where(path_),
                              quote_token(chrom, 80), beg, end, first + static_cast<std::int64_t>(raw.size())));
  // The bases, without the line breaks the index puts between them; a line break where a base
  // belongs (or a base where a line break does) means the index is not the file's.
  std::string out;
  out.reserve(static_cast<std::size_t>(end - beg));
  std::size_t i = 0;
  for (std::int64_t pos = beg; pos < end;) {
    const std::int64_t take = std::min(lb - pos % lb, end - pos);
    for (std::int64_t k = 0; k < take; ++k, ++i) {
      if (is_line_break(raw[i]))
        throw stale_index(path_, path_ + ".fai", e.line,
                          fmt::format("a line break at base {} of {}", pos + k + 1, quote_token(chrom, 80)),
                          fmt::format("a line break at byte {} of {}", first + static_cast<std::int64_t>(i),
                                      show_path(path_)));
      out += raw[i];
    }
    pos += take;
    if (pos < end) {
      for (std::int64_t k = 0; k < lw - lb; ++k, ++i)
        if (!is_line_break(raw[i]) && raw[i] != ' ' && raw[i] != '\t')
          throw stale_index(path_, path_ + ".fai", e.line,
                            fmt::format("no line break after base {} of {}", pos, quote_token(chrom, 80)),
                            fmt::format("{} at byte {} of {}", detail::describe_char(raw[i]),
                                        first + static_cast<std::int64_t>(i), show_path(path_)));
    }
  }
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
    // Names become the archive's fixed-width 'ids' (one long name costs its length times the
    // region count) and BED fields of the predictions: capped as FASTA names are.
    if (f.size() >= 4) detail::check_record_name(path, ln, "region", 4, f[3]);
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
