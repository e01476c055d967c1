#include "actors/node/runtime.hpp"

#include "messages/errc.hpp"
#include "messages/hive.hpp"
#include "messages/types.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/sec.hpp>

#include <unistd.h>

namespace rbee {

void configure_actor_system(caf::actor_system_config& cfg, const config::settings& s, bool network) {
  add_message_types(cfg);
  cfg.set("scheduler.max-threads", s.actor_threads);
  // Threads that wait instead of spinning for work: on a machine the engine keeps
  // busy, polling scheduler threads would take cores from the forward pass.
  cfg.set("scheduler.policy", caf::atom("sharing"));
  cfg.set("logger.console", caf::atom("none"));
  if (network) {
    cfg.load<caf::io::middleman>();
    cfg.set("middleman.heartbeat-interval",
            caf::timespan{std::chrono::milliseconds(s.cluster_heartbeat_ms)});
    cfg.set("middleman.connection-timeout",
            caf::timespan{std::chrono::milliseconds(s.cluster_timeout_ms)});
    cfg.set("middleman.app-identifiers", std::vector<std::string>{"rbee-cluster-" + std::to_string(cluster_protocol)});
  }
}

std::string configure_cluster_tls(caf::actor_system_config& cfg, const tls_files& f) {
  for (auto* p : {&f.certificate, &f.key, &f.cafile})
    if (p->empty() || ::access(p->c_str(), R_OK) != 0) return "cannot read " + (p->empty() ? std::string("(unset)") : *p);
  cfg.openssl_certificate = f.certificate;
  cfg.openssl_key = f.key;
  cfg.openssl_cafile = f.cafile;
  cfg.load<caf::openssl::manager>();
  return "";
}

caf::expected<caf::strong_actor_ptr> connect_tls(caf::actor_system& sys, const std::string& host, uint16_t port,
                                                 std::chrono::milliseconds timeout, const std::set<std::string>& interface) {
  if (!sys.has_openssl_manager()) return make_error(errc::internal, "the cluster's TLS is not configured");
  caf::scoped_actor self{sys};
  caf::expected<caf::strong_actor_ptr> out{caf::strong_actor_ptr{}};
  self->request(sys.openssl_manager().actor_handle(), timeout, caf::connect_atom::value, host, port)
    .receive(
      [&](const caf::node_id&, caf::strong_actor_ptr& ptr, std::set<std::string>& ifs) {
        if (!ptr)
          out = make_error(errc::not_found, "nothing is published at " + host + ":" + std::to_string(port));
        else if (ifs != interface)
          out = make_error(errc::invalid_value, host + ":" + std::to_string(port) +
                                                  " is not the actor we expected (another program or rbee release)");
        else
          out = std::move(ptr);
      },
      [&](caf::error& e) { out = std::move(e); });
  return out;
}

std::string explain_connect_error(caf::actor_system& sys, const caf::error& e) {
  if (e == caf::sec::request_timeout) return "no answer";
  if (e == caf::sec::cannot_connect_to_node) return "cannot connect (nothing listens there, or the TLS handshake failed: "
                                                    "the peer refused our certificate or has one from another cluster)";
  if (e == caf::sec::incompatible_application_ids) return "it runs another rbee cluster protocol (install the same release)";
  return sys.render(e);
}

} // namespace rbee
