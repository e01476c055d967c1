// The depth-limited JSON entry point: what it counts, what it refuses, and that a
// refused document is Null and says so.
#include "json/parse.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

using rbee::json::nesting_depth;
using rbee::json::parse;

TEST(JsonParse, CountsNestingOutsideStrings) {
  EXPECT_EQ(nesting_depth("", 64), 0);
  EXPECT_EQ(nesting_depth("1", 64), 0);
  EXPECT_EQ(nesting_depth("[]", 64), 1);
  EXPECT_EQ(nesting_depth(R"({"a":[{"b":[]}],"c":{}})", 64), 4);
  EXPECT_EQ(nesting_depth(R"(["[[[[", "\"[[[", "\\", {"}}}]]]": 1}])", 64), 2);
  // Unbalanced closers never go below zero (RapidJSON reports the error).
  EXPECT_EQ(nesting_depth("]]]][", 64), 1);
  std::size_t at = 0;
  EXPECT_EQ(nesting_depth("[[[[[[", 3, &at), 4);
  EXPECT_EQ(at, 3u);
}

TEST(JsonParse, AcceptsTheLimitAndRefusesOneMore) {
  rapidjson::Document d;
  std::string error;
  std::string ok = std::string(64, '[') + std::string(64, ']');
  EXPECT_TRUE(parse(d, ok, &error)) << error;
  EXPECT_TRUE(d.IsArray());
  std::string deep = std::string(65, '[') + std::string(65, ']');
  EXPECT_FALSE(parse(d, deep, &error));
  EXPECT_EQ(error, "JSON nested deeper than 64 levels (at offset 64)");
  EXPECT_TRUE(d.IsNull());
  EXPECT_TRUE(d.HasParseError()); // callers that ask the document see the failure too
  EXPECT_TRUE(parse(d, deep, nullptr, 65));
}

TEST(JsonParse, HostileTextsAreErrorsNotCrashes) {
  rapidjson::Document d;
  std::string error;
  // A megabyte of '[' (or '{') is refused in one linear scan.
  for (char c : {'[', '{'}) {
    auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(parse(d, std::string(1 << 20, c), &error));
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5)); // not quadratic
    EXPECT_NE(error.find("nested deeper"), std::string::npos);
  }
  // Alternating arrays and objects, brackets hidden in strings, truncated, invalid UTF-8.
  std::string mixed;
  for (int i = 0; i < 100000; ++i) mixed += "[{\"k\":";
  EXPECT_FALSE(parse(d, mixed, &error));
  for (const char* bad : {"{\"a\":\"[[[", "[1,2", "\"\\", "\xff\xfe", "{\"a\" 1}", "nan", "[1e999999999]"}) {
    EXPECT_FALSE(parse(d, bad, &error)) << bad;
    EXPECT_NE(error.find("invalid JSON at offset"), std::string::npos) << bad;
    EXPECT_TRUE(d.IsNull()) << bad;
  }
  // Invalid UTF-8 inside a string is refused (the writer would have to change it).
  EXPECT_FALSE(parse(d, "{\"a\":\"\xff\xfe\"}", &error));
  EXPECT_NE(error.find("invalid JSON"), std::string::npos) << error;
  EXPECT_TRUE(parse(d, "{\"a\":\"caf\xc3\xa9\"}", &error)) << error;
  EXPECT_TRUE(parse(d, R"({"text":"[[[[{{{{"})", &error)) << error;
  EXPECT_STREQ(d["text"].GetString(), "[[[[{{{{");
}
