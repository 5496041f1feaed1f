// The liftbench executable end to end: command table, help, version, simulate on the smoke
// config, and each bad-input class with its exact message, exit code and no partial output.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "io/manifest.h"
#include "io/meme.h"
#include "io/tsv.h"
#include "testing/helpers.h"

namespace lb {
namespace {

using lb::testing::list_dir;
using lb::testing::read_text;
using lb::testing::run_liftbench;
using lb::testing::TempDir;
using lb::testing::write_text;

const std::string kSmoke = std::string(LB_SOURCE_DIR) + "/configs/smoke.ini";

// The files a manifest lists, in its order.
std::vector<std::string> manifest_files(const std::string& manifest) {
  std::vector<std::string> files;
  for (const auto& row : io::read_tsv(manifest).rows) files.push_back(row.at(0));
  return files;
}

TEST(CliTest, NoArgumentsListsCommands) {
  const auto r = run_liftbench("");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("  simulate   simulate the TAL1/GATA1 dataset"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  version    print the version"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  train      train the [model] network"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  predict    per-sequence probabilities"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  attribute  attribution scores"), std::string::npos) << r.out;
}

TEST(CliTest, UnknownCommandSuggests) {
  const auto r = run_liftbench("simulat");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "liftbench: error: unknown command 'simulat' (did you mean 'simulate'?); run 'liftbench' for the list\n");
}

TEST(CliTest, VersionPrintsCompilerFlags) {
  const auto r = run_liftbench("version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("liftbench 0.1.0\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("\nflags: "), std::string::npos);
  EXPECT_NE(r.out.find("HTSlib 1."), std::string::npos);
}

TEST(CliTest, HelpShowsEveryOptionWithDefaultOnStdout) {
  const auto r = run_liftbench("simulate --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(r.err.empty()) << r.err;
  EXPECT_NE(r.out.find("--sim.seed UINT (=1)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("-o [ --out ] DIR"), std::string::npos) << r.out;
}

// docs/cli.md must list every key that --help shows, so the two cannot drift apart.
TEST(CliTest, EveryHelpKeyIsDocumented) {
  const std::string doc = read_text(std::string(LB_SOURCE_DIR) + "/docs/cli.md");
  ASSERT_FALSE(doc.empty());
  for (const std::string cmd : {"simulate", "train", "predict", "attribute"}) {
    const auto r = run_liftbench(cmd + " --help");
    ASSERT_EQ(r.exit_code, 0) << cmd;
    std::regex key_re(R"(--([a-z_]+\.[a-z0-9_]+))");
    int n = 0;
    for (std::sregex_iterator it(r.out.begin(), r.out.end(), key_re), end; it != end; ++it, ++n)
      EXPECT_NE(doc.find(fmt::format("`{}`", (*it)[1].str())), std::string::npos)
          << (*it)[1] << " (liftbench " << cmd << ") missing from docs/cli.md";
    EXPECT_GE(n, 3) << cmd;
    // Command flags too: every `--flag` of the command's own group.
    std::regex flag_re(R"(\n  (?:-[a-z] \[ )?--([a-z]+)(?: \])? )");
    for (std::sregex_iterator it(r.out.begin(), r.out.end(), flag_re), end; it != end; ++it)
      EXPECT_NE(doc.find(fmt::format("--{}", (*it)[1].str())), std::string::npos)
          << "--" << (*it)[1] << " (liftbench " << cmd << ") missing from docs/cli.md";
  }
}

TEST(CliTest, SimulateSmokeWritesTheDatasetDirectory) {
  TempDir tmp;
  const std::string out = tmp.file("ds");
  const auto r = run_liftbench("simulate -c " + kSmoke + " -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(list_dir(out), (std::vector<std::string>{"classes.tsv", "config.ini", "labels.tsv", "manifest.tsv",
                                                     "motifs.bed", "roles.tsv", "sequences.fa", "sequences.fa.fai",
                                                     "tasks.tsv"}));
  EXPECT_NE(r.err.find("[M::simulate] 400 sequences of length 200"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[M::simulate] real time: "), std::string::npos) << r.err;
  // labels.tsv header and row count
  const std::string labels = read_text(out + "/labels.tsv");
  EXPECT_EQ(labels.rfind("id\tsplit\tclass\ttask0\ttask1\ttask2\tn_gata\tn_tal\n", 0), 0u);
  EXPECT_EQ(std::count(labels.begin(), labels.end(), '\n'), 401);
  // The written config reproduces the run byte for byte.
  const std::string out2 = tmp.file("ds2");
  const auto r2 = run_liftbench("simulate -c " + out + "/config.ini -o " + out2);
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  for (const char* f : {"sequences.fa", "sequences.fa.fai", "labels.tsv", "motifs.bed", "config.ini"})
    EXPECT_EQ(read_text(out + "/" + f), read_text(out2 + "/" + f)) << f;
  // A different seed gives different data.
  const std::string out3 = tmp.file("ds3");
  ASSERT_EQ(run_liftbench("simulate -c " + kSmoke + " --sim.seed 8 -o " + out3).exit_code, 0);
  EXPECT_NE(read_text(out + "/sequences.fa"), read_text(out3 + "/sequences.fa"));
}

TEST(CliTest, ToolsReadTheDataset) {
  // scripts/setup.sh --tests installs both: a missing tool fails the test instead of hiding it.
  ASSERT_EQ(std::system("command -v samtools >/dev/null 2>&1 && command -v bedtools >/dev/null 2>&1"), 0)
      << "samtools or bedtools not found on PATH (scripts/setup.sh --tests installs them)";
  TempDir tmp;
  const std::string out = tmp.file("ds");
  ASSERT_EQ(run_liftbench("simulate -c " + kSmoke + " -o " + out).exit_code, 0);
  const auto fa = lb::testing::run_command("samtools faidx " + out + "/sequences.fa seq0003");
  ASSERT_EQ(fa.exit_code, 0) << fa.err;
  EXPECT_EQ(fa.out.rfind(">seq0003\n", 0), 0u);
  // bedtools reads the dataset directory as it is: one motif-width string per planted site
  // (tests/sim/dataset_test.cpp compares the strings themselves).
  const auto bed = lb::testing::run_command("bedtools getfasta -fi " + out + "/sequences.fa -bed " + out +
                                            "/motifs.bed -s -tab");
  ASSERT_EQ(bed.exit_code, 0) << bed.err;
  const std::string sites = read_text(out + "/motifs.bed");
  EXPECT_EQ(std::count(bed.out.begin(), bed.out.end(), '\n'), std::count(sites.begin(), sites.end(), '\n'));
  EXPECT_TRUE(std::regex_search(bed.out, std::regex("^seq[0-9]+:[0-9]+-[0-9]+\\([+-]\\)\t[ACGT]{10,16}\n")))
      << bed.out.substr(0, 200);
}

// Each bad-input class: one error line, exit 1, nothing written.
struct BadCase {
  std::string args, expected_err;
};

void expect_fails_cleanly(const std::string& args, const std::string& expected_err, const std::string& out_dir) {
  const auto r = run_liftbench(args);
  EXPECT_EQ(r.exit_code, 1) << args;
  // Info lines may precede it; the error is the last line.
  const auto pos = r.err.rfind("liftbench: error: ");
  ASSERT_NE(pos, std::string::npos) << r.err;
  EXPECT_EQ(r.err.substr(pos), "liftbench: error: " + expected_err + "\n");
  EXPECT_TRUE(list_dir(out_dir).empty()) << "partial output in " << out_dir;
}

TEST(CliTest, BadIniFile) {
  TempDir tmp;
  write_text(tmp.file("bad.ini"), "[sim]\nn_seqs = 10\nseq_len: 5\n");
  expect_fails_cleanly("simulate -c " + tmp.file("bad.ini") + " -o " + tmp.file("out"),
                       tmp.file("bad.ini") + ":3: malformed line; expected 'key = value' or '[section]', got 'seq_len: 5'",
                       tmp.file("out"));
}

TEST(CliTest, MissingOutput) {
  const auto r = run_liftbench("simulate -c " + kSmoke);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("liftbench: error: --out: missing output directory; expected -o DIR, got nothing\n"),
            std::string::npos) << r.err;
}

TEST(CliTest, UnwritableOutputDirectory) {
  TempDir tmp;
  write_text(tmp.file("afile"), "x");
  const auto r = run_liftbench("simulate -c " + kSmoke + " -o " + tmp.file("afile/ds"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("liftbench: error: " + tmp.file("afile/ds") + ": cannot create output directory: "),
            std::string::npos) << r.err;
  EXPECT_EQ(read_text(tmp.file("afile")), "x");
}

}  // namespace
}  // namespace lb

namespace lb {
namespace {

TEST(CliTest, ClassFractionsNotSummingToOne) {
  TempDir tmp;
  expect_fails_cleanly("simulate -c " + kSmoke + " --sim.class_fractions 0.25,0.25,0.25,0.15 -o " + tmp.file("out"),
                       "sim.class_fractions: fractions must sum to 1 within 1e-6; expected a sum of 1, got 0.9",
                       tmp.file("out"));
}

TEST(CliTest, MotifWiderThanSequence) {
  TempDir tmp;
  expect_fails_cleanly("simulate -c " + kSmoke + " --sim.seq_len 10 -o " + tmp.file("out"),
                       "sim.seq_len: motif 'TAL1_known1' (width 16) is wider than the sequence; expected seq_len >= 16, got 10",
                       tmp.file("out"));
}

TEST(CliTest, ImpossiblePlacement) {
  TempDir tmp;
  // Three GATA (width 10) and three TAL (width 16) instances never fit in 40 bases.
  const auto r = run_liftbench("simulate -c " + kSmoke + " --sim.seq_len 40 --sim.count_min 3 -o " + tmp.file("out"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(std::regex_search(r.err, std::regex("liftbench: error: sequence 'seq[0-9]+': cannot place motif "
                                                  "'[A-Z0-9_a-z]+' \\(width 1[06]\\) without overlap after 1000 "
                                                  "attempts; expected free space for 1[06] bases, got .*\n$")))
      << r.err;
  EXPECT_TRUE(list_dir(tmp.file("out")).empty());
}

TEST(CliTest, MalformedMemeFile) {
  TempDir tmp;
  write_text(tmp.file("m.meme"), "MEME version 4\n\nMOTIF GATA_disc1\nletter-probability matrix: alength= 4 w= 2\n"
                                 " 0.25 0.25 0.5\n 0.25 0.25 0.25 0.25\n");
  expect_fails_cleanly("simulate -c " + kSmoke + " --sim.motifs " + tmp.file("m.meme") + " -o " + tmp.file("out"),
                       tmp.file("m.meme") + ":5: wrong number of values in matrix row; expected 4 (alength= 4), got 3",
                       tmp.file("out"));
}

TEST(CliTest, MotifMissingFromMemeFile) {
  TempDir tmp;
  expect_fails_cleanly("simulate -c " + kSmoke + " --sim.tal_motif TAL1_known2 -o " + tmp.file("out"),
                       std::string(LB_SOURCE_DIR) +
                           "/configs/motifs/tal1_gata1.meme: no motif named 'TAL1_known2'; expected one of "
                           "GATA_disc1, TAL1_known1",
                       tmp.file("out"));
}

// sim.motifs takes JASPAR and HOMER files too (the reader by extension): the paper's two motifs
// rewritten in each format simulate, and a malformed file fails with its line.
TEST(CliTest, SimulatesFromJasparAndHomerMotifFiles) {
  TempDir tmp;
  const lb::io::MemeFile meme = lb::io::read_meme(std::string(LB_SOURCE_DIR) + "/configs/motifs/tal1_gata1.meme");
  std::string jaspar, homer;
  for (const auto& m : meme.motifs) {
    jaspar += ">" + m.name + " from_meme\n";
    for (int b = 0; b < 4; ++b) {
      jaspar += fmt::format("{} [", "ACGT"[b]);
      for (const auto& row : m.probs) jaspar += fmt::format(" {}", std::lround(row[static_cast<std::size_t>(b)] * 1e6));
      jaspar += " ]\n";
    }
    homer += fmt::format(">NNNN\t{}\t6.5\n", m.name);
    for (const auto& row : m.probs) homer += fmt::format("{}\t{}\t{}\t{}\n", row[0], row[1], row[2], row[3]);
  }
  write_text(tmp.file("m.jaspar"), jaspar);
  write_text(tmp.file("m.motif"), homer);
  for (const char* f : {"m.jaspar", "m.motif"}) {
    const std::string out = tmp.file(std::string("out_") + f);
    const auto r = run_liftbench("simulate -q -c " + kSmoke + " --sim.motifs " + tmp.file(f) + " -o " + out);
    ASSERT_EQ(r.exit_code, 0) << f << "\n" << r.err;
    const std::string bed = read_text(out + "/motifs.bed");
    EXPECT_NE(bed.find("\tGATA_disc1\t"), std::string::npos) << f;
    EXPECT_NE(bed.find("\tTAL1_known1\t"), std::string::npos) << f;
  }
  write_text(tmp.file("bad.jaspar"), ">GATA_disc1\nA [ 1 2 ]\nC [ 1 ]\n");
  expect_fails_cleanly("simulate -c " + kSmoke + " --sim.motifs " + tmp.file("bad.jaspar") + " -o " + tmp.file("out"),
                       tmp.file("bad.jaspar") +
                           ":3: rows of different lengths in motif 'GATA_disc1'; expected 2 counts (as on line 2), got 1",
                       tmp.file("out"));
}

const char* kSimdata =
    "seqName\tsequence\tembeddings\ttask1\ttask2\ttask3\n"
    "s_empty\tACGTACGTACGTACGTACGTACGTACGTACGTACGTACGT\t\t0\t0\t0\n"
    "s_gata\tACGTAGCAGATAAGGACGTACGTACGTACGTACGTACGTA\tpos-5_GATA_disc1-GCAGATAAGG\t0\t1\t0\n"
    "s_tal\tACCTGAACAGATGGTCGGACGTACGTACGTACGTACGTAA\tpos-2_TAL1_known1-CTGAACAGATGGTCGG\t0\t0\t1\n"
    "s_both\tGCAGATAAGGCTGAACAGATGGTCGGACGTACGTACGTAC\tpos-0_GATA_disc1-GCAGATAAGG,pos-10_TAL1_known1-CTGAACAGATGGTCGG\t1\t1\t1\n";

TEST(CliTest, SimdataConversion) {
  TempDir tmp;
  write_text(tmp.file("x.simdata"), kSimdata);
  const auto r = run_liftbench("simulate -c " + kSmoke + " --simdata " + tmp.file("x.simdata") + " -o " + tmp.file("out"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string labels = read_text(tmp.file("out/labels.tsv"));
  EXPECT_NE(labels.find("s_both\t"), std::string::npos);
  EXPECT_NE(labels.find("\tboth\t1\t1\t1\t1\t1\n"), std::string::npos) << labels;
  const std::string bed = read_text(tmp.file("out/motifs.bed"));
  EXPECT_NE(bed.find("s_gata\t5\t15\tGATA_disc1\t"), std::string::npos) << bed;
  EXPECT_NE(bed.find("s_both\t10\t26\tTAL1_known1\t"), std::string::npos) << bed;
}

TEST(CliTest, MalformedSimdata) {
  TempDir tmp;
  std::string bad = kSimdata;
  bad.replace(bad.find("\t0\t1\t0\n"), 7, "\t0\t2\t0\n");
  write_text(tmp.file("x.simdata"), bad);
  expect_fails_cleanly("simulate -c " + kSmoke + " --simdata " + tmp.file("x.simdata") + " -o " + tmp.file("out"),
                       tmp.file("x.simdata") + ":3: bad label for task 'task2'; expected 0 or 1, got '2'",
                       tmp.file("out"));
}

// ---- train and predict ---------------------------------------------------------------------

// The smoke dataset, simulated once for every train/predict test.
const std::string& smoke_data() {
  static TempDir dir;
  static const std::string path = [] {
    const std::string p = dir.file("data");
    const auto r = run_liftbench("simulate -q -c " + kSmoke + " -o " + p);
    if (r.exit_code != 0) ADD_FAILURE() << r.err;
    return p;
  }();
  return path;
}

TEST(CliTest, TrainSmokeWritesModelMetricsAndConfig) {
  TempDir tmp;
  const std::string model = tmp.file("out/model.npz");
  const auto r = run_liftbench("train -c " + kSmoke + " --data " + smoke_data() + " -o " + model + " --threads 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(list_dir(tmp.file("out")), (std::vector<std::string>{"model.config.ini", "model.epochs.tsv",
                                                                  "model.manifest.tsv", "model.metrics.tsv",
                                                                  "model.npz"}));
  EXPECT_NE(r.err.find("[M::train] 320 train, 40 valid, 40 test sequences of length 200; "), std::string::npos) << r.err;
  EXPECT_TRUE(std::regex_search(r.err, std::regex(R"(\[M::train\] epoch 1: train loss \d\.\d{4}, valid loss \d\.\d{4}, valid auROC \d\.\d{3}/\d\.\d{3}/\d\.\d{3}, \d+\.\d{2} s \(best\)\n)")))
      << r.err;
  EXPECT_NE(r.err.find("[M::train] reached train.max_epochs after 5 epochs"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[M::train] test (40 sequences): loss "), std::string::npos) << r.err;
  const std::string metrics = read_text(tmp.file("out/model.metrics.tsv"));
  EXPECT_EQ(metrics.rfind("metric\ttask\tvalue\ntest_auroc\ttask0\t", 0), 0u) << metrics;
  for (const char* row : {"\ntest_auprc\ttask2\t", "\nbest_epoch\tall\t", "\nepochs\tall\t5\n", "\nstopped_early\tall\tfalse\n"})
    EXPECT_NE(metrics.find(row), std::string::npos) << row << " in\n" << metrics;
  const std::string epochs = read_text(tmp.file("out/model.epochs.tsv"));
  EXPECT_EQ(epochs.rfind("epoch\ttrain_loss\tvalid_loss\tvalid_auroc_task0\tvalid_auroc_task1\tvalid_auroc_task2\tbest\n1\t", 0), 0u)
      << epochs;
  EXPECT_EQ(std::count(epochs.begin(), epochs.end(), '\n'), 6);
  const std::string ini = read_text(tmp.file("out/model.config.ini"));
  EXPECT_NE(ini.find("[model]\nlayers = conv1=conv1d(8,11) relu gap fc1=dense(3)\n"), std::string::npos) << ini;
  EXPECT_NE(ini.find("[train]\nlearning_rate = 0.01\n"), std::string::npos) << ini;

  // predict: the test split by default, every sequence with --split all; thread-independent.
  const auto p = run_liftbench("predict -c " + tmp.file("out/model.config.ini") + " --model " + model + " --data " +
                               smoke_data() + " -o " + tmp.file("pred.tsv") + " --threads 1");
  ASSERT_EQ(p.exit_code, 0) << p.err;
  const std::string pred = read_text(tmp.file("pred.tsv"));
  EXPECT_EQ(pred.rfind("id\tsplit\ttask0\ttask1\ttask2\n", 0), 0u) << pred;
  EXPECT_EQ(std::count(pred.begin(), pred.end(), '\n'), 41);
  EXPECT_TRUE(std::regex_search(pred, std::regex(R"(\nseq\d{4}\ttest\t0\.\d+\t0\.\d+\t0\.\d+\n)"))) << pred;
  const auto all = run_liftbench("predict --model " + model + " --data " + smoke_data() + " --split all --threads 2");
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(std::count(all.out.begin(), all.out.end(), '\n'), 401);
  const auto first_row = pred.substr(pred.find('\n'), pred.find('\n', pred.find('\n') + 1) - pred.find('\n') + 1);
  EXPECT_NE(all.out.find(first_row), std::string::npos) << first_row << "not in --split all";
  // --fasta: the same sequences from the dataset's FASTA give the same values, without a split column.
  const auto fa = run_liftbench("predict -q --model " + model + " --fasta " + smoke_data() + "/sequences.fa");
  ASSERT_EQ(fa.exit_code, 0) << fa.err;
  EXPECT_EQ(fa.out, std::regex_replace(all.out, std::regex("\t(split|train|valid|test)\t"), "\t"));

  // The same config trained on one thread gives the same model: same predictions, bit for bit.
  const std::string model1 = tmp.file("one/model.npz");
  ASSERT_EQ(run_liftbench("train -q -c " + kSmoke + " --data " + smoke_data() + " -o " + model1 + " --threads 1").exit_code, 0);
  const auto p1 = run_liftbench("predict -q --model " + model1 + " --data " + smoke_data() + " --split all");
  EXPECT_EQ(p1.out, all.out);
  // Every file of the run is byte-identical (no timings in files).
  for (const char* f : {"model.npz", "model.metrics.tsv", "model.epochs.tsv"})
    EXPECT_EQ(read_text(tmp.file(std::string("one/") + f)), read_text(tmp.file(std::string("out/") + f))) << f;
}

TEST(CliTest, TrainBadHyperParameterNamesTheOption) {
  TempDir tmp;
  expect_fails_cleanly("train -c " + kSmoke + " --data " + smoke_data() + " -o " + tmp.file("out/m.npz") +
                           " --train.learning_rate -1",
                       "train.learning_rate: must be positive; expected a value > 0, got -1", tmp.file("out"));
  expect_fails_cleanly("train -c " + kSmoke + " --data " + smoke_data() + " -o " + tmp.file("out/m.npz") +
                           " --train.batch_size 0",
                       "train.batch_size: too small; expected a value >= 1, got 0", tmp.file("out"));
  expect_fails_cleanly("train -c " + kSmoke + " --data " + smoke_data() + " -o " + tmp.file("out/m.npz") +
                           " --train.beta2 1",
                       "train.beta2: out of range; expected a value in [0, 1), got 1", tmp.file("out"));
  expect_fails_cleanly("train -c " + kSmoke + " --data " + smoke_data() + " -o " + tmp.file("out/m.npz") +
                           " --model.output softmax",
                       "model.output: the dataset has 3 binary tasks; expected sigmoid, got 'softmax'",
                       tmp.file("out"));
  expect_fails_cleanly("train -c " + kSmoke + " --data " + smoke_data() + " -o " + tmp.file("out/m.npz") +
                           " --threads two",
                       "--threads: bad value; expected an integer >= 0 (0 = all cores), got 'two'", tmp.file("out"));
}

// Real-valued tasks (docs/scenarios.md): a linear output trained with MSE, test R^2 / Pearson /
// MSE per task, predictions as values; sigmoid refused for them, and binary and real-valued tasks
// together.
TEST(CliTest, TrainsRealValuedTasksWithALinearOutput) {
  TempDir tmp;
  const std::string scen = std::string(LB_SOURCE_DIR) + "/configs/scenarios/additive_vs_cooperative.ini";
  const std::string data = tmp.file("data");
  ASSERT_EQ(run_liftbench("simulate -q -c " + scen + " --sim.n_seqs 600 -o " + data).exit_code, 0);
  const std::string model = tmp.file("out/model.npz");
  const std::string small =
      " --model.layers 'conv1=conv1d(8,11) relu gap fc1=dense(2)' --train.max_epochs 10 --train.learning_rate 0.02 ";
  const auto r = run_liftbench("train -c " + scen + small + "--data " + data + " -o " + model);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::regex_search(r.err, std::regex(R"(\[M::train\] epoch 1: train loss \d+\.\d{4}, valid loss \d+\.\d{4}, valid R2 -?\d\.\d{3}/-?\d\.\d{3}, )")))
      << r.err;
  EXPECT_TRUE(std::regex_search(r.err, std::regex(R"(\[M::train\] test \(60 sequences\): loss \d+\.\d{4}, R2 -?\d\.\d{3}/-?\d\.\d{3}, Pearson r )")))
      << r.err;
  const std::string metrics = read_text(tmp.file("out/model.metrics.tsv"));
  EXPECT_EQ(metrics.rfind("metric\ttask\tvalue\ntest_r2\ttask0\t", 0), 0u) << metrics;
  for (const char* row : {"\ntest_pearson\ttask0\t", "\ntest_mse\ttask1\t", "\ntest_loss\tall\t"})
    EXPECT_NE(metrics.find(row), std::string::npos) << row << " in\n" << metrics;
  EXPECT_EQ(metrics.find("auroc"), std::string::npos) << metrics;
  const std::string epochs = read_text(tmp.file("out/model.epochs.tsv"));
  EXPECT_EQ(epochs.rfind("epoch\ttrain_loss\tvalid_loss\tvalid_r2_task0\tvalid_r2_task1\tbest\n1\t", 0), 0u) << epochs;
  EXPECT_NE(read_text(model).size(), 0u);

  // predict writes the outputs as values: not squashed into (0, 1).
  const auto p = run_liftbench("predict -q --model " + model + " --data " + data + " --split all");
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_EQ(p.out.rfind("id\tsplit\ttask0\ttask1\n", 0), 0u) << p.out;
  double largest = 0;
  std::istringstream in(p.out);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    const auto tab = line.rfind('\t');
    largest = std::max(largest, std::abs(std::stod(line.substr(line.rfind('\t', tab - 1) + 1))));
  }
  EXPECT_GT(largest, 1.0) << "linear outputs look like probabilities";

  expect_fails_cleanly("train -c " + scen + small + "--data " + data + " -o " + tmp.file("bad/m.npz") +
                           " --model.output sigmoid",
                       "model.output: the dataset has 2 real-valued tasks; expected linear, got 'sigmoid'",
                       tmp.file("bad"));
  // One binary and one real-valued task: a network has one output kind.
  write_text(tmp.file("mixed.scenario"),
             "[scenario]\nname = mixed\nmotifs = " + std::string(LB_SOURCE_DIR) +
                 "/configs/motifs/tal1_gata1.meme\nmotif.gata = GATA_disc1\n[class.a]\nweight = 1\n"
                 "place.g = gata count=uniform(0,2)\n[task.present]\nlabel = gata\n[task.count]\neffect.gata = 1\n");
  ASSERT_EQ(run_liftbench("simulate -q -c " + scen + " --sim.scenario " + tmp.file("mixed.scenario") +
                          " --sim.n_seqs 200 -o " + tmp.file("mixed"))
                .exit_code,
            0);
  expect_fails_cleanly("train -c " + scen + small + "--data " + tmp.file("mixed") + " -o " + tmp.file("bad/m.npz"),
                       tmp.file("mixed") +
                           "/tasks.tsv: task 'present' is binary and task 'count' real-valued; expected tasks of one "
                           "kind (a network has one output kind), got both",
                       tmp.file("bad"));
}

TEST(CliTest, TrainMissingDataOrOutput) {
  TempDir tmp;
  expect_fails_cleanly("train -c " + kSmoke + " -o " + tmp.file("out/m.npz"),
                       "--data: missing dataset directory; expected --data DIR, got nothing", tmp.file("out"));
  expect_fails_cleanly("train -c " + kSmoke + " --data " + smoke_data(),
                       "--out: missing model file; expected -o FILE, got nothing", tmp.file("out"));
  const auto r = run_liftbench("train -c " + kSmoke + " --data " + tmp.file("nowhere") + " -o " + tmp.file("out/m.npz"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("liftbench: error: " + tmp.file("nowhere")), std::string::npos) << r.err;
  EXPECT_TRUE(list_dir(tmp.file("out")).empty());
}

TEST(CliTest, PredictBadArguments) {
  TempDir tmp;
  expect_fails_cleanly("predict --data " + smoke_data() + " -o " + tmp.file("out/p.tsv"),
                       "--model: missing model file; expected --model FILE, got nothing", tmp.file("out"));
  expect_fails_cleanly("predict --model m.npz --data " + smoke_data() + " --split testing -o " + tmp.file("out/p.tsv"),
                       "--split: unknown split; expected train, valid, test or all, got 'testing'", tmp.file("out"));
  expect_fails_cleanly("predict --model m.npz --data " + smoke_data() + " --fasta x.fa -o " + tmp.file("out/p.tsv"),
                       "--fasta: two sources of sequences; expected one of --data, --fasta or --mnist, got --fasta 'x.fa' "
                       "and --data",
                       tmp.file("out"));
  expect_fails_cleanly("predict --model m.npz -o " + tmp.file("out/p.tsv"),
                       "--data: missing dataset directory; expected --data DIR (or --fasta FILE, --mnist DIR, --genome FILE), got nothing",
                       tmp.file("out"));
}

// ---- attribute ----------------------------------------------------------------------------

// A model trained on the smoke dataset, once for every attribute test.
const std::string& smoke_model() {
  static TempDir dir;
  static const std::string path = [] {
    const std::string p = dir.file("model.npz");
    const auto r = run_liftbench("train -q -c " + kSmoke + " --data " + smoke_data() + " -o " + p);
    if (r.exit_code != 0) ADD_FAILURE() << r.err;
    return p;
  }();
  return path;
}

// A python3 that has numpy (pyenv or a venv may shadow Debian's python3-numpy), or empty.
std::string numpy_python() {
  for (const std::string py : {"python3", "/usr/bin/python3"})
    if (lb::testing::run_command(py + " -c 'import numpy'").exit_code == 0) return py;
  return "";
}

TEST(CliTest, AttributeSmokeWritesScores) {
  TempDir tmp;
  const std::string scores = tmp.file("out/scores.npz");
  const auto r = run_liftbench("attribute -c " + kSmoke + " --model " + smoke_model() + " --data " + smoke_data() +
                               " -o " + scores + " --threads 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(list_dir(tmp.file("out")), (std::vector<std::string>{"scores.config.ini", "scores.manifest.tsv", "scores.npz"}));
  EXPECT_NE(r.err.find("[M::attribute] 40 sequences of length 200 (test split of " + smoke_data() + "), 3 tasks, 7 methods, 2 threads"),
            std::string::npos) << r.err;
  EXPECT_TRUE(std::regex_search(r.err, std::regex(R"(\[M::attribute\] deeplift:genomics: \d+\.\d{3} s, \d+ sequence-tasks/s, reference background, max \|summation-to-delta error\| [-+.e\d]+ \(relative [-+.e\d]+\)\n)")))
      << r.err;
  EXPECT_NE(r.err.find("deeplift:revealcancel@dinuc_shuffle: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(", reference dinuc_shuffle x3, "), std::string::npos) << r.err;
  EXPECT_TRUE(std::regex_search(r.err, std::regex(R"(\[M::attribute\] ig: .* max \|completeness error\| )"))) << r.err;
  // DeepLIFT sums to delta on the trained model: no warning.
  EXPECT_EQ(r.err.find("[W::attribute]"), std::string::npos) << r.err;
  const std::string ini = read_text(tmp.file("out/scores.config.ini"));
  EXPECT_NE(ini.find("[attribution]\nmethods = grad,grad_x_input,ig,deeplift:rescale,"), std::string::npos) << ini;
  EXPECT_NE(ini.find("n_shuffles = 3\n"), std::string::npos) << ini;

  const std::string py = numpy_python();
  if (py.empty()) FAIL() << "no python3 with numpy (scripts/setup.sh --tests installs python3-numpy)";
  const std::string script =
      "import numpy as np\n"
      "z = np.load('" + scores + "')\n"
      "for k in z.files: print(k, z[k].dtype, z[k].shape)\n"
      "x = z['onehot']; c = z['deeplift:genomics']; h = z['deeplift:genomics.hypothetical']\n"
      // actual contributions = hypothetical at the observed base, zero elsewhere
      "assert np.allclose(c, h * x[:, None, :, :], atol=1e-6)\n"
      "assert np.allclose(x.sum(axis=1), 1)\n"
      "print('max delta', np.abs(z['deeplift:genomics.delta']).max())\n";
  write_text(tmp.file("check.py"), script);
  const auto p = lb::testing::run_command(py + " " + tmp.file("check.py"));
  ASSERT_EQ(p.exit_code, 0) << p.err << p.out;
  EXPECT_EQ(p.out.substr(0, p.out.find("max delta")),
            "ids <U7 (40,)\n"
            "onehot float32 (40, 4, 200)\n"
            "tasks int64 (3,)\n"
            "grad float32 (40, 3, 4, 200)\n"
            "grad_x_input float32 (40, 3, 4, 200)\n"
            "grad_x_input.hypothetical float32 (40, 3, 4, 200)\n"
            "ig float32 (40, 3, 4, 200)\n"
            "ig.hypothetical float32 (40, 3, 4, 200)\n"
            "ig.delta float32 (40, 3)\n"
            "deeplift:rescale float32 (40, 3, 4, 200)\n"
            "deeplift:rescale.hypothetical float32 (40, 3, 4, 200)\n"
            "deeplift:rescale.delta float32 (40, 3)\n"
            "deeplift:genomics float32 (40, 3, 4, 200)\n"
            "deeplift:genomics.hypothetical float32 (40, 3, 4, 200)\n"
            "deeplift:genomics.delta float32 (40, 3)\n"
            "deeplift:revealcancel@dinuc_shuffle float32 (40, 3, 4, 200)\n"
            "deeplift:revealcancel@dinuc_shuffle.hypothetical float32 (40, 3, 4, 200)\n"
            "deeplift:revealcancel@dinuc_shuffle.delta float32 (40, 3)\n"
            "ism float32 (40, 3, 4, 200)\n"
            "ism.ism float32 (40, 3, 4, 200)\n");
}

TEST(CliTest, AttributeIsThreadIndependentAndTakesFasta) {
  TempDir tmp;
  const std::string base = "attribute -q -c " + kSmoke + " --model " + smoke_model() +
                           " --methods deeplift:genomics@dinuc_shuffle,ism,ig";
  ASSERT_EQ(run_liftbench(base + " --data " + smoke_data() + " -o " + tmp.file("a.npz") + " --threads 1").exit_code, 0);
  ASSERT_EQ(run_liftbench(base + " --data " + smoke_data() + " -o " + tmp.file("b.npz") + " --threads 2").exit_code, 0);
  EXPECT_EQ(read_text(tmp.file("a.npz")), read_text(tmp.file("b.npz")));
  // Every sequence of the dataset from its FASTA file.
  const std::string fasta = smoke_data() + "/sequences.fa";
  const auto r = run_liftbench("attribute -c " + kSmoke + " --model " + smoke_model() + " --methods grad,ism --fasta " +
                               fasta + " -o " + tmp.file("f.npz"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("[M::attribute] 400 sequences of length 200 (" + fasta + "), 3 tasks, 2 methods"),
            std::string::npos) << r.err;
}

TEST(CliTest, AttributeBadArguments) {
  TempDir tmp;
  const std::string out = " -o " + tmp.file("out/s.npz");
  const std::string model = " --model " + smoke_model();
  const std::string data = " --data " + smoke_data();
  expect_fails_cleanly("attribute -c " + kSmoke + data + out,
                       "--model: missing model file; expected --model FILE, got nothing", tmp.file("out"));
  expect_fails_cleanly("attribute -c " + kSmoke + model + out,
                       "--data: missing sequences; expected --data DIR, --fasta FILE or --genome FILE --regions FILE, "
                       "got nothing",
                       tmp.file("out"));
  expect_fails_cleanly("attribute -c " + kSmoke + model + data,
                       "--out: missing scores file; expected -o FILE, got nothing", tmp.file("out"));
  expect_fails_cleanly("attribute -c " + kSmoke + model + data + out + " --methods grad,deeplift:rescal",
                       "attribution: bad rule spec 'rescal'; expected rescale, revealcancel, genomics or layer=rule "
                       "items, got 'rescal'",
                       tmp.file("out"));
  expect_fails_cleanly("attribute -c " + kSmoke + model + data + out + " --methods grad,smoothgrads",
                       "attribution.methods: unknown method 'smoothgrads'; expected one of grad, abs_grad, grad_x_input, "
                       "ig[:<steps>], guided_backprop, guided_grad, deeplift:<rules>, ism, smoothgrad, "
                       "smoothgrad_x_input, expected_gradients, got 'smoothgrads'",
                       tmp.file("out"));
  expect_fails_cleanly("attribute -c " + kSmoke + model + data + out + " --attribution.tasks 0,3",
                       "attribution.tasks: bad task '3'; expected all or task indices in [0, 3) separated by commas, "
                       "got '0,3'",
                       tmp.file("out"));
  expect_fails_cleanly("attribute -c " + kSmoke + model + data + out + " --attribution.ig_steps 0",
                       "attribution.ig_steps: too small; expected a value >= 1, got 0", tmp.file("out"));
  expect_fails_cleanly("attribute -c " + kSmoke + model + data + out + " --split tests",
                       "--split: unknown split; expected train, valid, test or all, got 'tests'", tmp.file("out"));
  // A model whose input length differs from the sequences: dataset and FASTA.
  const std::string short_data = tmp.file("short");
  ASSERT_EQ(run_liftbench("simulate -q -c " + kSmoke + " --sim.seq_len 150 --sim.n_seqs 40 -o " + short_data).exit_code, 0);
  expect_fails_cleanly("attribute -c " + kSmoke + model + " --data " + short_data + out,
                       smoke_model() + ": the model's input shape does not fit the data; expected 4x150 (the data), "
                       "got 4x200 (architecture line 1)",
                       tmp.file("out"));
  write_text(tmp.file("bad.fa"), ">ok\n" + std::string(200, 'A') + "\n>short1\n" + std::string(150, 'C') + "\n");
  expect_fails_cleanly("attribute -c " + kSmoke + model + " --fasta " + tmp.file("bad.fa") + out,
                       tmp.file("bad.fa") + ":3: sequence 'short1' has length 150; expected the model's input length "
                       "200, got 150",
                       tmp.file("out"));
  expect_fails_cleanly("attribute -c " + kSmoke + model + data + " --fasta " + tmp.file("bad.fa") + out,
                       "--fasta: two sources of sequences; expected either --data DIR or --fasta FILE, got both --data '" +
                           smoke_data() + "' and --fasta '" + tmp.file("bad.fa") + "'",
                       tmp.file("out"));
}

// ---- sanity ---------------------------------------------------------------------------------

TEST(CliSanityTest, EveryHelpKeyIsDocumented) {
  const std::string doc = read_text(std::string(LB_SOURCE_DIR) + "/docs/cli.md");
  const auto r = run_liftbench("sanity --help");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--sanity.threshold NUM (=0.5)"), std::string::npos) << r.out;
  std::regex key_re(R"(--([a-z_]+\.[a-z0-9_]+))");
  int n = 0;
  for (std::sregex_iterator it(r.out.begin(), r.out.end(), key_re), end; it != end; ++it, ++n)
    EXPECT_NE(doc.find(fmt::format("`{}`", (*it)[1].str())), std::string::npos) << (*it)[1] << " missing from docs/cli.md";
  EXPECT_GE(n, 10);
  std::regex flag_re(R"(\n  (?:-[a-z] \[ )?--([a-z]+)(?: \])? )");
  int flags = 0;
  for (std::sregex_iterator it(r.out.begin(), r.out.end(), flag_re), end; it != end; ++it, ++flags)
    EXPECT_NE(doc.find(fmt::format("--{}", (*it)[1].str())), std::string::npos) << "--" << (*it)[1] << " missing";
  EXPECT_GE(flags, 6);
  EXPECT_NE(doc.find("### `liftbench sanity`"), std::string::npos);
  EXPECT_NE(run_liftbench("").out.find("  sanity     model-randomisation sanity check"), std::string::npos);
}

// The smoke model (conv1, fc1: two cascade steps) and 3 tasks: 2 x 2 x 3 rows, a summary line
// per method, the same file for 1 and 2 threads.
TEST(CliSanityTest, SmokeWritesTsvAndSummaryLines) {
  TempDir tmp;
  const std::string base = "sanity -c " + kSmoke + " --model " + smoke_model() + " --data " + smoke_data() +
                           " --methods grad_x_input,deeplift:rescale";
  const auto r = run_liftbench(base + " -o " + tmp.file("a") + " --threads 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("[M::sanity] 40 sequences (test split of " + smoke_data() +
                       "), 3 tasks, 2 methods, 2 cascade steps (fc1, conv1; pytorch, sanity.seed = 1), 2 threads"),
            std::string::npos)
      << r.err;
  for (const std::string m : {"grad_x_input", "deeplift:rescale"})
    EXPECT_TRUE(std::regex_search(r.err, std::regex("\\[M::sanity\\] " + m +
                                                    ": mean \\|rho\\| at full randomisation [0-9.]+ (<|>=) "
                                                    "sanity.threshold 0.5: (passes|FAILS)")))
        << m << "\n" << r.err;
  const std::string tsv = read_text(tmp.file("a/sanity.tsv"));
  std::istringstream lines(tsv);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "method\tstep\tlayer\ttask\tspearman\tspearman_abs\tn");
  int rows = 0;
  while (std::getline(lines, line)) {
    ++rows;
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string x; std::getline(ss, x, '\t');) f.push_back(x);
    ASSERT_EQ(f.size(), 7u) << line;
    EXPECT_EQ(f[2], f[1] == "1" ? "fc1" : "conv1") << line;
    const double rho = std::stod(f[4]);
    EXPECT_TRUE(rho >= -1 && rho <= 1) << line;
    EXPECT_EQ(f[6], "40") << line;
  }
  EXPECT_EQ(rows, 12);
  EXPECT_NE(read_text(tmp.file("a/sanity.config.ini")).find("[sanity]"), std::string::npos);
  EXPECT_EQ(list_dir(tmp.file("a")), (std::vector<std::string>{"sanity.config.ini", "sanity.manifest.tsv", "sanity.tsv"}));
  EXPECT_EQ(manifest_files(tmp.file("a/sanity.manifest.tsv")),
            (std::vector<std::string>{"sanity.tsv", "sanity.config.ini"}));
  EXPECT_NO_THROW(io::verify_manifest(tmp.file("a/sanity.manifest.tsv"), "liftbench sanity"));
  ASSERT_EQ(run_liftbench(base + " -q -o " + tmp.file("b") + " --threads 1").exit_code, 0);
  EXPECT_EQ(read_text(tmp.file("b/sanity.tsv")), tsv);
  // Another seed, other random layers.
  ASSERT_EQ(run_liftbench(base + " -q -o " + tmp.file("c") + " --sanity.seed 2").exit_code, 0);
  EXPECT_NE(read_text(tmp.file("c/sanity.tsv")), tsv);
}

TEST(CliSanityTest, BadArguments) {
  TempDir tmp;
  const std::string out = " -o " + tmp.file("out");
  const std::string model = " --model " + smoke_model();
  const std::string data = " --data " + smoke_data();
  expect_fails_cleanly("sanity -c " + kSmoke + data + out,
                       "--model: missing model file; expected --model FILE, got nothing", tmp.file("out"));
  expect_fails_cleanly("sanity -c " + kSmoke + model + out,
                       "--data: missing dataset directory; expected --data DIR, got nothing", tmp.file("out"));
  expect_fails_cleanly("sanity -c " + kSmoke + model + data,
                       "--out: missing output directory; expected -o DIR, got nothing", tmp.file("out"));
  expect_fails_cleanly("sanity -c " + kSmoke + model + data + out + " --split tests",
                       "--split: unknown split; expected train, valid, test or all, got 'tests'", tmp.file("out"));
  expect_fails_cleanly("sanity -c " + kSmoke + model + data + out + " --sanity.threshold 0",
                       "sanity.threshold: out of range; expected a value in (0, 1], got 0", tmp.file("out"));
  expect_fails_cleanly("sanity -c " + kSmoke + model + data + out + " --methods grad,smoothgrads",
                       "attribution.methods: unknown method 'smoothgrads'; expected one of grad, abs_grad, grad_x_input, "
                       "ig[:<steps>], guided_backprop, guided_grad, deeplift:<rules>, ism, smoothgrad, "
                       "smoothgrad_x_input, expected_gradients, got 'smoothgrads'",
                       tmp.file("out"));
  expect_fails_cleanly("sanity -c " + kSmoke + model + data + out + " --model.init xavier",
                       "model.init: unknown scheme; expected pytorch, glorot_uniform or he_uniform, got 'xavier'",
                       tmp.file("out"));
}

}  // namespace
}  // namespace lb

// ---- liftbench evaluate ----------------------------------------------------------------------
#include "core/alphabet.h"
#include "io/atomic_file.h"
#include "io/npz.h"
#include "sim/dataset.h"

#include <map>
#include <sstream>

namespace lb {
namespace {

const std::string kEvalSmoke = std::string(LB_SOURCE_DIR) + "/configs/smoke.ini";

// A scores.npz for the test split of `data`, built here rather than by `liftbench attribute`:
// "oracle" puts +1 on every planted base relevant to a task (both motifs for task 0, GATA for
// 1, TAL for 2) and 0 elsewhere; "blind" puts -1 there.
void write_built_scores(const std::string& data, const std::string& path) {
  const sim::Dataset ds = sim::read_dataset_dir(data);
  std::vector<int> rows;
  for (int i = 0; i < ds.size(); ++i)
    if (ds.splits[static_cast<std::size_t>(i)] == sim::Split::Test) rows.push_back(i);
  const auto n = rows.size(), L = static_cast<std::size_t>(ds.seq_len);
  std::vector<std::string> ids;
  std::vector<float> onehot(n * 4 * L, 0.0f), oracle(n * 3 * 4 * L, 0.0f), blind(n * 3 * 4 * L, 0.0f);
  for (std::size_t r = 0; r < n; ++r) {
    const auto i = static_cast<std::size_t>(rows[r]);
    ids.push_back(ds.ids[i]);
    for (std::size_t l = 0; l < L; ++l) onehot[(r * 4 + base_code(ds.seqs[i][l])) * L + l] = 1.0f;
    for (const auto& site : ds.sites) {
      if (site.seq != rows[r]) continue;
      const bool is_gata = site.motif == "GATA_disc1";
      for (auto l = static_cast<std::size_t>(site.start); l < static_cast<std::size_t>(site.end); ++l)
        for (std::size_t t = 0; t < 3; ++t) {
          if ((t == 1 && !is_gata) || (t == 2 && is_gata)) continue;
          const std::size_t k = ((r * 3 + t) * 4 + base_code(ds.seqs[i][l])) * L + l;
          oracle[k] = 1.0f;
          blind[k] = -1.0f;
        }
    }
  }
  const auto N = static_cast<std::int64_t>(n), Li = static_cast<std::int64_t>(L);
  io::write_npz(path, {{"ids", io::NpyArray::from_strings({N}, ids)},
                       {"onehot", io::NpyArray::from_f32({N, 4, Li}, onehot)},
                       {"oracle", io::NpyArray::from_f32({N, 3, 4, Li}, oracle)},
                       {"blind@zeros", io::NpyArray::from_f32({N, 3, 4, Li}, blind)}});
}

// metrics.tsv rows with tier "all", keyed "method|task|motif|metric".
std::map<std::string, double> read_metrics_all(const std::string& path) {
  std::map<std::string, double> m;
  std::istringstream in(read_text(path));
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string x;
    while (std::getline(ss, x, '\t')) f.push_back(x);
    if (f.size() >= 7 && f[5] == "all") m[f[0] + "|" + f[2] + "|" + f[3] + "|" + f[4]] = std::stod(f[6]);
  }
  return m;
}

TEST(CliEvaluateTest, EveryHelpKeyIsDocumented) {
  const std::string doc = read_text(std::string(LB_SOURCE_DIR) + "/docs/cli.md");
  const auto r = run_liftbench("evaluate --help");
  ASSERT_EQ(r.exit_code, 0);
  std::regex key_re(R"(--(eval\.[a-z0-9_]+))");
  int n = 0;
  for (std::sregex_iterator it(r.out.begin(), r.out.end(), key_re), end; it != end; ++it, ++n)
    EXPECT_NE(doc.find(fmt::format("`{}`", (*it)[1].str())), std::string::npos) << (*it)[1] << " missing from docs/cli.md";
  EXPECT_EQ(n, 17);
  for (const char* flag : {"--data", "--scores", "--model-metrics", "--model", "--out", "--threads", "--quiet"}) {
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
    EXPECT_NE(doc.find(flag), std::string::npos) << flag;
  }
  EXPECT_NE(doc.find("### `liftbench evaluate`"), std::string::npos);
  EXPECT_NE(run_liftbench("").out.find("  evaluate   score every method"), std::string::npos);
}

// Built scores, since this test was written before `liftbench attribute` landed.
TEST(CliEvaluateTest, SmokeOnBuiltScoresWritesEveryOutput) {
  TempDir tmp;
  const std::string data = tmp.file("data"), scores = tmp.file("scores.npz"), out = tmp.file("ev");
  ASSERT_EQ(run_liftbench("simulate -q -c " + kEvalSmoke + " -o " + data).exit_code, 0);
  write_built_scores(data, scores);
  write_text(tmp.file("m.metrics.tsv"), "metric\ttask\tvalue\ntest_auroc\ttask0\t0.9\ntest_auprc\ttask0\t0.8\n");
  const auto r = run_liftbench("evaluate -c " + kEvalSmoke + " --data " + data + " --scores " + scores +
                               " --model-metrics " + tmp.file("m.metrics.tsv") + " -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("[M::evaluate] method "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[M::evaluate] blind@zeros "), std::string::npos) << r.err;
  EXPECT_EQ(list_dir(out), (std::vector<std::string>{"evaluate.config.ini", "evaluate.manifest.tsv", "hits.tsv",
                                                     "method_differences.tsv", "metrics.json", "metrics.tsv", "report",
                                                     "role_metrics.tsv"}));
  // The manifest, written last, lists every file of the evaluation but the report (which `run`
  // rewrites with the whole run's configuration).
  EXPECT_EQ(manifest_files(out + "/evaluate.manifest.tsv"),
            (std::vector<std::string>{"metrics.tsv", "metrics.json", "hits.tsv", "role_metrics.tsv",
                                      "method_differences.tsv", "evaluate.config.ini"}));
  EXPECT_NO_THROW(io::verify_manifest(out + "/evaluate.manifest.tsv", "liftbench evaluate"));
  const auto m = read_metrics_all(out + "/metrics.tsv");
  // "blind" scores every planted base -1: every strong hit in a 'both' sequence is a false negative.
  EXPECT_EQ(m.at("blind@zeros|0|GATA_disc1|fn_rate"), 1.0);
  EXPECT_EQ(m.at("blind@zeros|0|TAL1_known1|fn_rate"), 1.0);
  EXPECT_LE(m.at("oracle|0|GATA_disc1|fn_rate"), m.at("blind@zeros|0|GATA_disc1|fn_rate"));
  EXPECT_EQ(m.at("oracle|1|GATA_disc1|loc_auroc"), 1.0);
  EXPECT_EQ(m.at("oracle|2|TAL1_known1|loc_auroc"), 1.0);
  EXPECT_EQ(m.at("oracle|1|TAL1_known1|fp_rate"), 0.0);  // TAL bases score 0 on task 1
  EXPECT_EQ(m.at("model|0|-|test_auroc"), 0.9);
  const std::string json = read_text(out + "/metrics.json");
  EXPECT_NE(json.find("\"scan_mode\": \"exclusive\""), std::string::npos);
  EXPECT_NE(json.find("\"methods\": [\"oracle\", \"blind@zeros\"]"), std::string::npos);
  EXPECT_NE(json.find("\"references\": [\"background\", \"zeros\"]"), std::string::npos);
  EXPECT_NE(json.find("\"model\": {\"test_auroc\": [0.9], \"test_auprc\": [0.8]}"), std::string::npos);
  const std::string hits = read_text(out + "/hits.tsv");
  EXPECT_EQ(hits.substr(0, hits.find('\n')),
            "method\treference\ttask\tseq\tmotif\tstart\tend\tstrand\tlog_odds\tclass\tn_instances\tscore");
  EXPECT_NE(read_text(out + "/evaluate.config.ini").find("[eval]"), std::string::npos);
  // The same run in deeplift_compatible mode says so.
  ASSERT_EQ(run_liftbench("evaluate -q -c " + kEvalSmoke + " --data " + data + " --scores " + scores +
                          " --eval.scan_mode deeplift_compatible -o " + out)
                .exit_code,
            0);
  EXPECT_NE(read_text(out + "/metrics.json").find("\"scan_mode\": \"deeplift_compatible\""), std::string::npos);
}

TEST(CliEvaluateTest, MismatchedScoresFailCleanly) {
  TempDir tmp;
  const std::string data = tmp.file("data"), scores = tmp.file("scores.npz"), out = tmp.file("ev");
  ASSERT_EQ(run_liftbench("simulate -q -c " + kEvalSmoke + " -o " + data).exit_code, 0);
  io::write_npz(scores, {{"ids", io::NpyArray::from_strings({1}, std::vector<std::string>{"nope"})},
                         {"onehot", io::NpyArray::from_f32({1, 4, 200}, std::vector<float>(800))}});
  auto r = run_liftbench("evaluate -c " + kEvalSmoke + " --data " + data + " --scores " + scores + " -o " + out);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.substr(r.err.find("liftbench: error:")),
            "liftbench: error: " + scores + ": array 'ids': unknown sequence 'nope'; expected an id of the dataset " + data +
                ", got 'nope'\n");
  EXPECT_TRUE(list_dir(out).empty());
  r = run_liftbench("evaluate -c " + kEvalSmoke + " --data " + data + " --scores " + scores + " -o " + out +
                    " --eval.strands reverse");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("liftbench: error: eval.strands: unknown value; expected forward or both, got 'reverse'"),
            std::string::npos) << r.err;
}

// The methods beyond the paper go through attribute and evaluate like the others; a subset of
// tasks is stored with its indices, and evaluate (which needs every task) says so.
TEST(CliEvaluateTest, NewMethodsTaskSubsetsAndStoredReferences) {
  TempDir tmp;
  const std::string scores = tmp.file("s.npz"), out = tmp.file("ev");
  const std::string methods = "smoothgrad,smoothgrad_x_input,expected_gradients,deeplift:rescale+gc+rcavg@zeros,"
                              "ig+rcavg";
  auto r = run_liftbench("attribute -c " + kSmoke + " --model " + smoke_model() + " --data " + smoke_data() +
                         " --methods " + methods + " --attribution.smoothgrad_samples 3 --attribution.n_shuffles 2 -o " +
                         scores);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::regex_search(r.err, std::regex(R"(expected_gradients: .* reference dinuc_shuffle x2, max \|completeness error\| )")))
      << r.err;
  EXPECT_TRUE(std::regex_search(r.err, std::regex(R"(deeplift:rescale\+gc\+rcavg@zeros: [\d.]+ s, \d+ sequence-tasks/s, reference zeros
)")))
      << r.err;  // no delta after the correction
  r = run_liftbench("evaluate -q -c " + kSmoke + " --data " + smoke_data() + " --scores " + scores + " -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string tsv = read_text(out + "/metrics.tsv");
  for (const std::string m :
       {"smoothgrad", "smoothgrad_x_input", "expected_gradients", "deeplift:rescale+gc+rcavg@zeros", "ig+rcavg"})
    EXPECT_NE(tsv.find("\n" + m + "\t"), std::string::npos) << m << "\n" << tsv.substr(0, 400);
  EXPECT_NE(read_text(out + "/metrics.json").find("\"expected_gradients\""), std::string::npos);

  const std::string sub = tmp.file("sub.npz");
  r = run_liftbench("attribute -q -c " + kSmoke + " --model " + smoke_model() + " --data " + smoke_data() +
                    " --methods deeplift:rescale@dinuc_shuffle,grad --attribution.tasks 0,2 "
                    "--attribution.store_references true --attribution.n_shuffles 2 -o " + sub);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const io::NpzArchive a = io::read_npz(sub);
  std::map<std::string, std::string> shapes;
  for (const auto& [name, arr] : a) shapes[name] = arr.shape_str();
  EXPECT_EQ(shapes.at("tasks"), "(2,)");
  EXPECT_EQ(io::find_array(a, "tasks", sub).to_i64("tasks"), (std::vector<std::int64_t>{0, 2}));
  EXPECT_EQ(shapes.at("deeplift:rescale@dinuc_shuffle"), "(40,2,4,200)");
  EXPECT_EQ(shapes.at("deeplift:rescale@dinuc_shuffle.references"), "(40,2,4,200)");
  EXPECT_EQ(shapes.at("deeplift:rescale@dinuc_shuffle.delta"), "(40,2)");
  EXPECT_EQ(shapes.count("grad.references"), 0u);
  r = run_liftbench("evaluate -q -c " + kSmoke + " --data " + smoke_data() + " --scores " + sub + " -o " +
                    tmp.file("ev2"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "liftbench: error: " + sub + ": array 'tasks': scores of a subset of the tasks; expected every task "
                   "0,1,2 (attribute with attribution.tasks = all), got 0,2\n");
  // Named targets have no labels: evaluate says so.
  const std::string named = tmp.file("named.npz");
  r = run_liftbench("attribute -q -c " + kSmoke + " --model " + smoke_model() + " --data " + smoke_data() +
                    " --methods grad --attribution.targets 'diff(fc1[0],fc1[1]) fc1[2]' -o " + named);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_liftbench("evaluate -q -c " + kSmoke + " --data " + smoke_data() + " --scores " + named + " -o " +
                    tmp.file("ev3"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "liftbench: error: " + named + ": array 'targets': scores of named targets (diff(fc1[0],fc1[1]), "
                   "fc1[2]); expected the dataset's tasks (attribute without attribution.targets), got targets\n");
}

// The whole smoke pipeline.
TEST(CliEvaluateTest, SmokePipelineRevealCancelNotAboveRescale) {
  TempDir tmp;
  const std::string data = tmp.file("data"), model = tmp.file("model.npz"), scores = tmp.file("scores.npz"),
                    out = tmp.file("ev");
  ASSERT_EQ(run_liftbench("simulate -q -c " + kEvalSmoke + " -o " + data).exit_code, 0);
  ASSERT_EQ(run_liftbench("train -q -c " + kEvalSmoke + " --data " + data + " -o " + model).exit_code, 0);
  auto r = run_liftbench("attribute -q -c " + kEvalSmoke + " --model " + model + " --data " + data +
                         " --attribution.methods deeplift:rescale,deeplift:revealcancel -o " + scores);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_liftbench("evaluate -q -c " + kEvalSmoke + " --data " + data + " --scores " + scores + " --model-metrics " +
                    tmp.file("model.metrics.tsv") + " -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(list_dir(out), (std::vector<std::string>{"evaluate.config.ini", "evaluate.manifest.tsv", "hits.tsv",
                                                     "method_differences.tsv", "metrics.json", "metrics.tsv", "report",
                                                     "role_metrics.tsv"}));
  const auto m = read_metrics_all(out + "/metrics.tsv");
  for (const std::string motif : {"GATA_disc1", "TAL1_known1"})
    EXPECT_LE(m.at("deeplift:revealcancel|0|" + motif + "|fn_rate"), m.at("deeplift:rescale|0|" + motif + "|fn_rate"))
        << motif;
  EXPECT_EQ(m.count("model|0|-|test_auroc"), 1u);
  EXPECT_NE(read_text(out + "/metrics.json").find("\"model\": {\"test_auroc\": ["), std::string::npos);
}


// ---- liftbench run ----------------------------------------------------------------------------

using lb::testing::read_tree;

// The text of the report's #lb-status after headless Chromium ran its scripts ("" if absent).
std::string report_status(const std::string& html) {
  TempDir profile;
  const auto r = lb::testing::run_command(
      "/usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
      "--disable-background-networking --disable-component-update --disable-sync --user-data-dir=" +
      profile.path() + " --virtual-time-budget=10000 --dump-dom file://" + std::filesystem::absolute(html).string());
  std::smatch m;
  static const std::regex status_re(R"(<div id="lb-status"[^>]*>([^<]*)</div>)");
  return std::regex_search(r.out, m, status_re) ? m[1].str() : "";
}

TEST(CliRunTest, EveryHelpKeyAndFlagIsDocumented) {
  const std::string doc = read_text(std::string(LB_SOURCE_DIR) + "/docs/cli.md");
  const auto r = run_liftbench("run --help");
  ASSERT_EQ(r.exit_code, 0);
  std::regex key_re(R"(--([a-z_]+\.[a-z0-9_]+))");
  std::set<std::string> sections;
  for (std::sregex_iterator it(r.out.begin(), r.out.end(), key_re), end; it != end; ++it) {
    const std::string key = (*it)[1].str();
    sections.insert(key.substr(0, key.find('.')));
    EXPECT_NE(doc.find(fmt::format("`{}`", key)), std::string::npos) << key << " (liftbench run) missing from docs/cli.md";
  }
  EXPECT_EQ(sections, (std::set<std::string>{"attribution", "eval", "model", "sanity", "sim", "train"}));
  for (const char* flag : {"--config", "--out", "--threads", "--force", "--quiet", "--help"}) {
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
    EXPECT_NE(doc.find(flag), std::string::npos) << flag;
  }
  EXPECT_NE(doc.find("### `liftbench run`"), std::string::npos);
  // The paper's methods are run's default list.
  EXPECT_NE(r.out.find("guided_backprop,grad_x_input,ig,deeplift:rescale,deeplift:revealcancel,deeplift:genomics,"
                       "deeplift:genomics@dinuc_shuffle,ism"),
            std::string::npos)
      << r.out;
  EXPECT_NE(run_liftbench("").out.find("  run        the whole benchmark"), std::string::npos);
}

// sanity.in_run adds the model-randomisation step after evaluate; a second run reuses it.
// Two runs in one directory at once would interleave their steps' files: the second is refused
// while the first holds the directory's lock, and nothing is written.
TEST(CliRunTest, ASecondRunInTheSameDirectoryIsRefused) {
  TempDir tmp;
  const std::string out = tmp.file("run");
  std::filesystem::create_directories(out);
  const int fd = ::open(out.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  expect_fails_cleanly("run -q -c " + kSmoke + " -o " + out,
                       out + ": in use by another liftbench run; expected one run per directory", out);
  ::close(fd);
}

TEST(CliRunTest, SanityStepOnRequest) {
  TempDir tmp;
  const std::string out = tmp.file("run");
  auto r = run_liftbench("run -c " + kSmoke + " -o " + out + " --sanity.in_run true --attribution.methods grad_x_input,ig");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("[M::run] sanity: running (an earlier step ran)"), std::string::npos) << r.err;
  const std::string tsv = read_text(out + "/sanity.tsv");
  EXPECT_EQ(tsv.rfind("method\tstep\tlayer\ttask\tspearman\tspearman_abs\tn\n", 0), 0u) << tsv;
  EXPECT_NE(tsv.find("\nig\t"), std::string::npos) << tsv;
  EXPECT_TRUE(std::filesystem::exists(out + "/sanity.config.ini"));
  r = run_liftbench("run -c " + kSmoke + " -o " + out + " --sanity.in_run true --attribution.methods grad_x_input,ig");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("[M::run] sanity: reused ("), std::string::npos) << r.err;
  // Without it, no sanity step.
  r = run_liftbench("run -c " + kSmoke + " -o " + tmp.file("plain") + " --attribution.methods grad_x_input");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("sanity"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(tmp.file("plain/sanity.tsv")));
}

// The whole pipeline with a Basset-style network (padded convolution, batch norm, ReLU, max pool,
// dense): it trains, predicts, attributes with every kind of method, evaluates and reports; the
// max pool's rule is said once instead of a summation-to-delta warning per DeepLIFT method; and
// the model file holds the batch norm's running statistics under PyTorch's names.
TEST(CliRunTest, BatchNormMaxPoolNetworkRunsEndToEnd) {
  TempDir tmp;
  const std::string out = tmp.file("run");
  const auto r = run_liftbench(
      "run -c " + kSmoke + " -o " + out +
      " --model.layers 'conv1=conv1d(8,11,padding=same) bn1=batchnorm relu maxpool(4) conv2=conv1d(8,5,dilation=2) "
      "gelu gmp fc1=dense(3)' --attribution.methods grad_x_input,deeplift:rescale,deeplift:genomics,ig,ism");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("[M::attribute] layer 'maxpool1' (MaxPool1d(kernel=4, stride=4)) has the gradient rule: "
                       "DeepLIFT passes its multipliers through its gradient at the actual input (deeplift's max-pool "
                       "rule), so contributions need not add up to the logit difference (docs/attribution.md)"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("SUMMATION-TO-DELTA VIOLATED"), std::string::npos) << r.err;
  EXPECT_TRUE(std::filesystem::exists(out + "/report/index.html"));
  const std::string metrics = read_text(out + "/metrics.tsv");
  EXPECT_NE(metrics.find("deeplift:genomics"), std::string::npos) << metrics;
  // Debian's python3 (scripts/setup.sh --tests installs python3-numpy there).
  const auto names = lb::testing::run_command(
      "/usr/bin/python3 -c \"import sys, numpy as np; print(sorted(np.load(sys.argv[1]).files))\" " + out + "/model.npz");
  ASSERT_EQ(names.exit_code, 0) << names.err;
  EXPECT_NE(names.out.find("'bn1.running_mean', 'bn1.running_var', 'bn1.weight'"), std::string::npos) << names.out;
}

// A graph: a residual block and two heads concatenated into the dataset's three tasks; trained,
// attributed (the ISM fallback included) and evaluated like a chain, summation-to-delta held.
TEST(CliRunTest, ResidualNetworkWithTwoHeadsRunsEndToEnd) {
  TempDir tmp;
  const std::string out = tmp.file("run");
  const auto r = run_liftbench(
      "run -c " + kSmoke + " -o " + out +
      " --model.layers 'stem=conv1d(8,11,padding=same) r0=relu c1=conv1d(8,5,padding=same,dilation=2) r1=relu "
      "a1=add(r0,r1) gp=gap ha=dense(2) hb=dense(1)@gp heads=concat(ha,hb)' --attribution.methods "
      "grad_x_input,deeplift:rescale,deeplift:revealcancel,ig,ism");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("SUMMATION-TO-DELTA VIOLATED"), std::string::npos) << r.err;
  EXPECT_TRUE(std::filesystem::exists(out + "/report/index.html"));
  EXPECT_NE(read_text(out + "/metrics.tsv").find("deeplift:revealcancel"), std::string::npos);
  const auto arch = lb::testing::run_command(
      "/usr/bin/python3 -c \"import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).comment.decode())\" " + out +
      "/model.npz");
  ASSERT_EQ(arch.exit_code, 0) << arch.err;
  EXPECT_NE(arch.out.find("\na1 Add() <- r0, r1\ngp GlobalAvgPool()\n"), std::string::npos) << arch.out;
  EXPECT_NE(arch.out.find("\nhb Linear(in=8, out=1) <- gp\nheads Concat() <- ha, hb\n"), std::string::npos) << arch.out;
}

// evaluate and sanity end with a manifest: a file of theirs changed after they ran (as a kill
// between two of their files, or an edit, leaves it) is not reused; the step runs again and
// writes the same bytes. Before their manifests, the matching config alone made them current.
TEST(CliRunTest, EvaluateAndSanityAreReusedOnlyWhileTheirManifestsMatch) {
  TempDir tmp;
  const std::string out = tmp.file("run");
  const std::string args = "run -c " + kSmoke + " -o " + out + " --sanity.in_run true --attribution.methods grad_x_input";
  auto r = run_liftbench(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto before = read_tree(out);
  const std::string metrics = read_text(out + "/metrics.tsv");
  const std::vector<std::string> listed = io::read_tsv(out + "/evaluate.manifest.tsv").rows.at(0);  // metrics.tsv
  write_text(out + "/metrics.tsv", metrics + "\n");
  r = run_liftbench(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* step : {"simulate", "train", "attribute"})
    EXPECT_NE(r.err.find(fmt::format("[M::run] {}: reused (", step)), std::string::npos) << step << "\n" << r.err;
  EXPECT_NE(r.err.find(fmt::format("[M::run] evaluate: running ({}/evaluate.manifest.tsv:2: 'metrics.tsv' does not "
                                   "match; expected {} bytes with md5 {}, got {} bytes (changed or half replaced after "
                                   "{}/evaluate.manifest.tsv was written: rerun liftbench evaluate))",
                                   out, metrics.size(), listed.at(2), metrics.size() + 1, out)),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(read_tree(out) == before) << "the rerun wrote other bytes";

  write_text(out + "/sanity.tsv", "");
  r = run_liftbench(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("[M::run] evaluate: reused ("), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[M::run] sanity: running (" + out + "/sanity.manifest.tsv:2: 'sanity.tsv' does not match; "),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(read_tree(out) == before) << "the rerun wrote other bytes";
}

// `run` calls the steps as library functions (cli/steps.h); the same steps run by hand, as a
// sweep's workflow runs them (`liftbench <step> -c run.config.ini`), must write the same files,
// byte for byte, resolved configurations included.
TEST(CliRunTest, StepsOfRunEqualTheCommandsByHand) {
  TempDir tmp;
  const std::string a = tmp.file("run"), b = tmp.file("hand");
  auto r = run_liftbench("run -c " + kSmoke + " -o " + a +
                         " --threads 1 --sanity.in_run true --sim.n_seqs 600 --eval.discover_methods deeplift:rescale -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string cfg = a + "/run.config.ini";
  for (const std::string& cmd :
       {"simulate -o " + b + "/data", "train --data " + b + "/data -o " + b + "/model.npz --threads 2",
        "attribute --model " + b + "/model.npz --data " + b + "/data -o " + b + "/scores.npz --threads 2",
        "evaluate --data " + b + "/data --scores " + b + "/scores.npz --model-metrics " + b + "/model.metrics.tsv --model " +
            b + "/model.npz -o " + b + " --threads 2",
        "sanity --model " + b + "/model.npz --data " + b + "/data -o " + b + " --threads 2",
        "discover --scores " + b + "/scores.npz --data " + b + "/data -o " + b + " --threads 2"}) {
    r = run_liftbench(cmd + " -c " + cfg + " -q");
    ASSERT_EQ(r.exit_code, 0) << cmd << "\n" << r.err;
  }
  auto by_run = read_tree(a);
  auto by_hand = read_tree(b);
  for (auto& [name, text] : by_hand)  // discovery's per-task configs name the scores file
    for (std::size_t p = text.find(b); p != std::string::npos; p = text.find(b, p + a.size())) text.replace(p, b.size(), a);
  by_run.erase("run.config.ini");  // run's own; its report shows the whole configuration
  by_run.erase("report/index.html");
  by_run.erase("report/config.ini");
  std::set<std::string> names_run, names_hand;
  for (const auto& [name, text] : by_run) names_run.insert(name);
  for (const auto& [name, text] : by_hand)
    if (name.rfind("report/", 0) != 0) names_hand.insert(name);
  EXPECT_EQ(names_run, names_hand);
  for (const auto& [name, text] : by_run) {
    const auto it = by_hand.find(name);
    if (it != by_hand.end()) {
      EXPECT_TRUE(it->second == text) << name << " differs";
    }
  }
  EXPECT_NE(by_run.at("model.config.ini").find("# liftbench 0.1.0 train: resolved configuration"), std::string::npos);
  EXPECT_NE(by_run.at("sanity.config.ini").find("[sanity]"), std::string::npos);
  // Discovery found GATA on task 1 (600 sequences), so the comparison covers real motifs too.
  EXPECT_NE(by_run.at("discovery.tsv").find("deeplift:rescale\t1\tGATA_disc1\trecovered\t1"), std::string::npos)
      << by_run.at("discovery.tsv");

  // The discover step's inputs are checked before any task: a bad motif file or a method
  // without its arrays is an error, not a task that discovered nothing.
  const std::string empty = tmp.file("empty.meme"), c = tmp.file("c");
  write_text(empty, "MEME version 4\n");
  std::filesystem::create_directories(c);
  const std::string step = "discover -c " + cfg + " --scores " + a + "/scores.npz --data " + a + "/data -o " + c;
  expect_fails_cleanly(step + " --sim.motifs " + empty, empty + ": no motifs; expected at least one MOTIF, got none", c);
  expect_fails_cleanly(step + " --eval.discover_methods grad",
                       a + "/scores.npz: missing array 'grad.hypothetical'; expected the contributions and "
                           "hypothetical contributions of every method of eval.discover_methods, got an "
                           "archive without it",
                       c);
}

TEST(CliRunTest, MissingOutIsAnError) {
  const auto r = run_liftbench("run -c " + kSmoke);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.substr(r.err.find("liftbench: error:")),
            "liftbench: error: --out: missing output directory; expected -o DIR, got nothing\n");
}

// The smoke pipeline end to end; a second run reuses every step and changes nothing; a changed
// train key reruns train and the steps after it only.
TEST(CliRunTest, SmokeEndToEndReusesFinishedSteps) {
  TempDir tmp;
  const std::string out = tmp.file("run");
  auto r = run_liftbench("run -c " + kSmoke + " -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* f : {"run.config.ini", "data/sequences.fa", "data/sequences.fa.fai", "data/labels.tsv", "data/motifs.bed",
                        "data/config.ini", "data/manifest.tsv", "model.npz", "model.metrics.tsv", "model.epochs.tsv",
                        "model.config.ini", "model.manifest.tsv", "scores.npz", "scores.config.ini",
                        "scores.manifest.tsv", "metrics.tsv", "metrics.json", "hits.tsv",
                        "evaluate.config.ini", "report/index.html", "report/config.ini"})
    EXPECT_TRUE(std::filesystem::exists(out + "/" + f)) << f;
  for (const char* step : {"simulate", "train", "attribute", "evaluate", "report"}) {
    EXPECT_NE(r.err.find(fmt::format("[M::run] {}: running (", step)), std::string::npos) << step << "\n" << r.err;
    EXPECT_NE(r.err.find(fmt::format("[M::run] {}: done in ", step)), std::string::npos) << step;
  }
  // The report shows the whole run's configuration, and renders.
  const std::string html = read_text(out + "/report/index.html");
  EXPECT_NE(html.find("[attribution]"), std::string::npos);
  EXPECT_NE(html.find("[train]"), std::string::npos);
  if (std::filesystem::exists("/usr/bin/chromium")) {
    std::smatch m;
    ASSERT_TRUE(std::regex_search(html, m, std::regex(R"re(data-charts="(\d+)")re")));
    EXPECT_EQ(report_status(out + "/report/index.html"), fmt::format("rendered {} charts", m[1].str()));
  }

  const auto before = read_tree(out);
  r = run_liftbench("run -c " + kSmoke + " -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* step : {"simulate", "train", "attribute", "evaluate", "report"})
    EXPECT_NE(r.err.find(fmt::format("[M::run] {}: reused (", step)), std::string::npos) << step << "\n" << r.err;
  EXPECT_EQ(r.err.find(": running ("), std::string::npos) << r.err;
  EXPECT_TRUE(read_tree(out) == before) << "a reusing run changed files";

  r = run_liftbench("run -c " + kSmoke + " -o " + out + " --train.max_epochs 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("[M::run] simulate: reused ("), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[M::run] train: running (train.max_epochs differs: '5' in " + out + "/model.config.ini, '3' now)"),
            std::string::npos)
      << r.err;
  for (const char* step : {"attribute", "evaluate", "report"})
    EXPECT_NE(r.err.find(fmt::format("[M::run] {}: running (an earlier step ran)", step)), std::string::npos) << step;
  const auto after = read_tree(out);
  for (const char* f : {"data/sequences.fa", "data/labels.tsv", "data/motifs.bed", "data/config.ini"})
    EXPECT_EQ(after.at(f), before.at(f)) << f;
  EXPECT_NE(after.at("model.config.ini"), before.at("model.config.ini"));
  EXPECT_NE(after.at("run.config.ini"), before.at("run.config.ini"));

  // A step's file changed after it ran (here the labels, as a half-replacing kill would leave
  // them): its manifest no longer matches, so the step and every later one run again.
  write_text(out + "/data/labels.tsv", read_text(out + "/data/labels.tsv") + "\n");
  r = run_liftbench("run -c " + kSmoke + " -o " + out + " --train.max_epochs 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("[M::run] simulate: running (" + out + "/data/manifest.tsv:4: 'labels.tsv' does not match; "),
            std::string::npos)
      << r.err;
  EXPECT_EQ(read_tree(out).at("data/labels.tsv"), after.at("data/labels.tsv"));  // rewritten, same bytes
}

}  // namespace
}  // namespace lb

#include <algorithm>

namespace lb {
namespace {

using lb::testing::list_dir;
using lb::testing::read_text;
using lb::testing::run_liftbench;
using lb::testing::TempDir;
using lb::testing::write_text;

// `train --mnist`: a tiny MNIST-format dataset written by the test (8x8 images of two easy
// classes: 0 bright on the left, 7 bright on the right), a tiny conv2d net given by flags.
namespace mnist_test {

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>((v >> 16) & 0xff), static_cast<char>((v >> 8) & 0xff),
          static_cast<char>(v & 0xff)};
}

void write_idx(const std::string& dir, const std::string& prefix, int n, std::uint32_t seed) {
  constexpr int kSide = 8;
  std::string img = be32(0x803) + be32(static_cast<std::uint32_t>(n)) + be32(kSide) + be32(kSide);
  std::string lab = be32(0x801) + be32(static_cast<std::uint32_t>(n));
  std::uint32_t s = seed;
  for (int i = 0; i < n; ++i) {
    const bool left = i % 2 == 0;
    lab += static_cast<char>(left ? 0 : 7);
    for (int r = 0; r < kSide; ++r)
      for (int c = 0; c < kSide; ++c) {
        s = s * 1664525u + 1013904223u;  // LCG noise
        const int noise = static_cast<int>((s >> 24) % 60);
        img += static_cast<char>(((c < kSide / 2) == left ? 190 : 0) + noise);
      }
  }
  write_text(dir + "/" + prefix + "-images-idx3-ubyte", img);
  write_text(dir + "/" + prefix + "-labels-idx1-ubyte", lab);
}

const std::string kTinyLayers =
    "--model.layers 'c1=conv2d(4,3,3,2,2) relu flatten fc=dense(10)' "
    "--train.max_epochs 5 --train.batch_size 20 --train.learning_rate 0.02 --mnist-valid 40 --threads 1";
const std::string kTinyNet = kTinyLayers + " --model.output softmax";

}  // namespace mnist_test

TEST(CliTrainMnistTest, TinyDatasetTrainsAndReportsAccuracy) {
  TempDir tmp;
  std::filesystem::create_directories(tmp.file("mnist"));
  mnist_test::write_idx(tmp.file("mnist"), "train", 200, 1);
  mnist_test::write_idx(tmp.file("mnist"), "t10k", 40, 2);
  const auto r = run_liftbench("train --mnist " + tmp.file("mnist") + " " + mnist_test::kTinyNet + " -o " +
                               tmp.file("out/model.npz"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("160 train, 40 valid, 40 test images of shape 1x8x8"), std::string::npos) << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.err, m, std::regex(R"(test \(40 images\): loss [0-9.]+, accuracy ([0-9.]+) )")))
      << r.err;
  EXPECT_GE(std::stod(m[1].str()), 0.9) << r.err;  // two trivially separable classes
  EXPECT_NE(r.err.find("test accuracy per class: 0:"), std::string::npos) << r.err;
  EXPECT_EQ(list_dir(tmp.file("out")),
            (std::vector<std::string>{"model.config.ini", "model.epochs.tsv", "model.manifest.tsv", "model.metrics.tsv",
                                      "model.npz"}));
  const std::string metrics = read_text(tmp.file("out/model.metrics.tsv"));
  EXPECT_NE(metrics.find("\ntest_accuracy\tall\t"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("\ntest_accuracy\tclass7\t"), std::string::npos) << metrics;
  EXPECT_EQ(read_text(tmp.file("out/model.epochs.tsv")).substr(0, 48),
            "epoch\ttrain_loss\tvalid_loss\tvalid_accuracy\tbest\n");
}

TEST(CliTrainMnistTest, BadInputsFailCleanly) {
  TempDir tmp;
  std::filesystem::create_directories(tmp.file("mnist"));
  mnist_test::write_idx(tmp.file("mnist"), "train", 50, 1);
  auto r = run_liftbench("train --mnist " + tmp.file("mnist") + " " + mnist_test::kTinyNet + " -o " +
                         tmp.file("out/model.npz"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.substr(r.err.find("liftbench: error:")),
            "liftbench: error: " + tmp.file("mnist") +
                ": no t10k-images-idx3-ubyte or t10k-images-idx3-ubyte.gz; expected the four MNIST IDX files "
                "(scripts/get_mnist.sh), got a directory without it\n");
  EXPECT_FALSE(std::filesystem::exists(tmp.file("out/model.npz")));

  r = run_liftbench("train --mnist " + tmp.file("mnist") + " --data " + tmp.file("ds") + " " + mnist_test::kTinyNet +
                    " -o " + tmp.file("model.npz"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.substr(r.err.find("liftbench: error:")),
            "liftbench: error: --mnist: cannot be combined with --data; expected one of them, got both ('" +
                tmp.file("ds") + "' and '" + tmp.file("mnist") + "')\n");

  mnist_test::write_idx(tmp.file("mnist"), "t10k", 10, 2);
  r = run_liftbench("train --mnist " + tmp.file("mnist") + " " + mnist_test::kTinyLayers +
                    " --model.output sigmoid -o " + tmp.file("model.npz"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.substr(r.err.find("liftbench: error:")),
            "liftbench: error: model.output: MNIST has 10 classes; expected softmax, got 'sigmoid'\n");

  // A truncated image file: the reader's message, with the byte offset.
  const std::string img = tmp.file("mnist/t10k-images-idx3-ubyte");
  std::filesystem::resize_file(img, 100);
  r = run_liftbench("train --mnist " + tmp.file("mnist") + " " + mnist_test::kTinyNet + " -o " + tmp.file("model.npz"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.substr(r.err.find("liftbench: error:")),
            "liftbench: error: " + img + ": truncated data at byte 100; expected 16 + 10*8*8 = 656 bytes, got 100\n");
}

TEST(CliTrainMnistTest, PredictWritesProbabilitiesWithLabels) {
  TempDir tmp;
  std::filesystem::create_directories(tmp.file("mnist"));
  mnist_test::write_idx(tmp.file("mnist"), "train", 200, 1);
  mnist_test::write_idx(tmp.file("mnist"), "t10k", 40, 2);
  auto r = run_liftbench("train --mnist " + tmp.file("mnist") + " " + mnist_test::kTinyNet + " -o " +
                         tmp.file("model.npz"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_liftbench("predict --model " + tmp.file("model.npz") + " --mnist " + tmp.file("mnist") +
                    " --mnist-valid 40 --split valid -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')),
            "id\tsplit\tlabel\tclass0\tclass1\tclass2\tclass3\tclass4\tclass5\tclass6\tclass7\tclass8\tclass9");
  EXPECT_NE(r.out.find("\ntrain-160\tvalid\t0\t"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\ntrain-199\tvalid\t7\t"), std::string::npos) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 41);
  r = run_liftbench("predict --model " + tmp.file("model.npz") + " --mnist " + tmp.file("mnist") + " --data " +
                    tmp.file("mnist"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("liftbench: error: --mnist: cannot be combined with --data;"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace lb

namespace lb {
namespace {

TEST(CliTest, QuietSilencesEveryInformationLine) {
  TempDir tmp;
  const auto r = run_liftbench("simulate -q -c " + kSmoke + " -o " + tmp.file("ds"));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "");  // not even the version and command-line lines
}

}  // namespace
}  // namespace lb

// ---- outputs that would destroy inputs and checks before work (docs/reliability.md) ----

namespace lb {
namespace {

namespace fs = std::filesystem;

// The command fails with exit 1 and `message` as its last line.
void expect_error(const std::string& args, const std::string& message) {
  const auto r = run_liftbench(args);
  EXPECT_EQ(r.exit_code, 1) << args << "\n" << r.err;
  const auto pos = r.err.rfind("liftbench: error: ");
  ASSERT_NE(pos, std::string::npos) << r.err;
  EXPECT_EQ(r.err.substr(pos), "liftbench: error: " + message + "\n") << args;
}

std::string refused(const std::string& out, const std::string& in, const std::string& option) {
  return fmt::format("--out: output {} is the input {} ({}); expected an output that is not an input, got the same file",
                     out, in, option);
}

// Before: every one of these exited 0 having overwritten its own input (train after a full
// training run, the others after their work); evaluate, mnist-erasure and simulate --simdata
// replaced the file they had read.
TEST(CliPathsTest, AnOutputThatIsAnInputIsRefusedNamingBoth) {
  TempDir tmp;
  const std::string data = tmp.file("data"), model = tmp.file("m.npz");
  fs::copy(smoke_data(), data);
  fs::copy_file(smoke_model(), model);
  const std::string labels = data + "/labels.tsv", labels_before = read_text(labels);
  const std::string model_before = read_text(model);

  expect_error("attribute -q --model " + model + " --data " + data + " -o " + model, refused(model, model, "--model"));
  write_text(tmp.file("f.fa"), ">s\nACGT\n");
  expect_error("attribute -q --model " + model + " --fasta " + tmp.file("f.fa") + " -o " + tmp.file("f.fa"),
               refused(tmp.file("f.fa"), tmp.file("f.fa"), "--fasta"));
  expect_error("train -q -c " + kSmoke + " --data " + data + " -o " + labels, refused(labels, labels, "--data"));
  expect_error("train -q -c " + kSmoke + " --data " + data + " -o " + data + "/sequences.fa",
               refused(data + "/sequences.fa", data + "/sequences.fa", "--data"));
  expect_error("predict -q --model " + model + " --data " + data + " -o " + labels, refused(labels, labels, "--data"));
  // The same file through a symlink (and the symlink's own name in the message).
  fs::create_symlink(labels, tmp.file("link.tsv"));
  expect_error("predict -q --model " + model + " --data " + data + " -o " + tmp.file("link.tsv"),
               refused(tmp.file("link.tsv"), labels, "--data"));
  fs::create_directories(tmp.file("ev"));
  write_text(tmp.file("ev/metrics.tsv"), "metric\ttask\tvalue\n");
  expect_error("evaluate -q --data " + data + " --scores " + tmp.file("s.npz") + " --model-metrics " +
                   tmp.file("ev/metrics.tsv") + " -o " + tmp.file("ev"),
               refused(tmp.file("ev/metrics.tsv"), tmp.file("ev/metrics.tsv"), "--model-metrics"));
  fs::copy_file(model, tmp.file("ev/erasure.tsv"));
  expect_error("mnist-erasure -q --model " + tmp.file("ev/erasure.tsv") + " --mnist " + tmp.file("mnist") + " -o " +
                   tmp.file("ev"),
               refused(tmp.file("ev/erasure.tsv"), tmp.file("ev/erasure.tsv"), "--model"));
  fs::copy_file(model, tmp.file("ev/sanity.tsv"));
  expect_error("sanity -q --model " + tmp.file("ev/sanity.tsv") + " --data " + data + " -o " + tmp.file("ev"),
               refused(tmp.file("ev/sanity.tsv"), tmp.file("ev/sanity.tsv"), "--model"));
  write_text(tmp.file("ev/labels.tsv"), "not a simdata file\n");
  expect_error("simulate -q -c " + kSmoke + " --simdata " + tmp.file("ev/labels.tsv") + " -o " + tmp.file("ev"),
               refused(tmp.file("ev/labels.tsv"), tmp.file("ev/labels.tsv"), "--simdata"));
  // A scenario file inside the output directory under a dataset file's name (it is copied there
  // as scenario.ini): simulate wrote its copy over the file it had read.
  write_text(tmp.file("ev/scenario.ini"), read_text(std::string(LB_SOURCE_DIR) + "/configs/scenarios/paper.scenario"));
  expect_error("simulate -q -c " + kSmoke + " --sim.scenario " + tmp.file("ev/scenario.ini") + " -o " + tmp.file("ev"),
               refused(tmp.file("ev/scenario.ini"), tmp.file("ev/scenario.ini"), "sim.scenario"));

  EXPECT_EQ(read_text(labels), labels_before);
  EXPECT_EQ(read_text(model), model_before);
  EXPECT_EQ(read_text(tmp.file("f.fa")), ">s\nACGT\n");
  EXPECT_EQ(read_text(tmp.file("ev/metrics.tsv")), "metric\ttask\tvalue\n");
  EXPECT_EQ(read_text(tmp.file("ev/labels.tsv")), "not a simdata file\n");
  // Outputs beside the inputs are fine.
  const auto r = run_liftbench("predict -q --model " + model + " --data " + data + " -o " + data + "/p.tsv");
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// A simdata name with a space passed the reader, the existing dataset's
// config.ini was removed, then 'io/fasta.cpp:49: check failed' fired. Now the input is refused
// naming file:line before anything of the existing dataset is touched.
TEST(CliPathsTest, BadSimdataNameLeavesTheExistingDatasetWhole) {
  TempDir tmp;
  const std::string out = tmp.file("ds");
  ASSERT_EQ(run_liftbench("simulate -q -c " + kSmoke + " -o " + out).exit_code, 0);
  std::map<std::string, std::string> before;
  for (const auto& f : list_dir(out)) before[f] = read_text(out + "/" + f);
  std::string bad = kSimdata;
  bad.replace(bad.find("s_tal\t"), 6, "s tal\t");
  write_text(tmp.file("x.simdata"), bad);
  expect_error("simulate -q -c " + kSmoke + " --simdata " + tmp.file("x.simdata") + " -o " + out,
               tmp.file("x.simdata") +
                   ":4: bad sequence name; expected one word without spaces or control characters, got 's tal'");
  std::map<std::string, std::string> after;
  for (const auto& f : list_dir(out)) after[f] = read_text(out + "/" + f);
  EXPECT_TRUE(after == before) << "the existing dataset changed";
  EXPECT_EQ(after.count("config.ini"), 1u);
}

// A range error of a value from the config file named the key only
// ("sim.n_seqs: too small; ..."); it now starts with the file:line the value came from. From
// a flag it stays as it was.
TEST(CliPathsTest, RangeErrorsFromAConfigFileNameFileAndLine) {
  TempDir tmp;
  write_text(tmp.file("r.ini"), "[sim]\nseed = 3\nn_seqs = -5\n");
  expect_error("simulate -q -c " + tmp.file("r.ini") + " -o " + tmp.file("ds"),
               tmp.file("r.ini") + ":3: sim.n_seqs: too small; expected n_seqs >= 1, got -5");
  expect_error("simulate -q --sim.n_seqs -5 -o " + tmp.file("ds"), "sim.n_seqs: too small; expected n_seqs >= 1, got -5");
  write_text(tmp.file("a.ini"), "[attribution]\n\nn_shuffles = 0\n");
  expect_error("run -q -c " + tmp.file("a.ini") + " -o " + tmp.file("run"),
               tmp.file("a.ini") + ":3: attribution.n_shuffles: too small; expected a value >= 1, got 0");
  EXPECT_FALSE(fs::exists(tmp.file("ds")));
}

// Before the fix --methods '' ran the default methods (attribute: attribution.methods;
// mnist-erasure: all ten); an empty command flag is now an error.
TEST(CliPathsTest, EmptyFlagValueIsAnError) {
  TempDir tmp;
  expect_error("attribute -q --model " + smoke_model() + " --data " + smoke_data() + " --methods '' -o " +
                   tmp.file("s.npz"),
               "--methods: empty value; expected a non-empty value, got ''");
  expect_error("mnist-erasure -q --model m.npz --mnist " + tmp.path() + " --methods '' -o " + tmp.file("e"),
               "--methods: empty value; expected a non-empty value, got ''");
  EXPECT_TRUE(list_dir(tmp.path()).empty());
}

// A failing run must keep the completion marks of the steps before the failing one (it was
// reported to clear them all; not reproduced, so this guards it). evaluate
// fails on a directory where metrics.tsv goes; the next run reuses the three steps before it.
TEST(CliPathsTest, FailingRunKeepsTheMarksOfTheStepsBefore) {
  TempDir tmp;
  const std::string out = tmp.file("run");
  fs::create_directories(out + "/metrics.tsv");
  auto r = run_liftbench("run -c " + kSmoke + " -o " + out);
  ASSERT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("[M::run] evaluate: running ("), std::string::npos) << r.err;
  fs::remove(out + "/metrics.tsv");
  r = run_liftbench("run -c " + kSmoke + " -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* step : {"simulate", "train", "attribute"})
    EXPECT_NE(r.err.find(fmt::format("[M::run] {}: reused (", step)), std::string::npos) << step << "\n" << r.err;
  EXPECT_NE(r.err.find("[M::run] evaluate: running ("), std::string::npos) << r.err;
}

// Before the fix `train -o <existing directory>` failed at the final rename, after training
// ("[M::train] epoch 1 ..." lines first); it is now refused before any work.
TEST(CliPathsTest, TrainIntoADirectoryFailsBeforeTraining) {
  TempDir tmp;
  fs::create_directories(tmp.file("model.npz"));
  const auto r = run_liftbench("train -c " + kSmoke + " --data " + smoke_data() + " -o " + tmp.file("model.npz"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.find("epoch"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("liftbench: error: --out: " + tmp.file("model.npz") +
                       " is a directory; expected a file, got a directory\n"),
            std::string::npos)
      << r.err;
}

// Paths given on the command line reach messages escaped (no raw control byte) and, past 200
// shown bytes, cut in the middle: the directory's start and the file's name stay. Before, an
// ESC or BEL in a path reached the terminal raw, and a long path was printed whole.
TEST(CliPathsTest, CommandLinePathsInMessagesAreEscapedAndCapped) {
  TempDir tmp;
  const std::string esc = "\"$(printf '\\033')\"", bel = "\"$(printf '\\007')\"";  // for the shell
  const std::string missing = ": missing; expected the manifest written last by liftbench simulate, got no file (an "
                              "interrupted run, or a directory written before manifests: rerun liftbench simulate)";
  expect_error("train -q -c " + kSmoke + " --data " + tmp.file("d") + esc + "[31m -o " + tmp.file("m.npz"),
               tmp.file("d") + "\\x1b[31m/manifest.tsv" + missing);
  // A long directory: the first 98 and the last 99 bytes of the manifest's path.
  const std::string deep = tmp.file(std::string(100, 'a') + "/" + std::string(100, 'b') + "/" + std::string(100, 'c'));
  const std::string manifest = deep + "/manifest.tsv";
  expect_error("train -q -c " + kSmoke + " --data " + deep + " -o " + tmp.file("m.npz"),
               manifest.substr(0, 98) + "..." + manifest.substr(manifest.size() - 99) + missing);
  // An output that is an input, through a link whose name holds ESC.
  const std::string data = tmp.file("data");
  fs::copy(smoke_data(), data);
  fs::create_symlink(data + "/labels.tsv", tmp.file("l\x1bk"));
  expect_error("predict -q --model " + smoke_model() + " --data " + data + " -o " + tmp.file("l") + esc + "k",
               refused(tmp.file("l\\x1bk"), data + "/labels.tsv", "--data"));
  // A config file's name in a value's file:line.
  write_text(tmp.file("c\x07.ini"), "[sim]\nn_seqs = lots\n");
  expect_error("simulate -q -c " + tmp.file("c") + bel + ".ini -o " + tmp.file("ds"),
               tmp.file("c\\x07.ini") + ":2: bad value for 'sim.n_seqs'; expected an integer, got 'lots'");
  // An output directory that cannot be made; the log's command line is escaped too.
  write_text(tmp.file("afile"), "x");
  const auto r = run_liftbench("simulate -c " + kSmoke + " -o " + tmp.file("afile/d") + esc);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("\nliftbench: error: " + tmp.file("afile/d\\x1b") + ": cannot create output directory: "),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(" -o " + tmp.file("afile/d\\x1b") + "\n"), std::string::npos) << r.err;  // [M::simulate] cmd: ...
  EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << r.err;
}

// Before the fix `predict -o new/dir/p.tsv` failed with "cannot create: No such file or
// directory"; like every other command it now creates the output's folder.
TEST(CliPathsTest, PredictCreatesTheOutputFolder) {
  TempDir tmp;
  const std::string out = tmp.file("new/sub/p.tsv");
  const auto r = run_liftbench("predict -q --model " + smoke_model() + " --data " + smoke_data() + " -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_text(out).rfind("id\tsplit\ttask0\t", 0), 0u);
}

}  // namespace
}  // namespace lb

// ---- liftbench seal ---------------------------------------------------------------------------

namespace lb {
namespace {

// A dataset directory as a user builds it by hand: six sequences of 30 bases (three train, two
// valid, one test), one task, motifs.bed with the planted sites; no manifest, no config.ini.
void write_hand_made_dataset(const std::string& dir, const std::string& test_split = "test") {
  std::filesystem::create_directories(dir);
  const std::string bg = "ACGTTGCAACGTTGCAACGTTGCAACGTTG";
  std::string fa, labels = "id\tsplit\tclass\tbound\tn_gata\n", bed;
  const char* splits[] = {"train", "train", "train", "valid", "valid", nullptr};
  for (int i = 0; i < 6; ++i) {
    const bool bound = i % 2 == 0;
    std::string seq = bg;
    if (bound) seq.replace(10, 6, "AGATAA");
    fa += fmt::format(">s{}\n{}\n", i, seq);
    labels += fmt::format("s{}\t{}\t{}\t{}\t{}\n", i, splits[i] ? splits[i] : test_split, bound ? "gata" : "none",
                          bound ? 1 : 0, bound ? 1 : 0);
    if (bound) bed += fmt::format("s{}\t10\t16\tGATA\t400\t+\t8.25\n", i);
  }
  write_text(dir + "/sequences.fa", fa);
  write_text(dir + "/labels.tsv", labels);
  write_text(dir + "/motifs.bed", bed);
}

TEST(CliSealTest, SealedHandMadeDatasetIsReadByTheReaders) {
  TempDir tmp;
  const std::string data = tmp.file("hand");
  write_hand_made_dataset(data);
  const std::string train = "train -q -c " + kSmoke + " --data " + data + " -o " + tmp.file("m/model.npz") +
                            " --model.layers 'conv1=conv1d(4,5) relu gap fc1=dense(1)' --train.max_epochs 1";
  expect_error(train, data + "/manifest.tsv: missing; expected the manifest written last by liftbench simulate, got "
                             "no file (an interrupted run, or a directory written before manifests: rerun liftbench "
                             "simulate)");
  const auto r = run_liftbench("seal --data " + data);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("[M::seal] wrote " + data + "/manifest.tsv (sequences.fa, labels.tsv, motifs.bed)\n"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(manifest_files(data + "/manifest.tsv"), (std::vector<std::string>{"sequences.fa", "labels.tsv", "motifs.bed"}));
  EXPECT_EQ(list_dir(data), (std::vector<std::string>{"labels.tsv", "manifest.tsv", "motifs.bed", "sequences.fa"}));
  const auto t = run_liftbench(train);
  EXPECT_EQ(t.exit_code, 0) << t.err;
  EXPECT_EQ(sim::read_dataset_dir(data).size(), 6);
  // Sealing again (e.g. after an edit made on purpose) rewrites the manifest for the files as they are.
  write_text(data + "/motifs.bed", read_text(data + "/motifs.bed") + "\n");
  EXPECT_THROW(sim::read_dataset_dir(data), InputError);
  ASSERT_EQ(run_liftbench("seal -q --data " + data).exit_code, 0);
  EXPECT_EQ(sim::read_dataset_dir(data).size(), 6);
  // A simulated directory seals to the manifest simulate wrote.
  const std::string sim_manifest = read_text(smoke_data() + "/manifest.tsv");
  fs::copy(smoke_data(), tmp.file("sim"));
  fs::remove(tmp.file("sim/manifest.tsv"));
  ASSERT_EQ(run_liftbench("seal -q --data " + tmp.file("sim")).exit_code, 0);
  EXPECT_EQ(read_text(tmp.file("sim/manifest.tsv")), sim_manifest);
}

// A directory that would not read is refused with the reader's own one-line error, and no
// manifest is written.
TEST(CliSealTest, UnreadableDirectoriesAreRefusedAndStayUnsealed) {
  TempDir tmp;
  const std::string data = tmp.file("hand");
  write_hand_made_dataset(data, "tset");
  expect_error("seal --data " + data, data + "/labels.tsv:7: unknown split; expected train, valid or test, got 'tset'");
  EXPECT_FALSE(fs::exists(data + "/manifest.tsv"));
  write_hand_made_dataset(data);
  write_text(data + "/motifs.bed", "s0\t10\t40\tGATA\t400\t+\t8.25\n");
  expect_error("seal --data " + data,
               data + "/motifs.bed:1: motif span outside the sequence; expected 0 <= start < end <= 30, got 10-40");
  EXPECT_FALSE(fs::exists(data + "/manifest.tsv"));
  expect_error("seal --data " + tmp.file("none"), tmp.file("none") + "/sequences.fa: cannot open: No such file or directory");
  EXPECT_FALSE(fs::exists(tmp.file("none")));
  expect_error("seal", "--data: missing dataset directory; expected --data DIR, got nothing");
  const auto help = run_liftbench("seal --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--data DIR"), std::string::npos) << help.out;
  EXPECT_NE(read_text(std::string(LB_SOURCE_DIR) + "/docs/cli.md").find("### `liftbench seal`"), std::string::npos);
  EXPECT_NE(run_liftbench("").out.find("  seal       check a dataset directory made by hand"), std::string::npos);
}

// Three fixed sequences s0..s2 of 64 bases, as FASTA.
std::string three_sequences_of_64() {
  std::string fasta;
  for (int i = 0; i < 3; ++i) {
    fasta += fmt::format(">s{}\n", i);
    for (int p = 0; p < 64; ++p) fasta += "ACGT"[(p * (i + 3) + p / 5) % 4];
    fasta += "\n";
  }
  return fasta;
}

// ONNX in and out (model/onnx.h): `liftbench import` writes the PyTorch fixture's state_dict,
// `attribute --model x.onnx` scores exactly as with the imported model.npz, and `export` writes
// a graph that imports back to the same model.
TEST(CliOnnxTest, ImportAttributeAndExport) {
  TempDir tmp;
  const std::string onnx = std::string(LB_TEST_DATA_DIR) + "/torch/basset_like.onnx";
  auto r = run_liftbench("import " + onnx + " -o " + tmp.file("out/m.npz"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("[M::import] " + onnx + ": 12 layers, 4291 parameter values, input 4x64, 3 outputs (linear) -> " +
                       tmp.file("out/m.npz") + "\n"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(list_dir(tmp.file("out")), std::vector<std::string>{"m.npz"});
  // The state_dict PyTorch saved, array for array (liftbench writes the buffers last).
  const io::NpzArchive ours = io::read_npz(tmp.file("out/m.npz"));
  const io::NpzArchive torch = io::read_npz(std::string(LB_TEST_DATA_DIR) + "/torch/basset_like.model.npz");
  ASSERT_EQ(ours.size(), torch.size());
  for (const auto& [name, array] : torch) {
    const io::NpyArray& mine = io::find_array(ours, name, "m.npz");
    EXPECT_EQ(mine.dtype, array.dtype) << name;
    EXPECT_EQ(mine.shape, array.shape) << name;
    EXPECT_EQ(mine.bytes, array.bytes) << name;
  }

  write_text(tmp.file("s.fa"), three_sequences_of_64());
  const std::string attribute = "attribute -q --methods grad,deeplift:rescale --fasta " + tmp.file("s.fa");
  r = run_liftbench(attribute + " --model " + onnx + " -o " + tmp.file("a/onnx.npz"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_liftbench(attribute + " --model " + tmp.file("out/m.npz") + " -o " + tmp.file("a/npz.npz"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const io::NpzArchive a = io::read_npz(tmp.file("a/onnx.npz")), b = io::read_npz(tmp.file("a/npz.npz"));
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t k = 0; k < a.size(); ++k) {
    EXPECT_EQ(a[k].first, b[k].first);
    EXPECT_EQ(a[k].second.bytes, b[k].second.bytes) << a[k].first;
  }

  r = run_liftbench("export -q " + tmp.file("out/m.npz") + " -o " + tmp.file("back.onnx"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_liftbench("import -q " + tmp.file("back.onnx") + " -o " + tmp.file("back.npz"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(io::read_npz(tmp.file("back.npz")).size(), ours.size());
  EXPECT_EQ(read_text(tmp.file("back.npz")), read_text(tmp.file("out/m.npz")));

  const auto help = run_liftbench("import --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_EQ(help.out.rfind("Usage: liftbench import [options] MODEL.onnx\n", 0), 0u) << help.out;
  const std::string doc = read_text(std::string(LB_SOURCE_DIR) + "/docs/cli.md");
  EXPECT_NE(doc.find("### `liftbench import`"), std::string::npos);
  EXPECT_NE(doc.find("### `liftbench export`"), std::string::npos);
  EXPECT_NE(run_liftbench("").out.find("  import     an ONNX model"), std::string::npos);
}

TEST(CliOnnxTest, BadArguments) {
  TempDir tmp;
  const std::string onnx = std::string(LB_TEST_DATA_DIR) + "/torch/smooth_zoo.onnx";
  expect_fails_cleanly("import " + onnx, "--out: missing output file; expected -o model.npz, got nothing", tmp.path());
  expect_fails_cleanly("import -o " + tmp.file("m.npz"),
                       "--model: missing ONNX model; expected liftbench import MODEL.onnx -o model.npz, got nothing",
                       tmp.path());
  expect_fails_cleanly("import " + onnx + " --output probit -o " + tmp.file("m.npz"),
                       "--output: unknown output; expected sigmoid, softmax or linear, got 'probit'", tmp.path());
  expect_fails_cleanly("import " + onnx + " " + onnx + " -o " + tmp.file("m.npz"),
                       "liftbench import: too many arguments; expected options and one MODEL.onnx, got a second one",
                       tmp.path());
  expect_fails_cleanly("export " + onnx + " -o " + tmp.file("m.onnx") + " extra",
                       "liftbench export: too many arguments; expected options and one MODEL.npz, got a second one",
                       tmp.path());
  expect_fails_cleanly("import " + tmp.file("none.onnx") + " -o " + tmp.file("m.npz"),
                       tmp.file("none.onnx") + ": cannot open: No such file or directory", tmp.path());
  TempDir in;
  write_text(in.file("text.onnx"), "not a model\n");
  expect_fails_cleanly("import " + in.file("text.onnx") + " -o " + tmp.file("m.npz"),
                       in.file("text.onnx") + ": not an ONNX model; expected a serialized ONNX ModelProto (protobuf), got "
                                              "bytes protobuf cannot parse",
                       tmp.path());
  expect_fails_cleanly("import " + onnx + " -o " + onnx, "--out: output " + onnx + " is the input " + onnx +
                                                            " (--model); expected an output that is not an input, got the same file",
                       tmp.path());
  // A weights-only .npz has no architecture to export.
  expect_fails_cleanly("export " + std::string(LB_TEST_DATA_DIR) + "/torch/smooth_zoo.model.npz -o " + tmp.file("m.onnx"),
                       std::string(LB_TEST_DATA_DIR) + "/torch/smooth_zoo.model.npz: no architecture; expected a model.npz "
                                                       "written by liftbench (train or import), got a weights-only .npz",
                       tmp.path());
}


// A model with two graph outputs (a BPNet's profile and counts): import lists the heads, and
// attribute explains named targets, which scores.npz names in `targets`; a model of several
// heads without targets is refused with a line naming them.
TEST(CliOnnxTest, HeadsAndTargets) {
  TempDir tmp;
  const std::string onnx = std::string(LB_TEST_DATA_DIR) + "/torch/bpnet_heads.onnx";
  auto r = run_liftbench("import " + onnx + " -o " + tmp.file("m.npz"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("[M::import] " + onnx + ": 9 layers, 523 parameter values, input 4x64, 129 outputs (linear), "
                       "heads profile (2x64), counts (1) -> " + tmp.file("m.npz") + "\n"),
            std::string::npos)
      << r.err;
  write_text(tmp.file("s.fa"), three_sequences_of_64());
  const std::string attribute = "attribute -q --methods grad,deeplift:rescale --fasta " + tmp.file("s.fa") + " --model ";
  r = run_liftbench(attribute + tmp.file("m.npz") +
                    " --attribution.targets 'profile(profile) counts(counts) diff(profile[0],profile[64])' -o " +
                    tmp.file("a/s.npz"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const io::NpzArchive a = io::read_npz(tmp.file("a/s.npz"));
  EXPECT_EQ(io::find_array(a, "targets", "s.npz").to_strings("targets"),
            (std::vector<std::string>{"profile(profile)", "counts(counts)", "diff(profile[0],profile[64])"}));
  EXPECT_EQ(io::find_array(a, "tasks", "s.npz").to_i64("tasks"), (std::vector<std::int64_t>{-1, 128, -1}));
  EXPECT_EQ(io::find_array(a, "deeplift:rescale", "s.npz").shape, (std::vector<std::int64_t>{3, 3, 4, 64}));
  // Summation-to-delta relative to each target: DeepLIFT's errors are rounding.
  for (const float d : io::find_array(a, "deeplift:rescale.delta", "s.npz").to_f32("delta")) EXPECT_LT(std::abs(d), 1e-4f);
  // The ONNX file itself attributes to the same bytes.
  r = run_liftbench(attribute + onnx + " --attribution.targets 'profile(profile) counts(counts) diff(profile[0],profile[64])' -o " +
                    tmp.file("a/o.npz"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_text(tmp.file("a/o.npz")), read_text(tmp.file("a/s.npz")));
  TempDir bad;
  expect_fails_cleanly(attribute + tmp.file("m.npz") + " -o " + bad.file("s.npz"),
                       "attribution.targets: the model has heads profile (2x64), counts (1); expected targets naming "
                       "them, e.g. profile(profile) or counts(counts), got none",
                       bad.path());
  expect_fails_cleanly(attribute + tmp.file("m.npz") + " --attribution.targets 'profile(prof)' -o " + bad.file("s.npz"),
                       "attribution.targets: unknown head in 'profile(prof)'; expected one of the model's heads "
                       "(profile, counts), got 'prof'",
                       bad.path());
  // Predictions of a model of heads: a column per unit, named as targets name them.
  r = run_liftbench("predict -q --model " + onnx + " --fasta " + tmp.file("s.fa") + " -o " + tmp.file("p.tsv"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string header = read_text(tmp.file("p.tsv")).substr(0, read_text(tmp.file("p.tsv")).find('\n'));
  EXPECT_EQ(header.substr(0, 25), "id\tprofile[0]\tprofile[1]\t");
  EXPECT_EQ(header.substr(header.size() - 23), "\tprofile[127]\tcounts[0]");
  // Seqlets (and discovery) of a target: --task is its position among the targets.
  r = run_liftbench("seqlets -q --scores " + tmp.file("a/s.npz") + " --method deeplift:rescale --task 1 -o " +
                    tmp.file("d/seqlets.bed"));  // the folder created, as by every command
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = run_liftbench("seqlets -q --scores " + tmp.file("a/s.npz") + " --method deeplift:rescale --task 3 -o " +
                    tmp.file("seqlets.bed"));
  EXPECT_NE(r.err.find("--task: out of range; expected a task in [0, 2] ('deeplift:rescale' has 3 tasks), got 3"),
            std::string::npos)
      << r.err;
  // --references: each sequence's own references, stored back as given.
  std::vector<float> refs(3 * 2 * 4 * 64);
  for (std::size_t e = 0; e < refs.size(); ++e) refs[e] = static_cast<float>((e * 7919) % 100) / 100.0f;
  io::write_file_atomic(tmp.file("r.npy"), io::encode_npy(io::NpyArray::from_f32({3, 2, 4, 64}, refs)));
  r = run_liftbench(attribute + tmp.file("m.npz") + " --attribution.targets 'counts(counts)' --references " +
                    tmp.file("r.npy") + " --attribution.store_references true -o " + tmp.file("a/r.npz"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const io::NpzArchive withr = io::read_npz(tmp.file("a/r.npz"));
  EXPECT_EQ(io::find_array(withr, "deeplift:rescale.references", "r.npz").to_f32("refs"), refs);
  EXPECT_EQ(io::find_array(withr, "deeplift:rescale.references", "r.npz").shape,
            (std::vector<std::int64_t>{3, 2, 4, 64}));
  io::write_file_atomic(tmp.file("r2.npy"), io::encode_npy(io::NpyArray::from_f32({2, 2, 4, 64}, std::span(refs).first(1024))));
  expect_fails_cleanly(attribute + tmp.file("m.npz") + " --attribution.targets 'counts(counts)' --references " +
                           tmp.file("r2.npy") + " -o " + bad.file("s.npz"),
                       tmp.file("r2.npy") + ": wrong shape; expected (3, K, 4, 64) for the 3 sequences of 4x64 (K "
                                            "references each), got (2,2,4,64)",
                       bad.path());
  expect_fails_cleanly(attribute + tmp.file("m.npz") + " --attribution.targets 'counts(counts)' --references " +
                           tmp.file("r.npy") + " -o " + tmp.file("r.npy"),
                       "--out: output " + tmp.file("r.npy") + " is the input " + tmp.file("r.npy") +
                           " (--references); expected an output that is not an input, got the same file",
                       bad.path());
}
}  // namespace
}  // namespace lb
