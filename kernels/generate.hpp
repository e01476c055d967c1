#pragma once
// The generation loop: prompt processing, then sampling token by token until
// max tokens, an end-of-generation token or a stop sequence; text comes out
// incrementally and UTF-8 safe.

#include "kernels/context.hpp"
#include "kernels/sampler.hpp"
#include "kernels/tokenizer.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace rbee::kernels {

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
  std::string finish_reason; ///< length, stop, eog, cancelled
};

/// Called per generated token with the text that became final with it (may be
/// empty); return false to stop (finish_reason "cancelled").
using token_callback = std::function<bool(int32_t id, std::string_view text)>;

result<generate_stats> generate(context& ctx, const tokenizer& tok, const std::vector<int32_t>& prompt,
                                const generate_params& p, const token_callback& on_token);

} // namespace rbee::kernels
