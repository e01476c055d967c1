// The hive's worker installs: worker_install (one install per worker at a
// time, run by an installer actor), worker_remove, worker_list_installed,
// and the catalog queries, answered from the configured catalog.
#include "actors/blocking.hpp"
#include "actors/install/catalog.hpp"
#include "actors/hive/state.hpp"
#include "log/log.hpp"
#include "messages/json.hpp"
#include "actors/install/installer.hpp"
#include "actors/install/worker_choice.hpp"
#include "actors/hive/worker_store.hpp"
#include "json/parse.hpp"
#include "json/writer.hpp"

#include <rapidjson/document.h>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include <spdlog/logger.h>

#include <filesystem>

namespace rbee {

namespace {

/// Runs `work` — blocking HTTP to the catalog, which may take as long as its
/// timeouts — on a thread of its own, so that the hive keeps answering (its
/// heartbeats above all) meanwhile; the answer is `work`'s result.
template <class T>
caf::result<T> off_thread(hive_ptr self, std::function<caf::expected<T>()> work) {
  auto helper = spawn_blocking<T>(self->system(), [work](caf::event_based_actor*) { return work(); });
  auto rp = self->make_response_promise<T>();
  self->request(helper, std::chrono::seconds(300), run_atom::value)
    .then([=](T& r) mutable { rp.deliver(std::move(r)); }, [=](caf::error& e) mutable { rp.deliver(std::move(e)); });
  return rp;
}

caf::result<job_result> from_catalog(hive_ptr self, const std::string& path) {
  std::string url = catalog_url_now(self->state.opts);
  return off_thread<job_result>(self, [url, path]() -> caf::expected<job_result> {
    auto body = catalog_get(url, path);
    if (!body) return std::move(body.error());
    auto answer = json::read_catalog_answer(*body);
    if (!answer) return std::move(answer.error());
    return job_result{std::move(*answer)};
  });
}

} // namespace

/// Ends the record of an install; the jobs that joined it, to answer.
static std::vector<caf::typed_response_promise<job_result>> take_joined(hive_ptr self, const std::string& id) {
  std::vector<caf::typed_response_promise<job_result>> out;
  if (auto it = self->state.installs.find(id); it != self->state.installs.end()) {
    out = std::move(it->second.joined);
    self->state.installs.erase(it);
  }
  return out;
}

caf::result<job_result> hive_install(hive_ptr self, const job_ctx& ctx, const worker_install_op& op) {
  auto& st = self->state;
  if (!valid_worker_id(op.worker_id)) return make_error(errc::invalid_value, "invalid worker id '" + op.worker_id.substr(0, 64) + "'");
  if (auto it = st.installs.find(op.worker_id); it != st.installs.end()) { // join it, as downloads do
    hive_say(self, ctx, "install", op.worker_id + " is being installed by job " + it->second.job_id +
                                     "; this job follows it (the build streams there)");
    auto rp = self->make_response_promise<job_result>();
    it->second.joined.push_back(rp);
    return rp;
  }
  install_options o;
  o.catalog_url = catalog_url_now(st.opts);
  o.catalog_key = st.opts.catalog_key;
  o.allow_unsigned_catalog = st.opts.allow_unsigned_catalog;
  o.data_dir = st.opts.data_dir;
  o.cache_dir = st.opts.cache_dir;
  o.hide = st.opts.hidden_dirs;
  o.sandbox = st.opts.install_sandbox;
  o.keep_failed_tree = st.opts.keep_failed_builds;
  o.cuda_gpu = !st.caps.gpus.empty();
  o.without_gpu = op.without_gpu;
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  st.installs[op.worker_id] = {ctx.job_id, cancel, {}};
  std::erase_if(*st.stop_flags, [](const auto& w) { return w.expired(); });
  st.stop_flags->push_back(cancel);
  auto installer = spawn_installer(self->system(), ctx, op.worker_id, o, cancel);
  auto rp = self->make_response_promise<job_result>();
  std::string id = op.worker_id, job = ctx.job_id;
  self->request(installer, std::chrono::seconds(7 * 24 * 3600), run_atom::value)
    .then(
      [=](job_result& r) mutable {
        logging::get("installer")->info("job={} installed {}", job, id);
        for (auto& j : take_joined(self, id)) j.deliver(r);
        rp.deliver(std::move(r));
      },
      [=](caf::error& e) mutable {
        logging::get("installer")->warn("job={} install of {} failed: {}", job, id, message_of(e));
        for (auto& j : take_joined(self, id)) j.deliver(e);
        rp.deliver(std::move(e));
      });
  return rp;
}

bool hive_cancel_install(hive_ptr self, const std::string& job_id) {
  for (auto& [id, in] : self->state.installs)
    if (in.job_id == job_id) {
      *in.cancel = true;
      return true;
    }
  return false;
}

caf::result<job_result> hive_catalog_list(hive_ptr self) { return from_catalog(self, "/workers"); }

caf::result<job_result> hive_catalog_get(hive_ptr self, const worker_catalog_get_op& x) {
  if (!valid_worker_id(x.worker_id)) return make_error(errc::invalid_value, "invalid worker id");
  return from_catalog(self, "/workers/" + x.worker_id);
}

caf::result<job_result> hive_installed_list(hive_ptr self) {
  return job_result{worker_store(self->state.opts.data_dir).list()};
}

caf::result<job_result> hive_worker_remove(hive_ptr self, const job_ctx& ctx, const worker_remove_op& x) {
  auto& st = self->state;
  if (st.installs.count(x.worker_id))
    return make_error(errc::conflict, x.worker_id + " is being installed; cancel that job first");
  auto r = worker_store(st.opts.data_dir).remove(x.worker_id);
  if (!r) return std::move(r.error());
  hive_say(self, ctx, "remove", "removed " + x.worker_id);
  return job_result{action_result{"removed", x.worker_id}};
}

caf::result<worker_choice> hive_choose(hive_ptr self, const std::string& requested) {
  auto& st = self->state;
  capabilities caps = st.caps;
  std::string data_dir = st.opts.data_dir, url = catalog_url_now(st.opts);
  return off_thread<worker_choice>(self, [=]() { return choose_on(caps, data_dir, url, requested); });
}

std::string catalog_url_now(const hive_options& o) {
  std::error_code ec;
  if (o.local_catalog_url && !o.local_catalog_url->empty() && std::filesystem::is_directory(o.data_dir + "/catalog/workers", ec))
    return *o.local_catalog_url;
  return o.catalog_url;
}

caf::expected<worker_choice> choose_on(const capabilities& caps, const std::string& data_dir, const std::string& catalog_url,
                                       const std::string& requested) {
  choice_inputs in;
  in.host = this_platform(!caps.gpus.empty());
  if (caps.gpus.empty()) {
    in.gpu_summary = caps.cuda_note.empty() ? "no GPU found" : caps.cuda_note;
  } else {
    in.gpu_summary = std::to_string(caps.gpus.size()) + " GPU(s) (" + caps.gpus[0].name + ")";
  }
  in.installed = worker_store(data_dir).list();
  if (auto body = catalog_get(catalog_url, "/workers"); !body) {
    in.catalog_error = message_of(body.error());
  } else {
    rapidjson::Document d;
    rbee::json::parse(d, *body);
    if (d.HasParseError() || !d.IsArray()) {
      in.catalog_error = "the catalog's /workers is not a JSON array";
    } else {
      for (auto& v : d.GetArray()) {
        rapidjson::StringBuffer buf;
        rbee::json::writer w(buf);
        v.Accept(w);
        if (auto e = parse_catalog_entry(buf.GetString())) in.catalog.push_back(std::move(*e)); // a bad entry is skipped
      }
    }
  }
  return choose_worker(in, requested);
}

} // namespace rbee
