// Greedy generation with the real stories260K model reproduces the golden
// outputs of two independent engines (llama.cpp's simple example, llama2.c).
#include "kernels/generate.hpp"
#include "tests/kernels/kernels_test_util.hpp"

#include <gtest/gtest.h>

using namespace rbee::kernels;
using rbee::test::stories;

namespace {

struct run {
  std::vector<int32_t> ids;
  std::string text;
};

run greedy(const std::string& file, int n, bool reference = false, bool packed = true) {
  run out;
  auto m = model::load(stories(file), packed);
  EXPECT_TRUE(m) << m.error();
  if (!m) return out;
  auto tok = tokenizer::from_gguf((*m)->file());
  context_params cp;
  cp.reference = reference;
  auto ctx = context::create(*m, cp);
  generate_params gp;
  gp.max_tokens = n;
  gp.sampling.temperature = 0;
  auto prompt = (*tok)->encode("Once upon a time", true);
  auto st = generate(**ctx, **tok, prompt, gp, [&](int32_t id, std::string_view text) {
    if (id >= 0) out.ids.push_back(id);
    out.text += text;
    return true;
  });
  EXPECT_TRUE(st) << st.error();
  out.text = "Once upon a time" + out.text;
  return out;
}

std::string golden(const std::string& file) {
  auto g = rbee::test::read_text(stories("golden/" + file));
  if (g.rfind("<s> ", 0) == 0) g = g.substr(4);
  while (!g.empty() && (g.back() == '\n' || g.back() == ' ')) g.pop_back();
  return g;
}

class Golden : public ::testing::Test {
protected:
  void SetUp() override {
    if (!rbee::test::exists(stories("stories260K-f32.gguf")))
      GTEST_SKIP() << "stories260K not found under RBEE_TEST_MODELS=" << rbee::test::models_dir();
  }
};

} // namespace

TEST_F(Golden, F32MatchesLlamaCppAndLlama2c) {
  auto r = greedy("stories260K-f32.gguf", 63);
  EXPECT_EQ(r.text, golden("golden_llamasimple_f32.txt"));
  auto runc = golden("golden_runc_prompt.txt");
  EXPECT_EQ(r.text.substr(0, runc.size()), runc);
}

TEST_F(Golden, Q8_0Matches) {
  EXPECT_EQ(greedy("stories260K-q8_0.gguf", 63).text, golden("golden_llamasimple_q8_0.txt"));
}

TEST_F(Golden, Q4_0MatchesForAtLeast20Tokens) {
  auto r20 = greedy("stories260K-q4_0.gguf", 20);
  auto g = golden("golden_llamasimple_q4_0.txt");
  EXPECT_EQ(r20.text, g.substr(0, r20.text.size()));
}

TEST_F(Golden, WeightsLoadedForAGpuStillRunOnTheCpu) {
  auto m = model::load(stories("stories260K-q8_0.gguf"), false); // no interleaving: the file's layout
  ASSERT_TRUE(m) << m.error();
  EXPECT_EQ((*m)->layers()[0].wq.packed, nullptr);
  EXPECT_EQ(greedy("stories260K-q8_0.gguf", 63, false, false).text, golden("golden_llamasimple_q8_0.txt"));
}

TEST_F(Golden, ScalarReferenceAgrees) {
  EXPECT_EQ(greedy("stories260K-f32.gguf", 63, true).text, golden("golden_llamasimple_f32.txt"));
  EXPECT_EQ(greedy("stories260K-q8_0.gguf", 63, true).text, golden("golden_llamasimple_q8_0.txt"));
}

TEST_F(Golden, PromptTokens) {
  auto f = gguf_file::open(stories("stories260K-f32.gguf"));
  ASSERT_TRUE(f);
  auto tok = tokenizer::from_gguf(**f);
  ASSERT_TRUE(tok);
  EXPECT_EQ((*tok)->encode("Once upon a time", true), (std::vector<int32_t>{1, 403, 407, 261, 378}));
}

TEST_F(Golden, BatchedPromptEqualsTokenByToken) {
  auto m = model::load(stories("stories260K-f32.gguf"));
  ASSERT_TRUE(m);
  std::vector<int32_t> ids = {1, 403, 407, 261, 378, 30, 300, 301};
  auto a = context::create(*m);
  auto b = context::create(*m);
  auto la = (*a)->decode(ids.data(), static_cast<int>(ids.size()));
  ASSERT_TRUE(la);
  std::vector<float> batched(*la, *la + (*m)->hp().n_vocab);
  const float* lb = nullptr;
  for (auto id : ids) lb = *(*b)->decode(&id, 1);
  for (int i = 0; i < (*m)->hp().n_vocab; ++i) EXPECT_NEAR(batched[i], lb[i], 1e-3) << i;
}

TEST_F(Golden, ContextOverflowIsAnErrorThatChangesNothing) {
  auto m = model::load(stories("stories260K-f32.gguf"));
  ASSERT_TRUE(m);
  context_params cp;
  cp.n_ctx = 8;
  auto c = context::create(*m, cp);
  std::vector<int32_t> ids(6, 300);
  ASSERT_TRUE((*c)->decode(ids.data(), 6));
  auto over = (*c)->decode(ids.data(), 3);
  EXPECT_FALSE(over);
  EXPECT_NE(over.error().find("context overflow"), std::string::npos);
  EXPECT_EQ((*c)->n_past(), 6);
  int32_t bad = 100000;
  EXPECT_FALSE((*c)->decode(&bad, 1));
  EXPECT_EQ((*c)->n_past(), 6);
}

TEST_F(Golden, SlotsInOneBatchEqualSeparateRuns) {
  auto m = model::load(stories("stories260K-f32.gguf"));
  ASSERT_TRUE(m);
  auto tok = *tokenizer::from_gguf((*m)->file());
  const int n_vocab = (*m)->hp().n_vocab;
  std::vector<std::vector<int32_t>> prompts = {tok->encode("Once upon a time", true), tok->encode("The cat sat", true),
                                               tok->encode("Lily and Ben went to the park", true)};
  // Separately: greedy 12 tokens each.
  std::vector<std::vector<int32_t>> alone;
  for (auto& p : prompts) {
    auto c = context::create(*m);
    std::vector<int32_t> out;
    auto l = (*c)->decode(p.data(), static_cast<int>(p.size()));
    for (int i = 0; i < 12; ++i) {
      int32_t id = static_cast<int32_t>(std::max_element(*l, *l + n_vocab) - *l);
      out.push_back(id);
      l = (*c)->decode(&id, 1);
    }
    alone.push_back(out);
  }
  // Together: all prompts in one batch (interleaved), then one decode batch per step.
  context_params cp;
  cp.n_slots = 3;
  auto c = context::create(*m, cp);
  ASSERT_TRUE(c);
  std::vector<batch_entry> batch;
  for (size_t i = 0; i < 12; ++i)
    for (int s = 0; s < 3; ++s)
      if (i < prompts[s].size()) batch.push_back({s, prompts[s][i], i + 1 == prompts[s].size()});
  std::vector<std::vector<int32_t>> together(3);
  for (int step = 0; step < 12; ++step) {
    auto l = (*c)->decode_batch(batch);
    ASSERT_TRUE(l) << l.error();
    batch.clear();
    for (int s = 0; s < 3; ++s) {
      const float* row = *l + static_cast<size_t>(s) * n_vocab;
      int32_t id = static_cast<int32_t>(std::max_element(row, row + n_vocab) - row);
      together[s].push_back(id);
      batch.push_back({s, id, true});
    }
  }
  EXPECT_EQ(together, alone);
  EXPECT_EQ((*c)->n_past(0), static_cast<int>(prompts[0].size()) + 11);
}

TEST_F(Golden, BadBatchesChangeNothing) {
  auto m = model::load(stories("stories260K-f32.gguf"));
  context_params cp;
  cp.n_slots = 2;
  cp.n_ctx = 4;
  auto c = context::create(*m, cp);
  EXPECT_FALSE((*c)->decode_batch({{2, 5, true}}));      // no such slot
  EXPECT_FALSE((*c)->decode_batch({{0, -1, true}}));     // bad token
  EXPECT_FALSE((*c)->decode_batch({}));                  // empty
  std::vector<batch_entry> five(5, batch_entry{1, 5, false});
  EXPECT_FALSE((*c)->decode_batch(five));                // overflows slot 1
  EXPECT_EQ((*c)->n_past(0), 0);
  EXPECT_EQ((*c)->n_past(1), 0);
  EXPECT_TRUE((*c)->decode_batch({{1, 5, false}, {0, 6, true}}));
  EXPECT_EQ((*c)->n_past(1), 1);
}
