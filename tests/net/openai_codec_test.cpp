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

namespace {

/// Every "data: ..." of a stream piece is [DONE] or JSON.
void expect_json_chunks(const std::string& text) {
  for (size_t at = 0; (at = text.find("data: ", at)) != std::string::npos;) {
    size_t end = text.find("\n\n", at);
    std::string json = text.substr(at + 6, end - at - 6);
    at = end;
    if (json == "[DONE]") continue;
    rapidjson::Document d;
    EXPECT_TRUE(rbee::json::valid_utf8(json) && rbee::json::parse(d, json)) << json;
  }
}

bridge_event token(std::string text) {
  return bridge_event{nullptr, std::make_shared<const token_msg>(token_msg{"j", 0, std::move(text), 1})};
}

bridge_event ended(job_info j) { return bridge_event{nullptr, nullptr, std::make_shared<const job_info>(std::move(j))}; }

} // namespace

// Tokens and results carry model text: whatever bytes it holds, the chunks are JSON.
TEST(OpenAiCodec, HostileTextInTokensAndResultsStaysJson) {
  for (std::string text : {std::string("\xff\xfe"), std::string("\"}{\\"), std::string("\xed\xa0\x80"), std::string(1, '\0'),
                           std::string("ok")}) {
    for (bool usage : {false, true}) {
      stream_state st;
      st.include_usage = usage;
      auto p = transform(st, token(text));
      ASSERT_TRUE(p);
      EXPECT_FALSE(p->last);
      expect_json_chunks(p->text);
      job_info j{.job_id = "j", .state = job_state::completed};
      j.result = infer_result{.model = "m", .text = text, .prompt_tokens = 3, .completion_tokens = 1, .finish_reason = "length",
                              .prefill_ms = 1, .decode_ms = 2};
      auto done = transform(st, ended(j));
      ASSERT_TRUE(done);
      EXPECT_TRUE(done->last);
      expect_json_chunks(done->text);
      EXPECT_NE(done->text.find(R"("finish_reason":"length")"), std::string::npos) << done->text;
      if (usage) EXPECT_NE(done->text.find(R"("total_tokens":4)"), std::string::npos) << done->text;
      auto full = full_response(st, *caf::get_if<infer_result>(&j.result));
      rapidjson::Document d;
      EXPECT_TRUE(rbee::json::valid_utf8(full) && rbee::json::parse(d, full)) << full;
    }
  }
  // Narration and state events are not part of OpenAI's stream.
  stream_state st;
  EXPECT_FALSE(transform(st, ended(job_info{.job_id = "j", .state = job_state::running})));
  EXPECT_FALSE(transform(st, bridge_event{std::make_shared<const std::string>("event: narration\ndata: {}\n\n")}));
}

// A job's failure becomes an OpenAI error with the job's code and message; a
// cancelled job ends the stream.
TEST(OpenAiCodec, JobErrorsKeepTheirCodeAndMessage) {
  stream_state st;
  auto p = transform(st, ended(job_info{.job_id = "j", .state = job_state::failed, .error_code = errc::context_overflow,
                                      .error_message = "too long"}));
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->last);
  EXPECT_NE(p->text.find(R"("message":"too long")"), std::string::npos) << p->text;
  EXPECT_NE(p->text.find(R"("code":"context_overflow")"), std::string::npos) << p->text;
  EXPECT_NE(p->text.find("data: [DONE]"), std::string::npos);
  auto bare = transform(st, ended(job_info{.job_id = "j", .state = job_state::failed}));
  ASSERT_TRUE(bare);
  EXPECT_NE(bare->text.find("generation failed"), std::string::npos) << bare->text;
  auto c = transform(st, ended(job_info{.job_id = "j", .state = job_state::cancelled}));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->text, "data: [DONE]\n\n");
}
