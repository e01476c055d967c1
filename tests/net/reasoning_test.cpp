// A thinking model's output split into reasoning and content: the same split however
// the text arrives in pieces, and the OpenAI fields that carry it.
#include "json/parse.hpp"
#include "net/openai_codec.hpp"
#include "net/reasoning.hpp"

#include <gtest/gtest.h>

using namespace rbee;
using namespace rbee::net;

TEST(Reasoning, SplitsALeadingThinkBlock) {
  auto s = split_reasoning("<think>\nThey ask 2+2.\n</think>\n\n4");
  EXPECT_EQ(s.reasoning, "They ask 2+2.\n");
  EXPECT_EQ(s.content, "4");
  auto lead = split_reasoning("  \n<think>a</think>b");
  EXPECT_EQ(lead.reasoning, "a");
  EXPECT_EQ(lead.content, "b");
  for (const char* plain : {"4", "Hello <think>x</think>", "<thinking>x</thinking>", "<thin", "", "\n\n", "</think>x"}) {
    auto p = split_reasoning(plain);
    EXPECT_EQ(p.reasoning, "") << plain;
    EXPECT_EQ(p.content, plain) << plain;
  }
  reasoning_splitter blanks; // a model that only emits blanks is not held back for ever
  EXPECT_EQ(blanks.feed(std::string(5000, ' ')).content.size(), 5000u);
  auto cut = split_reasoning("<think>still thinking</thi"); // the length ran out
  EXPECT_EQ(cut.reasoning, "still thinking</thi");
  EXPECT_EQ(cut.content, "");
}

TEST(Reasoning, HarmonyChannelsSplitWithoutTheirMarkers) {
  // gpt-oss: the analysis channel is the reasoning, the final one the answer.
  auto s = split_reasoning("<|channel|>analysis<|message|>They ask 2+2.<|end|><|start|>assistant<|channel|>final<|message|>4");
  EXPECT_EQ(s.reasoning, "They ask 2+2.");
  EXPECT_EQ(s.content, "4");
  auto direct = split_reasoning("<|start|>assistant<|channel|>final<|message|>Hello!<|return|>");
  EXPECT_EQ(direct.reasoning, "");
  EXPECT_EQ(direct.content, "Hello!");
  auto cut = split_reasoning("<|channel|>analysis<|message|>still thinking"); // the length ran out
  EXPECT_EQ(cut.reasoning, "still thinking");
  EXPECT_EQ(cut.content, "");
  auto stray = split_reasoning("<|channel|>final<|message|>a<|end|>then text"); // text outside a message: the answer's
  EXPECT_EQ(stray.content, "athen text");
  auto no_header = split_reasoning("<|channel|>final and never a message marker");
  EXPECT_EQ(no_header.content, "<|channel|>final and never a message marker");
}

TEST(Reasoning, EveryWayOfCuttingTheStreamGivesTheSameSplit) {
  for (std::string text : {std::string("<think>\nThey ask 2+2.\n</think>\n\n4 is the answer"), std::string("plain answer <think>"),
                           std::string("\n<think></think>x"), std::string("<think>a</thinkb</think>c"),
                           std::string("<|channel|>analysis<|message|>They ask 2+2.<|end|><|start|>assistant<|channel|>final<|message|>4<|return|>"),
                           std::string("<|start|>assistant<|channel|>final<|message|>just <|en the answer")}) {
    auto whole = split_reasoning(text);
    for (size_t a = 0; a <= text.size(); ++a)
      for (size_t b = a; b <= text.size(); b += 3) {
        reasoning_splitter s;
        split_text got;
        for (auto piece : {text.substr(0, a), text.substr(a, b - a), text.substr(b)}) {
          auto o = s.feed(piece);
          got.reasoning += o.reasoning, got.content += o.content;
        }
        auto o = s.finish();
        got.reasoning += o.reasoning, got.content += o.content;
        ASSERT_EQ(got.reasoning, whole.reasoning) << text << " cut at " << a << ", " << b;
        ASSERT_EQ(got.content, whole.content) << text << " cut at " << a << ", " << b;
      }
  }
}

namespace {
bridge_event token(std::string text) {
  return bridge_event{nullptr, std::make_shared<const token_msg>(token_msg{"j", 0, std::move(text), 1}), nullptr};
}
} // namespace

TEST(Reasoning, OpenAiCarriesItAsReasoningContent) {
  // Asking: Ollama's think, llama.cpp's chat_template_kwargs; off by default; bad types refused.
  const std::string base = R"({"model":"m","messages":[{"role":"user","content":"hi"}])";
  EXPECT_EQ(translate(base + "}", true).op_json.find("\"think\""), std::string::npos);
  for (auto extra : {R"(,"think":true})", R"(,"enable_thinking":true})", R"(,"chat_template_kwargs":{"enable_thinking":true}})"}) {
    auto t = translate(base + extra, true);
    EXPECT_EQ(t.code, errc::none) << t.message;
    EXPECT_NE(t.op_json.find("\"think\":true"), std::string::npos) << t.op_json;
  }
  for (auto bad : {R"(,"think":"yes"})", R"(,"chat_template_kwargs":[]})", R"(,"chat_template_kwargs":{"enable_thinking":1}})",
                   R"(,"reasoning_format":"html"})"})
    EXPECT_EQ(translate(base + bad, true).code, errc::bad_request) << bad;
  EXPECT_FALSE(translate(base + R"(,"reasoning_format":"none"})", true).split_reasoning);

  // Streaming: reasoning deltas, then content deltas.
  stream_state st;
  std::string all;
  for (auto piece : {"<think>", "\nhm", "m</th", "ink>\n\n", "4"}) {
    auto p = transform(st, token(piece));
    if (p) all += p->text;
  }
  job_info j{.job_id = "j", .state = job_state::completed};
  j.result = infer_result{.model = "m", .text = "<think>\nhmm</think>\n\n4", .finish_reason = "stop"};
  all += transform(st, bridge_event{nullptr, nullptr, std::make_shared<const job_info>(j)})->text;
  EXPECT_NE(all.find(R"("reasoning_content":"hm")"), std::string::npos) << all;
  EXPECT_NE(all.find(R"("reasoning_content":"m")"), std::string::npos) << all;
  EXPECT_NE(all.find(R"("content":"4")"), std::string::npos) << all;
  EXPECT_EQ(all.find("think>"), std::string::npos) << all;
  // The whole answer: both fields; reasoning_format none keeps the text as it came.
  auto full = full_response(st, *caf::get_if<infer_result>(&j.result));
  rapidjson::Document d;
  ASSERT_TRUE(json::parse(d, full)) << full;
  EXPECT_STREQ(d["choices"][0]["message"]["reasoning_content"].GetString(), "hmm");
  EXPECT_STREQ(d["choices"][0]["message"]["content"].GetString(), "4");
  st.split_reasoning = false;
  auto raw = full_response(st, *caf::get_if<infer_result>(&j.result));
  ASSERT_TRUE(json::parse(d, raw));
  EXPECT_FALSE(d["choices"][0]["message"].HasMember("reasoning_content"));
  EXPECT_STREQ(d["choices"][0]["message"]["content"].GetString(), "<think>\nhmm</think>\n\n4");
}
