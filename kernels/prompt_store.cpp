#include "kernels/prompt_store.hpp"

namespace rbee::kernels {

void prompt_store::put(std::vector<int32_t> tokens, std::vector<uint8_t> kv) {
  const size_t size = kv.size();
  if (size == 0 || size > budget_) return;
  while (bytes_ + size > budget_ && !entries_.empty()) {
    bytes_ -= entries_.back().kv.size();
    entries_.pop_back();
  }
  entries_.push_front({std::move(tokens), std::move(kv)});
  bytes_ += size;
}

std::optional<prompt_store::hit> prompt_store::take_best(const std::vector<int32_t>& prompt, size_t at_least) {
  auto best = entries_.end();
  size_t best_len = 0;
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    size_t len = 0;
    while (len < it->tokens.size() && len < prompt.size() && it->tokens[len] == prompt[len]) ++len;
    if (len >= at_least && len > best_len) best = it, best_len = len;
  }
  if (best == entries_.end()) return std::nullopt;
  hit h{std::move(best->tokens), std::move(best->kv), best_len};
  bytes_ -= h.kv.size();
  entries_.erase(best);
  return h;
}

} // namespace rbee::kernels
