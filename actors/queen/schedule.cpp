// Placing work that names no hive: a hive with the model loaded, else the hive
// with the most free memory among those that have the model and room for it,
// else one that has room once its least recently used idle workers stop (they
// are stopped first, narrated), else (auto_run, which downloads) the online
// hive with the most free memory.
#include "actors/queen/state.hpp"

#include <algorithm>
#include <cstdio>

namespace rbee {

namespace {

std::string gib(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(bytes) / (1ull << 30));
  return buf;
}

} // namespace

std::vector<idle_worker> eviction_for(const hive_candidate& h) {
  if (h.fits()) return {};
  auto lru = h.idle;
  std::sort(lru.begin(), lru.end(), [](auto& a, auto& b) { return a.last_used_ms < b.last_used_ms; });
  uint64_t need = h.model_bytes + h.model_bytes / 5, have = h.ram_available;
  std::vector<idle_worker> out;
  for (auto& w : lru) {
    out.push_back(w);
    have += w.memory_bytes;
    if (have >= need) return out;
  }
  return {};
}

std::optional<std::string> pick_hive(const std::vector<hive_candidate>& c, std::string& why, bool may_fetch) {
  for (auto& h : c)
    if (h.has_worker) return h.hive_id;
  const hive_candidate* best = nullptr;
  bool anywhere = false;
  for (auto& h : c) {
    if (!h.has_model) continue;
    anywhere = true;
    if (!h.fits()) continue;
    if (!best || h.ram_available > best->ram_available) best = &h;
  }
  if (best) return best->hive_id;
  // Room made by stopping idle workers: where the newest of those stopped is oldest.
  int64_t best_newest = 0;
  for (auto& h : c) {
    if (!h.has_model) continue;
    auto evict = eviction_for(h);
    if (evict.empty()) continue;
    int64_t newest = 0;
    for (auto& w : evict) newest = std::max(newest, w.last_used_ms);
    if (!best || newest < best_newest) best = &h, best_newest = newest;
  }
  if (best) return best->hive_id;
  if (may_fetch && !anywhere)
    for (auto& h : c)
      if (!best || h.ram_available > best->ram_available) best = &h;
  if (best) return best->hive_id;
  why = anywhere ? "no hive that has the model has the memory to load it, even by stopping its idle workers"
                 : "no hive has the model in its store";
  return std::nullopt;
}

double predicted_tokens_per_s(uint64_t read_bandwidth, uint64_t bytes) {
  constexpr double decode_efficiency = 0.9; // bench_cluster, 2026-12-07: measured 39 t/s where bw/size gave 40
  return read_bandwidth && bytes ? decode_efficiency * static_cast<double>(read_bandwidth) / static_cast<double>(bytes) : 0;
}

std::string placement_reason(const hive_candidate& h, const std::string& model) {
  if (h.has_worker) return "placed on " + h.hive_id + ": " + model + " is loaded there";
  if (h.has_model) {
    std::string speed;
    if (double tps = predicted_tokens_per_s(h.read_bandwidth, h.model_bytes); tps > 0) {
      char buf[64];
      std::snprintf(buf, sizeof buf, ", about %.0f tokens/s", tps);
      speed = buf;
    }
    if (auto evict = eviction_for(h); !evict.empty()) {
      uint64_t freed = 0;
      for (auto& w : evict) freed += w.memory_bytes;
      return "placed on " + h.hive_id + ": " + model + " in its store, " + gib(h.ram_available + freed) +
             " free once its least recently used idle worker" + (evict.size() > 1 ? "s stop" : " stops") + speed;
    }
    return "placed on " + h.hive_id + ": " + model + " in its store, " + gib(h.ram_available) + " free" + speed;
  }
  return "placed on " + h.hive_id + ": no hive has " + model + "; it has the most free memory (" + gib(h.ram_available) +
         ") and will download it";
}

void survey_hives(queen_ptr self, const std::string& model, std::function<void(std::vector<hive_candidate>)> done) {
  struct survey {
    std::vector<hive_candidate> hives;
    size_t pending = 0;
    std::function<void(std::vector<hive_candidate>)> done;
  };
  auto sv = std::make_shared<survey>();
  sv->done = std::move(done);
  std::vector<hive_actor> handles;
  for (auto& info : self->state.hives.list()) {
    auto e = self->state.hives.find(info.hive_id);
    if (info.state != hive_state::online || !e || !e->handle) continue;
    sv->hives.push_back({info.hive_id, false, false, 0, info.caps.ram_available, info.caps.read_bandwidth, {}});
    handles.push_back(e->handle);
  }
  if (sv->hives.empty()) return sv->done({});
  // Two questions per hive: can its store resolve the name (to which file), then
  // is that file loaded there (whatever name its worker was asked by).
  sv->pending = sv->hives.size();
  auto answered = [=] {
    if (--sv->pending == 0) sv->done(std::move(sv->hives));
  };
  for (size_t i = 0; i < handles.size(); ++i) {
    auto h = handles[i];
    auto ask_workers = [=](std::string path) {
      self->request(h, std::chrono::seconds(5), workers_atom::value)
        .then(
          [=](std::vector<worker_info>& ws) {
            for (auto& w : ws) {
              if (w.model == model || w.model_path == model || (!path.empty() && w.model_path == path))
                sv->hives[i].has_worker = true;
              else if (w.state == worker_state::ready && w.busy == 0)
                sv->hives[i].idle.push_back({w.worker_id, w.model, w.memory_bytes, w.last_used_ms});
            }
            answered();
          },
          [=](caf::error&) { answered(); });
    };
    self->request(h, std::chrono::seconds(5), resolve_atom::value, model)
      .then(
        [=](model_entry& m) {
          sv->hives[i].has_model = true;
          sv->hives[i].model_bytes = m.size;
          ask_workers(m.path);
        },
        [=](caf::error&) { ask_workers(""); });
  }
}

void evict_then(queen_ptr self, const std::string& job_id, const std::string& hive_id, std::vector<idle_worker> evict,
                std::function<void()> next) {
  auto e = self->state.hives.find(hive_id);
  if (evict.empty() || !e || !e->handle) return next();
  auto left = std::make_shared<size_t>(evict.size());
  auto now = now_ms();
  for (auto& w : evict) {
    say(self, job_id, "evict", hive_id,
        "stopping " + w.worker_id + " (" + w.model + ", " + gib(w.memory_bytes) + ", idle for " +
          std::to_string(std::max<int64_t>(0, now - w.last_used_ms) / 1000) + " s) on " + hive_id + ": least recently used");
    self->request(e->handle, std::chrono::seconds(30), run_atom::value, job_context(self, job_id, e->handle),
                  operation{worker_stop_op{hive_id, w.worker_id, {}}})
      .then([=](job_result&) { if (--*left == 0) next(); },
            [=](caf::error&) { if (--*left == 0) next(); }); // gone already: its memory is free too
  }
}

caf::expected<std::string> default_hive(queen_ptr self, const operation& op) {
  bool has_hive = caf::visit([](const auto& x) { return requires { x.hive_id; }; }, op);
  if (!has_hive || caf::holds_alternative<infer_op>(op) || caf::holds_alternative<auto_run_op>(op)) return std::string();
  auto& st = self->state;
  if (auto e = st.hives.find(local_hive_id); e && e->info.local) return std::string(local_hive_id);
  std::vector<std::string> online;
  for (auto& h : st.hives.list())
    if (h.state == hive_state::online) online.push_back(h.hive_id);
  if (online.size() == 1) return online[0];
  if (caf::holds_alternative<model_download_op>(op) && !online.empty()) return std::string();
  if (online.empty()) return make_error(errc::hive_lost, "no hive is online (rbee hives lists them)");
  std::string names;
  for (auto& n : online) names += (names.empty() ? "" : ", ") + n;
  return make_error(errc::invalid_value, "several hives are online (" + names + "): say which one (\"hive_id\"; --hive NAME)");
}

void place_download(queen_ptr self, const std::string& job_id, model_download_op op,
                    std::function<void(const std::string&, model_download_op)> go) {
  auto model = op.model;
  survey_hives(self, model, [=, op = std::move(op)](std::vector<hive_candidate> hives) mutable {
    if (hives.empty()) return fail(self, job_id, errc::hive_lost, "no hive is online");
    std::string why;
    auto hive = pick_hive(hives, why, true);
    if (!hive) return fail(self, job_id, errc::unavailable, "'" + op.model + "': " + why);
    for (auto& h : hives)
      if (h.hive_id == *hive) say(self, job_id, "schedule", *hive, placement_reason(h, op.model));
    op.hive_id = *hive;
    go(*hive, std::move(op));
  });
}

void schedule_infer(queen_ptr self, const std::string& job_id, infer_op op) {
  auto model = op.model;
  survey_hives(self, model, [self, job_id, op = std::move(op)](std::vector<hive_candidate> hives) mutable {
    if (hives.empty()) return fail(self, job_id, errc::hive_lost, "no hive is online");
    std::string why;
    auto hive = pick_hive(hives, why);
    if (!hive) return fail(self, job_id, errc::model_not_found, "'" + op.model + "': " + why);
    std::vector<idle_worker> evict;
    for (auto& h : hives)
      if (h.hive_id == *hive) {
        say(self, job_id, "schedule", *hive, placement_reason(h, op.model));
        if (!h.has_worker) evict = eviction_for(h);
      }
    op.hive_id = *hive;
    auto target = *hive;
    evict_then(self, job_id, target, std::move(evict), [self, job_id, target, op = std::move(op)]() mutable {
      route(self, job_id, target, operation{std::move(op)});
    });
  });
}

} // namespace rbee
