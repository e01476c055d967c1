#include "kernels/stop_filter.hpp"

#include <algorithm>

namespace rbee::kernels {

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

} // namespace rbee::kernels
