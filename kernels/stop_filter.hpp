#pragma once
// Holds back generated text that might be the start of a stop sequence, and
// cuts the text where one completes.

#include <string>
#include <string_view>
#include <vector>

namespace rbee::kernels {

class stop_filter {
public:
  explicit stop_filter(std::vector<std::string> stops) : stops_(std::move(stops)) {}

  /// Adds text; returns what can be released. Sets `hit` when a stop sequence
  /// completed (the stop sequence and anything after it are dropped).
  std::string push(std::string_view text, bool& hit);

  /// Releases what is held back (at the end of a generation without a stop).
  std::string flush();

private:
  std::vector<std::string> stops_;
  std::string held_;
};

} // namespace rbee::kernels
