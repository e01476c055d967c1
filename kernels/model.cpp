#include "kernels/model.hpp"
#include "kernels/model_hparams.hpp"

#include "kernels/cpu/quant_act.hpp"
#include "kernels/cpu/repack.hpp"

#include <sys/mman.h>

#include <cstdlib>

#include <cmath>
#include <utility>

namespace rbee::kernels {

namespace {

std::string shape(const gguf_tensor& t) {
  std::string s = "[";
  for (size_t i = 0; i < t.ne.size(); ++i) s += (i ? ", " : "") + std::to_string(t.ne[i]);
  return s + "]";
}

const gguf_tensor& need(const gguf_file& f, const std::string& name) {
  auto t = f.tensor(name);
  if (!t) throw kernel_error("tensor '" + name + "' is missing");
  return *t;
}

weight matrix(const gguf_file& f, const std::string& name, int cols, int rows) {
  const auto& t = need(f, name);
  if (t.ne.size() != 2 || t.ne[0] != static_cast<uint64_t>(cols) || t.ne[1] != static_cast<uint64_t>(rows))
    throw kernel_error("tensor '" + name + "' has shape " + shape(t) + ", expected [" + std::to_string(cols) + ", " +
                       std::to_string(rows) + "]");
  weight w;
  w.type = t.type;
  w.data = t.data;
  w.rows = rows;
  w.cols = cols;
  w.row_bytes = row_bytes(t.type, static_cast<uint64_t>(cols));
  return w;
}

/// The `rows` rows of `w` from `first` on: a part of a fused tensor.
weight rows_of(const weight& w, int first, int rows) {
  weight v = w;
  v.data = w.row(first);
  v.rows = rows;
  return v;
}

/// A 3-D tensor of `n` stacked matrices ([cols, rows, n]) as one view per matrix.
std::vector<weight> stacked(const gguf_file& f, const std::string& name, int cols, int rows, int n) {
  const auto& t = need(f, name);
  if (t.ne.size() != 3 || t.ne[0] != static_cast<uint64_t>(cols) || t.ne[1] != static_cast<uint64_t>(rows) ||
      t.ne[2] != static_cast<uint64_t>(n))
    throw kernel_error("tensor '" + name + "' has shape " + shape(t) + ", expected [" + std::to_string(cols) + ", " +
                       std::to_string(rows) + ", " + std::to_string(n) + "]");
  weight all;
  all.type = t.type;
  all.data = t.data;
  all.rows = rows * n;
  all.cols = cols;
  all.row_bytes = row_bytes(t.type, static_cast<uint64_t>(cols));
  std::vector<weight> out;
  for (int e = 0; e < n; ++e) out.push_back(rows_of(all, e * rows, rows));
  return out;
}

std::vector<float> vector_f32(const gguf_file& f, const std::string& name, int n, bool optional = false) {
  auto t = f.tensor(name);
  if (!t) {
    if (optional) return {};
    throw kernel_error("tensor '" + name + "' is missing");
  }
  if (t->elements() != static_cast<uint64_t>(n))
    throw kernel_error("tensor '" + name + "' has shape " + shape(*t) + ", expected [" + std::to_string(n) + "]");
  std::vector<float> out(static_cast<size_t>(n));
  dequantize_row(t->type, t->data, out.data(), out.size());
  for (float x : out)
    if (!std::isfinite(x)) throw kernel_error("tensor '" + name + "' holds a non-finite value");
  return out;
}

} // namespace

std::string supported_architectures() { return "llama, qwen2, qwen3, qwen3moe, gemma3, phi3, gpt-oss"; }

std::vector<const weight*> layer_weights::matrices() const {
  std::vector<const weight*> out;
  for (const weight* w : {&wq, &wk, &wv, &wo, &w_gate, &w_up, &w_down, &router})
    if (w->data) out.push_back(w);
  for (const auto* v : {&gate_exps, &up_exps, &down_exps})
    for (const weight& w : *v) out.push_back(&w);
  return out;
}

std::vector<weight*> layer_weights::matrices() {
  std::vector<weight*> out;
  for (const weight* w : std::as_const(*this).matrices()) out.push_back(const_cast<weight*>(w));
  return out;
}

const float* model::rope_factors(int n_ctx) const {
  if (!rope_long_.empty() && n_ctx > hp_.n_ctx_orig) return rope_long_.data();
  return rope_freqs_.empty() ? nullptr : rope_freqs_.data();
}

result<std::shared_ptr<model>> model::load(const std::string& path, bool for_cpu) {
  auto f = gguf_file::open(path);
  if (!f) return result<std::shared_ptr<model>>::failure(f.error());
  return from_gguf(*f, for_cpu);
}

result<std::shared_ptr<model>> model::from_gguf(std::shared_ptr<gguf_file> f, bool for_cpu) {
  return guarded([&] {
    std::shared_ptr<model> m(new model);
    m->file_ = std::move(f);
    m->load_tensors();
    if (for_cpu) m->pack_weights();
    return m;
  });
}

void model::load_tensors() {
  const auto& f = *file_;
  auto& h = hp_;
  h = read_hparams(f);

  const auto& emb = need(f, "token_embd.weight");
  if (emb.ne.size() != 2 || emb.ne[0] != static_cast<uint64_t>(h.n_embd) || emb.ne[1] > (1u << 24))
    throw kernel_error("tensor 'token_embd.weight' has shape " + shape(emb));
  h.n_vocab = static_cast<int>(emb.ne[1]);
  int q_dim = h.n_head * h.head_dim, kv_dim = h.n_head_kv * h.head_dim;
  tok_embd_ = matrix(f, "token_embd.weight", h.n_embd, h.n_vocab);
  output_ = f.tensor("output.weight") ? matrix(f, "output.weight", h.n_embd, h.n_vocab) : tok_embd_; // tied
  output_norm_ = vector_f32(f, "output_norm.weight", h.n_embd);
  rope_freqs_ = vector_f32(f, "rope_freqs.weight", h.n_rot / 2, true);
  if (rope_freqs_.empty()) { // Phi's LongRoPE: short factors within the original context, long past it
    rope_freqs_ = vector_f32(f, "rope_factors_short.weight", h.n_rot / 2, true);
    rope_long_ = vector_f32(f, "rope_factors_long.weight", h.n_rot / 2, true);
  }
  for (const auto* v : {&rope_freqs_, &rope_long_})
    for (float x : *v)
      if (!(x > 0)) throw kernel_error("rope frequency factors must be positive");
  const bool bias = h.architecture == arch::qwen2, gemma = h.architecture == arch::gemma3;
  const bool qk_norm = h.architecture == arch::qwen3 || h.architecture == arch::qwen3moe || gemma;
  const bool oss = h.architecture == arch::gpt_oss, moe = h.architecture == arch::qwen3moe || oss;
  for (int i = 0; i < h.n_layer; ++i) {
    std::string p = "blk." + std::to_string(i) + ".";
    layer_weights l;
    l.attn_norm = vector_f32(f, p + "attn_norm.weight", h.n_embd);
    // gpt-oss names its FFN's pre-norm post_attention_norm
    l.ffn_norm = vector_f32(f, p + (oss ? "post_attention_norm.weight" : "ffn_norm.weight"), h.n_embd);
    if (f.tensor(p + "attn_qkv.weight")) { // phi3: Q, K and V stacked in one tensor
      weight qkv = matrix(f, p + "attn_qkv.weight", h.n_embd, q_dim + 2 * kv_dim);
      l.wq = rows_of(qkv, 0, q_dim);
      l.wk = rows_of(qkv, q_dim, kv_dim);
      l.wv = rows_of(qkv, q_dim + kv_dim, kv_dim);
    } else {
      l.wq = matrix(f, p + "attn_q.weight", h.n_embd, q_dim);
      l.wk = matrix(f, p + "attn_k.weight", h.n_embd, kv_dim);
      l.wv = matrix(f, p + "attn_v.weight", h.n_embd, kv_dim);
    }
    l.wo = matrix(f, p + "attn_output.weight", q_dim, h.n_embd);
    if (moe) {
      l.router = matrix(f, p + "ffn_gate_inp.weight", h.n_embd, h.n_expert);
      l.gate_exps = stacked(f, p + "ffn_gate_exps.weight", h.n_embd, h.n_ff_exp, h.n_expert);
      l.up_exps = stacked(f, p + "ffn_up_exps.weight", h.n_embd, h.n_ff_exp, h.n_expert);
      l.down_exps = stacked(f, p + "ffn_down_exps.weight", h.n_ff_exp, h.n_embd, h.n_expert);
    } else if (h.architecture == arch::phi3 && !f.tensor(p + "ffn_gate.weight")) {
      weight gate_up = matrix(f, p + "ffn_up.weight", h.n_embd, 2 * h.n_ff); // phi3: gate rows, then up rows
      l.w_gate = rows_of(gate_up, 0, h.n_ff);
      l.w_up = rows_of(gate_up, h.n_ff, h.n_ff);
      l.w_down = matrix(f, p + "ffn_down.weight", h.n_ff, h.n_embd);
    } else {
      l.w_gate = matrix(f, p + "ffn_gate.weight", h.n_embd, h.n_ff);
      l.w_up = matrix(f, p + "ffn_up.weight", h.n_embd, h.n_ff);
      l.w_down = matrix(f, p + "ffn_down.weight", h.n_ff, h.n_embd);
    }
    l.bq = vector_f32(f, p + "attn_q.bias", q_dim, !bias && !oss);
    l.bk = vector_f32(f, p + "attn_k.bias", kv_dim, !bias && !oss);
    l.bv = vector_f32(f, p + "attn_v.bias", kv_dim, !bias && !oss);
    if (oss) {
      l.bo = vector_f32(f, p + "attn_output.bias", h.n_embd);
      l.sinks = vector_f32(f, p + "attn_sinks.weight", h.n_head);
      l.router_b = vector_f32(f, p + "ffn_gate_inp.bias", h.n_expert);
      l.gate_exps_b = vector_f32(f, p + "ffn_gate_exps.bias", h.n_ff_exp * h.n_expert);
      l.up_exps_b = vector_f32(f, p + "ffn_up_exps.bias", h.n_ff_exp * h.n_expert);
      l.down_exps_b = vector_f32(f, p + "ffn_down_exps.bias", h.n_embd * h.n_expert);
    }
    l.q_norm = vector_f32(f, p + "attn_q_norm.weight", h.head_dim, !qk_norm);
    l.k_norm = vector_f32(f, p + "attn_k_norm.weight", h.head_dim, !qk_norm);
    if (gemma) {
      l.attn_post_norm = vector_f32(f, p + "post_attention_norm.weight", h.n_embd);
      l.ffn_post_norm = vector_f32(f, p + "post_ffw_norm.weight", h.n_embd);
    }
    layers_.push_back(std::move(l));
  }
}

void model::pack_weights() {
  if (const char* off = std::getenv("RBEE_NO_REPACK"); off && *off && *off != '0') return;
  std::vector<weight*> todo;
  for (auto& l : layers_)
    for (weight* w : l.matrices()) todo.push_back(w);
  if (output_.data != tok_embd_.data) todo.push_back(&output_);
  std::erase_if(todo, [](weight* w) { return !cpu::can_repack(*w) || w->packed; });
  // One region for every interleaved copy (huge pages), each at a 64-byte offset.
  const auto& k = cpu::best_kernels();
  std::vector<size_t> at;
  size_t total = 0;
  for (weight* w : todo) {
    at.push_back(total);
    total += (cpu::repacked_bytes(*w, cpu::repack_rows(*w, k)) + 63) / 64 * 64;
  }
  packed_ = cpu::huge_region(total);
  for (size_t i = 0; i < todo.size(); ++i) {
    weight& w = *todo[i];
    int rows = cpu::repack_rows(w, k);
    cpu::repack_into(w, rows, packed_.data() + at[i]);
    w.packed = packed_.data() + at[i];
    w.packed_rows = rows;
    // The mapped copy is no longer read on the hot path: let the kernel drop it
    // from our resident set (it stays in the page cache).
    auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    auto begin = (reinterpret_cast<uintptr_t>(w.data) + page - 1) / page * page;
    auto end = (reinterpret_cast<uintptr_t>(w.data) + w.row_bytes * static_cast<size_t>(w.rows)) / page * page;
    if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
  }
}

uint64_t model::weight_bytes_per_token() const {
  // What decode reads: every matrix once (interleaved copies where they exist,
  // Q4_K's is 1184/1152 of the original), plus one embedding row.
  auto bytes = [](const weight& w) {
    uint64_t b = w.row_bytes * static_cast<uint64_t>(w.rows);
    return w.packed && w.type == dtype::q4_k ? b / 1152 * 1184 : b;
  };
  uint64_t b = bytes(output_) + tok_embd_.row_bytes;
  for (auto& l : layers_) {
    for (const weight* w : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down, &l.router})
      if (w->data) b += bytes(*w);
    if (!l.gate_exps.empty()) // a mixture of experts reads the chosen experts only
      b += static_cast<uint64_t>(hp_.n_expert_used) *
           (bytes(l.gate_exps[0]) + bytes(l.up_exps[0]) + bytes(l.down_exps[0]));
  }
  return b;
}

uint64_t model::macs_per_token(bool with_output) const {
  auto macs = [](const weight& w) { return static_cast<uint64_t>(w.rows) * static_cast<uint64_t>(w.cols); };
  uint64_t m = with_output ? macs(output_) : 0;
  for (auto& l : layers_) {
    for (const weight* w : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down, &l.router})
      if (w->data) m += macs(*w);
    if (!l.gate_exps.empty())
      m += static_cast<uint64_t>(hp_.n_expert_used) * (macs(l.gate_exps[0]) + macs(l.up_exps[0]) + macs(l.down_exps[0]));
  }
  return m;
}

} // namespace rbee::kernels
