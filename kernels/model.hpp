#pragma once
// A model's hyper-parameters and weights, read from a GGUF file (llama, qwen2, qwen3, gemma3,
// phi3, qwen3moe)
// and checked against each other before use. Weights stay in the mapping.

#include "kernels/cpu/huge_pages.hpp"
#include "kernels/gguf.hpp"

#include <memory>
#include <string>
#include <vector>

namespace rbee::kernels {

enum class arch { llama, qwen2, qwen3, gemma3, phi3, qwen3moe, gpt_oss };
enum class rope_style { normal, neox }; ///< pairs (2i, 2i+1) or (i, i + n_rot/2)

/// How the heads of Q and K are rotated at a position.
struct rope_spec {
  rope_style style = rope_style::normal;
  float base = 10000.f;
  int n_rot = 0;      ///< the leading dimensions rotated (0: the whole head); the rest pass through
  float mscale = 1.f; ///< the rotated dimensions are scaled by this (Phi's LongRoPE attention factor)
  const float* freq_factors = nullptr; ///< per-pair divisors of the frequency (n_rot / 2), or null
  // YaRN (rope.scaling.type yarn): pairs below corr_low keep their frequency, pairs above
  // corr_high take it times freq_scale, a linear ramp between; mscale grows by 0.1 ln(1/freq_scale).
  float freq_scale = 1.f;
  float corr_low = 0.f, corr_high = 0.f;
  bool yarn = false;
};

struct hparams {
  arch architecture = arch::llama;
  std::string arch_name;
  int n_vocab = 0;
  int n_embd = 0;
  int n_ff = 0;
  int n_layer = 0;
  int n_head = 0;
  int n_head_kv = 0;
  int head_dim = 0;
  int n_ctx_train = 0;
  float rms_eps = 1e-5f;
  float rope_base = 10000.f;
  float rope_scale = 1.f;  ///< linear scaling: positions are multiplied by this
  rope_style rope = rope_style::normal;
  int n_rot = 0;            ///< rotated dimensions of a head (phi3: a part of head_dim)
  float rope_mscale = 1.f;  ///< LongRoPE's attention factor on the rotated dimensions
  int n_ctx_orig = 0;       ///< the context LongRoPE's short factors (and YaRN) start from
  bool yarn = false;        ///< rope.scaling.type yarn: rope_yarn_* below apply
  float yarn_freq_scale = 1.f, yarn_corr_low = 0.f, yarn_corr_high = 0.f;
  // Gemma 3:
  float embd_scale = 1.f;  ///< token embeddings are multiplied by this (sqrt(n_embd))
  float attn_scale = 0.f;  ///< of Q·K (0: 1/sqrt(head_dim))
  bool gelu = false;       ///< feed-forward gelu(gate) * up instead of silu(gate) * up
  int swa_window = 0;      ///< sliding-window layers attend to this many positions (0: none)
  int swa_pattern = 0;     ///< every swa_pattern-th layer is global, the others slide
  float rope_base_swa = 10000.f; ///< the sliding layers' rope base
  // Mixture of experts (qwen3moe): each token's FFN is the weighted sum of n_expert_used
  // of n_expert experts, chosen by a router.
  int n_expert = 0, n_expert_used = 0, n_ff_exp = 0;
  enum class gating { softmax, sigmoid, softmax_weight };
  /// How the router's logits weigh the chosen experts: their softmax over all experts (then
  /// renormalized over the chosen), each one's sigmoid (renormalized), or (gpt-oss) the
  /// top logits chosen and a softmax over those alone.
  gating expert_gating = gating::softmax;
  bool swiglu_oai = false; ///< gpt-oss's expert activation: clamped, silu(1.702 x) * (up + 1)
  /// Whether layer `l` attends through the sliding window.
  bool sliding(int l) const { return swa_window > 0 && swa_pattern > 0 && l % swa_pattern < swa_pattern - 1; }
};

/// The architectures the engine runs, for messages: "llama, qwen2, ...".
std::string supported_architectures();

/// A 2-D weight: `rows` output rows of `cols` inputs each (GGUF ne = {cols, rows}).
struct weight {
  dtype type = dtype::f32;
  const uint8_t* data = nullptr;
  int rows = 0;
  int cols = 0;
  size_t row_bytes = 0;
  /// The same weights interleaved 8 rows at a time for the SIMD kernels
  /// (kernels/cpu/repack.hpp), or null; `data` stays the reference.
  const uint8_t* packed = nullptr;
  int packed_rows = 0; ///< rows per interleaved group (8, or 16 for AVX-512 Q4_0)
  const uint8_t* row(int r) const { return data + static_cast<size_t>(r) * row_bytes; }
};

struct layer_weights {
  std::vector<float> attn_norm, ffn_norm;
  std::vector<float> bq, bk, bv; ///< qwen2 attention biases (empty for llama)
  std::vector<float> q_norm, k_norm; ///< qwen3, gemma3: RMS norm weights (head_dim) of each Q and K head
  std::vector<float> attn_post_norm, ffn_post_norm; ///< gemma3: norms of the attention's and the FFN's outputs
  weight wq, wk, wv, wo, w_gate, w_up, w_down; ///< phi3: views of its fused QKV and gate/up tensors
  weight router;                                ///< qwen3moe, gpt-oss: n_expert rows of n_embd
  std::vector<weight> gate_exps, up_exps, down_exps; ///< each expert's matrices (views)
  // gpt-oss: biases of the output projection, the router and each expert's matrices
  // (n_expert x rows, expert-major), and each head's attention-sink logit.
  std::vector<float> bo, router_b, gate_exps_b, up_exps_b, down_exps_b, sinks;
  /// Every matrix of the layer (the dense ones that exist, then the experts').
  std::vector<const weight*> matrices() const;
  std::vector<weight*> matrices();
};

class model {
public:
  /// Opens, validates and maps a model; the error names what is wrong.
  /// `for_cpu` false (a model for a GPU): the weights are not interleaved for the CPU
  /// kernels — the GPU backend uploads the file's layout — which saves RAM and time.
  static result<std::shared_ptr<model>> load(const std::string& path, bool for_cpu = true);
  /// The same from an already validated GGUF file.
  static result<std::shared_ptr<model>> from_gguf(std::shared_ptr<gguf_file> f, bool for_cpu = true);

  const hparams& hp() const { return hp_; }
  const gguf_file& file() const { return *file_; }
  const weight& token_embd() const { return tok_embd_; }
  const weight& output() const { return output_; }
  const std::vector<float>& output_norm() const { return output_norm_; }
  const std::vector<layer_weights>& layers() const { return layers_; }
  /// Per-pair rope frequency divisors for a context of `n_ctx` positions (null: none): Llama 3's,
  /// or Phi's LongRoPE short factors up to its original context and long ones past it.
  const float* rope_factors(int n_ctx) const;
  /// Bytes of weights read to decode one token (every matrix once).
  uint64_t weight_bytes_per_token() const;
  /// Multiply-accumulates of the weight matrices for one token (a mixture of experts: the
  /// chosen experts'), with or without the output head (a prompt's tokens but its last one
  /// skip it); attention over the cache comes on top.
  uint64_t macs_per_token(bool with_output = true) const;

private:
  model() = default;
  void load_tensors();
  void pack_weights();

  std::shared_ptr<gguf_file> file_;
  hparams hp_;
  weight tok_embd_, output_;
  std::vector<float> output_norm_, rope_freqs_, rope_long_;
  std::vector<layer_weights> layers_;
  cpu::huge_region packed_; ///< the interleaved weights (weight::packed point into it)
};

} // namespace rbee::kernels
