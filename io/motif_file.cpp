// JASPAR and HOMER motif readers (onto MEME's records) and the reader choice by file name.
#include "io/motif_file.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <optional>
#include <unordered_map>

#include "core/error.h"
#include "io/text_io.h"

namespace lb::io {

namespace {

constexpr std::string_view kBases = "ACGT";

std::optional<double> parse_nonnegative(std::string_view token) {
  const auto v = detail::parse_double(token);
  if (!v || !std::isfinite(*v) || *v < 0) return std::nullopt;
  return v;
}

// Motif names seen so far, for the duplicate check: name -> header line.
class NameSet {
 public:
  void add(const std::string& path, long line, const std::string& name, std::string_view what) {
    const auto [it, inserted] = seen_.emplace(name, line);
    if (!inserted)
      throw input_error(path, line, fmt::format("duplicate motif {}", what),
                        fmt::format("unique {}s (first seen on line {})", what, it->second), quote_token(name));
  }

 private:
  std::unordered_map<std::string, long> seen_;
};

// ---- JASPAR ---------------------------------------------------------------------------------

struct JasparRow {
  char label = 0;  // 'A', 'C', 'G', 'T', or 0 for a bare row
  std::vector<double> counts;
  long line = 0;
};

struct JasparMotif {
  MemeMotif motif;
  std::vector<JasparRow> rows;
};

JasparRow parse_jaspar_row(const std::string& path, long ln, std::string_view line, const std::string& motif) {
  JasparRow row;
  row.line = ln;
  std::string_view s = detail::trim(line);
  if (std::isalpha(static_cast<unsigned char>(s.front()))) {
    const char label = static_cast<char>(std::toupper(static_cast<unsigned char>(s.front())));
    // A label is one letter followed by a blank or '[' ("inf" or "x1" are not labels).
    if (kBases.find(label) == std::string_view::npos ||
        (s.size() > 1 && s[1] != ' ' && s[1] != '\t' && s[1] != '['))
      throw input_error(path, ln, fmt::format("bad row label in motif {}", quote_token(motif, 80)), "A, C, G or T",
                        quote_token(s.substr(0, s.find_first_of(" \t["))));
    row.label = label;
    s = detail::trim(s.substr(1));
  }
  if (!s.empty() && s.front() == '[') {
    if (s.back() != ']')
      throw input_error(path, ln, "missing ']'", "'A [ counts ]'", quote_token(detail::trim(line)));
    s = s.substr(1, s.size() - 2);
  }
  for (const std::string_view t : detail::split_ws(s)) {
    const auto v = parse_nonnegative(t);
    if (!v) throw input_error(path, ln, "bad count", "a non-negative number", quote_token(t));
    row.counts.push_back(*v);
  }
  if (row.counts.empty())
    throw input_error(path, ln, fmt::format("row without counts in motif {}", quote_token(motif, 80)), "at least one count",
                      "none");
  return row;
}

void add_jaspar_row(const std::string& path, JasparMotif& m, JasparRow row) {
  const std::string name = quote_token(m.motif.name, 80);
  const auto label_text = [](char c) { return c ? fmt::format("row '{}'", c) : std::string("a bare row"); };
  if (m.rows.size() == 4)
    throw input_error(path, row.line, fmt::format("too many rows in motif {}", name), "4 rows (A, C, G, T)",
                      "a fifth");
  if (!m.rows.empty()) {
    const JasparRow& first = m.rows.front();
    if ((row.label == 0) != (first.label == 0))
      throw input_error(path, row.line, fmt::format("labelled and bare rows mixed in motif {}", name),
                        first.label ? "a row labelled A, C, G or T" : "a bare row of counts", label_text(row.label));
    for (const JasparRow& r : m.rows)
      if (row.label != 0 && r.label == row.label)
        throw input_error(path, row.line, fmt::format("second row '{}' in motif {}", row.label, name),
                          fmt::format("one row each for A, C, G and T (first on line {})", r.line),
                          fmt::format("'{}' again", row.label));
    if (row.counts.size() != first.counts.size())
      throw input_error(path, row.line, fmt::format("rows of different lengths in motif {}", name),
                        fmt::format("{} counts (as on line {})", first.counts.size(), first.line),
                        std::to_string(row.counts.size()));
  }
  m.rows.push_back(std::move(row));
}

void finish_jaspar(const std::string& path, JasparMotif& m, MemeFile& file) {
  if (m.rows.size() != 4)
    throw input_error(path, m.motif.line, fmt::format("incomplete motif {}", quote_token(m.motif.name, 80)), "4 rows (A, C, G, T)",
                      std::to_string(m.rows.size()));
  const std::size_t width = m.rows.front().counts.size();
  m.motif.probs.assign(width, {});
  for (std::size_t k = 0; k < 4; ++k) {
    const JasparRow& r = m.rows[k];
    const std::size_t b = r.label ? kBases.find(r.label) : k;  // bare rows: A, C, G, T in order
    for (std::size_t i = 0; i < width; ++i) m.motif.probs[i][b] = r.counts[i];
  }
  for (std::size_t i = 0; i < width; ++i) {
    auto& col = m.motif.probs[i];
    const double sum = col[0] + col[1] + col[2] + col[3];
    if (!(sum > 0))
      throw input_error(path, m.motif.line, fmt::format("motif {} position {} has no counts", quote_token(m.motif.name, 80), i + 1),
                        "a positive sum of counts", "0");
    for (double& p : col) p /= sum;
  }
  file.motifs.push_back(std::move(m.motif));
}

// ---- HOMER ----------------------------------------------------------------------------------

std::array<double, 4> parse_homer_row(const std::string& path, long ln, std::string_view line, const MemeMotif& m) {
  const auto t = detail::split_ws(line);
  std::array<double, 4> row{};
  for (std::size_t i = 0; i < t.size(); ++i) {
    const auto v = parse_nonnegative(t[i]);
    if (!v) throw input_error(path, ln, "bad matrix value", "a non-negative number", quote_token(t[i]));
    if (i < 4) row[i] = *v;
  }
  if (t.size() != 4)
    throw input_error(path, ln, "wrong number of values in matrix row", "4 (A, C, G, T)", std::to_string(t.size()));
  const double sum = row[0] + row[1] + row[2] + row[3];
  if (!(sum > 0))
    throw input_error(path, ln, fmt::format("motif {} position {} sums to 0", quote_token(m.name, 80), m.probs.size() + 1),
                      "a positive sum", "0");
  for (double& p : row) p /= sum;
  return row;
}

void require_rows(const std::string& path, const MemeFile& file) {
  if (!file.motifs.empty() && file.motifs.back().probs.empty())
    throw input_error(path, file.motifs.back().line, fmt::format("motif {} has no matrix rows", quote_token(file.motifs.back().name, 80)),
                      "at least one row", "none");
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

MemeFile read_jaspar(const std::string& path) {
  detail::LineReader in(path);
  MemeFile file;
  NameSet names;
  std::optional<JasparMotif> cur;
  std::string_view line;
  while (in.next(line)) {
    const std::string_view s = detail::trim(line);
    const long ln = in.line_number();
    if (s.empty()) continue;
    if (s.front() == '>') {
      if (cur) finish_jaspar(path, *cur, file);
      const std::string_view header = s.substr(1);  // the ID right after '>', as in FASTA
      const std::size_t ws = header.find_first_of(" \t");
      const std::string_view id = header.substr(0, ws);
      if (id.empty()) throw input_error(path, ln, "empty motif ID", "an ID right after '>'", quote_token(s));
      cur.emplace();
      cur->motif.name = std::string(id);
      if (ws != std::string_view::npos) cur->motif.alt_name = std::string(detail::trim(header.substr(ws)));
      cur->motif.line = ln;
      names.add(path, ln, cur->motif.name, "ID");
      continue;
    }
    if (!cur) throw input_error(path, ln, "not a JASPAR header", "a line starting with '>'", quote_token(s));
    add_jaspar_row(path, *cur, parse_jaspar_row(path, ln, s, cur->motif.name));
  }
  if (cur) finish_jaspar(path, *cur, file);
  if (file.motifs.empty()) throw input_error(path, 0, "no motifs", "at least one '>' header", "none");
  return file;
}

MemeFile read_homer(const std::string& path) {
  detail::LineReader in(path);
  MemeFile file;
  NameSet names;
  std::string_view line;
  while (in.next(line)) {
    const long ln = in.line_number();
    if (detail::trim(line).empty()) continue;
    if (line.front() == '>') {
      require_rows(path, file);
      const auto f = detail::split(line.substr(1), '\t');
      if (f.size() < 3)
        throw input_error(path, ln, "too few header fields",
                          "3 tab-separated fields (consensus, name, log-odds threshold)", std::to_string(f.size()));
      MemeMotif m;
      m.alt_name = std::string(detail::trim(f[0]));
      m.name = std::string(detail::trim(f[1]));
      m.line = ln;
      if (m.name.empty()) throw input_error(path, ln, "empty motif name", "a name in header field 2", "''");
      if (!detail::parse_double(detail::trim(f[2])))
        throw input_error(path, ln, "bad log-odds threshold", "a number", quote_token(detail::trim(f[2])));
      names.add(path, ln, m.name, "name");
      file.motifs.push_back(std::move(m));
      continue;
    }
    if (file.motifs.empty())
      throw input_error(path, ln, "not a HOMER motif header", "a line starting with '>'", quote_token(line));
    MemeMotif& m = file.motifs.back();
    m.probs.push_back(parse_homer_row(path, ln, line, m));
  }
  require_rows(path, file);
  if (file.motifs.empty()) throw input_error(path, 0, "no motifs", "at least one '>' header", "none");
  return file;
}

MemeFile read_motif_file(const std::string& path) {
  std::string name = lower(std::filesystem::path(path).filename().string());
  if (name.size() > 3 && name.ends_with(".gz")) name.resize(name.size() - 3);
  const std::string ext = std::filesystem::path(name).extension().string();
  if (ext == ".meme" || ext == ".txt") return read_meme(path);
  if (ext == ".jaspar" || ext == ".pfm") return read_jaspar(path);
  if (ext == ".motif" || ext == ".motifs") return read_homer(path);
  throw InputError(fmt::format("{}unknown motif file type; expected a name ending in .meme, .txt, .jaspar, .pfm, "
                               ".motif or .motifs, got {}",
                               where(path), ext.empty() ? std::string("no extension") : quote_token(ext)));
}

}  // namespace lb::io
