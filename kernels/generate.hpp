#pragma once
// Generating from one prompt: prompt processing, then sampling token by token
// until max tokens, an end-of-generation token, a stop sequence or the end of the
// context; text comes out incrementally and UTF-8 safe. It runs the one
// generation loop (batch.hpp) as a batch of one.

#include "kernels/context.hpp"
#include "kernels/sampler.hpp"
#include "kernels/tokenizer.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace rbee::kernels {

/// Why a generation ended.
enum class finish_reason : uint8_t { length, stop, eog, context, cancelled, error };

/// "length", "stop", "eog", "context", "cancelled", "error".
std::string_view to_string(finish_reason r);

/// The context rules, one place: a prompt fits a context that holds it and the
/// position of the first generated token; a generation ends ("context") once the
/// context holds n_ctx tokens (the last sampled token needs no position).
inline bool prompt_fits(int prompt_tokens, int n_ctx) { return prompt_tokens + 1 <= n_ctx; }
inline bool context_full(int n_past, int n_ctx) { return n_past >= n_ctx; }

struct generate_params {
  int max_tokens = 128;
  std::vector<std::string> stop; ///< stop sequences (not part of the output)
  bool stop_at_eog = true;
  sampling_params sampling;
};

struct generate_stats {
  int prompt_tokens = 0;
  int generated = 0;
  double prefill_seconds = 0;
  double decode_seconds = 0;
  finish_reason reason = finish_reason::length;
};

/// Called per generated token with the text that became final with it (may be
/// empty; id -1: text the end released); return false to stop (cancelled).
using token_callback = std::function<bool(int32_t id, std::string_view text)>;

/// Generates in slot 0 of `ctx` (reset first).
result<generate_stats> generate(context& ctx, const tokenizer& tok, const std::vector<int32_t>& prompt,
                                const generate_params& p, const token_callback& on_token);

} // namespace rbee::kernels
