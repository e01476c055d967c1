#pragma once
// What the sse bridge hands its subscribers: each event's SSE frame, with the typed
// message beside it. Apart from interfaces.hpp so that net/'s formats (no actors)
// can take it.

#include "messages/job.hpp"
#include "messages/worker.hpp"

#include <memory>
#include <string>

namespace rbee {

/// One event as the bridge hands it to a subscriber: the rendered SSE frame and,
/// beside it, the typed message it was rendered from (a token, a job's state), so
/// that a subscriber that reshapes events (OpenAI streams) reads no JSON back.
struct bridge_event {
  std::shared_ptr<const std::string> frame;
  std::shared_ptr<const token_msg> token; ///< event: token
  std::shared_ptr<const job_info> job;    ///< event: state, or the job's terminal event
};

class event_sink {
public:
  virtual ~event_sink() = default;
  /// Queues one event; `last` marks the end of the stream (a terminal event).
  /// Returns false once the sink is closed.
  virtual bool push(const bridge_event& e, bool last) = 0;
};
using event_sink_ptr = std::shared_ptr<event_sink>;

} // namespace rbee
