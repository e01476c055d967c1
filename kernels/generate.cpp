#include "kernels/generate.hpp"

#include "kernels/batch.hpp"

namespace rbee::kernels {

std::string_view to_string(finish_reason r) {
  switch (r) {
    case finish_reason::length: return "length";
    case finish_reason::stop: return "stop";
    case finish_reason::eog: return "eog";
    case finish_reason::context: return "context";
    case finish_reason::cancelled: return "cancelled";
    case finish_reason::error: return "error";
  }
  return "error";
}

result<generate_stats> generate(context& ctx, const tokenizer& tok, const std::vector<int32_t>& prompt,
                                const generate_params& p, const token_callback& on_token) {
  batch one(ctx, tok); // the whole prompt in one step, as a lone request has nobody to wait for
  if (auto refused = one.add("", prompt, p)) return result<generate_stats>::failure(refused->message);
  generate_stats st;
  bool cancelled = false;
  while (one.busy()) {
    for (auto& e : one.step()) {
      if (!e.done) {
        if (cancelled) continue;
        if (!on_token(e.token, e.text) && e.token >= 0) { // (the end's last text cannot be refused)
          cancelled = true;
          one.cancel("");
        }
        continue;
      }
      if (e.reason == finish_reason::error) return result<generate_stats>::failure(e.error);
      st.prompt_tokens = e.prompt_tokens;
      st.generated = e.generated;
      st.prefill_seconds = e.prefill_ms / 1000;
      st.decode_seconds = e.decode_ms / 1000;
      st.reason = cancelled ? finish_reason::cancelled : e.reason;
    }
  }
  return st;
}

} // namespace rbee::kernels
