#include "actors/hive/worker_store.hpp"

#include "io/atomic_file.hpp"
#include "io/fetch.hpp"
#include "json/parse.hpp"
#include "json/writer.hpp"
#include "messages/errc.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace rbee {

namespace {

bool valid_component(const std::string& s, std::string_view allowed) {
  if (s.empty() || s.size() > 128 || !std::isalnum(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && allowed.find(c) == std::string_view::npos) return false;
  return true;
}

std::string to_json(const installed_worker& w) {
  rapidjson::StringBuffer sb;
  rbee::json::writer j(sb);
  j.StartObject();
  for (auto [k, v] : {std::pair{"id", &w.id}, {"version", &w.version}, {"backend", &w.backend}, {"binary", &w.binary},
                      {"sha256", &w.sha256}}) {
    j.Key(k);
    j.String(v->c_str());
  }
  j.EndObject();
  return sb.GetString();
}


} // namespace

bool valid_worker_id(const std::string& id) {
  return valid_component(id, "._+-") && std::all_of(id.begin(), id.end(), [](char c) { return !std::isupper(static_cast<unsigned char>(c)); });
}

bool valid_worker_version(const std::string& v) { return valid_component(v, "._+~-"); }

worker_store::worker_store(std::string data_dir) : data_dir_(std::move(data_dir)), root_(data_dir_ + "/workers") {}

caf::expected<installed_worker> worker_store::install(const std::string& id, const std::string& version,
                                                      const std::string& backend, const std::string& built) {
  if (!valid_worker_id(id)) return make_error(errc::invalid_value, "invalid worker id '" + id.substr(0, 60) + "'");
  if (!valid_worker_version(version)) return make_error(errc::invalid_value, "invalid version '" + version.substr(0, 60) + "'");
  std::error_code ec;
  if (!fs::is_regular_file(built, ec)) return make_error(errc::bad_request, "package() produced no binary at " + built);
  installed_worker w{id, version, backend, fs::path(built).filename().string(), "", ""};
  if (!valid_component(w.binary, "._+-")) return make_error(errc::invalid_value, "invalid binary name '" + w.binary + "'");
  std::string dir = root_ + "/" + id;
  std::string previous = fs::read_symlink(dir + "/current", ec).filename().string(); // kept for a rollback
  ec.clear();
  fs::create_directories(dir, ec);
  if (ec) return make_error(errc::internal, "cannot create " + dir + ": " + ec.message());
  // Stage a complete version directory first.
  auto stage = [&](const std::string& name, const std::string& from) -> caf::expected<void> {
    fs::create_directory(dir + "/" + name, ec);
    if (ec) return make_error(errc::internal, "cannot create " + name + ": " + ec.message());
    if (auto r = copy_file_atomic(from, dir + "/" + name + "/" + w.binary, 0755); !r) return make_error(r.error());
    w.sha256 = sha256_file(dir + "/" + name + "/" + w.binary);
    if (auto r = write_file_atomic(dir + "/" + name + "/worker.json", to_json(w)); !r) return make_error(r.error());
    fsync_dir(dir + "/" + name);
    return caf::unit;
  };
  std::string staging = ".staging-" + version + "-" + random_suffix();
  if (auto r = stage(staging, built); !r) {
    fs::remove_all(dir + "/" + staging, ec);
    return r.error();
  }
  // Switch: at every moment `current` names a complete directory.
  std::string final_dir = dir + "/" + version;
  if (fs::exists(final_dir, ec)) {
    // The same version again: current -> staging; the old directory out of
    // the way; a second copy renamed into place; current -> version.
    if (auto r = replace_symlink(staging, dir + "/current"); !r) return make_error(r.error());
    std::string old = dir + "/.old-" + version + "-" + random_suffix();
    fs::rename(final_dir, old, ec);
    if (ec) return make_error(errc::internal, "cannot replace " + final_dir + ": " + ec.message());
    std::string second = ".staging-" + version + "-" + random_suffix();
    if (auto r = stage(second, dir + "/" + staging + "/" + w.binary); !r) return r.error();
    fs::rename(dir + "/" + second, final_dir, ec);
    if (ec) return make_error(errc::internal, "cannot install " + final_dir + ": " + ec.message());
  } else {
    fs::rename(dir + "/" + staging, final_dir, ec);
    if (ec) return make_error(errc::internal, "cannot install " + final_dir + ": " + ec.message());
  }
  fsync_dir(dir);
  if (auto r = replace_symlink(version, dir + "/current"); !r) return make_error(r.error());
  // Leftovers of killed installs.
  for (auto& e : fs::directory_iterator(dir, ec)) {
    auto n = e.path().filename().string();
    bool temp = n.rfind(".", 0) == 0 && n.find(".tmp-") != std::string::npos; // a link or file never renamed
    if (n.rfind(".staging-", 0) == 0 || n.rfind(".old-", 0) == 0 || temp) fs::remove_all(e.path(), ec);
    // Versions older than the previous one are pruned (a running worker keeps its open binary).
    else if (n != "current" && n != version && n != previous && n[0] != '.' && e.is_directory(ec)) fs::remove_all(e.path(), ec);
  }
  if (auto r = write_capabilities(); !r) return r.error();
  w.path = dir + "/current/" + w.binary;
  return w;
}

caf::expected<installed_worker> worker_store::read(const std::string& id) const {
  if (!valid_worker_id(id)) return make_error(errc::invalid_value, "invalid worker id '" + id.substr(0, 60) + "'");
  std::string cur = root_ + "/" + id + "/current";
  std::ifstream in(cur + "/worker.json");
  if (!in) return make_error(errc::not_found, "worker " + id + " is not installed");
  std::stringstream ss;
  ss << in.rdbuf();
  rapidjson::Document d;
  rbee::json::parse(d, ss.str());
  installed_worker w;
  if (d.HasParseError() || !d.IsObject())
    return make_error(errc::internal, "worker " + id + ": corrupt worker.json");
  for (auto [k, v] : {std::pair{"id", &w.id}, {"version", &w.version}, {"backend", &w.backend}, {"binary", &w.binary},
                      {"sha256", &w.sha256}}) {
    if (!d.HasMember(k) || !d[k].IsString()) return make_error(errc::internal, "worker " + id + ": worker.json lacks " + k);
    *v = d[k].GetString();
  }
  if (w.id != id || !valid_component(w.binary, "._+-")) return make_error(errc::internal, "worker " + id + ": worker.json does not match");
  w.path = cur + "/" + w.binary;
  return w;
}

verified_binary& verified_binary::operator=(verified_binary&& o) noexcept {
  if (this != &o) {
    if (fd >= 0) ::close(fd);
    worker = std::move(o.worker);
    fd = std::exchange(o.fd, -1);
  }
  return *this;
}

verified_binary::~verified_binary() {
  if (fd >= 0) ::close(fd);
}

caf::expected<installed_worker> worker_store::get(const std::string& id) const {
  auto v = open_verified(id);
  if (!v) return std::move(v.error());
  return v->worker;
}

caf::expected<verified_binary> worker_store::open_verified(const std::string& id) const {
  auto w = read(id);
  if (!w) return std::move(w.error());
  int fd = ::open(w->path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return make_error(errc::checksum_mismatch, "worker " + id + ": cannot open the installed binary (" +
                                                 std::strerror(errno) + "); reinstall it");
  verified_binary v(std::move(*w), fd);
  struct stat sb {};
  if (::fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sha256_fd(fd) != v.worker.sha256)
    return make_error(errc::checksum_mismatch, "worker " + id + ": the installed binary does not match its sha256; reinstall it");
  return v;
}

std::vector<installed_worker> worker_store::list() const {
  std::vector<installed_worker> out;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(root_, ec)) {
    auto w = read(e.path().filename().string());
    if (w) out.push_back(*w);
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.id < b.id; });
  return out;
}

caf::expected<void> worker_store::remove(const std::string& id) {
  if (!valid_worker_id(id)) return make_error(errc::invalid_value, "invalid worker id '" + id.substr(0, 60) + "'");
  std::string dir = root_ + "/" + id;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return make_error(errc::not_found, "worker " + id + " is not installed");
  // Out of sight first (one rename), then deleted.
  std::string gone = root_ + "/.removing-" + id + "-" + random_suffix();
  fs::rename(dir, gone, ec);
  if (ec) return make_error(errc::internal, "cannot remove " + dir + ": " + ec.message());
  fsync_dir(root_);
  fs::remove_all(gone, ec);
  return write_capabilities();
}

caf::expected<void> worker_store::write_capabilities() const {
  rapidjson::StringBuffer sb;
  rbee::json::writer j(sb);
  j.StartObject();
  j.Key("workers");
  j.StartArray();
  for (auto& w : list()) {
    j.StartObject();
    for (auto [k, v] : {std::pair{"id", &w.id}, {"version", &w.version}, {"backend", &w.backend}, {"path", &w.path}}) {
      j.Key(k);
      j.String(v->c_str());
    }
    j.EndObject();
  }
  j.EndArray();
  j.EndObject();
  if (auto w = write_file_atomic(capabilities_path(), sb.GetString()); !w) return make_error(w.error());
  return caf::unit;
}

} // namespace rbee
