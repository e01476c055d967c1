#include "actors/bridge/event_log.hpp"

#include "messages/sse_frame.hpp"

#include <algorithm>

namespace rbee {

event_log::event_log(size_t capacity) : capacity_(std::max<size_t>(1, capacity)) {
}

std::string event_log::sse_text(uint64_t id, std::string_view event, const std::string& data) {
  return sse_frame(id, event, data);
}

void event_log::store(uint64_t id, bridge_event ev, bool terminal) {
  buf_.push_back({id, ev});
  if (buf_.size() > capacity_) buf_.pop_front();
  if (terminal) {
    terminal_ = ev;
    terminal_id_ = id;
  }
  // Fan out; drop the subscribers that closed.
  std::erase_if(subs_, [&](const event_sink_ptr& s) { return !s->push(ev, terminal); });
  if (terminal) subs_.clear(); // nothing follows a terminal event
}

uint64_t event_log::subscribe(const subscription& sub) {
  uint64_t after = sub.resume ? sub.last_event_id : 0;
  bool open = true;
  // Events the subscriber missed that the buffer no longer holds.
  uint64_t first = buf_.empty() ? next_id_ : buf_.front().id;
  if (after + 1 < first) {
    auto note = std::make_shared<const std::string>(
      ": " + std::to_string(first - after - 1) + " earlier events are no longer kept\n\n");
    open = sub.sink->push(bridge_event{note, nullptr, nullptr}, false);
  }
  for (auto& e : buf_) {
    if (!open) break;
    if (e.id <= after) continue;
    bool last = closed() && e.id == terminal_id_;
    open = sub.sink->push(e.ev, last);
  }
  if (open && closed() && terminal_id_ <= after)
    sub.sink->push(bridge_event{std::make_shared<const std::string>(": end of stream\n\n"), nullptr, nullptr}, true);
  else if (open && !closed())
    subs_.push_back(sub.sink);
  return last_id();
}

} // namespace rbee
