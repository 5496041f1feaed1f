// BED6 reading and writing: chrom start end name score strand, 0-based half-open.
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
  double score = 0;        // liftbench stores a motif instance's log-odds here
  char strand = '.';       // '+', '-' or '.'
};

/// Reads BED6 (exactly six or more tab-separated columns; extra columns are ignored). Blank
/// lines and lines starting with '#', 'track' or 'browser' are skipped. Errors name the line:
/// wrong column count, non-integer or negative start, end < start, non-numeric score, bad strand.
std::vector<BedRecord> read_bed(const std::string& path);

/// Writes records as BED6, tab-separated, score in shortest round-trip form; atomic.
void write_bed(const std::string& path, const std::vector<BedRecord>& records);

}  // namespace lb::io
