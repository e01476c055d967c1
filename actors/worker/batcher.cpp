#include "actors/worker/batcher.hpp"

#include <algorithm>

namespace rbee {

kernels::result<std::unique_ptr<batcher>> batcher::create(std::shared_ptr<const kernels::model> m,
                                                         std::shared_ptr<const kernels::tokenizer> t, options o) {
  kernels::context_params cp;
  cp.n_slots = std::max(1, o.slots);
  cp.n_ctx = o.n_ctx;
  cp.n_batch = 512;
  cp.device = o.device;
  auto ctx = kernels::context::create(m, cp);
  if (!ctx) return kernels::result<std::unique_ptr<batcher>>::failure(ctx.error());
  std::unique_ptr<batcher> b(new batcher);
  b->model_ = std::move(m);
  b->tok_ = std::move(t);
  b->ctx_ = std::move(*ctx);
  b->batch_ = std::make_unique<kernels::batch>(*b->ctx_, *b->tok_, kernels::batch_options{o.prefill_chunk, o.prompt_cache, static_cast<size_t>(std::max(0, o.prompt_cache_mib)) << 20});
  return b;
}

std::optional<failure> batcher::add(std::string id, std::vector<int32_t> prompt, kernels::generate_params p) {
  auto refused = batch_->add(std::move(id), std::move(prompt), std::move(p));
  if (!refused) return std::nullopt;
  return failure{refused->overflow ? errc::context_overflow : errc::bad_request, std::move(refused->message)};
}

bool batcher::cancel(const std::string& id) { return batch_->cancel(id); }

std::vector<batcher::event> batcher::step() {
  std::vector<event> out;
  for (auto& k : batch_->step()) {
    event e;
    e.id = std::move(k.id);
    e.done = k.done;
    e.index = k.index;
    e.token = k.token;
    if (!k.done) {
      e.text = std::move(k.text);
    } else {
      e.reason = k.reason;
      e.result.text = k.reason == kernels::finish_reason::error ? std::move(k.error) : std::move(k.full_text);
      e.result.prompt_tokens = k.prompt_tokens;
      e.result.cached_tokens = k.cached_tokens;
      e.result.completion_tokens = k.generated;
      e.result.finish_reason = std::string(kernels::to_string(k.reason));
      e.result.prefill_ms = k.prefill_ms;
      e.result.decode_ms = k.decode_ms;
    }
    out.push_back(std::move(e));
  }
  return out;
}

} // namespace rbee
