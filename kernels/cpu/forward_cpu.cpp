// The forward pass on the CPU: f32 activations and KV cache, the SIMD kernels
// of ops.hpp (or the scalar references), oneTBB across rows and heads.
#include "kernels/cpu/attention_cpu.hpp"
#include "kernels/cpu/huge_pages.hpp"
#include "kernels/cpu/moe.hpp"
#include "kernels/forward.hpp"
#include "kernels/ops.hpp"
#include "kernels/parallel.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace rbee::kernels {

namespace {

class cpu_forward final : public forward_pass {
public:
  cpu_forward(std::shared_ptr<const model> m, const forward_shape& s);
  void run(const batch_entry* entries, const int* pos, int n, float* logits_out) override;
  std::string device() const override { return "cpu"; }
  size_t kv_bytes(int n) const override { return 2 * static_cast<size_t>(model_->hp().n_layer) * row_bytes_ * n; }
  bool save_kv(int slot, int n, uint8_t* dst) const override { return copy_kv(slot, n, n, dst, true); }
  bool load_kv(int slot, int n_src, int n, const uint8_t* src) override {
    return copy_kv(slot, n_src, n, const_cast<uint8_t*>(src), false);
  }

private:
  /// Saved layout: per layer, the K rows of positions [0, n_buf) then the V rows; `n` <= n_buf of them copied.
  bool copy_kv(int slot, int n_buf, int n, uint8_t* buf, bool out) const {
    if (slot < 0 || slot >= n_slots_ || n < 0 || n > n_buf || n_buf > n_ctx_) return false;
    const size_t row = row_bytes_, slot_bytes = row * static_cast<size_t>(n_ctx_);
    for (int l = 0; l < model_->hp().n_layer; ++l)
      for (int kv = 0; kv < 2; ++kv) {
        uint8_t* cache = (kv ? v_cache_ : k_cache_).data() +
                         (static_cast<size_t>(l) * n_slots_ + static_cast<size_t>(slot)) * slot_bytes;
        uint8_t* b = buf + (static_cast<size_t>(l) * 2 + kv) * row * static_cast<size_t>(n_buf);
        if (out) std::memcpy(b, cache, row * static_cast<size_t>(n));
        else std::memcpy(cache, b, row * static_cast<size_t>(n));
      }
    return true;
  }

  std::shared_ptr<const model> model_;
  size_t row_bytes_ = 0; ///< one position of one layer's K (or V) cache
  void (*matmul_)(const weight&, const float*, int, float*) = nullptr;
  bool reference_ = false;
  bool f16_ = true; ///< the KV cache holds halves
  int n_ctx_ = 0, n_slots_ = 0;
  /// (layer, slot, pos, kv_dim) halves or floats: huge pages, zero pages until a position is
  /// written, so memory grows with the context in use.
  cpu::huge_region k_cache_, v_cache_;
  std::vector<float> x_, xb_, q_, k_, v_, att_, ff_gate_, ff_up_, ff_in_;
  cpu::moe_ffn moe_;
};

cpu_forward::cpu_forward(std::shared_ptr<const model> m, const forward_shape& s)
    : model_(std::move(m)), matmul_(s.reference ? ops::ref_matmul : ops::matmul), reference_(s.reference),
      f16_(s.kv_type == kv_cache_type::f16), n_ctx_(s.n_ctx), n_slots_(s.n_slots) {
  const auto& h = model_->hp();
  size_t kv_dim = static_cast<size_t>(h.n_head_kv) * h.head_dim;
  size_t cache = static_cast<size_t>(h.n_layer) * s.n_slots * s.n_ctx * kv_dim;
  const size_t elem = f16_ ? sizeof(uint16_t) : sizeof(float);
  row_bytes_ = kv_dim * elem;
  k_cache_ = cpu::huge_region(cache * elem);
  v_cache_ = cpu::huge_region(cache * elem);
  size_t b = static_cast<size_t>(s.n_batch);
  size_t q_dim = static_cast<size_t>(h.n_head) * h.head_dim;
  x_.resize(b * h.n_embd);
  xb_.resize(b * std::max<size_t>(h.n_embd, q_dim));
  q_.resize(b * q_dim);
  k_.resize(b * kv_dim);
  v_.resize(b * kv_dim);
  att_.resize(b * q_dim);
  ff_gate_.resize(b * h.n_ff);
  ff_up_.resize(b * h.n_ff);
}

void cpu_forward::run(const batch_entry* entries, const int* pos, int n, float* logits_out) {
  const auto& m = *model_;
  const auto& h = m.hp();
  const int d = h.n_embd, hd = h.head_dim, q_dim = h.n_head * hd, kv_dim = h.n_head_kv * hd;
  const int group = h.n_head / h.n_head_kv;
  const float* freq = m.rope_factors(n_ctx_);
  const float scale = h.attn_scale > 0 ? h.attn_scale : 1.f / std::sqrt(static_cast<float>(hd));
  const size_t slot_stride = static_cast<size_t>(n_ctx_) * kv_dim;
  const size_t layer_stride = slot_stride * static_cast<size_t>(n_slots_);
  auto norm = reference_ ? ops::ref_rmsnorm : ops::rmsnorm;

  for (int t = 0; t < n; ++t) ops::embed(m.token_embd(), entries[t].token, &x_[static_cast<size_t>(t) * d]);
  if (h.embd_scale != 1.f)
    for (size_t i = 0; i < static_cast<size_t>(n) * d; ++i) x_[i] *= h.embd_scale;
  // Gemma 3's norms of a sublayer's output, row by row, before the residual add.
  auto post_norm = [&](const std::vector<float>& w) {
    if (w.empty()) return;
    std::vector<float> row(static_cast<size_t>(d));
    for (int t = 0; t < n; ++t) {
      std::memcpy(row.data(), &xb_[static_cast<size_t>(t) * d], sizeof(float) * d);
      norm(&xb_[static_cast<size_t>(t) * d], row.data(), w.data(), d, h.rms_eps);
    }
  };

  for (int l = 0; l < h.n_layer; ++l) {
    const auto& L = m.layers()[static_cast<size_t>(l)];
    const bool sliding = h.sliding(l); // Gemma 3: a window of the last swa_window positions, its own rope base
    const float base = sliding ? h.rope_base_swa : h.rope_base, rscale = sliding ? 1.f : h.rope_scale;
    // This layer's part of the cache, in elements of its type.
    const size_t elem = f16_ ? sizeof(uint16_t) : sizeof(float), layer_at = static_cast<size_t>(l) * layer_stride * elem;
    uint8_t* kc = k_cache_.data() + layer_at;
    uint8_t* vc = v_cache_.data() + layer_at;
    auto store = [&](uint8_t* cache, size_t at, const float* row) {
      if (f16_) {
        uint16_t* dst = reinterpret_cast<uint16_t*>(cache) + at;
        for (int i = 0; i < kv_dim; ++i) dst[i] = f32_to_f16(row[i]);
      } else {
        std::memcpy(reinterpret_cast<float*>(cache) + at, row, sizeof(float) * kv_dim);
      }
    };
    // -- attention --
    for (int t = 0; t < n; ++t) ops::rmsnorm(&xb_[t * d], &x_[t * d], L.attn_norm.data(), d, h.rms_eps);
    matmul_(L.wq, xb_.data(), n, q_.data());
    matmul_(L.wk, xb_.data(), n, k_.data());
    matmul_(L.wv, xb_.data(), n, v_.data());
    for (int t = 0; t < n; ++t) {
      float* q = &q_[static_cast<size_t>(t) * q_dim];
      float* k = &k_[static_cast<size_t>(t) * kv_dim];
      float* v = &v_[static_cast<size_t>(t) * kv_dim];
      if (!L.bq.empty())
        for (int i = 0; i < q_dim; ++i) q[i] += L.bq[i];
      if (!L.bk.empty())
        for (int i = 0; i < kv_dim; ++i) k[i] += L.bk[i];
      if (!L.bv.empty())
        for (int i = 0; i < kv_dim; ++i) v[i] += L.bv[i];
      if (!L.q_norm.empty()) { // qwen3: each head of Q and K RMS-normed before the rotation
        float tmp[1024];
        for (int i = 0; i < h.n_head; ++i) {
          std::memcpy(tmp, q + i * hd, sizeof(float) * hd);
          norm(q + i * hd, tmp, L.q_norm.data(), hd, h.rms_eps);
        }
        for (int i = 0; i < h.n_head_kv; ++i) {
          std::memcpy(tmp, k + i * hd, sizeof(float) * hd);
          norm(k + i * hd, tmp, L.k_norm.data(), hd, h.rms_eps);
        }
      }
      float p = static_cast<float>(pos[t]) * rscale;
      const rope_spec rs{h.rope, base, h.n_rot, h.rope_mscale, freq, h.yarn_freq_scale, h.yarn_corr_low, h.yarn_corr_high, h.yarn};
      ops::rope(q, h.n_head, hd, p, rs);
      ops::rope(k, h.n_head_kv, hd, p, rs);
      size_t at = slot_stride * entries[t].slot + static_cast<size_t>(pos[t]) * kv_dim;
      store(kc, at, k);
      store(vc, at, v);
    }
    // Causal attention over each entry's own slot: the reference one (entry, head) pair at a
    // time, the kernels in tiles that read each head's cache once for all its rows.
    if (reference_) {
      parallel_for(0, n * h.n_head, 4, [&](int lo, int hi) {
        thread_local std::vector<float> scratch;
        scratch.resize(static_cast<size_t>(n_ctx_));
        for (int i = lo; i < hi; ++i) {
          int t = i / h.n_head, head = i % h.n_head, kvh = head / group;
          int first = sliding ? std::max(0, pos[t] + 1 - h.swa_window) : 0;
          size_t at = slot_stride * entries[t].slot + static_cast<size_t>(first) * kv_dim + static_cast<size_t>(kvh) * hd;
          const float* qh = &q_[static_cast<size_t>(t) * q_dim + head * hd];
          float* out = &att_[static_cast<size_t>(t) * q_dim + head * hd];
          const float sink = L.sinks.empty() ? -INFINITY : L.sinks[static_cast<size_t>(head)];
          if (f16_)
            ops::ref_attend_f16(qh, reinterpret_cast<const uint16_t*>(kc) + at, reinterpret_cast<const uint16_t*>(vc) + at,
                                pos[t] + 1 - first, hd, static_cast<size_t>(kv_dim), scale, scratch.data(), out, sink);
          else
            ops::ref_attend(qh, reinterpret_cast<const float*>(kc) + at, reinterpret_cast<const float*>(vc) + at,
                            pos[t] + 1 - first, hd, static_cast<size_t>(kv_dim), scale, scratch.data(), out, sink);
        }
      });
    } else {
      cpu::attend_tiles({entries, pos, n, q_.data(), att_.data(), kc, vc, f16_, h.n_head, h.n_head_kv, hd, n_ctx_, scale,
                         sliding ? h.swa_window : 0, L.sinks.empty() ? nullptr : L.sinks.data()});
    }
    matmul_(L.wo, att_.data(), n, xb_.data());
    if (!L.bo.empty())
      for (int t = 0; t < n; ++t)
        for (int i = 0; i < d; ++i) xb_[static_cast<size_t>(t) * d + i] += L.bo[static_cast<size_t>(i)];
    post_norm(L.attn_post_norm);
    for (size_t i = 0; i < static_cast<size_t>(n) * d; ++i) x_[i] += xb_[i];
    // -- feed-forward --
    for (int t = 0; t < n; ++t) ops::rmsnorm(&xb_[t * d], &x_[t * d], L.ffn_norm.data(), d, h.rms_eps);
    if (L.router.data) { // a mixture of experts
      ff_in_.assign(xb_.begin(), xb_.begin() + static_cast<ptrdiff_t>(n) * d);
      moe_.run(L, h, ff_in_.data(), n, xb_.data(), matmul_, reference_);
      for (size_t i = 0; i < static_cast<size_t>(n) * d; ++i) x_[i] += xb_[i];
      continue;
    }
    matmul_(L.w_gate, xb_.data(), n, ff_gate_.data());
    matmul_(L.w_up, xb_.data(), n, ff_up_.data());
    parallel_for(0, n, 1, [&](int lo, int hi) {
      for (int t = lo; t < hi; ++t)
        (h.gelu ? (reference_ ? ops::ref_geglu : ops::geglu) : (reference_ ? ops::ref_swiglu : ops::swiglu))(
          &ff_gate_[static_cast<size_t>(t) * h.n_ff], &ff_up_[static_cast<size_t>(t) * h.n_ff], h.n_ff);
    });
    matmul_(L.w_down, ff_gate_.data(), n, xb_.data());
    post_norm(L.ffn_post_norm);
    for (size_t i = 0; i < static_cast<size_t>(n) * d; ++i) x_[i] += xb_[i];
  }
  // Logits only where asked: the normed rows of those entries through the output head.
  int wanted = 0;
  for (int t = 0; t < n; ++t)
    if (entries[t].logits) {
      ops::rmsnorm(&xb_[static_cast<size_t>(wanted) * d], &x_[static_cast<size_t>(t) * d], m.output_norm().data(), d,
                   h.rms_eps);
      ++wanted;
    }
  if (wanted) matmul_(m.output(), xb_.data(), wanted, logits_out);
}

} // namespace

std::unique_ptr<forward_pass> make_cpu_forward(std::shared_ptr<const model> m, const forward_shape& s) {
  return std::make_unique<cpu_forward>(std::move(m), s);
}

} // namespace rbee::kernels
