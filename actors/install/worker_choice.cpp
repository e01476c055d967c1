#include "actors/install/worker_choice.hpp"

#include "messages/errc.hpp"

#include <algorithm>

namespace rbee {

namespace {

const installed_worker* find_installed(const choice_inputs& in, const std::string& id) {
  for (auto& w : in.installed)
    if (w.id == id) return &w;
  return nullptr;
}

const catalog_entry* find_entry(const choice_inputs& in, const std::string& id) {
  for (auto& e : in.catalog)
    if (e.id == id) return &e;
  return nullptr;
}

worker_choice chosen(const choice_inputs& in, const std::string& id, const std::string& backend, std::string why) {
  worker_choice c{id, backend, "", false, std::move(why)};
  if (auto* w = find_installed(in, id)) {
    c.installed = true;
    c.version = w->version;
  }
  return c;
}

worker_choice builtin(std::string why) {
  return worker_choice{"", "cpu", "", true, std::move(why)};
}

/// The first worker of `backend` that is installed, else (`installable`) one the
/// catalog offers that passes the platform check; `refused` collects why catalog
/// entries do not fit. rbee's own worker of each backend (rbee-worker-<backend>)
/// comes before others.
const std::string* pick(const choice_inputs& in, const std::string& backend, std::string& refused, bool installable = true) {
  std::string own = "rbee-worker-" + backend;
  for (bool first_pass : {true, false})
    for (auto& w : in.installed)
      if (w.backend == backend && (w.id == own) == first_pass) return &w.id;
  if (!installable) return nullptr;
  for (bool first_pass : {true, false})
    for (auto& e : in.catalog) {
      if (e.backend != backend || (e.id == own) != first_pass) continue;
      if (auto err = check_platform(e, in.host)) {
        refused += (refused.empty() ? "" : "; ") + message_of(err);
        continue;
      }
      return &e.id;
    }
  return nullptr;
}

} // namespace

caf::expected<worker_choice> choose_worker(const choice_inputs& in, const std::string& requested) {
  std::string id = requested;
  if (id == "cpu" || id == "cuda" || id == "metal") id = "rbee-worker-" + id;
  if (!id.empty()) {
    if (!valid_worker_id(id)) return make_error(errc::invalid_value, "worker: '" + requested.substr(0, 64) + "' is not a worker id");
    if (auto* w = find_installed(in, id)) return chosen(in, id, w->backend, id + " was asked for and is installed");
    if (auto* e = find_entry(in, id)) {
      if (auto err = check_platform(*e, in.host)) return err;
      return chosen(in, id, e->backend, id + " was asked for; the catalog offers it for this platform");
    }
    if (id == "rbee-worker-cpu" && !in.catalog_error.empty())
      return builtin("cpu was asked for; the catalog cannot be read (" + in.catalog_error +
                     "), so the CPU engine built into rbee serves");
    if (!in.catalog_error.empty())
      return make_error(errc::unavailable, id + " is not installed and the catalog cannot be read: " + in.catalog_error);
    return make_error(errc::not_found, "no worker '" + id + "' is installed or in the catalog");
  }
  std::string refused;
  if (in.host.cuda_gpu) {
    if (auto* cuda = pick(in, "cuda", refused))
      return chosen(in, *cuda, "cuda", in.gpu_summary + ": " + *cuda + " (CUDA beats Metal and CPU)");
  }
  if (in.host.os == "macos")
    if (auto* metal = pick(in, "metal", refused)) return chosen(in, *metal, "metal", "Apple GPU: " + *metal);
  std::string gpu_why = in.host.cuda_gpu ? in.gpu_summary + " but no CUDA worker fits (" + refused + ")"
                                         : "no usable GPU (" + in.gpu_summary + ")";
  // The CPU: an installed CPU worker, else the engine built into rbee. It is the
  // engine rbee-worker-cpu compiles, so building that (minutes) would buy nothing
  // but a separate process: that is for who asks (rbee install rbee-worker-cpu).
  if (auto* cpu = pick(in, "cpu", refused, false)) return chosen(in, *cpu, "cpu", gpu_why + ": " + *cpu + " is installed");
  std::string note = in.catalog_error.empty() ? "" : " (the catalog cannot be read: " + in.catalog_error + ")";
  return builtin(gpu_why + ": the CPU engine built into rbee serves" + note);
}

} // namespace rbee
