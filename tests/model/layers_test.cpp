// Layer tests: hand-derived tiny cases, gradient checks, naive-vs-optimised kernels, dropout.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "model/gradcheck.h"
#include "testing/helpers.h"
#include "model/layers.h"
#include "model/naive.h"

namespace lb::model {
namespace {

using testing::expect_close;
using testing::from_torch;
using testing::random_mat;
using testing::to_torch;

// arange(size) - k as doubles: the deeplift habit for fixtures.
std::vector<double> arange(int size, double k) {
  std::vector<double> v(static_cast<std::size_t>(size));
  for (int i = 0; i < size; ++i) v[static_cast<std::size_t>(i)] = i - k;
  return v;
}
std::vector<float> floats(std::initializer_list<double> v) { return {v.begin(), v.end()}; }
std::vector<double> flat(const Mat& m) { return {m.data(), m.data() + m.size()}; }

// ---- 1. Tiny golden cases --------------------------------------------------------------------

// x (N=2, C=2, L=4) = arange(16) - 6: x[n][c][l] = 8n + 4c + l - 6.
// w[0] = [[1,-1],[2,0]], b0 = 0.5:  y0 = 0.5 + (x[n][0][l] - x[n][0][l+1]) + 2 x[n][1][l]
//                                      = 0.5 - 1 + 2(8n + l - 2) = 16n + 2l - 4.5
// w[1] = [[0,1],[0,1]],  b1 = 1:    y1 = 1 + x[n][0][l+1] + x[n][1][l+1]
//                                      = 1 + (8n + l - 5) + (8n + l - 1) = 16n + 2l - 5
void set_tiny_params(Conv1d& conv) {
  conv.import_param(0, floats({1, -1, 2, 0, 0, 1, 0, 1}));
  conv.import_param(1, floats({0.5, 1}));
}

TEST(LayersTest, Conv1dForwardTiny) {
  const Shape in{2, 1, 4};
  const Mat x = from_torch(arange(16, 6), in, 2);
  Conv1d conv("c", 2, 2, 2, 1);
  set_tiny_params(conv);
  Mat y, aux;
  conv.forward(x, in, 2, y, aux, {});
  ASSERT_EQ(conv.output_shape(in), (Shape{2, 1, 3}));
  // (n, f, l): n=0: y0 = -4.5, -2.5, -0.5; y1 = -5, -3, -1;  n=1: 11.5, 13.5, 15.5; 11, 13, 15.
  EXPECT_EQ(to_torch(y, Shape{2, 1, 3}, 2),
            (std::vector<double>{-4.5, -2.5, -0.5, -5, -3, -1, 11.5, 13.5, 15.5, 11, 13, 15}));
}

TEST(LayersTest, Conv1dForwardStride2Tiny) {
  const Shape in{2, 1, 4};
  const Mat x = from_torch(arange(16, 6), in, 2);
  Conv1d conv("c", 2, 2, 2, 2);
  set_tiny_params(conv);
  Mat y, aux;
  conv.forward(x, in, 2, y, aux, {});
  // Lout = (4 - 2)/2 + 1 = 2, positions l = 0, 2 of the stride-1 result.
  EXPECT_EQ(to_torch(y, Shape{2, 1, 2}, 2), (std::vector<double>{-4.5, -0.5, -5, -1, 11.5, 15.5, 11, 15}));
}

TEST(LayersTest, Conv1dBackwardTiny) {
  const Shape in{2, 1, 4};
  const Mat x = from_torch(arange(16, 6), in, 2);
  Conv1d conv("c", 2, 2, 2, 1);
  set_tiny_params(conv);
  Mat y, aux, dx;
  conv.forward(x, in, 2, y, aux, {});
  std::vector<Mat> g{Mat::Zero(2, 4), Mat::Zero(2, 1)};
  conv.backward(x, y, aux, Mat::Ones(2, 6), in, 2, &dx, g);
  // db = N*Lout = 6.  dw[f][c][k] = sum_{n,l<3} x[n][c][l+k] (same for both f, dy = 1):
  //   c0 k0: (-6-5-4) + (2+3+4) = -6;  c0 k1: (-5-4-3) + (3+4+5) = 0
  //   c1 k0: (-2-1+0) + (6+7+8) = 18;  c1 k1: (-1+0+1) + (7+8+9) = 24
  // dx[n][c][j] = sum over (f, k) with 0 <= j-k < 3 of w[f][c][k]:
  //   c0: w[.][0][0] sums to 1, w[.][0][1] to 0 -> j0: 1, j1: 1+0, j2: 1+0, j3: 0 = [1,1,1,0]
  //   c1: w[.][1][0] sums to 2, w[.][1][1] to 1 -> [2, 3, 3, 1]
  Conv1d out("o", 2, 2, 2);
  out.weight() = g[0];
  EXPECT_EQ(out.export_param(0), floats({-6, 0, 18, 24, -6, 0, 18, 24}));
  EXPECT_EQ(flat(g[1]), (std::vector<double>{6, 6}));
  EXPECT_EQ(to_torch(dx, in, 2), (std::vector<double>{1, 1, 1, 0, 2, 3, 3, 1, 1, 1, 1, 0, 2, 3, 3, 1}));
}

TEST(LayersTest, DenseTiny) {
  // W = [[1,2,3],[-1,0,1]], b = [0.5,-0.5]; x = arange(6) - 2 as (2, 3): x0 = (-2,-1,0), x1 = (1,2,3).
  // y0 = (-2-2+0+0.5, 2+0+0-0.5) = (-3.5, 1.5); y1 = (1+4+9+0.5, -1+0+3-0.5) = (14.5, 1.5).
  Dense d("fc", 3, 2);
  d.import_param(0, floats({1, 2, 3, -1, 0, 1}));
  d.import_param(1, floats({0.5, -0.5}));
  const Mat x = from_torch(arange(6, 2), Shape{3}, 2);
  Mat y, aux, dx;
  d.forward(x, Shape{3}, 2, y, aux, {});
  EXPECT_EQ(to_torch(y, Shape{2}, 2), (std::vector<double>{-3.5, 1.5, 14.5, 1.5}));
  // dy = ones: dx = W^T 1 = column sums (0, 2, 4) per sample; dW[o][i] = sum_n x[n][i] = (-1, 1, 3).
  std::vector<Mat> g{Mat::Zero(2, 3), Mat::Zero(2, 1)};
  d.backward(x, y, aux, Mat::Ones(2, 2), Shape{3}, 2, &dx, g);
  EXPECT_EQ(to_torch(dx, Shape{3}, 2), (std::vector<double>{0, 2, 4, 0, 2, 4}));
  Dense out("o", 3, 2);
  out.weight() = g[0];
  EXPECT_EQ(out.export_param(0), floats({-1, 1, 3, -1, 1, 3}));
  EXPECT_EQ(flat(g[1]), (std::vector<double>{2, 2}));
}

TEST(LayersTest, ReluTiny) {
  // x = arange(6) - 3 = [-3..2]: y = [0,0,0,0,1,2]; with dy = 1, dx = [0,0,0,0,1,1] (0 at the kink).
  ReLU r("r");
  const Mat x = from_torch(arange(6, 3), Shape{1}, 6);
  Mat y, aux, dx;
  r.forward(x, Shape{1}, 6, y, aux, {});
  EXPECT_EQ(flat(y), (std::vector<double>{0, 0, 0, 0, 1, 2}));
  r.backward(x, y, aux, Mat::Ones(1, 6), Shape{1}, 6, &dx, {});
  EXPECT_EQ(flat(dx), (std::vector<double>{0, 0, 0, 0, 1, 1}));
}

TEST(LayersTest, GlobalAvgPoolTiny) {
  // x (2, 2, 3) = arange(12) - 4: means n0: (-3, 0), n1: (3, 6); backward spreads dy/3.
  GlobalAvgPool gap("g");
  const Shape in{2, 1, 3};
  const Mat x = from_torch(arange(12, 4), in, 2);
  Mat y, aux, dx;
  gap.forward(x, in, 2, y, aux, {});
  EXPECT_EQ(to_torch(y, Shape{2}, 2), (std::vector<double>{-3, 0, 3, 6}));
  Mat dy(2, 2);
  dy << 3, 6, -3, 0;  // (c, n)
  gap.backward(x, y, aux, dy, in, 2, &dx, {});
  EXPECT_EQ(to_torch(dx, in, 2), (std::vector<double>{1, 1, 1, -1, -1, -1, 2, 2, 2, 0, 0, 0}));
}

TEST(LayersTest, FlattenUsesPyTorchOrder) {
  // One sample (C=2, H=1, W=3) with x[c][s] = 10c + s. Internally (channels innermost) it is
  // stored 0,10,1,11,2,12; PyTorch's flatten gives c*S + s: 0,1,2,10,11,12.
  Flatten fl("f");
  const Shape in{2, 1, 3};
  Mat x(2, 3);
  x << 0, 1, 2, 10, 11, 12;
  Mat y, aux, dx;
  fl.forward(x, in, 1, y, aux, {});
  EXPECT_EQ(flat(y), (std::vector<double>{0, 1, 2, 10, 11, 12}));
  fl.backward(x, y, aux, y, in, 1, &dx, {});
  EXPECT_EQ(flat(dx), flat(x));  // backward is the inverse permutation
}

TEST(LayersTest, Conv2dStride2Tiny) {
  // x (1x4x4) = arange(16) - 8: x[r][c] = 4r + c - 8. Kernel [[1,2],[0,0]], b = 1, stride 2:
  // y[oy][ox] = 1 + x[2oy][2ox] + 2 x[2oy][2ox+1] = 1 + (8oy + 2ox - 8) + 2(8oy + 2ox - 7)
  //           = 24 oy + 6 ox - 21 -> [[-21, -15], [3, 9]].
  Conv2d conv("c", 1, 1, 2, 2, 2, 2);
  conv.import_param(0, floats({1, 2, 0, 0}));
  conv.import_param(1, floats({1}));
  const Shape in{1, 4, 4};
  const Mat x = from_torch(arange(16, 8), in, 1);
  Mat y, aux;
  ASSERT_EQ(conv.output_shape(in), (Shape{1, 2, 2}));
  conv.forward(x, in, 1, y, aux, {});
  EXPECT_EQ(to_torch(y, Shape{1, 2, 2}, 1), (std::vector<double>{-21, -15, 3, 9}));
}

// ---- 2. Gradient checks ------------------------------------------------------------------------

constexpr double kEps = 1e-2;      // O(1) data; linear layers have no truncation error
constexpr double kGradTol = 1e-3;  // atol and rtol; measured max error ~1e-5 (printed below)

void run_gradcheck(Layer& layer, const Shape& in, int n, const ForwardMode& mode = {}, bool kinks = false) {
  Rng rng(5);
  for (auto& p : layer.params()) *p.value = random_mat(p.value->rows(), p.value->cols(), rng);
  const Mat x = random_mat(in.c, n * in.spatial(), rng, -2, 2);
  testing::GradCheckStats st;
  EXPECT_TRUE(testing::gradcheck_layer(layer, in, n, x, mode, kEps, kGradTol, kGradTol, kinks, st));
  EXPECT_GT(st.checked, 0);
  std::printf("  [gradcheck %s] checked %d, skipped %d, max |num - ana| %.2e\n", layer.describe().c_str(), st.checked,
              st.skipped, st.max_err);
}

TEST(LayersTest, Conv1dGradients) {
  Conv1d a("conv_s1", 3, 4, 3, 1);
  run_gradcheck(a, Shape{3, 1, 9}, 2);
  Conv1d b("conv_s2", 2, 3, 4, 2);
  run_gradcheck(b, Shape{2, 1, 11}, 2);
  Conv1d c("conv_s3", 2, 2, 2, 3);  // stride > kernel: some inputs feed no output
  run_gradcheck(c, Shape{2, 1, 10}, 2);
}

TEST(LayersTest, Conv2dGradients) {
  Conv2d a("conv2d_s1", 2, 3, 2, 3, 1, 1);
  run_gradcheck(a, Shape{2, 4, 5}, 2);
  Conv2d b("conv2d_s21", 2, 2, 3, 2, 2, 1);
  run_gradcheck(b, Shape{2, 7, 5}, 2);
}

TEST(LayersTest, DenseGradients) {
  Dense d("fc", 5, 3);
  run_gradcheck(d, Shape{5}, 3);
}

TEST(LayersTest, ParameterFreeGradients) {
  ReLU r("relu");
  run_gradcheck(r, Shape{3, 1, 5}, 2, {}, /*kinks=*/true);
  GlobalAvgPool g("gap");
  run_gradcheck(g, Shape{3, 1, 5}, 2);
  GlobalAvgPool g2("gap2d");
  run_gradcheck(g2, Shape{2, 3, 4}, 2);
  Flatten f("flatten");
  run_gradcheck(f, Shape{3, 2, 4}, 2);
  Dropout d("dropout", 0.4);
  run_gradcheck(d, Shape{3, 1, 5}, 2, ForwardMode{true, 9, 4});
}

// The naive kernels are themselves checked in double against their own forward (tight: the
// difference of doubles with eps = 1e-6 on O(1) data loses ~1e-10).
TEST(LayersTest, NaiveKernelsGradientsInDouble) {
  Rng rng(3);
  const int n = 2, c = 2, len = 9, f = 3, k = 3, stride = 2;
  auto rnd = [&](std::size_t m) { return testing::to_double(testing::random_vec(m, rng)); };
  auto x = rnd(n * c * len), w = rnd(f * c * k), b = rnd(f);
  const int lout = (len - k) / stride + 1;
  auto r = rnd(static_cast<std::size_t>(n * f * lout));
  auto obj = [&] {
    auto y = naive::conv1d_forward(x, n, c, len, w, b, f, k, stride);
    double s = 0;
    for (std::size_t i = 0; i < y.size(); ++i) s += r[i] * y[i];
    return s;
  };
  std::vector<double> dx, dw, db;
  naive::conv1d_backward(x, n, c, len, w, f, k, stride, r, dx, dw, db);
  for (auto [v, g] : {std::pair{&x, &dx}, std::pair{&w, &dw}, std::pair{&b, &db}})
    for (std::size_t j = 0; j < v->size(); ++j) {
      const double keep = (*v)[j];
      (*v)[j] = keep + 1e-6;
      const double fp = obj();
      (*v)[j] = keep - 1e-6;
      const double fm = obj();
      (*v)[j] = keep;
      EXPECT_NEAR((fp - fm) / 2e-6, (*g)[j], 1e-7);
    }
  // conv2d (n, c, h, w) = (2, 2, 5, 4), kernel 2x3, stride (2, 1).
  const int h = 5, wd = 4, kh = 2, kw = 3, sh = 2, sw = 1, oh = (h - kh) / sh + 1, ow = (wd - kw) / sw + 1;
  auto x2 = rnd(n * c * h * wd), w2 = rnd(f * c * kh * kw), b2 = rnd(f), r2 = rnd(n * f * oh * ow);
  auto obj2 = [&] {
    auto y = naive::conv2d_forward(x2, n, c, h, wd, w2, b2, f, kh, kw, sh, sw);
    double s = 0;
    for (std::size_t i = 0; i < y.size(); ++i) s += r2[i] * y[i];
    return s;
  };
  naive::conv2d_backward(x2, n, c, h, wd, w2, f, kh, kw, sh, sw, r2, dx, dw, db);
  for (auto [v, g] : {std::pair{&x2, &dx}, std::pair{&w2, &dw}, std::pair{&b2, &db}})
    for (std::size_t j = 0; j < v->size(); ++j) {
      const double keep = (*v)[j];
      (*v)[j] = keep + 1e-6;
      const double fp = obj2();
      (*v)[j] = keep - 1e-6;
      const double fm = obj2();
      (*v)[j] = keep;
      EXPECT_NEAR((fp - fm) / 2e-6, (*g)[j], 1e-7);
    }
}

// ---- 3. Naive vs optimised -----------------------------------------------------------------------

// float GEMM vs double loops: each output is a sum of m = K*C (or KH*KW*C, or F*K for dx)
// products of O(1) terms; its float error is ~ sqrt(m) * 2^-24 * sqrt(sum of squares) and at
// worst m * 2^-24 * sum|terms|. We compare against 1e-5 of the array's largest magnitude
// (plus 1e-5 relative), measured max ~1e-6 of scale for these sizes.
constexpr double kKernelRtol = 1e-5;

::testing::AssertionResult close_to_naive(const std::vector<double>& got, const std::vector<double>& want,
                                          const std::string& label) {
  double scale = 0;
  for (double v : want) scale = std::max(scale, std::abs(v));
  return expect_close(got, want, kKernelRtol * scale, kKernelRtol, label);
}

TEST(LayersTest, Conv1dMatchesNaive) {
  Rng rng(11);
  struct Case { int n, c, f, len, k, stride; };
  for (const Case cs : {Case{1, 4, 5, 13, 3, 1}, Case{5, 3, 2, 17, 4, 2}, Case{5, 2, 3, 23, 5, 3}, Case{1, 1, 1, 7, 7, 1},
                        Case{5, 50, 50, 31, 11, 1}, Case{2, 5, 4, 19, 2, 3}}) {
    const std::string label = fmt::format("n={} c={} f={} len={} k={} stride={}", cs.n, cs.c, cs.f, cs.len, cs.k, cs.stride);
    Conv1d conv("c", cs.c, cs.f, cs.k, cs.stride);
    conv.init(rng);
    const Shape in{cs.c, 1, cs.len};
    const Shape out = conv.output_shape(in);
    const Mat x = random_mat(cs.c, cs.n * cs.len, rng);
    Mat y, aux, dx;
    conv.forward(x, in, cs.n, y, aux, {});
    const auto xt = to_torch(x, in, cs.n), wt = testing::to_double(conv.export_param(0)),
               bt = testing::to_double(conv.export_param(1));
    EXPECT_TRUE(close_to_naive(to_torch(y, out, cs.n),
                               naive::conv1d_forward(xt, cs.n, cs.c, cs.len, wt, bt, cs.f, cs.k, cs.stride),
                               label + " y"));
    const Mat dy = random_mat(cs.f, cs.n * out.w, rng);
    std::vector<Mat> g{Mat::Zero(cs.f, cs.k * cs.c), Mat::Zero(cs.f, 1)};
    conv.backward(x, y, aux, dy, in, cs.n, &dx, g);
    std::vector<double> ndx, ndw, ndb;
    naive::conv1d_backward(xt, cs.n, cs.c, cs.len, wt, cs.f, cs.k, cs.stride, to_torch(dy, out, cs.n), ndx, ndw, ndb);
    Conv1d gw("g", cs.c, cs.f, cs.k, cs.stride);
    gw.weight() = g[0];
    EXPECT_TRUE(close_to_naive(to_torch(dx, in, cs.n), ndx, label + " dx"));
    EXPECT_TRUE(close_to_naive(testing::to_double(gw.export_param(0)), ndw, label + " dw"));
    EXPECT_TRUE(close_to_naive(flat(g[1]), ndb, label + " db"));
  }
}

TEST(LayersTest, Conv2dMatchesNaive) {
  Rng rng(12);
  struct Case { int n, c, f, h, w, kh, kw, sh, sw; };
  for (const Case cs : {Case{1, 1, 3, 7, 9, 3, 3, 1, 1}, Case{5, 2, 4, 9, 7, 2, 3, 2, 1}, Case{5, 3, 2, 11, 13, 4, 4, 3, 3},
                        Case{1, 32, 8, 13, 13, 4, 4, 2, 2}, Case{2, 2, 2, 5, 5, 5, 5, 1, 1}}) {
    const std::string label = fmt::format("n={} c={} f={} {}x{} k={}x{} s={}x{}", cs.n, cs.c, cs.f, cs.h, cs.w, cs.kh,
                                          cs.kw, cs.sh, cs.sw);
    Conv2d conv("c", cs.c, cs.f, cs.kh, cs.kw, cs.sh, cs.sw);
    conv.init(rng);
    const Shape in{cs.c, cs.h, cs.w};
    const Shape out = conv.output_shape(in);
    const Mat x = random_mat(cs.c, cs.n * in.spatial(), rng);
    Mat y, aux, dx;
    conv.forward(x, in, cs.n, y, aux, {});
    const auto xt = to_torch(x, in, cs.n), wt = testing::to_double(conv.export_param(0)),
               bt = testing::to_double(conv.export_param(1));
    EXPECT_TRUE(close_to_naive(to_torch(y, out, cs.n),
                               naive::conv2d_forward(xt, cs.n, cs.c, cs.h, cs.w, wt, bt, cs.f, cs.kh, cs.kw, cs.sh, cs.sw),
                               label + " y"));
    const Mat dy = random_mat(cs.f, cs.n * out.spatial(), rng);
    std::vector<Mat> g{Mat::Zero(cs.f, cs.kh * cs.kw * cs.c), Mat::Zero(cs.f, 1)};
    conv.backward(x, y, aux, dy, in, cs.n, &dx, g);
    std::vector<double> ndx, ndw, ndb;
    naive::conv2d_backward(xt, cs.n, cs.c, cs.h, cs.w, wt, cs.f, cs.kh, cs.kw, cs.sh, cs.sw, to_torch(dy, out, cs.n), ndx,
                           ndw, ndb);
    Conv2d gw("g", cs.c, cs.f, cs.kh, cs.kw, cs.sh, cs.sw);
    gw.weight() = g[0];
    EXPECT_TRUE(close_to_naive(to_torch(dx, in, cs.n), ndx, label + " dx"));
    EXPECT_TRUE(close_to_naive(testing::to_double(gw.export_param(0)), ndw, label + " dw"));
    EXPECT_TRUE(close_to_naive(flat(g[1]), ndb, label + " db"));
  }
}

TEST(LayersTest, DenseMatchesNaive) {
  Rng rng(13);
  Dense d("fc", 37, 11);
  d.init(rng);
  const Mat x = random_mat(37, 5, rng);
  Mat y, aux;
  d.forward(x, Shape{37}, 5, y, aux, {});
  EXPECT_TRUE(close_to_naive(to_torch(y, Shape{11}, 5),
                             naive::dense_forward(to_torch(x, Shape{37}, 5), 5, 37, testing::to_double(d.export_param(0)),
                                                  testing::to_double(d.export_param(1)), 11),
                             "dense y"));
}

// ---- 4. Dropout ------------------------------------------------------------------------------

TEST(LayersTest, DropoutInferenceIsIdentity) {
  Dropout d("drop", 0.5);
  Rng rng(1);
  const Mat x = random_mat(4, 6, rng);
  Mat y, aux, dx;
  d.forward(x, Shape{4, 1, 3}, 2, y, aux, ForwardMode{false, 7, 0});
  EXPECT_EQ(flat(y), flat(x));
  d.backward(x, y, aux, x, Shape{4, 1, 3}, 2, &dx, {});
  EXPECT_EQ(flat(dx), flat(x));
}

TEST(LayersTest, DropoutMaskValuesAndKeptFraction) {
  const double p = 0.3;
  Dropout d("drop", p);
  const Shape in{50, 1, 40};
  const int n = 50;  // 100,000 mask elements
  const Mat x = Mat::Ones(in.c, n * in.spatial());
  Mat y, aux;
  d.forward(x, in, n, y, aux, ForwardMode{true, 123, 0});
  const float keep = static_cast<float>(1.0 / (1.0 - p));
  long kept = 0;
  for (Eigen::Index j = 0; j < aux.size(); ++j) {
    ASSERT_TRUE(aux.data()[j] == 0.0f || aux.data()[j] == keep) << aux.data()[j];
    kept += aux.data()[j] != 0.0f;
  }
  EXPECT_EQ(flat(y), flat(aux));  // x = 1
  // Binomial(m, 1-p): sigma = sqrt(m p (1-p)) ~ 145; the seed is fixed, the bound is 5 sigma.
  const double m = static_cast<double>(aux.size()), sigma = std::sqrt(m * p * (1 - p));
  EXPECT_NEAR(static_cast<double>(kept), m * (1 - p), 5 * sigma);
}

TEST(LayersTest, DropoutMasksAreDeterministicAndIndependentOfBatchSplit) {
  Dropout d("drop", 0.5);
  const Shape in{3, 1, 5};
  const Mat x = Mat::Ones(3, 4 * 5);
  Mat y1, a1, y2, a2, y3, a3;
  d.forward(x, in, 4, y1, a1, ForwardMode{true, 42, 0});
  d.forward(x, in, 4, y2, a2, ForwardMode{true, 42, 0});
  EXPECT_EQ(flat(a1), flat(a2));
  // Samples 2..3 of the batch run alone with first_sample = 2 draw the same masks.
  d.forward(x.rightCols(10), in, 2, y3, a3, ForwardMode{true, 42, 2});
  EXPECT_EQ(flat(a3), flat(Mat(a1.rightCols(10))));
  // A different seed or a different sample gives a different mask.
  d.forward(x, in, 4, y2, a2, ForwardMode{true, 43, 0});
  EXPECT_NE(flat(a1), flat(a2));
  EXPECT_NE(flat(Mat(a1.leftCols(5))), flat(Mat(a1.middleCols(5, 5))));
}

TEST(LayersTest, DropoutBackwardMultipliesByMask) {
  Dropout d("drop", 0.5);
  const Shape in{3, 1, 5};
  Rng rng(2);
  const Mat x = random_mat(3, 10, rng), dy = random_mat(3, 10, rng);
  Mat y, aux, dx;
  d.forward(x, in, 2, y, aux, ForwardMode{true, 5, 0});
  d.backward(x, y, aux, dy, in, 2, &dx, {});
  EXPECT_EQ(flat(dx), flat(Mat(dy.cwiseProduct(aux))));
  EXPECT_EQ(flat(y), flat(Mat(x.cwiseProduct(aux))));
}

TEST(LayersTest, DropoutLayersOfOneNetworkDrawDifferentMasks) {
  Dropout a("dropout1", 0.5), b("dropout2", 0.5);
  const Mat x = Mat::Ones(64, 2);
  Mat ya, aa, yb, ab;
  a.forward(x, Shape{64}, 2, ya, aa, ForwardMode{true, 8, 0});
  b.forward(x, Shape{64}, 2, yb, ab, ForwardMode{true, 8, 0});
  EXPECT_NE(flat(aa), flat(ab));
}

// ---- 5. PyTorch layout of parameters ------------------------------------------------------------

TEST(LayersTest, ExportImportRoundTripInTorchLayout) {
  Rng rng(4);
  Conv1d c1("c1", 3, 4, 5);
  Conv2d c2("c2", 2, 3, 2, 3, 1, 2);
  Dense d("d", 6, 4);
  for (Layer* l : std::initializer_list<Layer*>{&c1, &c2, &d}) {
    auto ps = l->params();
    for (int i = 0; i < static_cast<int>(ps.size()); ++i) {
      std::size_t size = 1;
      for (auto s : ps[static_cast<std::size_t>(i)].torch_shape) size *= static_cast<std::size_t>(s);
      auto v = testing::random_vec(size, rng);
      l->import_param(i, v);
      EXPECT_EQ(l->export_param(i), v) << l->name() << " param " << i;
    }
  }
  // Torch-ordered arange: conv1d weight[f][c][k] = 100f + 10c + k lands at (f, k*C + c).
  std::vector<float> w;
  for (int f = 0; f < 4; ++f)
    for (int c = 0; c < 3; ++c)
      for (int k = 0; k < 5; ++k) w.push_back(static_cast<float>(100 * f + 10 * c + k));
  c1.import_param(0, w);
  EXPECT_EQ(c1.weight()(2, 4 * 3 + 1), 214.0f);
  EXPECT_EQ(c1.weight()(3, 0 * 3 + 2), 320.0f);
}

TEST(LayersTest, TorchOrderedWeightsGiveNaiveForward) {
  // Torch-ordered arange weights, forward a known input, compare with the naive kernel on the
  // same torch arrays (exact: small integers are exact in float).
  Conv2d conv("c", 2, 3, 2, 2, 1, 2);
  std::vector<float> w(3 * 2 * 2 * 2), b{1, -1, 2};
  for (std::size_t j = 0; j < w.size(); ++j) w[j] = static_cast<float>(j) - 10;
  conv.import_param(0, w);
  conv.import_param(1, b);
  const Shape in{2, 3, 5};
  const auto xt = arange(2 * 2 * 3 * 5, 20);
  Mat y, aux;
  conv.forward(from_torch(xt, in, 2), in, 2, y, aux, {});
  EXPECT_EQ(to_torch(y, conv.output_shape(in), 2),
            naive::conv2d_forward(xt, 2, 2, 3, 5, testing::to_double(w), testing::to_double(b), 3, 2, 2, 1, 2));
}

TEST(LayersTest, InitFollowsPyTorchBoundsAndIsDeterministic) {
  Conv1d a("c", 50, 50, 11), b("c", 50, 50, 11);
  Rng r1(9), r2(9);
  a.init(r1);
  b.init(r2);
  EXPECT_EQ(a.export_param(0), b.export_param(0));
  const double bound = 1.0 / std::sqrt(550.0);
  const Mat& w = a.weight();
  EXPECT_LE(w.cwiseAbs().maxCoeff(), bound);
  EXPECT_GE(w.cwiseAbs().maxCoeff(), 0.99 * bound);  // 27,500 draws reach the edge
  // Mean of U(-B, B): sigma = B / sqrt(3 m); 5 sigma.
  EXPECT_NEAR(w.mean(), 0.0, 5 * bound / std::sqrt(3.0 * static_cast<double>(w.size())));
  // Variance B^2/3 within 5%.
  EXPECT_NEAR(w.array().square().mean(), bound * bound / 3, 0.05 * bound * bound / 3);
  EXPECT_LE(a.bias().cwiseAbs().maxCoeff(), bound);
  // PyTorch element order: the first draw is weight[0][0][0], the second weight[0][0][1].
  Rng r3(9);
  EXPECT_EQ(a.weight()(0, 0), uniform_pm(r3, bound));
  EXPECT_EQ(a.weight()(0, 50), uniform_pm(r3, bound));
}

TEST(LayersTest, OutputShapeErrors) {
  Conv1d c("conv2", 50, 50, 11);
  EXPECT_THROW_MSG(c.output_shape(Shape{50, 1, 5}), ConfigError,
                   "model.layers: layer 'conv2': input too short; expected length >= 11, got 5");
  EXPECT_THROW_MSG(c.output_shape(Shape{4, 1, 200}), ConfigError,
                   "model.layers: layer 'conv2': input channels do not match; expected 50, got 4");
  EXPECT_THROW_MSG(c.output_shape(Shape{50, 28, 28}), ConfigError,
                   "model.layers: layer 'conv2': conv1d needs a 1-D input; expected a (C x L) input, got 50x28x28");
  Conv2d c2("conv1", 1, 32, 4, 4, 2, 2);
  EXPECT_THROW_MSG(c2.output_shape(Shape{1, 3, 28}), ConfigError,
                   "model.layers: layer 'conv1': input too small; expected at least 4x4 (height x width), got 3x28");
  Dense d("fc1", 50, 50);
  EXPECT_THROW_MSG(d.output_shape(Shape{50, 1, 180}), ConfigError,
                   "model.layers: layer 'fc1': dense needs a flat input; expected a (C) input after gap or flatten, "
                   "got 50x180");
}

}  // namespace
}  // namespace lb::model
