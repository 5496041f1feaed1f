// Tests of `liftbench mnist-erasure` on synthetic IDX files and a random model written by the test.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/rng.h"
#include "io/manifest.h"
#include "io/tsv.h"
#include "model/model_file.h"
#include "model/network.h"
#include "testing/helpers.h"

namespace {

using lb::testing::read_text;
using lb::testing::run_liftbench;
using lb::testing::TempDir;

void put_u32(std::ofstream& f, std::uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                     static_cast<char>(v)};
  f.write(b, 4);
}

// t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte: n 28x28 images, label i % 10, pixels a
// blob whose position depends on the label plus noise.
void write_t10k(const std::string& dir, int n) {
  std::filesystem::create_directories(dir);
  lb::Rng rng(3);
  std::ofstream im(dir + "/t10k-images-idx3-ubyte", std::ios::binary), lb(dir + "/t10k-labels-idx1-ubyte", std::ios::binary);
  put_u32(im, 0x803);
  put_u32(im, static_cast<std::uint32_t>(n));
  put_u32(im, 28);
  put_u32(im, 28);
  put_u32(lb, 0x801);
  put_u32(lb, static_cast<std::uint32_t>(n));
  for (int i = 0; i < n; ++i) {
    const int label = i % 10;
    lb.put(static_cast<char>(label));
    for (int y = 0; y < 28; ++y)
      for (int x = 0; x < 28; ++x) {
        const int cy = 6 + 2 * label, cx = 20 - 2 * label;
        const bool on = (y - cy) * (y - cy) + (x - cx) * (x - cx) < 20;
        const double v = on ? 200 + 55 * rng.uniform() : (rng.uniform() < 0.1 ? 255 * rng.uniform() : 0);
        im.put(static_cast<char>(static_cast<std::uint8_t>(v)));
      }
  }
}

const char* kNet = "conv1=conv2d(4,4,4,2,2) relu conv2=conv2d(8,4,4,2,2) relu dropout(0.25) flatten fc1=dense(16) relu "
                   "dropout(0.5) fc2=dense(10)";

void write_model(const std::string& path) {
  lb::model::ModelConfig cfg;
  cfg.layers = kNet;
  cfg.output = "softmax";
  lb::model::Network net = lb::model::Network::from_config(cfg, lb::model::Shape{1, 28, 28});
  net.init(5, lb::model::InitScheme::GlorotUniform);
  lb::model::save_model(path, net);
}

TEST(CliMnistErasureTest, SmokeOnSyntheticImagesWritesTablesAndPage) {
  TempDir tmp;
  write_t10k(tmp.file("mnist"), 300);
  write_model(tmp.file("model.npz"));
  const std::string base = "mnist-erasure --model " + tmp.file("model.npz") + " --mnist " + tmp.file("mnist") +
                           " --all-images -q";
  auto r = run_liftbench(base + " --threads 1 -o " + tmp.file("a"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string tsv = read_text(tmp.file("a/erasure.tsv"));
  EXPECT_EQ(tsv.substr(0, 63), "pair\timage\tmethod\tdrop\tn_erased\tflipped\tdiff_before\tdiff_after\n");
  // 30 images of each of 8, 8, 9, 4 (labels i % 10) times 10 methods, plus the header.
  EXPECT_EQ(std::count(tsv.begin(), tsv.end(), '\n'), 4 * 30 * 10 + 1);
  EXPECT_NE(tsv.find("\n8->3\t8\tabs_grad\t"), std::string::npos);
  const std::string summary = read_text(tmp.file("a/erasure_summary.tsv"));
  EXPECT_EQ(std::count(summary.begin(), summary.end(), '\n'), 4 * 10 + 1);
  EXPECT_NE(summary.find("\n4->1\tdeeplift_revealcancel\t30\t"), std::string::npos) << summary;
  // n_erased never above k, drops finite.
  std::regex row_re(R"(\n[0-9]->[0-9]\t[0-9]+\t[a-z_0-9]+\t([-0-9.e+]+)\t([0-9]+)\t[01]\t)");
  int rows = 0;
  for (std::sregex_iterator it(tsv.begin(), tsv.end(), row_re), end; it != end; ++it, ++rows)
    EXPECT_LE(std::stoi((*it)[2].str()), 157);
  EXPECT_EQ(rows, 1200);
  const std::string html = read_text(tmp.file("a/report/mnist.html"));
  EXPECT_NE(html.find("id=\"lb-status\" data-charts=\"4\""), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("deeplift_rc_fc_conv2_rs_conv1"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(tmp.file("a/mnist-erasure.config.ini")));
  // Last, the manifest of every other file, the page included.
  std::vector<std::string> listed;
  for (const auto& row : lb::io::read_tsv(tmp.file("a/mnist-erasure.manifest.tsv")).rows) listed.push_back(row.at(0));
  EXPECT_EQ(listed, (std::vector<std::string>{"erasure.tsv", "erasure_summary.tsv", "report/mnist.html",
                                              "mnist-erasure.config.ini"}));
  EXPECT_NO_THROW(lb::io::verify_manifest(tmp.file("a/mnist-erasure.manifest.tsv"), "liftbench mnist-erasure"));

  // Identical tables for another thread count; a subset of methods and pairs, k = 10.
  r = run_liftbench(base + " --threads 2 -o " + tmp.file("b"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_text(tmp.file("b/erasure.tsv")), tsv);
  r = run_liftbench(base + " --pairs 8:3 --methods grad_x_input,deeplift_rescale --k 10 -o " + tmp.file("c"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string c = read_text(tmp.file("c/erasure_summary.tsv"));
  EXPECT_EQ(std::count(c.begin(), c.end(), '\n'), 3) << c;
  EXPECT_NE(c.find("\tmean_erased\n8->3\tgrad_x_input\t30\t"), std::string::npos) << c;

  // Default: only images classified as their label (a random model: some or none).
  r = run_liftbench("mnist-erasure --model " + tmp.file("model.npz") + " --mnist " + tmp.file("mnist") + " -q -o " +
                    tmp.file("d"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

TEST(CliMnistErasureTest, ErrorsAndDocs) {
  TempDir tmp;
  auto r = run_liftbench("mnist-erasure --model m.npz -o " + tmp.file("o"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.substr(r.err.find("liftbench: error:")),
            "liftbench: error: --mnist: missing MNIST directory; expected --mnist DIR, got nothing\n");
  r = run_liftbench("mnist-erasure --model m.npz --mnist " + tmp.path() + " --pairs 8:8 -o " + tmp.file("o"));
  EXPECT_EQ(r.err.substr(r.err.find("liftbench: error:")),
            "liftbench: error: --pairs: bad class pair '8:8'; expected c0:ct with two different digits 0-9 (e.g. "
            "8:3,8:6,9:1,4:1), got '8:8'\n");
  r = run_liftbench("mnist-erasure --model m.npz --mnist " + tmp.path() + " --methods grad_x_input,ig_7 -o " +
                    tmp.file("o"));
  EXPECT_EQ(r.err.substr(r.err.find("liftbench: error:")),
            "liftbench: error: --methods: unknown method 'ig_7'; expected names from 'liftbench mnist-erasure "
            "--help', got 'ig_7'\n");
  r = run_liftbench("mnist-erasure --model m.npz --mnist " + tmp.path() + " -o " + tmp.file("o"));
  EXPECT_EQ(r.err.substr(r.err.find("liftbench: error:")),
            "liftbench: error: " + tmp.path() +
                ": no t10k-images-idx3-ubyte(.gz); expected the MNIST IDX files (scripts/get_mnist.sh), got none\n");

  // docs/cli.md lists every flag and key of --help.
  const std::string doc = read_text(std::string(LB_SOURCE_DIR) + "/docs/cli.md");
  r = run_liftbench("mnist-erasure --help");
  ASSERT_EQ(r.exit_code, 0);
  std::regex key_re(R"(--([a-z_]+\.[a-z0-9_]+))");
  for (std::sregex_iterator it(r.out.begin(), r.out.end(), key_re), end; it != end; ++it)
    EXPECT_NE(doc.find(fmt::format("`{}`", (*it)[1].str())), std::string::npos) << (*it)[1] << " missing from docs/cli.md";
  std::regex flag_re(R"(\n  (?:-[a-z] \[ )?--([a-z-]+)(?: \])? )");
  int flags = 0;
  for (std::sregex_iterator it(r.out.begin(), r.out.end(), flag_re), end; it != end; ++it, ++flags)
    EXPECT_NE(doc.find(fmt::format("--{}", (*it)[1].str())), std::string::npos) << (*it)[1] << " missing from docs/cli.md";
  EXPECT_GE(flags, 8);
  // --help names the methods of eval::paper_erasure_methods() (long ones may be wrapped mid-name).
  for (const char* name : {"abs_grad", "guided_backprop_x_input", "ig_10", "deeplift_rescale", "deeplift_rc_fc_rs_conv"})
    EXPECT_NE(r.out.find(name), std::string::npos) << name;
  EXPECT_NE(doc.find("### `liftbench mnist-erasure`"), std::string::npos);
}

}  // namespace
