// `rbee serve`, `rbee queen`, `rbee hive`: the long-running processes.
#include "actors/hive/hive.hpp"
#include "actors/node/embedded.hpp"
#include "actors/node/runtime.hpp"
#include "actors/queen/gate.hpp"
#include "cluster/hive_files.hpp"
#include "cluster/queen_pki.hpp"
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
    }
    srv.stop();
    // (caf::openssl::unpublish does not compile in CAF 0.17.6; the port closes with the system.)
  }
  caf::anon_send_exit(gate, caf::exit_reason::user_shutdown);
  q.shutdown();
  return rc;
}

namespace {

/// HOST and PORT of "HOST:PORT" or "[V6]:PORT"; nullopt when it is not that.
std::optional<std::pair<std::string, uint16_t>> split_address(const std::string& a) {
  auto colon = a.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  int port = std::atoi(a.c_str() + colon + 1);
  if (port <= 0 || port > 65535) return std::nullopt;
  std::string host = a.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (host.empty()) return std::nullopt;
  return std::pair{host, static_cast<uint16_t>(port)};
}

} // namespace

int run_hive(config::settings s) {
  block_stop_signals();
  auto log = logging::get("hive");
  auto files = cluster::hive_paths(s.state_dir);
  auto creds = cluster::load_join(files);
  if (!creds) {
    std::cerr << "rbee hive: " << creds.error().message << "\n";
    return usage;
  }
  std::string address = s.queen_address.empty() ? creds->queen : s.queen_address;
  auto where = split_address(address);
  if (!where) {
    std::cerr << "rbee hive: --queen must be HOST:PORT (the queen's cluster port), got '" << address << "'\n";
    return usage;
  }
  auto [host, port] = *where;
  if (!s.hive_id.empty() && s.hive_id != creds->hive_id) {
    std::cerr << "rbee hive: this machine's cluster credentials are for hive '" << creds->hive_id << "', not '"
              << s.hive_id << "' (join again with a token for that name)\n";
    return usage;
  }
  std::string hive_id = creds->hive_id;
  caf::actor_system_config cfg;
  configure_actor_system(cfg, s, true);
  if (auto why = configure_cluster_tls(cfg, tls_files{files.cert, files.key, files.queen_ca}); !why.empty()) {
    std::cerr << "rbee hive: the cluster's TLS: " << why << " (join again)\n";
    return usage;
  }
  caf::actor_system sys{cfg};
  std::mutex mtx;
  bool lost = false, refused = false;
  auto hopts = hive_options_for(s, hive_id, version);
  hopts.join_secret = creds->secret;
  hopts.on_queen_lost = [&](const caf::error& e) {
    std::lock_guard<std::mutex> g{mtx};
    lost = true;
    refused = code_of(e) == errc::unauthorized || code_of(e) == errc::invalid_value;
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
  auto gate_ifs = sys.message_types(caf::detail::type_list<cluster_gate_actor>{});
  bool stop = false;
  int backoff_ms = 500;
  auto retry = [&](const std::string& why) {
    log->warn("queen at {}:{}: {}; retrying in {:.1f} s", host, port, why, backoff_ms / 1000.0);
    stop = pause_or_stop(backoff_ms);
    backoff_ms = std::min(backoff_ms * 2, 30'000);
  };
  while (!stop) {
    auto queen = connect_tls(sys, host, port, std::chrono::milliseconds(s.cluster_timeout_ms * 5), gate_ifs);
    if (!queen) {
      retry(explain_connect_error(sys, queen.error()));
      continue;
    }
    {
      std::lock_guard<std::mutex> g{mtx};
      lost = refused = false;
    }
    caf::anon_send(hive, connect_atom::value, caf::actor_cast<caf::actor>(*queen));
    log->info("hive '{}' joining the queen at {}:{}", hive_id, host, port);
    stop = wait_for_stop([&] {
      std::lock_guard<std::mutex> g{mtx};
      return lost;
    });
    if (stop) break;
    bool was_refused;
    {
      std::lock_guard<std::mutex> g{mtx};
      was_refused = refused;
    }
    if (was_refused) {
      retry("refused our join (see the queen's log)");
    } else {
      backoff_ms = 500;
      log->warn("lost the queen; reconnecting");
      stop = pause_or_stop(backoff_ms);
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
