#pragma once
// Chat templates: the common families recognised from `tokenizer.chat_template`
// (not a Jinja interpreter), applied to a list of messages.

#include <string>
#include <string_view>
#include <vector>

namespace rbee::kernels {

enum class chat_family { llama2, llama3, chatml, qwen3, mistral, zephyr, phi3, phi4, phi4_mini, gemma, harmony, fallback };

std::string_view to_string(chat_family f);

/// Recognises the family of a Jinja chat template by its markers; an empty or
/// unknown template is `fallback`.
chat_family detect_chat_family(std::string_view jinja);

struct chat_msg {
  std::string role; ///< system, user, assistant
  std::string content;
};

/// The prompt text for `messages`, ending with the assistant's turn opened when
/// `add_generation_prompt`. BOS is not included (the tokenizer adds it).
/// Qwen3 (`think`): earlier answers lose their <think> blocks, as its template does;
/// without `think` the turn opens with an empty one, so the model answers at once.
/// Harmony (gpt-oss) always reasons: `think` asks for medium effort, else low.
/// The fallback family writes "role: content" lines and "assistant:" — plain
/// text any model can continue; callers report that the fallback was used.
std::string apply_chat_template(chat_family f, const std::vector<chat_msg>& messages,
                                bool add_generation_prompt = true, bool think = false);

} // namespace rbee::kernels
