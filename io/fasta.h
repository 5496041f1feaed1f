// FASTA reading (plain, gzip or bgzip, through HTSlib's BGZF reader, which takes all three)
// and writing (plain with a .fai index, or bgzip with .fai and .gzi indexes, through HTSlib),
// plus indexed region fetch.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace lb::io {

/// Longest sequence name read_fasta accepts (names end up in fixed-width string arrays, so one
/// long name costs its length times the record count).
inline constexpr std::size_t kMaxFastaNameLength = 10000;

struct FastaRecord {
  std::string name;     // first word after '>'
  std::string comment;  // rest of the header line after the first whitespace, may be empty
  std::string seq;      // residues with line breaks removed, case as in the file
  long line = 0;        // 1-based line number of the '>' header (0 when not read from a file)
};

struct FastaReadOptions {
  /// Reject any residue other than ACGTN/acgtn with "path:line: unexpected character in
  /// sequence 'name' at column C; expected one of ACGTN, got 'X'".
  bool dna_only = true;
};

/// Reads every record of `path` ("-" = stdin). Errors (InputError, `path:line: ...`): no '>'
/// on the first non-empty line, empty name, a name over kMaxFastaNameLength characters, empty
/// sequence, duplicate name, bad residue, a truncated or corrupt gzip stream. Missing file: IoError.
std::vector<FastaRecord> read_fasta(const std::string& path, const FastaReadOptions& opt = {});

/// Writes records as bgzip-compressed FASTA (`line_width` residues a line) with the indexes
/// `path.fai` and `path.gzi` built by HTSlib's fai_build3, all three atomically (temporary
/// names, then renames, the data file last). `samtools faidx path name` reads the result.
/// `records` must not be empty (fai_build3 cannot index an empty file): LB_CHECK.
void write_fasta_bgzf(const std::string& path, const std::vector<FastaRecord>& records,
                      int line_width = 60);

/// Writes records as plain FASTA (`line_width` residues a line) with the samtools index
/// `path.fai` built by HTSlib's fai_build3, both atomically (temporary names, then renames, the
/// data file last). `samtools faidx path name` and `bedtools getfasta -fi path` read the result.
/// `records` must not be empty (fai_build3 cannot index an empty file): LB_CHECK.
void write_fasta_indexed(const std::string& path, const std::vector<FastaRecord>& records,
                         int line_width = 60);

/// Plain (uncompressed) FASTA, atomically; "-" writes to stdout.
void write_fasta_plain(const std::string& path, const std::vector<FastaRecord>& records,
                       int line_width = 60);

/// Sequence of `region` ("name", "name:beg-end", 1-based inclusive as samtools) from an indexed
/// FASTA (plain or bgzip with .fai/.gzi). Unknown name or bad range: InputError naming both.
std::string fetch_fasta_region(const std::string& path, const std::string& region);

}  // namespace lb::io
