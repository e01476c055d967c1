#include "kernels/context.hpp"

#include "kernels/ops.hpp"
#include "kernels/parallel.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace rbee::kernels {

result<std::unique_ptr<context>> context::create(std::shared_ptr<const model> m, context_params p) {
  return guarded([&] {
    const auto& h = m->hp();
    std::unique_ptr<context> c(new context);
    c->n_ctx_ = p.n_ctx > 0 ? p.n_ctx : std::min(h.n_ctx_train, 4096);
    if (c->n_ctx_ > (1 << 20)) throw kernel_error("context size " + std::to_string(c->n_ctx_) + " is too large");
    if (p.n_slots < 1 || p.n_slots > 256) throw kernel_error("slots must be between 1 and 256");
    c->n_batch_ = std::clamp(p.n_batch, 1, 4096);
    c->n_past_.assign(static_cast<size_t>(p.n_slots), 0);
    size_t kv_dim = static_cast<size_t>(h.n_head_kv) * h.head_dim;
    size_t cache = static_cast<size_t>(h.n_layer) * p.n_slots * c->n_ctx_ * kv_dim;
    c->k_cache_.assign(cache, 0.f);
    c->v_cache_.assign(cache, 0.f);
    size_t b = static_cast<size_t>(c->n_batch_);
    size_t q_dim = static_cast<size_t>(h.n_head) * h.head_dim;
    c->x_.resize(b * h.n_embd);
    c->xb_.resize(b * std::max<size_t>(h.n_embd, q_dim));
    c->q_.resize(b * q_dim);
    c->k_.resize(b * kv_dim);
    c->v_.resize(b * kv_dim);
    c->att_.resize(b * q_dim);
    c->ff_gate_.resize(b * h.n_ff);
    c->ff_up_.resize(b * h.n_ff);
    c->model_ = std::move(m);
    c->matmul_ = p.reference ? ops::ref_matmul : ops::matmul;
    c->reference_ = p.reference;
    return c;
  });
}

result<const float*> context::decode(const int32_t* tokens, int n) {
  if (n <= 0) return result<const float*>::failure("nothing to decode");
  std::vector<batch_entry> batch(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) batch[i] = {0, tokens[i], i == n - 1};
  return decode_batch(batch);
}

result<const float*> context::decode_batch(const std::vector<batch_entry>& batch) {
  const auto& h = model_->hp();
  if (batch.empty()) return result<const float*>::failure("nothing to decode");
  // Check everything first: a bad batch changes nothing.
  std::vector<int> count(n_past_.size(), 0), pos(batch.size());
  size_t wanted = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    const auto& e = batch[i];
    if (e.slot < 0 || e.slot >= n_slots())
      return result<const float*>::failure("slot " + std::to_string(e.slot) + " does not exist");
    if (e.token < 0 || e.token >= h.n_vocab)
      return result<const float*>::failure("token id " + std::to_string(e.token) + " is outside the vocabulary");
    pos[i] = n_past_[e.slot] + count[e.slot]++;
    if (pos[i] >= n_ctx_)
      return result<const float*>::failure("context overflow: slot " + std::to_string(e.slot) + " holds " +
                                           std::to_string(n_past_[e.slot]) + " tokens of " + std::to_string(n_ctx_) +
                                           " and " + std::to_string(count[e.slot]) + " more do not fit");
    wanted += e.logits;
  }
  logits_.resize(std::max<size_t>(wanted, 1) * h.n_vocab);
  float* out = logits_.data();
  for (size_t done = 0; done < batch.size();) {
    int step = static_cast<int>(std::min(static_cast<size_t>(n_batch_), batch.size() - done));
    forward(&batch[done], &pos[done], step, out);
    for (int i = 0; i < step; ++i) out += batch[done + i].logits ? h.n_vocab : 0;
    done += static_cast<size_t>(step);
  }
  for (size_t s = 0; s < count.size(); ++s) n_past_[s] += count[s];
  return static_cast<const float*>(logits_.data());
}

void context::forward(const batch_entry* entries, const int* pos, int n, float* logits_out) {
  const auto& m = *model_;
  const auto& h = m.hp();
  const int d = h.n_embd, hd = h.head_dim, q_dim = h.n_head * hd, kv_dim = h.n_head_kv * hd;
  const int group = h.n_head / h.n_head_kv;
  const float* freq = m.rope_freqs().empty() ? nullptr : m.rope_freqs().data();
  const float scale = 1.f / std::sqrt(static_cast<float>(hd));
  const size_t slot_stride = static_cast<size_t>(n_ctx_) * kv_dim;
  const size_t layer_stride = slot_stride * n_past_.size();

  for (int t = 0; t < n; ++t) ops::embed(m.token_embd(), entries[t].token, &x_[static_cast<size_t>(t) * d]);

  for (int l = 0; l < h.n_layer; ++l) {
    const auto& L = m.layers()[static_cast<size_t>(l)];
    float* kc = &k_cache_[static_cast<size_t>(l) * layer_stride];
    float* vc = &v_cache_[static_cast<size_t>(l) * layer_stride];
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
      float p = static_cast<float>(pos[t]) * h.rope_scale;
      ops::rope(q, h.n_head, hd, p, h.rope, h.rope_base, freq);
      ops::rope(k, h.n_head_kv, hd, p, h.rope, h.rope_base, freq);
      size_t at = slot_stride * entries[t].slot + static_cast<size_t>(pos[t]) * kv_dim;
      std::memcpy(kc + at, k, sizeof(float) * kv_dim);
      std::memcpy(vc + at, v, sizeof(float) * kv_dim);
    }
    // Causal attention over each entry's own slot, one (entry, head) pair per task.
    auto attend = reference_ ? ops::ref_attend : ops::attend;
    parallel_for(0, n * h.n_head, 4, [&](int lo, int hi) {
      thread_local std::vector<float> scratch;
      scratch.resize(static_cast<size_t>(n_ctx_));
      for (int i = lo; i < hi; ++i) {
        int t = i / h.n_head, head = i % h.n_head, kvh = head / group;
        size_t base = slot_stride * entries[t].slot + static_cast<size_t>(kvh) * hd;
        attend(&q_[static_cast<size_t>(t) * q_dim + head * hd], kc + base, vc + base, pos[t] + 1, hd,
               static_cast<size_t>(kv_dim), scale, scratch.data(), &att_[static_cast<size_t>(t) * q_dim + head * hd]);
      }
    });
    matmul_(L.wo, att_.data(), n, xb_.data());
    for (size_t i = 0; i < static_cast<size_t>(n) * d; ++i) x_[i] += xb_[i];
    // -- feed-forward --
    for (int t = 0; t < n; ++t) ops::rmsnorm(&xb_[t * d], &x_[t * d], L.ffn_norm.data(), d, h.rms_eps);
    matmul_(L.w_gate, xb_.data(), n, ff_gate_.data());
    matmul_(L.w_up, xb_.data(), n, ff_up_.data());
    parallel_for(0, n, 1, [&](int lo, int hi) {
      for (int t = lo; t < hi; ++t)
        (reference_ ? ops::ref_swiglu : ops::swiglu)(&ff_gate_[static_cast<size_t>(t) * h.n_ff],
                                                     &ff_up_[static_cast<size_t>(t) * h.n_ff], h.n_ff);
    });
    matmul_(L.w_down, ff_gate_.data(), n, xb_.data());
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

} // namespace rbee::kernels
