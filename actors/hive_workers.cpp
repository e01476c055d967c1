// The hive's workers: one per loaded model, spawned on demand, reused, unloaded
// when idle past their keep-alive.
#include "actors/hive_state.hpp"
#include "actors/worker.hpp"
#include "messages/json.hpp"

#include <caf/actor_system.hpp>

namespace rbee {

namespace {

/// The worker serving `path`, spawned when there is none.
hive_worker& worker_for(hive_ptr self, const std::string& name, const std::string& path, int keep_alive_s) {
  auto& st = self->state;
  for (auto& [id, w] : st.workers)
    if (w.info.model_path == path && w.info.state != "failed") {
      if (keep_alive_s >= 0) w.info.keep_alive_s = keep_alive_s;
      return w;
    }
  worker_options o;
  o.worker_id = "worker-" + std::to_string(st.next_worker++);
  o.model = name;
  o.model_path = path;
  o.hive_id = st.opts.hive_id;
  o.slots = st.opts.worker_slots;
  o.n_ctx = st.opts.worker_ctx;
  o.keep_alive_s = keep_alive_s >= 0 ? keep_alive_s : st.opts.keep_alive_s;
  hive_worker w;
  w.handle = spawn_worker(self->system(), o);
  w.info = worker_info{o.worker_id, name, path, st.opts.hive_id, "cpu", "ready", o.slots, 0, 0, now_ms(), now_ms(),
                       o.keep_alive_s};
  self->monitor(w.handle);
  return st.workers.emplace(o.worker_id, std::move(w)).first->second;
}

/// Copies what the worker knows of itself (state, memory) into the hive's record.
void refresh(hive_ptr self, const std::string& id) {
  auto it = self->state.workers.find(id);
  if (it == self->state.workers.end()) return;
  self->request(it->second.handle, std::chrono::seconds(5), info_atom::value)
    .then(
      [=](worker_info& info) {
        if (auto w = self->state.workers.find(id); w != self->state.workers.end()) {
          w->second.info.state = info.state;
          w->second.info.memory_bytes = info.memory_bytes;
        }
      },
      [](caf::error&) {});
}

void stop_worker(hive_ptr self, const std::string& id) {
  auto it = self->state.workers.find(id);
  if (it == self->state.workers.end()) return;
  self->demonitor(it->second.handle.address());
  self->send_exit(it->second.handle, caf::exit_reason::user_shutdown);
  self->state.workers.erase(it);
}

} // namespace

caf::result<job_result> hive_infer(hive_ptr self, const job_ctx& ctx, infer_op op) {
  auto& st = self->state;
  auto path = st.store->resolve(op.model, st.opts.allow_model_paths);
  if (!path) return std::move(path.error());
  bool fresh = true;
  for (auto& [id, w] : st.workers) fresh = fresh && w.info.model_path != *path;
  auto& w = worker_for(self, op.model, *path, op.keep_alive_s);
  hive_say(self, ctx, fresh ? "load" : "reuse", std::string(fresh ? "loading " : "using the loaded ") + op.model +
                                                   " (" + w.info.worker_id + ")");
  ++w.active;
  w.info.last_used_ms = now_ms();
  st.job_worker[ctx.job_id] = w.info.worker_id;
  auto rp = self->make_response_promise<job_result>();
  std::string wid = w.info.worker_id, job = ctx.job_id;
  auto done = [=](bool failed_load) {
    auto& s = self->state;
    s.job_worker.erase(job);
    auto it = s.workers.find(wid);
    if (it == s.workers.end()) return;
    --it->second.active;
    it->second.info.last_used_ms = now_ms();
    if (failed_load) stop_worker(self, wid);
  };
  self->request(w.handle, std::chrono::seconds(24 * 3600), generate_atom::value, ctx, std::move(op))
    .then(
      [=](infer_result& r) mutable {
        done(false);
        rp.deliver(job_result{json::write(r)});
        refresh(self, wid);
      },
      [=](caf::error& err) mutable {
        done(code_of(err) == errc::model_not_found);
        rp.deliver(err);
      });
  return rp;
}

caf::result<job_result> hive_worker_spawn(hive_ptr self, const job_ctx& ctx, const worker_spawn_op& op) {
  auto& st = self->state;
  if (!op.worker.empty() && op.worker != "cpu")
    return make_error(errc::platform_unsupported, "worker '" + op.worker + "' is not available on hive '" +
                                                    st.opts.hive_id + "' (cpu is)");
  if (!op.device.empty() && op.device != "cpu")
    return make_error(errc::platform_unsupported, "device '" + op.device + "' is not available (cpu is)");
  auto path = st.store->resolve(op.model, st.opts.allow_model_paths);
  if (!path) return std::move(path.error());
  auto& w = worker_for(self, op.model, *path, -1);
  hive_say(self, ctx, "spawn", "worker " + w.info.worker_id + " serves " + op.model);
  // Answer once the worker has loaded (its info says ready or failed).
  auto rp = self->make_response_promise<job_result>();
  std::string wid = w.info.worker_id;
  self->request(w.handle, std::chrono::seconds(600), info_atom::value)
    .then(
      [=](worker_info& info) mutable {
        if (info.state == "failed") {
          stop_worker(self, wid);
          rp.deliver(make_error(errc::model_not_found, "the worker could not load " + info.model));
          return;
        }
        if (auto it = self->state.workers.find(wid); it != self->state.workers.end()) it->second.info = info;
        rp.deliver(job_result{json::write(info)});
      },
      [=](caf::error& err) mutable { rp.deliver(err); });
  return rp;
}

caf::result<job_result> hive_worker_stop(hive_ptr self, const job_ctx& ctx, const worker_stop_op& op) {
  auto& st = self->state;
  std::string id = op.worker_id;
  if (!st.workers.count(id)) // also accept the model name the worker serves
    for (auto& [wid, w] : st.workers)
      if (w.info.model == id) id = wid;
  if (!st.workers.count(id)) return make_error(errc::not_found, "no worker '" + op.worker_id + "'");
  hive_say(self, ctx, "stop", "unloading " + st.workers[id].info.model + " (" + id + ")");
  stop_worker(self, id);
  return job_result{"{\"stopped\":\"" + id + "\"}"};
}

std::vector<worker_info> hive_worker_list(hive_ptr self) {
  std::vector<worker_info> out;
  for (auto& [id, w] : self->state.workers) {
    auto info = w.info;
    info.busy = w.active;
    out.push_back(info);
  }
  return out;
}

void hive_cancel(hive_ptr self, const std::string& job_id) {
  auto& st = self->state;
  auto it = st.job_worker.find(job_id);
  if (it == st.job_worker.end()) return;
  if (auto w = st.workers.find(it->second); w != st.workers.end()) self->send(w->second.handle, cancel_atom::value, job_id);
}

void hive_reap_idle(hive_ptr self) {
  std::vector<std::string> idle;
  int64_t now = now_ms();
  for (auto& [id, w] : self->state.workers)
    if (w.active == 0 && now - w.info.last_used_ms >= static_cast<int64_t>(w.info.keep_alive_s) * 1000)
      idle.push_back(id);
  for (auto& id : idle) stop_worker(self, id);
}

} // namespace rbee
