// `rbee catalog serve`: the worker catalog over HTTP — GET /workers,
// /workers/{id}, /workers/{id}/PKGBUILD, /sources/{file}, /health.
#include "actors/install/catalog.hpp"
#include "actors/install/catalog_sign.hpp"
#include "cli/app.hpp"
#include "net/server.hpp"

#include "log/log.hpp"
#include "cli/commands.hpp"
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>

namespace rbee::cli {

namespace {

net::static_reply not_found(std::string what) { return {errc::not_found, std::move(what), ""}; }

} // namespace

/// A catalog directory, loaded again when any of its files changes (made with
/// scripts/make-catalog.sh or copied in while the server runs); null while it is
/// absent or does not load (said once per change in the log).
class live_catalog {
public:
  explicit live_catalog(std::string dir) : dir_(std::move(dir)) {}

  std::shared_ptr<const worker_catalog> get() {
    std::string now = stamp();
    std::lock_guard<std::mutex> lock(m_);
    if (now == stamp_) return current_;
    stamp_ = now;
    current_.reset();
    if (now.empty()) return current_;
    auto c = worker_catalog::load(dir_);
    if (!c)
      logging::get("catalog")->warn("not serving the catalog in {}: {}", dir_, message_of(c.error()));
    else
      current_ = std::make_shared<const worker_catalog>(std::move(*c));
    return current_;
  }

private:
  /// Every file's name, size and time ("" when the catalog is absent).
  std::string stamp() const {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(dir_ + "/workers", ec)) return "";
    std::string out;
    size_t n = 0;
    for (auto it = fs::recursive_directory_iterator(dir_, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator() && ++n < 10000; it.increment(ec)) {
      std::error_code e2;
      auto st = it->symlink_status(e2);
      out += it->path().string() + '|' + std::to_string(static_cast<int>(st.type()));
      if (st.type() == fs::file_type::regular)
        out += '|' + std::to_string(it->file_size(e2)) + '|' +
               std::to_string(it->last_write_time(e2).time_since_epoch().count());
      out += '\n';
    }
    return out;
  }

  std::string dir_;
  std::mutex m_;
  std::string stamp_ = "-";
  std::shared_ptr<const worker_catalog> current_;
};

/// The catalog's routes for the HTTP front (also mounted by `rbee serve`).
net::extra_routes catalog_routes(std::shared_ptr<live_catalog> live) {
  return [live](const std::vector<std::string>& p, const std::string&) -> std::optional<net::static_reply> {
    // Only a catalog path looks at the directory (the others are not the catalog's: 404).
    if (p.empty() || (p[0] != "workers" && p[0] != "sources" && p[0] != "index.json" && p[0] != "index.json.sig"))
      return std::nullopt;
    auto c = live->get();
    if (!c) return std::nullopt;
    if (p[0] == "workers") {
      if (p.size() == 1) return net::static_reply{errc::none, c->list_json()};
      const auto* e = c->find(p[1]);
      if (!e) return not_found("no worker '" + p[1].substr(0, 64) + "' in the catalog");
      if (p.size() == 2) return net::static_reply{errc::none, e->json};
      if (p.size() == 3 && p[2] == "PKGBUILD") return net::static_reply{errc::none, e->pkgbuild_text, "text/plain; charset=utf-8"};
      if (p.size() == 3 && p[2] == "meta.json") return net::static_reply{errc::none, e->meta_text};
      return not_found("no such route");
    }
    if (p.size() == 1 && (p[0] == "index.json" || p[0] == "index.json.sig")) { // the signed index
      std::string path = c->signature_path(p[0]);
      if (path.empty()) return not_found("this catalog is not signed (no " + p[0] + ")");
      return net::static_reply{errc::none, "", p[0] == "index.json" ? "application/json" : "text/plain", path};
    }
    if (p[0] == "sources") {
      std::string path = p.size() == 2 ? c->source_path(p[1]) : "";
      if (path.empty()) return not_found("no such source");
      // Streamed from disk as it is sent: a large tarball never sits in memory.
      return net::static_reply{errc::none, "", "application/octet-stream", path};
    }
    return std::nullopt;
  };
}

net::extra_routes embedded_catalog(const config::settings& s) {
  return catalog_routes(std::make_shared<live_catalog>(s.data_dir + "/catalog"));
}

int cmd_catalog_keygen(const std::string& out) {
  std::string path = out.empty() ? default_catalog_key_path() : out;
  auto pub = catalog_keygen(path);
  if (!pub) {
    std::fprintf(stderr, "rbee: %s\n", message_of(pub.error()).c_str());
    return failure;
  }
  std::printf("signing key: %s (keep it private)\ncatalog_key: %s\n", path.c_str(), pub->c_str());
  std::printf("hives trust catalogs signed with it when their config says \"catalog_key\": \"%s\"\n", pub->c_str());
  return ok;
}

int cmd_catalog_sign(const std::string& dir, const std::string& key) {
  std::string path = key.empty() ? default_catalog_key_path() : key;
  std::error_code ec;
  if (key.empty() && !std::filesystem::exists(path, ec)) { // the user's own key, made on first use
    auto pub = catalog_keygen(path);
    if (!pub) {
      std::fprintf(stderr, "rbee: %s\n", message_of(pub.error()).c_str());
      return failure;
    }
    std::fprintf(stderr, "rbee: made a signing key at %s (catalog_key %s)\n", path.c_str(), pub->c_str());
  }
  if (auto c = worker_catalog::load(dir); !c) { // never sign what a hive would refuse
    std::fprintf(stderr, "rbee: %s\n", message_of(c.error()).c_str());
    return failure;
  }
  auto n = sign_catalog(dir, path);
  auto pub = catalog_public_key(path);
  if (!n || !pub) {
    std::fprintf(stderr, "rbee: %s\n", message_of(n ? pub.error() : n.error()).c_str());
    return failure;
  }
  std::printf("signed %zu files in %s/index.json; catalog_key: %s\n", *n, dir.c_str(), pub->c_str());
  return ok;
}

int run_catalog(config::settings s, const std::string& dir_flag) {
  block_stop_signals();
  auto log = logging::get("catalog");
  std::string dir = dir_flag.empty() ? s.data_dir + "/catalog" : dir_flag;
  if (auto c = worker_catalog::load(dir); !c) { // refused at start; later changes are picked up
    log->error("{}", message_of(c.error()));
    return usage;
  }
  auto live = std::make_shared<live_catalog>(dir);
  auto cat = live->get();
  net::backend be;
  be.version = version;
  be.extra = catalog_routes(live);
  net::http_server srv(s, be);
  int rc = ok;
  try {
    uint16_t port = srv.start(s.bind, s.catalog_port);
    bool v6 = s.bind.find(':') != std::string::npos;
    std::printf(v6 ? "listening on http://[%s]:%u\n" : "listening on http://%s:%u\n", s.bind.c_str(), port);
    std::fflush(stdout);
    log->info("catalog: {} workers from {}", cat ? cat->entries().size() : 0, dir);
    wait_for_stop();
  } catch (const std::exception& e) {
    log->error("{}", e.what());
    rc = failure;
  }
  srv.stop();
  return rc;
}

namespace {

struct catalog_flags {
  std::string dir, key;
};

const bool registered = register_command({20, [](CLI::App& app, common_flags& f, command_runs& runs) {
  auto a = std::make_shared<catalog_flags>();
  auto* catalog = app.add_subcommand("catalog", "the worker catalog");
  catalog->require_subcommand(1);
  auto* serve = catalog->add_subcommand("serve", "serve worker recipes and sources over HTTP");
  serve->add_option("--port", f.port, "HTTP port (default 8787; 0 picks a free one)");
  serve->add_option("--bind", f.bind, "address to bind (default 127.0.0.1; others need api_token)");
  serve->add_option("--dir", a->dir, "the catalog directory (default: <data dir>/catalog; scripts/make-catalog.sh makes one)");
  auto* keygen = catalog->add_subcommand("keygen", "make an Ed25519 signing key for catalogs; prints its public key (catalog_key)");
  keygen->add_option("--out", a->key, "where the private key goes (default: <config dir>/catalog-key.pem)");
  auto* sign = catalog->add_subcommand(
    "sign", "sign a catalog: index.json (every PKGBUILD, meta.json and source with its sha256) and index.json.sig");
  sign->add_option("--dir", a->dir, "the catalog directory")->required();
  sign->add_option("--key", a->key, "the private key (default: <config dir>/catalog-key.pem, made when missing)");
  runs.emplace_back(serve, [a](command_context& ctx) {
    auto s = ctx.settings("catalog");
    return s ? run_catalog(std::move(*s), a->dir) : static_cast<int>(usage);
  });
  runs.emplace_back(keygen, [a](command_context&) { return cmd_catalog_keygen(a->key); });
  runs.emplace_back(sign, [a](command_context&) { return cmd_catalog_sign(a->dir, a->key); });
}});

} // namespace

} // namespace rbee::cli
