// The hyper-parameters of each architecture as llama.cpp reads them: dimensions,
// rope (partial rotation, linear and YaRN scaling, LongRoPE's factor), sliding windows,
// experts and their gating.
#include "kernels/model_hparams.hpp"

#include <algorithm>
#include <cmath>

namespace rbee::kernels {

namespace {

int positive(const gguf_file& f, const std::string& key, uint64_t limit) {
  uint64_t v = f.get_uint(key);
  if (v == 0 || v > limit) throw kernel_error("metadata '" + key + "' = " + std::to_string(v) + " is out of range");
  return static_cast<int>(v);
}

} // namespace

hparams read_hparams(const gguf_file& f) {
  hparams h;
  h.arch_name = f.get_string("general.architecture");
  if (h.arch_name == "llama") {
    h.architecture = arch::llama;
    h.rope = rope_style::normal;
  } else if (h.arch_name == "qwen2") {
    h.architecture = arch::qwen2;
    h.rope = rope_style::neox;
  } else if (h.arch_name == "qwen3") {
    h.architecture = arch::qwen3;
    h.rope = rope_style::neox;
  } else if (h.arch_name == "qwen3moe") {
    h.architecture = arch::qwen3moe;
    h.rope = rope_style::neox;
  } else if (h.arch_name == "gpt-oss") {
    h.architecture = arch::gpt_oss;
    h.rope = rope_style::neox;
  } else if (h.arch_name == "phi3") {
    h.architecture = arch::phi3;
    h.rope = rope_style::neox;
  } else if (h.arch_name == "gemma3") {
    h.architecture = arch::gemma3;
    h.rope = rope_style::neox;
    h.gelu = true;
  } else {
    throw kernel_error("architecture '" + h.arch_name + "' is not supported (" + supported_architectures() + " are)");
  }
  const std::string a = h.arch_name + ".";
  h.n_embd = positive(f, a + "embedding_length", 1 << 16);
  h.n_ff = positive(f, a + "feed_forward_length", 1 << 18);
  h.n_layer = positive(f, a + "block_count", 1024);
  h.n_head = positive(f, a + "attention.head_count", 1024);
  h.n_head_kv = f.find(a + "attention.head_count_kv") ? positive(f, a + "attention.head_count_kv", 1024) : h.n_head;
  h.n_ctx_train = positive(f, a + "context_length", 1 << 24);
  if (h.n_embd % h.n_head) throw kernel_error("embedding_length is not a multiple of head_count");
  if (h.n_head % h.n_head_kv) throw kernel_error("head_count is not a multiple of head_count_kv");
  h.head_dim = f.find(a + "attention.key_length") ? positive(f, a + "attention.key_length", 1024) : h.n_embd / h.n_head;
  if (h.head_dim % 2) throw kernel_error("the head dimension must be even");
  uint64_t rope_dim = f.opt_uint(a + "rope.dimension_count", static_cast<uint64_t>(h.head_dim));
  // Phi rotates a part of each head (Phi-4-mini: 96 of 128); the others rotate it all.
  bool partial_ok = h.architecture == arch::phi3 && rope_dim > 0 && rope_dim % 2 == 0;
  if (rope_dim != static_cast<uint64_t>(h.head_dim) && !(partial_ok && rope_dim < static_cast<uint64_t>(h.head_dim)))
    throw kernel_error("partial rotary embeddings (rope.dimension_count " + std::to_string(rope_dim) + " of " +
                       std::to_string(h.head_dim) + ") are not supported for " + h.arch_name);
  h.n_rot = static_cast<int>(rope_dim);
  h.rope_mscale = static_cast<float>(f.opt_float(a + "rope.scaling.attn_factor", 1.0));
  if (!(h.rope_mscale > 0 && h.rope_mscale < 16)) throw kernel_error("rope.scaling.attn_factor out of range");
  h.n_ctx_orig = static_cast<int>(f.opt_uint(a + "rope.scaling.original_context_length", 0));
  if (h.n_ctx_orig <= 0 || h.n_ctx_orig > (1 << 24)) h.n_ctx_orig = h.n_ctx_train;
  if (h.architecture == arch::qwen3moe || h.architecture == arch::gpt_oss) {
    h.n_expert = positive(f, a + "expert_count", 4096);
    h.n_expert_used = positive(f, a + "expert_used_count", static_cast<uint64_t>(h.n_expert));
    h.n_ff_exp = positive(f, a + "expert_feed_forward_length", 1 << 18);
    uint64_t gating = f.opt_uint(a + "expert_gating_func", 1); // llama.cpp: 1 softmax, 2 sigmoid
    if (gating != 1 && gating != 2) throw kernel_error("expert_gating_func " + std::to_string(gating) + " is not supported");
    h.expert_gating = gating == 2 ? hparams::gating::sigmoid : hparams::gating::softmax;
  }
  if (h.architecture == arch::gpt_oss) { // as llama.cpp runs it: every other layer slides, the same rope base
    h.expert_gating = hparams::gating::softmax_weight;
    h.swiglu_oai = true;
    h.swa_window = positive(f, a + "attention.sliding_window", 1 << 24);
    h.swa_pattern = 2;
  }
  h.rms_eps = static_cast<float>(f.opt_float(a + "attention.layer_norm_rms_epsilon", 1e-5));
  if (h.architecture == arch::gemma3) {
    // As llama.cpp reads Gemma 3: embeddings scaled by sqrt(n_embd); five sliding-window
    // layers (rope base 10000) to one global; Q scaled by 1/sqrt(head_dim), except the
    // 27B (62 layers), whose query_pre_attn_scalar is n_embd / n_head.
    h.embd_scale = std::sqrt(static_cast<float>(h.n_embd));
    h.swa_window = static_cast<int>(f.opt_uint(a + "attention.sliding_window", 0));
    if (h.swa_window < 0 || h.swa_window > (1 << 24)) throw kernel_error("attention.sliding_window out of range");
    h.swa_pattern = h.swa_window > 0 ? 6 : 0;
    h.attn_scale = 1.f / std::sqrt(static_cast<float>(h.n_layer == 62 ? h.n_embd / h.n_head : h.head_dim));
    if (f.opt_float(a + "final_logit_softcapping", 0.0) != 0.0 || f.opt_float(a + "attn_logit_softcapping", 0.0) != 0.0)
      throw kernel_error("logit soft-capping (Gemma 2) is not supported");
  }
  h.rope_base = static_cast<float>(f.opt_float(a + "rope.freq_base", 10000.0));
  if (h.architecture == arch::gpt_oss) h.rope_base_swa = h.rope_base;
  if (!(h.rms_eps > 0 && h.rms_eps < 1) || !(h.rope_base > 1))
    throw kernel_error("rms epsilon or rope.freq_base out of range");
  std::string scaling = f.opt_string(a + "rope.scaling.type", "none");
  if (scaling == "linear" || scaling == "yarn") {
    double factor = f.opt_float(a + "rope.scaling.factor", 1.0);
    if (!(factor >= 1 && factor <= 1024)) throw kernel_error("rope.scaling.factor out of range");
    if (scaling == "linear") {
      h.rope_scale = static_cast<float>(1.0 / factor);
    } else if (factor > 1) { // YaRN, as llama.cpp computes its ramp (beta_fast 32, beta_slow 1 unless the file says)
      h.yarn = true;
      h.yarn_freq_scale = static_cast<float>(1.0 / factor);
      double fast = f.opt_float(a + "rope.scaling.yarn_beta_fast", 32.0), slow = f.opt_float(a + "rope.scaling.yarn_beta_slow", 1.0);
      if (!(fast > 0 && slow > 0 && fast < 1e4 && slow < 1e4)) throw kernel_error("rope.scaling.yarn_beta out of range");
      auto corr = [&](double beta) {
        return h.n_rot * std::log(h.n_ctx_orig / (beta * 2 * M_PI)) / (2 * std::log(static_cast<double>(h.rope_base)));
      };
      h.yarn_corr_low = static_cast<float>(std::max(0.0, std::floor(corr(fast))));
      h.yarn_corr_high = static_cast<float>(std::min(h.n_rot - 1.0, std::ceil(corr(slow))));
    }
  } else if (scaling != "none") {
    throw kernel_error("rope scaling '" + scaling + "' is not supported (linear and yarn are)");
  }
  return h;
}

} // namespace rbee::kernels
