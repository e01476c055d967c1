#include "actors/queen/queen.hpp"

#include "actors/blocking.hpp"
#include "actors/queen/gate.hpp"
#include "actors/queen/state.hpp"
#include "log/log.hpp"
#include "messages/json.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>
#include <unordered_map>

#include <spdlog/logger.h>

namespace rbee {

using namespace std::chrono_literals;

void publish(queen_ptr self, const std::string& job_id) {
  if (auto j = self->state.jobs.find(job_id)) self->send(self->state.opts.bridge, *j);
}

void say(queen_ptr self, const std::string& job_id, std::string action, std::string target,
         std::string human, level lvl) {
  self->send(self->state.opts.bridge,
             narrate(job_id, "queen", std::move(action), std::move(target), std::move(human), lvl));
}

const std::shared_ptr<spdlog::logger>& lg() {
  static const auto l = logging::get("queen");
  return l;
}

namespace {

/// The job is over: its relay, if any, goes (after what is already in its mailbox).
void end_relay(queen_ptr self, const std::string& id) {
  if (auto it = self->state.relays.find(id); it != self->state.relays.end()) {
    self->send_exit(it->second, caf::exit_reason::normal);
    self->state.relays.erase(it);
  }
}

} // namespace

job_ctx job_context(queen_ptr self, const std::string& job_id, const hive_actor& hive) {
  auto& st = self->state;
  if (!hive || hive->node() == self->node()) return job_ctx{job_id, st.opts.bridge};
  auto& relay = st.relays[job_id];
  if (!relay) relay = spawn_job_relay(self->system(), st.opts.bridge, job_id);
  return job_ctx{job_id, relay};
}

void complete(queen_ptr self, const std::string& id, job_value result) {
  self->state.routed.erase(id);
  end_relay(self, id);
  if (self->state.jobs.complete(id, std::move(result))) {
    lg()->debug("job={} completed", id);
    publish(self, id);
  }
}

void fail(queen_ptr self, const std::string& id, errc code, std::string message) {
  self->state.routed.erase(id);
  end_relay(self, id);
  if (self->state.jobs.fail(id, code, message)) {
    lg()->info("job={} failed ({}): {}", id, to_string(code), message);
    say(self, id, "fail", std::string(to_string(code)), message, level::error);
    publish(self, id);
  }
}


namespace {

/// Marks a hive lost and fails every job routed to it.
void lose_hive(queen_ptr self, const std::string& hive_id, const std::string& reason) {
  auto& st = self->state;
  if (!st.hives.lose(hive_id, reason, now_ms())) return;
  lg()->warn("hive {} lost: {}", hive_id, reason);
  if (auto e = st.hives.find(hive_id)) self->send(st.opts.bridge, e->info);
  std::vector<std::string> doomed;
  for (auto& [job, hive] : st.routed)
    if (hive == hive_id) doomed.push_back(job);
  for (auto& job : doomed)
    fail(self, job, errc::hive_lost, "hive '" + hive_id + "' was lost: " + reason);
}

} // namespace

/// Sends a job to its hive and completes or fails it with the hive's answer.
void route(queen_ptr self, const std::string& job_id, const std::string& hive_id, operation op) {
  auto& st = self->state;
  auto e = st.hives.find(hive_id);
  if (!e || e->info.state != hive_state::online || !e->handle) {
    fail(self, job_id, errc::hive_lost,
         "hive '" + hive_id + "' is not connected" +
           (e && !e->info.lost_reason.empty() ? " (" + e->info.lost_reason + ")" : ""));
    return;
  }
  st.routed[job_id] = hive_id;
  say(self, job_id, "route", hive_id, "routing " + op_name(op) + " to hive " + hive_id);
  // Generation can run for long; the hive's liveness (monitor, lease) bounds it instead.
  bool long_running = caf::holds_alternative<infer_op>(op) || caf::holds_alternative<model_download_op>(op) ||
                      caf::holds_alternative<worker_install_op>(op);
  auto timeout = long_running ? std::chrono::milliseconds(24LL * 3600 * 1000)
                                                       : std::chrono::milliseconds(st.opts.hive_request_timeout_ms);
  self
    ->request(e->handle, timeout, run_atom::value,
              job_context(self, job_id, e->handle), std::move(op))
    .then([=](job_result& r) { complete(self, job_id, std::move(r.value)); },
          [=](caf::error& err) { fail(self, job_id, code_of(err), message_of(err)); });
}

namespace {

/// A hive_remote job: ssh work on a thread of its own; its answer ends the job.
void start_remote(queen_ptr self, const std::string& id, hive_remote_op op) {
  auto o = self->state.opts.remote;
  if (auto a = self->state.opts.cluster_address)
    o.advertise = *a;
  else
    o.has_cluster_port = false;
  auto bridge = self->state.opts.bridge;
  queen_actor queen{self};
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  self->state.remote_jobs[id] = cancel;
  auto w = spawn_blocking<job_result>(self->system(), [=](caf::event_based_actor* b) {
    return run_remote(o, op, id, bridge, queen, b->system(), cancel);
  });
  self->request(w, std::chrono::seconds(24 * 3600), run_atom::value)
    .then(
      [=](job_result& r) {
        self->state.remote_jobs.erase(id);
        complete(self, id, std::move(r.value));
      },
      [=](caf::error& e) {
        self->state.remote_jobs.erase(id);
        fail(self, id, code_of(e), message_of(e));
      });
}

/// The queen answers status and hive_list itself, drives auto_run, picks a hive for an
/// infer without one, and routes every other operation to its hive.
void run_job(queen_ptr self, const std::string& id, operation op) {
  auto& st = self->state;
  st.jobs.start(id);
  publish(self, id);
  std::string hive = op_hive(op);
  caf::visit(overload{
               [&](status_op&) {
                 complete(self, id, cluster_status{st.opts.version, st.started_ms, st.jobs.total(), st.jobs.active(),
                                                  st.hives.list()});
               },
               [&](hive_list_op&) { complete(self, id, st.hives.list()); },
               [&](auto_run_op& x) { start_auto_run(self, id, std::move(x)); },
               [&](hive_remote_op& x) { start_remote(self, id, std::move(x)); },
               [&](model_download_op& x) {
                 auto go = [self, id](const std::string& to, model_download_op d) {
                   self->state.routed[id] = to; // a cancel reaches the hive; losing it fails the job
                   say(self, id, "route", to, "routing model_download to hive " + to);
                   bring_model(self, id, to, std::move(d), [=](caf::expected<job_result> r) {
                     if (r)
                       complete(self, id, std::move(r->value));
                     else
                       fail(self, id, code_of(r.error()), message_of(r.error()));
                   });
                 };
                 if (hive.empty()) return place_download(self, id, std::move(x), go);
                 go(hive, std::move(x));
               },
               [&](infer_op& x) {
                 if (hive.empty()) return schedule_infer(self, id, std::move(x));
                 route(self, id, hive, operation{std::move(x)});
               },
               [&](auto& x) { route(self, id, hive, operation{std::move(x)}); }},
             op);
}

/// Asks every online hive and concatenates the answers (a hive that fails to
/// answer in time contributes nothing).
template <class T, class Atom>
caf::result<std::vector<T>> gather(queen_ptr self, Atom atom) {
  std::vector<hive_actor> hives;
  for (auto& h : self->state.hives.list())
    if (auto e = self->state.hives.find(h.hive_id); e && e->handle && h.state == hive_state::online)
      hives.push_back(e->handle);
  if (hives.empty()) return std::vector<T>{};
  auto rp = self->make_response_promise<std::vector<T>>();
  auto acc = std::make_shared<std::pair<std::vector<T>, size_t>>();
  acc->second = hives.size();
  for (auto& h : hives)
    self->request(h, std::chrono::seconds(5), atom)
      .then(
        [=](std::vector<T>& xs) mutable {
          acc->first.insert(acc->first.end(), xs.begin(), xs.end());
          if (--acc->second == 0) rp.deliver(acc->first);
        },
        [=](caf::error&) mutable {
          if (--acc->second == 0) rp.deliver(acc->first);
        });
  return rp;
}

queen_actor::behavior_type queen_impl(queen_ptr self, queen_options opts) {
  self->state.opts = opts;
  self->state.jobs = job_table{opts.max_finished_jobs};
  self->state.started_ms = now_ms();
  self->set_down_handler([=](caf::down_msg& dm) {
    if (auto e = self->state.hives.by_address(dm.source)) {
      std::string id = e->info.hive_id;
      // CAF's "exit_reason(remote_link_unreachable)" in words: "remote link unreachable".
      std::string why = caf::to_string(dm.reason);
      if (auto open = why.find('('); open != std::string::npos && why.back() == ')') why = why.substr(open + 1, why.size() - open - 2);
      std::replace(why.begin(), why.end(), '_', ' ');
      lose_hive(self, id, "connection lost (" + why + ")");
    }
  });
  self->send(self, tick_atom::value);
  return {
    [=](submit_atom, operation& op) -> caf::result<job_accepted> {
      auto& st = self->state;
      std::string hive = op_hive(op);
      if (hive.empty()) { // the embedded hive, the only one online, or (placing operations) the queen's choice
        auto d = default_hive(self, op);
        if (!d) return std::move(d.error());
        hive = *d;
        set_hive(op, hive);
      }
      // auto_run reports a missing hive as its first step's failure, inside the job.
      if (!hive.empty() && !st.hives.find(hive) && !caf::holds_alternative<auto_run_op>(op))
        return make_error(errc::hive_not_found, "no hive '" + hive + "' has joined this queen");
      auto& job = st.jobs.create(op_name(op), hive);
      std::string id = job.job_id;
      publish(self, id);
      run_job(self, id, std::move(op));
      return job_accepted{id, "/v1/jobs/" + id + "/stream"};
    },
    [=](cancel_atom, const std::string& id) -> caf::result<job_info> {
      auto& st = self->state;
      auto j = st.jobs.find(id);
      if (!j) return make_error(errc::job_not_found, "no job '" + id + "'");
      if (is_terminal(j->state))
        return make_error(errc::job_finished,
                          "job '" + id + "' already " + std::string(to_string(j->state)));
      if (auto r = st.routed.find(id); r != st.routed.end()) {
        if (auto e = st.hives.find(r->second); e && e->handle)
          self->send(e->handle, cancel_atom::value, id);
        st.routed.erase(r);
      }
      if (auto r = st.remote_jobs.find(id); r != st.remote_jobs.end()) *r->second = true; // kills its ssh command
      say(self, id, "cancel", id, "job cancelled by request", level::warn);
      st.jobs.cancel(id);
      end_relay(self, id);
      publish(self, id);
      return *st.jobs.find(id);
    },
    [=](job_atom, const std::string& id) -> caf::result<job_info> {
      if (auto j = self->state.jobs.find(id)) return *j;
      return make_error(errc::job_not_found, "no job '" + id + "'");
    },
    [=](jobs_atom) -> std::vector<job_info> { return self->state.jobs.list(); },
    [=](hives_atom) -> std::vector<hive_info> { return self->state.hives.list(); },
    [=](hive_atom, const std::string& id) -> caf::result<hive_info> {
      if (auto e = self->state.hives.find(id)) return e->info;
      return make_error(errc::hive_not_found, "no hive '" + id + "'");
    },
    [=](register_atom, hive_registration& reg, hive_actor& h) -> caf::result<registration_ack> {
      auto& st = self->state;
      if (!json::valid_id(reg.hive_id))
        return make_error(errc::invalid_value, "hive id must be 1-64 characters of [A-Za-z0-9._-]");
      if (!h) return make_error(errc::bad_request, "registration without a hive handle");
      bool local = h->node() == self->node();
      if (auto old = st.hives.join(reg, h, local, now_ms(), st.opts.hive_lease_ms))
        self->demonitor(old->address());
      self->monitor(h);
      auto e = st.hives.find(reg.hive_id);
      lg()->info("hive {} joined ({}, epoch {}, {} cores, {} GPU(s))", reg.hive_id, local ? "local" : "remote",
                 e->info.epoch, reg.caps.cores, reg.caps.gpus.size());
      self->send(st.opts.bridge, e->info);
      return registration_ack{reg.hive_id, e->info.epoch, st.opts.hive_heartbeat_ms};
    },
    [=](heartbeat_atom, const hive_heartbeat& hb) {
      self->state.hives.heartbeat(hb, now_ms(), self->state.opts.hive_lease_ms);
    },
    [=](models_atom) -> caf::result<std::vector<model_entry>> {
      return gather<model_entry>(self, models_atom::value);
    },
    [=](workers_atom) -> caf::result<std::vector<worker_info>> {
      return gather<worker_info>(self, workers_atom::value);
    },
    [=](tick_atom) {
      for (auto& id : self->state.hives.expired(now_ms()))
        lose_hive(self, id,
                  "no heartbeat for " + std::to_string(self->state.opts.hive_lease_ms) + " ms");
      self->delayed_send(self, 250ms, tick_atom::value);
    },
  };
}

} // namespace

queen_actor spawn_queen(caf::actor_system& sys, queen_options opts) {
  return sys.spawn(queen_impl, std::move(opts));
}

} // namespace rbee
