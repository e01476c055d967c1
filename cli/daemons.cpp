// `rbee serve`, `rbee queen`, `rbee hive`: the long-running processes.
#include "actors/hive/hive.hpp"
#include "actors/node/embedded.hpp"
#include "actors/node/runtime.hpp"
#include "cli/app.hpp"
#include "cli/commands.hpp"
#include "cli/engine.hpp"
#include "log/log.hpp"
#include "messages/json.hpp"
#include "net/server.hpp"

#include <CLI/CLI.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>

namespace rbee::cli {

/// The worker catalog of <data_dir>/catalog as extra routes (catalog_cmd.cpp); none when absent.
net::extra_routes embedded_catalog(const config::settings& s);
/// The dashboard, the marketplace and `catalog` (may be empty) as extra routes (web_routes.cpp).
net::extra_routes web_routes(const config::settings& s, net::extra_routes catalog);
/// The hive-level subset of the API, answered by `hive` (hive_http.cpp).
net::extra_routes hive_routes(caf::actor_system& sys, hive_actor hive);

namespace {

/// Waits `ms` unless a stop signal comes first; true when it did.
bool pause_or_stop(int ms) {
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  return wait_for_stop([until] { return std::chrono::steady_clock::now() > until; });
}

/// Starts the HTTP front; prints the `listening on` line. 0 on failure.
uint16_t start_http(net::http_server& srv, const config::settings& s, spdlog::logger& log) {
  try {
    uint16_t port = srv.start(s.bind, s.queen_port);
    std::string host = s.bind.find(':') != std::string::npos ? "[" + s.bind + "]" : s.bind;
    std::printf("listening on http://%s:%u\n", host.c_str(), port);
    std::fflush(stdout);
    return port;
  } catch (const std::exception& e) {
    log.error("{}", e.what());
    return 0;
  }
}

} // namespace

int run_serve(config::settings s) {
  block_stop_signals();
  raise_fd_limit();
  auto log = logging::get("serve");
  caf::actor_system_config cfg;
  configure_actor_system(cfg, s, true); // child workers (and installed worker binaries) join over CAF
  caf::actor_system sys{cfg};
  std::string hive_id = s.hive_id.empty() ? local_hive_id : s.hive_id;
  // A catalog served here (<data_dir>/catalog) is the local hive's, unless another is configured.
  auto catalog = embedded_catalog(s);
  if (catalog && s.catalog_url == config::settings{}.catalog_url && s.queen_port != 0 && s.api_token.empty()) {
    std::string host = s.bind == "0.0.0.0" || s.bind == "::" ? "127.0.0.1" : s.bind;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    s.catalog_url = "http://" + host + ":" + std::to_string(s.queen_port);
  }
  bool registered = false;
  auto q = spawn_embedded(sys, s, version, hive_id, &registered);
  if (!registered) log->warn("the local hive did not register in time");
  int rc = ok;
  {
    // A catalog in <data_dir>/catalog is served beside the API (/workers, /sources).
    net::http_server srv(s, net::backend{&sys, q.queen, q.bridge, version, web_routes(s, std::move(catalog))});
    if (start_http(srv, s, *log) == 0) {
      rc = failure;
    } else {
      log->info("embedded mode: queen, hive '{}' and HTTP front in one process", hive_id);
      wait_for_stop();
      log->info("shutting down");
    }
    srv.stop();
  }
  q.shutdown();
  return rc;
}

int run_queen(config::settings s) {
  block_stop_signals();
  raise_fd_limit();
  auto log = logging::get("queen");
  caf::actor_system_config cfg;
  configure_actor_system(cfg, s, true);
  caf::actor_system sys{cfg};
  auto q = spawn_queen_side(sys, s, version);
  int rc = ok;
  {
    net::http_server srv(s, net::backend{&sys, q.queen, q.bridge, version, web_routes(s, {})});
    auto cluster = sys.middleman().publish(q.queen, s.queen_cluster_port, s.bind.c_str(), true);
    if (!cluster) {
      log->error("cannot publish the queen on {}:{}: {}", s.bind, s.queen_cluster_port,
                 sys.render(cluster.error()));
      rc = failure;
    } else if (start_http(srv, s, *log) == 0) {
      rc = failure;
    } else {
      std::printf("cluster on %s:%u\n", s.bind.c_str(), *cluster);
      std::fflush(stdout);
      log->info("queen: hives join with `rbee hive --queen {}:{}`", s.bind, *cluster);
      wait_for_stop();
      log->info("shutting down");
    }
    srv.stop();
    if (cluster) sys.middleman().unpublish(q.queen, *cluster);
  }
  q.shutdown();
  return rc;
}

int run_hive(config::settings s) {
  block_stop_signals();
  auto log = logging::get("hive");
  auto colon = s.queen_address.rfind(':');
  int port = colon == std::string::npos ? -1 : std::atoi(s.queen_address.c_str() + colon + 1);
  if (colon == std::string::npos || port <= 0 || port > 65535) {
    std::cerr << "rbee hive: --queen must be HOST:PORT (the queen's cluster port), got '"
              << s.queen_address << "'\n";
    return usage;
  }
  std::string host = s.queen_address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  std::string hive_id = s.hive_id;
  if (hive_id.empty()) {
    char name[256] = {};
    gethostname(name, sizeof(name) - 1);
    hive_id = name;
  }
  if (!json::valid_id(hive_id)) {
    std::cerr << "rbee hive: the hive id must be 1-64 characters of [A-Za-z0-9._-], got '" << hive_id
              << "' (use --id)\n";
    return usage;
  }
  caf::actor_system_config cfg;
  configure_actor_system(cfg, s, true);
  caf::actor_system sys{cfg};
  std::mutex mtx;
  bool lost = false;
  auto hopts = hive_options_for(s, hive_id, version);
  hopts.on_queen_lost = [&](const caf::error&) {
    std::lock_guard<std::mutex> g{mtx};
    lost = true;
  };
  auto hive = spawn_hive(sys, hopts);
  // The hive's own HTTP port: the hive-level subset of the API. A hive without it
  // (the port is taken, e.g. by another hive on this machine) still serves its queen.
  net::http_server http(s, net::backend{&sys, queen_actor{}, bridge_actor{}, version, hive_routes(sys, hive)});
  try {
    uint16_t bound = http.start(s.bind, s.hive_port);
    std::string shown = s.bind.find(':') != std::string::npos ? "[" + s.bind + "]" : s.bind;
    std::printf("listening on http://%s:%u\n", shown.c_str(), bound);
    std::fflush(stdout);
  } catch (const std::exception& e) {
    log->warn("no hive HTTP port: {}", e.what());
  }
  bool stop = false;
  while (!stop) {
    auto queen = sys.middleman().remote_actor<queen_actor>(host, static_cast<uint16_t>(port));
    if (!queen) {
      log->warn("cannot reach the queen at {}:{} ({}); retrying", host, port,
                sys.render(queen.error()));
      stop = pause_or_stop(1000);
      continue;
    }
    {
      std::lock_guard<std::mutex> g{mtx};
      lost = false;
    }
    caf::anon_send(hive, connect_atom::value, caf::actor_cast<caf::actor>(*queen));
    log->info("hive '{}' joining the queen at {}:{}", hive_id, host, port);
    stop = wait_for_stop([&] {
      std::lock_guard<std::mutex> g{mtx};
      return lost;
    });
    if (!stop) {
      log->warn("lost the queen; reconnecting");
      stop = pause_or_stop(500);
    }
  }
  log->info("shutting down");
  http.stop();
  caf::anon_send_exit(hive, caf::exit_reason::user_shutdown);
  return ok;
}

namespace {

void add_build_flags(CLI::App* c, common_flags& f) {
  c->add_flag("--no-sandbox", f.no_sandbox, "build worker recipes without bubblewrap (install_sandbox=0); only where none can be had");
  c->add_flag("--allow-unsigned-catalog", f.allow_unsigned_catalog,
              "build workers from a catalog whose signature is missing or does not verify (development only)");
}

/// A daemon run with the settings of `mode`.
command_run daemon(const char* mode, int (*run)(config::settings)) {
  return [mode, run](command_context& ctx) {
    auto s = ctx.settings(mode);
    return s ? run(std::move(*s)) : static_cast<int>(usage);
  };
}

const bool registered_serve = register_command({10, [](CLI::App& app, common_flags& f, command_runs& runs) {
  auto* serve = app.add_subcommand("serve", "run queen, hive and HTTP API in one process (embedded mode)");
  serve->add_option("--port", f.port, "HTTP port (default 8500; 0 picks a free one)");
  serve->add_option("--bind", f.bind, "address to bind (default 127.0.0.1; others need api_token)");
  serve->add_option("--data-dir", f.data_dir, "where models and workers live");
  add_build_flags(serve, f);
  runs.emplace_back(serve, daemon("client", run_serve));
}});

const bool registered_queen = register_command({30, [](CLI::App& app, common_flags& f, command_runs& runs) {
  auto* queen = app.add_subcommand("queen", "run the queen: HTTP API + cluster port for remote hives");
  queen->add_option("--port", f.port, "HTTP port (default 8500; 0 picks a free one)");
  queen->add_option("--cluster-port", f.cluster_port, "CAF port hives join (default 7834; 0 picks one)");
  queen->add_option("--bind", f.bind, "address to bind (default 127.0.0.1; others need api_token)");
  queen->add_option("--data-dir", f.data_dir, "where state lives");
  runs.emplace_back(queen, daemon("client", run_queen));
}});

const bool registered_hive = register_command({40, [](CLI::App& app, common_flags& f, command_runs& runs) {
  auto* hive = app.add_subcommand("hive", "run a hive that joins a queen over the network");
  hive->add_option("--queen", f.queen, "the queen's cluster address HOST:PORT (default 127.0.0.1:7834)");
  hive->add_option("--id", f.hive_id, "the hive's id (default: the host name)");
  hive->add_option("--data-dir", f.data_dir, "where models and workers live");
  hive->add_option("--port", f.port, "the hive's own HTTP port (default 7835; 0 picks a free one)");
  hive->add_option("--bind", f.bind, "address of that port (default 127.0.0.1; others need api_token)");
  add_build_flags(hive, f);
  runs.emplace_back(hive, daemon("hive", run_hive));
}});

const bool registered_worker = register_command({50, [](CLI::App& app, common_flags&, command_runs& runs) {
  auto wa = std::make_shared<worker_args>();
  auto* worker = app.add_subcommand("worker", "run one model in this process for a hive (the hive starts these)");
  worker->add_option("--hive", wa->hive, "the hive's worker address HOST:PORT")->required();
  worker->add_option("--model", wa->model, "the GGUF file")->required();
  worker->add_option("--id", wa->id, "the worker id the hive gave");
  worker->add_option("--name", wa->name, "the model's name as asked for");
  worker->add_option("--slots", wa->slots, "sequences decoded together")->check(CLI::Range(1, 64));
  worker->add_option("--ctx", wa->ctx, "context per sequence (0: the model's)")->check(CLI::Range(0, 1 << 20));
  worker->add_option("--device", wa->device, "cpu, cuda or cuda:N (a missing GPU is an error)");
  worker->add_flag("--exit-with-parent", wa->exit_with_parent, "end when the process that started this one ends");
  runs.emplace_back(worker, [wa](command_context& ctx) {
    auto s = ctx.settings("client");
    return s ? run_worker(std::move(*s), *wa) : static_cast<int>(usage);
  });
}});

} // namespace

} // namespace rbee::cli
