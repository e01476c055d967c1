#pragma once
// A thinking model's answer, split as llama.cpp's server does (reasoning_format
// "deepseek"): a <think>...</think> block at the start of the output is the
// reasoning (OpenAI's `reasoning_content`), the rest is the content; an answer in
// OpenAI's harmony format (gpt-oss: <|channel|>analysis<|message|>...<|end|>
// <|start|>assistant<|channel|>final<|message|>...) gives its analysis channel as the
// reasoning and its other channels as the content, without the markers. Fed the
// generated text piece by piece, it holds back only what may still be a tag.

#include <string>
#include <string_view>

namespace rbee::net {

struct split_text {
  std::string reasoning, content;
  bool empty() const { return reasoning.empty() && content.empty(); }
};

class reasoning_splitter {
public:
  /// The next piece of output: what can be sent now.
  split_text feed(std::string_view text);
  /// The end of the output: what was held back.
  split_text finish();

private:
  enum class mode { start, thinking, answering, harmony };
  void answer(std::string_view text, split_text& out);
  void harmony(split_text& out);
  mode mode_ = mode::start;
  std::string held_;         ///< text that may still be (part of) a tag
  bool after_think_ = false; ///< newlines right after </think> are dropped
  bool began_ = false;       ///< the reasoning's first visible character came
  bool in_message_ = false;  ///< harmony: inside a message (else before its header)
  bool analysis_ = false;    ///< harmony: the message's channel is the reasoning
};

/// A whole answer, split at once.
split_text split_reasoning(std::string_view text);

} // namespace rbee::net
