#include "actors/hive/hive.hpp"

#include "actors/blocking.hpp"
#include "actors/hive/state.hpp"
#include "kernels/bandwidth.hpp"
#include "log/log.hpp"
#include "actors/install/installer.hpp"
#include "kernels/cpu_features.hpp"

#include <caf/actor_system.hpp>

#include <filesystem>

#include <spdlog/logger.h>

namespace rbee {

void hive_say(hive_ptr self, const job_ctx& ctx, std::string action, std::string human) {
  if (ctx.bridge)
    self->send(ctx.bridge, narrate(ctx.job_id, "hive", std::move(action), self->state.opts.hive_id, std::move(human)));
}

namespace {

void queen_lost(hive_ptr self, const caf::error& why) {
  logging::get("hive")->warn("hive {}: the queen is gone ({})", self->state.opts.hive_id, message_of(why));
  self->state.queen = nullptr;
  self->state.heartbeats = nullptr;
  self->state.epoch = 0;
  if (self->state.opts.on_queen_lost) self->state.opts.on_queen_lost(why);
}

/// The machine's memory read bandwidth, measured once on a thread of its own
/// (256 MiB, about 50 ms): the queen predicts decode speed from it.
void measure_bandwidth(hive_ptr self) {
  if (self->state.opts.measure_bandwidth_mb == 0) return;
  size_t bytes = static_cast<size_t>(self->state.opts.measure_bandwidth_mb) << 20;
  auto w = spawn_blocking<uint64_t>(self->system(), [bytes](caf::event_based_actor*) -> caf::expected<uint64_t> {
    return static_cast<uint64_t>(kernels::measure_read_bandwidth(kernels::threads(), bytes));
  });
  self->request(w, std::chrono::seconds(60), run_atom::value)
    .then([=](uint64_t bw) { self->state.caps.read_bandwidth = bw; }, [](caf::error&) {});
}

/// The queen accepted us: heartbeats go to `heartbeats` from now on.
void joined(hive_ptr self, caf::actor target, caf::actor heartbeats, const registration_ack& ack) {
  auto& st = self->state;
  logging::get("hive")->info("hive {} joined the queen (epoch {})", ack.hive_id, ack.epoch);
  st.queen = target;
  st.heartbeats = std::move(heartbeats);
  st.epoch = ack.epoch;
  st.heartbeat_ms = ack.heartbeat_ms;
  self->monitor(target);
  if (st.opts.on_joined) st.opts.on_joined(ack);
  if (!st.ticking) {
    st.ticking = true;
    self->send(self, tick_atom::value);
  }
}

/// Registers with the queen in-process, or joins through a remote queen's
/// cluster gate with the join secret.
void join(hive_ptr self, caf::actor target) {
  auto& st = self->state;
  auto err = [=](caf::error& e) { queen_lost(self, e); };
  if (st.opts.join_secret.empty()) {
    hive_registration reg{st.opts.hive_id, st.opts.version, st.caps};
    self->request(caf::actor_cast<queen_actor>(target), std::chrono::seconds(10), register_atom::value, reg, hive_actor{self})
      .then([=](registration_ack& ack) { joined(self, target, target, ack); }, err);
    return;
  }
  hive_join j{st.opts.hive_id, st.opts.join_secret, cluster_protocol, st.opts.version, st.caps};
  self->request(caf::actor_cast<cluster_gate_actor>(target), std::chrono::seconds(10), join_atom::value, j, hive_actor{self})
    .then([=](registration_ack& ack, hive_link_actor& link) { joined(self, target, caf::actor_cast<caf::actor>(link), ack); },
          err);
}

/// What the hive offers for another model: the machine's free memory, within
/// memory_limit less what its workers hold when a limit is set.
uint64_t offered_memory(const hive_actor_state& st) {
  uint64_t free = kernels::detect_memory().available;
  if (!st.opts.memory_limit) return free;
  uint64_t used = 0;
  for (auto& [id, w] : st.workers) used += w.info.memory_bytes;
  return std::min(free, st.opts.memory_limit > used ? st.opts.memory_limit - used : 0);
}

caf::result<job_result> hive_get(hive_ptr self, const job_ctx& ctx) {
  hive_say(self, ctx, "probe", "detecting capabilities of " + self->state.caps.hostname);
  auto bw = self->state.caps.read_bandwidth;
  self->state.caps = probe_capabilities();
  self->state.caps.read_bandwidth = bw;
  self->state.caps.ram_available = offered_memory(self->state);
  const auto& c = self->state.caps;
  hive_say(self, ctx, "probe",
           std::to_string(c.cores) + " CPUs (" + c.cpu_model + "), " + std::to_string(c.ram_total >> 20) +
             " MiB RAM, " + std::to_string(c.gpus.size()) + " GPU(s)");
  return job_result{c};
}

caf::result<job_result> model_get(hive_ptr self, const model_get_op& x) {
  auto path = self->state.store->resolve(x.model, self->state.opts.allow_model_paths);
  if (!path) return std::move(path.error());
  model_entry e;
  e.name = x.model;
  e.path = *path;
  std::error_code ec;
  e.size = std::filesystem::file_size(*path, ec);
  model_store::describe(e);
  return job_result{std::vector<model_entry>{e}};
}

/// The hive's operations, one handler each; the queen answers the rest itself.
caf::result<job_result> run(hive_ptr self, const job_ctx& ctx, operation& op) {
  using res = caf::result<job_result>;
  return caf::visit(
    overload{
      [&](hive_get_op&) -> res { return hive_get(self, ctx); },
      [&](infer_op& x) -> res { return hive_infer(self, ctx, std::move(x)); },
      [&](worker_spawn_op& x) -> res { return hive_worker_spawn(self, ctx, x); },
      [&](worker_stop_op& x) -> res { return hive_worker_stop(self, ctx, x); },
      [&](worker_list_op&) -> res { return job_result{hive_worker_list(self)}; },
      [&](model_list_op&) -> res { return job_result{self->state.store->list()}; },
      [&](model_get_op& x) -> res { return model_get(self, x); },
      [&](model_download_op& x) -> res { return hive_download(self, ctx, x); },
      [&](model_delete_op& x) -> res { return hive_model_delete(self, ctx, x); },
      [&](worker_install_op& x) -> res { return hive_install(self, ctx, x); },
      [&](worker_remove_op& x) -> res { return hive_worker_remove(self, ctx, x); },
      [&](worker_list_installed_op&) -> res { return hive_installed_list(self); },
      [&](worker_catalog_list_op&) -> res { return hive_catalog_list(self); },
      [&](worker_catalog_get_op& x) -> res { return hive_catalog_get(self, x); },
      [&](auto& x) -> res { // status, hive_list, auto_run: the queen's own
        return make_error(errc::unknown_operation, "hive '" + self->state.opts.hive_id + "' does not run '" +
                                                     std::string(std::decay_t<decltype(x)>::name) + "'");
      }},
    op);
}

hive_actor::behavior_type hive_impl(hive_ptr self, hive_options opts) {
  self->state.opts = std::move(opts);
  self->state.caps = probe_capabilities();
  self->state.caps.ram_available = offered_memory(self->state);
  self->state.store = std::make_unique<model_store>(self->state.opts.models_dir);
  measure_bandwidth(self);
  if (!self->state.opts.cache_dir.empty()) remove_stale_build_trees(self->state.opts.cache_dir);
  // On exit, stop what runs on other threads (builds, transfers): shutdown must not wait for them.
  self->attach_functor([flags = self->state.stop_flags](const caf::error&) {
    for (auto& w : *flags)
      if (auto f = w.lock()) *f = true;
  });
  // Stopped (a shutdown, or a linked actor failing): its in-process workers stop
  // too — they are monitored, not linked (a worker's crash must not take the hive
  // down), and a process waits for every actor before it exits.
  self->set_exit_handler([=](caf::exit_msg& m) {
    if (m.reason == caf::exit_reason::normal) return; // a linked helper (an offer, the worker gate) ended
    for (auto& [id, w] : self->state.workers)
      if (w.handle) self->send_exit(w.handle, m.reason);
    self->state.workers.clear(); // no handle of ours keeps a stopped worker alive
    self->quit(m.reason);
  });
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    if (st.queen && dm.source == st.queen.address()) return queen_lost(self, dm.reason);
    hive_worker_down(self, dm.source, dm.reason); // fails that worker's jobs at once
  });
  return {
    [=](caps_atom) { return self->state.caps; },
    [=](run_atom, const job_ctx& ctx, operation& op) { return run(self, ctx, op); },
    [=](cancel_atom, const std::string& job_id) {
      if (!hive_cancel_download(self, job_id) && !hive_cancel_install(self, job_id) && !hive_cancel_copy(self, job_id))
        hive_cancel(self, job_id);
    },
    [=](connect_atom, caf::actor target) { join(self, std::move(target)); },
    [=](tick_atom) {
      auto& st = self->state;
      if (st.heartbeats)
        self->send(caf::actor_cast<hive_link_actor>(st.heartbeats), heartbeat_atom::value,
                   hive_heartbeat{st.opts.hive_id, st.epoch, now_ms(), offered_memory(st),
                                  st.caps.read_bandwidth});
      hive_reap_idle(self);
      hive_reap_processes(self);
      self->delayed_send(self, std::chrono::milliseconds(st.heartbeat_ms), tick_atom::value);
    },
    [=](models_atom) {
      auto list = self->state.store->list();
      for (auto& m : list) m.hive_id = self->state.opts.hive_id;
      return list;
    },
    [=](workers_atom) { return hive_worker_list(self); },
    [=](worker_up_atom, const std::string& id, const std::string& secret, worker_actor w) {
      hive_worker_up(self, id, secret, std::move(w));
    },
    [=](progress_atom, const std::string& model, narration& n) { hive_relay_download(self, model, std::move(n)); },
    [=](choose_atom, const std::string& requested) -> caf::result<worker_choice> { return hive_choose(self, requested); },
    [=](offer_atom, const std::string& model) -> caf::result<model_offer, model_source_actor> { return hive_offer(self, model); },
    [=](copy_atom, const job_ctx& ctx, const model_offer& offer, model_source_actor src) -> caf::result<job_result> {
      return hive_copy(self, ctx, offer, std::move(src));
    },
    [=](resolve_atom, const std::string& name) -> caf::result<model_entry> {
      auto path = self->state.store->resolve(name, self->state.opts.allow_model_paths);
      if (!path) return std::move(path.error());
      std::error_code ec;
      model_entry e;
      e.name = name; // as asked: the callers want the file and its size (the one name costs a header read)
      e.path = *path;
      e.size = std::filesystem::file_size(*path, ec);
      return e;
    },
  };
}

} // namespace

hive_actor spawn_hive(caf::actor_system& sys, hive_options opts) {
  return sys.spawn(hive_impl, std::move(opts));
}

} // namespace rbee
