#pragma once
// The text of one Server-Sent Events frame: `id:`, `event:` and `data:` lines.

#include <cstdint>
#include <string>
#include <string_view>

namespace rbee {

/// `data` must not contain newlines (compact JSON never does); any that slip
/// through are split into several data lines, as the SSE format requires.
inline std::string sse_frame(uint64_t id, std::string_view event, std::string_view data) {
  std::string out;
  out.reserve(data.size() + event.size() + 40);
  out += "id: ";
  out += std::to_string(id);
  out += "\nevent: ";
  out += event;
  out += "\ndata: ";
  for (char c : data) {
    if (c == '\n')
      out += "\ndata: ";
    else if (c != '\r')
      out += c;
  }
  out += "\n\n";
  return out;
}

} // namespace rbee
