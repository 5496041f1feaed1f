// Regions of a reference genome (docs/genomes.md): an indexed FASTA (plain or bgzip; the index
// built by HTSlib faidx when missing, read and checked here), BED3+ / narrowPeak regions, and
// the fixed-length windows a model reads: recentred, resized, clipped or padded with N at the
// chromosome ends.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lb::io {

/// A sequence of a genome and its length.
struct ChromSize {
  std::string name;
  std::int64_t length = 0;
};

/// A reference genome: an indexed FASTA, plain or bgzip-compressed. Opening builds the index
/// (`path.fai`, and `path.gzi` for bgzip) atomically when it is missing, after checking the FASTA
/// for what HTSlib's indexer drops silently (a duplicate name, a non-letter byte in a sequence
/// line). Every index is range-checked line by line and checked against the FASTA (not newer
/// than the index; sequences right after their header lines, nothing after the last); a stale
/// one is refused, never rebuilt. Errors, one line naming the file (and line): a missing file
/// (IoError), a gzip (not bgzip) file, no index and a directory where it cannot be written, a
/// bad FASTA or index line, a stale index (InputError).
class Genome {
 public:
  explicit Genome(std::string path);
  ~Genome();
  Genome(const Genome&) = delete;
  Genome& operator=(const Genome&) = delete;

  const std::string& path() const { return path_; }
  /// Number of sequences (chromosomes) in the index.
  int n_sequences() const;
  /// Every sequence in the index's order.
  std::vector<ChromSize> sequences() const;
  /// Length of `chrom`, or -1 when the index does not list it.
  std::int64_t length(const std::string& chrom) const;
  /// Bases [beg, end) of `chrom` (0-based, half-open, inside the sequence: LB_CHECK), as stored
  /// (soft-masked bases lowercase; any other byte too, for the caller to judge). IoError naming
  /// the file for a read failure; InputError "path.fai:line: stale index ..." where the file's
  /// line breaks are not where the index puts them.
  std::string fetch(const std::string& chrom, std::int64_t beg, std::int64_t end) const;

 private:
  struct Impl;
  std::string path_;
  std::unique_ptr<Impl> impl_;
};

/// One line of a BED3+ file (narrowPeak included): 0-based half-open, name "" when the line has
/// no name column or '.', summit -1 when there is none (fewer than 10 columns, or -1 there).
struct GenomicRegion {
  std::string chrom;
  std::int64_t start = 0, end = 0;
  std::string name;
  std::int64_t summit = -1;  // offset from start (narrowPeak column 10)
  int n_columns = 3;
  long line = 0;
};

/// Reads BED3+ (plain, gzip or bgzip): tab-separated chrom, start, end, and optionally name
/// (column 4) and a narrowPeak summit (column 10). Blank lines and lines starting with '#',
/// 'track' or 'browser' are skipped. InputError "path:line: ..." for fewer than 3 columns, a
/// start that is not a non-negative integer, an end that is not an integer, end < start, a
/// summit that is not an integer in [0, end - start) or -1, and a file without regions.
std::vector<GenomicRegion> read_regions(const std::string& path);

/// Where the window is centred: the middle of the region ((start + end) / 2, rounded down) or
/// its narrowPeak summit (start + summit; the middle where the summit is -1).
enum class Center { Middle, Summit };
/// What happens where a window (or a region) passes a chromosome end: `Pad` keeps the window
/// centred and fills the part outside the chromosome with N; `Shift` moves the window inside the
/// chromosome (an error when the chromosome is shorter than the window); `Error` stops with
/// the line. A region's end past the chromosome is clipped to it unless `Error`.
enum class ChromEnds { Pad, Shift, Error };

bool parse_center(std::string_view s, Center& out);
bool parse_chrom_ends(std::string_view s, ChromEnds& out);

/// The model's window for one region: genome coordinates [start, start + length), start < 0 or
/// start + length > the chromosome's length only under ChromEnds::Pad.
struct Window {
  std::string chrom;
  std::int64_t start = 0;
  std::string id;  // the BED name, else "chrom:start-end" (the BED's own coordinates)
};

/// The window of `length` bases for `r` of `bed_path`, on `genome`. InputError
/// "bed_path:line: ..." for a chromosome the genome lacks, a region that starts at or past the
/// chromosome's end, one that ends past it (ChromEnds::Error), no summit for Center::Summit, a
/// window past a chromosome end (ChromEnds::Error) or a chromosome shorter than the window
/// (ChromEnds::Shift).
Window region_window(const GenomicRegion& r, const std::string& bed_path, const Genome& genome, Center center,
                     int length, ChromEnds ends);

/// Base codes (A,C,G,T = 0..3, N = 4; core/alphabet.h) of a window of `length` bases: soft-masked
/// (lowercase) bases read as the base, N and the IUPAC ambiguity codes (RYSWKMBDHV) as N, the
/// part outside the chromosome as N. Appends to `codes`; returns the number of N codes written.
/// InputError "genome: chrom:pos: unexpected character ..." for any other letter.
int window_codes(const Genome& genome, const Window& w, int length, std::vector<std::uint8_t>& codes);

}  // namespace lb::io
