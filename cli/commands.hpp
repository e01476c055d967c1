#pragma once
// The subcommand table: each file registers the subcommands it implements (a
// register_command call at namespace scope, run before main); main() builds the
// command line from the table, in each entry's order, and runs what was parsed.
#include "cli/app.hpp"

#include <functional>
#include <optional>
#include <utility>
#include <vector>

namespace CLI {
class App;
}

namespace rbee::cli {

/// What a parsed subcommand runs with.
struct command_context {
  common_flags& flags;
  /// The settings (file, environment, then flags) for a daemon of `mode` ("hive",
  /// "catalog") or "client"; nullopt, with the problem printed, when they are wrong.
  std::function<std::optional<config::settings>(const char* mode)> settings;
};

/// What one parsed CLI::App runs; its exit code.
using command_run = std::function<int(command_context&)>;
using command_runs = std::vector<std::pair<CLI::App*, command_run>>;

/// One registered subcommand (or family of them).
struct command {
  int order = 0; ///< its place in `rbee --help`
  /// Adds its CLI11 parts to `app` (binding options to state it owns) and, for each
  /// CLI::App that runs something, what it runs.
  std::function<void(CLI::App& app, common_flags& f, command_runs& runs)> add;
};

/// Adds `c` to the table; returns true, for a namespace-scope `const bool`.
bool register_command(command c);

/// The table, in order.
std::vector<command> registered_commands();

/// --queen URL, for the commands that talk to a queen.
void add_queen_flag(CLI::App* c, common_flags& f);
/// --json, machine-readable output.
void add_json_flag(CLI::App* c);

/// A command run with the client's settings.
command_run with_client_settings(std::function<int(const config::settings&)> f);

} // namespace rbee::cli
