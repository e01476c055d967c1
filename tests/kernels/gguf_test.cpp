// The GGUF loader against hostile files: every problem is an error naming it,
// never a crash or a read out of bounds (run under ASan in the fuzz build).
#include "kernels/gguf_writer.hpp"
#include "kernels/model.hpp"
#include "tests/kernels/kernels_test_util.hpp"

#include <gtest/gtest.h>

#include <cstring>

using namespace rbee::kernels;

namespace {

std::vector<uint8_t> small_file() {
  gguf_writer w;
  w.add_string("general.architecture", "llama");
  w.add_u32("llama.block_count", 1);
  w.add_strings("tokenizer.ggml.tokens", {"a", "b"});
  w.add_tensor_f32("t", dtype::f32, {4, 2}, std::vector<float>(8, 1.f));
  w.add_tensor_f32("q", dtype::q8_0, {32}, std::vector<float>(32, 0.5f));
  return w.bytes();
}

std::string error_of(const std::vector<uint8_t>& b) {
  auto f = gguf_file::parse(b.data(), b.size());
  return f ? "" : f.error();
}

template <class T>
void poke(std::vector<uint8_t>& b, size_t at, T v) {
  std::memcpy(b.data() + at, &v, sizeof(T));
}

size_t find(const std::vector<uint8_t>& b, const std::string& s) {
  auto it = std::search(b.begin(), b.end(), s.begin(), s.end());
  return static_cast<size_t>(it - b.begin());
}

} // namespace

TEST(Gguf, ValidFileParses) {
  auto b = small_file();
  auto f = gguf_file::parse(b.data(), b.size());
  ASSERT_TRUE(f) << f.error();
  EXPECT_EQ((*f)->version(), 3u);
  EXPECT_EQ((*f)->get_string("general.architecture"), "llama");
  EXPECT_EQ((*f)->get_uint("llama.block_count"), 1u);
  EXPECT_EQ((*f)->get_strings("tokenizer.ggml.tokens").size(), 2u);
  ASSERT_NE((*f)->tensor("q"), nullptr);
  EXPECT_EQ((*f)->tensor("q")->bytes, 34u);
  EXPECT_THROW((*f)->get_string("llama.block_count"), kernel_error);
  EXPECT_THROW((*f)->get_uint("missing"), kernel_error);
}

TEST(Gguf, EveryTruncationIsAnError) {
  auto b = small_file();
  auto whole = gguf_file::parse(b.data(), b.size());
  ASSERT_TRUE(whole);
  size_t end = 0; // the last byte any tensor uses (the rest is alignment padding)
  for (auto& t : (*whole)->tensors()) end = std::max(end, static_cast<size_t>(t.data - b.data() + t.bytes));
  for (size_t n = 0; n < b.size(); ++n) {
    std::vector<uint8_t> cut(b.begin(), b.begin() + static_cast<long>(n));
    EXPECT_EQ(error_of(cut).empty(), n >= end) << "truncated at " << n;
  }
}

TEST(Gguf, BadHeaders) {
  auto b = small_file();
  auto magic = b;
  magic[0] = 'X';
  EXPECT_NE(error_of(magic).find("magic"), std::string::npos);
  auto version = b;
  poke<uint32_t>(version, 4, 7);
  EXPECT_NE(error_of(version).find("version 7"), std::string::npos);
  auto tensors = b;
  poke<uint64_t>(tensors, 8, uint64_t{1} << 62);
  EXPECT_NE(error_of(tensors).find("absurd"), std::string::npos);
  auto kv = b;
  poke<uint64_t>(kv, 16, ~uint64_t{0});
  EXPECT_NE(error_of(kv).find("absurd"), std::string::npos);
}

TEST(Gguf, HugeStringLengthsAreCaught) {
  auto b = small_file();
  size_t at = find(b, "general.architecture") - 8; // the key's length field
  poke<uint64_t>(b, at, ~uint64_t{0} - 3);
  EXPECT_NE(error_of(b).find("truncated"), std::string::npos);
  auto arr = small_file();
  size_t count_at = find(arr, "tokenizer.ggml.tokens") + 21 + 4 + 4; // key, type, elem type
  poke<uint64_t>(arr, count_at, uint64_t{1} << 60);
  EXPECT_FALSE(error_of(arr).empty());
}

TEST(Gguf, BadTensorsAreCaught) {
  auto b = small_file();
  size_t name = find(b, std::string("\x01\x00\x00\x00\x00\x00\x00\x00q", 9)) + 9; // tensor "q"
  auto type = b;
  poke<uint32_t>(type, name + 4 + 8, 99); // dims count, 1 dim, then type
  EXPECT_NE(error_of(type).find("unknown type"), std::string::npos);
  auto unsupported = b;
  poke<uint32_t>(unsupported, name + 4 + 8, 16); // iq2_xxs
  EXPECT_NE(error_of(unsupported).find("type iq2_xxs"), std::string::npos) << error_of(unsupported);
  EXPECT_NE(error_of(unsupported).find("it runs f32, f16, q4_0, q4_1, q5_0, q5_1, q8_0, q2_k, q3_k, q4_k, q5_k, q6_k, "
                                       "iq4_nl, iq4_xs, bf16, mxfp4"),
            std::string::npos) << "and says what is supported: " << error_of(unsupported);
  auto offset = b;
  poke<uint64_t>(offset, name + 4 + 8 + 4, uint64_t{1} << 40);
  EXPECT_NE(error_of(offset).find("outside the file"), std::string::npos);
  auto misaligned = b;
  poke<uint64_t>(misaligned, name + 4 + 8 + 4, 33);
  EXPECT_NE(error_of(misaligned).find("aligned"), std::string::npos);
  auto dims = b;
  poke<uint32_t>(dims, name, 9);
  EXPECT_NE(error_of(dims).find("dimensions"), std::string::npos);
  auto shape = b;
  poke<uint64_t>(shape, name + 4, 33); // not a multiple of the q8_0 block
  EXPECT_NE(error_of(shape).find("multiple"), std::string::npos);
  auto overflow = b;
  poke<uint64_t>(overflow, name + 4, uint64_t{1} << 63);
  EXPECT_FALSE(error_of(overflow).empty());
}

TEST(Gguf, RandomCorruptionNeverCrashes) {
  auto b = small_file();
  std::mt19937 rng(1);
  for (int i = 0; i < 3000; ++i) {
    auto c = b;
    for (int k = 0; k < 4; ++k) c[rng() % c.size()] = static_cast<uint8_t>(rng());
    auto f = gguf_file::parse(c.data(), c.size());
    if (f) { // whatever parsed must be within bounds
      for (auto& t : (*f)->tensors()) {
        EXPECT_GE(t.data, c.data());
        EXPECT_LE(t.data + t.bytes, c.data() + c.size());
      }
    }
  }
}

TEST(Model, ErrorsNameTheProblem) {
  auto b = small_file();
  auto f = gguf_file::parse(b.data(), b.size());
  auto m = model::from_gguf(*f);
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().find("embedding_length"), std::string::npos) << m.error();
  gguf_writer w;
  w.add_string("general.architecture", "mamba");
  auto mb = w.bytes();
  auto mf = gguf_file::parse(mb.data(), mb.size());
  auto mm = model::from_gguf(*mf);
  ASSERT_FALSE(mm);
  EXPECT_NE(mm.error().find("mamba"), std::string::npos);
  EXPECT_NE(mm.error().find("llama, qwen2, qwen3, qwen3moe, gemma3, phi3, gpt-oss are"), std::string::npos) << "names what is: " << mm.error();
  EXPECT_FALSE(model::load("/nonexistent.gguf"));
  EXPECT_FALSE(model::load("/tmp"));
}

TEST(Model, ShapeMismatchIsCaught) {
  auto path = rbee::test::stories("stories260K-f32.gguf");
  if (!rbee::test::exists(path)) GTEST_SKIP();
  auto text = rbee::test::read_text(path);
  std::vector<uint8_t> b(text.begin(), text.end());
  size_t at = find(b, "llama.feed_forward_length") + 25 + 4;
  poke<uint32_t>(b, at, 176); // disagrees with the feed-forward tensors
  auto f = gguf_file::parse(b.data(), b.size());
  ASSERT_TRUE(f);
  auto m = model::from_gguf(*f);
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().find("shape"), std::string::npos) << m.error();
}
