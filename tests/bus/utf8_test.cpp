#include "utf8.hpp"

#include <gtest/gtest.h>

namespace cwmpd::bus {
namespace {

TEST(ValidUtf8, LeavesValidTextAlone) {
  EXPECT_EQ(validUtf8("plain ascii"), "plain ascii");
  EXPECT_EQ(validUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x93\xA1"),
            "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x93\xA1");
  EXPECT_EQ(validUtf8(""), "");
}

TEST(ValidUtf8, ReplacesEachInvalidByteWithTheReplacementCharacter) {
  EXPECT_EQ(validUtf8("a\xFF"
                      "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(validUtf8("\xC3"), "\xEF\xBF\xBD");                  // truncated sequence
  EXPECT_EQ(validUtf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong "/"
  EXPECT_EQ(validUtf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(validUtf8(std::string("a\0b", 3)),
            "a\xEF\xBF\xBD"
            "b");  // NUL
}

}  // namespace
}  // namespace cwmpd::bus
