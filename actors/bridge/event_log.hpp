#pragma once
// One ordered SSE event stream (a job's, or the global feed): monotonic ids, a
// bounded replay buffer, a terminal event that is always kept, and fan-out to
// subscribers. Plain class: the sse bridge actor only wires it to messages.

#include "messages/interfaces.hpp"

#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace rbee {

class event_log {
public:
  explicit event_log(size_t capacity);

  /// Appends an event, gives it the next id, and sends it to every subscriber.
  /// `data_for_id` builds the data given the id. Returns the id, or 0 when the
  /// log is already closed by a terminal event.
  /// `typed` carries the message the data was written from (its frame is filled in here).
  template <class F>
  uint64_t append(std::string_view event, F&& data_for_id, bool terminal = false, bridge_event typed = {}) {
    if (closed()) return 0;
    uint64_t id = next_id_++;
    typed.frame = std::make_shared<const std::string>(sse_text(id, event, data_for_id(id)));
    store(id, std::move(typed), terminal);
    return id;
  }

  /// Replays what the subscriber has not seen, then (unless the log is closed)
  /// keeps it for later events. Returns the last id so far.
  uint64_t subscribe(const subscription& sub);

  bool closed() const { return terminal_.frame != nullptr; }
  uint64_t last_id() const { return next_id_ - 1; }
  size_t subscribers() const { return subs_.size(); }
  size_t buffered() const { return buf_.size(); }

private:
  struct entry {
    uint64_t id;
    bridge_event ev;
  };
  static std::string sse_text(uint64_t id, std::string_view event, const std::string& data);
  void store(uint64_t id, bridge_event ev, bool terminal);

  size_t capacity_;
  uint64_t next_id_ = 1;
  std::deque<entry> buf_;
  bridge_event terminal_; ///< the last event, kept even if evicted
  uint64_t terminal_id_ = 0;
  std::vector<event_sink_ptr> subs_;
};

} // namespace rbee
