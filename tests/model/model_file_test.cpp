// Tests for model/model_file: save/load round trips, weights-only PyTorch-style files (ours and
// numpy.savez's) against the naive kernels, and every load error with its exact text.
#include "model/model_file.h"

#include <sys/resource.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <map>

#include "core/error.h"
#include "io/npz.h"
#include "model/layers.h"
#include "model/naive.h"
#include "testing/helpers.h"

namespace lb::model {
namespace {

using lb::testing::read_text;
using lb::testing::run_command;
using lb::testing::TempDir;
using lb::testing::write_text;

constexpr Shape kInput{4, 1, 40};  // genomics network (ModelConfig defaults) on length-40 sequences
constexpr int kBatch = 3;

// Known parameter values: ((i*37 + salt*11) % 101 / 101 - 0.5) * 0.2, computed in double and
// rounded to float, the same expression as kPatternPy below.
std::vector<float> pattern(std::size_t n, std::size_t salt) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i)
    v[i] = static_cast<float>((static_cast<double>((i * 37 + salt * 11) % 101) / 101.0 - 0.5) * 0.2);
  return v;
}

std::int64_t numel(const std::vector<std::int64_t>& shape) {
  std::int64_t n = 1;
  for (const auto d : shape) n *= d;
  return n;
}

// A weights-only archive (no 'architecture') for the [model] defaults: the parameters in
// PyTorch names and layouts, parameter k filled with pattern(., k).
io::NpzArchive weights_only() {
  Network net = Network::from_config(ModelConfig{}, kInput);
  io::NpzArchive a;
  std::size_t k = 0;
  for (const auto& p : net.params())
    a.emplace_back(p.name, io::NpyArray::from_f32(p.torch_shape, pattern(static_cast<std::size_t>(numel(p.torch_shape)), k++)));
  return a;
}

// Inputs (kBatch sequences of kInput), C-order (N, C, L) in double, and as the (C x N*L) Mat.
std::vector<double> input_values() {
  std::vector<double> x(static_cast<std::size_t>(kBatch * kInput.size()));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(static_cast<double>((i * 7) % 13) / 13.0 - 0.4);
  return x;
}

Mat input_mat() {
  const auto x = input_values();
  Mat m(kInput.c, kBatch * kInput.w);
  for (int n = 0; n < kBatch; ++n)
    for (int c = 0; c < kInput.c; ++c)
      for (int l = 0; l < kInput.w; ++l)
        m(c, n * kInput.w + l) = static_cast<float>(x[static_cast<std::size_t>((n * kInput.c + c) * kInput.w + l)]);
  return m;
}

Mat logits_of(const Network& net) {
  Trace t;
  net.forward(input_mat(), kBatch, t);
  return net.logits(t);
}

std::vector<double> as_double(const io::NpyArray& a) { return a.to_f64("test"); }

// The genomics network written out with the naive kernels, in double: conv1 relu conv2 relu
// gap fc1 relu (dropout = identity) fc2. Returns (N, 3) C-order.
std::vector<double> naive_logits(const io::NpzArchive& w) {
  const auto get = [&](const std::string& name) { return as_double(io::find_array(w, name, "weights")); };
  const auto relu = [](std::vector<double> v) {
    for (auto& e : v) e = std::max(e, 0.0);
    return v;
  };
  const int l1 = kInput.w - 10, l2 = l1 - 10;
  auto h = relu(naive::conv1d_forward(input_values(), kBatch, 4, kInput.w, get("conv1.weight"), get("conv1.bias"), 50, 11, 1));
  h = relu(naive::conv1d_forward(h, kBatch, 50, l1, get("conv2.weight"), get("conv2.bias"), 50, 11, 1));
  std::vector<double> pooled(static_cast<std::size_t>(kBatch * 50), 0.0);
  for (std::size_t i = 0; i < pooled.size(); ++i) {
    for (int l = 0; l < l2; ++l) pooled[i] += h[i * static_cast<std::size_t>(l2) + static_cast<std::size_t>(l)];
    pooled[i] /= l2;
  }
  h = relu(naive::dense_forward(pooled, kBatch, 50, get("fc1.weight"), get("fc1.bias"), 50));
  return naive::dense_forward(h, kBatch, 50, get("fc2.weight"), get("fc2.bias"), 3);
}

// Loads `arrays` written as a weights-only file with [model] defaults; returns the error text.
std::string load_error(const TempDir& dir, const io::NpzArchive& arrays, bool with_config = true) {
  const std::string path = dir.file("w.npz");
  io::write_npz(path, arrays);
  const ModelConfig cfg;
  try {
    load_model(path, with_config ? &cfg : nullptr, &kInput);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

void set_array(io::NpzArchive& a, const std::string& name, io::NpyArray value) {
  for (auto& [n, arr] : a)
    if (n == name) arr = std::move(value);
}

std::string numpy_python() {
  for (const std::string py : {"python3", "/usr/bin/python3"})
    if (run_command(py + " -c 'import numpy'").exit_code == 0) return py;
  return "";
}

// --- round trips ---

TEST(ModelFileTest, SaveLoadRoundTripIsBitIdentical) {
  TempDir dir;
  Network net = Network::from_config(ModelConfig{}, kInput);
  net.init(7);
  save_model(dir.file("model.npz"), net);
  for (const bool with_config : {false, true}) {
    const ModelConfig cfg;
    Network back = load_model(dir.file("model.npz"), with_config ? &cfg : nullptr, with_config ? &kInput : nullptr);
    EXPECT_EQ(back.architecture(), net.architecture());
    const auto want = net.params(), got = back.params();
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].name, want[i].name);
      EXPECT_TRUE(*got[i].value == *want[i].value) << want[i].name;  // bit for bit
    }
    EXPECT_TRUE(logits_of(back) == logits_of(net));
  }
  EXPECT_EQ(lb::testing::list_dir(dir.path()), std::vector<std::string>{"model.npz"});
}

TEST(ModelFileTest, FileHoldsArchitectureAndPyTorchLayouts) {
  TempDir dir;
  Network net = Network::from_config(ModelConfig{}, kInput);
  net.init(3);
  save_model(dir.file("model.npz"), net);
  const auto a = io::read_npz(dir.file("model.npz"));
  std::vector<std::string> names;
  for (const auto& [n, arr] : a) names.push_back(n);
  // Exactly the state_dict; the architecture is the archive comment.
  EXPECT_EQ(names, (std::vector<std::string>{"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight",
                                             "fc1.bias", "fc2.weight", "fc2.bias"}));
  EXPECT_EQ(io::read_npz_comment(dir.file("model.npz")), "liftbench-architecture 1\n" + net.architecture());
  EXPECT_TRUE(is_self_describing(dir.file("model.npz")));
  const auto& w1 = io::find_array(a, "conv1.weight", "m");
  EXPECT_EQ(w1.dtype, "<f4");
  EXPECT_EQ(w1.shape, (std::vector<std::int64_t>{50, 4, 11}));
  EXPECT_EQ(io::find_array(a, "fc1.weight", "m").shape, (std::vector<std::int64_t>{50, 50}));
  EXPECT_EQ(io::find_array(a, "fc2.bias", "m").shape, (std::vector<std::int64_t>{3}));
  // conv1.weight[f][c][k] is the internal (F x K*C) weight at (f, k*C + c) (model/layers.h)
  const auto& conv1 = dynamic_cast<const Conv1d&>(net.layer(0));
  const auto v = w1.to_f32("m");
  for (const auto& [f, c, k] : {std::array{0, 0, 0}, std::array{7, 3, 10}, std::array{49, 1, 5}})
    EXPECT_EQ(v[static_cast<std::size_t>((f * 4 + c) * 11 + k)], conv1.weight()(f, k * 4 + c)) << f << c << k;
}

TEST(ModelFileTest, WeightsOnlyFileLoadsFromConfigAndMatchesNaive) {
  TempDir dir;
  const auto w = weights_only();
  io::write_npz(dir.file("w.npz"), w);
  const ModelConfig cfg;
  const Network net = load_model(dir.file("w.npz"), &cfg, &kInput);
  const Mat got = logits_of(net);
  const auto want = naive_logits(w);
  ASSERT_EQ(got.rows(), 3);
  ASSERT_EQ(got.cols(), kBatch);
  // float32 forward vs the double oracle: the measured difference is at most 6.2e-9 (GCC 12,
  // -O3 -march=native); 1e-7 leaves room for other summation orders.
  constexpr double kTol = 1e-7;
  // The oracle with conv1.weight read channels-last, (50,11,4), as a wrong import would.
  auto swapped = w;
  const auto w1 = pattern(2200, 0);
  std::vector<float> w1t(w1.size());
  for (std::size_t f = 0; f < 50; ++f)
    for (std::size_t c = 0; c < 4; ++c)
      for (std::size_t k = 0; k < 11; ++k) w1t[(f * 4 + c) * 11 + k] = w1[(f * 11 + k) * 4 + c];
  set_array(swapped, "conv1.weight", io::NpyArray::from_f32({50, 4, 11}, w1t));
  const auto wrong = naive_logits(swapped);
  double layout_gap = 0;
  for (int n = 0; n < kBatch; ++n)
    for (int t = 0; t < 3; ++t) {
      const auto i = static_cast<std::size_t>(n * 3 + t);
      EXPECT_NEAR(got(t, n), want[i], kTol) << "n=" << n << " t=" << t;
      layout_gap = std::max(layout_gap, std::abs(wrong[i] - want[i]));
    }
  EXPECT_GT(layout_gap, 1e4 * kTol);  // ~5e-3 on logits of ~0.1: the check sees a layout error
}

TEST(ModelFileTest, LoadsNumpySavezOfAStateDict) {
  const std::string py = numpy_python();
  if (py.empty()) FAIL() << "no python3 with numpy (scripts/setup.sh --tests installs python3-numpy)";
  TempDir dir;
  // The same pattern as pattern(), written the way a user saves a PyTorch state_dict:
  // np.savez(path, **{k: v.numpy() for k, v in model.state_dict().items()}).
  write_text(dir.file("make.py"), R"(import sys, numpy as np
shapes = [('conv1.weight', (50, 4, 11)), ('conv1.bias', (50,)), ('conv2.weight', (50, 50, 11)), ('conv2.bias', (50,)),
          ('fc1.weight', (50, 50)), ('fc1.bias', (50,)), ('fc2.weight', (3, 50)), ('fc2.bias', (3,))]
d = {}
for salt, (name, shape) in enumerate(shapes):
    i = np.arange(int(np.prod(shape)), dtype=np.int64)
    d[name] = ((((i * 37 + salt * 11) % 101) / 101.0 - 0.5) * 0.2).astype(np.float32).reshape(shape)
np.savez(sys.argv[1], **d)
)");
  const auto r = run_command(py + " " + dir.file("make.py") + " " + dir.file("sd.npz"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  io::write_npz(dir.file("ours.npz"), weights_only());
  const ModelConfig cfg;
  const Network from_numpy = load_model(dir.file("sd.npz"), &cfg, &kInput);
  const Network from_ours = load_model(dir.file("ours.npz"), &cfg, &kInput);
  EXPECT_TRUE(logits_of(from_numpy) == logits_of(from_ours));  // identical floats in, identical logits out
}

// Files written before the archive comment kept the architecture as a 0-d string array: they
// load as before, to the same network.
TEST(ModelFileTest, OlderFilesWithAnArchitectureArrayStillLoad) {
  TempDir dir;
  Network net = Network::from_config(ModelConfig{}, kInput);
  net.init(4);
  save_model(dir.file("new.npz"), net);
  io::NpzArchive old = io::read_npz(dir.file("new.npz"));
  old.insert(old.begin(), {"architecture", io::NpyArray::from_string(net.architecture())});
  io::write_npz(dir.file("old.npz"), old);  // no comment
  EXPECT_TRUE(is_self_describing(dir.file("old.npz")));
  Network back = load_model(dir.file("old.npz"));
  EXPECT_EQ(back.architecture(), net.architecture());
  const auto a = net.state(), b = back.state();
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(*a[i].value, *b[i].value) << a[i].name;
  io::write_npz(dir.file("bare.npz"), io::read_npz(dir.file("new.npz")));  // the state_dict alone
  EXPECT_FALSE(is_self_describing(dir.file("bare.npz")));
}

TEST(ModelFileTest, NumpyReadsModelFile) {
  const std::string py = numpy_python();
  if (py.empty()) FAIL() << "no python3 with numpy (scripts/setup.sh --tests installs python3-numpy)";
  TempDir dir;
  Network net = Network::from_config(ModelConfig{}, kInput);
  net.init(5);
  save_model(dir.file("model.npz"), net);
  write_text(dir.file("out.txt"), net.architecture());
  // What a PyTorch user does: every member a float32 array (torch.from_numpy takes each), named
  // as the state_dict; the architecture is the zip comment, which numpy does not see.
  const auto r = run_command(py + " -c \"import sys, zipfile, numpy as np; z = np.load(sys.argv[1]); "
                                  "print(sorted({v.dtype.str for k, v in z.items()}), len(z.files)); "
                                  "c = zipfile.ZipFile(sys.argv[1]).comment.decode(); "
                                  "print(c == 'liftbench-architecture 1\\n' + open(sys.argv[2]).read()); "
                                  "w = z['conv1.weight']; print(w.dtype.str, w.shape, repr(float(w[7, 3, 10])))\" " +
                             dir.file("model.npz") + " " + dir.file("out.txt"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const float w = dynamic_cast<const Conv1d&>(net.layer(0)).weight()(7, 10 * 4 + 3);
  // Python's repr of a float and fmt's "{}" are both the shortest round-trip form
  EXPECT_EQ(r.out, fmt::format("['<f4'] 8\nTrue\n<f4 (50, 4, 11) {}\n", static_cast<double>(w)));
}

// --- errors ---

TEST(ModelFileTest, WrongShapeNamesArrayAndBothShapes) {
  TempDir dir;
  auto w = weights_only();
  set_array(w, "conv1.weight", io::NpyArray::from_f32({50, 11, 4}, pattern(2200, 0)));
  EXPECT_EQ(load_error(dir, w), dir.file("w.npz") + ": array 'conv1.weight': expected shape (50,4,11), got (50,11,4)");
  set_array(w, "conv1.weight", io::NpyArray::from_f32({50, 4, 11}, pattern(2200, 0)));
  set_array(w, "fc2.bias", io::NpyArray::from_f32({1, 3}, pattern(3, 0)));
  EXPECT_EQ(load_error(dir, w), dir.file("w.npz") + ": array 'fc2.bias': expected shape (3,), got (1,3)");
}

TEST(ModelFileTest, MissingArray) {
  TempDir dir;
  auto w = weights_only();
  w.erase(w.begin() + 3);  // conv2.bias
  EXPECT_EQ(load_error(dir, w),
            dir.file("w.npz") + ": missing array 'conv2.bias'; expected a (50,) array for layer conv2 Conv1d(in=50, "
                                "out=50, kernel=11, stride=1), got arrays 'conv1.weight', 'conv1.bias', 'conv2.weight', "
                                "'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias'");
  // a state_dict of an unnamed nn.Sequential: the names show what went wrong
  io::NpzArchive seq{{"0.weight", io::NpyArray::from_f32({50, 4, 11}, pattern(2200, 0))}};
  EXPECT_EQ(load_error(dir, seq),
            dir.file("w.npz") + ": missing array 'conv1.weight'; expected a (50,4,11) array for layer conv1 "
                                "Conv1d(in=4, out=50, kernel=11, stride=1), got arrays '0.weight'");
}

TEST(ModelFileTest, UnexpectedArrays) {
  TempDir dir;
  auto w = weights_only();
  w.emplace_back("fc3.weight", io::NpyArray::from_f32({2}, pattern(2, 0)));
  EXPECT_EQ(load_error(dir, w), dir.file("w.npz") + ": unexpected array; expected only the network's parameters and "
                                                    "'architecture', got 'fc3.weight'");
  w.emplace_back("optimizer.step", io::NpyArray::from_f32({}, pattern(1, 0)));
  EXPECT_EQ(load_error(dir, w), dir.file("w.npz") + ": unexpected arrays; expected only the network's parameters and "
                                                    "'architecture', got 'fc3.weight', 'optimizer.step'");
}

// Found by fuzz/fuzz_model: the file's array names reached the message raw (here a DEL byte),
// and a list of them had no bound. They are escaped now, at most ten shown.
TEST(ModelFileTest, ArrayNamesInMessagesAreEscapedAndCapped) {
  TempDir dir;
  auto w = weights_only();
  w.emplace_back("fc3\x7f", io::NpyArray::from_f32({2}, pattern(2, 0)));
  EXPECT_EQ(load_error(dir, w), dir.file("w.npz") + ": unexpected array; expected only the network's parameters and "
                                                    "'architecture', got 'fc3\\x7f'");
  for (int i = 0; i < 11; ++i) w.emplace_back(fmt::format("x{}", i), io::NpyArray::from_f32({1}, pattern(1, 0)));
  EXPECT_EQ(load_error(dir, w), dir.file("w.npz") + ": unexpected arrays; expected only the network's parameters and "
                                                    "'architecture', got 'fc3\\x7f', 'x0', 'x1', 'x2', 'x3', 'x4', "
                                                    "'x5', 'x6', 'x7', 'x8', ... (12 in all)");
}

TEST(ModelFileTest, NonFloatAndNonFiniteValuesAreRejected) {
  TempDir dir;
  auto w = weights_only();
  const std::vector<std::int64_t> ints(50, 1);
  set_array(w, "conv1.bias", io::NpyArray::from_i64({50}, ints));
  EXPECT_EQ(load_error(dir, w), dir.file("w.npz") + ": array 'conv1.bias': expected a float array ('<f4' or '<f8'), "
                                                    "got '<i8'");
  w = weights_only();
  auto v = pattern(2500, 4);
  v[3 * 50 + 7] = std::numeric_limits<float>::quiet_NaN();
  set_array(w, "fc1.weight", io::NpyArray::from_f32({50, 50}, v));
  EXPECT_EQ(load_error(dir, w), dir.file("w.npz") + ": array 'fc1.weight': expected finite values, got nan at index [3,7]");
  // the same from a saved self-describing model
  Network net = Network::from_config(ModelConfig{}, kInput);
  net.init(1);
  (*net.params()[7].value)(2, 0) = -std::numeric_limits<float>::infinity();  // fc2.bias[2]
  save_model(dir.file("m.npz"), net);
  EXPECT_THROW_MSG(load_model(dir.file("m.npz")), InputError,
                   dir.file("m.npz") + ": array 'fc2.bias': expected finite values, got -inf at index [2]");
  // float64 arrays are accepted (converted to float32)
  w = weights_only();
  const auto f = pattern(50, 1);
  set_array(w, "conv1.bias", io::NpyArray::from_f64({50}, std::vector<double>(f.begin(), f.end())));
  EXPECT_EQ(load_error(dir, w), "no error");
}

TEST(ModelFileTest, TruncatedFileIsAClearInputError) {
  TempDir dir;
  Network net = Network::from_config(ModelConfig{}, kInput);
  net.init(1);
  save_model(dir.file("m.npz"), net);
  const std::string bytes = read_text(dir.file("m.npz"));
  write_text(dir.file("m.npz"), bytes.substr(0, bytes.size() / 2));
  EXPECT_THROW_MSG(load_model(dir.file("m.npz")), InputError,
                   fmt::format("{}: not a zip archive; expected an .npz file (numpy.savez), got {} bytes without a zip "
                               "directory (truncated?)",
                               dir.file("m.npz"), bytes.size() / 2));
  EXPECT_THROW_MSG(load_model(dir.file("none.npz")), IoError, dir.file("none.npz") + ": cannot open: No such file or directory");
}

TEST(ModelFileTest, WeightsOnlyWithoutConfigIsRejected) {
  TempDir dir;
  EXPECT_EQ(load_error(dir, weights_only(), false),
            dir.file("w.npz") + ": no architecture (neither its archive comment nor an 'architecture' array); "
                                "expected a self-describing model.npz (liftbench train) or "
                                "[model] settings to build the network from, got a weights-only .npz and no [model] "
                                "settings");
}

TEST(ModelFileTest, ArchitectureMustMatchConfigAndInput) {
  TempDir dir;
  Network net = Network::from_config(ModelConfig{}, kInput);
  net.init(1);
  save_model(dir.file("m.npz"), net);
  ModelConfig other;
  other.layers = "conv1=conv1d(50,11) relu conv2=conv1d(40,11) relu gap fc1=dense(50) relu dropout(0.5) fc2=dense(3)";
  EXPECT_THROW_MSG(load_model(dir.file("m.npz"), &other, &kInput), InputError,
                   dir.file("m.npz") + ": architecture line 5 disagrees with the [model] settings; expected 'conv2 "
                                       "Conv1d(in=50, out=40, kernel=11, stride=1)' (from model.layers and model.output), "
                                       "got 'conv2 Conv1d(in=50, out=50, kernel=11, stride=1)'; load the file without "
                                       "[model] settings to use its own architecture");
  other = ModelConfig{};
  other.output = "softmax";
  EXPECT_THROW_MSG(load_model(dir.file("m.npz"), &other, &kInput), InputError,
                   dir.file("m.npz") + ": architecture line 2 disagrees with the [model] settings; expected 'output "
                                       "softmax' (from model.layers and model.output), got 'output sigmoid'; load the "
                                       "file without [model] settings to use its own architecture");
  other = ModelConfig{};
  other.layers += " relu";
  EXPECT_THROW_MSG(load_model(dir.file("m.npz"), &other, &kInput), InputError,
                   dir.file("m.npz") + ": architecture line 12 disagrees with the [model] settings; expected 'relu4 "
                                       "ReLU()' (from model.layers and model.output), got the end of the text; load the "
                                       "file without [model] settings to use its own architecture");
  const Shape longer{4, 1, 50};
  EXPECT_THROW_MSG(load_model(dir.file("m.npz"), nullptr, &longer), InputError,
                   dir.file("m.npz") + ": the model's input shape does not fit the data; expected 4x50 (the data), got "
                                       "4x40 (architecture line 1)");
}

// A tiny file whose architecture declares a huge layer. The declared
// parameters are checked against the arrays in the file before any layer is built, so the
// answer is the one-line shape error, without allocating. Before the fix the network was
// built first: Linear(in=8, out=100000000) allocated and zeroed 3.2 GB before the shape check
// (the peak RSS check fails), and out=2000000000 asked Eigen for 64 GB (std::bad_alloc, not
// InputError; now the per-array limit of 2^31-1 values answers first).
TEST(ModelFileTest, HugeDeclaredLayerIsRejectedBeforeAllocating) {
  TempDir dir;
  const auto write = [&](const std::string& out) {
    io::NpzArchive a;
    a.emplace_back("architecture", io::NpyArray::from_string("input 8\noutput sigmoid\nfc Linear(in=8, out=" + out + ")\n"));
    a.emplace_back("fc.weight", io::NpyArray::from_f32({3, 8}, pattern(24, 0)));
    a.emplace_back("fc.bias", io::NpyArray::from_f32({3}, pattern(3, 1)));
    io::write_npz(dir.file("m.npz"), a);
  };
  write("100000000");
  rusage before{};
  getrusage(RUSAGE_SELF, &before);
  EXPECT_THROW_MSG(load_model(dir.file("m.npz")), InputError,
                   dir.file("m.npz") + ": array 'fc.weight': expected shape (100000000,8), got (3,8)");
  rusage after{};
  getrusage(RUSAGE_SELF, &after);
  EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 100 * 1024) << "peak RSS grew by " << (after.ru_maxrss - before.ru_maxrss) << " KiB";
  write("2000000000");
  EXPECT_THROW_MSG(load_model(dir.file("m.npz")), InputError,
                   dir.file("m.npz") + "[architecture]:3: layer 'fc': too many parameters; expected at most 2147483647 "
                                       "values per array, got (2000000000,8)");
  // a missing array is named the same way, also before building the layer
  io::NpzArchive a;
  a.emplace_back("architecture", io::NpyArray::from_string("input 8\noutput sigmoid\nfc Linear(in=8, out=100000000)\n"));
  io::write_npz(dir.file("m.npz"), a);
  EXPECT_THROW_MSG(load_model(dir.file("m.npz")), InputError,
                   dir.file("m.npz") + ": missing array 'fc.weight'; expected a (100000000,8) array for layer fc "
                                       "Linear(in=8, out=100000000), got no parameter arrays");
}

// Parameter counts and shapes whose int products overflow are a clear error
// naming the architecture line (before: signed overflow in k*c / kh*kw*c and Shape::size, then
// a negative-size allocation or a check failure).
TEST(ModelFileTest, OverflowingArchitectureSizesAreInputErrors) {
  TempDir dir;
  const auto error_of = [&](const std::string& arch, io::NpzArchive a = {}) {
    a.emplace_back("architecture", io::NpyArray::from_string(arch));
    io::write_npz(dir.file("m.npz"), a);
    try {
      load_model(dir.file("m.npz"));
    } catch (const InputError& e) {
      return std::string(e.what());
    } catch (const std::exception& e) {
      return "other exception: " + std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string where = dir.file("m.npz") + "[architecture]:";
  EXPECT_EQ(error_of("input 70000x1x70000\noutput sigmoid\nf Flatten()\n"),
            where + "1: input shape too large; expected at most 2147483647 values per sample, got 70000x1x70000");
  EXPECT_EQ(error_of("input 100000x20000\noutput sigmoid\nc Conv1d(in=100000, out=2, kernel=20000, stride=1)\n"
                     "g GlobalAvgPool()\n"),
            where + "3: layer 'c': too many parameters; expected at most 2147483647 values per array, got "
                    "(2,100000,20000)");
  EXPECT_EQ(error_of("input 1x40000x40000\noutput sigmoid\nc Conv2d(in=1, out=2, kernel=(40000,40000), "
                     "stride=(1,1))\ng GlobalAvgPool()\n"),
            where + "3: layer 'c': too many parameters; expected at most 2147483647 values per array, got "
                    "(2,1,40000,40000)");
  io::NpzArchive conv;
  conv.emplace_back("c.weight", io::NpyArray::from_f32({3, 1, 1, 1}, pattern(3, 0)));
  conv.emplace_back("c.bias", io::NpyArray::from_f32({3}, pattern(3, 1)));
  EXPECT_EQ(error_of("input 1x40000x40000\noutput sigmoid\nc Conv2d(in=1, out=3, kernel=(1,1), stride=(1,1))\n"
                     "f Flatten()\n", conv),
            where + "4: layer 'f': too many features to flatten; expected at most 2147483647, got 3x40000x40000");
}

TEST(ModelFileTest, BadArchitectureTextNamesTheLine) {
  TempDir dir;
  auto w = weights_only();
  w.emplace_back("architecture", io::NpyArray::from_string("input 4x40\noutput sigmoid\nconv1 Conv1d(in=4, out=50)\n"));
  io::write_npz(dir.file("m.npz"), w);
  try {
    load_model(dir.file("m.npz"));
    ADD_FAILURE() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(dir.file("m.npz") + "[architecture]:3: ", 0), 0u) << e.what();
  }
  w.back().second = io::NpyArray::from_f32({1}, pattern(1, 0));
  io::write_npz(dir.file("m.npz"), w);
  EXPECT_THROW_MSG(load_model(dir.file("m.npz")), InputError,
                   dir.file("m.npz") + ": array 'architecture': wrong dtype; expected a string array ('<U<n>'), got '<f4'");
}

}  // namespace
}  // namespace lb::model
