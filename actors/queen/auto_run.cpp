// auto_run: from a model name to a ready worker as ONE job. The queen drives
// the hive through the steps — hive, model, worker, install, spawn — running
// each sub-operation under the same job id, so that every sub-step's narration,
// progress and build output lands in the one SSE stream, and a cancel of the
// job reaches whichever step runs. A step with nothing to do says so.
#include "actors/queen/state.hpp"

namespace rbee {

namespace {

struct auto_run {
  std::string job_id;
  auto_run_op op;
  hive_actor hive;
  worker_choice choice;
  std::string model_path;
};
using run_ptr = std::shared_ptr<auto_run>;

constexpr auto long_step = std::chrono::milliseconds(24LL * 3600 * 1000);

/// The job ended meanwhile (cancelled, or failed with its hive).
bool gone(queen_ptr self, const run_ptr& r) {
  auto j = self->state.jobs.find(r->job_id);
  return !j || is_terminal(j->state);
}

void step_say(queen_ptr self, const run_ptr& r, int n, const char* step, const std::string& human, bool skipped) {
  say(self, r->job_id, skipped ? "skip" : step, step, "[" + std::to_string(n) + "/5 " + step + "] " + human);
}

void step_fail(queen_ptr self, const run_ptr& r, const char* step, const caf::error& err) {
  if (gone(self, r)) return;
  fail(self, r->job_id, code_of(err), std::string("auto_run step '") + step + "' failed: " + message_of(err));
}

/// Runs a sub-operation on the hive as part of this job; `next` gets its answer.
template <class F>
void sub(queen_ptr self, run_ptr r, const char* step, operation op, F next) {
  self->request(r->hive, long_step, run_atom::value, job_context(self, r->job_id, r->hive), std::move(op))
    .then(
      [=](job_result& res) {
        if (!gone(self, r)) next(res);
      },
      [=](caf::error& err) { step_fail(self, r, step, err); });
}

auto_run_result done(const run_ptr& r, const std::string& worker_id) {
  return auto_run_result{worker_id,        r->op.model,
                         r->op.hive_id,    "/v1/chat/completions",
                         r->model_path,    r->choice.worker_id.empty() ? "builtin" : r->choice.worker_id,
                         r->choice.backend};
}

// Step 5: a worker serving the model — the loaded one, else a new one, ready.
void spawn_step(queen_ptr self, run_ptr r) {
  self->request(r->hive, std::chrono::seconds(10), workers_atom::value)
    .then(
      [=](std::vector<worker_info>& ws) {
        if (gone(self, r)) return;
        for (auto& w : ws)
          if ((w.model_path == r->model_path || w.model == r->op.model) && w.state == worker_state::ready) {
            step_say(self, r, 5, "spawn", w.worker_id + " already serves " + r->op.model + "; reusing it", true);
            return complete(self, r->job_id, done(r, w.worker_id));
          }
        std::string program = r->choice.worker_id.empty() ? "cpu" : r->choice.worker_id;
        step_say(self, r, 5, "spawn", "starting a worker (" + program + ") with " + r->op.model, false);
        std::string device = r->choice.backend == "cuda" ? "cuda:0" : "";
        sub(self, r, "spawn", worker_spawn_op{r->op.hive_id, r->op.model, program, device}, [=](job_result& res) {
          auto* spawned = caf::get_if<worker_info>(&res.value);
          std::string id = spawned ? spawned->worker_id : "";
          step_say(self, r, 5, "spawn", id + " is ready", false);
          complete(self, r->job_id, done(r, id));
        });
      },
      [=](caf::error& err) { step_fail(self, r, "spawn", err); });
}

// Step 4: the chosen worker installed (the build streams into this job).
void install_step(queen_ptr self, run_ptr r) {
  auto& c = r->choice;
  if (c.installed) {
    step_say(self, r, 4, "install",
             c.worker_id.empty() ? "nothing to install: the CPU engine is part of rbee"
                                 : c.worker_id + " " + c.version + " is installed",
             true);
    return spawn_step(self, r);
  }
  step_say(self, r, 4, "install", "installing " + c.worker_id + " from the catalog (the build follows)", false);
  sub(self, r, "install", worker_install_op{r->op.hive_id, c.worker_id}, [=](job_result&) {
    r->choice.installed = true;
    step_say(self, r, 4, "install", r->choice.worker_id + " installed", false);
    spawn_step(self, r);
  });
}

// Step 3: which worker, and why.
void choose_step(queen_ptr self, run_ptr r) {
  self->request(r->hive, std::chrono::seconds(60), choose_atom::value, r->op.worker)
    .then(
      [=](worker_choice& c) {
        if (gone(self, r)) return;
        r->choice = c;
        std::string name = c.worker_id.empty() ? "the CPU engine built into rbee" : c.worker_id;
        step_say(self, r, 3, "worker", name + " — " + c.why, c.installed); // nothing to do when installed
        install_step(self, r);
      },
      [=](caf::error& err) { step_fail(self, r, "worker", err); });
}

/// A name the downloader can fetch: org/repo[:quant|:file], not a path.
bool downloadable(const std::string& m) {
  return !m.empty() && m[0] != '/' && m[0] != '.' && std::count(m.begin(), m.end(), '/') == 1;
}

// Step 2: the model in the hive's store (downloaded with progress when missing).
void model_step(queen_ptr self, run_ptr r) {
  auto resolved = [=](model_entry& m, bool downloaded) {
    r->model_path = m.path;
    if (!downloaded)
      step_say(self, r, 2, "model", r->op.model + " is in the store (" + std::to_string(m.size >> 20) + " MiB); nothing to download", true);
    choose_step(self, r);
  };
  self->request(r->hive, std::chrono::seconds(10), resolve_atom::value, r->op.model)
    .then(
      [=](model_entry& m) {
        if (!gone(self, r)) resolved(m, false);
      },
      [=](caf::error& err) {
        if (gone(self, r)) return;
        if (code_of(err) != errc::model_not_found || !downloadable(r->op.model)) return step_fail(self, r, "model", err);
        step_say(self, r, 2, "model", r->op.model + " is not in the store; downloading it", false);
        bring_model(self, r->job_id, r->op.hive_id, model_download_op{r->op.hive_id, r->op.model},
                    [=](caf::expected<job_result> got) {
                      if (gone(self, r)) return;
                      if (!got) return step_fail(self, r, "model", got.error());
                      self->request(r->hive, std::chrono::seconds(10), resolve_atom::value, r->op.model)
                        .then(
                          [=](model_entry& m) {
                            if (gone(self, r)) return;
                            step_say(self, r, 2, "model", "fetched " + r->op.model, false);
                            resolved(m, true);
                          },
                          [=](caf::error& e) { step_fail(self, r, "model", e); });
                    });
      });
}

} // namespace

namespace {

/// Step 1 on the hive named in the op.
void on_hive(queen_ptr self, run_ptr r) {
  auto& st = self->state;
  auto e = st.hives.find(r->op.hive_id);
  if (!e || e->info.state != hive_state::online || !e->handle) {
    std::string why = !e ? "no hive '" + r->op.hive_id + "' has joined this queen"
                         : "hive '" + r->op.hive_id + "' is not connected" +
                             (e->info.lost_reason.empty() ? "" : " (" + e->info.lost_reason + ")");
    return fail(self, r->job_id, !e ? errc::hive_not_found : errc::hive_lost, "auto_run step 'hive' failed: " + why);
  }
  r->hive = e->handle;
  st.routed[r->job_id] = r->op.hive_id; // a cancel reaches the hive; losing it fails the job
  const auto& c = e->info.caps;
  step_say(self, r, 1, "hive",
           "hive " + r->op.hive_id + " is up: " + std::to_string(c.cores) + " CPUs, " + std::to_string(c.ram_available >> 30) +
             " GiB free, " + (c.gpus.empty() ? std::string("no GPU") : std::to_string(c.gpus.size()) + " GPU(s)"),
           true);
  model_step(self, r);
}

} // namespace

void start_auto_run(queen_ptr self, const std::string& job_id, auto_run_op op) {
  auto r = std::make_shared<auto_run>();
  r->job_id = job_id;
  r->op = std::move(op);
  if (!r->op.hive_id.empty()) return on_hive(self, r);
  // No hive named: the one this process runs (embedded mode), else placed by
  // where the model is loaded, stored, or there is the most room to fetch it.
  if (auto e = self->state.hives.find(local_hive_id); e && e->info.local) {
    r->op.hive_id = local_hive_id;
    return on_hive(self, r);
  }
  survey_hives(self, r->op.model, [self, r](std::vector<hive_candidate> hives) {
    if (gone(self, r)) return;
    std::string why = "no hive is online";
    auto hive = hives.empty() ? std::nullopt : pick_hive(hives, why, true);
    if (!hive)
      return fail(self, r->job_id, hives.empty() ? errc::hive_lost : errc::unavailable, "auto_run step 'hive' failed: " + why);
    std::vector<idle_worker> evict;
    for (auto& h : hives)
      if (h.hive_id == *hive) {
        say(self, r->job_id, "place", *hive, placement_reason(h, r->op.model));
        if (!h.has_worker && h.has_model) evict = eviction_for(h);
      }
    r->op.hive_id = *hive;
    evict_then(self, r->job_id, *hive, std::move(evict), [self, r] {
      if (!gone(self, r)) on_hive(self, r);
    });
  });
}

} // namespace rbee
