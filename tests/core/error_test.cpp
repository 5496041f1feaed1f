// Error helpers produce the project's message format exactly.
#include "core/error.h"

#include <cerrno>

#include <gtest/gtest.h>

#include "testing/helpers.h"

namespace lb {
namespace {

TEST(ErrorTest, InputErrorFormat) {
  EXPECT_EQ(std::string(input_error("a.bed", 12, "bad start", "an integer", "'x'").what()),
            "a.bed:12: bad start; expected an integer, got 'x'");
  EXPECT_EQ(std::string(input_error("a.bed", 0, "empty file", "a record", "nothing").what()),
            "a.bed: empty file; expected a record, got nothing");
}

TEST(ErrorTest, IoErrorCarriesReason) {
  EXPECT_EQ(std::string(io_error("/x/y", "cannot open", ENOENT).what()),
            "/x/y: cannot open: No such file or directory");
}

TEST(ErrorTest, CheckThrowsWithCondition) {
  try {
    LB_CHECK(1 + 1 == 3, "math is {}", "hard");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("check failed: 1 + 1 == 3: math is hard"), std::string::npos);
  }
}

TEST(ErrorTest, QuoteTokenCutsLongTokens) {
  EXPECT_EQ(quote_token("abc"), "'abc'");
  EXPECT_EQ(quote_token(std::string(50, 'x'), 5), "'xxxxx...'");
}

}  // namespace
}  // namespace lb
