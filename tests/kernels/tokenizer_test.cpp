#include "kernels/gguf_writer.hpp"
#include "kernels/tokenizer.hpp"
#include "tests/kernels/kernels_test_util.hpp"

#include <gtest/gtest.h>

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

/// A small byte-level BPE vocabulary with hand-made merges.
std::shared_ptr<tokenizer> bpe(const std::string& pre, std::vector<uint8_t>& storage) {
  gguf_writer w;
  std::vector<std::string> tokens = byte_level_chars();
  std::vector<std::string> merges = {"3 4", "1 2", "12 3", "4 5", "h e", "l l", "he ll", "hell o",
                                     "\xC4\xA0 w", "\xC4\xA0w o", "\xC4\xA0wo r"};
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
