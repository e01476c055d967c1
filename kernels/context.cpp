#include "kernels/context.hpp"

#include "kernels/forward.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace rbee::kernels {

bool parse_kv_cache_type(const std::string& name, kv_cache_type& out) {
  if (name == "f16") out = kv_cache_type::f16;
  else if (name == "f32") out = kv_cache_type::f32;
  else return false;
  return true;
}

result<std::unique_ptr<context>> context::create(std::shared_ptr<const model> m, context_params p) {
  return guarded([&] {
    const auto& h = m->hp();
    std::unique_ptr<context> c(new context);
    c->n_ctx_ = p.n_ctx > 0 ? p.n_ctx : std::min(h.n_ctx_train, 4096);
    if (c->n_ctx_ > (1 << 20)) throw kernel_error("context size " + std::to_string(c->n_ctx_) + " is too large");
    if (p.n_slots < 1 || p.n_slots > 256) throw kernel_error("slots must be between 1 and 256");
    c->n_batch_ = std::clamp(p.n_batch, 1, 4096);
    c->n_past_.assign(static_cast<size_t>(p.n_slots), 0);
    c->pass_ = make_forward(m, forward_shape{c->n_ctx_, c->n_batch_, p.n_slots, p.reference, p.kv_type}, p.device);
    c->model_ = std::move(m);
    return c;
  });
}

context::~context() = default;

bool context::save_slot(int slot, std::vector<uint8_t>& out) const {
  if (slot < 0 || slot >= n_slots()) return false;
  const int n = n_past(slot);
  const size_t bytes = pass_->kv_bytes(n);
  if (bytes == 0 && n > 0) return false;
  out.resize(bytes);
  return pass_->save_kv(slot, n, out.data());
}

bool context::restore_slot(int slot, const std::vector<uint8_t>& saved, int n_saved, int n) {
  if (slot < 0 || slot >= n_slots() || n < 0 || n > n_saved || n_saved > n_ctx_ || saved.size() != pass_->kv_bytes(n_saved))
    return false;
  if (!pass_->load_kv(slot, n_saved, n, saved.data())) return false;
  n_past_[static_cast<size_t>(slot)] = n;
  return true;
}

std::string context::device() const {
  return pass_ ? pass_->device() : "cpu";
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
    pass_->run(&batch[done], &pos[done], step, out);
    for (int i = 0; i < step; ++i) out += batch[done + i].logits ? h.n_vocab : 0;
    done += static_cast<size_t>(step);
  }
  for (size_t s = 0; s < count.size(); ++s) n_past_[s] += count[s];
  return static_cast<const float*>(logits_.data());
}

} // namespace rbee::kernels
