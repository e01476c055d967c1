#pragma once
// Narration: what an actor says about the job it works on. It flows to the sse
// bridge, which gives it its place (seq) in the job's ordered event log.

#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace rbee {

enum class level : uint8_t { debug, info, warn, error };

std::string_view to_string(level x);

/// One structured field, e.g. bytes_done=1024 (numeric) or file="a.gguf".
struct field {
  std::string key;
  std::string value;
  bool numeric = false; ///< value holds a JSON number
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, field& x) {
  return f(caf::meta::type_name("rbee_field"), x.key, x.value, x.numeric);
}

inline field num_field(std::string key, int64_t v) {
  return field{std::move(key), std::to_string(v), true};
}
inline field text_field(std::string key, std::string v) {
  return field{std::move(key), std::move(v), false};
}

/// Event kinds of a job's SSE stream (the `event:` line).
enum class event_kind : uint8_t { narration, progress, token, done, error, cancelled, state, build_output };

std::string_view to_string(event_kind x);

struct narration {
  std::string job_id;
  uint64_t seq = 0;          ///< set by the sse bridge: the event id in the job's log
  std::string actor;         ///< queen, hive, downloader, installer, worker
  std::string action;        ///< a short verb: route, probe, download, build
  std::string target;        ///< what the action is about (a hive id, a file)
  std::string human;         ///< one line for people
  level lvl = level::info;
  int64_t timestamp_ms = 0;  ///< Unix time in milliseconds
  event_kind kind = event_kind::narration; ///< narration, progress or token
  std::vector<field> fields;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, narration& x) {
  return f(caf::meta::type_name("rbee_narration"), x.job_id, x.seq, x.actor, x.action, x.target,
           x.human, x.lvl, x.timestamp_ms, x.kind, x.fields);
}

/// Milliseconds since the Unix epoch.
int64_t now_ms();

/// Builds a narration stamped with the current time.
narration narrate(std::string job_id, std::string actor, std::string action, std::string target,
                  std::string human, level lvl = level::info);

} // namespace rbee
