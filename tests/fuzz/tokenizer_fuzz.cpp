// libFuzzer target: tokenizers from hostile vocabularies over hostile texts. The
// input is a vocabulary (one token a line: a type digit 1-6 then the text; lines
// starting with 'M' are BPE merges), a blank line, then the text to encode. The
// first byte picks SentencePiece or byte-level BPE and the pre-tokenizer. A
// vocabulary is refused at load or works: encode, every piece, the detokenizer.
// Built and run by run_target.sh (with the instrumented engine of run.sh).
#include "kernels/gguf.hpp"
#include "kernels/gguf_writer.hpp"
#include "kernels/tokenizer.hpp"

#include <cstdint>
#include <string>
#include <vector>

using namespace rbee::kernels;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  std::string in(reinterpret_cast<const char*>(data) + 1, size - 1);
  bool bpe = data[0] & 1;
  const char* pres[] = {"default", "llama-bpe", "qwen2", "other"};
  size_t split = in.find("\n\n");
  std::string vocab = in.substr(0, split), text = split == std::string::npos ? "" : in.substr(split + 2);
  std::vector<std::string> tokens, merges;
  std::vector<int32_t> types;
  std::vector<float> scores;
  for (size_t at = 0; at <= vocab.size();) {
    size_t end = vocab.find('\n', at);
    if (end == std::string::npos) end = vocab.size();
    std::string line = vocab.substr(at, end - at);
    at = end + 1;
    if (line.empty()) continue;
    if (line[0] == 'M') {
      merges.push_back(line.substr(1));
      continue;
    }
    types.push_back(line[0] >= '1' && line[0] <= '6' ? line[0] - '0' : 1);
    tokens.push_back(line.substr(1));
    scores.push_back(static_cast<float>(tokens.size() % 7) - 3.f);
  }
  if (bpe) // byte-level BPE needs its alphabet, as real vocabularies have
    for (auto& c : byte_level_chars()) {
      tokens.push_back(c);
      types.push_back(1);
      scores.push_back(0);
    }
  if (tokens.empty()) return 0;
  gguf_writer w;
  w.add_string("tokenizer.ggml.model", bpe ? "gpt2" : "llama");
  w.add_string("tokenizer.ggml.pre", pres[(data[0] >> 1) & 3]);
  w.add_strings("tokenizer.ggml.tokens", tokens);
  w.add_i32s("tokenizer.ggml.token_type", types);
  w.add_floats("tokenizer.ggml.scores", scores);
  if (bpe) w.add_strings("tokenizer.ggml.merges", merges);
  auto bytes = w.bytes();
  auto f = gguf_file::parse(bytes.data(), bytes.size());
  if (!f) return 0;
  auto t = tokenizer::from_gguf(**f);
  if (!t) return 0;
  for (bool special : {false, true}) {
    auto ids = (*t)->encode(text, data[0] & 8, special);
    detokenizer d;
    for (auto id : ids) (void)d.push((*t)->piece(id));
    (void)d.flush();
  }
  for (int32_t id = -1; id <= (*t)->n_vocab(); ++id) (void)(*t)->piece(id);
  return 0;
}
