#include "kernels/chat_template.hpp"

#include <gtest/gtest.h>

using namespace rbee::kernels;

namespace {
const std::vector<chat_msg> conv = {{"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello!"}, {"user", "2+2?"}};
}

TEST(ChatTemplate, DetectsTheFamilies) {
  EXPECT_EQ(detect_chat_family("{{ '<|start_header_id|>' + message['role'] }}"), chat_family::llama3);
  EXPECT_EQ(detect_chat_family("{% for m in messages %}<|im_start|>{{m.role}}"), chat_family::chatml);
  EXPECT_EQ(detect_chat_family("{{ bos_token + '[INST] <<SYS>>' }}"), chat_family::llama2);
  EXPECT_EQ(detect_chat_family("{{ '[INST] ' + message['content'] + ' [/INST]' }}"), chat_family::mistral);
  EXPECT_EQ(detect_chat_family("<|user|>\n{{ message['content'] }}</s>"), chat_family::zephyr);
  EXPECT_EQ(detect_chat_family("<|user|>\n{{c}}<|end|>\n<|assistant|>\n"), chat_family::phi3);
  EXPECT_EQ(detect_chat_family("<start_of_turn>user"), chat_family::gemma);
  EXPECT_EQ(detect_chat_family(""), chat_family::fallback);
  EXPECT_EQ(detect_chat_family("{{ something else }}"), chat_family::fallback);
}

TEST(ChatTemplate, Llama3) {
  EXPECT_EQ(apply_chat_template(chat_family::llama3, {{"user", "Hi"}}),
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(ChatTemplate, Chatml) {
  EXPECT_EQ(apply_chat_template(chat_family::chatml, {{"system", "S"}, {"user", "Hi"}}),
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
}

TEST(ChatTemplate, Llama2AndMistral) {
  EXPECT_EQ(apply_chat_template(chat_family::llama2, conv),
            "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello!</s><s>[INST] 2+2? [/INST]");
  EXPECT_EQ(apply_chat_template(chat_family::mistral, conv),
            "[INST] Be brief.\n\nHi [/INST] Hello!</s><s>[INST] 2+2? [/INST]");
}

TEST(ChatTemplate, ZephyrPhi3Gemma) {
  EXPECT_EQ(apply_chat_template(chat_family::zephyr, {{"user", "Hi"}}), "<|user|>\nHi</s>\n<|assistant|>\n");
  EXPECT_EQ(apply_chat_template(chat_family::phi3, {{"user", "Hi"}}), "<|user|>\nHi<|end|>\n<|assistant|>\n");
  EXPECT_EQ(apply_chat_template(chat_family::gemma, {{"system", "S"}, {"user", "Hi"}, {"assistant", "Yo"}}),
            "<start_of_turn>user\nS\n\nHi<end_of_turn>\n<start_of_turn>model\nYo<end_of_turn>\n<start_of_turn>model\n");
}

TEST(ChatTemplate, FallbackIsPlainText) {
  EXPECT_EQ(apply_chat_template(chat_family::fallback, {{"user", "Hi"}}), "user: Hi\nassistant:");
  EXPECT_EQ(apply_chat_template(chat_family::chatml, {{"user", "Hi"}}, false), "<|im_start|>user\nHi<|im_end|>\n");
}

TEST(ChatTemplate, Qwen3ThinksOnlyWhenAsked) {
  const std::string jinja = "{%- if enable_thinking is defined and enable_thinking is false %}{{- '<think>\\n\\n</think>\\n\\n' }}"
                            "{%- endif %}<|im_start|>assistant";
  EXPECT_EQ(detect_chat_family(jinja), chat_family::qwen3);
  std::vector<chat_msg> turns = {{"user", "Hi"}, {"assistant", "<think>\nThey greet.\n</think>\n\nHello!"}, {"user", "2+2?"}};
  const std::string history = "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
                              "<|im_start|>user\n2+2?<|im_end|>\n";
  // Off (the API's default): an empty think block, the answer comes at once.
  EXPECT_EQ(apply_chat_template(chat_family::qwen3, turns), history + "<|im_start|>assistant\n<think>\n\n</think>\n\n");
  // On: the model opens its own; earlier reasoning is dropped either way.
  EXPECT_EQ(apply_chat_template(chat_family::qwen3, turns, true, true), history + "<|im_start|>assistant\n");
  EXPECT_EQ(apply_chat_template(chat_family::qwen3, {{"user", "Hi"}}, false), "<|im_start|>user\nHi<|im_end|>\n");
}

TEST(ChatTemplate, Phi4AndPhi4Mini) {
  EXPECT_EQ(detect_chat_family("{{'<|im_start|>' + message['role'] + '<|im_sep|>'}}"), chat_family::phi4);
  EXPECT_EQ(detect_chat_family("{{ '<|' + message['role'] + '|>' + message['content'] + '<|end|>' }}{{ '<|assistant|>' }}"),
            chat_family::phi4_mini);
  EXPECT_EQ(detect_chat_family("{{'<|user|>' + '\\n' + message['content'] + '<|end|>' + '\\n' + '<|assistant|>' + '\\n'}}"),
            chat_family::phi3);
  EXPECT_EQ(detect_chat_family("{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{{'<|assistant|>\n'}}"), chat_family::phi3);
  EXPECT_EQ(apply_chat_template(chat_family::phi4, {{"system", "S"}, {"user", "Hi"}}),
            "<|im_start|>system<|im_sep|>S<|im_end|><|im_start|>user<|im_sep|>Hi<|im_end|><|im_start|>assistant<|im_sep|>");
  EXPECT_EQ(apply_chat_template(chat_family::phi4_mini, {{"system", "S"}, {"user", "Hi"}}),
            "<|system|>S<|end|><|user|>Hi<|end|><|assistant|>");
}

TEST(ChatTemplate, HarmonyForGptOss) {
  EXPECT_EQ(detect_chat_family("<|start|>{{ role }}<|channel|>{{ channel }}<|message|>{{ content }}<|end|>"), chat_family::harmony);
  const std::string header = "<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.\n"
                             "Knowledge cutoff: 2024-06\n\nReasoning: ";
  const std::string channels = "\n\n# Valid channels: analysis, commentary, final. Channel must be included for every message.<|end|>";
  EXPECT_EQ(apply_chat_template(chat_family::harmony, conv),
            header + "low" + channels + "<|start|>developer<|message|># Instructions\n\nBe brief.<|end|>" +
              "<|start|>user<|message|>Hi<|end|><|start|>assistant<|channel|>final<|message|>Hello!<|end|>" +
              "<|start|>user<|message|>2+2?<|end|><|start|>assistant");
  EXPECT_EQ(apply_chat_template(chat_family::harmony, {{"user", "Hi"}}, true, true),
            header + "medium" + channels + "<|start|>user<|message|>Hi<|end|><|start|>assistant");
}

