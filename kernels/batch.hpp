#pragma once
// The one generation loop. Requests join and leave a batch over a context's
// slots; each step feeds a prompt chunk of every newcomer and one token of every
// running request through one forward pass (continuous batching, chunked
// prefill). The server's workers run it with many slots; kernels::generate is a
// batch of one, so the golden and held-to-llama.cpp tests cover what serves.

#include "kernels/context.hpp"
#include "kernels/generate.hpp"
#include "kernels/prompt_store.hpp"
#include "kernels/sampler.hpp"
#include "kernels/stop_filter.hpp"
#include "kernels/tokenizer.hpp"

#include <climits>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rbee::kernels {

struct batch_options {
  int prefill_chunk = INT_MAX; ///< prompt tokens of one request per step (a worker: 64)
  /// A slot keeps the KV cache of what it ran: a newcomer takes the free slot
  /// whose cache shares the longest prefix with its prompt (a chat's earlier
  /// turns, a shared system prompt, a retry) and prefills only the rest; with no
  /// such slot, the least recently used one.
  bool prompt_cache = true;
  /// Beyond the slots: a slot's cache, when another conversation takes the slot, is kept
  /// in host memory up to this many bytes (0: not kept) and given back to a request that
  /// shares more of it than any slot holds (at least half its prompt).
  size_t prompt_cache_bytes = 0;
};

class batch {
public:

  /// What a step produced for one request.
  struct event {
    std::string id;
    bool done = false;
    // token events
    uint32_t index = 0;  ///< 0 for the first generated token
    int32_t token = -1;  ///< -1: text the end released (held by the stop filter or an unfinished UTF-8 sequence)
    std::string text;
    // done events
    finish_reason reason = finish_reason::length;
    std::string error;   ///< reason error: what the engine said
    std::string full_text;
    int prompt_tokens = 0;
    int cached_tokens = 0; ///< of the prompt, found in the slot's cache (not prefilled again)
    int generated = 0;
    double prefill_ms = 0; ///< from joining to the first generated token
    double decode_ms = 0;
  };

  /// Why a request was refused.
  struct refusal {
    bool overflow = false; ///< the prompt does not fit a slot's context
    std::string message;
  };

  /// A batch over `ctx`'s slots (borrowed: it outlives the batch).
  batch(context& ctx, const tokenizer& tok, batch_options o = {});
  ~batch();

  /// Queues a request, or says at once why it cannot run (nothing is queued).
  std::optional<refusal> add(std::string id, std::vector<int32_t> prompt, generate_params p);

  /// Ends a request now; its done event (cancelled) comes with the next step.
  bool cancel(const std::string& id);

  bool busy() const { return !waiting_.empty() || active_count() > 0 || !finished_.empty(); }
  int active_count() const;

  /// Runs one step; an engine error fails every running request.
  std::vector<event> step();

private:
  struct request;
  event finish(request& r, finish_reason reason, std::vector<event>* out);

  context& ctx_;
  const tokenizer& tok_;
  batch_options opts_;
  std::deque<std::unique_ptr<request>> waiting_;
  std::vector<std::unique_ptr<request>> slots_; ///< null: free
  std::vector<std::vector<int32_t>> cached_;    ///< per slot: the tokens its KV cache holds, in order
  std::vector<int64_t> used_us_;                ///< per slot: when a request last took it
  std::vector<event> finished_;                 ///< cancelled between steps
  std::unique_ptr<prompt_store> store_;         ///< caches beyond the slots (null: none)

  /// Gives `slot` to request `r`: restores the stored cache `hit` into it, or keeps the
  /// first `keep` positions it holds; what it held beyond goes to the store first.
  void take_slot(int slot, request& r, size_t keep, std::optional<prompt_store::hit> hit);
};

} // namespace rbee::kernels
