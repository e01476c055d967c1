// `rbee hive`: a hive on its own machine, joining its queen over TLS with the
// credentials `rbee hive join` stored; reconnects with backoff, saying why.
#include "actors/hive/hive.hpp"
#include "actors/node/embedded.hpp"
#include "actors/node/runtime.hpp"
#include "cli/app.hpp"
#include "cluster/hive_files.hpp"
#include "log/log.hpp"
#include "net/server.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <optional>

namespace rbee::cli {

/// The hive-level subset of the API, answered by `hive` (hive_http.cpp).
net::extra_routes hive_routes(caf::actor_system& sys, hive_actor hive);

namespace {

/// Waits `ms` unless a stop signal comes first; true when it did.
bool pause_or_stop(int ms) {
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  return wait_for_stop([until] { return std::chrono::steady_clock::now() > until; });
}

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
  exit_after(10);
  http.stop();
  caf::anon_send_exit(hive, caf::exit_reason::user_shutdown);
  return ok;
}

} // namespace rbee::cli
