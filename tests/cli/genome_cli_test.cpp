// `predict` and `attribute` on regions of a reference genome (docs/genomes.md): a small
// genome built from the smoke dataset's test sequences (the peaks, with their planted motifs)
// between random spacers on three chromosomes. The regions' scores equal those of the same
// sequences given as --fasta, whatever the chunk size and thread count; samtools faidx reads the
// windows the archive records; each bad input stops with one line naming the file and line.
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/alphabet.h"
#include "io/fasta.h"
#include "io/tsv.h"
#include "testing/helpers.h"

namespace lb {
namespace {

using lb::testing::list_dir;
using lb::testing::read_text;
using lb::testing::run_command;
using lb::testing::run_liftbench;
using lb::testing::TempDir;
using lb::testing::write_text;

const std::string kSmoke = std::string(LB_SOURCE_DIR) + "/configs/smoke.ini";

// The smoke dataset and a model trained on it, once for the file.
struct Smoke {
  TempDir dir;
  std::string data, model;
  Smoke() : data(dir.file("data")), model(dir.file("model.npz")) {
    auto r = run_liftbench("simulate -q -c " + kSmoke + " -o " + data);
    if (r.exit_code != 0) ADD_FAILURE() << r.err;
    r = run_liftbench("train -q -c " + kSmoke + " --data " + data + " -o " + model);
    if (r.exit_code != 0) ADD_FAILURE() << r.err;
  }
};
const Smoke& smoke() {
  static const Smoke s;
  return s;
}

// A generated genome: the test split's sequences (200 bases) as peaks on chr1..chr3 in turn,
// between spacers of 40-299 random bases (a fixed LCG); chr2 soft-masked (lower case). Writes
// genome.fa (unindexed), peaks.bed (BED4, the peaks in order, named by their ids) and
// peaks.fa (the same sequences as FASTA records, upper case).
struct GenomeFixture {
  std::vector<std::string> ids, chroms;
  std::vector<std::int64_t> starts;
  std::vector<std::string> seqs;
};
GenomeFixture write_genome(const std::string& dir) {
  const auto labels = io::read_tsv(smoke().data + "/labels.tsv");
  const auto records = io::read_fasta(smoke().data + "/sequences.fa");
  std::map<std::string, std::string> by_id;
  for (const auto& r : records) by_id[r.name] = r.seq;
  GenomeFixture g;
  std::string chrom[3];
  std::uint64_t state = 12345;
  const auto next = [&state] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  };
  const auto spacer = [&](std::string& s) {
    const std::uint64_t n = 40 + next() % 260;
    for (std::uint64_t i = 0; i < n; ++i) s += "ACGT"[next() % 4];
  };
  int k = 0;
  for (const auto& row : labels.rows) {
    if (row[1] != "test") continue;
    std::string& c = chrom[k % 3];
    spacer(c);
    g.ids.push_back(row[0]);
    g.chroms.push_back(fmt::format("chr{}", k % 3 + 1));
    g.starts.push_back(static_cast<std::int64_t>(c.size()));
    g.seqs.push_back(by_id.at(row[0]));
    c += g.seqs.back();
    ++k;
  }
  std::vector<io::FastaRecord> genome, peaks;
  for (int i = 0; i < 3; ++i) {
    spacer(chrom[i]);
    if (i == 1)
      for (char& ch : chrom[i]) ch = static_cast<char>(ch | 0x20);
    genome.push_back({fmt::format("chr{}", i + 1), "", chrom[i], 0});
  }
  io::write_fasta_plain(dir + "/genome.fa", genome, 60);
  std::string bed;
  for (std::size_t i = 0; i < g.ids.size(); ++i) {
    bed += fmt::format("{}\t{}\t{}\t{}\n", g.chroms[i], g.starts[i], g.starts[i] + 200, g.ids[i]);
    peaks.push_back({g.ids[i], "", g.seqs[i], 0});
  }
  write_text(dir + "/peaks.bed", bed);
  io::write_fasta_plain(dir + "/peaks.fa", peaks, 60);
  return g;
}

// Every array of `a` equals the one of the same name in `b` (numpy), `extra` members only in b.
void expect_same_arrays(const std::string& a, const std::string& b, const std::string& extra) {
  const std::string py =
      "import sys, numpy as np\n"
      "a, b = np.load(sys.argv[1]), np.load(sys.argv[2])\n"
      "assert sorted(set(b.files) - set(a.files)) == sorted(sys.argv[3].split(',')), (a.files, b.files)\n"
      "for k in a.files:\n"
      "    assert a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k]), k\n"
      "print(len(a.files))\n";
  TempDir tmp;
  write_text(tmp.file("same.py"), py);
  const auto r = run_command("/usr/bin/python3 " + tmp.file("same.py") + " " + a + " " + b + " " + extra);
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

const std::string kMethods = " --methods deeplift:genomics@dinuc_shuffle,grad_x_input,ism";

TEST(GenomeCliTest, RegionScoresEqualTheSameSequencesAsFasta) {
  TempDir tmp;
  const GenomeFixture g = write_genome(tmp.path());
  const std::string base = "attribute -c " + kSmoke + " --model " + smoke().model + kMethods;
  auto r = run_liftbench(base + " --fasta " + tmp.file("peaks.fa") + " -o " + tmp.file("f/scores.npz"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_liftbench(base + " --genome " + tmp.file("genome.fa") + " --regions " + tmp.file("peaks.bed") +
                    " --chunk 7 --threads 2 -o " + tmp.file("g/scores.npz"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("[M::attribute] 40 regions of " + tmp.file("peaks.bed") + " (200 bases each, from " +
                       tmp.file("genome.fa") + "), 3 tasks, 3 methods, 2 threads, chunks of 8"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(" 0 N bases (N, ambiguity codes, outside the chromosome), 0 regions clipped"), std::string::npos)
      << r.err;
  // The index was built beside the genome; the outputs are the archive, its config and manifest.
  EXPECT_TRUE(std::filesystem::exists(tmp.file("genome.fa.fai")));
  EXPECT_EQ(list_dir(tmp.file("g")),
            (std::vector<std::string>{"scores.config.ini", "scores.manifest.tsv", "scores.npz"}));
  expect_same_arrays(tmp.file("f/scores.npz"), tmp.file("g/scores.npz"), "chrom,start");
  // Another chunk size and thread count: the same bytes.
  r = run_liftbench(base + " -q --genome " + tmp.file("genome.fa") + " --regions " + tmp.file("peaks.bed") +
                    " --threads 1 -o " + tmp.file("h/scores.npz"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_text(tmp.file("g/scores.npz")), read_text(tmp.file("h/scores.npz")));

  // The recorded windows: chrom and start per region, and samtools faidx reads the same bases
  // as the archive's one-hot (soft-masked chr2 included, upper-cased).
  const std::string py =
      "import sys, numpy as np\n"
      "z = np.load(sys.argv[1])\n"
      "for i in range(len(z['ids'])):\n"
      "    s = ''.join('ACGT'[c] for c in z['onehot'][i].argmax(0))\n"
      "    print(z['ids'][i], z['chrom'][i], z['start'][i], s)\n";
  write_text(tmp.file("windows.py"), py);
  r = run_command("/usr/bin/python3 " + tmp.file("windows.py") + " " + tmp.file("g/scores.npz"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  for (std::size_t i = 0; i < g.ids.size(); ++i) {
    std::string id, chrom, seq;
    std::int64_t start = -1;
    lines >> id >> chrom >> start >> seq;
    EXPECT_EQ(id, g.ids[i]);
    EXPECT_EQ(chrom, g.chroms[i]);
    EXPECT_EQ(start, g.starts[i]);
    EXPECT_EQ(seq, g.seqs[i]);
    if (i % 13 == 1) {  // a few through samtools
      const auto s = run_command(fmt::format("samtools faidx {} {}:{}-{}", tmp.file("genome.fa"), chrom, start + 1,
                                             start + 200));
      ASSERT_EQ(s.exit_code, 0) << s.err;
      std::string fetched;
      std::istringstream fa(s.out);
      std::string line;
      std::getline(fa, line);
      while (std::getline(fa, line)) fetched += line;
      for (char& ch : fetched) ch = static_cast<char>(ch & ~0x20);
      EXPECT_EQ(fetched, g.seqs[i]) << chrom << ":" << start;
    }
  }
}

TEST(GenomeCliTest, PredictRegionsMatchesFastaAndWritesBedColumns) {
  TempDir tmp;
  const GenomeFixture g = write_genome(tmp.path());
  const std::string base = "predict -q --model " + smoke().model;
  auto r = run_liftbench(base + " --fasta " + tmp.file("peaks.fa") + " -o " + tmp.file("f.tsv"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_liftbench(base + " --genome " + tmp.file("genome.fa") + " --regions " + tmp.file("peaks.bed") +
                    " --chunk 3 -o " + tmp.file("g.bed"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto f = io::read_tsv(tmp.file("f.tsv"));
  const auto b = io::read_tsv(tmp.file("g.bed"));
  EXPECT_EQ(b.header, (std::vector<std::string>{"#chrom", "start", "end", "id", "task0", "task1", "task2"}));
  ASSERT_EQ(b.rows.size(), g.ids.size());
  for (std::size_t i = 0; i < g.ids.size(); ++i) {
    EXPECT_EQ(b.rows[i][0], g.chroms[i]);
    EXPECT_EQ(b.rows[i][1], std::to_string(g.starts[i]));
    EXPECT_EQ(b.rows[i][2], std::to_string(g.starts[i] + 200));
    EXPECT_EQ(std::vector<std::string>(b.rows[i].begin() + 3, b.rows[i].end()), f.rows[i]);
  }
}

// Regions at the chromosome ends: padded with N (all-zero columns) or shifted inside.
TEST(GenomeCliTest, ChromosomeEndsPadOrShift) {
  TempDir tmp;
  write_genome(tmp.path());
  write_text(tmp.file("ends.bed"), "chr1\t0\t10\tfirst\nchr3\t5\t5\n");
  const std::string base = "attribute -q -c " + kSmoke + " --model " + smoke().model + " --methods grad_x_input@zeros --genome " +
                           tmp.file("genome.fa") + " --regions " + tmp.file("ends.bed");
  ASSERT_EQ(run_liftbench(base + " -o " + tmp.file("pad.npz")).exit_code, 0);
  ASSERT_EQ(run_liftbench(base + " --chrom-ends shift -o " + tmp.file("shift.npz")).exit_code, 0);
  const std::string py =
      "import sys, numpy as np\n"
      "p, s = np.load(sys.argv[1]), np.load(sys.argv[2])\n"
      "print([str(v) for v in p['ids']], [int(v) for v in p['start']], [int(v) for v in s['start']])\n"
      "print(int(p['onehot'][0].sum(0)[:95].sum()), int(p['onehot'][0].sum(0)[95:].sum()))\n"
      "print(int(p['onehot'][1].sum(0)[:95].sum()), int(p['onehot'][1].sum(0)[95:].sum()))\n"
      "print(int(s['onehot'].sum()), float(abs(p['grad_x_input@zeros'][0, :, :, :95]).sum()))\n";
  write_text(tmp.file("ends.py"), py);
  const auto r = run_command("/usr/bin/python3 " + tmp.file("ends.py") + " " + tmp.file("pad.npz") + " " + tmp.file("shift.npz"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Middle 5, window [-95, 105): 95 N columns then 105 bases; shifted to [0, 200). Against the
  // zero reference the padding contributes nothing (against a nonzero one, x - r = -r there, as
  // for N in --fasta input; tracks leave padding out).
  EXPECT_EQ(r.out,
            "['first', 'chr3:5-5'] [-95, -95] [0, 0]\n"
            "0 105\n"
            "0 105\n"
            "400 0.0\n");
}

TEST(GenomeCliTest, BadInputsAreOneLineErrors) {
  TempDir tmp;
  write_genome(tmp.path());
  const std::string out = " -o " + tmp.file("out/s.npz");
  const std::string genome = " --genome " + tmp.file("genome.fa");
  const std::string base = "attribute -c " + kSmoke + " --model " + smoke().model + " --methods grad" + genome;
  const auto expect_fails = [&](const std::string& args, const std::string& message) {
    const auto r = run_liftbench(args);
    EXPECT_EQ(r.exit_code, 1) << args;
    const auto pos = r.err.rfind("liftbench: error: ");
    ASSERT_NE(pos, std::string::npos) << r.err;
    EXPECT_EQ(r.err.substr(pos), "liftbench: error: " + message + "\n");
    EXPECT_TRUE(list_dir(tmp.file("out")).empty()) << args;
  };
  const std::string bed = tmp.file("bad.bed");
  write_text(bed, "chr1\t300\t500\nchr2\t500\t300\n");
  expect_fails(base + " --regions " + bed + out, bed + ":2: end before start; expected end >= start (500), got 300");
  write_text(bed, "chr1\t300\t500\n\nchrUn\t1\t20\n");
  expect_fails(base + " --regions " + bed + out,
               bed + ":3: unknown chromosome 'chrUn'; expected a sequence of " + tmp.file("genome.fa") +
                   " (3 listed in its index), got 'chrUn'");
  write_text(bed, "chr1\t300\t500\nchr3\t300\t900000\n");
  expect_fails(base + " --regions " + bed + " --chrom-ends error" + out,
               bed + ":2: region ends past the end of 'chr3' (--chrom-ends pad or shift clips it); expected end <= " +
                   std::to_string(io::read_fasta(tmp.file("genome.fa"))[2].seq.size()) + " (its length), got 900000");
  expect_fails(base + " --regions " + tmp.file("peaks.bed") + " --center peak" + out,
               "--center: unknown centre; expected middle or summit, got 'peak'");
  expect_fails(base + " --regions " + tmp.file("peaks.bed") + " --chrom-ends clip" + out,
               "--chrom-ends: unknown rule; expected pad, shift or error, got 'clip'");
  expect_fails(base + " --regions " + tmp.file("peaks.bed") + " --chunk 0" + out,
               "--chunk: bad value; expected an integer from 1 to 1048576, got '0'");
  expect_fails(base + " --regions " + tmp.file("peaks.bed") + " --chunk 2147483640" + out,
               "--chunk: bad value; expected an integer from 1 to 1048576, got '2147483640'");
  expect_fails(base + out, "--regions: missing regions; expected --regions FILE (BED) with --genome, got nothing");
  expect_fails("attribute -c " + kSmoke + " --model " + smoke().model + " --regions " + tmp.file("peaks.bed") + out,
               "--regions: needs a genome; expected --genome FILE with --regions, got nothing");
  expect_fails(base + " --regions " + tmp.file("peaks.bed") + " --fasta " + tmp.file("peaks.fa") + out,
               "--genome: two sources of sequences; expected one of --data, --fasta or --genome, got --genome '" +
                   tmp.file("genome.fa") + "' and --fasta");
  expect_fails(base + " --regions " + tmp.file("peaks.bed") + " --length 150" + out,
               "--length: differs from the model's input length; expected 200 (or no --length), got 150");
  // A weights-only model (numpy.savez of the state_dict) has no input length of its own.
  const auto py = run_command("/usr/bin/python3 -c \"import sys, numpy as np; np.savez(sys.argv[2], **np.load(sys.argv[1]))\" " +
                              smoke().model + " " + tmp.file("weights.npz"));
  ASSERT_EQ(py.exit_code, 0) << py.err;
  const std::string weights = "attribute -c " + kSmoke + " --model " + tmp.file("weights.npz") + " --methods grad" +
                              genome + " --regions " + tmp.file("peaks.bed");
  expect_fails(weights + out, tmp.file("weights.npz") +
                                  ": the model's input length is not set (a weights-only file); expected --length N "
                                  "with --genome, got nothing");
  const auto ok = run_liftbench(weights + " -q --length 200 -o " + tmp.file("w/s.npz"));
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  // predict shares the checks.
  expect_fails("predict --model " + smoke().model + genome + " --regions " + bed + " --chrom-ends error -o " +
                   tmp.file("out/p.bed"),
               bed + ":2: region ends past the end of 'chr3' (--chrom-ends pad or shift clips it); expected end <= " +
                   std::to_string(io::read_fasta(tmp.file("genome.fa"))[2].seq.size()) + " (its length), got 900000");
}

// Peaks plus regions overlapping them (shifted by 60 bases) and one at the start of chr1
// (padded): the tracks hold, per position, the mean over the regions covering it of the sum
// over channels; pyBigWig and the bedGraph read back the same values.
TEST(GenomeCliTest, TracksReadBackEqualToTheArchive) {
  TempDir tmp;
  const GenomeFixture g = write_genome(tmp.path());
  std::string bed = read_text(tmp.file("peaks.bed"));
  for (std::size_t i = 0; i < g.ids.size(); i += 4)
    bed += fmt::format("{}\t{}\t{}\n", g.chroms[i], g.starts[i] + 60, g.starts[i] + 260);
  bed += "chr1\t0\t20\tedge\n";
  write_text(tmp.file("over.bed"), bed);
  const auto r = run_liftbench("attribute -c " + kSmoke + " --model " + smoke().model +
                               " --methods grad_x_input,deeplift:genomics --genome " + tmp.file("genome.fa") +
                               " --regions " + tmp.file("over.bed") + " --chunk 16 -o " + tmp.file("s.npz") +
                               " --tracks " + tmp.file("tracks"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("[M::tracks] 12 track files in " + tmp.file("tracks")), std::string::npos) << r.err;
  EXPECT_EQ(list_dir(tmp.file("tracks")),
            (std::vector<std::string>{"deeplift_genomics.task0.bedGraph", "deeplift_genomics.task0.bw",
                                      "deeplift_genomics.task1.bedGraph", "deeplift_genomics.task1.bw",
                                      "deeplift_genomics.task2.bedGraph", "deeplift_genomics.task2.bw",
                                      "grad_x_input.task0.bedGraph", "grad_x_input.task0.bw",
                                      "grad_x_input.task1.bedGraph", "grad_x_input.task1.bw",
                                      "grad_x_input.task2.bedGraph", "grad_x_input.task2.bw"}));
  const std::string py =
      "import sys, numpy as np, pyBigWig\n"
      "z = np.load(sys.argv[1]); d = sys.argv[2]\n"
      "sizes = dict(l.split('\\t')[:2] for l in open(sys.argv[3]))\n"
      "sizes = {k: int(v) for k, v in sizes.items()}\n"
      "L = z['onehot'].shape[2]; checked = 0; overlapped = 0\n"
      "for m in ['grad_x_input', 'deeplift:genomics']:\n"
      "    for t, task in enumerate(z['tasks']):\n"
      "        s = {c: np.zeros(n) for c, n in sizes.items()}; k = {c: np.zeros(n) for c, n in sizes.items()}\n"
      "        for i in range(len(z['ids'])):\n"
      "            c, st = z['chrom'][i], int(z['start'][i])\n"
      "            v = z[m][i, t].astype(np.float64).sum(0)\n"
      "            a, b = max(st, 0), min(st + L, sizes[c])\n"
      "            s[c][a:b] += v[a - st:b - st]; k[c][a:b] += 1\n"
      "        stem = '%s/%s.task%d' % (d, m.replace(':', '_'), task)\n"
      "        bw = pyBigWig.open(stem + '.bw')\n"
      "        assert bw.chroms() == sizes, (bw.chroms(), sizes)\n"
      "        bg = {c: np.full(n, np.nan, dtype=np.float32) for c, n in sizes.items()}\n"
      "        for line in open(stem + '.bedGraph'):\n"
      "            c, a, b, v = line.split('\\t'); bg[c][int(a):int(b)] = np.float32(v)\n"
      "        for c, n in sizes.items():\n"
      "            want = np.where(k[c] > 0, s[c] / np.maximum(k[c], 1), np.nan)\n"
      "            got = bw.values(c, 0, n, numpy=True)\n"
      "            assert np.array_equal(np.isnan(got), k[c] == 0), (stem, c)\n"
      "            assert np.allclose(got[k[c] > 0], want[k[c] > 0], rtol=1e-5, atol=1e-7), (stem, c)\n"
      "            assert np.array_equal(got, bg[c], equal_nan=True), (stem, c)\n"
      "            checked += int((k[c] > 0).sum()); overlapped += int((k[c] > 1).sum())\n"
      "print(checked, overlapped)\n";
  write_text(tmp.file("check.py"), py);
  const auto c = run_command("/usr/bin/python3 " + tmp.file("check.py") + " " + tmp.file("s.npz") + " " +
                             tmp.file("tracks") + " " + tmp.file("genome.fa.fai"));
  ASSERT_EQ(c.exit_code, 0) << c.err;
  // 6 tracks x at least the 40 peaks' 200 bases, and at least the 10 shifted regions' 140 bases
  // over their peak averaged (spacers of under 60 bases add overlaps with the next peak).
  std::int64_t covered = 0, overlapped = 0;
  std::istringstream(c.out) >> covered >> overlapped;
  EXPECT_GE(covered, 6 * 40 * 200) << c.out;
  EXPECT_GE(overlapped, 6 * 10 * 140) << c.out;
  // The tracks command writes the same files from the archive.
  const auto t = run_liftbench("tracks -q --scores " + tmp.file("s.npz") + " --genome " + tmp.file("genome.fa") +
                               " --format bedgraph -o " + tmp.file("again"));
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_EQ(list_dir(tmp.file("again")).size(), 6u);
  EXPECT_EQ(read_text(tmp.file("again/grad_x_input.task1.bedGraph")),
            read_text(tmp.file("tracks/grad_x_input.task1.bedGraph")));
}

// Three shards merged equal the single run byte for byte: the archive and the tracks.
TEST(GenomeCliTest, ShardsMergeToTheSingleRun) {
  TempDir tmp;
  write_genome(tmp.path());
  const std::string base = "attribute -q -c " + kSmoke + " --model " + smoke().model +
                           " --methods deeplift:genomics@dinuc_shuffle,ism --genome " + tmp.file("genome.fa") +
                           " --regions " + tmp.file("peaks.bed");
  ASSERT_EQ(run_liftbench(base + " -o " + tmp.file("one.npz") + " --tracks " + tmp.file("one")).exit_code, 0);
  std::string shards;
  for (int i = 1; i <= 3; ++i) {
    const std::string out = tmp.file(fmt::format("s{}.npz", i));
    const auto r = run_liftbench(base + fmt::format(" --shard {}/3 --chunk 5 -o ", i) + out);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    shards += (i > 1 ? "," : "") + out;
  }
  const auto m = run_liftbench("merge --scores " + shards + " -o " + tmp.file("merged.npz") + " --genome " +
                               tmp.file("genome.fa") + " --tracks " + tmp.file("merged"));
  ASSERT_EQ(m.exit_code, 0) << m.err;
  EXPECT_NE(m.err.find("[M::merge] 3 shards, 40 regions -> " + tmp.file("merged.npz")), std::string::npos) << m.err;
  EXPECT_EQ(read_text(tmp.file("merged.npz")), read_text(tmp.file("one.npz")));
  EXPECT_EQ(list_dir(tmp.file("merged")), list_dir(tmp.file("one")));
  for (const auto& f : list_dir(tmp.file("one")))
    EXPECT_EQ(read_text(tmp.file("merged/" + f)), read_text(tmp.file("one/" + f))) << f;
  // The shards hold whole blocks of attribution.chunk = 8 regions: 8, 16 and 16.
  const auto py = run_command("/usr/bin/python3 -c \"import sys, numpy as np; print([len(np.load(f)['ids']) for f in "
                              "sys.argv[1:]])\" " + tmp.file("s1.npz") + " " + tmp.file("s2.npz") + " " + tmp.file("s3.npz"));
  EXPECT_EQ(py.out, "[8, 16, 16]\n") << py.err;
}

TEST(GenomeCliTest, MergeAndTracksBadInputs) {
  TempDir tmp;
  write_genome(tmp.path());
  const std::string base = "attribute -q -c " + kSmoke + " --model " + smoke().model + " --genome " +
                           tmp.file("genome.fa") + " --regions " + tmp.file("peaks.bed");
  ASSERT_EQ(run_liftbench(base + " --methods grad --shard 1/2 -o " + tmp.file("a.npz")).exit_code, 0);
  ASSERT_EQ(run_liftbench(base + " --methods ism --shard 2/2 -o " + tmp.file("b.npz")).exit_code, 0);
  auto r = run_liftbench("merge --scores " + tmp.file("a.npz") + "," + tmp.file("b.npz") + " -o " + tmp.file("out/m.npz"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.substr(r.err.rfind("liftbench: error: ")),
            "liftbench: error: " + tmp.file("b.npz") + ": not a shard of the same run; expected the arrays of " +
                tmp.file("a.npz") + ", got array 'ism' where " + tmp.file("a.npz") + " has 'grad'\n");
  EXPECT_TRUE(list_dir(tmp.file("out")).empty());
  r = run_liftbench(base + " --methods grad --shard 3/2 -o " + tmp.file("out/c.npz"));
  EXPECT_EQ(r.err.substr(r.err.rfind("liftbench: error: ")),
            "liftbench: error: --shard: bad value; expected i/n with 1 <= i <= n (e.g. 2/8), got '3/2'\n");
  r = run_liftbench(base + " --methods grad --shard 1/41 -o " + tmp.file("out/c.npz"));
  EXPECT_EQ(r.err.substr(r.err.rfind("liftbench: error: ")),
            "liftbench: error: --shard: shard 1 of 41 has no regions; expected at most 5 shards for the 40 regions "
            "of '" + tmp.file("peaks.bed") + "' in blocks of 8, got 41\n");
  // Tracks need genome coordinates: an archive of --fasta has none.
  ASSERT_EQ(run_liftbench("attribute -q -c " + kSmoke + " --model " + smoke().model + " --methods grad --fasta " +
                          tmp.file("peaks.fa") + " -o " + tmp.file("f.npz")).exit_code, 0);
  r = run_liftbench("tracks --scores " + tmp.file("f.npz") + " --genome " + tmp.file("genome.fa") + " -o " +
                    tmp.file("out/t"));
  EXPECT_EQ(r.err.substr(r.err.rfind("liftbench: error: ")),
            "liftbench: error: " + tmp.file("f.npz") + ": missing array 'chrom'; expected the regions' chromosomes (an "
            "archive of attribute --genome), got an archive without it\n");
  r = run_liftbench("tracks --scores " + tmp.file("a.npz") + " --genome " + tmp.file("genome.fa") + " --format wig -o " +
                    tmp.file("out/t"));
  EXPECT_EQ(r.err.substr(r.err.rfind("liftbench: error: ")),
            "liftbench: error: --format: unknown track format 'wig'; expected bigwig, bedgraph or both separated by a "
            "comma, got 'wig'\n");
  EXPECT_TRUE(list_dir(tmp.file("out")).empty());
}

// A killed run leaves no archive under the final name (only a hidden temporary, which the next
// run removes), and no config or manifest.
TEST(GenomeCliTest, KilledRunLeavesNoCompleteArchive) {
  TempDir tmp;
  write_genome(tmp.path());
  std::string bed = read_text(tmp.file("peaks.bed")), many;
  for (int i = 0; i < 300; ++i) many += bed;
  write_text(tmp.file("many.bed"), many);
  const auto r = run_command("timeout -s KILL 1 " + std::string(LB_BINARY) + " attribute -q -c " + kSmoke +
                             " --model " + smoke().model + " --methods deeplift:genomics@dinuc_shuffle --chunk 50 --genome " +
                             tmp.file("genome.fa") + " --regions " + tmp.file("many.bed") + " -o " + tmp.file("out/s.npz"));
  if (r.exit_code == 0) GTEST_SKIP() << "the run finished within the second";
  for (const auto& name : list_dir(tmp.file("out"))) EXPECT_EQ(name.rfind(".s.npz.tmp.", 0), 0u) << name;
}

// docs/genomes.md's worked example, as the page shows it.
TEST(GenomeCliTest, WorkedExampleRuns) {
  TempDir tmp;
  const auto r = run_command("LIFTBENCH=" + std::string(LB_BINARY) + " " + std::string(LB_SOURCE_DIR) +
                             "/scripts/genome_example.sh " + tmp.file("ex"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("chromosomes: {'chr1': "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nbigWig equals the archive over the 40 peaks: True\n"), std::string::npos) << r.out;
  EXPECT_EQ(read_text(tmp.file("ex/predictions.bed")).rfind("#chrom\tstart\tend\tid\ttask0\ttask1\ttask2\n", 0), 0u);
}

// Damaged genome indexes and archives stop with one line naming the file, and nothing is
// written: an index whose line lengths are 0 (HTSlib divided by them: SIGFPE in predict and
// attribute) and a shard with a flipped bit (merge copied it into an archive with fresh, valid
// CRCs, and tracks drew it).
TEST(GenomeCliTest, DamagedIndexesAndArchivesAreOneLineErrors) {
  TempDir tmp;
  write_genome(tmp.path());
  const std::string fa = tmp.file("genome.fa"), fai = fa + ".fai";
  const auto expect_fails = [&](const std::string& args, const std::string& message) {
    const auto r = run_liftbench(args);
    EXPECT_EQ(r.exit_code, 1) << args << "\n" << r.err;
    const auto pos = r.err.rfind("liftbench: error: ");
    ASSERT_NE(pos, std::string::npos) << r.err;
    EXPECT_EQ(r.err.substr(pos), "liftbench: error: " + message + "\n");
    EXPECT_TRUE(list_dir(tmp.file("out")).empty()) << args;
  };
  const std::string regions = " --genome " + fa + " --regions " + tmp.file("peaks.bed");
  const std::string predict = "predict --model " + smoke().model + regions + " -o " + tmp.file("out/p.bed");
  const std::string attribute =
      "attribute -c " + kSmoke + " --model " + smoke().model + " --methods grad" + regions + " -o " + tmp.file("out/s.npz");
  ASSERT_EQ(run_liftbench("attribute -q -c " + kSmoke + " --model " + smoke().model + " --methods grad" + regions +
                          " -o " + tmp.file("s.npz")).exit_code, 0);
  const std::string index = read_text(fai);
  const std::size_t eol = index.find('\n');
  std::string zero = index.substr(0, eol);
  zero = zero.substr(0, zero.rfind('\t', zero.rfind('\t') - 1)) + "\t0\t0" + index.substr(eol);
  write_text(fai, zero);
  for (const std::string& cmd : {predict, attribute})
    expect_fails(cmd, fai + ":1: bad bases per line (column 4); expected an integer >= 1, got '0'");
  EXPECT_EQ(read_text(fai), zero);
  write_text(fai, index);

  // One bit of the 'grad' member flipped; the CRCs the zip directory records and the one of the
  // damaged bytes, as Python's zipfile computes them.
  const std::string bad = tmp.file("bad.npz");
  const auto py = run_command(
      "/usr/bin/python3 -c \"import sys, struct, zipfile, zlib\n"
      "z = zipfile.ZipFile(sys.argv[1]); i = z.getinfo('grad.npy'); b = bytearray(open(sys.argv[1], 'rb').read())\n"
      "n, e = struct.unpack('<HH', b[i.header_offset + 26:i.header_offset + 30])\n"
      "at = i.header_offset + 30 + n + e\n"
      "b[at + 200] ^= 1\n"
      "open(sys.argv[2], 'wb').write(b)\n"
      "print('0x%08x 0x%08x' % (i.CRC, zlib.crc32(b[at:at + i.file_size])))\" " +
      tmp.file("s.npz") + " " + bad);
  ASSERT_EQ(py.exit_code, 0) << py.err;
  const std::string want = py.out.substr(0, 10), got = py.out.substr(11, 10);
  const std::string crc_error = bad + ": member 'grad.npy': CRC-32 mismatch (the file is corrupt); expected " + want +
                                " (the zip directory's), got " + got;
  expect_fails("merge --scores " + bad + " -o " + tmp.file("out/m.npz"), crc_error);
  expect_fails("merge --scores " + tmp.file("s.npz") + "," + bad + " -o " + tmp.file("out/m.npz"), crc_error);
  expect_fails("tracks --scores " + bad + " --genome " + fa + " -o " + tmp.file("out/t"), crc_error);
}

// A disk that fills while tracks finishes a bigWig: the error names that file with the system's
// reason, and neither it nor a temporary is left. libBigWig's close reported nothing: a
// truncated .bw stayed under its final name, and the error named the next file.
TEST(GenomeCliTest, FullDiskWhileFinishingABigWigNamesItAndLeavesNothing) {
  if (geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
  TempDir tmp;
  write_genome(tmp.path());
  const std::string fa = tmp.file("genome.fa");
  ASSERT_EQ(run_liftbench("attribute -q -c " + kSmoke + " --model " + smoke().model + " --methods grad --genome " + fa +
                          " --regions " + tmp.file("peaks.bed") + " -o " + tmp.file("s.npz") + " --tracks " +
                          tmp.file("whole") + " --track-format bigwig").exit_code, 0);
  const auto size = std::filesystem::file_size(tmp.file("whole/grad.task0.bw"));
  // Whole pages short of the file: its data fits, the index and zoom levels written at the end do not.
  const auto pages = (size - 1) / 4096;
  ASSERT_GE(pages, 2u) << size;
  const std::string mnt = tmp.file("small");
  std::filesystem::create_directories(mnt);
  if (mount("tmpfs", mnt.c_str(), "tmpfs", 0, fmt::format("size={}k", pages * 4).c_str()) != 0) {
    if (errno == EPERM) GTEST_SKIP() << "mount: " << std::strerror(errno);  // root without CAP_SYS_ADMIN
    FAIL() << "mount: " << std::strerror(errno);
  }
  struct Unmount {
    std::string dir;
    ~Unmount() { umount2(dir.c_str(), MNT_DETACH); }
  } unmount{mnt};
  const auto r = run_liftbench("tracks -q --scores " + tmp.file("s.npz") + " --genome " + fa + " --format bigwig -o " +
                               mnt + "/t");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "liftbench: error: " + mnt + "/t/grad.task0.bw: cannot write: No space left on device\n");
  EXPECT_TRUE(list_dir(mnt + "/t").empty());
}

}  // namespace
}  // namespace lb
