// `rbee pull`, `rbee ls`, `rbee rm`: the model stores of the queen's hives from
// the terminal. Without --hive: pull lets the queen place the download (the
// embedded or only hive, else its placement), ls lists every hive's, rm finds
// the hive that has the model.
#include "cli/app.hpp"
#include "cli/client.hpp"
#include "json/writer.hpp"
#include "cli/commands.hpp"

#include <CLI/CLI.hpp>
#include <rapidjson/document.h>

#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace rbee::cli {

std::string op_json(const char* op, std::initializer_list<std::pair<const char*, std::string>> fields) {
  rapidjson::StringBuffer buf;
  rbee::json::writer w(buf);
  w.StartObject();
  w.Key("operation");
  w.String(op);
  for (auto& [key, value] : fields)
    if (!value.empty()) {
      w.Key(key);
      w.String(value);
    }
  w.EndObject();
  return buf.GetString();
}

namespace {

std::string mib(double b) {
  char out[32];
  std::snprintf(out, sizeof(out), b >= 1 << 30 ? "%.2f GiB" : "%.1f MiB", b >= 1 << 30 ? b / (1 << 30) : b / (1 << 20));
  return out;
}


/// Follows a store operation: progress on stderr, nothing on stdout but --json.
int follow(const client& c, const std::string& op) {
  follow_options o;
  o.json = json_output;
  o.on_result = [](const std::string&) {};
  return follow_job(c, op, o);
}

} // namespace

int cmd_pull(const config::settings& s, const std::string& model, const std::string& hive) {
  auto c = connect(s);
  if (!c) return usage;
  return follow(*c, op_json("model_download", {{"model", model}, {"hive_id", hive}}));
}

int cmd_rm(const config::settings& s, const std::string& model, std::string hive) {
  auto c = connect(s);
  if (!c) return usage;
  if (hive.empty()) { // the hives whose store lists it: one is that one; several must be named
    rapidjson::Document d;
    if (auto done = get_list(*c, "/v1/models", "data", d)) return *done;
    std::vector<std::string> where;
    for (auto& m : d["data"].GetArray())
      if (m.HasMember("id") && m["id"].IsString() && m.HasMember("hive_id") && m["hive_id"].IsString() &&
          (m["id"].GetString() == model || std::string(m["id"].GetString()).starts_with(model + ":")))
        where.push_back(m["hive_id"].GetString());
    if (where.size() > 1) {
      std::string names;
      for (auto& h : where) names += (names.empty() ? "" : ", ") + h;
      std::cerr << "rbee: " << model << " is on several hives (" << names << "): say which with --hive\n";
      return usage;
    }
    if (where.size() == 1) hive = where[0];
  }
  return follow(*c, op_json("model_delete", {{"model", model}, {"hive_id", hive}}));
}

int cmd_ls(const config::settings& s, const std::string& hive) {
  auto c = connect(s);
  if (!c) return usage;
  rapidjson::Document d;
  if (auto done = get_list(*c, "/v1/models", "data", d)) return *done;
  std::printf("%-50s %-14s %-8s %8s %-8s %7s %10s  %s\n", "MODEL", "HIVE", "ARCH", "PARAMS", "QUANT", "CTX", "SIZE", "LOADED");
  for (auto& m : d["data"].GetArray()) {
    auto text = [&](const char* k) { return m.HasMember(k) && m[k].IsString() ? std::string(m[k].GetString()) : ""; };
    if (!hive.empty() && text("hive_id") != hive) continue;
    double params = m.HasMember("parameters") && m["parameters"].IsNumber() ? m["parameters"].GetDouble() : 0;
    char p[16] = "-";
    if (params >= 1e9) std::snprintf(p, sizeof(p), "%.1fB", params / 1e9);
    else if (params > 0) std::snprintf(p, sizeof(p), "%.1fM", params / 1e6);
    long long ctx = m.HasMember("context_length") && m["context_length"].IsInt64() ? m["context_length"].GetInt64() : 0;
    std::printf("%-50s %-14s %-8s %8s %-8s %7lld %10s  %s\n", m["id"].GetString(), text("hive_id").c_str(), text("arch").c_str(), p,
                text("quantization").c_str(), ctx, mib(m["size"].GetDouble()).c_str(), m["loaded"].GetBool() ? "yes" : "");
  }
  return ok;
}

namespace {

const bool registered = register_command({110, [](CLI::App& app, common_flags& f, command_runs& runs) {
  auto model = std::make_shared<std::string>();
  auto hive = std::make_shared<std::string>();
  auto* pull = app.add_subcommand("pull", "download a model from Hugging Face into the store");
  pull->add_option("model", *model, "org/repo, org/repo:QUANT or org/repo:file.gguf")->required();
  pull->add_option("--hive", *hive, "into this hive's store (default: the embedded or only hive, else the queen places it)");
  auto* ls = app.add_subcommand("ls", "list the models in the stores of the hives");
  ls->add_option("--hive", *hive, "only this hive's");
  for (auto* c : {pull, ls}) {
    add_queen_flag(c, f);
    add_json_flag(c);
  }
  runs.emplace_back(pull, with_client_settings([model, hive](const config::settings& s) { return cmd_pull(s, *model, *hive); }));
  runs.emplace_back(ls, with_client_settings([hive](const config::settings& s) { return cmd_ls(s, *hive); }));
}});

const bool registered_rm = register_command({160, [](CLI::App& app, common_flags& f, command_runs& runs) {
  auto model = std::make_shared<std::string>();
  auto hive = std::make_shared<std::string>();
  auto* rm = app.add_subcommand("rm", "delete a model from the store");
  rm->add_option("model", *model, "the model (as rbee ls shows it)")->required();
  rm->add_option("--hive", *hive, "from this hive's store (default: the one that has it)");
  add_queen_flag(rm, f);
  add_json_flag(rm);
  runs.emplace_back(rm, with_client_settings([model, hive](const config::settings& s) { return cmd_rm(s, *model, *hive); }));
}});

} // namespace

} // namespace rbee::cli
