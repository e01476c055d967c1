// `rbee-worker`: the worker process alone (engine + messages + CAF network),
// what the catalog's recipes build and the hive installs. Same flags as
// `rbee worker`.
#include "cli/app.hpp"
#include "cli/engine.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

extern char** environ;

int main(int argc, char** argv) {
  using namespace rbee::cli;
  CLI::App app{"rbee-worker: one model in its own process, for a hive"};
  app.set_version_flag("--version", std::string("rbee-worker ") + version);
  worker_args wa;
  std::string config_path;
  app.add_option("--config", config_path, "config file (default: $XDG_CONFIG_HOME/rbee/config.toml)");
  app.add_option("--hive", wa.hive, "the hive's worker address HOST:PORT")->required();
  app.add_option("--model", wa.model, "the GGUF file")->required();
  app.add_option("--id", wa.id, "the worker id the hive gave");
  app.add_option("--name", wa.name, "the model's name as asked for");
  app.add_option("--slots", wa.slots, "sequences decoded together")->check(CLI::Range(1, 64));
  app.add_option("--ctx", wa.ctx, "context per sequence (0: the model's)")->check(CLI::Range(0, 1 << 20));
  app.add_option("--device", wa.device, "cpu, cuda or cuda:N (a missing GPU is an error)");
  app.add_flag("--exit-with-parent", wa.exit_with_parent, "end when the process that started this one ends");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? ok : usage;
  }
  rbee::config::settings s;
  if (auto err = rbee::config::load(s, config_path, environ)) {
    std::cerr << "rbee-worker: " << err->to_string() << "\n";
    return usage;
  }
  return run_worker(s, wa);
}
