// The text forms of the message enums and the operation tags.
#include "messages/hive.hpp"
#include "messages/job.hpp"
#include "messages/narration.hpp"
#include "messages/operations.hpp"

#include <chrono>

namespace rbee {

std::string_view to_string(level x) {
  switch (x) {
    case level::debug: return "debug";
    case level::info: return "info";
    case level::warn: return "warn";
    case level::error: return "error";
  }
  return "info";
}

std::string_view to_string(event_kind x) {
  switch (x) {
    case event_kind::narration: return "narration";
    case event_kind::progress: return "progress";
    case event_kind::token: return "token";
    case event_kind::done: return "done";
    case event_kind::error: return "error";
    case event_kind::cancelled: return "cancelled";
    case event_kind::state: return "state";
    case event_kind::build_output: return "build_output";
  }
  return "narration";
}

std::string_view to_string(job_state x) {
  switch (x) {
    case job_state::queued: return "queued";
    case job_state::running: return "running";
    case job_state::completed: return "completed";
    case job_state::failed: return "failed";
    case job_state::cancelled: return "cancelled";
  }
  return "queued";
}

std::string_view to_string(worker_state x) {
  switch (x) {
    case worker_state::starting: return "starting";
    case worker_state::loading: return "loading";
    case worker_state::ready: return "ready";
    case worker_state::failed: return "failed";
  }
  return "failed";
}

std::string_view to_string(hive_state x) {
  return x == hive_state::online ? "online" : "lost";
}

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

narration narrate(std::string job_id, std::string actor, std::string action, std::string target,
                  std::string human, level lvl) {
  narration n;
  n.job_id = std::move(job_id);
  n.actor = std::move(actor);
  n.action = std::move(action);
  n.target = std::move(target);
  n.human = std::move(human);
  n.lvl = lvl;
  n.timestamp_ms = now_ms();
  return n;
}

namespace {

template <class... Ts>
std::vector<std::string> names_of(caf::detail::type_list<Ts...>) {
  return {std::string(Ts::name)...};
}

} // namespace

const std::vector<std::string>& op_names() {
  static const std::vector<std::string> names = names_of(operation::types{});
  return names;
}

std::string op_name(const operation& op) {
  return caf::visit([](const auto& x) { return std::string(std::decay_t<decltype(x)>::name); }, op);
}

std::string op_hive(const operation& op) {
  return caf::visit(
    [](const auto& x) -> std::string {
      if constexpr (requires { x.hive_id; })
        return x.hive_id;
      else
        return {};
    },
    op);
}

void set_hive(operation& op, const std::string& hive_id) {
  caf::visit(
    [&](auto& x) {
      if constexpr (requires { x.hive_id; }) x.hive_id = hive_id;
    },
    op);
}

} // namespace rbee
