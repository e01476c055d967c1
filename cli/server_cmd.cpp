// The background server `rbee run` starts when none answers: `rbee server
// status|stop|restart`, and the warning when it runs with other settings than
// the keeper's (an `export HF_ENDPOINT=…` made after it started). autostart
// records it in <state_dir>/serve.json: its pid, port, log and the settings it
// was started with (secrets shown as "(set)", as `rbee config` does).
#include "cli/app.hpp"
#include "cli/client.hpp"
#include "cli/commands.hpp"
#include "io/atomic_file.hpp"
#include "json/parse.hpp"
#include "json/writer.hpp"

#include <CLI/CLI.hpp>
#include <rapidjson/document.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

namespace rbee::cli {

namespace {

std::string record_path(const config::settings& s) { return s.state_dir + "/serve.json"; }

struct record {
  int pid = 0;
  std::string port, log;
  rapidjson::Document settings;
};

std::optional<record> read_record(const config::settings& s) {
  auto text = read_small_file(record_path(s), 1 << 20);
  if (!text) return std::nullopt;
  rapidjson::Document d;
  rbee::json::parse(d, *text);
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("pid") || !d["pid"].IsInt() || !d.HasMember("port") ||
      !d["port"].IsString() || !d.HasMember("settings") || !d["settings"].IsObject())
    return std::nullopt;
  record r;
  r.pid = d["pid"].GetInt();
  r.port = d["port"].GetString();
  r.log = d.HasMember("log") && d["log"].IsString() ? d["log"].GetString() : "";
  r.settings.CopyFrom(d["settings"], r.settings.GetAllocator());
  return r;
}

/// `pid` runs (exited but not yet reaped counts as gone).
bool alive(int pid) {
  if (pid <= 0 || ::kill(pid, 0) != 0) return false;
  auto stat = read_small_file("/proc/" + std::to_string(pid) + "/stat", 4096);
  auto close = stat ? stat->rfind(')') : std::string::npos;
  return !(close != std::string::npos && close + 2 < stat->size() && (*stat)[close + 2] == 'Z');
}

/// The process `pid` is an rbee serve of this user (not a recycled pid).
bool is_our_server(int pid) {
  if (!alive(pid)) return false;
  auto cmdline = read_small_file("/proc/" + std::to_string(pid) + "/cmdline", 4096);
  return cmdline && cmdline->find(std::string("serve") + '\0') != std::string::npos &&
         cmdline->find("rbee") != std::string::npos;
}

/// The keys whose values differ between the running server's settings and `s`.
std::vector<std::string> differing(const rapidjson::Value& running, const config::settings& s) {
  rapidjson::Document now;
  rbee::json::parse(now, config::to_json(s));
  std::vector<std::string> out;
  if (now.HasParseError() || !now.IsObject() || !running.IsObject()) return out;
  for (auto& m : now.GetObject()) {
    std::string key = m.name.GetString();
    if (key == "queen_url" || key == "log_level") continue; // the keeper's own, not the server's
    auto it = running.FindMember(m.name);
    if (it == running.MemberEnd() || it->value != m.value) out.push_back(key);
  }
  return out;
}

int server_status(const config::settings& s) {
  auto r = read_record(s);
  bool alive = r && is_our_server(r->pid);
  if (!alive) {
    std::printf("no background server (one starts with `rbee run MODEL`, or run `rbee serve`)\n");
    return ok;
  }
  std::printf("running: pid %d, http://127.0.0.1:%s, log %s\n", r->pid, r->port.c_str(), r->log.c_str());
  auto diff = differing(r->settings, s);
  if (!diff.empty()) {
    std::string keys;
    for (auto& k : diff) keys += (keys.empty() ? "" : ", ") + k;
    std::printf("started with other settings than yours now (%s): `rbee server restart` applies them\n", keys.c_str());
  }
  return ok;
}

int server_stop(const config::settings& s, bool quiet = false) {
  auto r = read_record(s);
  if (!r || !is_our_server(r->pid)) {
    if (!quiet) std::printf("no background server is running\n");
    std::filesystem::remove(record_path(s));
    return ok;
  }
  ::kill(r->pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (alive(r->pid) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (alive(r->pid)) {
    std::fprintf(stderr, "rbee: the background server (pid %d) did not stop within 20 s; see %s\n", r->pid, r->log.c_str());
    return failure;
  }
  std::filesystem::remove(record_path(s));
  std::printf("stopped the background server (pid %d)\n", r->pid);
  return ok;
}

int server_restart(const config::settings& s) {
  if (int rc = server_stop(s, true); rc != ok) return rc;
  return connect_or_start(s) ? ok : failure;
}

const bool registered = register_command({175, [](CLI::App& app, common_flags& f, command_runs& runs) {
  auto* server = app.add_subcommand("server", "the background server `rbee run` starts: status, stop, restart");
  server->require_subcommand(1);
  auto* status = server->add_subcommand("status", "is it running, where, its log, and whether your settings changed since");
  auto* stop = server->add_subcommand("stop", "stop it");
  auto* restart = server->add_subcommand("restart", "stop it and start it again with your current settings");
  for (auto* c : {status, stop, restart}) add_queen_flag(c, f);
  runs.emplace_back(status, with_client_settings(server_status));
  runs.emplace_back(stop, with_client_settings([](const config::settings& s) { return server_stop(s); }));
  runs.emplace_back(restart, with_client_settings(server_restart));
}});

} // namespace

void record_background_server(const config::settings& s, int pid, const std::string& port, const std::string& log) {
  rapidjson::StringBuffer buf;
  rbee::json::writer w(buf);
  w.StartObject();
  w.Key("pid");
  w.Int(pid);
  w.Key("port");
  w.String(port);
  w.Key("log");
  w.String(log);
  w.Key("settings");
  std::string settings = config::to_json(s);
  w.RawValue(settings.c_str(), settings.size(), rapidjson::kObjectType);
  w.EndObject();
  (void)write_file_atomic(record_path(s), buf.GetString(), 0600);
}

void warn_if_settings_differ(const config::settings& s, const std::string& port) {
  auto r = read_record(s);
  if (!r || r->port != port || !is_our_server(r->pid)) return;
  auto diff = differing(r->settings, s);
  if (diff.empty()) return;
  std::string keys;
  for (auto& k : diff) keys += (keys.empty() ? "" : ", ") + k;
  std::fprintf(stderr, "rbee: the background server (pid %d) runs with other settings than yours (%s); "
                       "`rbee server restart` applies them\n", r->pid, keys.c_str());
}

} // namespace rbee::cli
