#include "kernels/gguf_writer.hpp"
#include "kernels/tokenizer.hpp"
#include "tests/kernels/kernels_test_util.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <random>

using namespace rbee::kernels;

namespace {

const std::vector<std::string> texts = {
  "Hello world",
  "  two  spaces   and a tab\there",
  "line one\nline two\n\n",
  "caf\xC3\xA9 na\xC3\xAFve \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E",  // café naïve 日本語
  "emoji \xF0\x9F\x90\x9D\xF0\x9F\x9A\x80!",                        // 🐝🚀
  "digits 1234567890 and 3.14159",
  "int main() { return a[i] << 2; } // code",
  "",
  " ",
  "\xFF\xFE invalid utf-8 \xC3",
};

std::string decode(const tokenizer& t, const std::vector<int32_t>& ids) {
  detokenizer d;
  std::string out;
  for (auto id : ids) out += d.push(t.piece(id));
  return out + d.flush();
}

const std::vector<std::string> test_merges = {"3 4", "1 2", "12 3", "4 5", "h e", "l l", "he ll", "hell o",
                                              "\xC4\xA0 w", "\xC4\xA0w o", "\xC4\xA0wo r", "o o", "oo oo"};

/// The plain BPE merge loop (lowest rank first, leftmost among equals; O(n^2)): the
/// reference the tokenizer's priority-queue merging must equal.
std::vector<std::string> reference_bpe(std::string_view word) {
  std::map<std::string, int> rank;
  for (size_t i = 0; i < test_merges.size(); ++i) rank.emplace(test_merges[i], static_cast<int>(i));
  std::vector<std::string> sym;
  for (unsigned char c : word) sym.push_back(byte_level_chars()[c]);
  while (sym.size() > 1) {
    int best = std::numeric_limits<int>::max();
    size_t at = 0;
    for (size_t i = 0; i + 1 < sym.size(); ++i)
      if (auto it = rank.find(sym[i] + " " + sym[i + 1]); it != rank.end() && it->second < best) {
        best = it->second;
        at = i;
      }
    if (best == std::numeric_limits<int>::max()) break;
    sym[at] += sym[at + 1];
    sym.erase(sym.begin() + static_cast<long>(at) + 1);
  }
  return sym;
}

/// A small byte-level BPE vocabulary with hand-made merges.
std::shared_ptr<tokenizer> bpe(const std::string& pre, std::vector<uint8_t>& storage) {
  gguf_writer w;
  std::vector<std::string> tokens = byte_level_chars();
  std::vector<std::string> merges = test_merges;
  for (auto& m : merges) tokens.push_back(m.substr(0, m.find(' ')) + m.substr(m.find(' ') + 1));
  tokens.push_back("<|im_start|>");
  std::vector<int32_t> types(tokens.size(), 1);
  types.back() = 3;
  w.add_string("tokenizer.ggml.model", "gpt2");
  w.add_string("tokenizer.ggml.pre", pre);
  w.add_strings("tokenizer.ggml.tokens", tokens);
  w.add_i32s("tokenizer.ggml.token_type", types);
  w.add_strings("tokenizer.ggml.merges", merges);
  w.add_u32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(tokens.size() - 1));
  storage = w.bytes();
  auto f = gguf_file::parse(storage.data(), storage.size());
  EXPECT_TRUE(f) << f.error();
  auto t = tokenizer::from_gguf(**f);
  EXPECT_TRUE(t) << t.error();
  return *t;
}

std::vector<std::string> pieces(const tokenizer& t, const std::vector<int32_t>& ids) {
  std::vector<std::string> out;
  for (auto id : ids) out.emplace_back(t.text(id));
  return out;
}

} // namespace

TEST(Spm, RoundTripsEveryText) {
  auto path = rbee::test::stories("stories260K-f32.gguf");
  if (!rbee::test::exists(path)) GTEST_SKIP() << "stories260K not found";
  auto f = gguf_file::open(path);
  ASSERT_TRUE(f);
  auto t = tokenizer::from_gguf(**f);
  ASSERT_TRUE(t);
  for (auto& text : texts) {
    auto ids = (*t)->encode(text, false);
    std::string back = decode(**t, ids);
    if (text.find('\xFF') != std::string::npos) continue; // invalid UTF-8 cannot round-trip exactly
    EXPECT_EQ(back, text.empty() ? "" : " " + text) << text; // SPM adds a space prefix
  }
  // Byte fallback: characters outside the 512-token vocabulary become <0xNN> tokens.
  auto ids = (*t)->encode("\xF0\x9F\x90\x9D", false);
  EXPECT_GE(ids.size(), 4u);
  EXPECT_EQ((*t)->encode("hi", true).front(), 1); // BOS
}

TEST(Spm, SpacesAndNewlinesAreKept) {
  auto path = rbee::test::stories("stories260K-f32.gguf");
  if (!rbee::test::exists(path)) GTEST_SKIP() << "stories260K not found";
  auto f = gguf_file::open(path);
  auto t = *tokenizer::from_gguf(**f);
  auto a = t->encode("a  b", false), b = t->encode("a b", false);
  EXPECT_NE(a, b);
  EXPECT_EQ(decode(*t, t->encode("x\ny", false)), " x\ny");
}

TEST(Bpe, PreTokenizersSplitDigitsDifferently) {
  std::vector<uint8_t> s1, s2, s3;
  auto gpt2 = bpe("default", s1), llama3 = bpe("llama-bpe", s2), qwen2 = bpe("qwen2", s3);
  EXPECT_EQ(pieces(*gpt2, gpt2->encode("12345", false)), (std::vector<std::string>{"12", "34", "5"}));
  EXPECT_EQ(pieces(*llama3, llama3->encode("12345", false)), (std::vector<std::string>{"123", "45"}));
  EXPECT_EQ(pieces(*qwen2, qwen2->encode("12345", false)), (std::vector<std::string>{"1", "2", "3", "4", "5"}));
}

TEST(Bpe, MergesByRankAndKeepsTheSpace) {
  std::vector<uint8_t> s;
  auto t = bpe("llama-bpe", s);
  EXPECT_EQ(pieces(*t, t->encode("hello world", false)),
            (std::vector<std::string>{"hello", "\xC4\xA0wor", "l", "d"}));
  EXPECT_FALSE(t->add_bos());
}

TEST(Bpe, ContractionsAndSpecialTokens) {
  std::vector<uint8_t> s;
  auto t = bpe("llama-bpe", s);
  auto p = pieces(*t, t->encode("don't", false));
  EXPECT_EQ(p.back(), "t");
  EXPECT_EQ(p[p.size() - 2], "'");
  auto plain = t->encode("<|im_start|>hi", false);
  auto special = t->encode("<|im_start|>hi", false, true);
  EXPECT_GT(plain.size(), special.size());
  EXPECT_EQ(special.front(), t->n_vocab() - 1);
  EXPECT_TRUE(t->is_eog(t->n_vocab() - 1));
}

TEST(Bpe, RoundTripsEveryText) {
  for (auto pre : {"default", "llama-bpe", "qwen2", "some-unknown-pre"}) {
    std::vector<uint8_t> s;
    auto t = bpe(pre, s);
    for (auto& text : texts) {
      auto back = decode(*t, t->encode(text, false));
      if (text.find('\xFF') != std::string::npos) {
        EXPECT_FALSE(back.empty()); // invalid bytes still encode, byte by byte
        continue;
      }
      EXPECT_EQ(back, text) << pre << ": " << text;
    }
  }
}

TEST(Detokenizer, HoldsBackSplitCharacters) {
  detokenizer d;
  EXPECT_EQ(d.push("a\xF0\x9F"), "a");
  EXPECT_EQ(d.push("\x90"), "");
  EXPECT_EQ(d.push("\x9D!"), "\xF0\x9F\x90\x9D!");
  EXPECT_EQ(d.push("\xE6\x97"), "");
  EXPECT_EQ(d.flush(), "\xEF\xBF\xBD"); // an unfinished character becomes U+FFFD
}

// Words of the letters and digits the merges use (each one pre-token under the gpt2
// pattern): the priority-queue merging equals the plain loop, ties included.
TEST(Bpe, MergesEqualThePlainLoop) {
  std::vector<uint8_t> s;
  auto t = bpe("default", s);
  std::mt19937 rng(3);
  for (int i = 0; i < 3000; ++i) {
    const std::string alphabet = i % 2 ? "helowr" : "12345";
    std::string word(1 + rng() % 24, 'x');
    for (auto& c : word) c = alphabet[rng() % alphabet.size()];
    EXPECT_EQ(pieces(*t, t->encode(word, false)), reference_bpe(word)) << word;
  }
}

// One pre-token of a mebibyte: the plain loop took hours; this finishes (ctest's
// timeout is the bound; bench_tokenize measures it).
TEST(Bpe, OneMebibyteWord) {
  std::vector<uint8_t> s;
  auto t = bpe("default", s);
  std::string digits;
  for (int i = 0; i < (1 << 18); ++i) digits += "1234";
  auto ids = t->encode(digits, false);
  ASSERT_EQ(ids.size(), size_t{1} << 19);
  EXPECT_EQ(t->text(ids[0]), "12");
  EXPECT_EQ(t->text(ids[1]), "34");
  std::string o(1 << 20, 'o'); // "o o" then "oo oo": a chain of equal ranks
  auto oo = t->encode(o, false);
  ASSERT_EQ(oo.size(), size_t{1} << 18);
  EXPECT_EQ(t->text(oo.back()), "oooo");
}

// A byte token whose text is not <0xHH> threw out of std::stoi in the decode loop
// (mid-stream); a hostile vocabulary is an error at load.
TEST(Spm, MalformedByteTokensAreRefusedAtLoad) {
  for (const char* bad : {"<0xZZ>", "<0x>", "<0x1>", "0x41", "<0x41", "<0x4142>", ""}) {
    gguf_writer w;
    w.add_string("tokenizer.ggml.model", "llama");
    w.add_strings("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "<0x41>", bad, "a"});
    w.add_floats("tokenizer.ggml.scores", {0, 0, 0, 0, 0, 0});
    w.add_i32s("tokenizer.ggml.token_type", {2, 3, 3, 6, 6, 1});
    auto bytes = w.bytes();
    auto f = gguf_file::parse(bytes.data(), bytes.size());
    ASSERT_TRUE(f) << f.error();
    auto t = tokenizer::from_gguf(**f);
    ASSERT_FALSE(t) << bad;
    EXPECT_EQ(t.error(), "token 4 is a byte token but its text is not <0xHH>") << bad;
  }
  gguf_writer w; // lower-case hex is a byte too
  w.add_string("tokenizer.ggml.model", "llama");
  w.add_strings("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "<0x4a>"});
  w.add_i32s("tokenizer.ggml.token_type", {2, 3, 3, 6});
  auto bytes = w.bytes();
  auto f = gguf_file::parse(bytes.data(), bytes.size());
  ASSERT_TRUE(f);
  auto t = tokenizer::from_gguf(**f);
  ASSERT_TRUE(t) << t.error();
  EXPECT_EQ((*t)->piece(3), "J");
}

// A cancel flag stops a long tokenization early (the worker tokenizes on a thread
// of its own and sets it when the job is cancelled).
TEST(Bpe, CancelStopsEncoding) {
  std::vector<uint8_t> s;
  auto t = bpe("default", s);
  std::string text;
  for (int i = 0; i < 100000; ++i) text += "hello world ";
  std::atomic<bool> cancel{false};
  EXPECT_EQ(t->encode(text, false, false, &cancel).size(), t->encode(text, false).size());
  cancel = true;
  EXPECT_TRUE(t->encode(text, false, false, &cancel).empty());
  EXPECT_GE(t->max_token_bytes(), 6u); // "\xC4\xA0wor"
}
