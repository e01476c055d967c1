#include "actors/worker/worker.hpp"

#include "actors/worker/batcher.hpp"
#include "kernels/chat_template.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>
#include <unordered_map>

namespace rbee {

namespace {

/// A prompt tokenized on a thread of its own, so that the worker still reads its
/// mailbox meanwhile: a cancel reaches it (and stops the tokenizer) at once.
struct tokenizing {
  std::atomic<bool> cancel{false};
  std::atomic<bool> done{false};
  std::vector<int32_t> tokens; ///< written by the thread before `done`
};

struct pending {
  job_ctx ctx;
  caf::typed_response_promise<infer_result> rp;
  kernels::generate_params gp;
  std::shared_ptr<tokenizing> tok; ///< set while the prompt is tokenized
};

struct worker_data {
  worker_options opts;
  std::shared_ptr<kernels::model> model;
  std::shared_ptr<kernels::tokenizer> tok;
  std::unique_ptr<batcher> batch;
  kernels::chat_family family = kernels::chat_family::fallback;
  std::unordered_map<std::string, pending> jobs;
  bool stepping = false;
  worker_info info;
  int64_t rate_start_us = 0; ///< the window of info.tokens_per_s
  int64_t rate_tokens = 0;
  static inline const char* name = "worker";
};

using worker_ptr = worker_actor::stateful_pointer<worker_data>;

/// The worker cannot serve: every request is answered with why (worker_info.error).
void failed(worker_data& st, const std::string& why) {
  st.info.state = rbee::worker_state::failed;
  st.info.error = why;
}

void load(worker_ptr self) {
  auto& st = self->state;
  bool cpu = st.opts.device.empty() || st.opts.device == "cpu";
  auto m = kernels::model::load(st.opts.model_path, cpu); // a GPU takes the file's layout
  if (!m) {
    return failed(st, m.error());
  }
  auto t = kernels::tokenizer::from_gguf((*m)->file());
  if (!t) {
    return failed(st, t.error());
  }
  batcher::options o;
  o.slots = st.opts.slots;
  o.prompt_cache_mib = st.opts.prompt_cache_mib;
  o.n_ctx = st.opts.n_ctx;
  o.device = st.opts.device.empty() ? "cpu" : st.opts.device;
  auto b = batcher::create(*m, *t, o);
  if (!b) {
    return failed(st, b.error());
  }
  st.model = *m;
  st.tok = *t;
  st.batch = std::move(*b);
  st.family = kernels::detect_chat_family(st.model->file().opt_string("tokenizer.chat_template", ""));
  st.info.state = rbee::worker_state::ready;
  st.info.memory_bytes = st.model->weight_bytes_per_token();
}

/// The text of an infer operation's prompt (chat template for messages) and whether
/// control-token texts in it are tokens.
struct prompt_text {
  std::string text;
  bool special = false;
};

caf::expected<prompt_text> prompt_of(worker_data& st, const infer_op& op) {
  prompt_text p;
  if (!op.messages.empty()) {
    std::vector<kernels::chat_msg> msgs;
    for (auto& m : op.messages) {
      if (m.role != "system" && m.role != "user" && m.role != "assistant")
        return make_error(errc::invalid_value, "field 'messages' has an unknown role '" + m.role.substr(0, 32) + "'");
      msgs.push_back({m.role, m.content});
    }
    p.text = kernels::apply_chat_template(st.family, msgs, true, op.think);
    p.special = true;
  } else if (op.prompt.empty()) {
    return make_error(errc::bad_request, "one of 'prompt' or 'messages' is required");
  } else {
    p.text = op.prompt;
  }
  // Refused before tokenizing: a text of n bytes has at least n / max_token_bytes tokens.
  auto holds = static_cast<size_t>(st.batch->n_ctx());
  if (p.text.size() / st.tok->max_token_bytes() >= holds)
    return make_error(errc::context_overflow, "context overflow: the prompt has " + std::to_string(p.text.size()) +
                                                " bytes, more than the context of " + std::to_string(holds) +
                                                " tokens can hold");
  return p;
}

/// Tokenizes on a thread of its own and pokes the worker when done.
void start_tokenizing(worker_ptr self, const std::shared_ptr<tokenizing>& job, prompt_text p) {
  std::thread([tok = std::shared_ptr<const kernels::tokenizer>(self->state.tok), job, p = std::move(p),
               me = caf::actor_cast<worker_actor>(self)] {
    job->tokens = tok->encode(p.text, tok->add_bos(), p.special, &job->cancel);
    job->done.store(true, std::memory_order_release);
    caf::anon_send(me, tokenized_atom::value);
  }).detach();
}

void start_stepping(worker_ptr self) {
  auto& st = self->state;
  if (!st.stepping && st.batch->busy()) {
    st.stepping = true;
    self->send(self, step_atom::value);
  }
}

/// Prompts whose tokens are ready join the batch (or fail with why).
void join_tokenized(worker_ptr self) {
  auto& st = self->state;
  for (auto it = st.jobs.begin(); it != st.jobs.end();) {
    auto& p = it->second;
    if (!p.tok || !p.tok->done.load(std::memory_order_acquire)) {
      ++it;
      continue;
    }
    auto tokens = std::move(p.tok->tokens);
    p.tok.reset();
    if (auto err = st.batch->add(it->first, std::move(tokens), p.gp)) {
      p.rp.deliver(make_error(*err));
      it = st.jobs.erase(it);
      continue;
    }
    ++it;
  }
  start_stepping(self);
}

void step(worker_ptr self) {
  auto& st = self->state;
  auto now_us = [] {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  };
  if (!st.rate_start_us) st.rate_start_us = now_us();
  for (auto& e : st.batch->step()) {
    auto it = st.jobs.find(e.id);
    if (it == st.jobs.end()) continue;
    if (!e.done) {
      if (e.token >= 0) ++st.rate_tokens; // (-1: the end's held-back text)
      if (it->second.ctx.bridge)
        self->send(it->second.ctx.bridge, token_msg{e.id, e.index, std::move(e.text), e.token});
      continue;
    }
    auto& rp = it->second.rp;
    if (e.reason == kernels::finish_reason::error)
      rp.deliver(make_error(errc::internal, "generation failed: " + e.result.text));
    else if (e.reason == kernels::finish_reason::cancelled)
      rp.deliver(make_error(errc::cancelled, "generation cancelled"));
    else {
      e.result.model = st.opts.model;
      rp.deliver(std::move(e.result));
    }
    st.jobs.erase(it);
  }
  st.info.busy = st.batch->active_count();
  st.info.last_used_ms = now_ms();
  // Tokens per second over windows of at least a second (and the last, partial one when work stops).
  int64_t elapsed = now_us() - st.rate_start_us;
  if (elapsed >= 1'000'000 || (!st.batch->busy() && elapsed > 0)) {
    st.info.tokens_per_s = static_cast<double>(st.rate_tokens) * 1e6 / static_cast<double>(elapsed);
    st.rate_tokens = 0;
    st.rate_start_us = 0;
  }
  if (st.batch->busy())
    self->send(self, step_atom::value);
  else
    st.stepping = false;
}

worker_actor::behavior_type worker_impl(worker_ptr self, worker_options opts) {
  auto& st = self->state;
  st.opts = opts;
  st.info = worker_info{};
  st.info.worker_id = opts.worker_id, st.info.model = opts.model, st.info.model_path = opts.model_path;
  st.info.hive_id = opts.hive_id, st.info.device = opts.device.empty() ? "cpu" : opts.device, st.info.state = rbee::worker_state::loading;
  st.info.slots = opts.slots, st.info.loaded_ms = st.info.last_used_ms = now_ms(), st.info.keep_alive_s = opts.keep_alive_s;
  load(self);
  return {
    [=](generate_atom, const job_ctx& ctx, const infer_op& op) -> caf::result<infer_result> {
      auto& st = self->state;
      if (!st.info.error.empty()) return make_error(errc::model_not_found, "cannot load the model: " + st.info.error);
      if (st.jobs.count(ctx.job_id)) return make_error(errc::bad_request, "job already running");
      auto prompt = prompt_of(st, op);
      if (!prompt) return std::move(prompt.error());
      kernels::generate_params gp;
      gp.max_tokens = op.max_tokens;
      gp.stop = op.stop;
      gp.sampling.temperature = op.temperature;
      gp.sampling.top_k = op.top_k;
      gp.sampling.top_p = op.top_p;
      gp.sampling.min_p = op.min_p;
      gp.sampling.repetition_penalty = op.repetition_penalty;
      gp.sampling.frequency_penalty = op.frequency_penalty;
      gp.sampling.presence_penalty = op.presence_penalty;
      gp.sampling.seed = op.has_seed ? op.seed : std::random_device{}();
      auto rp = self->make_response_promise<infer_result>();
      auto job = std::make_shared<tokenizing>();
      st.jobs.emplace(ctx.job_id, pending{ctx, rp, std::move(gp), job});
      start_tokenizing(self, job, std::move(*prompt));
      return rp;
    },
    [=](tokenized_atom) { join_tokenized(self); },
    [=](cancel_atom, const std::string& job_id) {
      auto& st = self->state;
      auto it = st.jobs.find(job_id);
      if (it != st.jobs.end() && it->second.tok) { // still tokenizing: stop it and answer now
        it->second.tok->cancel.store(true, std::memory_order_relaxed);
        it->second.rp.deliver(make_error(errc::cancelled, "generation cancelled"));
        st.jobs.erase(it);
        return;
      }
      if (st.batch && st.batch->cancel(job_id)) start_stepping(self);
    },
    [=](info_atom) { return self->state.info; },
    [=](step_atom) { step(self); },
  };
}

} // namespace

worker_actor spawn_worker(caf::actor_system& sys, worker_options opts) {
  return sys.spawn<caf::detached>(worker_impl, std::move(opts));
}

} // namespace rbee
