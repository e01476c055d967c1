// `rbee cluster init|add-hive|hives|remove-hive` (on the queen's machine) and
// `rbee hive join|csr` (on a hive's): the cluster's credentials.
#include "cli/app.hpp"
#include "cli/commands.hpp"
#include "cluster/hive_files.hpp"
#include "cluster/pki.hpp"
#include "cluster/queen_pki.hpp"
#include "messages/json.hpp"
#include "messages/narration.hpp"

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

namespace rbee::cli {

namespace {

struct cluster_flags {
  std::string name, address, csr, token;
  double ttl_hours = 24;
};

/// The text of `path`, or of standard input for "-", at most `limit` bytes.
std::optional<std::string> read_input(const std::string& path, size_t limit) {
  std::string s;
  if (path == "-") {
    s.assign(std::istreambuf_iterator<char>(std::cin), {});
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    s.assign(std::istreambuf_iterator<char>(in), {});
  }
  if (s.size() > limit) return std::nullopt;
  return s;
}

int error(const rbee::failure& f) {
  std::cerr << "rbee: " << f.message << "\n";
  return f.code == errc::invalid_value || f.code == errc::not_found || f.code == errc::unauthorized
           ? static_cast<int>(usage)
           : static_cast<int>(exit_code::failure);
}

int init(const config::settings& s) {
  auto files = cluster::queen_paths(s.state_dir);
  auto made = cluster::init_queen(files);
  if (!made) return error(made.error());
  std::ifstream in(files.queen_ca);
  std::string ca((std::istreambuf_iterator<char>(in)), {});
  auto pin = cluster::cert_pin(ca);
  std::cout << (*made ? "created" : "already there:") << " the cluster's certificates in " << files.dir << "\n"
            << "queen CA pin (SHA-256): " << (pin ? *pin : "?") << "\n";
  return ok;
}

int add_hive(const config::settings& s, const cluster_flags& a) {
  if (!json::valid_id(a.name)) {
    std::cerr << "rbee: a hive name must be 1-64 characters of [A-Za-z0-9._-]\n";
    return usage;
  }
  if (!(a.ttl_hours > 0 && a.ttl_hours <= 24 * 365)) {
    std::cerr << "rbee: --ttl must be between 0 and 8760 hours\n";
    return usage;
  }
  auto files = cluster::queen_paths(s.state_dir);
  if (auto made = cluster::init_queen(files); !made) return error(made.error());
  std::string csr;
  if (!a.csr.empty()) {
    auto text = read_input(a.csr, cluster::max_pem_bytes);
    if (!text) {
      std::cerr << "rbee: cannot read the certificate request " << a.csr << " (or it is over 16 KiB)\n";
      return usage;
    }
    csr = *text;
  }
  auto t = cluster::add_hive(files, a.name, !a.address.empty() ? a.address
                             : !cluster_address(s, s.queen_cluster_port).empty()
                               ? cluster_address(s, s.queen_cluster_port)
                               : "127.0.0.1:" + std::to_string(s.queen_cluster_port), csr,
                             static_cast<int64_t>(a.ttl_hours * 3600 * 1000), now_ms());
  if (!t) return error(t.error());
  std::cerr << "hive '" << a.name << "' added; on its machine run `rbee hive join TOKEN`, then `rbee hive`.\n"
            << "The token is a secret (it lets a machine join as '" << a.name << "'); its first join must be within "
            << a.ttl_hours << " h.\n";
  std::cout << cluster::encode(*t) << "\n";
  return ok;
}

int list(const config::settings& s) {
  auto hives = cluster::list_hives(cluster::queen_paths(s.state_dir));
  if (!hives) return error(hives.error());
  for (auto& h : *hives)
    std::cout << h.hive_id << "\t" << (h.joined_ms ? "joined" : now_ms() > h.expires_ms ? "token expired" : "waiting")
              << "\n";
  return ok;
}

int remove(const config::settings& s, const cluster_flags& a) {
  auto r = cluster::remove_hive(cluster::queen_paths(s.state_dir), a.name);
  if (!r) return error(r.error());
  std::cout << "hive '" << a.name << "' removed: its secret no longer joins (a running hive stays until it reconnects)\n";
  return ok;
}

int join(const config::settings& s, const cluster_flags& a) {
  std::string text = a.token;
  if (text == "-") {
    auto in = read_input("-", cluster::max_token_chars + 16);
    if (!in) {
      std::cerr << "rbee: the token on standard input is too long\n";
      return usage;
    }
    text = *in;
  }
  auto t = cluster::decode(text);
  if (!t) return error(t.error());
  if (now_ms() > t->expires_ms) {
    std::cerr << "rbee: this join token expired; ask for a new one (rbee cluster add-hive " << t->hive_id << ")\n";
    return usage;
  }
  auto files = cluster::hive_paths(s.state_dir);
  if (auto r = cluster::accept_token(files, *t); !r) return error(r.error());
  std::cout << "this machine is hive '" << t->hive_id << "' of the queen at " << t->queen << " (queen CA pin "
            << t->ca_pin.substr(0, 16) << "…); start it with `rbee hive`\n";
  return ok;
}

int csr(const config::settings& s, const cluster_flags& a) {
  if (!json::valid_id(a.name)) {
    std::cerr << "rbee: --id must be 1-64 characters of [A-Za-z0-9._-]\n";
    return usage;
  }
  auto r = cluster::hive_csr(cluster::hive_paths(s.state_dir), a.name);
  if (!r) return error(r.error());
  std::cout << *r;
  return ok;
}

command_run with(std::shared_ptr<cluster_flags> a, int (*f)(const config::settings&, const cluster_flags&)) {
  return with_client_settings([a, f](const config::settings& s) { return f(s, *a); });
}

const bool registered_cluster = register_command({35, [](CLI::App& app, common_flags&, command_runs& runs) {
  auto a = std::make_shared<cluster_flags>();
  auto* cluster = app.add_subcommand("cluster", "the cluster's certificates and hives (on the queen's machine)");
  cluster->require_subcommand(1);
  auto* init_cmd = cluster->add_subcommand("init", "create the cluster's CAs and the queen's certificate");
  auto* add = cluster->add_subcommand("add-hive", "issue a hive: prints its one-time join token");
  add->add_option("name", a->name, "the hive's id")->required();
  add->add_option("--address", a->address, "HOST:PORT where the hive reaches the queen's cluster port");
  add->add_option("--csr", a->csr, "the hive's certificate request (`rbee hive csr` on it; - for stdin); "
                                   "without it the hive's key is made here and travels in the token");
  add->add_option("--ttl", a->ttl_hours, "hours the token stays valid for its first join (default 24)");
  auto* hives = cluster->add_subcommand("hives", "the hives issued, and whether they joined");
  auto* rm = cluster->add_subcommand("remove-hive", "forget a hive: its secret no longer joins");
  rm->add_option("name", a->name, "the hive's id")->required();
  runs.emplace_back(init_cmd, with_client_settings(init));
  runs.emplace_back(add, with(a, add_hive));
  runs.emplace_back(hives, with_client_settings(list));
  runs.emplace_back(rm, with(a, remove));
}});

// After `hive` (order 40): these are its subcommands.
const bool registered_hive_join = register_command({41, [](CLI::App& app, common_flags&, command_runs& runs) {
  auto a = std::make_shared<cluster_flags>();
  auto* hive = app.get_subcommand("hive");
  auto* j = hive->add_subcommand("join", "store a join token's credentials (then start the hive: rbee hive)");
  j->add_option("token", a->token, "the token `rbee cluster add-hive` printed (- for stdin)")->required();
  auto* c = hive->add_subcommand("csr", "make this hive's key (if none) and print its certificate request");
  c->add_option("--id", a->name, "the hive's id")->required();
  runs.emplace_back(j, with(a, join));
  runs.emplace_back(c, with(a, csr));
}});

} // namespace

} // namespace rbee::cli
