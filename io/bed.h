// BED6 (and BED6+n) reading and writing: chrom start end name score strand [extra...],
// 0-based half-open.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lb::io {

struct BedRecord {
  std::string chrom;
  std::int64_t start = 0;  // 0-based
  std::int64_t end = 0;    // exclusive
  std::string name;
  double score = 0;        // BED's score: an integer 0-1000 when written (see write_bed)
  char strand = '.';       // '+', '-' or '.'
  std::vector<std::string> extra;  // columns 7, 8, ... (BED6+n) as text, empty for BED6
  long line = 0;           // 1-based line number when read from a file (0 otherwise)
};

/// Reads BED6 or BED6+n (six or more tab-separated columns; columns 7+ go to `extra` as text).
/// Blank lines and lines starting with '#', 'track' or 'browser' are skipped. The score is read
/// as any number ('.' = 0), so files with non-integer scores (liftbench's motifs.bed before it
/// became BED6+1) still load. Errors name the line: wrong column count, non-integer or
/// negative start, end < start, non-numeric score, bad strand.
std::vector<BedRecord> read_bed(const std::string& path);

/// Writes records tab-separated, atomically: the six BED columns, then `extra` (BED6+n). The
/// score must be a valid BED score, an integer in [0, 1000], and extra columns must hold no
/// tab or newline (LB_CHECK: a caller's bug). bedtools and UCSC bedToBigBed accept the result.
void write_bed(const std::string& path, const std::vector<BedRecord>& records);

}  // namespace lb::io
