// Tests for io/text_io's whole-token number parsers.
#include "io/text_io.h"

#include <gtest/gtest.h>

namespace lb::io::detail {
namespace {

// One optional sign, not two. Before the fix, "+-5" was -5 (the '+' was
// dropped, then from_chars read "-5"), and parse_double took "nan" and "inf" (a BED score of
// nan was accepted).
TEST(TextIoTest, ParseInt64TakesOneOptionalSign) {
  EXPECT_EQ(parse_int64("42"), 42);
  EXPECT_EQ(parse_int64("+42"), 42);
  EXPECT_EQ(parse_int64("-42"), -42);
  EXPECT_EQ(parse_int64("+-5"), std::nullopt);
  EXPECT_EQ(parse_int64("-+5"), std::nullopt);
  EXPECT_EQ(parse_int64("++5"), std::nullopt);
  EXPECT_EQ(parse_int64("+"), std::nullopt);
  EXPECT_EQ(parse_int64(""), std::nullopt);
  EXPECT_EQ(parse_int64("9223372036854775808"), std::nullopt);
  EXPECT_EQ(parse_int64(" 5"), std::nullopt);
}

TEST(TextIoTest, ParseDoubleTakesFiniteNumbersWithOneOptionalSign) {
  EXPECT_EQ(parse_double("1.5"), 1.5);
  EXPECT_EQ(parse_double("+1.5"), 1.5);
  EXPECT_EQ(parse_double("-1e3"), -1000.0);
  EXPECT_EQ(parse_double("+-1.5"), std::nullopt);
  EXPECT_EQ(parse_double("++1"), std::nullopt);
  EXPECT_EQ(parse_double("+"), std::nullopt);
  for (const char* s : {"nan", "NaN", "-nan", "+nan", "inf", "-inf", "infinity", "1e999"})
    EXPECT_EQ(parse_double(s), std::nullopt) << s;
}

}  // namespace
}  // namespace lb::io::detail
