#include "kernels/generate.hpp"
#include "kernels/sampler.hpp"
#include "kernels/synth.hpp"
#include "tests/kernels/kernels_test_util.hpp"

#include <gtest/gtest.h>

#include <map>

#include <unistd.h>

using namespace rbee::kernels;

TEST(Sampler, GreedyIsArgmax) {
  sampling_params p;
  p.temperature = 0;
  sampler s(p);
  std::vector<float> l = {0.1f, 3.f, 2.f};
  EXPECT_EQ(s.sample(l.data(), 3), 1);
}

TEST(Sampler, SeedReproducesAndTopKOneIsGreedy) {
  auto logits = rbee::test::random_floats(1000, 5);
  auto draw = [&](sampling_params p) {
    sampler s(p);
    std::vector<int32_t> out;
    for (int i = 0; i < 50; ++i) {
      auto l = logits;
      out.push_back(s.sample(l.data(), 1000));
    }
    return out;
  };
  sampling_params p;
  p.temperature = 1.f;
  p.top_k = 0;
  p.top_p = 1.f;
  p.min_p = 0.f;
  p.seed = 42;
  EXPECT_EQ(draw(p), draw(p));
  auto other = p;
  other.seed = 43;
  EXPECT_NE(draw(p), draw(other));
  p.top_k = 1;
  auto greedy = draw(p);
  int best = static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
  for (auto id : greedy) EXPECT_EQ(id, best);
}

TEST(Sampler, TopPAndMinPCutTheTail) {
  std::vector<float> base = {10.f, 9.f, 0.f, 0.f, 0.f};
  sampling_params p;
  p.temperature = 1.f;
  p.top_k = 0;
  p.min_p = 0.1f;
  p.top_p = 1.f;
  sampler s(p);
  for (int i = 0; i < 200; ++i) {
    auto l = base;
    EXPECT_LT(s.sample(l.data(), 5), 2);
  }
}

TEST(Sampler, RepetitionPenaltyAvoidsRepeats) {
  sampling_params p;
  p.temperature = 0;
  p.repetition_penalty = 10.f;
  sampler s(p);
  s.accept(0);
  std::vector<float> l = {2.f, 1.f};
  EXPECT_EQ(s.sample(l.data(), 2), 1);
}

namespace {

struct tiny_model {
  std::shared_ptr<model> m;
  std::shared_ptr<tokenizer> tok;
};

tiny_model tiny() {
  static const std::string path = "/tmp/rbee-test-tiny-q8_0-" + std::to_string(getpid()) + ".gguf";
  static bool made = static_cast<bool>(synth_model("tiny", "q8_0", path));
  EXPECT_TRUE(made);
  auto m = model::load(path);
  EXPECT_TRUE(m) << m.error();
  return {*m, *tokenizer::from_gguf((*m)->file())};
}

} // namespace

TEST(Generate, MaxTokensAndStopSequences) {
  auto t = tiny();
  auto ctx = context::create(t.m);
  generate_params gp;
  gp.max_tokens = 12;
  gp.sampling.temperature = 0;
  gp.stop_at_eog = false;
  std::string text;
  auto st = generate(**ctx, *t.tok, t.tok->encode("the cat", true), gp, [&](int32_t, std::string_view s) {
    text += s;
    return true;
  });
  ASSERT_TRUE(st) << st.error();
  EXPECT_EQ(st->generated, 12);
  EXPECT_EQ(st->reason, finish_reason::length);
  ASSERT_GE(text.size(), 2u);
  // Stop at a piece of that same text: it is cut there and not emitted.
  std::string stop = text.substr(text.size() / 2, 2);
  (*ctx)->reset();
  gp.stop = {stop};
  std::string cut;
  st = generate(**ctx, *t.tok, t.tok->encode("the cat", true), gp, [&](int32_t, std::string_view s) {
    cut += s;
    return true;
  });
  ASSERT_TRUE(st);
  EXPECT_EQ(st->reason, finish_reason::stop);
  EXPECT_EQ(cut, text.substr(0, text.find(stop)));
}

TEST(Generate, CancelAndOverflow) {
  auto t = tiny();
  context_params cp;
  cp.n_ctx = 16;
  auto ctx = context::create(t.m, cp);
  generate_params gp;
  gp.max_tokens = 100;
  gp.stop_at_eog = false;
  int calls = 0;
  auto st = generate(**ctx, *t.tok, t.tok->encode("a", true), gp, [&](int32_t, std::string_view) { return ++calls < 3; });
  ASSERT_TRUE(st);
  EXPECT_EQ(st->reason, finish_reason::cancelled);
  (*ctx)->reset();
  st = generate(**ctx, *t.tok, t.tok->encode("a", true), gp, [](int32_t, std::string_view) { return true; });
  ASSERT_TRUE(st);
  EXPECT_EQ(st->reason, finish_reason::context); // reported, not silent
  (*ctx)->reset();
  std::vector<int32_t> long_prompt(40, 300);
  EXPECT_FALSE(generate(**ctx, *t.tok, long_prompt, gp, [](int32_t, std::string_view) { return true; }));
}

TEST(Synth, EveryShapeTypeCombinationOfTheTinyShapesLoadsAndRuns) {
  for (auto shape : {"tiny", "tiny-qwen2", "tiny-llama3", "tiny-qwen3", "tiny-gemma3", "tiny-phi3", "tiny-phi4", "tiny-qwen3moe"})
    for (auto& type : synth_types()) {
      std::string path = "/tmp/rbee-test-synth-" + std::to_string(getpid()) + ".gguf";
      auto r = synth_model(shape, type, path);
      ASSERT_TRUE(r) << r.error();
      auto m = model::load(path);
      ASSERT_TRUE(m) << shape << " " << type << ": " << m.error();
      auto ctx = context::create(*m);
      int32_t id = 3;
      auto logits = (*ctx)->decode(&id, 1);
      ASSERT_TRUE(logits);
      for (int i = 0; i < (*m)->hp().n_vocab; ++i) ASSERT_TRUE(std::isfinite((*logits)[i])) << shape << type;
    }
  EXPECT_FALSE(synth_model("nope", "q4_0", "/tmp/x.gguf"));
  EXPECT_FALSE(synth_model("tiny", "iq2_xxs", "/tmp/x.gguf"));
}
