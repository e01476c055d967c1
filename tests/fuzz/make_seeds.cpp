// Writes the seed corpus of the GGUF fuzzer: small valid files of each kind.
#include "kernels/gguf_writer.hpp"

#include <fstream>
#include <string>

using namespace rbee::kernels;

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : ".";
  auto save = [&](const std::string& name, const gguf_writer& w) {
    auto b = w.bytes();
    std::ofstream(dir + "/" + name, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<long>(b.size()));
  };
  gguf_writer a;
  a.add_string("general.architecture", "llama");
  a.add_u32("llama.embedding_length", 32);
  a.add_u32("llama.feed_forward_length", 32);
  a.add_u32("llama.block_count", 1);
  a.add_u32("llama.attention.head_count", 2);
  a.add_u32("llama.context_length", 16);
  a.add_string("tokenizer.ggml.model", "llama");
  a.add_strings("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "\xE2\x96\x81" "a", "b"});
  a.add_floats("tokenizer.ggml.scores", {0, 0, 0, -1, -2});
  a.add_i32s("tokenizer.ggml.token_type", {2, 3, 3, 1, 1});
  a.add_tensor_f32("token_embd.weight", dtype::q8_0, {32, 5}, std::vector<float>(160, 0.1f));
  a.add_tensor_f32("output_norm.weight", dtype::f32, {32}, std::vector<float>(32, 1.f));
  save("llama_spm.gguf", a);
  gguf_writer b;
  b.add_string("tokenizer.ggml.model", "gpt2");
  b.add_string("tokenizer.ggml.pre", "llama-bpe");
  b.add_strings("tokenizer.ggml.tokens", {"a", "b", "ab", "<|eot_id|>"});
  b.add_i32s("tokenizer.ggml.token_type", {1, 1, 1, 3});
  b.add_strings("tokenizer.ggml.merges", {"a b"});
  b.add_tensor_f32("x", dtype::q4_0, {32, 1}, std::vector<float>(32, 0.5f));
  save("bpe.gguf", b);
  gguf_writer c;
  c.add_u32("general.alignment", 64);
  c.add_tensor_f32("k", dtype::q4_k, {256}, std::vector<float>(256, 0.25f));
  c.add_tensor_f32("h", dtype::f16, {4, 2}, std::vector<float>(8, 2.f));
  save("types.gguf", c);
  return 0;
}
