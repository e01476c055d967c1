#include "cli/commands.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>

namespace rbee::cli {

namespace {

std::vector<command>& table() {
  static std::vector<command> t; // built before main, by the files' registrations
  return t;
}

} // namespace

bool register_command(command c) {
  table().push_back(std::move(c));
  return true;
}

std::vector<command> registered_commands() {
  auto t = table();
  std::stable_sort(t.begin(), t.end(), [](const command& a, const command& b) { return a.order < b.order; });
  return t;
}

void add_queen_flag(CLI::App* c, common_flags& f) {
  c->add_option("--queen", f.queen, "the queen's URL (default http://127.0.0.1:8500, RBEE_QUEEN_URL)");
}

void add_json_flag(CLI::App* c) { c->add_flag("--json", json_output, "machine-readable output (JSON)"); }

command_run with_client_settings(std::function<int(const config::settings&)> f) {
  return [f = std::move(f)](command_context& ctx) {
    auto s = ctx.settings("client");
    return s ? f(*s) : static_cast<int>(usage);
  };
}

} // namespace rbee::cli
