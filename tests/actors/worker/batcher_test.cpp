// Continuous batching as a plain class, on the real stories260K model.
#include "actors/worker/batcher.hpp"
#include "tests/kernels/kernels_test_util.hpp"

#include <gtest/gtest.h>

#include <map>

using namespace rbee;

namespace {

struct Batcher : ::testing::Test {
  void SetUp() override {
    auto path = test::stories("stories260K-f32.gguf");
    if (!test::exists(path)) GTEST_SKIP() << "stories260K not found";
    auto m = kernels::model::load(path);
    ASSERT_TRUE(m);
    model = *m;
    tok = *kernels::tokenizer::from_gguf(model->file());
  }
  std::unique_ptr<batcher> make(int slots, int n_ctx = 0, int chunk = 3, bool cache = true, int cache_mib = 0) {
    batcher::options o;
    o.prompt_cache = cache;
    o.prompt_cache_mib = cache_mib;
    o.slots = slots;
    o.n_ctx = n_ctx;
    o.prefill_chunk = chunk;
    return std::move(*batcher::create(model, tok, o));
  }
  kernels::generate_params greedy(int n) {
    kernels::generate_params p;
    p.max_tokens = n;
    p.sampling.temperature = 0;
    return p;
  }
  /// Steps until idle; per request: the text of its token events and its result.
  std::map<std::string, std::pair<std::string, infer_result>> drain(batcher& b) {
    std::map<std::string, std::pair<std::string, infer_result>> out;
    for (int i = 0; i < 10000 && b.busy(); ++i)
      for (auto& e : b.step()) {
        if (e.done)
          out[e.id].second = e.result;
        else
          out[e.id].first += e.text;
      }
    return out;
  }
  std::shared_ptr<kernels::model> model;
  std::shared_ptr<kernels::tokenizer> tok;
};

} // namespace

TEST_F(Batcher, MoreRequestsThanSlotsAllFinishWithTheirOwnText) {
  auto b = make(2);
  std::vector<std::string> prompts = {"Once upon a time", "The cat", "Lily", "One day", "Tom"};
  std::map<std::string, std::string> alone;
  for (auto& p : prompts) { // each alone first
    auto one = make(1);
    ASSERT_FALSE(one->add(p, tok->encode(p, true), greedy(10)));
    alone[p] = drain(*one)[p].first;
  }
  for (auto& p : prompts) ASSERT_FALSE(b->add(p, tok->encode(p, true), greedy(10)));
  auto together = drain(*b);
  ASSERT_EQ(together.size(), prompts.size());
  for (auto& p : prompts) {
    EXPECT_EQ(together[p].first, alone[p]) << p;
    EXPECT_EQ(together[p].first, together[p].second.text);
    EXPECT_EQ(together[p].second.completion_tokens, 10);
    EXPECT_EQ(together[p].second.finish_reason, "length");
  }
}

TEST_F(Batcher, CancelWaitingAndRunning) {
  auto b = make(1);
  ASSERT_FALSE(b->add("a", tok->encode("Once upon a time", true), greedy(50)));
  ASSERT_FALSE(b->add("b", tok->encode("The cat", true), greedy(50)));
  b->step();
  EXPECT_TRUE(b->cancel("b")); // waiting
  EXPECT_TRUE(b->cancel("a")); // running
  EXPECT_FALSE(b->cancel("nope"));
  auto out = drain(*b);
  EXPECT_EQ(out["a"].second.finish_reason, "cancelled");
  EXPECT_EQ(out["b"].second.finish_reason, "cancelled");
  EXPECT_FALSE(b->busy());
  // The slot is free again.
  ASSERT_FALSE(b->add("c", tok->encode("Tom", true), greedy(3)));
  EXPECT_EQ(drain(*b)["c"].second.completion_tokens, 3);
}

TEST_F(Batcher, RefusesWhatCannotFit) {
  auto b = make(1, 16);
  EXPECT_TRUE(b->add("empty", {}, greedy(1)));
  auto err = b->add("long", std::vector<int32_t>(16, 300), greedy(1));
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, errc::context_overflow);
  EXPECT_NE(err->message.find("context overflow"), std::string::npos);
  EXPECT_FALSE(b->busy());
  // A generation that reaches the end of the context says so.
  ASSERT_FALSE(b->add("fill", tok->encode("Once upon a time", true), greedy(1000)));
  EXPECT_EQ(drain(*b)["fill"].second.finish_reason, "context");
}

TEST_F(Batcher, StopSequencesCutTheText) {
  auto b = make(1);
  auto p = greedy(40);
  p.stop = {"Lily"};
  ASSERT_FALSE(b->add("s", tok->encode("Once upon a time", true), p));
  auto out = drain(*b)["s"];
  EXPECT_EQ(out.second.finish_reason, "stop");
  EXPECT_EQ(out.second.text, ", there was a little girl named ");
  EXPECT_EQ(out.first, out.second.text);
}

// Text the stop filter holds back (it might start a stop sequence) when the
// generation ends for another reason belongs to the answer: it is streamed as a
// last piece too, so a stream says what the whole answer says. (It was only in the
// whole answer before.)
TEST_F(Batcher, TextHeldBackAtTheEndIsStreamedToo) {
  auto b = make(1);
  auto p = greedy(9);
  for (char c = 'a'; c <= 'z'; ++c) p.stop.push_back(std::string(1, c) + "!!"); // never completes
  for (const char* s : {" !!", ".!!", ",!!"}) p.stop.push_back(s);
  ASSERT_FALSE(b->add("h", tok->encode("Once upon a time", true), p));
  auto out = drain(*b)["h"];
  EXPECT_EQ(out.second.finish_reason, "length");
  ASSERT_FALSE(out.second.text.empty());
  EXPECT_EQ(out.first, out.second.text);
}

// The prompt cache: a second chat turn, a shared system prompt and a retry
// prefill only what their slot's cache does not hold, and answer exactly what
// they answer without the cache.
TEST_F(Batcher, ThePromptCacheSavesPrefillAndChangesNoAnswer) {
  std::string turn1 = "Once upon a time, there was a little girl named Lily. She loved to play outside.";
  std::string reply_and_turn2 = turn1 + " One day, she saw a big dog. The dog";
  std::vector<std::pair<std::string, std::string>> asks = {
    {"first", turn1}, {"second", reply_and_turn2}, {"retry", reply_and_turn2}, {"other", "Tom had a red ball."},
    {"back", reply_and_turn2 + " was"}};
  auto run = [&](bool cache) {
    auto b = make(2, 0, 16, cache);
    std::map<std::string, std::pair<std::string, infer_result>> out;
    for (auto& [id, text] : asks) { // one after another, as a chat's turns come
      EXPECT_FALSE(b->add(id, tok->encode(text, true), greedy(8)));
      out[id] = drain(*b)[id];
    }
    return out;
  };
  auto with = run(true), without = run(false);
  for (auto& [id, text] : asks) {
    EXPECT_EQ(with[id].first, without[id].first) << id;
    EXPECT_EQ(without[id].second.cached_tokens, 0) << id;
  }
  int n1 = static_cast<int>(tok->encode(turn1, true).size()), n2 = static_cast<int>(tok->encode(reply_and_turn2, true).size());
  EXPECT_EQ(with["first"].second.cached_tokens, 0);
  EXPECT_GE(with["second"].second.cached_tokens, n1 - 1) << "the first turn's tokens came from the cache";
  EXPECT_EQ(with["retry"].second.cached_tokens, n2 - 1) << "all but the last prompt token";
  EXPECT_EQ(with["other"].second.cached_tokens, 0) << "only BOS in common: the other (empty) slot, least recently used";
  EXPECT_GE(with["back"].second.cached_tokens, n2 - 1) << "the slot that holds the chat is found again";
}

// Beyond the slots: one slot, two conversations taking turns. Each turn evicts the other
// conversation from the slot; with a store its cache waits in memory and comes back.
TEST_F(Batcher, CachesBeyondTheSlotsComeBackForTheNextTurn) {
  std::string a1 = "Once upon a time, there was a little girl named Lily. She loved to play outside in the sun.";
  std::string b1 = "Tom had a red ball. He liked to throw it high in the sky and catch it with his hands.";
  std::string a2 = a1 + " One day, she saw a big dog. The dog", b2 = b1 + " One day the ball flew";
  std::vector<std::pair<std::string, std::string>> asks = {{"a1", a1}, {"b1", b1}, {"a2", a2}, {"b2", b2}};
  auto run = [&](bool cache, int mib) {
    auto b = make(1, 0, 16, cache, mib);
    std::map<std::string, std::pair<std::string, infer_result>> out;
    for (auto& [id, text] : asks) {
      EXPECT_FALSE(b->add(id, tok->encode(text, true), greedy(8)));
      out[id] = drain(*b)[id];
    }
    return out;
  };
  auto kept = run(true, 64), slots_only = run(true, 0), none = run(false, 0);
  int na = static_cast<int>(tok->encode(a1, true).size()), nb = static_cast<int>(tok->encode(b1, true).size());
  for (auto& [id, text] : asks) {
    EXPECT_EQ(kept[id].first, none[id].first) << id << ": the same answer from a restored cache";
    EXPECT_EQ(slots_only[id].first, none[id].first) << id;
  }
  EXPECT_GE(kept["a2"].second.cached_tokens, na - 1) << "a's first turn came back from the store";
  EXPECT_GE(kept["b2"].second.cached_tokens, nb - 1) << "and b's";
  EXPECT_LE(slots_only["a2"].second.cached_tokens, 1) << "one slot, no store: b took it (BOS at most in common)";
}

