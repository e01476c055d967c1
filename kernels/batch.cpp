#include "kernels/batch.hpp"

#include <algorithm>
#include <chrono>

namespace rbee::kernels {

namespace {

int64_t now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

} // namespace

struct batch::request {
  std::string id;
  std::vector<int32_t> prompt;
  generate_params params;
  size_t fed = 0;
  size_t cached = 0; ///< prompt tokens the slot's cache held
  int generated = 0;
  int32_t last = -1;
  std::unique_ptr<sampler> smp;
  std::unique_ptr<stop_filter> stops;
  detokenizer detok;
  std::string text;
  int64_t started_us = 0, first_token_us = 0;
};

batch::batch(context& ctx, const tokenizer& tok, batch_options o) : ctx_(ctx), tok_(tok), opts_(o) {
  slots_.resize(static_cast<size_t>(ctx.n_slots()));
  cached_.resize(slots_.size());
  used_us_.resize(slots_.size());
  for (int s = 0; s < ctx.n_slots(); ++s) ctx.reset(s); // what it holds is not known here
  if (opts_.prompt_cache && opts_.prompt_cache_bytes > 0) store_ = std::make_unique<prompt_store>(opts_.prompt_cache_bytes);
}

void batch::take_slot(int slot, request& r, size_t keep, std::optional<prompt_store::hit> hit) {
  auto& held = cached_[static_cast<size_t>(slot)];
  // A conversation of some length loses (part of) its cache here: keep it beyond the slots.
  constexpr size_t worth_keeping = 16;
  if (store_ && held.size() >= worth_keeping && held.size() > (hit ? 0 : keep)) {
    std::vector<uint8_t> kv;
    if (ctx_.save_slot(slot, kv)) store_->put(held, std::move(kv));
  }
  if (hit) {
    size_t n = std::min(hit->common, r.prompt.size() - 1); // the last prompt token is fed for its logits
    if (ctx_.restore_slot(slot, hit->kv, static_cast<int>(hit->tokens.size()), static_cast<int>(n))) {
      held.assign(hit->tokens.begin(), hit->tokens.begin() + static_cast<ptrdiff_t>(n));
      keep = n;
    } else {
      keep = 0;
    }
  }
  ctx_.truncate(slot, static_cast<int>(keep));
  held.resize(std::min(held.size(), keep));
  r.fed = r.cached = keep;
}

batch::~batch() = default;

std::optional<batch::refusal> batch::add(std::string id, std::vector<int32_t> prompt, generate_params p) {
  if (prompt.empty()) return refusal{false, "the prompt is empty"};
  // A slot holds the prompt and at least the position of the first generated token.
  if (!prompt_fits(static_cast<int>(prompt.size()), ctx_.n_ctx()))
    return refusal{true, "context overflow: the prompt has " + std::to_string(prompt.size()) +
                           " tokens, the context holds " + std::to_string(ctx_.n_ctx())};
  auto r = std::make_unique<request>();
  r->id = std::move(id);
  r->prompt = std::move(prompt);
  r->smp = std::make_unique<sampler>(p.sampling);
  for (auto t : r->prompt) r->smp->accept(t);
  r->stops = std::make_unique<stop_filter>(p.stop);
  r->params = std::move(p);
  r->started_us = now_us();
  waiting_.push_back(std::move(r));
  return std::nullopt;
}

int batch::active_count() const {
  return static_cast<int>(std::count_if(slots_.begin(), slots_.end(), [](auto& r) { return r != nullptr; }));
}

batch::event batch::finish(request& r, finish_reason reason, std::vector<event>* out) {
  if (reason != finish_reason::stop && reason != finish_reason::cancelled && reason != finish_reason::error) {
    // What the stop filter and the detokenizer still hold is part of the answer: it goes
    // out as a last piece of text, then into the whole.
    bool hit = false;
    std::string rest = r.stops->push(r.detok.flush(), hit);
    if (!hit) rest += r.stops->flush();
    if (!rest.empty() && out) {
      event e;
      e.id = r.id;
      e.index = static_cast<uint32_t>(r.generated);
      e.text = rest;
      out->push_back(std::move(e));
    }
    r.text += rest;
  }
  event e;
  e.id = r.id;
  e.done = true;
  e.reason = reason;
  e.full_text = r.text;
  e.prompt_tokens = static_cast<int>(r.prompt.size());
  e.cached_tokens = static_cast<int>(r.cached);
  e.generated = r.generated;
  int64_t end = now_us();
  e.prefill_ms = (r.first_token_us ? r.first_token_us : end) - r.started_us;
  e.prefill_ms /= 1000.0;
  e.decode_ms = r.first_token_us ? (end - r.first_token_us) / 1000.0 : 0;
  return e;
}

bool batch::cancel(const std::string& id) {
  for (auto it = waiting_.begin(); it != waiting_.end(); ++it)
    if ((*it)->id == id) {
      finished_.push_back(finish(**it, finish_reason::cancelled, nullptr));
      waiting_.erase(it);
      return true;
    }
  for (auto& r : slots_)
    if (r && r->id == id) {
      finished_.push_back(finish(*r, finish_reason::cancelled, nullptr));
      r.reset();
      return true;
    }
  return false;
}

std::vector<batch::event> batch::step() {
  std::vector<event> out = std::move(finished_);
  finished_.clear();
  // Newcomers take free slots: the one whose cache holds the longest prefix of
  // the prompt when that is at least half of it, else the least recently used
  // (a short match, BOS alone, does not evict another conversation's cache).
  while (!waiting_.empty()) {
    auto& r = waiting_.front();
    int best = -1, lru = -1;
    size_t best_len = 0, lru_len = 0;
    for (size_t s = 0; s < slots_.size(); ++s) {
      if (slots_[s]) continue;
      const auto& c = cached_[s];
      size_t len = 0;
      if (opts_.prompt_cache)
        while (len < c.size() && len < r->prompt.size() && c[len] == r->prompt[len]) ++len;
      if (2 * len >= r->prompt.size() && len > best_len) best = static_cast<int>(s), best_len = len;
      if (lru < 0 || used_us_[s] < used_us_[static_cast<size_t>(lru)]) lru = static_cast<int>(s), lru_len = len;
    }
    if (best < 0) best = lru, best_len = lru_len;
    if (best < 0) break;
    // A cache kept beyond the slots that holds more of the prompt (and at least half) wins.
    std::optional<prompt_store::hit> hit;
    if (store_) hit = store_->take_best(r->prompt, std::max(best_len + 1, (r->prompt.size() + 1) / 2));
    take_slot(best, *r, std::min(best_len, r->prompt.size() - 1), std::move(hit)); // the last prompt token is fed
    used_us_[static_cast<size_t>(best)] = now_us();
    slots_[static_cast<size_t>(best)] = std::move(r);
    waiting_.pop_front();
  }
  // One batch: a prompt chunk of each request still in prefill, one token of the others.
  std::vector<batch_entry> entries;
  std::vector<int> owner; // slot of each logits row
  for (size_t s = 0; s < slots_.size(); ++s) {
    auto& r = slots_[s];
    if (!r) continue;
    int slot = static_cast<int>(s);
    if (r->fed < r->prompt.size()) {
      size_t n = std::min(r->prompt.size() - r->fed, static_cast<size_t>(std::max(1, opts_.prefill_chunk)));
      for (size_t i = 0; i < n; ++i) {
        bool last = r->fed + 1 == r->prompt.size();
        entries.push_back({slot, r->prompt[r->fed++], last});
        if (last) owner.push_back(slot);
      }
    } else {
      entries.push_back({slot, r->last, true});
      owner.push_back(slot);
    }
  }
  if (entries.empty()) return out;
  auto logits = ctx_.decode_batch(entries);
  // What each slot's cache holds now (a failed step appended nothing).
  for (auto& e : entries)
    if (logits) cached_[static_cast<size_t>(e.slot)].push_back(e.token);
  for (size_t s = 0; s < slots_.size(); ++s)
    if (cached_[s].size() > static_cast<size_t>(ctx_.n_past(static_cast<int>(s))))
      cached_[s].resize(static_cast<size_t>(ctx_.n_past(static_cast<int>(s))));
  if (!logits) { // fail what was running; the slots are free again
    for (auto& r : slots_)
      if (r) {
        auto e = finish(*r, finish_reason::error, nullptr);
        e.error = logits.error();
        out.push_back(std::move(e));
        r.reset();
      }
    return out;
  }
  const int n_vocab = ctx_.get_model().hp().n_vocab;
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
    std::optional<finish_reason> end;
    if (r->params.stop_at_eog && tok_.is_eog(id)) {
      end = finish_reason::eog;
    } else {
      bool hit = false;
      std::string text = r->stops->push(r->detok.push(tok_.piece(id)), hit);
      r->text += text;
      const auto index = static_cast<uint32_t>(r->generated - 1);
      event e;
      e.id = r->id;
      e.index = index;
      e.token = id;
      e.text = std::move(text);
      out.push_back(std::move(e));
      if (hit) end = finish_reason::stop;
      else if (r->generated >= r->params.max_tokens) end = finish_reason::length;
      else if (context_full(ctx_.n_past(owner[i]), ctx_.n_ctx())) end = finish_reason::context;
    }
    if (end) {
      out.push_back(finish(*r, *end, &out));
      r.reset();
    }
  }
  return out;
}

} // namespace rbee::kernels
