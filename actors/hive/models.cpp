// The hive's model store operations: download (one download per model at a
// time; a second request joins the running one) and delete.
#include "actors/download/downloader.hpp"
#include "actors/hive/state.hpp"
#include "kernels/gguf.hpp"
#include "log/log.hpp"

#include <caf/actor_system.hpp>

#include <filesystem>

#include <spdlog/logger.h>

namespace rbee {

namespace fs = std::filesystem;

caf::result<job_result> hive_download(hive_ptr self, const job_ctx& ctx, const model_download_op& op) {
  auto& st = self->state;
  auto rp = self->make_response_promise<job_result>();
  auto it = st.downloads.find(op.model);
  if (it != st.downloads.end()) { // already downloading: this job ends with that one
    hive_say(self, ctx, "join", op.model + " is being downloaded by job " + it->second.jobs.front().first.job_id +
                                  "; waiting for it");
    it->second.jobs.emplace_back(ctx, rp); // from now on it sees the progress too
    return rp;
  }
  auto& d = st.downloads[op.model];
  d.cancel = std::make_shared<std::atomic<bool>>(false);
  std::erase_if(*st.stop_flags, [](const auto& w) { return w.expired(); });
  st.stop_flags->push_back(d.cancel);
  d.jobs.emplace_back(ctx, rp);
  download_options o{st.opts.models_dir, st.opts.hf_endpoint, st.opts.hf_token, st.opts.allow_unverified_downloads};
  auto worker = spawn_downloader(self->system(), caf::actor_cast<hive_actor>(self), op.model, o, d.cancel);
  std::string model = op.model;
  auto finish = [=](caf::expected<job_result> r) {
    auto& s = self->state;
    auto i = s.downloads.find(model);
    if (i == s.downloads.end()) return;
    // Hugging Face out of reach, the model already here: that is a pull that has
    // nothing to do (offline use), said so, not a failure.
    if (!r && code_of(r.error()) == errc::unavailable)
      if (auto have = s.store->resolve(model, false)) {
        for (auto& [job, p] : i->second.jobs)
          hive_say(self, job, "present",
                   model + " is already in this hive's store (" + *have + "); Hugging Face is not reachable (" +
                     message_of(r.error()) + "), so it was not checked for a newer file");
        r = job_result{download_result{model, {*have}, 0}};
      }
    if (r)
      logging::get("downloader")->info("job={} downloaded {}", i->second.jobs.front().first.job_id, model);
    else
      logging::get("downloader")->warn("job={} download of {} failed: {}", i->second.jobs.front().first.job_id, model,
                                       message_of(r.error()));
    for (auto& [job, p] : i->second.jobs) {
      if (r)
        p.deliver(*r);
      else
        p.deliver(r.error());
    }
    s.downloads.erase(i);
  };
  self->request(worker, std::chrono::seconds(7 * 24 * 3600), run_atom::value)
    .then([=](job_result& r) { finish(std::move(r)); }, [=](caf::error& e) { finish(std::move(e)); });
  return rp;
}

void hive_relay_download(hive_ptr self, const std::string& model, narration n) {
  auto it = self->state.downloads.find(model);
  if (it == self->state.downloads.end()) return;
  for (auto& [ctx, p] : it->second.jobs) {
    n.job_id = ctx.job_id;
    if (ctx.bridge) self->send(ctx.bridge, n);
  }
}

bool hive_cancel_download(hive_ptr self, const std::string& job_id) {
  for (auto& [model, d] : self->state.downloads)
    for (auto& [ctx, p] : d.jobs)
      if (ctx.job_id == job_id) {
        if (d.jobs.size() == 1) *d.cancel = true; // the last one waiting: stop the transfer
        return true;
      }
  return false;
}

caf::result<job_result> hive_model_delete(hive_ptr self, const job_ctx& ctx, const model_delete_op& op) {
  auto& st = self->state;
  auto path = st.store->resolve(op.model, false); // only names from the store, never paths
  if (!path) return std::move(path.error());
  for (auto& [id, w] : st.workers)
    if (w.info.model_path == *path)
      return make_error(errc::conflict, "'" + op.model + "' is loaded by " + id + "; stop it first (rbee stop)");
  std::error_code ec;
  std::vector<std::string> files = {*path}; // a split model: each of its parts
  if (auto part = kernels::parse_split_name(*path); part && part->count > 1)
    for (int i = 2; i <= part->count; ++i) files.push_back(kernels::split_path(part->prefix, i, part->count));
  for (auto& file : files) {
    fs::remove(file, ec);
    if (ec) return make_error(errc::internal, "cannot delete " + file + ": " + ec.message());
    fs::remove(file + ".incomplete", ec);
  }
  fs::path repo = fs::path(*path).parent_path(), org = repo.parent_path();
  if (fs::is_empty(repo, ec)) fs::remove(repo, ec);
  if (fs::is_empty(org, ec)) fs::remove(org, ec);
  hive_say(self, ctx, "delete", "deleted " + *path);
  return job_result{action_result{"deleted", fs::path(*path).filename().string()}};
}

} // namespace rbee
