// Tab-separated tables with a header line.
#pragma once

#include <string>
#include <vector>

namespace lb::io {

struct TsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<long> lines;  // 1-based line of each row, for error messages

  /// Index of a column, or InputError "path: missing column 'x'; expected header with ...".
  int column(const std::string& name, const std::string& path) const;
};

/// Reads a TSV (plain or gzip). Every row must have as many fields as the header:
/// InputError "path:line: wrong number of fields; expected N, got M".
TsvTable read_tsv(const std::string& path);

/// Formats a table (header + rows, '\t' and '\n'); fields must not contain tabs or newlines.
std::string format_tsv(const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows);

/// Writes a TSV atomically ("-" writes to stdout).
void write_tsv(const std::string& path, const std::vector<std::string>& header,
               const std::vector<std::vector<std::string>>& rows);

}  // namespace lb::io
