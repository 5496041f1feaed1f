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
#include "io/manifest.h"
#include "io/tsv.h"

namespace lb::sim {

namespace {

constexpr std::string_view kSplitNames[] = {"train", "valid", "test"};
constexpr std::string_view kRoleNames[] = {"irrelevant", "driver", "context", "repressor"};
constexpr std::string_view kTaskKinds[] = {"binary", "linear"};

template <class V>
int index_of(const V& names, std::string_view name) {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<int>(i);
  return -1;
}

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

std::string_view split_name(Split s) { return kSplitNames[static_cast<int>(s)]; }
std::string_view role_name(Role r) { return kRoleNames[static_cast<int>(r)]; }

bool parse_split(std::string_view name, Split& out) {
  for (int i = 0; i < 3; ++i) {
    if (kSplitNames[i] == name) {
      out = static_cast<Split>(i);
      return true;
    }
  }
  return false;
}

bool parse_role(std::string_view name, Role& out) {
  for (int i = 0; i < 4; ++i) {
    if (kRoleNames[i] == name) {
      out = static_cast<Role>(i);
      return true;
    }
  }
  return false;
}

int Dataset::class_index(std::string_view name) const { return index_of(class_names, name); }
int Dataset::task_index(std::string_view name) const {
  for (std::size_t t = 0; t < tasks.size(); ++t)
    if (tasks[t].name == name) return static_cast<int>(t);
  return -1;
}
int Dataset::key_index(std::string_view name) const { return index_of(motif_keys, name); }

std::vector<Split> stratified_split(const std::vector<int>& classes, int n_classes,
                                    const std::array<double, 3>& fractions, std::uint64_t seed) {
  // One stream for the whole split, far from the simulator's streams 0 (classes) and 1 + i
  // (sequence i), so splitting never reuses a draw that shaped a sequence.
  Rng rng(seed, kSplitStream);
  std::vector<Split> out(classes.size(), Split::Test);
  std::vector<std::size_t> members;
  for (int c = 0; c < n_classes; ++c) {
    members.clear();
    for (std::size_t i = 0; i < classes.size(); ++i)
      if (classes[i] == c) members.push_back(i);
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

void write_dataset_dir(const std::string& dir, const Dataset& data, std::string_view config_ini,
                       std::string_view scenario_ini) {
  const auto n = static_cast<std::size_t>(data.size());
  const auto T = static_cast<std::size_t>(data.n_tasks()), M = static_cast<std::size_t>(data.n_keys());
  LB_CHECK(data.seqs.size() == n && data.classes.size() == n && data.splits.size() == n &&
               data.labels.size() == n * T && data.counts.size() == n * M &&
               data.roles.size() == data.sites.size() * T,
           "inconsistent Dataset: {} ids", n);
  io::ensure_output_dir(dir);
  // The manifest is written last and config.ini just before it: without both, the directory is
  // not a complete dataset (docs/reliability.md), whatever else a killed run left in it.
  io::remove_stale_marker(dir + "/" + std::string(kDatasetManifest));
  io::remove_stale_marker(dir + "/config.ini");

  std::vector<io::FastaRecord> records(n);
  for (std::size_t i = 0; i < n; ++i) {
    records[i].name = data.ids[i];
    records[i].seq = data.seqs[i];
  }
  io::write_fasta_indexed(dir + "/sequences.fa", records);
  // The bgzip layout of earlier versions: a second, stale copy of the sequences otherwise.
  for (const char* old : {"/sequences.fa.gz", "/sequences.fa.gz.fai", "/sequences.fa.gz.gzi"})
    remove_if_present(dir + old);

  std::vector<std::string> header{"id", "split", "class"};
  for (const TaskInfo& t : data.tasks) header.push_back(t.name);
  for (const std::string& k : data.motif_keys) header.push_back("n_" + k);
  std::vector<std::vector<std::string>> rows(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto& row = rows[i];
    row = {data.ids[i], std::string(split_name(data.splits[i])),
           data.class_names[static_cast<std::size_t>(data.classes[i])]};
    for (std::size_t t = 0; t < T; ++t) row.push_back(fmt::format("{}", data.labels[i * T + t]));
    for (std::size_t k = 0; k < M; ++k) row.push_back(std::to_string(data.counts[i * M + k]));
  }
  io::write_tsv(dir + "/labels.tsv", header, rows);

  std::vector<io::BedRecord> bed;
  bed.reserve(data.sites.size());
  std::vector<std::string> role_header{"id", "start", "end", "key"};
  for (const TaskInfo& t : data.tasks) role_header.push_back(t.name);
  std::vector<std::vector<std::string>> role_rows;
  for (std::size_t si = 0; si < data.sites.size(); ++si) {
    const MotifSite& s = data.sites[si];
    LB_CHECK(s.seq >= 0 && static_cast<std::size_t>(s.seq) < n, "site of sequence {}", s.seq);
    LB_CHECK(s.key >= 0 && static_cast<std::size_t>(s.key) < M, "site with key {}", s.key);
    io::BedRecord r;
    r.chrom = data.ids[static_cast<std::size_t>(s.seq)];
    r.start = s.start, r.end = s.end;
    r.name = s.motif;
    r.score = motif_bed_score(s.log_odds);
    r.strand = s.strand;
    r.extra = {fmt::format("{}", s.log_odds)};  // shortest text that reads back to the same double
    bed.push_back(std::move(r));
    std::vector<std::string> rr{data.ids[static_cast<std::size_t>(s.seq)], std::to_string(s.start),
                                std::to_string(s.end), data.motif_keys[static_cast<std::size_t>(s.key)]};
    for (std::size_t t = 0; t < T; ++t) rr.emplace_back(role_name(data.roles[si * T + t]));
    role_rows.push_back(std::move(rr));
  }
  io::write_bed(dir + "/motifs.bed", bed);
  io::write_tsv(dir + "/roles.tsv", role_header, role_rows);
  std::vector<std::vector<std::string>> task_rows;
  for (const TaskInfo& t : data.tasks)
    task_rows.push_back({t.name, std::string(kTaskKinds[static_cast<int>(t.kind)]), t.definition});
  io::write_tsv(dir + "/tasks.tsv", {"task", "kind", "definition"}, task_rows);
  std::vector<std::vector<std::string>> class_rows;
  for (const std::string& c : data.class_names) class_rows.push_back({c});
  io::write_tsv(dir + "/classes.tsv", {"class"}, class_rows);
  if (!scenario_ini.empty()) io::write_file_atomic(dir + "/scenario.ini", scenario_ini);
  else remove_if_present(dir + "/scenario.ini");
  io::write_file_atomic(dir + "/config.ini", config_ini);

  // Last: every file above with its size and MD5; readers check them before anything else.
  std::vector<std::string> files{"sequences.fa", "sequences.fa.fai", "labels.tsv", "motifs.bed",
                                 "roles.tsv",    "tasks.tsv",        "classes.tsv"};
  if (!scenario_ini.empty()) files.emplace_back("scenario.ini");
  files.emplace_back("config.ini");
  io::write_manifest(dir + "/" + std::string(kDatasetManifest), files);
}

namespace {

// read_dataset_dir without the manifest check: every other check of the reader.
Dataset read_dataset_files(const std::string& dir, DatasetParts parts) {
  const std::string fa_path = dataset_fasta_path(dir);
  const std::string fa_name = std::filesystem::path(fa_path).filename().string();
  const std::string labels_path = dir + "/labels.tsv";
  const std::string bed_path = dir + "/motifs.bed";

  Dataset data;
  std::vector<io::FastaRecord> fasta = io::read_fasta(fa_path);
  std::unordered_map<std::string, int> index;
  for (io::FastaRecord& r : fasta) {
    if (data.ids.empty()) data.seq_len = static_cast<int>(r.seq.size());
    if (r.seq.size() != static_cast<std::size_t>(data.seq_len)) {
      throw input_error(fa_path, r.line,
                        fmt::format("sequence '{}' differs in length from the first", r.name),
                        fmt::format("length {}", data.seq_len),
                        fmt::format("length {}", r.seq.size()));
    }
    if (parts == DatasetParts::All) index.emplace(r.name, data.size());  // only motifs.bed looks ids up
    for (char& c : r.seq) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    data.ids.push_back(std::move(r.name));
    data.seqs.push_back(std::move(r.seq));
  }

  const io::TsvTable t = io::read_tsv(labels_path);
  // Header: id split class <tasks...> n_<key>...
  const auto& h = t.header;
  if (h.size() < 4 || h[0] != "id" || h[1] != "split" || h[2] != "class") {
    throw input_error(labels_path, 1, "wrong header", "'id split class <tasks...> n_<motif>...'",
                      fmt::format("'{}'", fmt::join(h, " ")));
  }
  std::size_t first_key = 3;
  while (first_key < h.size() && !h[first_key].starts_with("n_")) ++first_key;
  for (std::size_t c = 3; c < first_key; ++c) data.tasks.push_back({h[c], TaskKind::Binary, ""});
  for (std::size_t c = first_key; c < h.size(); ++c) {
    if (!h[c].starts_with("n_") || h[c].size() < 3)
      throw input_error(labels_path, 1, fmt::format("bad column '{}' after the counts", h[c]),
                        "n_<motif> columns only after the first", quote_token(h[c]));
    data.motif_keys.push_back(h[c].substr(2));
  }
  if (data.tasks.empty())
    throw input_error(labels_path, 1, "no task columns", "at least one task between 'class' and the n_ columns",
                      fmt::format("'{}'", fmt::join(h, " ")));
  // tasks.tsv (optional in older directories): the kind and definition of each task.
  const std::string tasks_path = dir + "/tasks.tsv";
  if (std::filesystem::exists(tasks_path)) {
    const io::TsvTable tt = io::read_tsv(tasks_path);
    if (tt.header != std::vector<std::string>{"task", "kind", "definition"})
      throw input_error(tasks_path, 1, "wrong header", "'task kind definition'",
                        fmt::format("'{}'", fmt::join(tt.header, " ")));
    if (tt.rows.size() != data.tasks.size())
      throw input_error(tasks_path, 0, "wrong number of tasks", fmt::format("{} (the tasks of labels.tsv)", data.tasks.size()),
                        fmt::format("{}", tt.rows.size()));
    for (std::size_t k = 0; k < tt.rows.size(); ++k) {
      const auto& row = tt.rows[k];
      if (row[0] != data.tasks[k].name)
        throw input_error(tasks_path, tt.lines[k], "task does not match labels.tsv",
                          quote_token(data.tasks[k].name), quote_token(row[0]));
      const int kind = index_of(std::vector<std::string_view>(std::begin(kTaskKinds), std::end(kTaskKinds)), row[1]);
      if (kind < 0) throw input_error(tasks_path, tt.lines[k], "unknown task kind", "binary or linear", quote_token(row[1]));
      data.tasks[k].kind = static_cast<TaskKind>(kind);
      data.tasks[k].definition = row[2];
    }
  }
  // classes.tsv (optional in older directories): the scenario's classes in their order.
  const std::string classes_path = dir + "/classes.tsv";
  const bool fixed_classes = std::filesystem::exists(classes_path);
  if (fixed_classes) {
    const io::TsvTable ct = io::read_tsv(classes_path);
    if (ct.header != std::vector<std::string>{"class"})
      throw input_error(classes_path, 1, "wrong header", "'class'", fmt::format("'{}'", fmt::join(ct.header, " ")));
    for (const auto& row : ct.rows) data.class_names.push_back(row[0]);
  }
  if (t.rows.size() != fasta.size()) {
    throw input_error(labels_path, 0, "wrong number of rows",
                      fmt::format("{} (one per sequence of {})", fasta.size(), fa_name),
                      fmt::format("{}", t.rows.size()));
  }
  const std::size_t T = data.tasks.size(), M = data.motif_keys.size();
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
    int cls = index_of(data.class_names, row[2]);
    if (cls < 0 && fixed_classes)
      throw input_error(labels_path, line, "unknown class",
                        fmt::format("one of classes.tsv ({})", fmt::join(data.class_names, ", ")), quote_token(row[2]));
    if (cls < 0) {
      cls = static_cast<int>(data.class_names.size());
      data.class_names.push_back(row[2]);
    }
    for (std::size_t k = 0; k < T; ++k) {
      const std::string& text = row[3 + k];
      if (data.tasks[k].kind == TaskKind::Binary) {
        data.labels.push_back(static_cast<float>(parse_int_field(text, labels_path, line, h[3 + k], 0, 1)));
      } else {
        double v = 0;
        if (!parse_log_odds(text, v) || !std::isfinite(v))
          throw input_error(labels_path, line, fmt::format("bad value in column '{}'", h[3 + k]), "a finite number",
                            quote_token(text));
        data.labels.push_back(static_cast<float>(v));
      }
    }
    data.splits.push_back(sp);
    data.classes.push_back(cls);
    for (std::size_t k = 0; k < M; ++k)
      data.counts.push_back(parse_int_field(row[first_key + k], labels_path, line, h[first_key + k], 0, 1 << 30));
  }

  if (parts == DatasetParts::NoSites) return data;

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
    data.sites.push_back({it->second, b.start, b.end, b.name, log_odds, b.strand, -1});
  }
  for (std::size_t i = 0; i < n_sites.size(); ++i) {
    long planted = 0;  // long: counts come from a file
    for (std::size_t k = 0; k < M; ++k) planted += data.counts[i * M + k];
    if (n_sites[i] != planted) {
      throw input_error(labels_path, t.lines[i],
                        fmt::format("motif counts of '{}' disagree with motifs.bed", data.ids[i]),
                        fmt::format("{} (its lines in motifs.bed)", n_sites[i]),
                        fmt::format("{}", planted));
    }
  }

  // roles.tsv (optional in older directories): each motifs.bed line's key and role per task.
  const std::string roles_path = dir + "/roles.tsv";
  if (std::filesystem::exists(roles_path)) {
    const io::TsvTable rt = io::read_tsv(roles_path);
    std::vector<std::string> want{"id", "start", "end", "key"};
    for (const TaskInfo& task : data.tasks) want.push_back(task.name);
    if (rt.header != want)
      throw input_error(roles_path, 1, "wrong header", fmt::format("'{}'", fmt::join(want, " ")),
                        fmt::format("'{}'", fmt::join(rt.header, " ")));
    if (rt.rows.size() != data.sites.size())
      throw input_error(roles_path, 0, "wrong number of rows", fmt::format("{} (one per line of motifs.bed)", data.sites.size()),
                        fmt::format("{}", rt.rows.size()));
    std::vector<int> per_key(fasta.size() * M, 0);
    for (std::size_t k = 0; k < rt.rows.size(); ++k) {
      const auto& row = rt.rows[k];
      MotifSite& site = data.sites[k];
      if (row[0] != data.ids[static_cast<std::size_t>(site.seq)] || row[1] != std::to_string(site.start) ||
          row[2] != std::to_string(site.end))
        throw input_error(roles_path, rt.lines[k], "instance differs from motifs.bed",
                          fmt::format("'{} {} {}' (line {} of motifs.bed)", data.ids[static_cast<std::size_t>(site.seq)],
                                      site.start, site.end, bed[k].line),
                          fmt::format("'{} {} {}'", row[0], row[1], row[2]));
      site.key = index_of(data.motif_keys, row[3]);
      if (site.key < 0)
        throw input_error(roles_path, rt.lines[k], "unknown motif key",
                          fmt::format("one of the n_ columns of labels.tsv ({})", fmt::join(data.motif_keys, ", ")),
                          quote_token(row[3]));
      ++per_key[static_cast<std::size_t>(site.seq) * M + static_cast<std::size_t>(site.key)];
      for (std::size_t task = 0; task < T; ++task) {
        Role r{};
        if (!parse_role(row[4 + task], r))
          throw input_error(roles_path, rt.lines[k], fmt::format("unknown role in column '{}'", want[4 + task]),
                            "driver, context, repressor or irrelevant", quote_token(row[4 + task]));
        data.roles.push_back(r);
      }
    }
    for (std::size_t i = 0; i < fasta.size(); ++i)
      for (std::size_t k = 0; k < M; ++k)
        if (per_key[i * M + k] != data.counts[i * M + k])
          throw input_error(labels_path, t.lines[i],
                            fmt::format("n_{} of '{}' disagrees with roles.tsv", data.motif_keys[k], data.ids[i]),
                            fmt::format("{} (its instances of '{}' in roles.tsv)", per_key[i * M + k], data.motif_keys[k]),
                            fmt::format("{}", data.counts[i * M + k]));
  }
  // Sites (and their roles with them) sorted by (seq, start).
  std::vector<std::size_t> order(data.sites.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const MotifSite& x = data.sites[a];
    const MotifSite& y = data.sites[b];
    return x.seq != y.seq ? x.seq < y.seq : x.start < y.start;
  });
  std::vector<MotifSite> sites;
  std::vector<Role> roles;
  for (std::size_t k : order) {
    sites.push_back(std::move(data.sites[k]));
    if (!data.roles.empty())
      roles.insert(roles.end(), data.roles.begin() + static_cast<std::ptrdiff_t>(k * T),
                   data.roles.begin() + static_cast<std::ptrdiff_t>((k + 1) * T));
  }
  data.sites = std::move(sites);
  data.roles = std::move(roles);
  return data;
}

}  // namespace

Dataset read_dataset_dir(const std::string& dir, DatasetParts parts) {
  const std::vector<std::string> unread = parts == DatasetParts::NoSites
                                              ? std::vector<std::string>{"motifs.bed", "roles.tsv"}
                                              : std::vector<std::string>{};
  io::verify_manifest(dir + "/" + std::string(kDatasetManifest), "liftbench simulate", unread);
  return read_dataset_files(dir, parts);
}

std::vector<std::string> seal_dataset_dir(const std::string& dir) {
  // Refuses, with the reader's message, a directory that would not read.
  read_dataset_files(dir, DatasetParts::All);
  std::vector<std::string> files;
  for (const char* name : {"sequences.fa", "sequences.fa.fai", "sequences.fa.gz", "sequences.fa.gz.fai",
                           "sequences.fa.gz.gzi", "labels.tsv", "motifs.bed", "roles.tsv", "tasks.tsv", "classes.tsv",
                           "scenario.ini", "config.ini"})
    if (std::filesystem::is_regular_file(dir + "/" + name)) files.emplace_back(name);
  io::write_manifest(dir + "/" + std::string(kDatasetManifest), files);
  return files;
}

}  // namespace lb::sim
