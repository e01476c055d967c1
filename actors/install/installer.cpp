#include "actors/install/installer.hpp"

#include "actors/blocking.hpp"
#include "actors/install/catalog.hpp"
#include "actors/install/catalog_sign.hpp"
#include "actors/install/deps_check.hpp"
#include "io/fetch.hpp"
#include "actors/install/steps.hpp"
#include "io/sandbox.hpp"
#include "actors/install/sources.hpp"
#include "actors/hive/worker_store.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

#include <filesystem>
#include <optional>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <random>
#include <thread>

namespace fs = std::filesystem;

namespace rbee {

namespace {

struct installer_run {
  caf::event_based_actor* self;
  job_ctx ctx;
  std::string id;
  const install_options& o;
  const std::atomic<bool>& cancel;

  void say(std::string action, std::string human, event_kind kind = event_kind::narration, std::string actor = "installer") {
    if (!ctx.bridge) return;
    auto n = narrate(ctx.job_id, std::move(actor), std::move(action), id, std::move(human));
    n.kind = kind;
    self->send(ctx.bridge, std::move(n));
  }

  caf::expected<void> run_function(const pkgbuild& p, const std::string& fn, const std::string& tree) {
    say(fn, "running " + fn + "()" + (o.sandbox ? " in the sandbox" : " WITHOUT a sandbox (--no-sandbox)"));
    sandbox_options so;
    so.tree = tree;
    so.sandbox = o.sandbox;
    so.hide = o.hide;
    int jobs = o.jobs > 0 ? o.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    so.env = {{"srcdir", tree + "/src"}, {"pkgdir", tree + "/pkg"}, {"startdir", tree}, {"pkgname", p.get("pkgname")},
              {"pkgver", p.get("pkgver")}, {"pkgrel", p.get("pkgrel")}, {"MAKEFLAGS", "-j" + std::to_string(jobs)},
              {"CMAKE_BUILD_PARALLEL_LEVEL", std::to_string(jobs)}};
    // The worker's compiler cache, moved into the tree for the build (see install()); paths under
    // the (fresh, randomly named) tree hash as relative ones.
    so.env.insert(so.env.end(), {{"CCACHE_DIR", tree + "/.ccache"}, {"CCACHE_BASEDIR", tree}, {"CCACHE_NOHASHDIR", "1"}});
    auto r = run_script(recipe_script(p, fn), so,
                        [&](std::string_view line, bool) {
                          if (auto n = parse_narration_line(line))
                            say(n->action, n->message, event_kind::narration, n->actor);
                          else
                            say(fn, std::string(line), event_kind::build_output);
                        },
                        cancel);
    if (!r) return make_error(r.error());
    if (r->cancelled) return make_error(errc::cancelled, fn + "() was cancelled");
    if (r->exit_code != 0) {
      std::string tail;
      for (auto& l : r->tail) tail += "\n  " + l;
      return make_error(errc::build_failed, fn + "() failed with exit status " + std::to_string(r->exit_code) + "; last lines:" + tail);
    }
    return caf::unit;
  }

  /// The catalog's signed index, verified with the pinned key; nullopt when an
  /// unverified catalog is allowed (--allow-unsigned-catalog, and said so).
  caf::expected<std::optional<catalog_index>> signed_index() {
    std::string why;
    auto index = catalog_get(o.catalog_url, "/index.json");
    if (!index && index.error() != errc::not_found) return index.error(); // unreachable, or not a catalog
    auto sig = index ? catalog_get(o.catalog_url, "/index.json.sig") : caf::expected<std::string>(std::string());
    if (!sig && sig.error() != errc::not_found) return sig.error();
    if (!index || !sig) {
      why = "it is not signed";
    } else if (o.catalog_key.empty()) {
      why = "no catalog_key is set";
    } else if (auto v = verify_catalog_index(*index, *sig, o.catalog_key); v) {
      say("catalog", "signature verified (catalog_key " + o.catalog_key.substr(0, 12) + "...)");
      return std::optional<catalog_index>(std::move(*v));
    } else {
      why = message_of(v.error());
    }
    if (!o.allow_unsigned_catalog)
      return make_error(errc::checksum_mismatch, "the worker catalog at " + o.catalog_url + " cannot be trusted: " + why +
                                                   " (pin its key as catalog_key; --allow-unsigned-catalog builds anyway, "
                                                   "for development)");
    say("catalog", "UNVERIFIED catalog accepted (--allow-unsigned-catalog): " + why);
    return std::optional<catalog_index>{};
  }

  caf::expected<installed_worker> run(const std::string& tree) {
    say("catalog", "fetching " + id + " from " + o.catalog_url);
    auto index = signed_index();
    if (!index) return index.error();
    auto meta = catalog_get(o.catalog_url, "/workers/" + id + "/meta.json");
    if (!meta) {
      if (meta.error() == errc::not_found) return make_error(errc::not_found, "no worker '" + id + "' in the catalog at " + o.catalog_url);
      return meta.error();
    }
    auto text = catalog_get(o.catalog_url, "/workers/" + id + "/PKGBUILD");
    if (!text) return text.error();
    if (*index) // the recipe and its metadata are the files the catalog's owner signed
      for (auto [path, body] : {std::pair{"workers/" + id + "/meta.json", &*meta}, {"workers/" + id + "/PKGBUILD", &*text}})
        if (auto ok = check_in_index(**index, path, *body); !ok) return ok.error();
    auto entry = make_catalog_entry(id, *meta, *text);
    if (!entry) return entry.error();
    auto host = this_platform(o.cuda_gpu);
    host.without_gpu = o.without_gpu;
    if (auto err = check_platform(*entry, host)) return err;
    if (entry->backend == "cuda" && !host.cuda_gpu)
      say("platform", host.os + " " + host.arch + " with the CUDA toolkit: builds here, but this hive has no GPU to run it");
    else
      say("platform", host.os + " " + host.arch + (entry->backend == "cuda" ? " with CUDA" : "") + ": compatible");
    auto* recipe = &entry->recipe;
    if (!recipe->functions.count("package")) return make_error(errc::bad_request, "the PKGBUILD has no package() function");
    std::string version = recipe->get("pkgver") + "-" + recipe->get("pkgrel");
    say("recipe", "parsed PKGBUILD: " + id + " " + version + ", " + std::to_string(recipe->list("source").size()) + " source(s)");
    auto deps = recipe->list("depends");
    for (auto& d : recipe->list("makedepends")) deps.push_back(d);
    auto report = check_dependencies(deps);
    if (!report) return report.error();
    if (!report->missing.empty()) return make_error(errc::platform_unsupported, report->message());
    say("deps", std::to_string(deps.size()) + " dependencies present");
    auto plan = plan_sources(*recipe, o.catalog_url);
    if (!plan) return plan.error();
    auto fetched = fetch_sources(*plan, tree, [&](const std::string& n, const std::string& l) { say("source", n + ": " + l); }, cancel);
    if (!fetched) return fetched.error();
    if (recipe->functions.count("build"))
      if (auto r = run_function(*recipe, "build", tree); !r) return r.error();
    if (auto r = run_function(*recipe, "package", tree); !r) return r.error();
    std::string built = tree + "/pkg/usr/bin/" + entry->binary;
    worker_store store(o.data_dir);
    auto w = store.install(id, version, entry->backend, built);
    if (!w) return w.error();
    say("install", "installed " + id + " " + version + " at " + w->path);
    return std::move(*w);
  }
};

caf::expected<installed_worker> install(caf::event_based_actor* self, const job_ctx& ctx, const std::string& id,
                                   const install_options& o, const std::atomic<bool>& cancel) {
  if (!valid_worker_id(id)) return make_error(errc::invalid_value, "invalid worker id '" + id.substr(0, 64) + "'");
  std::random_device rd;
  std::string tree = o.cache_dir + "/build/" + id + "-" + std::to_string(rd() % 1000000000u);
  std::error_code ec;
  fs::create_directories(tree, ec);
  if (ec) return make_error(errc::internal, "cannot create the build tree " + tree + ": " + ec.message());
  // Held while the install runs: remove_stale_build_trees() leaves locked trees alone.
  int lock = ::open((tree + "/.lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (lock >= 0) ::flock(lock, LOCK_EX);
  struct unlock {
    int fd;
    ~unlock() {
      if (fd >= 0) ::close(fd);
    }
  } unlock_at_end{lock};
  // A compiler cache per worker id lives in <cache>/ccache/<id> and is moved (a rename: the same
  // file system) into the tree for the build and back after it, so that the build tree stays the
  // only writable place and a recipe can only ever touch its own worker's cache.
  std::string cache = o.cache_dir + "/ccache/" + id, inside = tree + "/.ccache";
  fs::rename(cache, inside, ec);
  if (ec) fs::create_directories(inside, ec);
  installer_run r{self, ctx, id, o, cancel};
  auto result = r.run(tree);
  fs::create_directories(o.cache_dir + "/ccache", ec);
  fs::remove_all(cache, ec);
  fs::rename(inside, cache, ec);
  if (!result && o.keep_failed_tree) {
    r.say("cleanup", "kept the build tree for debugging: " + tree);
  } else {
    fs::remove_all(tree, ec);
    r.say("cleanup", ec ? "could not remove " + tree + ": " + ec.message() : "removed the build tree");
  }
  return result;
}

} // namespace

size_t remove_stale_build_trees(const std::string& cache_dir) {
  size_t removed = 0;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(cache_dir + "/build", ec)) {
    int fd = ::open((e.path() / ".lock").c_str(), O_RDWR | O_CLOEXEC);
    bool free = fd < 0 || ::flock(fd, LOCK_EX | LOCK_NB) == 0; // no lock file: never started
    if (fd >= 0) ::close(fd);
    if (free && fs::remove_all(e.path(), ec) > 0) ++removed;
  }
  return removed;
}

caf::actor spawn_installer(caf::actor_system& sys, job_ctx ctx, std::string worker_id, install_options opts,
                           std::shared_ptr<std::atomic<bool>> cancel) {
  return spawn_blocking<job_result>(sys, [=](caf::event_based_actor* self) -> caf::expected<job_result> {
    auto r = install(self, ctx, worker_id, opts, *cancel);
    if (!r) return std::move(r.error());
    return job_result{std::move(*r)};
  });
}

} // namespace rbee
