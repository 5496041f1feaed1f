// `liftbench match` and `liftbench modisco-inputs` end to end: help (every flag documented in
// docs/cli.md), a smoke run of each, and every bad input's exact one-line message with nothing
// written.
#include <filesystem>
#include <fstream>
#include <regex>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "io/npz.h"
#include "io/tsv.h"
#include "testing/helpers.h"

namespace lb {
namespace {

using lb::testing::list_dir;
using lb::testing::read_text;
using lb::testing::run_liftbench;
using lb::testing::TempDir;
using lb::testing::write_text;

const std::string kMotifs = std::string(LB_SOURCE_DIR) + "/configs/motifs/";

void expect_documented(const std::string& cmd) {
  const std::string doc = read_text(std::string(LB_SOURCE_DIR) + "/docs/cli.md");
  const auto r = run_liftbench(cmd + " --help");
  ASSERT_EQ(r.exit_code, 0) << cmd;
  EXPECT_NE(doc.find("### `liftbench " + cmd + "`"), std::string::npos) << cmd;
  std::regex flag_re(R"(\n  (?:-[a-z] \[ )?--([a-z-]+)(?: \])? )");
  int n = 0;
  for (std::sregex_iterator it(r.out.begin(), r.out.end(), flag_re), end; it != end; ++it, ++n)
    EXPECT_NE(doc.find(fmt::format("`--{}", (*it)[1].str())), std::string::npos)
        << "--" << (*it)[1] << " (liftbench " << cmd << ") missing from docs/cli.md";
  EXPECT_GE(n, 4) << r.out;
}

TEST(CliMatchTest, HelpListsEveryFlagWithItsDefaultAndDocsHaveThem) {
  const auto h = run_liftbench("match --help");
  EXPECT_EQ(h.exit_code, 0);
  for (const char* flag : {"--query FILE", "--db FILE", "--dist NAME (=pearson)", "--min-overlap N (=5)",
                           "--thresh Q (=0.5)", "--bins B (=100)", "-o [ --out ] FILE"})
    EXPECT_NE(h.out.find(flag), std::string::npos) << flag << "\n" << h.out;
  expect_documented("match");
  expect_documented("modisco-inputs");
  const std::string list = run_liftbench("").out;
  EXPECT_NE(list.find("  match      TOMTOM-like matching"), std::string::npos) << list;
  EXPECT_NE(list.find("  modisco-inputs one method of a scores file"), std::string::npos) << list;
}

TEST(CliMatchTest, PaperMotifsAgainstThemselvesAndJaspar) {
  TempDir tmp;
  const auto r = run_liftbench(fmt::format("match --query {0}tal1_gata1.meme --db {0}tal1_gata1.meme --thresh 1 -o {1}",
                                           kMotifs, tmp.file("self.tsv")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto t = io::read_tsv(tmp.file("self.tsv"));
  EXPECT_EQ(t.header, (std::vector<std::string>{"Query_ID", "Target_ID", "Optimal_offset", "p-value", "E-value",
                                                "q-value", "Overlap", "Query_consensus", "Target_consensus",
                                                "Orientation", "Similarity"}));
  ASSERT_EQ(t.rows.size(), 4u);  // 2 queries x 2 targets at --thresh 1
  EXPECT_EQ(t.rows[0].at(0), "GATA_disc1");
  EXPECT_EQ(t.rows[0].at(1), "GATA_disc1");
  EXPECT_EQ(t.rows[0].at(2), "0");
  EXPECT_EQ(t.rows[0].at(6), "10");
  EXPECT_EQ(t.rows[0].at(7), t.rows[0].at(8));
  EXPECT_EQ(t.rows[0].at(9), "+");
  EXPECT_EQ(t.rows[0].at(10), "10");  // Pearson 1 in every column
  EXPECT_EQ(t.rows[2].at(0), "TAL1_known1");
  EXPECT_EQ(t.rows[2].at(1), "TAL1_known1");
  EXPECT_LT(std::stod(t.rows[0].at(3)), std::stod(t.rows[1].at(3)));  // sorted by p within a query
  EXPECT_NE(r.err.find("[M::match] GATA_disc1: best GATA_disc1 offset 0 strand + overlap 10 similarity 10 p "),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("2 query motifs x 2 targets (pearson, min overlap 5, 100 bins): 4 matches with q <= 1 -> "),
            std::string::npos)
      << r.err;
  // Against the shipped JASPAR matrices, by Euclidean distance: GATA_disc1's best is Gata1.
  const auto j = run_liftbench(fmt::format("match -q --query {0}tal1_gata1.meme --db {0}jaspar2016_vertebrates.jaspar "
                                           "--dist ed --thresh 1 -o {1}",
                                           kMotifs, tmp.file("jaspar.tsv")));
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_TRUE(j.err.empty()) << j.err;
  const auto tj = io::read_tsv(tmp.file("jaspar.tsv"));
  ASSERT_EQ(tj.rows.size(), 14u);
  EXPECT_EQ(tj.rows[0].at(1), "MA0035.3");
  // The default --thresh 0.5 keeps only rows with q <= 0.5.
  ASSERT_EQ(run_liftbench(fmt::format("match -q --query {0}tal1_gata1.meme --db {0}jaspar2016_vertebrates.jaspar -o {1}",
                                      kMotifs, tmp.file("q.tsv")))
                .exit_code,
            0);
  for (const auto& row : io::read_tsv(tmp.file("q.tsv")).rows) EXPECT_LE(std::stod(row.at(5)), 0.5);
}

TEST(CliMatchTest, ErrorsAreOneLineAndLeaveNothing) {
  TempDir tmp;
  write_text(tmp.file("empty.meme"), "MEME version 4\n\nALPHABET= ACGT\n");
  write_text(tmp.file("motifs.xyz"), "x\n");
  const std::string q = kMotifs + "tal1_gata1.meme", o = tmp.file("out.tsv");
  const auto expect_error = [&](const std::string& args, const std::string& message) {
    const auto r = run_liftbench("match " + args + " -o " + o);
    EXPECT_EQ(r.exit_code, 1) << args;
    const auto at = r.err.find("liftbench: error: ");
    EXPECT_EQ(at == std::string::npos ? r.err : r.err.substr(at), "liftbench: error: " + message + "\n") << args;
    EXPECT_EQ(list_dir(tmp.path()), (std::vector<std::string>{"empty.meme", "motifs.xyz"})) << args;
  };
  expect_error("--query " + q + " --db " + tmp.file("empty.meme"),
               tmp.file("empty.meme") + ": no motifs; expected at least one MOTIF, got none");
  expect_error("--query " + tmp.file("empty.meme") + " --db " + q,
               tmp.file("empty.meme") + ": no motifs; expected at least one MOTIF, got none");
  expect_error("--query " + q + " --db " + tmp.file("none.meme"),
               tmp.file("none.meme") + ": cannot open: No such file or directory");
  expect_error("--query " + q + " --db " + tmp.file("motifs.xyz"),
               tmp.file("motifs.xyz") + ": unknown motif file type; expected a name ending in .meme, .txt, .jaspar, "
                                        ".pfm, .motif or .motifs, got '.xyz'");
  expect_error("--query " + q + " --db " + q + " --dist allr",
               "--dist: unknown column similarity; expected pearson or ed, got 'allr'");
  expect_error("--query " + q + " --db " + q + " --min-overlap 0",
               "--min-overlap: out of range; expected an integer >= 1, got 0");
  expect_error("--query " + q + " --db " + q + " --min-overlap five",
               "--min-overlap: bad value; expected an integer, got 'five'");
  expect_error("--query " + q + " --db " + q + " --thresh 1.5",
               "--thresh: out of range; expected a q-value in [0, 1], got 1.5");
  expect_error("--query " + q + " --db " + q + " --thresh x", "--thresh: bad value; expected a number, got 'x'");
  expect_error("--query " + q + " --db " + q + " --bins 5",
               "--bins: out of range; expected an integer in [10, 1000], got 5");
  expect_error("--db " + q, "--query: missing query motif file; expected --query FILE, got nothing");
  expect_error("--query " + q, "--db: missing motif database; expected --db FILE, got nothing");
  const auto r = run_liftbench("match --query " + q + " --db " + q);
  EXPECT_EQ(r.err.substr(r.err.find("liftbench: error: ")),
            "liftbench: error: --out: missing output file; expected -o FILE, got nothing\n");
}

// A small scores archive: 2 sequences x 6 bp, tasks {0, 3}, method 'deeplift' with hypothetical scores.
void write_scores(const std::string& path) {
  const std::int64_t N = 2, T = 2, L = 6;
  std::vector<float> onehot(N * 4 * L, 0.0f), hyp(N * T * 4 * L);
  for (std::int64_t i = 0; i < N; ++i)
    for (std::int64_t l = 0; l < L; ++l) onehot[static_cast<std::size_t>((i * 4 + l % 4) * L + l)] = 1.0f;
  for (std::size_t k = 0; k < hyp.size(); ++k) hyp[k] = static_cast<float>(k) * 0.25f;
  io::write_npz(path, {{"ids", io::NpyArray::from_strings({N}, std::vector<std::string>{"s0", "s1"})},
                       {"onehot", io::NpyArray::from_f32({N, 4, L}, onehot)},
                       {"tasks", io::NpyArray::from_i64({T}, std::vector<std::int64_t>{0, 3})},
                       {"deeplift", io::NpyArray::from_f32({N, T, 4, L}, std::vector<float>(hyp.size(), 0.0f))},
                       {"deeplift.hypothetical", io::NpyArray::from_f32({N, T, 4, L}, hyp)}});
}

TEST(CliModiscoInputsTest, WritesTheFilesAndTheCommandLine) {
  TempDir tmp;
  write_scores(tmp.file("scores.npz"));
  const auto r = run_liftbench(fmt::format("modisco-inputs --scores {} --method deeplift -o {}", tmp.file("scores.npz"),
                                           tmp.file("mod")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(list_dir(tmp.file("mod")), (std::vector<std::string>{"ohe.npy", "task0.hyp.npy", "task3.hyp.npy"}));
  const auto h3 = io::decode_npy(read_text(tmp.file("mod/task3.hyp.npy")), "h3");
  EXPECT_EQ(h3.shape_str(), "(2,4,6)");
  EXPECT_EQ(h3.to_f32("h3")[0], 24 * 0.25f);  // sequence 0, task axis 1 starts at element 4 x 6
  EXPECT_NE(r.err.find(fmt::format("[M::modisco-inputs] task 3: modisco motifs -s {0}/ohe.npy -a {0}/task3.hyp.npy "
                                   "-n 2000 -w 6 -o modisco_task3.h5",
                                   tmp.file("mod"))),
            std::string::npos)
      << r.err;
  const auto one = run_liftbench(fmt::format("modisco-inputs -q --scores {} --method deeplift --task 3 -o {}",
                                             tmp.file("scores.npz"), tmp.file("one")));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(list_dir(tmp.file("one")), (std::vector<std::string>{"ohe.npy", "task3.hyp.npy"}));
}

TEST(CliModiscoInputsTest, ErrorsAreOneLineAndLeaveNothing) {
  TempDir tmp;
  write_scores(tmp.file("scores.npz"));
  const std::string s = tmp.file("scores.npz"), o = tmp.file("out");
  const auto expect_error = [&](const std::string& args, const std::string& message) {
    const auto r = run_liftbench("modisco-inputs " + args + " -o " + o);
    EXPECT_EQ(r.exit_code, 1) << args;
    const auto at = r.err.find("liftbench: error: ");
    EXPECT_EQ(at == std::string::npos ? r.err : r.err.substr(at), "liftbench: error: " + message + "\n") << args;
    EXPECT_EQ(list_dir(tmp.path()), (std::vector<std::string>{"scores.npz"})) << args;
  };
  expect_error("--scores " + s + " --method grad",
               s + ": no hypothetical scores for method 'grad'; expected an array 'grad.hypothetical' (methods with "
                   "one: deeplift), got none");
  expect_error("--scores " + s + " --method deeplift --task 1",
               "--task: task 1 was not attributed; expected one of 0, 3 (the file's 'tasks'), got 1");
  expect_error("--scores " + s + " --method deeplift --task x", "--task: bad value; expected an integer, got 'x'");
  expect_error("--scores " + tmp.file("none.npz") + " --method deeplift",
               tmp.file("none.npz") + ": cannot open: No such file or directory");
  expect_error("--method deeplift", "--scores: missing scores file; expected --scores FILE, got nothing");
  expect_error("--scores " + s, "--method: missing method; expected --method NAME, got nothing");
}

}  // namespace
}  // namespace lb
