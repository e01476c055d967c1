// `rbee serve` and `rbee queen`, and the flags of the long-running processes
// (the hive daemon is hive_daemon.cpp).
#include "actors/hive/hive.hpp"
#include "actors/node/embedded.hpp"
#include "actors/node/runtime.hpp"
#include "actors/queen/gate.hpp"
#include "cluster/queen_pki.hpp"
#include "cli/app.hpp"
#include "cli/commands.hpp"
#include "cli/engine.hpp"
#include "log/log.hpp"
#include "net/server.hpp"

#include <CLI/CLI.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/scoped_actor.hpp>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <unistd.h>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>

namespace rbee::cli {

/// The worker catalog of <data_dir>/catalog as extra routes (catalog_cmd.cpp); none when absent.
net::extra_routes embedded_catalog(const config::settings& s);
/// The dashboard, the marketplace and `catalog` (may be empty) as extra routes (web_routes.cpp).
net::extra_routes web_routes(const config::settings& s, net::extra_routes catalog);

namespace {

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

/// Where hives reach the cluster port: cluster_advertise, else the bind address
/// (the host name when bound to all), else "" (loopback: no other machine can).
std::string cluster_address(const config::settings& s, uint16_t port) {
  if (!s.cluster_advertise.empty()) return s.cluster_advertise;
  if (config::is_loopback(s.bind)) return "";
  std::string host = s.bind;
  if (host == "0.0.0.0" || host == "::") {
    char name[256] = {};
    gethostname(name, sizeof(name) - 1);
    host = name;
  }
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return host + ":" + std::to_string(port);
}

int run_serve(config::settings s) {
  block_stop_signals();
  raise_fd_limit();
  auto log = logging::get("serve");
  caf::actor_system_config cfg;
  configure_actor_system(cfg, s, true); // child workers (and installed worker binaries) join over CAF
  caf::actor_system sys{cfg};
  std::string hive_id = s.hive_id.empty() ? local_hive_id : s.hive_id;
  // A catalog served here (<data_dir>/catalog, whenever it exists) is the local
  // hive's, unless another is configured; its URL is known once the port is.
  std::shared_ptr<std::string> own_catalog;
  if (s.catalog_url == config::settings{}.catalog_url && s.api_token.empty()) own_catalog = std::make_shared<std::string>();
  bool registered = false;
  auto q = spawn_embedded(sys, s, version, hive_id, &registered, own_catalog);
  if (!registered) log->warn("the local hive did not register in time");
  int rc = ok;
  {
    // A catalog in <data_dir>/catalog is served beside the API (/workers, /sources).
    net::http_server srv(s, net::backend{&sys, q.queen, q.bridge, version, web_routes(s, embedded_catalog(s))});
    if (uint16_t port = start_http(srv, s, *log); port == 0) {
      rc = failure;
    } else {
      if (own_catalog) {
        std::string host = s.bind == "0.0.0.0" || s.bind == "::" ? "127.0.0.1" : s.bind;
        if (host.find(':') != std::string::npos) host = "[" + host + "]";
        *own_catalog = "http://" + host + ":" + std::to_string(port); // before any job can run
      }
      log->info("embedded mode: queen, hive '{}' and HTTP front in one process", hive_id);
      wait_for_stop();
      log->info("shutting down");
      exit_after(10);
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
  // The cluster port is TLS with mutual certificates, always: the PKI is made on
  // first start when `rbee cluster init` was not run.
  auto pki = cluster::queen_paths(s.state_dir);
  auto made = cluster::init_queen(pki);
  if (!made) {
    log->error("cannot create the cluster's certificates: {}", made.error().message);
    return failure;
  }
  if (*made) log->info("created the cluster's certificates in {}", pki.dir);
  caf::actor_system_config cfg;
  configure_actor_system(cfg, s, true);
  if (auto why = configure_cluster_tls(cfg, tls_files{pki.cert, pki.key, pki.hive_ca}); !why.empty()) {
    log->error("the cluster's TLS: {}", why);
    return failure;
  }
  caf::actor_system sys{cfg};
  auto advertise = std::make_shared<std::string>(); // known once the port is: before any job can run
  auto q = spawn_queen_side(sys, s, version, advertise);
  auto gate = spawn_gate(sys, gate_options{q.queen, s.state_dir});
  int rc = ok;
  {
    net::http_server srv(s, net::backend{&sys, q.queen, q.bridge, version, web_routes(s, {})});
    auto cluster = caf::openssl::publish(gate, s.queen_cluster_port, s.bind.c_str(), true);
    if (!cluster) {
      log->error("cannot publish the queen on {}:{}: {}", s.bind, s.queen_cluster_port,
                 sys.render(cluster.error()));
      rc = failure;
    } else if (*advertise = cluster_address(s, *cluster); start_http(srv, s, *log) == 0) {
      rc = failure;
    } else {
      std::printf("cluster on %s:%u\n", s.bind.c_str(), *cluster);
      std::fflush(stdout);
      log->info("queen: add a hive with `rbee cluster add-hive NAME`; it joins with `rbee hive join TOKEN` and `rbee hive`");
      wait_for_stop();
      log->info("shutting down");
      exit_after(10);
    }
    srv.stop();
    // (caf::openssl::unpublish does not compile in CAF 0.17.6; the port closes with the system.)
  }
  caf::anon_send_exit(gate, caf::exit_reason::user_shutdown);
  q.shutdown();
  return rc;
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
  auto* hive = app.add_subcommand("hive", "run a hive that joins a queen over the network (after `rbee hive join TOKEN`)");
  hive->add_option("--queen", f.queen, "the queen's cluster address HOST:PORT (default: the one of the join token)");
  hive->add_option("--id", f.hive_id, "the hive's id (default: the one of the join token)");
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
