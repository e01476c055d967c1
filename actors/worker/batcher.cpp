#include "actors/worker/batcher.hpp"

#include <algorithm>
#include <chrono>

namespace rbee {

namespace {

int64_t now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

} // namespace

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
  b->opts_ = o;
  b->slots_.resize(static_cast<size_t>(cp.n_slots));
  return b;
}

std::optional<failure> batcher::add(std::string id, std::vector<int32_t> prompt, kernels::generate_params p) {
  if (prompt.empty()) return failure{errc::bad_request, "the prompt is empty"};
  if (static_cast<int>(prompt.size()) >= ctx_->n_ctx())
    return failure{errc::context_overflow, "context overflow: the prompt has " + std::to_string(prompt.size()) +
                                             " tokens, the context holds " + std::to_string(ctx_->n_ctx())};
  auto r = std::make_unique<request>();
  r->id = std::move(id);
  r->prompt = std::move(prompt);
  r->smp = std::make_unique<kernels::sampler>(p.sampling);
  for (auto t : r->prompt) r->smp->accept(t);
  r->stops = std::make_unique<kernels::stop_filter>(p.stop);
  r->params = std::move(p);
  r->started_us = now_us();
  waiting_.push_back(std::move(r));
  return std::nullopt;
}

int batcher::active_count() const {
  return static_cast<int>(std::count_if(slots_.begin(), slots_.end(), [](auto& r) { return r != nullptr; }));
}

batcher::event batcher::finish(request& r, const std::string& reason) {
  event e;
  e.id = r.id;
  e.done = true;
  if (reason != "stop" && reason != "cancelled") {
    bool hit = false;
    r.text += r.stops->push(r.detok.flush(), hit);
    if (!hit) r.text += r.stops->flush();
  }
  e.result.text = r.text;
  e.result.prompt_tokens = static_cast<int32_t>(r.prompt.size());
  e.result.completion_tokens = r.generated;
  e.result.finish_reason = reason;
  int64_t end = now_us();
  e.result.prefill_ms = r.first_token_us ? (r.first_token_us - r.started_us) / 1000.0 : (end - r.started_us) / 1000.0;
  e.result.decode_ms = r.first_token_us ? (end - r.first_token_us) / 1000.0 : 0;
  return e;
}

bool batcher::cancel(const std::string& id) {
  for (auto it = waiting_.begin(); it != waiting_.end(); ++it)
    if ((*it)->id == id) {
      finished_.push_back(finish(**it, "cancelled"));
      waiting_.erase(it);
      return true;
    }
  for (auto& r : slots_)
    if (r && r->id == id) {
      finished_.push_back(finish(*r, "cancelled"));
      r.reset();
      return true;
    }
  return false;
}

std::vector<batcher::event> batcher::step() {
  std::vector<event> out = std::move(finished_);
  finished_.clear();
  // Newcomers take free slots.
  for (size_t s = 0; s < slots_.size() && !waiting_.empty(); ++s)
    if (!slots_[s]) {
      slots_[s] = std::move(waiting_.front());
      waiting_.pop_front();
      ctx_->reset(static_cast<int>(s));
    }
  // One batch: a prompt chunk of each request still in prefill, one token of the others.
  std::vector<kernels::batch_entry> batch;
  std::vector<int> owner; // slot of each logits row
  for (size_t s = 0; s < slots_.size(); ++s) {
    auto& r = slots_[s];
    if (!r) continue;
    int slot = static_cast<int>(s);
    if (r->fed < r->prompt.size()) {
      size_t n = std::min(r->prompt.size() - r->fed, static_cast<size_t>(std::max(1, opts_.prefill_chunk)));
      for (size_t i = 0; i < n; ++i) {
        bool last = r->fed + 1 == r->prompt.size();
        batch.push_back({slot, r->prompt[r->fed++], last});
        if (last) owner.push_back(slot);
      }
    } else {
      batch.push_back({slot, r->last, true});
      owner.push_back(slot);
    }
  }
  if (batch.empty()) return out;
  auto logits = ctx_->decode_batch(batch);
  if (!logits) { // fail what was running; the slots are free again
    for (auto& r : slots_)
      if (r) {
        auto e = finish(*r, "error");
        e.result.text = logits.error();
        out.push_back(std::move(e));
        r.reset();
      }
    return out;
  }
  const int n_vocab = model_->hp().n_vocab;
  std::vector<float> work(static_cast<size_t>(n_vocab));
  for (size_t i = 0; i < owner.size(); ++i) {
    auto& r = slots_[static_cast<size_t>(owner[i])];
    const float* row = *logits + i * static_cast<size_t>(n_vocab);
    std::copy(row, row + n_vocab, work.begin());
    int32_t id = r->smp->sample(work.data(), n_vocab);
    r->smp->accept(id);
    r->last = id;
    if (!r->first_token_us) r->first_token_us = now_us();
    ++r->generated;
    std::string reason;
    if (r->params.stop_at_eog && tok_->is_eog(id)) {
      reason = "eog";
    } else {
      bool hit = false;
      std::string text = r->stops->push(r->detok.push(tok_->piece(id)), hit);
      r->text += text;
      event e;
      e.id = r->id;
      e.index = static_cast<uint32_t>(r->generated - 1);
      e.token = id;
      e.text = std::move(text);
      out.push_back(std::move(e));
      if (hit) reason = "stop";
      else if (r->generated >= r->params.max_tokens) reason = "length";
      else if (ctx_->n_past(owner[i]) + 1 >= ctx_->n_ctx()) reason = "context";
    }
    if (!reason.empty()) {
      out.push_back(finish(*r, reason));
      r.reset();
    }
  }
  return out;
}

} // namespace rbee
