#pragma once
// Jobs: every operation submitted to the queen runs as a job with exactly one
// terminal state (completed, failed or cancelled).

#include "messages/errc.hpp"
#include "messages/results.hpp"

#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>

namespace rbee {

enum class job_state : uint8_t { queued, running, completed, failed, cancelled };

std::string_view to_string(job_state x);

inline bool is_terminal(job_state x) {
  return x == job_state::completed || x == job_state::failed || x == job_state::cancelled;
}

/// What the queen knows about a job; also the message that tells the sse bridge
/// about a state change (terminal states become the stream's last event).
struct job_info {
  std::string job_id;
  std::string operation;     ///< the operation tag, e.g. "hive_get"
  std::string hive_id;       ///< where it runs ("" for queen-only operations)
  job_state state = job_state::queued;
  int64_t created_ms = 0;
  int64_t started_ms = 0;
  int64_t finished_ms = 0;
  job_value result;          ///< completed: what it produced
  errc error_code = errc::none;
  std::string error_message; ///< failed: why
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_info& x) {
  return f(caf::meta::type_name("rbee_job_info"), x.job_id, x.operation, x.hive_id, x.state,
           x.created_ms, x.started_ms, x.finished_ms, x.result, x.error_code, x.error_message);
}

/// The answer to a submitted operation.
struct job_accepted {
  std::string job_id;
  std::string sse_url;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_accepted& x) {
  return f(caf::meta::type_name("rbee_job_accepted"), x.job_id, x.sse_url);
}

} // namespace rbee
