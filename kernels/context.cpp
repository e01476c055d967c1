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
    c->n_batch_ = std::clamp(p.n_batch, 1, 4096);
    size_t kv_dim = static_cast<size_t>(h.n_head_kv) * h.head_dim;
    size_t cache = static_cast<size_t>(h.n_layer) * c->n_ctx_ * kv_dim;
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
    c->logits_.resize(static_cast<size_t>(h.n_vocab));
    c->model_ = std::move(m);
    c->matmul_ = p.reference ? ops::ref_matmul : ops::matmul;
    c->reference_ = p.reference;
    return c;
  });
}

result<const float*> context::decode(const int32_t* tokens, int n) {
  const auto& h = model_->hp();
  if (n <= 0) return result<const float*>::failure("nothing to decode");
  if (n > n_ctx_ - n_past_)
    return result<const float*>::failure("context overflow: " + std::to_string(n_past_) + " + " + std::to_string(n) +
                                         " tokens exceed the context of " + std::to_string(n_ctx_));
  for (int i = 0; i < n; ++i)
    if (tokens[i] < 0 || tokens[i] >= h.n_vocab)
      return result<const float*>::failure("token id " + std::to_string(tokens[i]) + " is outside the vocabulary");
  for (int done = 0; done < n;) {
    int step = std::min(n_batch_, n - done);
    forward(tokens + done, step);
    done += step;
  }
  return static_cast<const float*>(logits_.data());
}

void context::forward(const int32_t* tokens, int n) {
  const auto& m = *model_;
  const auto& h = m.hp();
  const int d = h.n_embd, hd = h.head_dim, q_dim = h.n_head * hd, kv_dim = h.n_head_kv * hd;
  const int group = h.n_head / h.n_head_kv;
  const float* freq = m.rope_freqs().empty() ? nullptr : m.rope_freqs().data();
  const float scale = 1.f / std::sqrt(static_cast<float>(hd));

  for (int t = 0; t < n; ++t) ops::embed(m.token_embd(), tokens[t], &x_[static_cast<size_t>(t) * d]);

  for (int l = 0; l < h.n_layer; ++l) {
    const auto& L = m.layers()[static_cast<size_t>(l)];
    float* kc = &k_cache_[static_cast<size_t>(l) * n_ctx_ * kv_dim];
    float* vc = &v_cache_[static_cast<size_t>(l) * n_ctx_ * kv_dim];
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
      float pos = static_cast<float>(n_past_ + t) * h.rope_scale;
      ops::rope(q, h.n_head, hd, pos, h.rope, h.rope_base, freq);
      ops::rope(k, h.n_head_kv, hd, pos, h.rope, h.rope_base, freq);
      std::memcpy(kc + static_cast<size_t>(n_past_ + t) * kv_dim, k, sizeof(float) * kv_dim);
      std::memcpy(vc + static_cast<size_t>(n_past_ + t) * kv_dim, v, sizeof(float) * kv_dim);
    }
    // Causal attention, one (token, head) pair per task.
    auto attend = reference_ ? ops::ref_attend : ops::attend;
    parallel_for(0, n * h.n_head, 4, [&](int lo, int hi) {
      thread_local std::vector<float> scratch;
      scratch.resize(static_cast<size_t>(n_ctx_));
      for (int i = lo; i < hi; ++i) {
        int t = i / h.n_head, head = i % h.n_head, kvh = head / group;
        attend(&q_[static_cast<size_t>(t) * q_dim + head * hd], kc + kvh * hd, vc + kvh * hd, n_past_ + t + 1, hd,
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
  // Logits of the last token only.
  const float* last = &x_[static_cast<size_t>(n - 1) * d];
  ops::rmsnorm(xb_.data(), last, m.output_norm().data(), d, h.rms_eps);
  matmul_(m.output(), xb_.data(), 1, logits_.data());
  n_past_ += n;
}

} // namespace rbee::kernels
