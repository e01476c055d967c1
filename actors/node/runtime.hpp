#pragma once
// How rbee's processes configure their actor system: message types, thread
// budget, and (for the cluster modes) the network layer with heartbeats and,
// for links between machines, CAF's openssl module with mutual certificates.

#include "config/settings.hpp"

#include <caf/fwd.hpp>

#include <chrono>
#include <cstdint>
#include <set>
#include <string>

namespace rbee {

/// Registers rbee's types and applies the thread budget; with `network`, loads
/// CAF's middleman with the cluster heartbeat and connection timeout, and an
/// app identifier carrying the cluster protocol (other versions fail the
/// handshake).
void configure_actor_system(caf::actor_system_config& cfg, const config::settings& s, bool network);

/// The files of one side of a TLS cluster link: our certificate and key, and
/// the CA the peer's certificate must come from.
struct tls_files {
  std::string certificate, key, cafile;
};

/// Loads CAF's openssl module with `f` (after configure_actor_system with
/// network). Peers are verified on both sides; with any file missing CAF would
/// fall back to anonymous TLS, so every one must name a readable file.
/// Returns "" or why not.
std::string configure_cluster_tls(caf::actor_system_config& cfg, const tls_files& f);

/// Connects over TLS to the actor published at host:port, waiting at most
/// `timeout`, and checks that it speaks `interface` (the published actor's
/// message types).
caf::expected<caf::strong_actor_ptr> connect_tls(caf::actor_system& sys, const std::string& host, uint16_t port,
                                                 std::chrono::milliseconds timeout, const std::set<std::string>& interface);

/// Words for a failed cluster connection, for people ("the queen refused our
/// certificate", "no answer").
std::string explain_connect_error(caf::actor_system& sys, const caf::error& e);

} // namespace rbee
