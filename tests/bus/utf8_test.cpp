#include "utf8.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

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

// isValidUtf8 says whether validUtf8 would leave a string alone (ValueChanged writes the
// strings it accepts without sd-bus checking them again): the same answer for every lead
// byte followed by up to three bytes at the edges of the ranges UTF-8 allows (and every
// four-byte lead), anywhere in a string long enough for the 16-byte checks.
TEST(IsValidUtf8, AgreesWithValidUtf8OnSequencesAtEveryPlace) {
  EXPECT_TRUE(isValidUtf8(""));
  EXPECT_TRUE(isValidUtf8("Device.WiFi.SSID.1.SSID is plain ASCII"));
  EXPECT_FALSE(isValidUtf8(std::string(40, '\0')));
  EXPECT_FALSE(isValidUtf8(std::string(40, 'a') + '\0'));
  const std::vector<int> edges = {0x00, 0x01, 0x41, 0x7F, 0x80, 0x81, 0x8F, 0x90, 0x9F, 0xA0,
                                  0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF};
  std::vector<std::string> sequences;
  for (int lead = 0; lead < 256; ++lead) {
    const std::string first(1, static_cast<char>(lead));
    sequences.push_back(first);
    for (const int b : edges) {
      sequences.push_back(first + static_cast<char>(b));
      for (const int c : edges) {
        sequences.push_back(first + static_cast<char>(b) + static_cast<char>(c));
        if (lead < 0xF0 || lead > 0xF4) continue;
        for (const int d : edges)
          sequences.push_back(first + static_cast<char>(b) + static_cast<char>(c) +
                              static_cast<char>(d));
      }
    }
  }
  const std::string pad(21, 'a');
  std::size_t valid = 0;
  std::size_t checked = 0;
  for (const auto& bytes : sequences) {
    // At the start, inside the first 16-byte block, across its end, after it, at the end.
    for (const std::size_t at :
         {std::size_t{0}, std::size_t{5}, std::size_t{14}, std::size_t{17}, pad.size()}) {
      std::string s = pad;
      s.insert(at, bytes);
      const bool expected = validUtf8(s) == s;
      ASSERT_EQ(isValidUtf8(s), expected) << testing::PrintToString(s);
      valid += expected ? 1 : 0;
      ++checked;
    }
  }
  // Both answers were given, many times.
  EXPECT_GT(valid, 1000u);
  EXPECT_GT(checked - valid, 1000u);
}

TEST(IsValidUtf8, AgreesWithValidUtf8OnRandomText) {
  std::mt19937 random(15);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> size(0, 80);
  std::uniform_int_distribution<int> mostlyAscii(0, 15);
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    const int n = size(random);
    for (int k = 0; k < n; ++k) {
      // Mostly printable ASCII, as values are; now and then any byte.
      s += static_cast<char>(mostlyAscii(random) != 0 ? 0x20 + byte(random) % 0x5F : byte(random));
    }
    ASSERT_EQ(isValidUtf8(s), validUtf8(s) == s) << testing::PrintToString(s);
  }
}

}  // namespace
}  // namespace cwmpd::bus
