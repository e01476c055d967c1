// What the loader makes of each architecture's own layout (phi3's fused tensors and
// LongRoPE, qwen3moe's router and stacked experts), and the fast forward pass against
// the scalar reference on each. llama.cpp's agreement is oracle_test.cpp's.
#include "kernels/chat_template.hpp"
#include "kernels/context.hpp"
#include "kernels/gguf_writer.hpp"
#include "kernels/tokenizer.hpp"
#include "kernels/synth.hpp"
#include "tests/kernels/kernels_test_util.hpp"
#include "tests/support/process.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <cstring>
#include <algorithm>
#include <cmath>

using namespace rbee::kernels;

namespace {

std::shared_ptr<model> synth(const std::string& shape, const std::string& type, int layers = 0) {
  std::string path = rbee::test::temp_dir() + "/" + shape + "-" + type + ".gguf";
  auto r = synth_model(shape, type, path, 3, layers);
  EXPECT_TRUE(r) << r.error();
  auto m = model::load(path);
  EXPECT_TRUE(m) << m.error();
  return m ? *m : nullptr;
}

/// Greedy logits of a few tokens, the SIMD kernels against the scalar reference.
double reference_gap(const std::shared_ptr<model>& m) {
  std::vector<int32_t> ids = {1, 40, 300, 301, 7, 99, 512, 3};
  double worst = 0;
  context_params fast, ref;
  fast.n_ctx = ref.n_ctx = 512;
  ref.reference = true;
  auto a = context::create(m, fast), b = context::create(m, ref);
  EXPECT_TRUE(a && b);
  auto la = (*a)->decode(ids.data(), static_cast<int>(ids.size()));
  auto lb = (*b)->decode(ids.data(), static_cast<int>(ids.size()));
  EXPECT_TRUE(la && lb);
  double lo = 1e30, hi = -1e30;
  for (int i = 0; i < m->hp().n_vocab; ++i) {
    lo = std::min<double>(lo, (*lb)[i]), hi = std::max<double>(hi, (*lb)[i]);
    worst = std::max<double>(worst, std::fabs((*la)[i] - (*lb)[i]));
  }
  return worst / (hi - lo);
}

} // namespace

TEST(Arch, Phi3FusedTensorsAreViewsAndLongRopeFollowsTheContext) {
  auto m = synth("tiny-phi3", "f32");
  ASSERT_TRUE(m);
  const auto& h = m->hp();
  EXPECT_EQ(h.architecture, arch::phi3);
  EXPECT_EQ(h.n_rot, 48);
  EXPECT_EQ(h.head_dim, 64);
  EXPECT_NEAR(h.rope_mscale, std::sqrt(1 + std::log(2048.0 / 256) / std::log(256.0)), 1e-6);
  const auto& L = m->layers()[0];
  auto qkv = m->file().tensor("blk.0.attn_qkv.weight");
  ASSERT_TRUE(qkv);
  EXPECT_EQ(L.wq.data, qkv->data);
  EXPECT_EQ(L.wk.data, L.wq.row(L.wq.rows));
  EXPECT_EQ(L.wv.data, L.wk.row(L.wk.rows));
  EXPECT_EQ(L.wq.rows, 4 * 64);
  EXPECT_EQ(L.wk.rows, 2 * 64);
  EXPECT_EQ(L.w_up.data, L.w_gate.row(h.n_ff)); // ffn_up holds the gate's rows, then the up's
  // LongRoPE: the short factors up to the original context (256), the long ones past it.
  const float* s = m->rope_factors(256);
  const float* l = m->rope_factors(512);
  ASSERT_TRUE(s && l);
  EXPECT_NE(s, l);
  EXPECT_FLOAT_EQ(s[23], 1.f + 0.05f * 23 / 24);
  EXPECT_FLOAT_EQ(l[23], 1.f + 30.f * (23.f / 24) * (23.f / 24));
  EXPECT_LT(reference_gap(m), 1e-4);
}

TEST(Arch, Qwen3MoeExpertsAreViewsAndDecodeReadsTheChosenOnes) {
  auto m = synth("tiny-qwen3moe", "q8_0");
  ASSERT_TRUE(m);
  const auto& h = m->hp();
  EXPECT_EQ(h.architecture, arch::qwen3moe);
  EXPECT_EQ(h.n_expert, 8);
  EXPECT_EQ(h.n_expert_used, 2);
  const auto& L = m->layers()[1];
  ASSERT_EQ(L.gate_exps.size(), 8u);
  EXPECT_EQ(L.router.rows, 8);
  EXPECT_EQ(L.router.type, dtype::f32);
  auto t = m->file().tensor("blk.1.ffn_down_exps.weight");
  ASSERT_TRUE(t);
  EXPECT_EQ(L.down_exps[0].data, t->data);
  EXPECT_EQ(L.down_exps[5].data, t->data + 5 * L.down_exps[0].row_bytes * static_cast<size_t>(h.n_embd));
  EXPECT_EQ(L.w_gate.data, nullptr);
  // Bytes per decoded token: 2 of 8 experts' matrices, not all of them.
  uint64_t expert = 0, all = 0;
  for (auto* v : {&L.gate_exps, &L.up_exps, &L.down_exps}) expert += (*v)[0].row_bytes * static_cast<uint64_t>((*v)[0].rows);
  for (const auto& layer : m->layers())
    for (const weight* w : layer.matrices()) all += w->row_bytes * static_cast<uint64_t>(w->rows);
  uint64_t head = m->output().row_bytes * static_cast<uint64_t>(h.n_vocab) + m->token_embd().row_bytes;
  EXPECT_EQ(m->weight_bytes_per_token(), all + head - 2 * 6 * expert); // 2 layers, 6 of 8 experts unread
  EXPECT_LT(reference_gap(m), 2e-2); // q8_0: the reference dequantizes, the kernels quantize activations
  EXPECT_LT(reference_gap(synth("tiny-qwen3moe", "f32")), 1e-4);
}

TEST(Arch, KvCacheTypesAgree) {
  // F16 (the default) and F32 caches: the same logits within F16's rounding; each against
  // its scalar reference; F16 holds half the bytes.
  auto m = synth("tiny-qwen3", "f32");
  ASSERT_TRUE(m);
  std::vector<int32_t> ids = {1, 40, 300, 301, 7, 99, 512, 3, 17, 200};
  auto logits = [&](kv_cache_type kv, bool reference) {
    context_params p;
    p.n_ctx = 64;
    p.kv_type = kv;
    p.reference = reference;
    auto c = context::create(m, p);
    EXPECT_TRUE(c);
    auto l = (*c)->decode(ids.data(), static_cast<int>(ids.size()));
    EXPECT_TRUE(l);
    return std::vector<float>(*l, *l + m->hp().n_vocab);
  };
  auto gap = [](const std::vector<float>& a, const std::vector<float>& b) {
    double d = 0, lo = 1e30, hi = -1e30;
    for (size_t i = 0; i < a.size(); ++i) d = std::max<double>(d, std::fabs(a[i] - b[i])), lo = std::min<double>(lo, b[i]), hi = std::max<double>(hi, b[i]);
    return d / (hi - lo);
  };
  auto f16 = logits(kv_cache_type::f16, false), f32 = logits(kv_cache_type::f32, false);
  EXPECT_LT(gap(f16, logits(kv_cache_type::f16, true)), 1e-4);
  EXPECT_LT(gap(f32, logits(kv_cache_type::f32, true)), 1e-4);
  EXPECT_LT(gap(f16, f32), 5e-3);
  EXPECT_GT(gap(f16, f32), 0.0); // the cache's type is in effect
  kv_cache_type t;
  EXPECT_TRUE(parse_kv_cache_type("f32", t) && t == kv_cache_type::f32);
  EXPECT_FALSE(parse_kv_cache_type("q8_0", t));
}

TEST(Arch, GptOssHarmonyVocabulary) {
  // <|end|> closes a message, not the answer: <|return|> and <|call|> end generation; the
  // channel markers come out as text for the API to split.
  std::string path = rbee::test::temp_dir() + "/oss.gguf";
  ASSERT_TRUE(synth_model("tiny-gpt-oss", "q8_0", path, 3));
  auto f = gguf_file::open(path);
  ASSERT_TRUE(f);
  auto tok = tokenizer::from_gguf(**f);
  ASSERT_TRUE(tok);
  EXPECT_TRUE((*tok)->harmony());
  auto id = [&](const char* s) { return (*tok)->encode(s, false, true).at(0); };
  EXPECT_FALSE((*tok)->is_eog(id("<|end|>")));
  EXPECT_TRUE((*tok)->is_eog(id("<|return|>")));
  EXPECT_TRUE((*tok)->is_eog(id("<|call|>")));
  EXPECT_EQ((*tok)->piece(id("<|channel|>")), "<|channel|>");
  EXPECT_EQ(detect_chat_family((*f)->opt_string("tokenizer.chat_template", "")), chat_family::harmony);
  // Another vocabulary keeps its control tokens out of the text and <|end|> as an end.
  std::string phi = rbee::test::temp_dir() + "/phi.gguf";
  ASSERT_TRUE(synth_model("tiny-phi4", "q8_0", phi, 3));
  auto g = gguf_file::open(phi);
  auto t2 = tokenizer::from_gguf(**g);
  ASSERT_TRUE(t2);
  EXPECT_FALSE((*t2)->harmony());
  auto end = (*t2)->encode("<|end|>", false, true).at(0);
  EXPECT_TRUE((*t2)->is_eog(end));
  EXPECT_EQ((*t2)->piece(end), "");
}

namespace {

/// A copy of the GGUF file at `path` with metadata `key` replaced (or added) by what `set` writes.
std::string rewritten(const std::string& path, const std::string& key, const std::function<void(gguf_writer&)>& set) {
  auto f = gguf_file::open(path);
  EXPECT_TRUE(f);
  gguf_writer w;
  for (auto& k : (*f)->keys()) {
    if (k == key) continue;
    auto* v = (*f)->find(k);
    w.add_raw(k, static_cast<uint32_t>(v->type), v->raw, v->size);
  }
  set(w);
  for (auto& t : (*f)->tensors()) {
    const gguf_tensor* src = &t;
    w.add_tensor(t.name, t.type, t.ne, [src](uint8_t* dst, size_t bytes) { std::memcpy(dst, src->data, std::min<uint64_t>(bytes, src->bytes)); });
  }
  std::string out = path + ".bad.gguf";
  EXPECT_TRUE(w.write(out));
  return out;
}

std::string load_error(const std::string& path) {
  auto m = model::load(path);
  return m ? "" : m.error();
}

} // namespace

TEST(Arch, HostileMetadataOfTheNewArchitecturesIsNamed) {
  const std::string dir = rbee::test::temp_dir();
  ASSERT_TRUE(synth_model("tiny-phi3", "f32", dir + "/phi.gguf", 3));
  ASSERT_TRUE(synth_model("tiny-gpt-oss", "f32", dir + "/oss.gguf", 3));
  ASSERT_TRUE(synth_model("tiny-qwen3moe", "f32", dir + "/moe.gguf", 3));
  ASSERT_TRUE(synth_model("tiny-qwen3", "f32", dir + "/qwen3.gguf", 3));
  auto u32 = [](const std::string& k, uint32_t v) { return [k, v](gguf_writer& w) { w.add_u32(k, v); }; };
  auto f32 = [](const std::string& k, float v) { return [k, v](gguf_writer& w) { w.add_f32(k, v); }; };
  auto str = [](const std::string& k, std::string v) { return [k, v](gguf_writer& w) { w.add_string(k, v); }; };
  struct bad {
    std::string file, key;
    std::function<void(gguf_writer&)> set;
    std::string says;
  };
  const std::vector<bad> cases = {
    {"moe", "qwen3moe.expert_used_count", u32("qwen3moe.expert_used_count", 9), "expert_used_count"}, // more than 8 experts
    {"moe", "qwen3moe.expert_used_count", u32("qwen3moe.expert_used_count", 0), "expert_used_count"},
    {"moe", "qwen3moe.expert_count", u32("qwen3moe.expert_count", 5000), "expert_count"},
    {"moe", "qwen3moe.expert_gating_func", u32("qwen3moe.expert_gating_func", 3), "expert_gating_func 3"},
    {"moe", "qwen3moe.expert_feed_forward_length", u32("qwen3moe.expert_feed_forward_length", 64), "ffn_gate_exps"}, // shape
    {"phi", "phi3.rope.dimension_count", u32("phi3.rope.dimension_count", 47), "partial rotary"},  // odd
    {"phi", "phi3.rope.dimension_count", u32("phi3.rope.dimension_count", 96), "partial rotary"},  // past the head
    {"qwen3", "qwen3.rope.dimension_count", u32("qwen3.rope.dimension_count", 64), "not supported for qwen3"},
    {"phi", "phi3.rope.scaling.attn_factor", f32("phi3.rope.scaling.attn_factor", 1e9f), "attn_factor out of range"},
    {"phi", "phi3.rope.scaling.attn_factor", f32("phi3.rope.scaling.attn_factor", -1.f), "attn_factor out of range"},
    {"oss", "gpt-oss.rope.scaling.factor", f32("gpt-oss.rope.scaling.factor", 0.5f), "rope.scaling.factor out of range"},
    {"oss", "gpt-oss.rope.scaling.type", str("gpt-oss.rope.scaling.type", "longrope"), "rope scaling 'longrope'"},
    {"oss", "gpt-oss.rope.scaling.yarn_beta_fast", f32("gpt-oss.rope.scaling.yarn_beta_fast", -3.f), "yarn_beta"},
    {"oss", "gpt-oss.attention.sliding_window", u32("gpt-oss.attention.sliding_window", 0), "sliding_window"},
  };
  for (auto& c : cases) {
    auto e = load_error(rewritten(dir + "/" + c.file + ".gguf", c.key, c.set));
    EXPECT_NE(e.find(c.says), std::string::npos) << c.key << ": " << e;
  }
  // A LongRoPE original context of 0 or absurd falls back to the training context; YaRN from a
  // tiny one still loads (its ramp clamps) and runs to finite logits.
  auto tiny_orig = rewritten(dir + "/oss.gguf", "gpt-oss.rope.scaling.original_context_length",
                             u32("gpt-oss.rope.scaling.original_context_length", 1));
  auto m = model::load(tiny_orig);
  ASSERT_TRUE(m) << m.error();
  auto c = context::create(*m, {.n_ctx = 32});
  ASSERT_TRUE(c);
  int32_t id = 5;
  auto l = (*c)->decode(&id, 1);
  ASSERT_TRUE(l);
  for (int i = 0; i < (*m)->hp().n_vocab; ++i) ASSERT_TRUE(std::isfinite((*l)[i]));
}

