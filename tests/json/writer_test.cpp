// Valid UTF-8 out, whatever comes in: the sequence table of Unicode 3.9 and the writer.
#include "json/writer.hpp"

#include <gtest/gtest.h>

#include <random>

using namespace rbee::json;

TEST(Utf8, SequencesByTheTable) {
  EXPECT_EQ(utf8_sequence("a"), 1);
  EXPECT_EQ(utf8_sequence("\xC3\xA9"), 2);
  EXPECT_EQ(utf8_sequence("\xE6\x97\xA5"), 3);
  EXPECT_EQ(utf8_sequence("\xF0\x9F\x90\x9D"), 4);
  EXPECT_EQ(utf8_sequence("\xF0\x9F\x90"), 0); // a valid beginning, cut off
  EXPECT_EQ(utf8_sequence("\xC3"), 0);
  EXPECT_EQ(utf8_sequence("\x80"), -1);     // a lone continuation byte
  EXPECT_EQ(utf8_sequence("\xC0\xAF"), -1); // overlong lead
  EXPECT_EQ(utf8_sequence("\xE0\x80\x80"), -1); // overlong three-byte form
  EXPECT_EQ(utf8_sequence("\xED\xA0\x80"), -1); // a surrogate
  EXPECT_EQ(utf8_sequence("\xF4\x90\x80\x80"), -1); // above U+10FFFF
  EXPECT_EQ(utf8_sequence("\xF5"), -1);
  EXPECT_EQ(utf8_sequence("\xE6\x97" "a"), -2); // maximal subpart: two bytes, one U+FFFD
  EXPECT_EQ(utf8_sequence("\xF0\x9F\x90" "a"), -3);
}

TEST(Utf8, InvalidSequencesBecomeReplacementCharacters) {
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(make_valid_utf8("\xD3te"), r + "te");
  EXPECT_EQ(make_valid_utf8("ok \xC3\xA9"), "ok \xC3\xA9");
  EXPECT_EQ(make_valid_utf8("\xE6\x97" "a\xFF\xFE"), r + "a" + r + r);
  EXPECT_EQ(make_valid_utf8("end \xF0\x9F\x90"), "end " + r);
  EXPECT_EQ(make_valid_utf8(std::string("a\0b", 3)), std::string("a\0b", 3)); // NUL is valid (escaped by the writer)
  std::mt19937 rng(1);
  for (int i = 0; i < 2000; ++i) { // random bytes always come out valid, and valid text unchanged
    std::string s(static_cast<size_t>(rng() % 40), '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    auto fixed = make_valid_utf8(s);
    EXPECT_TRUE(valid_utf8(fixed));
    EXPECT_EQ(make_valid_utf8(fixed), fixed);
  }
}

TEST(Utf8, TheWriterWritesValidJsonOnly) {
  rapidjson::StringBuffer buf;
  writer w(buf);
  w.StartObject();
  w.Key("t\xFFxt");
  w.String("\xD3te");
  w.Key(std::string("ok"));
  w.String(std::string("caf\xC3\xA9"));
  w.EndObject();
  EXPECT_EQ(std::string(buf.GetString()), "{\"t\xEF\xBF\xBDxt\":\"\xEF\xBF\xBDte\",\"ok\":\"caf\xC3\xA9\"}");
}
