#include "actors/queen/gate.hpp"

#include "cluster/queen_pki.hpp"
#include "log/log.hpp"
#include "messages/errc.hpp"
#include "messages/json.hpp"

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <spdlog/logger.h>

namespace rbee {

namespace {

/// One joined hive's heartbeats, as that hive's; ends when the hive's handle goes down.
hive_link_actor::behavior_type hive_link(hive_link_actor::pointer self, queen_actor queen, std::string hive_id,
                                         hive_actor hive) {
  self->monitor(hive);
  self->set_down_handler([=](caf::down_msg&) { self->quit(); });
  return {
    [=](heartbeat_atom, hive_heartbeat hb) {
      hb.hive_id = hive_id;
      self->send(queen, heartbeat_atom::value, std::move(hb));
    },
  };
}

cluster_gate_actor::behavior_type gate(cluster_gate_actor::pointer self, gate_options opts) {
  auto files = cluster::queen_paths(opts.state_dir);
  return {
    [=](join_atom, hive_join& j, hive_actor& hive) -> caf::result<registration_ack, hive_link_actor> {
      auto log = logging::get("queen");
      if (j.protocol != cluster_protocol)
        return make_error(errc::invalid_value, "this queen speaks cluster protocol " + std::to_string(cluster_protocol) +
                                                 ", the hive " + std::to_string(j.protocol) +
                                                 ": install the same rbee release on both");
      if (!json::valid_id(j.hive_id))
        return make_error(errc::invalid_value, "hive id must be 1-64 characters of [A-Za-z0-9._-]");
      if (!hive) return make_error(errc::bad_request, "a join without a hive handle");
      if (auto ok = cluster::check_join(files, j.hive_id, j.secret, now_ms()); !ok) {
        log->warn("refused a hive join: {}", ok.error().message);
        return make_error(ok.error());
      }
      auto rp = self->make_response_promise<registration_ack, hive_link_actor>();
      hive_registration reg{j.hive_id, std::move(j.version), std::move(j.caps)};
      std::string id = j.hive_id;
      auto queen = opts.queen;
      self->request(queen, std::chrono::seconds(10), register_atom::value, std::move(reg), hive)
        .then(
          [=](registration_ack& ack) mutable {
            auto link = self->system().spawn(hive_link, queen, id, hive);
            rp.deliver(std::move(ack), std::move(link));
          },
          [=](caf::error& e) mutable { rp.deliver(std::move(e)); });
      return rp;
    },
  };
}

bridge_actor::behavior_type job_relay(bridge_actor::pointer self, bridge_actor bridge, std::string job_id) {
  auto refuse = [] { return make_error(errc::forbidden, "a hive's job bridge only takes narration and tokens"); };
  return {
    [=](narration& n) {
      n.job_id = job_id;
      self->send(bridge, std::move(n));
    },
    [=](token_msg& t) {
      t.job_id = job_id;
      self->send(bridge, std::move(t));
    },
    [=](const job_info&) {}, // job states are the queen's to say
    [=](const hive_info&) {},
    [=](subscribe_atom, const subscription&) -> caf::result<uint64_t> { return refuse(); },
    [=](stats_atom) -> caf::result<bridge_stats> { return refuse(); },
  };
}

} // namespace

cluster_gate_actor spawn_gate(caf::actor_system& sys, gate_options opts) { return sys.spawn(gate, std::move(opts)); }

bridge_actor spawn_job_relay(caf::actor_system& sys, bridge_actor bridge, std::string job_id) {
  return sys.spawn(job_relay, std::move(bridge), std::move(job_id));
}

} // namespace rbee
