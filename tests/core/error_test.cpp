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

// Issue 15 item 6: raw input bytes must not reach the terminal. Before the fix, quote_token
// copied control bytes (ESC, NUL, CR) as they were and could cut a UTF-8 character in two.
TEST(ErrorTest, QuoteTokenEscapesNonPrintableBytes) {
  EXPECT_EQ(quote_token("seq_1 a-b.c/d"), "'seq_1 a-b.c/d'");  // ordinary text unchanged
  EXPECT_EQ(quote_token("\x1b[31mred"), "'\\x1b[31mred'");
  EXPECT_EQ(quote_token(std::string("a\0b", 3)), "'a\\x00b'");
  EXPECT_EQ(quote_token("tab\there\r\n"), "'tab\\there\\r\\n'");
  EXPECT_EQ(quote_token("\x7f"), "'\\x7f'");
  EXPECT_EQ(quote_token("caf\xc3\xa9"), "'caf\xc3\xa9'");           // valid UTF-8 kept
  EXPECT_EQ(quote_token("\xff\xc3"), "'\\xff\\xc3'");                // invalid UTF-8 escaped
  EXPECT_EQ(quote_token("\xc2\x9b" "2J"), "'\\xc2\\x9b2J'");         // C1 control (8-bit CSI)
  // the cap counts what is shown: escapes included, never half an escape or a character
  EXPECT_EQ(quote_token(std::string(100, '\x01'), 9), "'\\x01\\x01...'");
  EXPECT_EQ(quote_token("\xc3\xa9\xc3\xa9\xc3\xa9", 3), "'\xc3\xa9...'");
  EXPECT_EQ(quote_token(std::string(1000000, 'x')).size(), 45u);  // "'" + 40 + "...'"
}

}  // namespace
}  // namespace lb
