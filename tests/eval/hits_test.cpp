// Tests of eval/hits: per-base scores and hit scores.
#include "eval/hits.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace lb::eval {
namespace {

TEST(HitsTest, PerBaseScoreSumsTheFourChannels) {
  // (4, L=3), rows A, C, G, T.
  const std::vector<float> c{1.0f, 0.0f, -1.0f,   // A
                             0.5f, 0.0f, 0.0f,    // C
                             0.0f, 2.0f, 0.0f,    // G
                             0.0f, 0.0f, 0.25f};  // T
  const std::vector<double> pb = per_base_scores(c, 3);
  EXPECT_EQ(pb, (std::vector<double>{1.5, 2.0, -0.75}));
  EXPECT_DOUBLE_EQ(hit_score(pb, 1, 3), 1.25);
  EXPECT_DOUBLE_EQ(hit_score(pb, 0, 3), 2.75);
  EXPECT_DOUBLE_EQ(hit_score(pb, 2, 2), 0.0);
}

TEST(HitsTest, HitOutsideTheSequenceIsAnError) {
  const std::vector<double> pb{1, 2};
  EXPECT_THROW(hit_score(pb, 1, 3), Error);
}

}  // namespace
}  // namespace lb::eval
