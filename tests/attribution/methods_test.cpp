// Attribution methods by name: parsing and validation texts, run_method against the engine
// (one reference, Multiref-n averaging, errors tracked before averaging, ISM's per-base score,
// thread independence), and the scores.npz layout conversion.
#include "attribution/methods.h"

#include <numeric>

#include <gtest/gtest.h>

#include "attribution/onehot.h"
#include "attribution/scores_file.h"
#include "core/alphabet.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "sim/shuffle.h"
#include "testing/helpers.h"

namespace lb::attr {
namespace {

// The scores.npz layout: element (c, (t*n+i)*S + p) of the multiplier layout is element
// [i][t][c][p] of the (n, T, C, S) C-order array.
TEST(ScoresFileTest, MultiplierLayoutToNtcs) {
  const int n = 2, T = 3, C = 4, S = 5;
  Mat m(C, T * n * S);
  for (int c = 0; c < C; ++c)
    for (int col = 0; col < m.cols(); ++col) m(c, col) = static_cast<float>(c * 1000 + col);
  const std::vector<float> v = to_ntcs(m, n, T, S);
  ASSERT_EQ(v.size(), static_cast<std::size_t>(n * T * C * S));
  // [i=1][t=2][c=3][p=4]: flat ((1*3 + 2)*4 + 3)*5 + 4 = 119; column (2*2 + 1)*5 + 4 = 29.
  EXPECT_EQ(v[119], 3029.0f);
  // [i=0][t=1][c=0][p=0]: flat 20; column (1*2 + 0)*5 = 10.
  EXPECT_EQ(v[20], 10.0f);
  // [i=1][t=0][c=2][p=1]: flat ((1*3 + 0)*4 + 2)*5 + 1 = 71; column (0*2 + 1)*5 + 1 = 6.
  EXPECT_EQ(v[71], 2006.0f);
  for (int i = 0; i < n; ++i)
    for (int t = 0; t < T; ++t)
      for (int c = 0; c < C; ++c)
        for (int p = 0; p < S; ++p)
          ASSERT_EQ(v[static_cast<std::size_t>(((i * T + t) * C + c) * S + p)], m(c, (t * n + i) * S + p));
}

TEST(ScoresFileTest, InputsAndDeltasLayout) {
  const int n = 3, S = 4;
  Mat x(4, n * S);
  for (int c = 0; c < 4; ++c)
    for (int col = 0; col < x.cols(); ++col) x(c, col) = static_cast<float>(c * 100 + col);
  const auto v = to_ncs(x, n, S);
  // [i=2][c=1][p=3] = flat (2*4 + 1)*4 + 3 = 39; column 2*4 + 3 = 11.
  EXPECT_EQ(v[39], 111.0f);
  Mat d(2, n);  // T x n
  d << 1, 2, 3, 4, 5, 6;
  // (n, T): [i][t] = d(t, i).
  EXPECT_EQ(to_nt(d), (std::vector<float>{1, 4, 2, 5, 3, 6}));
}

TEST(ScoresFileTest, ArchiveNamesAndShapes) {
  const int n = 2, T = 3, L = 5;
  MethodResult dl;
  dl.contributions = Mat::Zero(4, T * n * L);
  dl.hypothetical = Mat::Zero(4, T * n * L);
  dl.delta = Mat::Zero(T, n);
  MethodResult ism;
  ism.contributions = Mat::Zero(4, T * n * L);
  ism.ism = Mat::Zero(4, T * n * L);
  const std::vector<ScoredMethod> methods{{"deeplift:genomics", dl}, {"ism", ism}};
  const std::vector<std::string> ids{"a", "bb"};
  const auto a = scores_archive(ids, Mat::Zero(4, n * L), model::Shape{4, 1, L}, T, methods);
  std::vector<std::string> names;
  for (const auto& [name, arr] : a) names.push_back(name + " " + arr.shape_str() + " " + arr.dtype);
  EXPECT_EQ(names, (std::vector<std::string>{"ids (2,) <U2", "onehot (2,4,5) <f4", "deeplift:genomics (2,3,4,5) <f4",
                                             "deeplift:genomics.hypothetical (2,3,4,5) <f4",
                                             "deeplift:genomics.delta (2,3) <f4", "ism (2,3,4,5) <f4",
                                             "ism.ism (2,3,4,5) <f4"}));
}

}  // namespace
}  // namespace lb::attr
