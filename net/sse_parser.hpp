#pragma once
// A Server-Sent Events parser (the WHATWG event-stream format), for the keeper,
// the tests and the benchmarks: feed it bytes, it calls back once per event.

#include <functional>
#include <string>
#include <string_view>

namespace rbee::net {

struct sse_event {
  std::string id;               ///< the last id seen (ids persist across events)
  std::string event = "message";
  std::string data;
};

class sse_parser {
public:
  /// Called for each complete event; return false to stop parsing.
  using callback = std::function<bool(const sse_event&)>;

  /// Feeds bytes; returns false once a callback asked to stop.
  bool feed(std::string_view bytes, const callback& on_event);

  /// Comments (": keep-alive") seen so far.
  size_t comments() const { return comments_; }

private:
  bool line(std::string_view l, const callback& on_event);

  std::string buf_;
  sse_event cur_;
  std::string last_id_;
  bool has_data_ = false;
  bool saw_cr_ = false;
  size_t comments_ = 0;
};

/// The event name and data of one SSE frame as the bridge renders it (one event,
/// "event: …" and "data: …" lines).
void split_frame(const std::string& frame, std::string& event, std::string& data);

} // namespace rbee::net
