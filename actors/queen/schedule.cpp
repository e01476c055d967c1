// Scheduling an infer request that names no hive: a hive with the model loaded,
// else the hive with the most free memory among those that have the model.
#include "actors/queen/state.hpp"

#include <algorithm>

namespace rbee {

std::optional<std::string> pick_hive(const std::vector<hive_candidate>& c, std::string& why) {
  for (auto& h : c)
    if (h.has_worker) return h.hive_id;
  const hive_candidate* best = nullptr;
  bool anywhere = false;
  for (auto& h : c) {
    if (!h.has_model) continue;
    anywhere = true;
    if (h.ram_available < h.model_bytes + h.model_bytes / 5) continue;
    if (!best || h.ram_available > best->ram_available) best = &h;
  }
  if (best) return best->hive_id;
  why = anywhere ? "no hive that has the model has the memory to load it"
                 : "no hive has the model in its store";
  return std::nullopt;
}

namespace {

/// Collected answers for one request.
struct survey {
  std::string job_id;
  infer_op op;
  std::vector<hive_candidate> hives;
  size_t pending = 0;
};

void decide(queen_ptr self, std::shared_ptr<survey> sv) {
  std::string why;
  auto hive = pick_hive(sv->hives, why);
  if (!hive) return fail(self, sv->job_id, errc::model_not_found, "'" + sv->op.model + "': " + why);
  bool loaded = std::any_of(sv->hives.begin(), sv->hives.end(),
                            [&](auto& h) { return h.hive_id == *hive && h.has_worker; });
  say(self, sv->job_id, "schedule", *hive,
      "hive " + *hive + (loaded ? " has " + sv->op.model + " loaded" : " has " + sv->op.model + " and the memory"));
  sv->op.hive_id = *hive;
  route(self, sv->job_id, *hive, std::move(sv->op));
}

} // namespace

void schedule_infer(queen_ptr self, const std::string& job_id, infer_op op) {
  auto sv = std::make_shared<survey>();
  sv->job_id = job_id;
  sv->op = std::move(op);
  for (auto& info : self->state.hives.list()) {
    auto e = self->state.hives.find(info.hive_id);
    if (info.state != hive_state::online || !e || !e->handle) continue;
    sv->hives.push_back({info.hive_id, false, false, 0, info.caps.ram_available});
  }
  if (sv->hives.empty()) return fail(self, job_id, errc::hive_lost, "no hive is online");
  // Two questions per hive: is the model loaded there, can its store resolve it.
  sv->pending = 2 * sv->hives.size();
  auto answered = [=] {
    if (--sv->pending == 0) decide(self, sv);
  };
  for (size_t i = 0; i < sv->hives.size(); ++i) {
    auto handle = self->state.hives.find(sv->hives[i].hive_id)->handle;
    self->request(handle, std::chrono::seconds(5), workers_atom::value)
      .then(
        [=](std::vector<worker_info>& ws) {
          for (auto& w : ws)
            if (w.model == sv->op.model || w.model_path == sv->op.model) sv->hives[i].has_worker = true;
          answered();
        },
        [=](caf::error&) { answered(); });
    self->request(handle, std::chrono::seconds(5), resolve_atom::value, sv->op.model)
      .then(
        [=](model_entry& m) {
          sv->hives[i].has_model = true;
          sv->hives[i].model_bytes = m.size;
          answered();
        },
        [=](caf::error&) { answered(); });
  }
}

} // namespace rbee
