#include "actors/queen/remote_job.hpp"

#include <caf/send.hpp>

#include <sstream>

namespace rbee {

using namespace std::chrono_literals;

void remote_job::say(const std::string& action, const std::string& human, level lvl) {
  caf::anon_send(bridge, narrate(job_id, "hive_remote", action, op.host, human, lvl));
}

caf::expected<cluster::ssh_result> remote_job::run(const std::string& step, const std::string& command, child_options co,
                                                   std::chrono::seconds timeout, bool quiet) {
  co.timeout = timeout;
  auto on_line = [&](std::string_view line, bool is_stderr) {
    if (!quiet && !line.empty()) say(step, std::string(op.host) + ": " + std::string(line), is_stderr ? level::warn : level::info);
  };
  auto r = cluster::ssh_run(ssh, op.host, command, co, on_line, cancel());
  if (r && r->run.cancelled) return make_error(errc::cancelled, "cancelled");
  if (!r) return make_error(r.error());
  if (r->run.timed_out)
    return make_error(errc::timeout, "step '" + step + "' on " + op.host + " took longer than " + std::to_string(timeout.count()) + " s");
  if (r->ssh_failed) return make_error(errc::unavailable, "ssh to " + op.host + " failed: " + r->ssh_message);
  return std::move(*r);
}

caf::expected<cluster::ssh_result> remote_job::must(const std::string& step, const std::string& command, child_options co,
                                                    std::chrono::seconds timeout, bool quiet) {
  auto r = run(step, command, std::move(co), timeout, quiet);
  if (r && r->run.exit_code != 0) {
    std::string last = r->run.tail.empty() ? "" : ": " + r->run.tail.back();
    return make_error(errc::internal, "step '" + step + "' on " + op.host + " failed (exit " + std::to_string(r->run.exit_code) +
                                        ")" + last);
  }
  return r;
}

std::map<std::string, std::string> key_values(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (auto eq = line.find('='); eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
  return out;
}

caf::expected<job_result> activate_binary(remote_job& j, const std::string& how) {
  auto v = j.must("install", std::string(remote_dirs) + "\"$D/rbee.new\" --version && mv -f \"$D/rbee.new\" \"$D/rbee\"", {}, 60s);
  if (!v)
    return make_error(errc::platform_unsupported, "this rbee does not run on " + j.op.host + " (" + message_of(v.error()) +
                                                    "): install its libraries there (scripts/deps.sh)");
  j.say("install", "rbee is installed on " + j.op.host + ": " + how);
  return job_result{};
}

} // namespace rbee
