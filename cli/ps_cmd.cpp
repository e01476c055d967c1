// `rbee ps`, `rbee stop MODEL`: the loaded models (workers) of every hive.
#include "cli/app.hpp"
#include "cli/client.hpp"
#include "cli/commands.hpp"
#include "net/http_client.hpp"

#include <CLI/CLI.hpp>
#include <rapidjson/document.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <utility>
#include <vector>

namespace rbee::cli {

int cmd_ps(const config::settings& s, const std::string& hive) {
  auto c = connect(s);
  if (!c) return usage;
  rapidjson::Document d;
  if (auto done = get_list(*c, "/v1/workers", "workers", d)) return *done;
  std::printf("%-36s %-14s %-12s %-7s %-10s %-6s %-7s %s\n", "MODEL", "HIVE", "WORKER", "DEVICE", "MEMORY", "BUSY", "TOK/S", "IDLE");
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  for (auto& w : d["workers"].GetArray()) {
    if (!hive.empty() && hive != w["hive_id"].GetString()) continue;
    double mib = static_cast<double>(w["memory_bytes"].GetUint64()) / (1 << 20);
    int64_t idle = (now - w["last_used_ms"].GetInt64()) / 1000;
    double tps = w.HasMember("tokens_per_s") && w["tokens_per_s"].IsNumber() ? w["tokens_per_s"].GetDouble() : 0;
    std::printf("%-36s %-14s %-12s %-7s %6.1f MiB %-6d %-7.1f %llds (keep %ds)\n", w["model"].GetString(),
                w["hive_id"].GetString(), w["worker_id"].GetString(), w["device"].GetString(), mib,
                w["busy"].GetInt(), tps, static_cast<long long>(idle), w["keep_alive_s"].GetInt());
  }
  return ok;
}

int cmd_stop(const config::settings& s, const std::string& model, const std::string& hive) {
  auto c = connect(s);
  if (!c) return usage;
  rapidjson::Document d;
  if (auto done = get_list(*c, "/v1/workers", "workers", d)) return *done;
  // A worker's id stops that worker; any form of a model's name (as the hives
  // resolve it) stops the workers serving it on each hive that has some.
  std::vector<std::pair<std::string, std::string>> asks; // hive, worker id ("" = by model)
  for (auto& w : d["workers"].GetArray())
    if (model == w["worker_id"].GetString() && (hive.empty() || hive == w["hive_id"].GetString()))
      asks.emplace_back(w["hive_id"].GetString(), w["worker_id"].GetString());
  if (asks.empty())
    for (auto& w : d["workers"].GetArray()) {
      std::string h = w["hive_id"].GetString();
      bool seen = false;
      for (auto& a : asks) seen = seen || a.first == h;
      if (!seen && (hive.empty() || hive == h)) asks.emplace_back(h, "");
    }
  int stopped = 0;
  std::string why;
  for (auto& [h, id] : asks) {
    std::string op = op_json("worker_stop", {{"hive_id", h}, {"worker_id", id}, {"model", id.empty() ? model_ref(model) : ""}});
    follow_options o;
    o.quiet = true;
    o.on_result = [&h](const std::string& result) { // {"verb":"stopped","what":"worker-1[,worker-2]"}
      rapidjson::Document r;
      r.Parse(result.c_str());
      std::string what = !r.HasParseError() && r.IsObject() && r.HasMember("what") && r["what"].IsString() ? r["what"].GetString() : "";
      std::printf("stopped %s on %s\n", terminal_safe(what).c_str(), h.c_str());
    };
    o.on_error = [&](const std::string&, const std::string& msg) { why = msg; };
    if (follow_job(*c, op, o) == ok) ++stopped;
  }
  if (stopped) return ok;
  if (asks.size() == 1 && !why.empty())
    std::cerr << "rbee: " << terminal_safe(why) << " (see rbee ps)\n";
  else
    std::cerr << "rbee: no loaded model '" << terminal_safe(model) << "'" << (hive.empty() ? "" : " on " + hive)
              << " (see rbee ps)\n";
  return failure;
}

namespace {

const bool registered_ps = register_command({170, [](CLI::App& app, common_flags& f, command_runs& runs) {
  auto hive = std::make_shared<std::string>();
  auto* ps = app.add_subcommand("ps", "list the loaded models (workers) of every hive");
  ps->add_option("--hive", *hive, "only this hive's");
  add_queen_flag(ps, f);
  add_json_flag(ps);
  runs.emplace_back(ps, with_client_settings([hive](const config::settings& s) { return cmd_ps(s, *hive); }));
  auto model = std::make_shared<std::string>();
  auto* stop = app.add_subcommand("stop", "unload a model");
  stop->add_option("model", *model, "the model (any form of its name: org/repo, org/repo:QUANT, org/repo:file.gguf) or a worker id")->required();
  stop->add_option("--hive", *hive, "only on this hive (default: wherever it is loaded)");
  add_queen_flag(stop, f);
  runs.emplace_back(stop, with_client_settings([model, hive](const config::settings& s) { return cmd_stop(s, *model, *hive); }));
}});

} // namespace

} // namespace rbee::cli
