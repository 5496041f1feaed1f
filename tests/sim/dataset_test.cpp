// Tests of sim/dataset (names, labels, stratified split, the dataset directory) and of
// dataset_from_simdata on a small simdata file written here.
#include "sim/dataset.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>

#include <gtest/gtest.h>

#include "core/alphabet.h"
#include "core/error.h"
#include "io/fasta.h"
#include "io/manifest.h"
#include "io/simdata.h"
#include "io/tsv.h"
#include "sim/sim_test_util.h"
#include "sim/simulator.h"
#include "testing/helpers.h"

namespace lb::sim {
namespace {

using lb::testing::list_dir;
using lb::testing::read_text;
using lb::testing::TempDir;
using lb::testing::write_text;
using testing::paper_gata;
using testing::paper_tal;

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const auto pos = text.find(from);
  if (pos == std::string::npos) throw std::runtime_error("not found: " + from);
  return text.replace(pos, from.size(), to);
}

// Rewrites `dir`/manifest.tsv for the files it lists, as they are now.
void reseal(const std::string& dir, std::vector<std::string> drop = {}) {
  std::vector<std::string> files;
  for (const auto& row : io::read_tsv(dir + "/manifest.tsv").rows)
    if (std::find(drop.begin(), drop.end(), row[0]) == drop.end()) files.push_back(row[0]);
  io::write_manifest(dir + "/manifest.tsv", files);
}

Dataset small_dataset(std::uint64_t seed = 3, int n = 300) {
  SimConfig c;
  c.n_seqs = n;
  c.revcomp_prob = 0.3;
  c.seed = seed;
  return simulate(c, paper_gata(), paper_tal());
}

// `truth`: also the scenario's ground truth (roles, keys, task kinds, class order), which a
// directory of the old layout does not have.
void expect_same_dataset(const Dataset& a, const Dataset& b, bool truth = true) {
  EXPECT_EQ(a.seq_len, b.seq_len);
  EXPECT_EQ(a.ids, b.ids);
  EXPECT_EQ(a.seqs, b.seqs);
  for (std::size_t i = 0; i < a.classes.size() && i < b.classes.size(); ++i)
    ASSERT_EQ(a.class_names[static_cast<std::size_t>(a.classes[i])], b.class_names[static_cast<std::size_t>(b.classes[i])]) << i;
  EXPECT_EQ(a.splits, b.splits);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_EQ(a.counts, b.counts);
  EXPECT_EQ(a.motif_keys, b.motif_keys);
  ASSERT_EQ(a.tasks.size(), b.tasks.size());
  if (!truth) {
    ASSERT_EQ(a.sites.size(), b.sites.size());
    return;
  }
  EXPECT_EQ(a.classes, b.classes);
  EXPECT_EQ(a.class_names, b.class_names);
  EXPECT_EQ(a.roles, b.roles);
  for (std::size_t t = 0; t < a.tasks.size(); ++t) {
    EXPECT_EQ(a.tasks[t].name, b.tasks[t].name);
    EXPECT_EQ(a.tasks[t].kind, b.tasks[t].kind);
    EXPECT_EQ(a.tasks[t].definition, b.tasks[t].definition);
  }
  ASSERT_EQ(a.sites.size(), b.sites.size());
  for (std::size_t k = 0; k < a.sites.size(); ++k) {
    EXPECT_EQ(a.sites[k].seq, b.sites[k].seq) << k;
    EXPECT_EQ(a.sites[k].start, b.sites[k].start) << k;
    EXPECT_EQ(a.sites[k].end, b.sites[k].end) << k;
    EXPECT_EQ(a.sites[k].motif, b.sites[k].motif) << k;
    EXPECT_EQ(a.sites[k].log_odds, b.sites[k].log_odds) << k;  // shortest round-trip text
    EXPECT_EQ(a.sites[k].strand, b.sites[k].strand) << k;
    EXPECT_EQ(a.sites[k].key, b.sites[k].key) << k;
  }
}

TEST(DatasetTest, NamesRoundTrip) {
  for (auto s : {Split::Train, Split::Valid, Split::Test}) {
    Split back{};
    ASSERT_TRUE(parse_split(split_name(s), back));
    EXPECT_EQ(back, s);
  }
  for (auto r : {Role::Irrelevant, Role::Driver, Role::Context, Role::Repressor}) {
    Role back{};
    ASSERT_TRUE(parse_role(role_name(r), back));
    EXPECT_EQ(back, r);
  }
  EXPECT_EQ(split_name(Split::Valid), "valid");
  EXPECT_EQ(role_name(Role::Repressor), "repressor");
  Split s{};
  Role r{};
  EXPECT_FALSE(parse_split("validation", s));
  EXPECT_FALSE(parse_role("drive", r));
}

// The paper scenario's labels: task0 = both motifs, task1 = GATA, task2 = TAL, from the content.
TEST(DatasetTest, PaperLabelsFollowTheClasses) {
  const Dataset d = small_dataset();
  ASSERT_EQ(d.class_names, (std::vector<std::string>{"empty", "gata_only", "tal_only", "both"}));
  for (int i = 0; i < d.size(); ++i) {
    const int c = d.classes[static_cast<std::size_t>(i)];
    const bool g = c == 1 || c == 3, t = c == 2 || c == 3;
    EXPECT_EQ(d.label(i, 0), g && t ? 1.0f : 0.0f) << i;
    EXPECT_EQ(d.label(i, 1), g ? 1.0f : 0.0f) << i;
    EXPECT_EQ(d.label(i, 2), t ? 1.0f : 0.0f) << i;
    EXPECT_EQ(d.count(i, 0) > 0, g) << i;
    EXPECT_EQ(d.count(i, 1) > 0, t) << i;
  }
}

TEST(DatasetTest, StratifiedSplitExactPerClass) {
  // 1000 of each class, interleaved: 800 / 100 / 100 of each.
  std::vector<int> classes;
  for (int i = 0; i < 4000; ++i) classes.push_back(i % 4);
  const auto split = stratified_split(classes, 4, {0.8, 0.1, 0.1}, 17);
  std::map<std::pair<int, int>, int> n;
  for (std::size_t i = 0; i < classes.size(); ++i) ++n[{static_cast<int>(classes[i]), static_cast<int>(split[i])}];
  for (int c = 0; c < 4; ++c) {
    EXPECT_EQ((n[{c, 0}]), 800);
    EXPECT_EQ((n[{c, 1}]), 100);
    EXPECT_EQ((n[{c, 2}]), 100);
  }
  EXPECT_EQ(split, stratified_split(classes, 4, {0.8, 0.1, 0.1}, 17));
  EXPECT_NE(split, stratified_split(classes, 4, {0.8, 0.1, 0.1}, 18));
  // 7 in one class: round(5.6) = 6 train, round(0.7) = 1 valid, 0 test.
  const std::vector<int> seven(7, 3);
  const auto s7 = stratified_split(seven, 4, {0.8, 0.1, 0.1}, 1);
  EXPECT_EQ(std::count(s7.begin(), s7.end(), Split::Train), 6);
  EXPECT_EQ(std::count(s7.begin(), s7.end(), Split::Valid), 1);
  // Rounding up never overdraws: 0.5/0.5/0 of 3 -> round(1.5) = 2 train, 1 valid.
  const std::vector<int> three(3, 0);
  const auto s3 = stratified_split(three, 1, {0.5, 0.5, 0}, 1);
  EXPECT_EQ(std::count(s3.begin(), s3.end(), Split::Train), 2);
  EXPECT_EQ(std::count(s3.begin(), s3.end(), Split::Valid), 1);
}

TEST(DatasetDirTest, WriteThenReadRoundTrips) {
  TempDir tmp;
  const std::string dir = tmp.file("ds");  // created by the writer
  const Dataset d = small_dataset();
  write_dataset_dir(dir, d, "[sim]\nseed = 3\n");
  EXPECT_EQ(list_dir(dir), (std::vector<std::string>{"classes.tsv", "config.ini", "labels.tsv", "manifest.tsv",
                                                      "motifs.bed", "roles.tsv", "sequences.fa", "sequences.fa.fai",
                                                      "tasks.tsv"}));
  EXPECT_EQ(read_text(dir + "/config.ini"), "[sim]\nseed = 3\n");
  const std::string labels = read_text(dir + "/labels.tsv");
  EXPECT_EQ(labels.substr(0, labels.find('\n')), "id\tsplit\tclass\ttask0\ttask1\ttask2\tn_gata\tn_tal");
  // Indexed access works (the .fai is valid).
  EXPECT_EQ(io::fetch_fasta_region(dir + "/sequences.fa", d.ids[17]), d.seqs[17]);
  expect_same_dataset(read_dataset_dir(dir), d);
}

TEST(DatasetDirTest, WithoutSitesReadsSequencesAndLabelsAndSkipsTheSiteFiles) {
  TempDir tmp;
  const std::string dir = tmp.file("ds");
  const Dataset d = small_dataset();
  write_dataset_dir(dir, d, "");
  // Everything the full reader gives but the sites and their roles.
  Dataset want = read_dataset_dir(dir);
  ASSERT_FALSE(want.sites.empty());
  want.sites.clear();
  want.roles.clear();
  expect_same_dataset(read_dataset_dir(dir, DatasetParts::NoSites), want);
  // The site files are neither read nor checked against the manifest...
  write_text(dir + "/motifs.bed", "not a bed line\n");
  std::filesystem::remove(dir + "/roles.tsv");
  expect_same_dataset(read_dataset_dir(dir, DatasetParts::NoSites), want);
  EXPECT_THROW(read_dataset_dir(dir), InputError);
  // ... but the files it reads are.
  const std::string labels = read_text(dir + "/labels.tsv");
  std::string bytes;
  for (const auto& r : io::read_tsv(dir + "/manifest.tsv").rows)
    if (r[0] == "labels.tsv") bytes = fmt::format("{} bytes with md5 {}", r[1], r[2]);
  write_text(dir + "/labels.tsv", labels + "\n");
  EXPECT_THROW_MSG(read_dataset_dir(dir, DatasetParts::NoSites), InputError,
                   fmt::format("{0}/manifest.tsv:4: 'labels.tsv' does not match; expected {1}, got {2} bytes (changed "
                               "or half replaced after {0}/manifest.tsv was written: rerun liftbench simulate)",
                               dir, bytes, labels.size() + 1));
}

TEST(DatasetDirTest, FileLinesHaveTheDocumentedColumns) {
  TempDir tmp;
  const Dataset d = small_dataset();
  write_dataset_dir(tmp.path(), d, "");
  const std::string labels = read_text(tmp.file("labels.tsv"));
  const std::string line1 = labels.substr(labels.find('\n') + 1, labels.find('\n', labels.find('\n') + 1) - labels.find('\n') - 1);
  EXPECT_EQ(line1, fmt::format("seq0000\t{}\t{}\t{}\t{}\t{}\t{}\t{}", split_name(d.splits[0]),
                               d.class_names[static_cast<std::size_t>(d.classes[0])], d.label(0, 0), d.label(0, 1),
                               d.label(0, 2), d.count(0, 0), d.count(0, 1)));
  // roles.tsv: one line per motifs.bed line, the key and a role per task.
  const std::string roles = read_text(tmp.file("roles.tsv"));
  const MotifSite& s0 = d.sites[0];
  const std::size_t b1 = roles.find('\n') + 1;
  EXPECT_EQ(roles.substr(0, b1 - 1), "id\tstart\tend\tkey\ttask0\ttask1\ttask2");
  EXPECT_EQ(roles.substr(b1, roles.find('\n', b1) - b1),
            fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}", d.ids[static_cast<std::size_t>(s0.seq)], s0.start, s0.end,
                        d.motif_keys[static_cast<std::size_t>(s0.key)], role_name(d.role(0, 0)), role_name(d.role(0, 1)),
                        role_name(d.role(0, 2))));
  EXPECT_EQ(read_text(tmp.file("tasks.tsv")),
            "task\tkind\tdefinition\ntask0\tbinary\tgata & tal\ntask1\tbinary\tgata\ntask2\tbinary\ttal\n");

  // BED6+1: the BED score from the log-odds, the log-odds themselves in column 7.
  const std::string bed = read_text(tmp.file("motifs.bed"));
  const MotifSite& s = d.sites[0];
  EXPECT_EQ(bed.substr(0, bed.find('\n')),
            fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}", d.ids[static_cast<std::size_t>(s.seq)], s.start,
                        s.end, s.motif, motif_bed_score(s.log_odds), s.strand, s.log_odds));
}

TEST(DatasetDirTest, BedScoreIsScaledClampedLogOdds) {
  EXPECT_EQ(motif_bed_score(-3.2), 0);
  EXPECT_EQ(motif_bed_score(0), 0);
  EXPECT_EQ(motif_bed_score(std::nan("")), 0);
  EXPECT_EQ(motif_bed_score(0.01), 1);  // 0.5 rounds away from zero
  EXPECT_EQ(motif_bed_score(0.0099), 0);
  EXPECT_EQ(motif_bed_score(8.959377228367844), 448);
  EXPECT_EQ(motif_bed_score(15.082078569560927), 754);
  EXPECT_EQ(motif_bed_score(19.98), 999);
  EXPECT_EQ(motif_bed_score(19.995), 1000);
  EXPECT_EQ(motif_bed_score(20), 1000);
  EXPECT_EQ(motif_bed_score(1e300), 1000);
  EXPECT_EQ(motif_bed_score(std::numeric_limits<double>::infinity()), 1000);
}

// Directories written before sequences.fa and BED6+1 (bgzip FASTA, log-odds in column 5) load
// into the same dataset.
TEST(DatasetDirTest, ReadsTheOldBgzipBed6Layout) {
  TempDir tmp;
  const Dataset d = small_dataset();
  write_dataset_dir(tmp.path(), d, "");
  std::vector<io::FastaRecord> records;
  for (int i = 0; i < d.size(); ++i) records.push_back({d.ids[static_cast<std::size_t>(i)], "", d.seqs[static_cast<std::size_t>(i)], 0});
  io::write_fasta_bgzf(tmp.file("sequences.fa.gz"), records);
  std::filesystem::remove(tmp.file("sequences.fa"));
  std::filesystem::remove(tmp.file("sequences.fa.fai"));
  std::string bed6;
  for (const MotifSite& s : d.sites)
    bed6 += fmt::format("{}\t{}\t{}\t{}\t{}\t{}\n", d.ids[static_cast<std::size_t>(s.seq)], s.start, s.end, s.motif,
                        s.log_odds, s.strand);
  write_text(tmp.file("motifs.bed"), bed6);
  for (const char* f : {"roles.tsv", "tasks.tsv", "classes.tsv"}) std::filesystem::remove(tmp.file(f));
  EXPECT_EQ(dataset_fasta_path(tmp.path()), tmp.file("sequences.fa.gz"));
  // Such a directory has no manifest: refused until sealed (here by hand, as a user who trusts it would).
  std::filesystem::remove(tmp.file("manifest.tsv"));
  EXPECT_THROW_MSG(read_dataset_dir(tmp.path()), InputError,
                   tmp.file("manifest.tsv") +
                       ": missing; expected the manifest written last by liftbench simulate, got no file (an "
                       "interrupted run, or a directory written before manifests: rerun liftbench simulate)");
  io::write_manifest(tmp.file("manifest.tsv"), std::vector<std::string>{"sequences.fa.gz", "sequences.fa.gz.fai",
                                                                        "sequences.fa.gz.gzi", "labels.tsv",
                                                                        "motifs.bed", "config.ini"});
  const Dataset old = read_dataset_dir(tmp.path());
  expect_same_dataset(old, d, false);
  EXPECT_FALSE(old.has_roles());  // evaluate asks for a new simulation
  EXPECT_EQ(old.sites[0].key, -1);
  // Writing the directory again replaces the old layout: no second copy of the sequences.
  write_dataset_dir(tmp.path(), d, "");
  EXPECT_EQ(list_dir(tmp.path()), (std::vector<std::string>{"classes.tsv", "config.ini", "labels.tsv", "manifest.tsv",
                                                            "motifs.bed", "roles.tsv", "sequences.fa",
                                                            "sequences.fa.fai", "tasks.tsv"}));
  EXPECT_EQ(dataset_fasta_path(tmp.path()), tmp.file("sequences.fa"));
  expect_same_dataset(read_dataset_dir(tmp.path()), d);
}

TEST(DatasetDirTest, SameSeedSameBytesOtherSeedDifferent) {
  TempDir tmp;
  const std::vector<std::string> files{"sequences.fa", "sequences.fa.fai", "labels.tsv",
                                       "motifs.bed", "config.ini"};
  write_dataset_dir(tmp.file("a"), small_dataset(8, 2000), "seed = 8\n");
  write_dataset_dir(tmp.file("b"), small_dataset(8, 2000), "seed = 8\n");
  write_dataset_dir(tmp.file("c"), small_dataset(9, 2000), "seed = 8\n");
  for (const auto& f : files) {
    const std::string a = read_text(tmp.file("a/" + f));
    ASSERT_FALSE(a.empty()) << f;
    EXPECT_EQ(a, read_text(tmp.file("b/" + f))) << f;
  }
  for (const std::string f : {"sequences.fa", "labels.tsv", "motifs.bed"})
    EXPECT_NE(read_text(tmp.file("a/" + f)), read_text(tmp.file("c/" + f))) << f;
}

// A directory half replaced (new sequences beside old labels, as a kill
// between two files of simulate leaves it) or edited after it was written is refused, naming
// the first file that does not match; a directory without its manifest (the kill came before
// the last file) is refused too. Before manifests, both were read as if whole.
TEST(DatasetDirTest, HalfReplacedOrEditedDirectoriesAreRefused) {
  TempDir tmp;
  const std::string dir = tmp.file("ds");
  // The manifest's row for `name`: {bytes, md5}.
  const auto row = [&](const std::string& name) {
    for (const auto& r : io::read_tsv(dir + "/manifest.tsv").rows)
      if (r[0] == name) return std::pair{r[1], r[2]};
    ADD_FAILURE() << name << " not in the manifest";
    return std::pair<std::string, std::string>{};
  };
  const std::string why = fmt::format(
      " (changed or half replaced after {}/manifest.tsv was written: rerun liftbench simulate)", dir);
  write_dataset_dir(dir, small_dataset(3, 200), "[sim]\nseed = 3\n");
  const std::string labels = read_text(dir + "/labels.tsv");
  // Same ids and layout, other sequences: everything parses; only the manifest knows.
  write_dataset_dir(tmp.file("other"), small_dataset(4, 200), "[sim]\nseed = 4\n");
  std::filesystem::copy_file(tmp.file("other/sequences.fa"), dir + "/sequences.fa",
                             std::filesystem::copy_options::overwrite_existing);
  const auto fa = row("sequences.fa");
  EXPECT_THROW_MSG(read_dataset_dir(dir), InputError,
                   fmt::format("{}/manifest.tsv:2: 'sequences.fa' does not match; expected {} bytes with md5 {}, got "
                               "{} bytes with md5 {}{}",
                               dir, fa.first, fa.second, std::filesystem::file_size(dir + "/sequences.fa"),
                               io::file_md5(dir + "/sequences.fa"), why));
  // A file of another size is named by its size alone (no checksum needed).
  write_dataset_dir(dir, small_dataset(3, 200), "[sim]\nseed = 3\n");
  write_text(dir + "/labels.tsv", labels.substr(0, labels.size() - 10));
  const auto lb = row("labels.tsv");
  EXPECT_THROW_MSG(read_dataset_dir(dir), InputError,
                   fmt::format("{}/manifest.tsv:4: 'labels.tsv' does not match; expected {} bytes with md5 {}, got {} "
                               "bytes{}",
                               dir, lb.first, lb.second, labels.size() - 10, why));
  write_text(dir + "/labels.tsv", labels);
  EXPECT_NO_THROW(read_dataset_dir(dir));
  const auto roles = row("roles.tsv");
  std::filesystem::remove(dir + "/roles.tsv");
  EXPECT_THROW_MSG(read_dataset_dir(dir), InputError,
                   fmt::format("{}/manifest.tsv:6: 'roles.tsv' is missing; expected {} bytes, got no file{}", dir,
                               roles.first, why));
  // A rewrite over it removes the manifest first and writes it last: whole again.
  write_dataset_dir(dir, small_dataset(3, 200), "[sim]\nseed = 3\n");
  EXPECT_NO_THROW(read_dataset_dir(dir));
}

class DatasetDirErrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = small_dataset(4, 40);
    write_dataset_dir(tmp_.path(), data_, "");
  }
  std::string path(const std::string& f) const { return tmp_.file(f); }
  // Edits a file and re-seals the manifest, so the reader's own checks are what fails.
  void edit(const std::string& f, const std::string& from, const std::string& to) {
    write_text(path(f), replace_once(read_text(path(f)), from, to));
    reseal(tmp_.path());
  }
  TempDir tmp_;
  Dataset data_;
};

TEST_F(DatasetDirErrorTest, LabelsIdsMustMatchFasta) {
  edit("labels.tsv", "seq0001\t", "seq0002\t");
  EXPECT_THROW_MSG(read_dataset_dir(tmp_.path()), InputError,
                   path("labels.tsv") + ":3: id does not match sequences.fa; expected 'seq0001' "
                                        "(record 2 of sequences.fa), got 'seq0002'");
}

TEST_F(DatasetDirErrorTest, HeaderMustBeExact) {
  edit("labels.tsv", "n_gata\tn_tal", "n_gata\ttal");
  EXPECT_THROW_MSG(read_dataset_dir(tmp_.path()), InputError,
                   path("labels.tsv") + ":1: bad column 'tal' after the counts; expected n_<motif> columns only after "
                                        "the first, got 'tal'");
  edit("labels.tsv", "id\tsplit", "name\tsplit");
  EXPECT_THROW_MSG(read_dataset_dir(tmp_.path()), InputError,
                   path("labels.tsv") + ":1: wrong header; expected 'id split class <tasks...> n_<motif>...', got "
                                        "'name split class task0 task1 task2 n_gata tal'");
}

TEST_F(DatasetDirErrorTest, BinaryLabelsAreZeroOrOne) {
  const std::string cls = data_.class_names[static_cast<std::size_t>(data_.classes[0])];
  const std::string row = fmt::format("seq0000\t{}\t{}\t{}\t", split_name(data_.splits[0]), cls, data_.label(0, 0));
  edit("labels.tsv", row, fmt::format("seq0000\t{}\t{}\t2\t", split_name(data_.splits[0]), cls));
  EXPECT_THROW_MSG(read_dataset_dir(tmp_.path()), InputError,
                   path("labels.tsv") + ":2: bad value in column 'task0'; expected 0 or 1, got '2'");
}

TEST_F(DatasetDirErrorTest, RolesMustBeKnownAndMatchBed) {
  ASSERT_FALSE(data_.sites.empty());
  const std::string roles = read_text(path("roles.tsv"));
  const std::size_t l2 = roles.find('\n') + 1, e2 = roles.find('\n', l2);
  const std::string line = roles.substr(l2, e2 - l2);
  write_text(path("roles.tsv"), roles.substr(0, l2) + line.substr(0, line.rfind('\t') + 1) + "helper" + roles.substr(e2));
  reseal(tmp_.path());
  EXPECT_THROW_MSG(read_dataset_dir(tmp_.path()), InputError,
                   path("roles.tsv") + ":2: unknown role in column 'task2'; expected driver, context, repressor or "
                                       "irrelevant, got 'helper'");
  const MotifSite& s0 = data_.sites[0];
  const std::string id = data_.ids[static_cast<std::size_t>(s0.seq)];
  write_text(path("roles.tsv"), roles.substr(0, l2) + replace_once(line, fmt::format("\t{}\t", s0.start), "\t999\t") +
                                    roles.substr(e2));
  reseal(tmp_.path());
  EXPECT_THROW_MSG(read_dataset_dir(tmp_.path()), InputError,
                   fmt::format("{}:2: instance differs from motifs.bed; expected '{} {} {}' (line 1 of motifs.bed), "
                               "got '{} 999 {}'",
                               path("roles.tsv"), id, s0.start, s0.end, id, s0.end));
}

TEST_F(DatasetDirErrorTest, UnknownSplitNamesLine) {
  const std::string split(split_name(data_.splits[0]));
  edit("labels.tsv", "seq0000\t" + split, "seq0000\tholdout");
  EXPECT_THROW_MSG(read_dataset_dir(tmp_.path()), InputError,
                   path("labels.tsv") + ":2: unknown split; expected train, valid or test, got 'holdout'");
}

TEST_F(DatasetDirErrorTest, BedIdsMustBeKnown) {
  ASSERT_FALSE(data_.sites.empty());
  const std::string id = data_.ids[static_cast<std::size_t>(data_.sites[0].seq)];
  edit("motifs.bed", id + "\t", "chr1\t");
  EXPECT_THROW_MSG(read_dataset_dir(tmp_.path()), InputError,
                   path("motifs.bed") + ":1: unknown sequence id; expected an id of sequences.fa, "
                                        "got 'chr1'");
}

TEST_F(DatasetDirErrorTest, BedLogOddsMustBeANumber) {
  const std::string bed = read_text(path("motifs.bed"));
  const std::size_t eol = bed.find('\n', bed.find('\n') + 1);  // end of line 2
  const std::size_t tab = bed.rfind('\t', eol);
  write_text(path("motifs.bed"), bed.substr(0, tab + 1) + "high" + bed.substr(eol));
  reseal(tmp_.path());
  EXPECT_THROW_MSG(read_dataset_dir(tmp_.path()), InputError,
                   path("motifs.bed") + ":2: bad log-odds in column 7; expected a number, got 'high'");
}

TEST_F(DatasetDirErrorTest, SiteCountsMustMatchBed) {
  // Drop the first BED line: its sequence now has one site fewer than labels.tsv says.
  const std::string bed = read_text(path("motifs.bed"));
  write_text(path("motifs.bed"), bed.substr(bed.find('\n') + 1));
  reseal(tmp_.path());
  const auto i = static_cast<std::size_t>(data_.sites[0].seq);
  const int n = data_.count(static_cast<int>(i), 0) + data_.count(static_cast<int>(i), 1);
  EXPECT_THROW_MSG(read_dataset_dir(tmp_.path()), InputError,
                   fmt::format("{}:{}: motif counts of '{}' disagree with motifs.bed; expected {} "
                               "(its lines in motifs.bed), got {}",
                               path("labels.tsv"), i + 2, data_.ids[i], n - 1, n));
}

// ---- dataset_from_simdata -------------------------------------------------------------------

// Independent log-odds: smoothed probabilities written out, '-' read on its own strand.
double expected_log_odds(const std::string& motif, std::string text, bool reverse,
                         const std::array<double, 4>& bg, double c) {
  const auto& m = io::find_motif(testing::paper_meme(), motif, testing::kMemePath);
  if (reverse) text = reverse_complement(text);
  double lo = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const std::size_t b = std::string("ACGT").find(text[i]);
    lo += std::log((m.probs[i][b] * (1 - c) + c / 4) / bg[b]);
  }
  return lo;
}

class SimdataTest : public ::testing::Test {
 protected:
  // Five 40-base sequences; embedded strings are consensus-like samples of the paper motifs.
  static constexpr const char* kGata = "GCAGATAAGG";          // width 10
  static constexpr const char* kTal = "CTGAACAGATGGTCGG";     // width 16
  static std::string bg40() { return std::string("TTAACCGGTATACGCGATATCCGGAATTACGTTGCAACGT"); }
  static std::string put(std::string s, std::size_t at, const std::string& what) {
    return s.replace(at, what.size(), what);
  }
  std::string text() const {
    const std::string g = kGata, t = kTal, g_rc = reverse_complement(kGata);
    std::string out = "seqName\tsequence\tembeddings\ttask1\ttask2\ttask3\n";
    out += "s_empty\t" + bg40() + "\t\t0\t0\t0\n";
    out += "s_gata\t" + put(bg40(), 5, g) + "\tpos-5_GATA_disc1-" + g + "\t0\t1\t0\n";
    out += "s_both\t" + put(put(bg40(), 2, t), 25, g_rc) + "\tpos-2_TAL1_known1-" + t +
           ",pos-25_revComp-GATA_disc1-" + g_rc + "\t1\t1\t1\n";
    out += "s_tal2\t" + put(put(bg40(), 0, t), 20, t) + "\tpos-0_TAL1_known1-" + t +
           ",pos-20_TAL1_known1-" + t + "\t0\t0\t1\n";
    out += "s_gata2\t" + put(put(bg40(), 0, g), 30, g) + "\tpos-30_GATA_disc1-" + g +
           ",pos-0_GATA_disc1-" + g + "\t0\t1\t0\n";
    return out;
  }
  Dataset convert(const std::string& content) {
    const std::string p = tmp_.file("x.simdata");
    write_text(p, content);
    return dataset_from_simdata(io::read_simdata(p), p, cfg_, paper_gata(), paper_tal());
  }
  TempDir tmp_;
  SimConfig cfg_;
};

TEST_F(SimdataTest, ClassesCountsAndLogOdds) {
  cfg_.background = {0.27, 0.23, 0.23, 0.27};
  const Dataset d = convert(text());
  ASSERT_EQ(d.size(), 5);
  EXPECT_EQ(d.seq_len, 40);
  EXPECT_EQ(d.ids, (std::vector<std::string>{"s_empty", "s_gata", "s_both", "s_tal2", "s_gata2"}));
  EXPECT_EQ(d.classes, (std::vector<int>{0, 1, 3, 2, 1}));  // empty, gata_only, both, tal_only, gata_only
  EXPECT_EQ(d.counts, (std::vector<int>{0, 0, 1, 0, 1, 1, 0, 2, 2, 0}));  // (gata, tal) per sequence
  EXPECT_EQ(d.label(2, 0), 1.0f);
  EXPECT_EQ(d.label(2, 1), 1.0f);
  EXPECT_EQ(d.label(2, 2), 1.0f);
  // Roles from the paper's tasks: s_gata's GATA instance (site 0, class gata_only) drives task1,
  // is context for task0 (no TAL partner) and irrelevant to task2; s_both's two drive task0.
  EXPECT_EQ(d.role(0, 0), Role::Context);
  EXPECT_EQ(d.role(0, 1), Role::Driver);
  EXPECT_EQ(d.role(0, 2), Role::Irrelevant);
  EXPECT_EQ(d.role(1, 0), Role::Driver);
  EXPECT_EQ(d.role(2, 0), Role::Driver);
  ASSERT_EQ(d.sites.size(), 7u);
  // Sorted by (seq, start): s_gata2's embeddings were listed out of order.
  EXPECT_EQ(d.sites[5].start, 0);
  EXPECT_EQ(d.sites[6].start, 30);
  const auto& bg = cfg_.background;
  for (const MotifSite& s : d.sites) {
    const std::string text = d.seqs[static_cast<std::size_t>(s.seq)].substr(
        static_cast<std::size_t>(s.start), static_cast<std::size_t>(s.end - s.start));
    EXPECT_NEAR(s.log_odds, expected_log_odds(s.motif, text, s.strand == '-', bg, 0.001), 1e-9)
        << d.ids[static_cast<std::size_t>(s.seq)] << " " << s.start;
  }
  // The reverse GATA in s_both scores as high as the forward one: same planted string.
  EXPECT_EQ(d.sites[2].motif, "GATA_disc1");
  EXPECT_EQ(d.sites[2].strand, '-');
  EXPECT_NEAR(d.sites[2].log_odds, d.sites[0].log_odds, 1e-12);
  EXPECT_GT(d.sites[0].log_odds, 7);
  EXPECT_EQ(d.splits, stratified_split(d.classes, 4, cfg_.split, cfg_.seed));
}

TEST_F(SimdataTest, LabelDisagreementNamesLine) {
  const std::string bad = replace_once(text(), "\t0\t1\t0\n", "\t0\t1\t1\n");
  EXPECT_THROW_MSG(convert(bad), InputError,
                   tmp_.file("x.simdata") + ":3: sequence 's_gata': labels disagree with the "
                                            "embeddings (class gata_only); expected labels 0,1,0, got 0,1,1");
}

TEST_F(SimdataTest, UnequalLengthNamesLine) {
  const std::string bad = replace_once(text(), "s_tal2\t", "s_tal2\tA");
  std::string fixed = bad;  // shift the embedding starts of the longer sequence
  fixed = replace_once(fixed, "pos-0_TAL1_known1", "pos-1_TAL1_known1");
  fixed = replace_once(fixed, "pos-20_TAL1_known1", "pos-21_TAL1_known1");
  EXPECT_THROW_MSG(convert(fixed), InputError,
                   tmp_.file("x.simdata") + ":5: sequence 's_tal2' differs in length from the first; "
                                            "expected length 40, got length 41");
}

TEST_F(SimdataTest, UnknownMotifNamesLine) {
  const std::string bad = replace_once(text(), "pos-5_GATA_disc1", "pos-5_GATA_known2");
  EXPECT_THROW_MSG(convert(bad), InputError,
                   tmp_.file("x.simdata") + ":3: sequence 's_gata': unknown motif in embeddings; "
                                            "expected GATA_disc1 or TAL1_known1, got 'GATA_known2'");
}

// ---- the dataset directory read by genomics tools ------------------------------------------

// `bedtools getfasta -s` on sequences.fa and motifs.bed gives every planted string in its
// motif's orientation: the sequence span (reverse-complemented on '-'), whose log-odds under
// the motif's smoothed PWM are column 7. Debian 12's bedtools 2.30 read garbage from the old
// bgzip sequences.fa.gz (exit 0); this test fails, never skips, without bedtools
// (scripts/setup.sh --tests installs it).
TEST(DatasetToolsTest, BedtoolsGetfastaExtractsThePlantedStrings) {
  ASSERT_EQ(std::system("command -v bedtools >/dev/null 2>&1"), 0)
      << "bedtools not found on PATH: this test needs it (scripts/setup.sh --tests installs the Debian package)";
  TempDir tmp;
  SimConfig cfg;
  cfg.n_seqs = 200;
  cfg.revcomp_prob = 0.5;
  cfg.seed = 11;
  const Dataset d = simulate(cfg, paper_gata(), paper_tal());
  write_dataset_dir(tmp.path(), d, "");
  const auto r = lb::testing::run_command("bedtools getfasta -fi " + tmp.file("sequences.fa") + " -bed " +
                                          tmp.file("motifs.bed") + " -s -name -tab");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines;
  for (std::size_t pos = 0, nl; (nl = r.out.find('\n', pos)) != std::string::npos; pos = nl + 1)
    lines.push_back(r.out.substr(pos, nl - pos));
  ASSERT_EQ(lines.size(), d.sites.size()) << r.out.substr(0, 500);
  int reverse = 0;
  for (std::size_t k = 0; k < d.sites.size(); ++k) {
    const MotifSite& s = d.sites[k];
    const std::string& id = d.ids[static_cast<std::size_t>(s.seq)];
    std::string planted = d.seqs[static_cast<std::size_t>(s.seq)].substr(static_cast<std::size_t>(s.start),
                                                                         static_cast<std::size_t>(s.end - s.start));
    if (s.strand == '-') planted = reverse_complement(planted), ++reverse;
    // bedtools 2.30 names a -name -s line "name::chrom:start-end(strand)".
    EXPECT_EQ(lines[k], fmt::format("{}::{}:{}-{}({})\t{}", s.motif, id, s.start, s.end, s.strand, planted)) << k;
    const std::string got = lines[k].substr(lines[k].find('\t') + 1);
    EXPECT_NEAR(expected_log_odds(s.motif, got, false, cfg.background, cfg.pseudocount), s.log_odds, 1e-9) << k;
  }
  EXPECT_GT(reverse, 20);  // both orientations were checked
}

}  // namespace
}  // namespace lb::sim
