// Error helpers produce the project's message format exactly.
#include "core/error.h"

#include <cerrno>
#include <string>

#include <gtest/gtest.h>

#include "core/text.h"
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

// Raw input bytes must not reach the terminal. Before the fix, quote_token
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

// Paths in messages (where() and every message naming a path): escaped like quote_token, not
// quoted, and cut in the middle past 200 shown bytes so the file's name stays. Before, a path
// given on the command line reached the terminal raw, at any length.
TEST(ErrorTest, PathsInMessagesAreEscapedAndCapped) {
  EXPECT_EQ(show_path("/data/run 1/labels.tsv"), "/data/run 1/labels.tsv");  // ordinary paths unchanged
  EXPECT_EQ(show_path("out/\x1b[31m\x1b/x\n.tsv"), "out/\\x1b[31m\\x1b/x\\n.tsv");
  EXPECT_EQ(show_path("d\x1b[2J/caf\xc3\xa9\r"), "d\\x1b[2J/caf\xc3\xa9\\r");
  EXPECT_EQ(show_path(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(where("x\x07.ini", 3), "x\\x07.ini:3: ");
  EXPECT_EQ(std::string(input_error("d\x1b/labels.tsv", 2, "bad split", "train", "'x'").what()),
            "d\\x1b/labels.tsv:2: bad split; expected train, got 'x'");
  // Long: the first 98 and the last 99 shown bytes around "...", 200 in all.
  const std::string deep = "/" + std::string(150, 'a') + "/" + std::string(150, 'b') + "/labels.tsv";
  EXPECT_EQ(show_path(deep), deep.substr(0, 98) + "..." + deep.substr(deep.size() - 99));
  EXPECT_EQ(show_path(deep).size(), 200u);
  EXPECT_EQ(show_path(std::string(1000000, 'x')).size(), 200u);
  EXPECT_EQ(show_path(deep, 1000), deep);
  // Never half an escape or a character at either cut.
  EXPECT_EQ(show_path(std::string(10, '\x01'), 15), "\\x01...\\x01");
  EXPECT_EQ(show_path("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 7), "\xc3\xa9...\xc3\xa9");
}

}  // namespace
}  // namespace lb
