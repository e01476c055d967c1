#include "kernels/chat_template.hpp"

#include <algorithm>

namespace rbee::kernels {

std::string_view to_string(chat_family f) {
  switch (f) {
    case chat_family::llama2: return "llama2";
    case chat_family::llama3: return "llama3";
    case chat_family::chatml: return "chatml";
    case chat_family::qwen3: return "qwen3";
    case chat_family::phi4: return "phi4";
    case chat_family::phi4_mini: return "phi4-mini";
    case chat_family::harmony: return "harmony";
    case chat_family::mistral: return "mistral";
    case chat_family::zephyr: return "zephyr";
    case chat_family::phi3: return "phi3";
    case chat_family::gemma: return "gemma";
    case chat_family::fallback: return "fallback";
  }
  return "fallback";
}

chat_family detect_chat_family(std::string_view t) {
  auto has = [&](std::string_view s) { return t.find(s) != std::string_view::npos; };
  if (has("<|start_header_id|>")) return chat_family::llama3;
  if (has("<|start|>") && has("<|message|>") && has("<|channel|>")) return chat_family::harmony; // gpt-oss
  if (has("<|im_sep|>")) return chat_family::phi4; // Phi-4 is ChatML with <|im_sep|> after the role
  if (has("<|im_start|>")) return has("<think>") ? chat_family::qwen3 : chat_family::chatml;
  if (has("<start_of_turn>")) return chat_family::gemma;
  if (has("<|assistant|>") && has("<|end|>")) // Phi-3 puts a newline after each tag, Phi-4-mini none
    return has("|>\n") || has("|>\\n") || has("|>' + '\n") || has("|>' + '\\n") ? chat_family::phi3 : chat_family::phi4_mini;
  if (has("<|user|>")) return chat_family::zephyr;
  if (has("[INST]") && has("<<SYS>>")) return chat_family::llama2;
  if (has("[INST]")) return chat_family::mistral;
  return chat_family::fallback;
}

std::string apply_chat_template(chat_family f, const std::vector<chat_msg>& msgs, bool gen, bool think) {
  std::string out;
  switch (f) {
    case chat_family::qwen3:
      for (auto& m : msgs) {
        std::string content = m.content;
        if (m.role == "assistant") // an earlier answer without its reasoning
          if (auto end = content.rfind("</think>"); end != std::string::npos) {
            content.erase(0, end + 8);
            content.erase(0, std::min(content.size(), content.find_first_not_of('\n')));
          }
        out += "<|im_start|>" + m.role + "\n" + content + "<|im_end|>\n";
      }
      if (gen) out += think ? "<|im_start|>assistant\n" : "<|im_start|>assistant\n<think>\n\n</think>\n\n";
      return out;
    case chat_family::harmony: { // gpt-oss: the system header, the user's system prompt as the developer's
      out = "<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.\n"
            "Knowledge cutoff: 2024-06\n\nReasoning: " + std::string(think ? "medium" : "low") +
            "\n\n# Valid channels: analysis, commentary, final. Channel must be included for every message.<|end|>";
      for (auto& m : msgs) {
        if (m.role == "system") out += "<|start|>developer<|message|># Instructions\n\n" + m.content + "<|end|>";
        else if (m.role == "assistant") out += "<|start|>assistant<|channel|>final<|message|>" + m.content + "<|end|>";
        else out += "<|start|>" + m.role + "<|message|>" + m.content + "<|end|>";
      }
      if (gen) out += "<|start|>assistant";
      return out;
    }
    case chat_family::phi4:
      for (auto& m : msgs) out += "<|im_start|>" + m.role + "<|im_sep|>" + m.content + "<|im_end|>";
      if (gen) out += "<|im_start|>assistant<|im_sep|>";
      return out;
    case chat_family::phi4_mini:
      for (auto& m : msgs) out += "<|" + m.role + "|>" + m.content + "<|end|>";
      if (gen) out += "<|assistant|>";
      return out;
    case chat_family::llama3:
      for (auto& m : msgs) out += "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n" + m.content + "<|eot_id|>";
      if (gen) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
      return out;
    case chat_family::chatml:
      for (auto& m : msgs) out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
      if (gen) out += "<|im_start|>assistant\n";
      return out;
    case chat_family::gemma: // no system role: it joins the first user turn
    {
      std::string system;
      for (auto& m : msgs) {
        if (m.role == "system") {
          system += m.content + "\n\n";
          continue;
        }
        std::string role = m.role == "assistant" ? "model" : m.role;
        out += "<start_of_turn>" + role + "\n" + (role == "user" ? system : "") + m.content + "<end_of_turn>\n";
        if (role == "user") system.clear();
      }
      if (gen) out += "<start_of_turn>model\n";
      return out;
    }
    case chat_family::phi3:
      for (auto& m : msgs) out += "<|" + m.role + "|>\n" + m.content + "<|end|>\n";
      if (gen) out += "<|assistant|>\n";
      return out;
    case chat_family::zephyr:
      for (auto& m : msgs) out += "<|" + m.role + "|>\n" + m.content + "</s>\n";
      if (gen) out += "<|assistant|>\n";
      return out;
    case chat_family::llama2:
    case chat_family::mistral: {
      // [INST] user [/INST] assistant</s>[INST] ...; llama2 wraps the system prompt in <<SYS>>.
      std::string system;
      bool first = true;
      for (auto& m : msgs) {
        if (m.role == "system") {
          system = m.content;
        } else if (m.role == "user") {
          std::string content = m.content;
          if (!system.empty()) {
            content = f == chat_family::llama2 ? "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + content
                                               : system + "\n\n" + content;
            system.clear();
          }
          out += std::string(first ? "" : "<s>") + "[INST] " + content + " [/INST]";
          first = false;
        } else {
          out += " " + m.content + "</s>";
        }
      }
      return out;
    }
    case chat_family::fallback:
      for (auto& m : msgs) out += m.role + ": " + m.content + "\n";
      if (gen) out += "assistant:";
      return out;
  }
  return out;
}

} // namespace rbee::kernels
