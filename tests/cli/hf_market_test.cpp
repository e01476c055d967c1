// What the marketplace makes of hostile or malformed answers from Hugging Face:
// a clear error or the bad part skipped — never a crash, never a guess.
#include "cli/hf_market.hpp"
#include "messages/errc.hpp"
#include "tests/support/hf_server.hpp"

#include <gtest/gtest.h>

using namespace rbee;
using rbee::test::hf_server;

TEST(HfMarket, MalformedHuggingFaceAnswersAreErrorsOrSkipped) {
  hf_server hf;
  hf.raw("/api/models?search=notjson", "{not json");
  hf.raw("/api/models?search=object", R"({"models":[]})");
  hf.raw("/api/models?search=mixed",
         R"([5, "x", {"id":7}, {"noid":true}, {"id":"ok/one","downloads":"many","likes":-3,"tags":[1,"license:mit",null],)"
         R"("siblings":"nope","gguf":[]}, {"id":"ok/two","siblings":[{"rfilename":"a-Q4_0.gguf"},{"rfilename":7},{}]}])");
  auto e = hf.endpoint();
  auto bad = market_search(e, "", market_query{"notjson", "downloads", 5});
  ASSERT_FALSE(bad);
  EXPECT_EQ(code_of(bad.error()), errc::bad_request);
  auto obj = market_search(e, "", market_query{"object", "downloads", 5});
  ASSERT_FALSE(obj);
  EXPECT_EQ(code_of(obj.error()), errc::bad_request);
  auto mixed = market_search(e, "", market_query{"mixed", "downloads", 5});
  ASSERT_TRUE(mixed) << to_string(mixed.error());
  EXPECT_EQ(*mixed,
            R"([{"id":"ok/one","author":"ok","downloads":0,"likes":-3,"license":"mit","pipeline_tag":"","parameters":0,)"
            R"("quantizations":[],"gguf_files":0},{"id":"ok/two","author":"ok","downloads":0,"likes":0,"license":"",)"
            R"("pipeline_tag":"","parameters":0,"quantizations":["Q4_0"],"gguf_files":1}])");
  auto silent = market_search("http://127.0.0.1:1", "", market_query{});
  ASSERT_FALSE(silent);
  EXPECT_EQ(code_of(silent.error()), errc::unavailable);
  for (auto name : {"../etc", "a/b:Q4", "a", "a/b/c"}) {
    auto m = market_model(e, "", name);
    EXPECT_FALSE(m) << name;
  }
}
