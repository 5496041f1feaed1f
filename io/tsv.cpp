// Tab-separated tables with a header line: reading (plain or gzip, via BGZF) and writing.
// No quoting or escaping: fields never contain tabs or newlines.
#include "io/tsv.h"

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/text_io.h"

namespace lb::io {

int TsvTable::column(const std::string& name, const std::string& path) const {
  std::string names;
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return static_cast<int>(i);
    names += (i ? " " : "") + header[i];
  }
  throw input_error(path, 0, fmt::format("missing column '{}'", name), fmt::format("a header with '{}'", name),
                    quote_token(names, 200));
}

TsvTable read_tsv(const std::string& path) {
  detail::LineReader in(path);
  TsvTable t;
  std::string_view line;
  if (!in.next(line)) throw input_error(path, 1, "missing header", "a tab-separated header line", "an empty file");
  for (const auto f : detail::split(line, '\t')) t.header.emplace_back(f);
  while (in.next(line)) {
    if (line.empty()) continue;  // blank lines (e.g. a trailing one) carry no row
    const auto fields = detail::split(line, '\t');
    if (fields.size() != t.header.size())
      throw input_error(path, in.line_number(), "wrong number of fields", std::to_string(t.header.size()),
                        std::to_string(fields.size()));
    t.rows.emplace_back(fields.begin(), fields.end());
    t.lines.push_back(in.line_number());
  }
  return t;
}

std::string format_tsv(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::string text;
  const auto append_row = [&text](const std::vector<std::string>& fields) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
      LB_CHECK(fields[i].find_first_of("\t\n\r") == std::string::npos, "TSV field contains a tab or newline: {}",
               quote_token(fields[i]));
      if (i) text += '\t';
      text += fields[i];
    }
    text += '\n';
  };
  append_row(header);
  for (const auto& r : rows) {
    LB_CHECK(r.size() == header.size(), "TSV row has {} fields, header has {}", r.size(), header.size());
    append_row(r);
  }
  return text;
}

void write_tsv(const std::string& path, const std::vector<std::string>& header,
               const std::vector<std::vector<std::string>>& rows) {
  const std::string text = format_tsv(header, rows);
  if (path == "-") detail::write_stdout(text);
  else write_file_atomic(path, text);
}

}  // namespace lb::io
