// The hive's workers: one per loaded model, spawned on demand (in-process, or as
// a supervised child process), reused, unloaded when idle past their keep-alive.
#include "actors/hive/state.hpp"
#include "cluster/join_token.hpp"
#include "log/log.hpp"
#include "actors/worker/worker.hpp"
#include "actors/hive/worker_store.hpp"
#include "kernels/context.hpp"

#include <caf/actor_system.hpp>

#include <unistd.h>

#include <fstream>

#include <spdlog/logger.h>

namespace rbee {

namespace {

/// The worker serving `path`, spawned when there is none (named by the store's
/// one name for the file, read from its header only then); errors: quarantine, spawn failure.
caf::expected<hive_worker*> worker_for(hive_ptr self, const std::string& path,
                                       int keep_alive_s, const std::string& program = "", const std::string& device = "cpu",
                                       int program_fd = -1) {
  auto& st = self->state;
  for (auto& [id, w] : st.workers) // reused unless another worker binary was asked for
    if (w.info.model_path == path && w.info.state != worker_state::failed && (program.empty() || w.program == program)) {
      if (keep_alive_s >= 0) w.info.keep_alive_s = keep_alive_s;
      return &w;
    }
  std::string name = st.store->name_of(path);
  if (st.crashes[path] >= st.opts.max_crashes)
    return make_error(errc::unavailable, "model '" + name + "' is quarantined: its workers crashed " +
                                           std::to_string(st.crashes[path]) + " times (last: " + st.last_crash[path] +
                                           ")");
  worker_options o;
  o.worker_id = "worker-" + std::to_string(st.next_worker++);
  o.model = name;
  o.model_path = path;
  o.hive_id = st.opts.hive_id;
  o.slots = st.opts.worker_slots;
  o.n_ctx = st.opts.worker_ctx;
  o.prompt_cache_mib = st.opts.prompt_cache_mib;
  o.keep_alive_s = keep_alive_s >= 0 ? keep_alive_s : st.opts.keep_alive_s;
  o.device = device;
  hive_worker w;
  w.program = program;
  w.info.worker_id = o.worker_id, w.info.model = name, w.info.model_path = path, w.info.hive_id = st.opts.hive_id;
  w.info.device = device, w.info.state = worker_state::ready, w.info.slots = o.slots;
  w.info.loaded_ms = w.info.last_used_ms = now_ms(), w.info.keep_alive_s = o.keep_alive_s;
  if (st.opts.worker_processes || !program.empty()) {
    w.secret = cluster::new_secret();
    auto pid = hive_start_process(self, o, w.secret, program, program_fd);
    if (!pid) return std::move(pid.error());
    w.pid = *pid;
    w.info.pid = *pid;
    w.info.state = worker_state::starting;
  } else {
    w.handle = spawn_worker(self->system(), o);
    self->monitor(w.handle);
  }
  return &st.workers.emplace(o.worker_id, std::move(w)).first->second;
}

/// The resident memory of a worker's own process (0 when it cannot be read).
uint64_t process_rss(int pid) {
  std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
  uint64_t size = 0, resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

/// Copies what the worker knows of itself (state, memory) into the hive's record;
/// a worker in its own process is measured (resident memory), not estimated.
void refresh(hive_ptr self, const std::string& id) {
  auto it = self->state.workers.find(id);
  if (it == self->state.workers.end() || !it->second.handle) return;
  self->request(it->second.handle, std::chrono::seconds(5), info_atom::value)
    .then(
      [=](worker_info& info) {
        if (auto w = self->state.workers.find(id); w != self->state.workers.end()) {
          w->second.info.state = info.state;
          w->second.info.memory_bytes = info.memory_bytes;
          if (w->second.pid > 0)
            if (uint64_t rss = process_rss(w->second.pid)) w->second.info.memory_bytes = rss;
          w->second.info.tokens_per_s = info.tokens_per_s;
        }
      },
      [](caf::error&) {});
}

void stop_worker(hive_ptr self, const std::string& id) {
  auto it = self->state.workers.find(id);
  if (it == self->state.workers.end()) return;
  if (it->second.handle) {
    self->demonitor(it->second.handle.address());
    self->send_exit(it->second.handle, caf::exit_reason::user_shutdown);
  }
  for (auto& [job, rp] : it->second.inflight) rp.deliver(make_error(errc::cancelled, "the worker was stopped"));
  self->state.workers.erase(it); // a child process exits when its worker actor does
}

/// Runs `f` now if the worker is up, else once its process has joined
/// (`failed` instead when the process dies before).
void when_ready(hive_worker& w, std::function<void()> f, std::function<void(const caf::error&)> failed = {}) {
  if (w.handle)
    f();
  else
    w.on_ready.push_back({std::move(f), std::move(failed)});
}

} // namespace

caf::result<job_result> hive_infer(hive_ptr self, const job_ctx& ctx, infer_op op) {
  auto& st = self->state;
  auto path = st.store->resolve(op.model, st.opts.allow_model_paths);
  if (!path) return std::move(path.error());
  bool fresh = true;
  for (auto& [id, w] : st.workers) fresh = fresh && w.info.model_path != *path;
  auto w = worker_for(self, *path, op.keep_alive_s);
  if (!w) return std::move(w.error());
  hive_say(self, ctx, fresh ? "load" : "reuse",
           std::string(fresh ? "loading " : "using the loaded ") + (*w)->info.model + " (" + (*w)->info.worker_id +
             ((*w)->pid ? ", process " + std::to_string((*w)->pid) : std::string()) + ")");
  ++(*w)->active;
  (*w)->info.last_used_ms = now_ms();
  st.job_worker[ctx.job_id] = (*w)->info.worker_id;
  auto rp = self->make_response_promise<job_result>();
  (*w)->inflight.emplace(ctx.job_id, rp);
  std::string wid = (*w)->info.worker_id, job = ctx.job_id;
  // The answer, unless the worker's death already answered.
  auto finish = [=](caf::expected<infer_result> r) {
    auto& s = self->state;
    s.job_worker.erase(job);
    auto it = s.workers.find(wid);
    if (it == s.workers.end()) return;
    auto p = it->second.inflight.find(job);
    if (p == it->second.inflight.end()) return;
    auto promise = p->second;
    it->second.inflight.erase(p);
    --it->second.active;
    it->second.info.last_used_ms = now_ms();
    if (r) {
      promise.deliver(job_result{std::move(*r)});
      refresh(self, wid);
    } else {
      bool load_failed = code_of(r.error()) == errc::model_not_found;
      promise.deliver(r.error());
      if (load_failed) stop_worker(self, wid);
    }
  };
  when_ready(**w, [=, op = std::move(op)]() mutable {
    auto it = self->state.workers.find(wid);
    if (it == self->state.workers.end()) return;
    self->request(it->second.handle, std::chrono::seconds(24 * 3600), generate_atom::value, ctx, std::move(op))
      .then([=](infer_result& r) { finish(std::move(r)); }, [=](caf::error& err) { finish(std::move(err)); });
  });
  return rp;
}

caf::result<job_result> hive_worker_spawn(hive_ptr self, const job_ctx& ctx, const worker_spawn_op& op) {
  auto& st = self->state;
  // The device: cpu, or cuda:N of a GPU this hive has (never a silent CPU fallback).
  auto index = kernels::cuda_index(op.device.empty() && op.worker == "cuda" ? "cuda" : op.device);
  if (!index) return make_error(errc::invalid_value, "device: cpu, cuda or cuda:N");
  std::string device = *index < 0 ? "cpu" : "cuda:" + std::to_string(*index);
  if (*index >= 0) {
    bool present = false;
    for (auto& g : st.caps.gpus) present = present || g.index == *index;
    if (!present)
      return make_error(errc::platform_unsupported, "hive '" + st.opts.hive_id + "' has no CUDA device " + std::to_string(*index) +
                                                      (st.caps.cuda_note.empty() ? "" : " (" + st.caps.cuda_note + ")"));
  }
  // "cpu"/"cuda": the engine of this rbee; a worker id: that installed binary, verified.
  std::string program;
  verified_binary binary; // executed through its descriptor: the file whose hash was checked
  if (!op.worker.empty() && op.worker != "cpu" && op.worker != "cuda") {
    if (op.worker == "metal")
      return make_error(errc::platform_unsupported, "worker 'metal' is not available on hive '" + st.opts.hive_id + "'");
    if (!valid_worker_id(op.worker)) return make_error(errc::invalid_value, "worker: not a worker id");
    auto opened = worker_store(st.opts.data_dir).open_verified(op.worker);
    if (!opened) return std::move(opened.error());
    binary = std::move(*opened);
    auto* installed = &binary.worker;
    if (installed->backend == "cuda" && device == "cpu") device = "cuda:0";
    if (installed->backend != "cpu" && installed->backend != "cuda")
      return make_error(errc::platform_unsupported, op.worker + " is a " + installed->backend + " worker; this hive runs cpu and cuda workers");
    program = installed->path;
  }
  auto path = st.store->resolve(op.model, st.opts.allow_model_paths);
  if (!path) return std::move(path.error());
  auto w = worker_for(self, *path, -1, program, device, binary.fd);
  if (!w) return std::move(w.error());
  hive_say(self, ctx, "spawn", "worker " + (*w)->info.worker_id + " serves " + (*w)->info.model);
  // Answer once the worker has loaded (its info says ready or failed).
  auto rp = self->make_response_promise<job_result>();
  std::string wid = (*w)->info.worker_id;
  when_ready(**w, [=]() mutable {
    auto it = self->state.workers.find(wid);
    if (it == self->state.workers.end()) return;
    self->request(it->second.handle, std::chrono::seconds(600), info_atom::value)
      .then(
        [=](worker_info& info) mutable {
          if (info.state == worker_state::failed) {
            stop_worker(self, wid);
            rp.deliver(make_error(errc::model_not_found, "the worker could not load " + info.model));
            return;
          }
          if (auto i = self->state.workers.find(wid); i != self->state.workers.end()) {
            // Who it is, where and for what is the hive's word, not the process's
            // (a worker binary from the catalog knows no hive id).
            auto& mine = i->second.info;
            info.pid = i->second.pid, info.worker_id = mine.worker_id, info.hive_id = mine.hive_id;
            info.model = mine.model, info.model_path = mine.model_path;
            mine = info;
          }
          rp.deliver(job_result{info});
        },
        [=](caf::error& err) mutable { rp.deliver(err); });
  }, [=](const caf::error& err) mutable { rp.deliver(err); });
  return rp;
}

caf::result<job_result> hive_worker_stop(hive_ptr self, const job_ctx& ctx, const worker_stop_op& op) {
  auto& st = self->state;
  std::vector<std::string> ids;
  if (op.worker_id.empty() == op.model.empty())
    return make_error(errc::invalid_value, "worker_stop takes a worker_id or a model (one of them)");
  if (!op.worker_id.empty()) {
    if (!st.workers.count(op.worker_id)) return make_error(errc::not_found, "no worker '" + op.worker_id + "' on " + st.opts.hive_id);
    ids.push_back(op.worker_id);
  } else { // every worker serving the file the model's name (any of its forms) stands for
    auto path = st.store->resolve(op.model, st.opts.allow_model_paths);
    if (!path) return std::move(path.error());
    for (auto& [wid, w] : st.workers)
      if (w.info.model_path == *path) ids.push_back(wid);
    if (ids.empty()) return make_error(errc::not_found, st.store->name_of(*path) + " is not loaded on " + st.opts.hive_id);
  }
  std::string stopped;
  for (auto& id : ids) {
    hive_say(self, ctx, "stop", "unloading " + st.workers[id].info.model + " (" + id + ")");
    stopped += (stopped.empty() ? "" : ",") + id;
    stop_worker(self, id);
  }
  return job_result{action_result{"stopped", stopped}};
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
  if (auto w = st.workers.find(it->second); w != st.workers.end() && w->second.handle)
    self->send(w->second.handle, cancel_atom::value, job_id);
}

void hive_reap_idle(hive_ptr self) {
  std::vector<std::string> idle;
  int64_t now = now_ms();
  for (auto& [id, w] : self->state.workers)
    if (w.active == 0 && w.handle && now - w.info.last_used_ms >= static_cast<int64_t>(w.info.keep_alive_s) * 1000)
      idle.push_back(id);
  for (auto& id : idle) stop_worker(self, id);
}

void hive_worker_up(hive_ptr self, const std::string& id, const std::string& secret, worker_actor handle) {
  auto it = self->state.workers.find(id);
  if (it == self->state.workers.end() || it->second.handle || !handle || it->second.secret.empty() ||
      !cluster::same_digest(cluster::secret_hash(secret), cluster::secret_hash(it->second.secret))) {
    if (it != self->state.workers.end() && !it->second.handle)
      logging::get("hive")->warn("a process claiming worker {} had the wrong secret: refused", id);
    if (handle) self->send_exit(handle, caf::exit_reason::user_shutdown); // unknown or late: not ours
    return;
  }
  auto& w = it->second;
  w.handle = std::move(handle);
  w.info.state = worker_state::ready;
  self->monitor(w.handle);
  hive_close_worker_port(self);
  auto pending = std::move(w.on_ready);
  w.on_ready.clear();
  for (auto& f : pending) f.go();
}

bool hive_worker_down(hive_ptr self, const caf::actor_addr& who, const caf::error& reason) {
  for (auto& [id, w] : self->state.workers)
    if (w.handle && w.handle.address() == who) {
      std::string wid = id;
      std::string how = w.pid ? hive_child_exit(self, wid, 300) : std::string();
      if (how.empty()) how = "its actor went down (" + caf::to_string(reason) + ")";
      hive_worker_died(self, wid, how);
      return true;
    }
  return false;
}

void hive_worker_died(hive_ptr self, const std::string& id, const std::string& how) {
  auto& st = self->state;
  auto it = st.workers.find(id);
  if (it == st.workers.end()) return;
  auto& w = it->second;
  std::string what = "worker " + id + (w.pid ? " (process " + std::to_string(w.pid) + ")" : std::string()) +
                     " serving " + w.info.model + " died: " + how;
  if (!w.inflight.empty() || w.pid) { // a crash, not an unload
    logging::get("hive")->warn("{} ({} job(s) in flight)", what, w.inflight.size());
    ++st.crashes[w.info.model_path];
    st.last_crash[w.info.model_path] = how;
  }
  for (auto& [job, rp] : w.inflight) {
    st.job_worker.erase(job);
    rp.deliver(make_error(errc::internal, what));
  }
  for (auto& waiting : w.on_ready)
    if (waiting.fail) waiting.fail(make_error(errc::internal, what));
  st.workers.erase(it);
  hive_close_worker_port(self);
}

} // namespace rbee
