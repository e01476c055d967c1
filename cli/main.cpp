// rbee: one binary, many faces. Builds the command line from the subcommand table
// (commands.hpp: each file registers its own), parses it and runs the one asked for.
#include "cli/app.hpp"
#include "cli/commands.hpp"
#include "log/log.hpp"

#include <CLI/CLI.hpp>

#include <iostream>
#include <vector>
#include <algorithm>

extern char** environ;

namespace rbee::cli {

std::optional<config::settings> load_settings(const common_flags& f, const char* mode) {
  config::settings s;
  auto fail = [](const config::config_error& e) {
    std::cerr << "rbee: " << e.to_string() << "\n";
    return std::nullopt;
  };
  if (auto err = config::load(s, f.config_path, environ)) return fail(*err);
  auto set = [&](const char* key, const std::string& v) { return config::set_key(s, key, v); };
  std::optional<config::config_error> err;
  std::string m = mode;
  if (f.log_level && !err) err = set("log_level", *f.log_level);
  if (f.data_dir && !err) err = set("data_dir", *f.data_dir);
  if (f.bind && !err) err = set("bind", *f.bind);
  if (f.port && !err)
    err = set(m == "hive" ? "hive_port" : m == "catalog" ? "catalog_port" : "queen_port", std::to_string(*f.port));
  if (f.cluster_port && !err) err = set("queen_cluster_port", std::to_string(*f.cluster_port));
  if (f.hive_id && !err) err = set("hive_id", *f.hive_id);
  if (f.queen && !err) err = set(m == "hive" ? "queen_address" : "queen_url", *f.queen);
  if (f.no_sandbox && !err) err = set("install_sandbox", "0");
  if (f.allow_unsigned_catalog && !err) err = set("allow_unsigned_catalog", "1");
  if (err) {
    err->key = "--" + err->key; // flags are named after the keys
    return fail(*err);
  }
  if (auto e = config::finish(s)) return fail(*e);
  logging::set_level(s.log_level);
  return s;
}

namespace {

const bool registered = register_command({90, [](CLI::App& app, common_flags&, command_runs& runs) {
  auto* cfg = app.add_subcommand("config", "print the effective configuration as JSON");
  runs.emplace_back(cfg, with_client_settings([](const config::settings& s) {
    std::cout << config::to_json(s);
    return static_cast<int>(ok);
  }));
}});

/// Levenshtein distance, for "did you mean".
size_t distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

/// Bare `rbee`: the commands. A first word that is no command: what it might
/// have meant, and the commands. nullopt: parse as usual.
std::optional<int> no_command(CLI::App& app, int argc, char** argv) {
  std::string word;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--config" || a == "--log-level") {
      ++i;
      continue;
    }
    if (a.starts_with("-")) return std::nullopt; // --help, --version, --config=…: CLI11's
    word = a;
    break;
  }
  if (word.empty()) { // no command is a usage error, answered with the list of them
    std::cout << app.help();
    return static_cast<int>(usage);
  }
  std::string best;
  size_t best_d = 3;
  for (auto* sub : app.get_subcommands({})) {
    if (sub->check_name(word)) return std::nullopt;
    size_t d = distance(word, sub->get_name());
    if (d < best_d || (sub->get_name().starts_with(word) && best.empty())) best = sub->get_name(), best_d = d;
  }
  std::cerr << "rbee: unknown command '" << word << "'" << (best.empty() ? "" : ": did you mean '" + best + "'?") << "\n\n";
  std::cerr << app.help();
  return static_cast<int>(usage);
}

} // namespace

} // namespace rbee::cli

int main(int argc, char** argv) {
  using namespace rbee::cli;
  CLI::App app{"rbee: run large language models on the machines you own"};
  app.set_version_flag("--version", version);
  app.require_subcommand(1);
  common_flags f;
  app.add_option("--config", f.config_path, "config file (default: $XDG_CONFIG_HOME/rbee/config.json)");
  app.add_option("--log-level", f.log_level, "trace, debug, info, warn, error, off");
  command_runs runs;
  for (auto& c : registered_commands()) c.add(app, f, runs);
  if (auto rc = no_command(app, argc, argv)) return *rc;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? ok : usage;
  }
  command_context ctx{f, [&f](const char* mode) { return load_settings(f, mode); }};
  // The deepest parsed command wins (`rbee hive join` over `rbee hive`): children
  // register after their parents.
  command_run* chosen = nullptr;
  for (auto& [sub, run] : runs)
    if (sub->parsed()) chosen = &run;
  return chosen ? (*chosen)(ctx) : static_cast<int>(usage);
}
