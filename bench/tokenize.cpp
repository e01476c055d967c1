// Tokenizing hostile and ordinary prompts: one 1 MiB "word" (a single pre-token,
// which the old pair-by-pair BPE merged in O(n^2): hours), 1 MiB of digits, and 1 MiB
// of ordinary text, for the byte-level BPE (synth tiny-qwen2 and tiny-llama3
// vocabularies) and SentencePiece (synth tiny). Target: the 1 MiB word < 1 s.
// Usage: bench_tokenize [KiB] (default 1024)
#include "kernels/gguf.hpp"
#include "kernels/synth.hpp"
#include "kernels/tokenizer.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <unistd.h>

using namespace rbee::kernels;

int main(int argc, char** argv) {
  size_t bytes = (argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1024) * 1024;
  auto dir = std::filesystem::temp_directory_path() / ("rbee-bench-tokenize-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::mt19937 rng(1);
  std::string word, digits, prose;
  const std::string letters = "abcdefghijklmnopqrstuvwxyz";
  while (word.size() < bytes) word += letters[rng() % letters.size()];
  while (digits.size() < bytes) digits += static_cast<char>('0' + rng() % 10);
  const char* words[] = {"the ", "quick ", "brown ", "fox ", "jumps ", "over ", "a ", "lazy ", "dog. ", "Hello, ", "world!\n"};
  while (prose.size() < bytes) prose += words[rng() % 11];
  int rc = 0;
  std::printf("%-12s %-8s %10s %10s %10s\n", "vocabulary", "text", "bytes", "tokens", "seconds");
  for (const char* shape : {"tiny-qwen2", "tiny-llama3", "tiny"}) {
    auto path = (dir / (std::string(shape) + ".gguf")).string();
    auto fail = [&](const std::string& why) {
      std::fprintf(stderr, "%s: %s\n", shape, why.c_str());
      rc = 1;
    };
    if (auto made = synth_model(shape, "f32", path); !made) {
      fail(made.error());
      continue;
    }
    auto f = gguf_file::open(path);
    if (!f) {
      fail(f.error());
      continue;
    }
    auto t = tokenizer::from_gguf(**f);
    if (!t) {
      fail(t.error());
      continue;
    }
    for (auto [name, text] : {std::pair{"word", &word}, {"digits", &digits}, {"prose", &prose}}) {
      auto start = std::chrono::steady_clock::now();
      auto ids = (*t)->encode(*text, false);
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::printf("%-12s %-8s %10zu %10zu %10.3f\n", shape, name, text->size(), ids.size(), s);
    }
  }
  std::filesystem::remove_all(dir);
  return rc;
}
