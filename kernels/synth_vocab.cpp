// The vocabularies of synthetic models: a SentencePiece one (llama) and a byte-level
// BPE one (gpt2) per family, real-sized, with the tokenizer metadata llama.cpp reads.
#include "kernels/synth_vocab.hpp"

#include "kernels/tokenizer.hpp"

#include <cstdio>
#include <set>

namespace rbee::kernels {

void add_spm_vocab(gguf_writer& w, int n_vocab, const std::vector<std::string>& specials) {
  n_vocab -= static_cast<int>(specials.size());
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<float> scores = {0, 0, 0};
  std::vector<int32_t> types = {2, 3, 3};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    tokens.push_back(name);
    scores.push_back(0);
    types.push_back(6);
  }
  const std::string sp = "\xE2\x96\x81";
  std::string alpha = "etaoinshrdlcumwfgypbvkjxqz";
  std::vector<std::string> pieces;
  for (char c : alpha + "ETAOINSHRDLCUMWFGYPBVKJXQZ0123456789.,!?'\"-:;()") pieces.push_back(std::string(1, c));
  for (char c : alpha) pieces.push_back(sp + c);
  pieces.push_back(sp);
  for (char a : alpha)
    for (char b : alpha) pieces.push_back(std::string(1, a) + b);
  for (char a : alpha)
    for (char b : alpha) pieces.push_back(sp + a + b);
  for (char a : alpha)
    for (char b : alpha)
      for (char c : alpha) pieces.push_back(std::string(1, a) + b + c);
  std::set<std::string> seen(tokens.begin(), tokens.end());
  for (auto& p : pieces) {
    if (static_cast<int>(tokens.size()) >= n_vocab) break;
    if (!seen.insert(p).second) continue;
    tokens.push_back(p);
    scores.push_back(-static_cast<float>(tokens.size()) / 1000.f + static_cast<float>(p.size()));
    types.push_back(1);
  }
  for (int i = 0; static_cast<int>(tokens.size()) < n_vocab; ++i) { // fill up: unused pieces
    tokens.push_back("<unused" + std::to_string(i) + ">");
    scores.push_back(-1e9f);
    types.push_back(5);
  }
  for (auto& sp_tok : specials) { // the chat format's control tokens, last (as Phi-3's 32000 on)
    tokens.push_back(sp_tok);
    scores.push_back(0);
    types.push_back(3);
  }
  w.add_string("tokenizer.ggml.model", "llama");
  w.add_strings("tokenizer.ggml.tokens", tokens);
  w.add_floats("tokenizer.ggml.scores", scores);
  w.add_i32s("tokenizer.ggml.token_type", types);
  w.add_u32("tokenizer.ggml.bos_token_id", 1);
  w.add_u32("tokenizer.ggml.eos_token_id", specials.empty() ? 2 : static_cast<uint32_t>(n_vocab)); // the first special
  w.add_u32("tokenizer.ggml.unknown_token_id", 0);
}

void add_bpe_vocab(gguf_writer& w, const std::string& pre, int n_vocab) {
  std::vector<std::string> tokens = byte_level_chars(); // the byte-level base alphabet
  // Each family's special tokens, and which of them are BOS and EOS.
  struct family { std::vector<std::string> specials; int bos, eos; bool add_bos; };
  const family fam = pre == "qwen2" ? family{{"<|endoftext|>", "<|im_start|>", "<|im_end|>"}, 0, 2, false}
    : pre == "gpt-4o" ? family{{"<|endoftext|>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>"}, 0, 4, false}
    : pre == "harmony" ? family{{"<|endoftext|>", "<|start|>", "<|message|>", "<|channel|>", "<|end|>", "<|return|>", "<|call|>"}, 0, 5, false}
    : family{{"<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"}, 0, 4, true};
  const auto& specials = fam.specials;
  int n_normal = n_vocab - static_cast<int>(specials.size());
  std::vector<std::string> merges;
  std::set<std::string> seen(tokens.begin(), tokens.end());
  const std::string sp = "\xC4\xA0"; // Ġ, the byte-level space
  std::string alpha = "etaoinshrdlcumwfgypbvkjxqz";
  auto merge = [&](const std::string& a, const std::string& b) {
    if (static_cast<int>(tokens.size()) >= n_normal || seen.count(a + b) || !seen.count(a) || !seen.count(b)) return;
    merges.push_back(a + " " + b);
    tokens.push_back(a + b);
    seen.insert(a + b);
  };
  for (char c : alpha) merge(sp, std::string(1, c));
  for (char a : alpha)
    for (char b : alpha) merge(std::string(1, a), std::string(1, b));
  for (char a : alpha)
    for (char b : alpha) merge(sp + a, std::string(1, b));
  for (char a : alpha)
    for (char b : alpha)
      for (char c : alpha) merge(std::string(1, a) + b, std::string(1, c));
  for (char a : alpha)
    for (char b : alpha)
      for (char c : alpha) merge(sp + a + b, std::string(1, c));
  for (int i = 0; static_cast<int>(tokens.size()) < n_normal; ++i) tokens.push_back("<|reserved_" + std::to_string(i) + "|>");
  std::vector<int32_t> types(tokens.size(), 1);
  for (auto& sp_tok : specials) {
    tokens.push_back(sp_tok);
    types.push_back(3);
  }
  int first_special = n_normal;
  w.add_string("tokenizer.ggml.model", "gpt2");
  w.add_string("tokenizer.ggml.pre", pre == "harmony" ? "gpt-4o" : pre);
  w.add_strings("tokenizer.ggml.tokens", tokens);
  w.add_i32s("tokenizer.ggml.token_type", types);
  w.add_strings("tokenizer.ggml.merges", merges);
  w.add_u32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(first_special + fam.bos));
  w.add_u32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(first_special + fam.eos));
  w.add_bool("tokenizer.ggml.add_bos_token", fam.add_bos);
}

} // namespace rbee::kernels
