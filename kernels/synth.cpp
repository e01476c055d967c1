#include "kernels/synth.hpp"

#include "kernels/gguf_writer.hpp"
#include "kernels/synth_vocab.hpp"

#include <cmath>
#include <cstring>
#include <set>

namespace rbee::kernels {

namespace {

struct shape {
  std::string name, arch, tokenizer, pre;
  int n_embd, n_ff, n_layer, n_head, n_head_kv, n_vocab, n_ctx;
  float rope_base;
  bool tied, qkv_bias, llama3_rope;
  int head_dim = 0;     ///< 0: n_embd / n_head
  bool qk_norm = false; ///< qwen3's and gemma3's per-head Q/K RMS norms
  int swa_window = 0;   ///< gemma3: the sliding layers' window
  int rope_dims = 0;    ///< phi3: the rotated part of a head (0: all of it)
  int n_ctx_orig = 0;   ///< phi3: LongRoPE's original context (short factors up to it)
  int n_expert = 0, n_expert_used = 0, n_ff_exp = 0; ///< qwen3moe, gpt-oss
  float yarn_factor = 0;  ///< gpt-oss: YaRN from n_ctx_orig (then not LongRoPE)
};

const std::vector<shape>& shapes() {
  static const std::vector<shape> s = {
    {"tiny", "llama", "llama", "", 256, 512, 2, 4, 2, 512, 512, 10000.f, false, false, false},
    {"tiny-qwen2", "qwen2", "gpt2", "qwen2", 256, 512, 2, 4, 2, 1024, 512, 1000000.f, true, true, false},
    {"tiny-llama3", "llama", "gpt2", "llama-bpe", 256, 512, 2, 4, 2, 1024, 512, 500000.f, true, false, true},
    {"stories15m", "llama", "llama", "", 288, 768, 6, 6, 6, 32000, 256, 10000.f, false, false, false},
    {"stories110m", "llama", "llama", "", 768, 2048, 12, 12, 12, 32000, 1024, 10000.f, false, false, false},
    {"tinyllama-1.1b", "llama", "llama", "", 2048, 5632, 22, 32, 4, 32000, 2048, 10000.f, false, false, false},
    {"llama-3.2-1b", "llama", "gpt2", "llama-bpe", 2048, 8192, 16, 32, 8, 128256, 131072, 500000.f, true, false, true},
    {"qwen2.5-0.5b", "qwen2", "gpt2", "qwen2", 896, 4864, 24, 14, 2, 151936, 32768, 1000000.f, true, true, false},
    // Qwen3: head_dim 128 whatever n_embd / n_head (so Q is wider than the residual), Q/K norms.
    {"tiny-qwen3", "qwen3", "gpt2", "qwen2", 256, 512, 2, 4, 2, 1024, 512, 1000000.f, true, false, false, 128, true},
    {"qwen3-0.6b", "qwen3", "gpt2", "qwen2", 1024, 3072, 28, 16, 8, 151936, 40960, 1000000.f, true, false, false, 128, true},
    {"qwen3-4b", "qwen3", "gpt2", "qwen2", 2560, 9728, 36, 32, 8, 151936, 40960, 1000000.f, true, false, false, 128, true},
    // Gemma 3: five sliding-window layers to one global (7 layers here: both kinds, a window of
    // 8 positions that a test's sequence outgrows), post-norms, GELU, scaled embeddings.
    {"tiny-gemma3", "gemma3", "llama", "", 256, 512, 7, 4, 1, 1024, 512, 1000000.f, true, false, false, 64, true, 8},
    {"gemma3-1b", "gemma3", "llama", "", 1152, 6912, 26, 4, 1, 262144, 32768, 1000000.f, true, false, false, 256, true, 512},
    // Phi-3/4: fused QKV and gate/up tensors, 3/4 of each head rotated, LongRoPE factors (the
    // tiny ones' original context, 256, is below a test's 512: the long factors apply).
    {"tiny-phi3", "phi3", "llama", "", 256, 512, 2, 4, 2, 1024, 2048, 10000.f, false, false, false, 64, false, 0, 48, 256},
    {"tiny-phi4", "phi3", "gpt2", "gpt-4o", 256, 512, 2, 4, 2, 1024, 2048, 10000.f, true, false, false, 64, false, 0, 48, 256},
    {"phi4-mini", "phi3", "gpt2", "gpt-4o", 3072, 8192, 32, 24, 8, 200064, 131072, 10000.f, true, false, false, 128, false, 0, 96, 4096},
    // Qwen3 MoE: a router picks n_expert_used of n_expert experts per token.
    {"tiny-qwen3moe", "qwen3moe", "gpt2", "qwen2", 256, 512, 2, 4, 2, 1024, 512, 1000000.f, true, false, false, 64, true, 0, 0, 0, 8, 2, 128},
    {"qwen3-30b-a3b", "qwen3moe", "gpt2", "qwen2", 2048, 6144, 48, 32, 4, 151936, 40960, 1000000.f, true, false, false, 128, true, 0, 0, 0, 128, 8, 768},
    // gpt-oss: biases everywhere, attention sinks, every other layer sliding, YaRN, 4 of 32 experts
    // (tiny: a window of 8 and an original context of 256, so a test's 512 positions use both).
    {"tiny-gpt-oss", "gpt-oss", "gpt2", "gpt-4o", 256, 256, 2, 4, 2, 1024, 4096, 150000.f, false, true, false, 64, false, 8, 0, 256, 8, 2, 128, 16.f},
    {"gpt-oss-20b", "gpt-oss", "gpt2", "gpt-4o", 2880, 2880, 24, 64, 8, 201088, 131072, 150000.f, false, true, false, 64, false, 128, 0, 4096, 32, 4, 2880, 32.f},
  };
  return s;
}

/// Fast deterministic normal-ish numbers (sum of uniforms), scaled.
struct rng {
  uint64_t s;
  uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  float normal() {
    float a = 0;
    for (int i = 0; i < 4; ++i) a += static_cast<float>(next() >> 40) / static_cast<float>(1ull << 24);
    return (a - 2.f) * 1.7320508f; // variance 1
  }
};

/// The type of a 2-D weight for a file type (llama.cpp's Q4_K_M mix, simplified).
dtype pick(const std::string& type, const std::string& tensor, int layer, int n_layer, uint64_t cols) {
  dtype t;
  if (type == "f32") t = dtype::f32;
  else if (type == "f16") t = dtype::f16;
  else if (type == "q8_0") t = dtype::q8_0;
  else if (type == "q4_0") t = dtype::q4_0;
  else if (type == "q4_1") t = dtype::q4_1;
  else if (type == "q5_0") t = dtype::q5_0;
  else if (type == "q5_1") t = dtype::q5_1;
  else if (type == "q2_k") t = dtype::q2_k;
  else if (type == "q3_k") t = dtype::q3_k;
  else if (type == "iq4_nl") t = dtype::iq4_nl;
  else if (type == "iq4_xs") t = dtype::iq4_xs;
  else if (type == "mxfp4") t = dtype::mxfp4;
  else {
    bool more_bits = layer >= 0 && (layer < n_layer / 8 || layer >= 7 * n_layer / 8 || (layer - n_layer / 8) % 3 == 2);
    if (tensor == "output") t = dtype::q6_k;
    else if ((tensor == "attn_v" || tensor == "ffn_down") && more_bits) t = dtype::q6_k;
    else t = dtype::q4_k;
  }
  if (cols % info(t).block) t = cols % 32 ? dtype::f16 : dtype::q8_0; // a shape the type cannot hold
  return t;
}

} // namespace

std::vector<std::string> synth_shapes() {
  std::vector<std::string> out;
  for (auto& s : shapes()) out.push_back(s.name);
  return out;
}

std::vector<std::string> synth_types() {
  return {"f32", "f16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q4_k_m", "q2_k", "q3_k", "iq4_nl", "iq4_xs", "mxfp4"};
}

result<bool> synth_model(const std::string& shape_name, const std::string& type, const std::string& out,
                         uint64_t seed, int layers) {
  const shape* found = nullptr;
  for (auto& x : shapes())
    if (x.name == shape_name) found = &x;
  if (!found) {
    std::string names;
    for (auto& n : synth_shapes()) names += (names.empty() ? "" : ", ") + n;
    return result<bool>::failure("unknown shape '" + shape_name + "' (" + names + ")");
  }
  if (layers < 0 || layers > found->n_layer)
    return result<bool>::failure(shape_name + " has " + std::to_string(found->n_layer) + " layers; --layers " +
                                 std::to_string(layers) + " is out of range");
  shape cut = *found;
  if (layers > 0) cut.n_layer = layers; // the first N layers of the real shape
  const shape* s = &cut;
  bool type_ok = false;
  for (auto& t : synth_types()) type_ok = type_ok || t == type;
  if (!type_ok) {
    std::string names;
    for (auto& t : synth_types()) names += (names.empty() ? "" : ", ") + t;
    return result<bool>::failure("unknown type '" + type + "' (" + names + ")");
  }
  return guarded([&] {
    gguf_writer w;
    const std::string a = s->arch + ".";
    w.add_string("general.architecture", s->arch);
    w.add_string("general.name", "rbee synthetic " + s->name + " " + type);
    w.add_u32(a + "context_length", static_cast<uint32_t>(s->n_ctx));
    w.add_u32(a + "embedding_length", static_cast<uint32_t>(s->n_embd));
    w.add_u32(a + "feed_forward_length", static_cast<uint32_t>(s->n_ff));
    w.add_u32(a + "block_count", static_cast<uint32_t>(s->n_layer));
    w.add_u32(a + "attention.head_count", static_cast<uint32_t>(s->n_head));
    w.add_u32(a + "attention.head_count_kv", static_cast<uint32_t>(s->n_head_kv));
    w.add_f32(a + "attention.layer_norm_rms_epsilon", 1e-5f);
    w.add_f32(a + "rope.freq_base", s->rope_base);
    if (s->swa_window || s->arch == "phi3") w.add_u32(a + "attention.sliding_window", static_cast<uint32_t>(s->swa_window));
    if (s->rope_dims) w.add_u32(a + "rope.dimension_count", static_cast<uint32_t>(s->rope_dims));
    if (s->yarn_factor > 0) {
      w.add_string(a + "rope.scaling.type", "yarn");
      w.add_f32(a + "rope.scaling.factor", s->yarn_factor);
      w.add_u32(a + "rope.scaling.original_context_length", static_cast<uint32_t>(s->n_ctx_orig));
    } else if (s->n_ctx_orig) { // LongRoPE: its attention factor as Phi's converter computes it
      double scale = static_cast<double>(s->n_ctx) / s->n_ctx_orig;
      w.add_u32(a + "rope.scaling.original_context_length", static_cast<uint32_t>(s->n_ctx_orig));
      w.add_f32(a + "rope.scaling.attn_factor", static_cast<float>(std::sqrt(1 + std::log(scale) / std::log(s->n_ctx_orig))));
    }
    if (s->n_expert) {
      w.add_u32(a + "expert_count", static_cast<uint32_t>(s->n_expert));
      w.add_u32(a + "expert_used_count", static_cast<uint32_t>(s->n_expert_used));
      w.add_u32(a + "expert_feed_forward_length", static_cast<uint32_t>(s->n_ff_exp));
    }
    if (s->head_dim) {
      w.add_u32(a + "attention.key_length", static_cast<uint32_t>(s->head_dim));
      w.add_u32(a + "attention.value_length", static_cast<uint32_t>(s->head_dim));
    }
    if (s->tokenizer == "llama" && s->arch == "phi3") // Phi-3's chat tokens after SentencePiece's
      add_spm_vocab(w, s->n_vocab, {"<|endoftext|>", "<|assistant|>", "<|system|>", "<|end|>", "<|user|>"});
    else if (s->tokenizer == "llama") add_spm_vocab(w, s->n_vocab);
    else add_bpe_vocab(w, s->arch == "gpt-oss" ? "harmony" : s->pre, s->n_vocab);
    if (s->arch == "gpt-oss") // the markers rbee recognizes harmony's template by (not its whole Jinja)
      w.add_string("tokenizer.chat_template", "<|start|>{{ role }}<|channel|>{{ channel }}<|message|>{{ content }}<|end|>");
    if (s->arch == "gemma3") w.add_bool("tokenizer.ggml.add_space_prefix", false); // Gemma's SentencePiece adds none
    const uint64_t d = static_cast<uint64_t>(s->n_embd), ff = static_cast<uint64_t>(s->n_ff);
    const uint64_t hd = s->head_dim ? static_cast<uint64_t>(s->head_dim) : d / static_cast<uint64_t>(s->n_head);
    const uint64_t kv = hd * static_cast<uint64_t>(s->n_head_kv), qd = hd * static_cast<uint64_t>(s->n_head);
    auto random = [seed](uint64_t salt, float scale) {
      return [seed, salt, scale](dtype t, uint64_t cols) {
        return [=](uint8_t* dst, size_t bytes) {
          rng r{seed * 0x9E3779B97F4A7C15ull + salt * 0xBF58476D1CE4E5B9ull + 1};
          std::vector<float> row(cols);
          size_t rb = row_bytes(t, cols);
          for (size_t off = 0; off + rb <= bytes; off += rb) {
            for (auto& x : row) x = r.normal() * scale;
            quantize_row(t, row.data(), dst + off, cols);
          }
        };
      };
    };
    uint64_t salt = 0;
    auto mat = [&](const std::string& name, const std::string& kind, int layer, uint64_t cols, uint64_t rows) {
      // MXFP4 files of a mixture of experts (gpt-oss's) hold only the experts in MXFP4, the rest in 8 bits.
      dtype t = type == "mxfp4" && s->n_expert ? pick("q8_0", kind, layer, s->n_layer, cols) : pick(type, kind, layer, s->n_layer, cols);
      w.add_tensor(name, t, {cols, rows}, random(++salt, 0.02f)(t, cols));
    };
    auto ones = [&](const std::string& name, uint64_t n) {
      w.add_tensor_f32(name, dtype::f32, {n}, std::vector<float>(n, 1.f));
    };
    mat("token_embd.weight", "token_embd", -1, d, static_cast<uint64_t>(s->n_vocab));
    ones("output_norm.weight", d);
    if (!s->tied) mat("output.weight", "output", -1, d, static_cast<uint64_t>(s->n_vocab));
    if (s->llama3_rope) { // Llama 3.1 rope scaling as per-dimension divisors (factor 32, low 1, high 4, 8192)
      std::vector<float> f(hd / 2);
      for (size_t i = 0; i < f.size(); ++i) {
        double freq = std::pow(s->rope_base, -2.0 * i / hd), wavelen = 2 * M_PI / freq;
        double lo = 8192.0 / 1, hi = 8192.0 / 4;
        if (wavelen < hi) f[i] = 1.f;
        else if (wavelen > lo) f[i] = 32.f;
        else {
          double smooth = (8192.0 / wavelen - 1) / (4 - 1);
          f[i] = static_cast<float>(1 / ((1 - smooth) / 32 + smooth));
        }
      }
      w.add_tensor_f32("rope_freqs.weight", dtype::f32, {hd / 2}, f);
    }
    if (s->n_ctx_orig && s->yarn_factor == 0) { // LongRoPE's per-pair divisors: near 1 within the original context, up to ~30 past it
      const uint64_t half = static_cast<uint64_t>(s->rope_dims) / 2;
      std::vector<float> shortf(half), longf(half);
      for (uint64_t i = 0; i < half; ++i) {
        float x = static_cast<float>(i) / static_cast<float>(half);
        shortf[i] = 1.f + 0.05f * x;
        longf[i] = 1.f + 30.f * x * x;
      }
      w.add_tensor_f32("rope_factors_short.weight", dtype::f32, {half}, shortf);
      w.add_tensor_f32("rope_factors_long.weight", dtype::f32, {half}, longf);
    }
    const bool phi = s->arch == "phi3";
    const uint64_t ne = static_cast<uint64_t>(s->n_expert), fe = static_cast<uint64_t>(s->n_ff_exp);
    // n_expert matrices stacked in one 3-D tensor, each drawn as a 2-D one.
    auto experts = [&](const std::string& name, const std::string& kind, int layer, uint64_t cols, uint64_t rows) {
      dtype t = pick(type, kind, layer, s->n_layer, cols);
      w.add_tensor(name, t, {cols, rows, ne}, random(++salt, 0.02f)(t, cols));
    };
    for (int l = 0; l < s->n_layer; ++l) {
      std::string p = "blk." + std::to_string(l) + ".";
      const bool oss = s->arch == "gpt-oss";
      ones(p + "attn_norm.weight", d);
      ones(p + (oss ? "post_attention_norm.weight" : "ffn_norm.weight"), d); // gpt-oss's name for the FFN's pre-norm
      if (phi) {
        mat(p + "attn_qkv.weight", "attn_qkv", l, d, qd + 2 * kv);
      } else {
        mat(p + "attn_q.weight", "attn_q", l, d, qd);
        mat(p + "attn_k.weight", "attn_k", l, d, kv);
        mat(p + "attn_v.weight", "attn_v", l, d, kv);
      }
      mat(p + "attn_output.weight", "attn_output", l, qd, d);
      // Small varied biases and sinks: one applied twice, or not at all, shows.
      auto varied = [&](const std::string& name, std::vector<uint64_t> ne2, float scale) {
        uint64_t n = 1;
        for (auto x : ne2) n *= x;
        std::vector<float> v(n);
        for (uint64_t i = 0; i < n; ++i) v[i] = scale * static_cast<float>(static_cast<int>((i * 37 + l * 11) % 17) - 8) / 8.f;
        w.add_tensor_f32(name, dtype::f32, std::move(ne2), std::move(v));
      };
      if (oss) {
        varied(p + "attn_output.bias", {d}, 0.02f);
        varied(p + "attn_sinks.weight", {static_cast<uint64_t>(s->n_head)}, 2.f);
      }
      if (ne) {
        // The router stays F32 (as llama.cpp's quantize keeps it), with decisive logits.
        w.add_tensor(p + "ffn_gate_inp.weight", dtype::f32, {d, ne}, random(++salt, 0.1f)(dtype::f32, d));
        experts(p + "ffn_gate_exps.weight", "ffn_gate", l, d, fe);
        experts(p + "ffn_up_exps.weight", "ffn_up", l, d, fe);
        experts(p + "ffn_down_exps.weight", "ffn_down", l, fe, d);
        if (oss) {
          varied(p + "ffn_gate_inp.bias", {ne}, 0.5f);
          varied(p + "ffn_gate_exps.bias", {fe, ne}, 0.05f);
          varied(p + "ffn_up_exps.bias", {fe, ne}, 0.05f);
          varied(p + "ffn_down_exps.bias", {d, ne}, 0.05f);
        }
      } else if (phi) {
        mat(p + "ffn_up.weight", "ffn_up", l, d, 2 * ff);
        mat(p + "ffn_down.weight", "ffn_down", l, ff, d);
      } else {
        mat(p + "ffn_gate.weight", "ffn_gate", l, d, ff);
        mat(p + "ffn_up.weight", "ffn_up", l, d, ff);
        mat(p + "ffn_down.weight", "ffn_down", l, ff, d);
      }
      if (s->qkv_bias) {
        w.add_tensor_f32(p + "attn_q.bias", dtype::f32, {qd}, std::vector<float>(qd, 0.01f));
        w.add_tensor_f32(p + "attn_k.bias", dtype::f32, {kv}, std::vector<float>(kv, 0.01f));
        w.add_tensor_f32(p + "attn_v.bias", dtype::f32, {kv}, std::vector<float>(kv, 0.01f));
      }
      if (s->qk_norm) { // not all ones: a norm applied to the wrong rows or not at all shows
        std::vector<float> qn(hd), kn(hd);
        for (uint64_t i = 0; i < hd; ++i) {
          qn[i] = 0.5f + static_cast<float>((i * 7 + l) % 11) / 10.f;
          kn[i] = 1.5f - static_cast<float>((i * 5 + l) % 13) / 13.f;
        }
        w.add_tensor_f32(p + "attn_q_norm.weight", dtype::f32, {hd}, qn);
        w.add_tensor_f32(p + "attn_k_norm.weight", dtype::f32, {hd}, kn);
      }
      if (s->arch == "gemma3") {
        ones(p + "post_attention_norm.weight", d);
        ones(p + "post_ffw_norm.weight", d);
      }
    }
    auto r = w.write(out);
    if (!r) throw kernel_error(r.error());
    return true;
  });
}

} // namespace rbee::kernels
