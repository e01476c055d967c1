// `rbee hive install|start|stop|status|uninstall --host ALIAS`: hives on other
// machines over ssh, as jobs of the queen whose narration (every line of the
// remote commands) streams here.
#include "cli/app.hpp"
#include "cli/client.hpp"
#include "cli/commands.hpp"
#include "cluster/queen_pki.hpp"
#include "cluster/ssh.hpp"
#include "json/writer.hpp"

#include <CLI/CLI.hpp>

#include <map>
#include <memory>

namespace rbee::cli {

namespace {

struct remote_flags {
  std::string host, name, address, build;
};

int remote(const config::settings& s, const char* action, const remote_flags& a) {
  rapidjson::StringBuffer buf;
  rbee::json::writer w(buf);
  w.StartObject();
  w.Key("operation");
  w.String("hive_remote");
  w.Key("action");
  w.String(action);
  w.Key("host");
  w.String(a.host);
  if (!a.name.empty()) {
    w.Key("name");
    w.String(a.name);
  }
  if (!a.address.empty()) {
    w.Key("address");
    w.String(a.address);
  }
  if (!a.build.empty()) {
    w.Key("build");
    w.String(a.build);
  }
  w.EndObject();
  return cmd_job_submit(s, buf.GetString());
}

/// `rbee hives`: the Host aliases of the ssh config beside the hives the queen
/// knows, each with its state: online or lost (the queen's word), installed (issued
/// here, not connected), not installed.
int list_hosts(const config::settings& s) {
  std::map<std::string, std::string> state; // hive id -> state
  if (auto issued = cluster::list_hives(cluster::queen_paths(s.state_dir)))
    for (auto& h : *issued) state[h.hive_id] = "installed";
  auto c = connect(s);
  if (!c) return usage;
  rapidjson::Document d;
  if (auto done = get_list(*c, "/v1/hives", "hives", d)) return *done;
  for (auto& h : d["hives"].GetArray())
    if (h.HasMember("hive_id") && h["hive_id"].IsString() && h.HasMember("state") && h["state"].IsString())
      state[h["hive_id"].GetString()] = h["state"].GetString();
  std::printf("%-24s %-14s\n", "HOST", "STATE");
  std::map<std::string, bool> shown;
  for (auto& alias : cluster::config_hosts(cluster::user_ssh_config(s.ssh_config))) {
    auto it = state.find(alias);
    std::string hint = it == state.end() ? "rbee hive install --host " + alias : "";
    std::printf("%-24s %-14s %s\n", alias.c_str(), it == state.end() ? "not installed" : it->second.c_str(), hint.c_str());
    shown[alias] = true;
  }
  for (auto& [id, st] : state)
    if (!shown.count(id)) std::printf("%-24s %-14s %s\n", id.c_str(), st.c_str(), id == "localhost" ? "(this machine)" : "(not in your ssh config)");
  return ok;
}

// After `hive` (order 40) and its join/csr (41).
const bool registered_remote = register_command({42, [](CLI::App& app, common_flags& f, command_runs& runs) {
  auto a = std::make_shared<remote_flags>();
  auto* hive = app.get_subcommand("hive");
  struct verb {
    const char* name;
    const char* help;
  };
  for (auto v : {verb{"install", "install rbee on an ssh host, join it to this queen and start it (streams the work)"},
                 verb{"start", "start the hive on an ssh host and wait until it joins"},
                 verb{"stop", "stop the hive on an ssh host"},
                 verb{"status", "is rbee installed, running, joined on an ssh host"},
                 verb{"uninstall", "stop and remove rbee and the hive's credentials from an ssh host"}}) {
    auto* c = hive->add_subcommand(v.name, v.help);
    c->add_option("--host", a->host, "a Host alias of your ~/.ssh/config (or any name ssh reaches)")->required();
    c->add_option("--name", a->name, "the hive's id (default: the alias)");
    if (std::string(v.name) == "install") {
      c->add_option("--address", a->address, "HOST:PORT where that host reaches the queen's cluster port");
      c->add_option("--build", a->build,
                    "auto (this binary where it runs there, else built there from source), binary, or source")
        ->check(CLI::IsMember({"auto", "binary", "source"}));
    }
    add_queen_flag(c, f);
    const char* action = v.name;
    runs.emplace_back(c, with_client_settings([a, action](const config::settings& s) { return remote(s, action, *a); }));
  }
  auto* hives = app.add_subcommand("hives", "the machines of your ssh config and the hives of the queen, with their state");
  add_queen_flag(hives, f);
  add_json_flag(hives);
  runs.emplace_back(hives, with_client_settings(list_hosts));
}});

} // namespace

} // namespace rbee::cli
