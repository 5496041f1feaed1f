// Dataset names, labels, the stratified split, and the dataset directory (write and read back
// with consistency checks); the file formats themselves live in io/.
#include "sim/dataset.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <unordered_map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"
#include "core/rng.h"
#include "io/atomic_file.h"
#include "io/bed.h"
#include "io/fasta.h"
#include "io/tsv.h"

namespace lb::sim {

namespace {

constexpr std::string_view kClassNames[] = {"empty", "gata_only", "tal_only", "both"};
constexpr std::string_view kSplitNames[] = {"train", "valid", "test"};
const std::vector<std::string> kLabelsHeader = {"id",    "split", "class", "task0",
                                                "task1", "task2", "n_gata", "n_tal"};

int parse_int_field(const std::string& s, const std::string& path, long line,
                    std::string_view column, int min, int max) {
  int v = 0;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || p != end || v < min || v > max) {
    throw input_error(path, line, fmt::format("bad value in column '{}'", column),
                      max == 1 ? std::string("0 or 1") : fmt::format("an integer >= {}", min),
                      quote_token(s));
  }
  return v;
}

// A motifs.bed log-odds column: a whole-token number, as write_bed's shortest round-trip text.
bool parse_log_odds(const std::string& text, double& out) {
  const char* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, out);
  return !text.empty() && ec == std::errc() && p == end;
}

void remove_if_present(const std::string& path) {
  if (std::remove(path.c_str()) != 0 && errno != ENOENT) throw io_error(path, "cannot remove the old-layout file", errno);
}

}  // namespace

int motif_bed_score(double log_odds) {
  if (!(log_odds > 0)) return 0;  // also NaN
  if (log_odds >= 20) return 1000;
  return static_cast<int>(std::lround(50 * log_odds));
}

std::string dataset_fasta_path(const std::string& dir) {
  const std::string plain = dir + "/sequences.fa";
  if (std::filesystem::exists(plain)) return plain;
  const std::string bgzip = dir + "/sequences.fa.gz";
  return std::filesystem::exists(bgzip) ? bgzip : plain;  // missing: the error names sequences.fa
}

std::string_view class_name(SeqClass c) { return kClassNames[static_cast<int>(c)]; }
std::string_view split_name(Split s) { return kSplitNames[static_cast<int>(s)]; }

bool parse_class(std::string_view name, SeqClass& out) {
  for (int i = 0; i < 4; ++i) {
    if (kClassNames[i] == name) {
      out = static_cast<SeqClass>(i);
      return true;
    }
  }
  return false;
}

bool parse_split(std::string_view name, Split& out) {
  for (int i = 0; i < 3; ++i) {
    if (kSplitNames[i] == name) {
      out = static_cast<Split>(i);
      return true;
    }
  }
  return false;
}

std::array<std::uint8_t, kNumTasks> labels_for(SeqClass c) {
  const std::uint8_t gata = c == SeqClass::GataOnly || c == SeqClass::Both;
  const std::uint8_t tal = c == SeqClass::TalOnly || c == SeqClass::Both;
  return {static_cast<std::uint8_t>(gata && tal), gata, tal};
}

std::vector<Split> stratified_split(const std::vector<SeqClass>& classes,
                                    const std::array<double, 3>& fractions, std::uint64_t seed) {
  // One stream for the whole split, far from the simulator's streams 0 (classes) and 1 + i
  // (sequence i), so splitting never reuses a draw that shaped a sequence.
  Rng rng(seed, kSplitStream);
  std::vector<Split> out(classes.size(), Split::Test);
  std::vector<std::size_t> members;
  for (int c = 0; c < 4; ++c) {
    members.clear();
    for (std::size_t i = 0; i < classes.size(); ++i)
      if (static_cast<int>(classes[i]) == c) members.push_back(i);
    rng.shuffle(members.begin(), members.end());
    // Rounded per class, so each class is split in the same proportions (stratification);
    // valid is clamped so rounding up never takes more than the class has.
    const auto n_c = static_cast<long>(members.size());
    const long n_train = std::min(n_c, std::lround(fractions[0] * static_cast<double>(n_c)));
    const long n_valid =
        std::min(n_c - n_train, std::lround(fractions[1] * static_cast<double>(n_c)));
    for (long k = 0; k < n_c; ++k) {
      out[members[static_cast<std::size_t>(k)]] =
          k < n_train ? Split::Train : k < n_train + n_valid ? Split::Valid : Split::Test;
    }
  }
  return out;
}

void write_dataset_dir(const std::string& dir, const Dataset& data, std::string_view config_ini) {
  const auto n = static_cast<std::size_t>(data.size());
  LB_CHECK(data.seqs.size() == n && data.classes.size() == n && data.splits.size() == n &&
               data.labels.size() == n && data.n_gata.size() == n && data.n_tal.size() == n,
           "inconsistent Dataset: {} ids", n);
  io::ensure_output_dir(dir);
  io::remove_stale_marker(dir + "/config.ini");  // written last: the mark of a complete directory

  std::vector<io::FastaRecord> records(n);
  for (std::size_t i = 0; i < n; ++i) {
    records[i].name = data.ids[i];
    records[i].seq = data.seqs[i];
  }
  io::write_fasta_indexed(dir + "/sequences.fa", records);
  // The bgzip layout of earlier versions: a second, stale copy of the sequences otherwise.
  for (const char* old : {"/sequences.fa.gz", "/sequences.fa.gz.fai", "/sequences.fa.gz.gzi"})
    remove_if_present(dir + old);

  std::vector<std::vector<std::string>> rows(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& l = data.labels[i];
    rows[i] = {data.ids[i],
               std::string(split_name(data.splits[i])),
               std::string(class_name(data.classes[i])),
               std::to_string(l[0]),
               std::to_string(l[1]),
               std::to_string(l[2]),
               std::to_string(data.n_gata[i]),
               std::to_string(data.n_tal[i])};
  }
  io::write_tsv(dir + "/labels.tsv", kLabelsHeader, rows);

  std::vector<io::BedRecord> bed;
  bed.reserve(data.sites.size());
  for (const MotifSite& s : data.sites) {
    LB_CHECK(s.seq >= 0 && static_cast<std::size_t>(s.seq) < n, "site of sequence {}", s.seq);
    io::BedRecord r;
    r.chrom = data.ids[static_cast<std::size_t>(s.seq)];
    r.start = s.start, r.end = s.end;
    r.name = s.motif;
    r.score = motif_bed_score(s.log_odds);
    r.strand = s.strand;
    r.extra = {fmt::format("{}", s.log_odds)};  // shortest text that reads back to the same double
    bed.push_back(std::move(r));
  }
  io::write_bed(dir + "/motifs.bed", bed);

  // Last: a directory with config.ini is a complete dataset.
  io::write_file_atomic(dir + "/config.ini", config_ini);
}

Dataset read_dataset_dir(const std::string& dir) {
  const std::string fa_path = dataset_fasta_path(dir);
  const std::string fa_name = std::filesystem::path(fa_path).filename().string();
  const std::string labels_path = dir + "/labels.tsv";
  const std::string bed_path = dir + "/motifs.bed";

  Dataset data;
  const std::vector<io::FastaRecord> fasta = io::read_fasta(fa_path);
  std::unordered_map<std::string, int> index;
  for (const io::FastaRecord& r : fasta) {
    if (data.ids.empty()) data.seq_len = static_cast<int>(r.seq.size());
    if (r.seq.size() != static_cast<std::size_t>(data.seq_len)) {
      throw input_error(fa_path, r.line,
                        fmt::format("sequence '{}' differs in length from the first", r.name),
                        fmt::format("length {}", data.seq_len),
                        fmt::format("length {}", r.seq.size()));
    }
    index.emplace(r.name, data.size());
    data.ids.push_back(r.name);
    std::string seq = r.seq;
    for (char& c : seq) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    data.seqs.push_back(std::move(seq));
  }

  const io::TsvTable t = io::read_tsv(labels_path);
  if (t.header != kLabelsHeader) {
    throw input_error(labels_path, 1, "wrong header",
                      fmt::format("'{}'", fmt::join(kLabelsHeader, " ")),
                      fmt::format("'{}'", fmt::join(t.header, " ")));
  }
  if (t.rows.size() != fasta.size()) {
    throw input_error(labels_path, 0, "wrong number of rows",
                      fmt::format("{} (one per sequence of {})", fasta.size(), fa_name),
                      fmt::format("{}", t.rows.size()));
  }
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const auto& row = t.rows[i];
    const long line = t.lines[i];
    if (row[0] != data.ids[i]) {
      throw input_error(labels_path, line, fmt::format("id does not match {}", fa_name),
                        fmt::format("'{}' (record {} of {})", data.ids[i], i + 1, fa_name),
                        quote_token(row[0]));
    }
    Split sp{};
    if (!parse_split(row[1], sp))
      throw input_error(labels_path, line, "unknown split", "train, valid or test", quote_token(row[1]));
    SeqClass cls{};
    if (!parse_class(row[2], cls)) {
      throw input_error(labels_path, line, "unknown class", "empty, gata_only, tal_only or both",
                        quote_token(row[2]));
    }
    std::array<std::uint8_t, kNumTasks> labels{};
    for (int k = 0; k < kNumTasks; ++k) {
      labels[static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(parse_int_field(
          row[static_cast<std::size_t>(3 + k)], labels_path, line, kLabelsHeader[static_cast<std::size_t>(3 + k)], 0, 1));
    }
    if (labels != labels_for(cls)) {
      const auto e = labels_for(cls);
      throw input_error(labels_path, line, fmt::format("labels disagree with class '{}'", class_name(cls)),
                        fmt::format("{} {} {}", e[0], e[1], e[2]),
                        fmt::format("{} {} {}", labels[0], labels[1], labels[2]));
    }
    data.splits.push_back(sp);
    data.classes.push_back(cls);
    data.labels.push_back(labels);
    data.n_gata.push_back(parse_int_field(row[6], labels_path, line, "n_gata", 0, 1 << 30));
    data.n_tal.push_back(parse_int_field(row[7], labels_path, line, "n_tal", 0, 1 << 30));
  }

  const std::vector<io::BedRecord> bed = io::read_bed(bed_path);
  std::vector<int> n_sites(fasta.size(), 0);
  for (std::size_t k = 0; k < bed.size(); ++k) {
    const io::BedRecord& b = bed[k];
    const long line = b.line;
    const auto it = index.find(b.chrom);
    if (it == index.end()) {
      throw input_error(bed_path, line, "unknown sequence id",
                        fmt::format("an id of {}", fa_name), quote_token(b.chrom));
    }
    if (b.start < 0 || b.end <= b.start || b.end > data.seq_len) {
      throw input_error(bed_path, line, "motif span outside the sequence",
                        fmt::format("0 <= start < end <= {}", data.seq_len),
                        fmt::format("{}-{}", b.start, b.end));
    }
    if (b.strand != '+' && b.strand != '-')
      throw input_error(bed_path, line, "bad strand", "+ or -", fmt::format("'{}'", b.strand));
    // BED6+1 keeps the log-odds in column 7; the old BED6 layout kept them in the score column.
    double log_odds = b.score;
    if (!b.extra.empty() && !parse_log_odds(b.extra[0], log_odds))
      throw input_error(bed_path, line, "bad log-odds in column 7", "a number", quote_token(b.extra[0]));
    ++n_sites[static_cast<std::size_t>(it->second)];
    data.sites.push_back({it->second, b.start, b.end, b.name, log_odds, b.strand});
  }
  for (std::size_t i = 0; i < n_sites.size(); ++i) {
    const long planted = static_cast<long>(data.n_gata[i]) + data.n_tal[i];  // long: counts come from a file
    if (n_sites[i] != planted) {
      throw input_error(labels_path, t.lines[i],
                        fmt::format("n_gata + n_tal of '{}' disagrees with motifs.bed", data.ids[i]),
                        fmt::format("{} (its lines in motifs.bed)", n_sites[i]),
                        fmt::format("{}", planted));
    }
  }
  std::stable_sort(data.sites.begin(), data.sites.end(), [](const MotifSite& a, const MotifSite& b) {
    return a.seq != b.seq ? a.seq < b.seq : a.start < b.start;
  });
  return data;
}

}  // namespace lb::sim
