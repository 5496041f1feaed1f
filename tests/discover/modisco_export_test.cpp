// The TF-MoDISco-lite export (discover/modisco_export.h, docs/discovery.md): the files' names,
// shapes, dtype and values, read back here and by numpy with `modisco motifs`' own loading and
// windowing (np.load, [:, :, start:end], cast to float32), and each bad input's exact message
// with nothing written.
#include <cmath>
#include <fstream>
#include <limits>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "discover/modisco_export.h"
#include "io/atomic_file.h"
#include "io/npz.h"
#include "testing/helpers.h"

namespace lb::discover {
namespace {

using lb::testing::list_dir;
using lb::testing::run_command;
using lb::testing::TempDir;

constexpr std::int64_t kN = 3, kT = 2, kL = 7;

// hyp[i, t, c, l] = 1000 i + 100 t + 10 c + l (+ 0.5, so that no value is an integer by accident);
// the one-hot has base (i + l) % 4 at position l; tasks = {2, 5}.
io::NpzArchive archive(bool with_tasks = true) {
  std::vector<float> onehot(kN * 4 * kL, 0.0f), hyp(kN * kT * 4 * kL), contrib(kN * kT * 4 * kL, 0.0f);
  for (std::int64_t i = 0; i < kN; ++i)
    for (std::int64_t l = 0; l < kL; ++l) onehot[static_cast<std::size_t>((i * 4 + (i + l) % 4) * kL + l)] = 1.0f;
  for (std::int64_t i = 0; i < kN; ++i)
    for (std::int64_t t = 0; t < kT; ++t)
      for (std::int64_t c = 0; c < 4; ++c)
        for (std::int64_t l = 0; l < kL; ++l)
          hyp[static_cast<std::size_t>(((i * kT + t) * 4 + c) * kL + l)] =
              static_cast<float>(1000 * i + 100 * t + 10 * c + l) + 0.5f;
  io::NpzArchive a;
  a.emplace_back("ids", io::NpyArray::from_strings({kN}, std::vector<std::string>{"a", "b", "c"}));
  a.emplace_back("onehot", io::NpyArray::from_f32({kN, 4, kL}, onehot));
  if (with_tasks) a.emplace_back("tasks", io::NpyArray::from_i64({kT}, std::vector<std::int64_t>{2, 5}));
  a.emplace_back("m", io::NpyArray::from_f32({kN, kT, 4, kL}, contrib));
  a.emplace_back("m.hypothetical", io::NpyArray::from_f32({kN, kT, 4, kL}, hyp));
  a.emplace_back("g", io::NpyArray::from_f32({kN, kT, 4, kL}, contrib));
  return a;
}

io::NpyArray read_npy(const std::string& path) { return io::decode_npy(io::read_file(path), path); }

TEST(ModiscoExportTest, WritesOneHotAndOneHypotheticalFilePerTask) {
  TempDir tmp;
  const auto ex = write_modisco_inputs(archive(), "s.npz", "m", std::nullopt, tmp.path());
  EXPECT_EQ(list_dir(tmp.path()), (std::vector<std::string>{"ohe.npy", "task2.hyp.npy", "task5.hyp.npy"}));
  EXPECT_EQ(ex.ohe_path, tmp.file("ohe.npy"));
  ASSERT_EQ(ex.tasks.size(), 2u);
  EXPECT_EQ(ex.tasks[1].task, 5);
  EXPECT_EQ(ex.tasks[1].path, tmp.file("task5.hyp.npy"));
  EXPECT_EQ(std::tuple(ex.n_seqs, ex.seq_len, ex.window), std::tuple(3, 7, 6));  // odd L: -w L - 1
  const auto ohe = read_npy(tmp.file("ohe.npy"));
  EXPECT_EQ(ohe.dtype, "<f4");
  EXPECT_EQ(ohe.shape, (std::vector<std::int64_t>{kN, 4, kL}));
  EXPECT_EQ(ohe.to_f32("ohe"), archive()[1].second.to_f32("onehot"));
  const auto h5 = read_npy(tmp.file("task5.hyp.npy"));
  EXPECT_EQ(h5.dtype, "<f4");
  EXPECT_EQ(h5.shape, (std::vector<std::int64_t>{kN, 4, kL}));
  const auto v = h5.to_f32("h");
  EXPECT_EQ(v[static_cast<std::size_t>((2 * 4 + 3) * kL + 6)], 2000.0f + 100 + 30 + 6 + 0.5f);  // i 2, task axis 1, c 3, l 6
  EXPECT_EQ(v[0], 100.5f);
  // One task only, by its value; without a `tasks` array, by its index.
  TempDir one;
  const auto e1 = write_modisco_inputs(archive(), "s.npz", "m", 2, one.path());
  EXPECT_EQ(list_dir(one.path()), (std::vector<std::string>{"ohe.npy", "task2.hyp.npy"}));
  EXPECT_EQ(read_npy(one.file("task2.hyp.npy")).to_f32("h")[0], 0.5f);
  TempDir idx;
  write_modisco_inputs(archive(false), "s.npz", "m", 1, idx.path());
  EXPECT_EQ(list_dir(idx.path()), (std::vector<std::string>{"ohe.npy", "task1.hyp.npy"}));
  EXPECT_EQ(read_npy(idx.file("task1.hyp.npy")).to_f32("h")[0], 100.5f);
}

// numpy reads the files as `modisco motifs` does: np.load, the window [L//2 - w//2, L//2 + w//2)
// with the -w we state, transposed to (N, w, 4), float32; the check fails if the window is short.
TEST(ModiscoExportTest, NumpyLoadsThemAsModiscoMotifsDoes) {
  const std::string py = "/usr/bin/python3";
  if (run_command(py + " -c 'import numpy'").exit_code != 0) GTEST_SKIP() << "no /usr/bin/python3 with numpy";
  TempDir tmp;
  const auto ex = write_modisco_inputs(archive(), "s.npz", "m", std::nullopt, tmp.path());
  std::ofstream(tmp.file("check.py")) << fmt::format(R"(
import numpy as np
w = {w}
seqs = np.load("{ohe}")
attr = np.load("{hyp}")
assert seqs.dtype == np.float32 and attr.dtype == np.float32, (seqs.dtype, attr.dtype)
assert seqs.shape == (3, 4, 7) and attr.shape == (3, 4, 7), (seqs.shape, attr.shape)
assert (seqs.sum(axis=1) == 1).all()
assert seqs[1, (1 + 4) % 4, 4] == 1
c = seqs.shape[2] // 2
start, end = c - w // 2, c + w // 2
s = seqs[:, :, start:end].transpose(0, 2, 1).astype("float32")
a = attr[:, :, start:end].transpose(0, 2, 1).astype("float32")
assert s.shape[1] >= w, (s.shape, w)
assert a[2, 0, 3] == 2000 + 100 + 30 + start + 0.5, a[2, 0, 3]
print("ok", s.shape, a.shape)
)",
                                                     fmt::arg("w", ex.window), fmt::arg("ohe", ex.ohe_path),
                                                     fmt::arg("hyp", ex.tasks[1].path));
  const auto r = run_command(py + " " + tmp.file("check.py"));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "ok (3, 6, 4) (3, 6, 4)\n") << r.err;
}

TEST(ModiscoExportTest, BadInputsThrowAndWriteNothing) {
  TempDir tmp;
  EXPECT_THROW_MSG(write_modisco_inputs(archive(), "s.npz", "g", std::nullopt, tmp.path()), InputError,
                   "s.npz: no hypothetical scores for method 'g'; expected an array 'g.hypothetical' (methods with "
                   "one: m), got none");
  auto a = archive();
  a.pop_back();
  a.erase(a.begin() + 4);
  EXPECT_THROW_MSG(write_modisco_inputs(a, "s.npz", "m", std::nullopt, tmp.path()), InputError,
                   "s.npz: no hypothetical scores for method 'm'; expected an array 'm.hypothetical' (no method in "
                   "the file has one), got none");
  EXPECT_THROW_MSG(write_modisco_inputs(archive(), "s.npz", "m", 3, tmp.path()), ConfigError,
                   "--task: task 3 was not attributed; expected one of 2, 5 (the file's 'tasks'), got 3");
  EXPECT_THROW_MSG(write_modisco_inputs(archive(false), "s.npz", "m", 2, tmp.path()), ConfigError,
                   "--task: out of range; expected a task in [0, 1] ('m.hypothetical' has 2 tasks), got 2");
  a = archive();
  a[1].second = io::NpyArray::from_f32({kN, kL, 4}, a[1].second.to_f32("x"));
  EXPECT_THROW_MSG(write_modisco_inputs(a, "s.npz", "m", std::nullopt, tmp.path()), InputError,
                   "s.npz: array 'onehot': wrong shape; expected (N,4,L) with N, L >= 1, got (3,7,4)");
  a = archive();
  a[4].second = io::NpyArray::from_f32({kN, kT, 4, kL - 1}, std::vector<float>(kN * kT * 4 * (kL - 1), 0.0f));
  EXPECT_THROW_MSG(write_modisco_inputs(a, "s.npz", "m", std::nullopt, tmp.path()), InputError,
                   "s.npz: array 'm.hypothetical': wrong shape; expected (N,T,4,L) with N = 3, L = 7 (from "
                   "'onehot'), got (3,2,4,6)");
  a = archive();
  auto h = a[4].second.to_f32("h");
  h[static_cast<std::size_t>(((1 * kT + 1) * 4 + 2) * kL + 5)] = std::numeric_limits<float>::infinity();
  a[4].second = io::NpyArray::from_f32({kN, kT, 4, kL}, h);
  EXPECT_THROW_MSG(write_modisco_inputs(a, "s.npz", "m", std::nullopt, tmp.path()), InputError,
                   "s.npz: array 'm.hypothetical': non-finite score of sequence 1 (task 5) at channel 2 position 5; "
                   "expected finite hypothetical scores, got inf");
  EXPECT_TRUE(list_dir(tmp.path()).empty());
}

}  // namespace
}  // namespace lb::discover
