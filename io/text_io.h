// Internal to io/: a line reader over HTSlib's BGZF (plain, gzip and bgzip alike) that keeps line
// numbers for error messages, plus small tokenising helpers. Not part of the public io API.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct BGZF;

namespace lb::io::detail {

/// Reads `path` ("-" = stdin) line by line through bgzf_getline. Line ends ("\n", "\r\n") are
/// stripped. Opening fails with IoError "path: cannot open: <reason>"; a truncated or corrupt
/// compressed stream throws InputError "path:line: cannot decompress; ...".
class LineReader {
 public:
  explicit LineReader(std::string path);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  /// Next line (valid until the following call), or false at the end of the file.
  bool next(std::string_view& line);
  /// 1-based number of the line last returned (0 before the first).
  long line_number() const { return line_; }
  const std::string& path() const { return path_; }

 private:
  [[noreturn]] void throw_corrupt() const;

  std::string path_;
  BGZF* fp_ = nullptr;
  char* buf_ = nullptr;  // kstring_t storage, owned
  std::size_t buf_len_ = 0, buf_cap_ = 0;
  long line_ = 0;
};

/// Splits on `sep`, keeping empty fields ("a\t\tb" -> 3 fields).
std::vector<std::string_view> split(std::string_view s, char sep);
/// Splits on runs of spaces and tabs, dropping empty tokens.
std::vector<std::string_view> split_ws(std::string_view s);
std::string_view trim(std::string_view s);
bool starts_with(std::string_view s, std::string_view prefix);
/// A BED line that holds no record: blank, a comment (#), or a `track` / `browser` line.
bool is_bed_header(std::string_view line);
bool ends_with(std::string_view s, std::string_view suffix);

/// Whole-token parses (no leading/trailing junk, one optional sign); nullopt on failure or
/// overflow. parse_double takes finite values only (no nan, inf).
std::optional<std::int64_t> parse_int64(std::string_view s);
std::optional<double> parse_double(std::string_view s);

/// Checks a name read from column `column` of line `line` (a BED region's or record's name):
/// InputError "<path>:<line>: <what> name too long (column k); expected at most 10000
/// characters, got ..." or "... bad <what> name (column k); expected one word without control
/// characters, got ..." (names become archive ids and BED fields, as FASTA names do).
void check_record_name(const std::string& path, long line, std::string_view what, int column, std::string_view name);

/// `'c'` for a printable byte, `byte 0xNN` otherwise (for "got ..." in messages).
std::string describe_char(char c);

/// Writes `content` to `path` atomically: bgzip-compressed (a valid gzip stream) through BGZF
/// when `compress` is true, plain otherwise.
void write_text_file(const std::string& path, std::string_view content, bool compress);

/// Writes `content` to stdout, throwing IoError on failure.
void write_stdout(std::string_view content);

}  // namespace lb::io::detail
