// The liftbench executable end to end: command table, help, version, simulate on the smoke
// config, and each bad-input class with its exact message, exit code and no partial output.
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "testing/helpers.h"

namespace lb {
namespace {

using lb::testing::list_dir;
using lb::testing::read_text;
using lb::testing::run_liftbench;
using lb::testing::TempDir;
using lb::testing::write_text;

const std::string kSmoke = std::string(LB_SOURCE_DIR) + "/configs/smoke.ini";

TEST(CliTest, NoArgumentsListsCommands) {
  const auto r = run_liftbench("");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("  simulate   simulate the TAL1/GATA1 dataset"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  version    print the version"), std::string::npos) << r.out;
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
  const auto r = run_liftbench("simulate --help");
  const std::string doc = read_text(std::string(LB_SOURCE_DIR) + "/docs/cli.md");
  ASSERT_FALSE(doc.empty());
  std::regex key_re(R"(--([a-z_]+\.[a-z_]+))");
  int n = 0;
  for (std::sregex_iterator it(r.out.begin(), r.out.end(), key_re), end; it != end; ++it, ++n)
    EXPECT_NE(doc.find(fmt::format("`{}`", (*it)[1].str())), std::string::npos) << (*it)[1] << " missing from docs/cli.md";
  EXPECT_GT(n, 10);
}

TEST(CliTest, SimulateSmokeWritesTheDatasetDirectory) {
  TempDir tmp;
  const std::string out = tmp.file("ds");
  const auto r = run_liftbench("simulate -c " + kSmoke + " -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(list_dir(out), (std::vector<std::string>{"config.ini", "labels.tsv", "motifs.bed", "sequences.fa.gz",
                                                     "sequences.fa.gz.fai", "sequences.fa.gz.gzi"}));
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
  for (const char* f : {"sequences.fa.gz", "labels.tsv", "motifs.bed", "config.ini"})
    EXPECT_EQ(read_text(out + "/" + f), read_text(out2 + "/" + f)) << f;
  // A different seed gives different data.
  const std::string out3 = tmp.file("ds3");
  ASSERT_EQ(run_liftbench("simulate -c " + kSmoke + " --sim.seed 8 -o " + out3).exit_code, 0);
  EXPECT_NE(read_text(out + "/sequences.fa.gz"), read_text(out3 + "/sequences.fa.gz"));
}

TEST(CliTest, ToolsReadTheDataset) {
  if (std::system("command -v samtools >/dev/null 2>&1 && command -v bedtools >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "samtools/bedtools not installed";
  TempDir tmp;
  const std::string out = tmp.file("ds");
  ASSERT_EQ(run_liftbench("simulate -c " + kSmoke + " -o " + out).exit_code, 0);
  const auto fa = lb::testing::run_command("samtools faidx " + out + "/sequences.fa.gz seq0003");
  ASSERT_EQ(fa.exit_code, 0) << fa.err;
  EXPECT_EQ(fa.out.rfind(">seq0003\n", 0), 0u);
  // bedtools getfasta of the planted sites returns sequences of the motif widths.
  write_text(tmp.file("genome"), "");
  const auto bed = lb::testing::run_command("zcat " + out + "/sequences.fa.gz > " + tmp.file("plain.fa") +
                                            " && bedtools getfasta -fi " + tmp.file("plain.fa") + " -bed " + out +
                                            "/motifs.bed -tab");
  ASSERT_EQ(bed.exit_code, 0) << bed.err;
  EXPECT_GT(std::count(bed.out.begin(), bed.out.end(), '\n'), 100);
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
