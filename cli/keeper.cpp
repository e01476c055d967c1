// The keeper: `rbee status`, `rbee jobs`, `rbee job ...` — clients of the queen's HTTP API.
#include "cli/app.hpp"
#include "cli/client.hpp"
#include "json/parse.hpp"
#include "json/writer.hpp"
#include "net/http_client.hpp"
#include "cli/commands.hpp"

#include <CLI/CLI.hpp>
#include <rapidjson/document.h>

#include <cstdio>
#include <iostream>

namespace rbee::cli {

namespace {

std::string str(const rapidjson::Value& v, const char* key) {
  if (!v.IsObject()) return "";
  auto it = v.FindMember(key);
  if (it == v.MemberEnd()) return "";
  if (it->value.IsString()) return it->value.GetString();
  if (it->value.IsInt64()) return std::to_string(it->value.GetInt64());
  if (it->value.IsUint64()) return std::to_string(it->value.GetUint64());
  if (it->value.IsBool()) return it->value.GetBool() ? "yes" : "no";
  return "";
}

uint64_t u64(const rapidjson::Value& v, const char* key) {
  return v.IsObject() && v.HasMember(key) && v[key].IsUint64() ? v[key].GetUint64() : 0;
}


std::string gib(uint64_t bytes) {
  char b[32];
  std::snprintf(b, sizeof(b), "%.1f GiB", bytes / double(1ull << 30));
  return b;
}

} // namespace

int cmd_status(const config::settings& s) {
  auto c = connect(s);
  if (!c) return usage;
  auto health = net::http_call(c->u, "GET", "/health", {}, c->auth);
  if (health.status != 200) return report(*c, health);
  auto r = net::http_call(c->u, "GET", "/v1/hives", {}, c->auth);
  if (r.status != 200) return report(*c, r);
  if (json_output) {
    std::printf("{\"queen\":%s,\"hives\":%s}\n", health.body.c_str(), r.body.c_str());
    return ok;
  }
  rapidjson::Document h, d;
  rbee::json::parse(h, health.body);
  rbee::json::parse(d, r.body);
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("hives") || !d["hives"].IsArray()) {
    std::cerr << "rbee: the queen answered something unexpected\n";
    return failure;
  }
  std::printf("queen  %s  (rbee %s)\n\n", c->base.c_str(), str(h, "version").c_str());
  std::printf("%-20s %-7s %-6s %-10s %-10s %-24s %s\n", "HIVE", "STATE", "CPUS", "RAM", "AVAILABLE", "GPUS", "SIMD");
  for (auto& hive : d["hives"].GetArray()) {
    const auto& caps = hive["capabilities"];
    std::string simd;
    for (auto& x : caps["simd"].GetArray()) simd += (simd.empty() ? "" : ",") + std::string(x.GetString());
    std::string gpus;
    for (auto& g : caps["gpus"].GetArray())
      gpus += (gpus.empty() ? "" : "; ") + str(g, "name") + " " + gib(u64(g, "memory_total"));
    if (gpus.empty()) gpus = "none";
    // SIMD last and whole: its names are never cut.
    std::printf("%-20s %-7s %-6s %-10s %-10s %-24s %s\n", str(hive, "hive_id").c_str(), str(hive, "state").c_str(),
                str(caps, "cores").c_str(), gib(u64(caps, "ram_total")).c_str(), gib(u64(caps, "ram_available")).c_str(),
                gpus.c_str(), (simd.empty() ? "-" : simd).c_str());
    if (str(hive, "state") == "lost") std::printf("  lost: %s\n", str(hive, "lost_reason").c_str());
  }
  if (d["hives"].Empty()) std::printf("(no hives have joined)\n");
  return ok;
}

int cmd_jobs(const config::settings& s) {
  auto c = connect(s);
  if (!c) return usage;
  rapidjson::Document d;
  if (auto done = get_list(*c, "/v1/jobs", "jobs", d)) return *done;
  std::printf("%-22s %-22s %-16s %-10s %s\n", "JOB", "OPERATION", "HIVE", "STATE", "ERROR");
  auto list = d["jobs"].GetArray();
  for (auto it = list.End(); it != list.Begin();) { // newest first, as the dashboard
    auto& j = *--it;
    std::string err = j.HasMember("error") ? str(j["error"], "code") : "";
    std::printf("%-22s %-22s %-16s %-10s %s\n", str(j, "job_id").c_str(), str(j, "operation").c_str(),
                str(j, "hive_id").c_str(), str(j, "state").c_str(), err.c_str());
  }
  return ok;
}

int cmd_job_get(const config::settings& s, const std::string& id) {
  auto c = connect(s);
  if (!c) return usage;
  auto r = net::http_call(c->u, "GET", "/v1/jobs/" + id, {}, c->auth);
  if (r.status != 200) return report(*c, r);
  std::printf("%s\n", r.body.c_str());
  return ok;
}

int cmd_job_cancel(const config::settings& s, const std::string& id) {
  auto c = connect(s);
  if (!c) return usage;
  auto r = net::http_call(c->u, "DELETE", "/v1/jobs/" + id, {}, c->auth);
  if (r.status != 200) return report(*c, r);
  std::printf("cancelled %s\n", id.c_str());
  return ok;
}

int cmd_job_submit(const config::settings& s, const std::string& json, const std::function<void(const std::string&)>& print_result) {
  auto c = connect(s);
  if (!c) return usage;
  follow_options o;
  o.json = json_output;
  o.narration_to_stdout = true;
  if (!json_output) o.on_result = print_result;
  return follow_job(*c, json, o);
}

int cmd_worker_op(const config::settings& s, const std::string& op, const std::string& hive, const std::string& worker,
                  bool without_gpu) {
  rapidjson::StringBuffer buf;
  rbee::json::writer w(buf);
  w.StartObject();
  w.Key("operation");
  w.String(op.c_str());
  if (!hive.empty()) {
    w.Key("hive_id");
    w.String(hive.c_str(), static_cast<rapidjson::SizeType>(hive.size()));
  }
  if (!worker.empty()) {
    w.Key("worker_id");
    w.String(worker.c_str(), static_cast<rapidjson::SizeType>(worker.size()));
  }
  if (without_gpu) {
    w.Key("without_gpu");
    w.Bool(true);
  }
  w.EndObject();
  if ((op != "worker_catalog_list" && op != "worker_list_installed") || json_output) return cmd_job_submit(s, buf.GetString());
  // The lists as tables.
  return cmd_job_submit(s, buf.GetString(), [&](const std::string& result) {
    rapidjson::Document d;
    rbee::json::parse(d, result);
    if (d.HasParseError() || !d.IsArray()) return (void)std::printf("%s\n", result.c_str());
    auto text = [](const rapidjson::Value& v, const char* k) { return v.HasMember(k) && v[k].IsString() ? std::string(v[k].GetString()) : ""; };
    auto list = [](const rapidjson::Value& v, const char* k) {
      std::string out;
      if (v.HasMember(k) && v[k].IsArray())
        for (auto& x : v[k].GetArray())
          if (x.IsString()) out += (out.empty() ? "" : ",") + std::string(x.GetString());
      return out;
    };
    if (op == "worker_catalog_list") {
      std::printf("%-24s %-10s %-8s %-8s %-16s  %s\n", "WORKER", "VERSION", "BACKEND", "OS", "ARCH", "DESCRIPTION");
      for (auto& w : d.GetArray())
        if (w.IsObject())
          std::printf("%-24s %-10s %-8s %-8s %-16s  %s\n", text(w, "id").c_str(), text(w, "version").c_str(), text(w, "backend").c_str(),
                      list(w, "platforms").c_str(), list(w, "architectures").c_str(), text(w, "description").substr(0, 60).c_str());
    } else {
      std::printf("%-24s %-10s %-8s  %s\n", "WORKER", "VERSION", "BACKEND", "PATH");
      for (auto& w : d.GetArray())
        if (w.IsObject())
          std::printf("%-24s %-10s %-8s  %s\n", text(w, "worker_id").c_str(), text(w, "version").c_str(), text(w, "backend").c_str(),
                      text(w, "path").c_str());
    }
  });
}

namespace {

const bool registered = register_command({60, [](CLI::App& app, common_flags& f, command_runs& runs) {
  auto* status = app.add_subcommand("status", "show the queen, its hives and their capabilities");
  auto* jobs = app.add_subcommand("jobs", "list the jobs the queen knows");
  runs.emplace_back(status, with_client_settings(cmd_status));
  runs.emplace_back(jobs, with_client_settings(cmd_jobs));
  auto* job = app.add_subcommand("job", "submit, inspect or cancel a job");
  job->require_subcommand(1);
  auto arg = std::make_shared<std::string>();
  auto* submit = job->add_subcommand("submit", "submit an operation and stream its narration");
  submit->add_option("operation", *arg, "the operation as JSON, e.g. '{\"operation\":\"status\"}'")->required();
  auto* get = job->add_subcommand("get", "show one job");
  get->add_option("job_id", *arg, "the job id")->required();
  auto* cancel = job->add_subcommand("cancel", "cancel a job");
  cancel->add_option("job_id", *arg, "the job id")->required();
  runs.emplace_back(submit, with_client_settings([arg](const config::settings& s) { return cmd_job_submit(s, *arg); }));
  runs.emplace_back(get, with_client_settings([arg](const config::settings& s) { return cmd_job_get(s, *arg); }));
  runs.emplace_back(cancel, with_client_settings([arg](const config::settings& s) { return cmd_job_cancel(s, *arg); }));
  for (auto* c : {status, jobs, submit, get, cancel}) add_queen_flag(c, f);
  for (auto* c : {status, jobs, submit}) add_json_flag(c);
}});

struct worker_flags {
  std::string id, hive; ///< "": the queen's default (the embedded or only hive)
  bool without_gpu = false;
};

const bool registered_workers = register_command({130, [](CLI::App& app, common_flags& f, command_runs& runs) {
  auto a = std::make_shared<worker_flags>();
  auto* workers = app.add_subcommand("workers", "worker binaries: what the catalog offers, what is installed");
  workers->require_subcommand(1);
  auto* available = workers->add_subcommand("available", "the workers of the catalog (a table; --json: their metadata)");
  auto* installed = workers->add_subcommand("installed", "the workers installed on a hive");
  auto* install = app.add_subcommand("install", "build and install a worker from the catalog (the build streams live)");
  install->add_option("worker", a->id, "the worker id (rbee workers available)")->required();
  install->add_flag("--without-gpu", a->without_gpu, "build a CUDA worker on a hive with no GPU to run it (a build host)");
  auto* uninstall = app.add_subcommand("uninstall", "remove an installed worker");
  uninstall->add_option("worker", a->id, "the worker id")->required();
  for (auto* c : {available, installed, install, uninstall}) {
    add_queen_flag(c, f);
    add_json_flag(c);
    c->add_option("--hive", a->hive, "the hive (default: the embedded or only one)");
  }
  auto op = [a](const char* name) {
    return with_client_settings([a, name](const config::settings& s) {
      return cmd_worker_op(s, name, a->hive, a->id, a->without_gpu);
    });
  };
  runs.emplace_back(available, op("worker_catalog_list"));
  runs.emplace_back(installed, op("worker_list_installed"));
  runs.emplace_back(install, op("worker_install"));
  runs.emplace_back(uninstall, op("worker_remove"));
}});

} // namespace

} // namespace rbee::cli
