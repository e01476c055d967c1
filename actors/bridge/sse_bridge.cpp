#include "actors/bridge/sse_bridge.hpp"

#include "actors/bridge/event_log.hpp"
#include "messages/json.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <cstdlib>
#include <deque>
#include <unordered_map>

namespace rbee {

namespace {

struct bridge_state {
  bridge_options opts;
  std::unordered_map<std::string, event_log> jobs;
  std::deque<std::string> finished; ///< closed logs, oldest first
  event_log global{16384};
  uint64_t tokens_total = 0;
  uint64_t download_bytes_total = 0;
  std::unordered_map<std::string, uint64_t> download_done; ///< per running job: bytes_done last seen
  static inline const char* name = "sse_bridge";

  /// A download's progress event: its new bytes go into the total.
  void count_download(const narration& n) {
    for (auto& f : n.fields)
      if (f.key == "bytes_done" && f.numeric) {
        uint64_t done = std::strtoull(f.value.c_str(), nullptr, 10);
        auto& last = download_done[n.job_id];
        if (done > last) download_bytes_total += done - last;
        last = done;
      }
  }

  event_log* find(const std::string& id) {
    auto i = jobs.find(id);
    return i == jobs.end() ? nullptr : &i->second;
  }

  void retire(const std::string& id) {
    finished.push_back(id);
    while (finished.size() > opts.max_finished_jobs) {
      jobs.erase(finished.front());
      finished.pop_front();
    }
  }
};

std::string_view terminal_event(job_state s) {
  switch (s) {
    case job_state::completed: return "done";
    case job_state::failed: return "error";
    default: return "cancelled";
  }
}

bridge_actor::behavior_type bridge_impl(bridge_actor::stateful_pointer<bridge_state> self,
                                        bridge_options opts) {
  self->state.opts = opts;
  self->state.global = event_log{opts.global_events};
  return {
    [=](narration& n) {
      auto& st = self->state;
      auto* log = st.find(n.job_id);
      if (!log || log->closed()) return; // unknown or finished: nothing follows a terminal event
      if (n.kind == event_kind::progress && n.actor == "downloader") st.count_download(n);
      std::string_view kind = to_string(n.kind);
      log->append(kind, [&](uint64_t id) {
        n.seq = id;
        return json::write(n);
      });
      if (n.kind != event_kind::token)
        st.global.append(kind, [&](uint64_t) { return json::write(n); });
    },
    [=](token_msg& t) {
      auto* log = self->state.find(t.job_id);
      if (!log || log->closed()) return;
      if (t.token_id >= 0) ++self->state.tokens_total; // (-1: the end's held-back text)
      auto typed = std::make_shared<const token_msg>(std::move(t));
      log->append("token", [&](uint64_t) { return json::write(*typed); }, false, bridge_event{nullptr, typed, nullptr}); // not on the global feed
    },
    [=](job_info& j) {
      auto& st = self->state;
      auto [it, fresh] = st.jobs.try_emplace(j.job_id, event_log{st.opts.replay_events});
      auto& log = it->second;
      if (log.closed()) return;
      bool terminal = is_terminal(j.state);
      auto typed = std::make_shared<const job_info>(std::move(j));
      auto data = json::write(*typed);
      log.append(terminal ? terminal_event(typed->state) : "state", [&](uint64_t) { return data; }, terminal,
                 bridge_event{nullptr, nullptr, typed});
      st.global.append("job", [&](uint64_t) { return data; }, false, bridge_event{nullptr, nullptr, typed});
      if (terminal) {
        st.retire(typed->job_id);
        st.download_done.erase(typed->job_id);
      }
    },
    [=](hive_info& h) {
      self->state.global.append("hive", [&](uint64_t) { return json::write(h); });
    },
    [=](subscribe_atom, subscription& sub) -> caf::result<uint64_t> {
      if (!sub.sink) return make_error(errc::bad_request, "subscription without a sink");
      if (sub.job_id.empty()) return self->state.global.subscribe(sub);
      auto* log = self->state.find(sub.job_id);
      if (!log) return make_error(errc::job_not_found, "no job '" + sub.job_id + "'");
      return log->subscribe(sub);
    },
    [=](stats_atom) -> bridge_stats {
      auto& st = self->state;
      bridge_stats s;
      s.jobs_logged = st.jobs.size();
      s.subscribers = st.global.subscribers();
      for (auto& [id, log] : st.jobs) s.subscribers += log.subscribers();
      s.tokens_total = st.tokens_total;
      s.download_bytes_total = st.download_bytes_total;
      return s;
    },
  };
}

} // namespace

bridge_actor spawn_bridge(caf::actor_system& sys, bridge_options opts) {
  return sys.spawn(bridge_impl, opts);
}

} // namespace rbee
