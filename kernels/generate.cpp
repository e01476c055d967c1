#include "kernels/generate.hpp"

#include "kernels/stop_filter.hpp"

#include <chrono>

namespace rbee::kernels {

namespace {

using clk = std::chrono::steady_clock;

double seconds(clk::duration d) {
  return std::chrono::duration<double>(d).count();
}

} // namespace

std::string stop_filter::push(std::string_view text, bool& hit) {
  held_.append(text);
  for (auto& s : stops_) {
    if (s.empty()) continue;
    auto at = held_.find(s);
    if (at != std::string::npos) {
      hit = true;
      std::string out = held_.substr(0, at);
      held_.clear();
      return out;
    }
  }
  size_t keep = 0; // the longest suffix of held_ that starts a stop sequence
  for (auto& s : stops_)
    for (size_t n = std::min(s.empty() ? 0 : s.size() - 1, held_.size()); n > keep; --n)
      if (held_.compare(held_.size() - n, n, s, 0, n) == 0) {
        keep = n;
        break;
      }
  std::string out = held_.substr(0, held_.size() - keep);
  held_.erase(0, held_.size() - keep);
  return out;
}

std::string stop_filter::flush() {
  std::string out = std::move(held_);
  held_.clear();
  return out;
}

result<generate_stats> generate(context& ctx, const tokenizer& tok, const std::vector<int32_t>& prompt,
                                const generate_params& p, const token_callback& on_token) {
  generate_stats st;
  st.prompt_tokens = static_cast<int>(prompt.size());
  if (prompt.empty()) return result<generate_stats>::failure("the prompt is empty");
  if (static_cast<int>(prompt.size()) + 1 > ctx.n_ctx() - ctx.n_past())
    return result<generate_stats>::failure("context overflow: the prompt has " + std::to_string(prompt.size()) +
                                           " tokens, the context " + std::to_string(ctx.n_ctx() - ctx.n_past()) + " free");
  sampler smp(p.sampling);
  for (auto id : prompt) smp.accept(id);
  auto t0 = clk::now();
  auto logits = ctx.decode(prompt.data(), static_cast<int>(prompt.size()));
  if (!logits) return result<generate_stats>::failure(logits.error());
  st.prefill_seconds = seconds(clk::now() - t0);
  detokenizer detok;
  stop_filter stops(p.stop);
  auto t1 = clk::now();
  const int n_vocab = ctx.get_model().hp().n_vocab;
  std::vector<float> work(static_cast<size_t>(n_vocab));
  st.finish_reason = "length";
  while (st.generated < p.max_tokens) {
    std::copy(*logits, *logits + n_vocab, work.begin());
    int32_t id = smp.sample(work.data(), n_vocab);
    smp.accept(id);
    ++st.generated;
    if (p.stop_at_eog && tok.is_eog(id)) {
      st.finish_reason = "eog";
      break;
    }
    bool hit = false;
    std::string text = stops.push(detok.push(tok.piece(id)), hit);
    if (!on_token(id, text)) {
      st.finish_reason = "cancelled";
      break;
    }
    if (hit) {
      st.finish_reason = "stop";
      break;
    }
    if (st.generated >= p.max_tokens) break;
    if (ctx.n_past() >= ctx.n_ctx()) {
      st.finish_reason = "context"; // an explicit, reported end: the context is full
      break;
    }
    logits = ctx.decode(&id, 1);
    if (!logits) return result<generate_stats>::failure(logits.error());
  }
  if (st.finish_reason != "stop" && st.finish_reason != "cancelled") {
    bool hit = false;
    std::string rest = stops.push(detok.flush(), hit) + (hit ? "" : stops.flush());
    if (!rest.empty()) on_token(-1, rest);
  }
  st.decode_seconds = seconds(clk::now() - t1);
  return st;
}

} // namespace rbee::kernels
