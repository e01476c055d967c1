#include "actors/hive.hpp"

#include "kernels/cpu_features.hpp"
#include "messages/json.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace rbee {

namespace {

struct hive_state {
  hive_options opts;
  capabilities caps;
  queen_actor queen;
  uint64_t epoch = 0;
  int heartbeat_ms = 1000;
  bool ticking = false;
  static inline const char* name = "hive";
};

using hive_ptr = hive_actor::stateful_pointer<hive_state>;

void queen_lost(hive_ptr self, const caf::error& why) {
  self->state.queen = nullptr;
  self->state.epoch = 0;
  if (self->state.opts.on_queen_lost) self->state.opts.on_queen_lost(why);
}

void say(hive_ptr self, const job_ctx& ctx, std::string action, std::string human) {
  if (ctx.bridge)
    self->send(ctx.bridge, narrate(ctx.job_id, "hive", std::move(action), self->state.opts.hive_id,
                                   std::move(human)));
}

caf::result<job_result> run(hive_ptr self, const job_ctx& ctx, operation& op) {
  if (caf::holds_alternative<hive_get_op>(op)) {
    say(self, ctx, "probe", "detecting capabilities of " + self->state.caps.hostname);
    self->state.caps = probe_capabilities();
    const auto& c = self->state.caps;
    say(self, ctx, "probe",
        std::to_string(c.cores) + " CPUs (" + c.cpu_model + "), " +
          std::to_string(c.ram_total >> 20) + " MiB RAM, " + std::to_string(c.gpus.size()) +
          " GPU(s)");
    return job_result{json::write(c)};
  }
  return make_error(errc::not_implemented,
                    "hive '" + self->state.opts.hive_id + "' cannot run '" + op_name(op) + "' yet");
}

hive_actor::behavior_type hive_impl(hive_ptr self, hive_options opts) {
  self->state.opts = std::move(opts);
  self->state.caps = probe_capabilities();
  self->set_down_handler([=](caf::down_msg& dm) {
    if (self->state.queen && dm.source == self->state.queen.address())
      queen_lost(self, dm.reason);
  });
  return {
    [=](caps_atom) { return self->state.caps; },
    [=](run_atom, const job_ctx& ctx, operation& op) { return run(self, ctx, op); },
    [=](cancel_atom, const std::string&) {
      // Operations of this version finish at once; long ones (download, build,
      // generate) stop here when they arrive.
    },
    [=](connect_atom, caf::actor queen) {
      auto q = caf::actor_cast<queen_actor>(queen);
      hive_registration reg{self->state.opts.hive_id, self->state.opts.version, self->state.caps};
      self->request(q, std::chrono::seconds(10), register_atom::value, reg, hive_actor{self})
        .then(
          [=](registration_ack& ack) {
            self->state.queen = q;
            self->state.epoch = ack.epoch;
            self->state.heartbeat_ms = ack.heartbeat_ms;
            self->monitor(q);
            if (!self->state.ticking) {
              self->state.ticking = true;
              self->send(self, tick_atom::value);
            }
          },
          [=](caf::error& err) { queen_lost(self, err); });
    },
    [=](tick_atom) {
      auto& st = self->state;
      if (st.queen)
        self->send(st.queen, heartbeat_atom::value,
                   hive_heartbeat{st.opts.hive_id, st.epoch, now_ms(), kernels::detect_memory().available});
      self->delayed_send(self, std::chrono::milliseconds(st.heartbeat_ms), tick_atom::value);
    },
  };
}

} // namespace

hive_actor spawn_hive(caf::actor_system& sys, hive_options opts) {
  return sys.spawn(hive_impl, std::move(opts));
}

} // namespace rbee
