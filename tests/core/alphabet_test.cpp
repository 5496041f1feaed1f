// Alphabet: codes, reverse complement, one-hot round trip and exact error texts.
#include "core/alphabet.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "testing/helpers.h"

namespace lb {
namespace {

TEST(AlphabetTest, CodesAreCaseInsensitive) {
  EXPECT_EQ(base_code('A'), 0);
  EXPECT_EQ(base_code('c'), 1);
  EXPECT_EQ(base_code('G'), 2);
  EXPECT_EQ(base_code('t'), 3);
  EXPECT_EQ(base_code('n'), kBaseN);
  EXPECT_EQ(base_code('X'), kBadBase);
}

TEST(AlphabetTest, EncodeRejectsUnexpectedCharacter) {
  EXPECT_THROW_MSG(encode_bases("ACGU", "x.fa:3: "), InputError,
                   "x.fa:3: unexpected character at position 4; expected one of ACGTN, got 'U'");
}

TEST(AlphabetTest, ReverseComplement) {
  EXPECT_EQ(reverse_complement("AACGTN"), "NACGTT");
  EXPECT_EQ(reverse_complement("acgT"), "Acgt");
}

TEST(AlphabetTest, OneHotRoundTripWithN) {
  std::vector<std::vector<std::uint8_t>> seqs{encode_bases("ACGTN", ""), encode_bases("TTGCA", "")};
  const Mat x = one_hot(seqs);
  ASSERT_EQ(x.rows(), 4);
  ASSERT_EQ(x.cols(), 10);
  EXPECT_EQ(x(0, 0), 1.0f);   // seq 0 pos 0 = A
  EXPECT_EQ(x.col(4).sum(), 0.0f);  // N
  EXPECT_EQ(x(3, 5), 1.0f);   // seq 1 pos 0 = T
  EXPECT_EQ(from_one_hot(x, 2, 5), seqs);
}

}  // namespace
}  // namespace lb
