// attribution.references_file: the user's references per sequence, read and checked against the
// inputs, used by every method with a reference instead of its own and averaged over K.
#include <gtest/gtest.h>

#include "attribution/methods.h"
#include "io/atomic_file.h"
#include "io/npz.h"
#include "testing/helpers.h"
#include "testing/networks.h"
#include "testing/random_inputs.h"

namespace lb::attr {
namespace {

using model::Shape;

// (n, K, 4, L) C order from per-sequence reference blocks refs[i*K + j] (4 x L).
void write_refs(const std::string& path, const std::vector<Mat>& refs, int n, int k, int len, bool f64 = false) {
  std::vector<double> v;
  for (const Mat& r : refs)
    for (int c = 0; c < 4; ++c)
      for (int p = 0; p < len; ++p) v.push_back(r(c, p));
  const std::vector<std::int64_t> shape{n, k, 4, len};
  if (f64) {
    io::write_file_atomic(path, io::encode_npy(io::NpyArray::from_f64(shape, v)));
  } else {
    const std::vector<float> f(v.begin(), v.end());
    io::write_file_atomic(path, io::encode_npy(io::NpyArray::from_f32(shape, f)));
  }
}

TEST(ReferencesFileTest, GivenReferencesAreEachMethodsReferencesAveragedOverK) {
  const model::Network net = lb::testing::config_net("c1=conv1d(3,5) relu gap fc=dense(2)", Shape{4, 1, 20}, 5, "linear");
  const int n = 3, L = 20, K = 2;
  const Mat x = lb::testing::random_one_hot(n, L, 8);
  std::vector<Mat> refs;  // reference j of sequence i: a random one-hot or real-valued sequence
  for (int i = 0; i < n * K; ++i)
    refs.push_back(i % 2 ? lb::testing::random_mat(4, L, 30 + i, 0, 1) : lb::testing::random_one_hot(1, L, 30 + i));
  lb::testing::TempDir tmp;
  write_refs(tmp.file("r.npy"), refs, n, K, L);
  AttributionConfig cfg;
  cfg.given_references = std::make_shared<const GivenReferences>(read_references(tmp.file("r.npy"), n, net.input_shape()));
  EXPECT_EQ(cfg.given_references->k, K);
  const std::vector<int> tasks{0, 1};
  for (const std::string method : {"deeplift:rescale", "ig", "grad_x_input"}) {
    SCOPED_TRACE(method);
    const Method m = parse_method(method, net, cfg);
    const MethodResult got = run_method(m, net, x, n, tasks, cfg, 0);
    EXPECT_EQ(got.n_references, K);
    // The same method against each reference alone, one sequence at a time, averaged.
    Mat want = Mat::Zero(4, 2 * n * L);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < K; ++j) {
        const Reference r{refs[static_cast<std::size_t>(i * K + j)], false};
        const MethodResult one = run_with_references(m, net, x.middleCols(i * L, L), 1, tasks, cfg,
                                                     std::span<const Reference>(&r, 1));
        for (int t = 0; t < 2; ++t) want.middleCols((t * n + i) * L, L) += 0.5f * one.contributions.middleCols(t * L, L);
      }
    EXPECT_LT((got.contributions - want).cwiseAbs().maxCoeff(), 1e-6f);
  }
}

TEST(ReferencesFileTest, ShapeDtypeAndValuesAreChecked) {
  lb::testing::TempDir tmp;
  const Shape in{4, 1, 20};
  const std::string p = tmp.file("r.npy");
  std::vector<Mat> refs(6, Mat::Constant(4, 20, 0.25f));
  write_refs(p, refs, 3, 2, 20, true);
  EXPECT_EQ(read_references(p, 3, in).k, 2);
  EXPECT_THROW_MSG(read_references(p, 2, in), InputError,
                   p + ": wrong shape; expected (2, K, 4, 20) for the 2 sequences of 4x20 (K references each), got "
                       "(3,2,4,20)");
  EXPECT_THROW_MSG(read_references(p, 3, Shape{4, 1, 21}), InputError,
                   p + ": wrong shape; expected (3, K, 4, 21) for the 3 sequences of 4x21 (K references each), got "
                       "(3,2,4,20)");
  refs[4](2, 7) = std::numeric_limits<float>::quiet_NaN();
  write_refs(p, refs, 3, 2, 20);
  EXPECT_THROW_MSG(read_references(p, 3, in), InputError, p + ": value nan at [2, 0, 2, 7]; expected finite values");
  const std::vector<std::int64_t> ints(3 * 2 * 4 * 20, 0);
  io::write_file_atomic(p, io::encode_npy(io::NpyArray::from_i64({3, 2, 4, 20}, ints)));
  EXPECT_THROW_MSG(read_references(p, 3, in), InputError, p + ": wrong dtype; expected float32 or float64, got <i8");
}

}  // namespace
}  // namespace lb::attr
