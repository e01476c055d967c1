// The OpenAI formats alone: hostile bodies and frames get errors or nothing, never
// a crash, and every output is valid JSON in valid UTF-8.
#include "json/parse.hpp"
#include "json/writer.hpp"
#include "net/openai_codec.hpp"

#include <gtest/gtest.h>

using namespace rbee;
using namespace rbee::net;

TEST(OpenAiCodec, BodiesThatAreNotRequestsAreBadRequests) {
  for (const char* body : {"", "0", "[]", "\"x\"", "{", "{\"model\":1}", "{\"model\":\"m\"}", "{\"model\":\"m\",\"messages\":[]}",
                           "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]}",
                           "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":2}",
                           "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"keep_alive\":\"99999999999999h\"}"}) {
    auto t = translate(body, true);
    EXPECT_EQ(t.code, errc::bad_request) << body;
    EXPECT_FALSE(t.message.empty()) << body;
  }
  // Why a body is not JSON is said (deep nesting, invalid UTF-8), not just that it is not.
  EXPECT_NE(translate(std::string(100, '['), true).message.find("nested deeper than 64"), std::string::npos);
  EXPECT_NE(translate("{\"model\":\"\xff\"}", false).message.find("Invalid encoding"), std::string::npos);
  auto ok = translate(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true})", true);
  EXPECT_EQ(ok.code, errc::none) << ok.message;
  EXPECT_TRUE(ok.stream);
}

// Found by the openai fuzzer: a frame whose data is JSON but not an object (e.g. 0)
// reached HasMember, which RapidJSON only defines on objects.
TEST(OpenAiCodec, FramesThatAreNotObjectsAreSafe) {
  for (const char* data : {"0", "[]", "\"x\"", "null", "{", "\xff"}) {
    for (const char* event : {"token", "done", "error", "cancelled", "narration"}) {
      stream_state st;
      st.include_usage = true;
      auto p = transform(st, std::string("event: ") + event + "\ndata: " + data + "\n\n");
      if (!p) continue;
      for (size_t at = 0; (at = p->text.find("data: ", at)) != std::string::npos;) {
        size_t end = p->text.find("\n\n", at);
        std::string json = p->text.substr(at + 6, end - at - 6);
        at = end;
        if (json == "[DONE]") continue;
        rapidjson::Document d;
        EXPECT_TRUE(rbee::json::parse(d, json)) << event << " " << data << ": " << json;
      }
    }
  }
}

// A job's error event becomes an OpenAI error with the job's code and message, in the
// stream and in a whole answer alike.
TEST(OpenAiCodec, JobErrorsKeepTheirCodeAndMessage) {
  auto f = failure_of(R"({"error":{"code":"context_overflow","message":"too long"}})", {errc::internal, "x"});
  EXPECT_EQ(f.code, errc::context_overflow);
  EXPECT_EQ(f.message, "too long");
  auto unknown = failure_of(R"({"error":{"code":"no_such_code","message":7}})", {errc::internal, "generation failed"});
  EXPECT_EQ(unknown.code, errc::internal);
  EXPECT_EQ(unknown.message, "generation failed");
  stream_state st;
  auto p = transform(st, "event: error\ndata: {\"error\":{\"code\":\"context_overflow\",\"message\":\"too long\"}}\n\n");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->last);
  EXPECT_NE(p->text.find(R"("message":"too long")"), std::string::npos) << p->text;
  EXPECT_NE(p->text.find(R"("code":"context_overflow")"), std::string::npos) << p->text;
  EXPECT_NE(p->text.find("data: [DONE]"), std::string::npos);
}
