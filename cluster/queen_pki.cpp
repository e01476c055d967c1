#include "cluster/queen_pki.hpp"

#include "cluster/pki.hpp"
#include "io/atomic_file.hpp"
#include "json/parse.hpp"
#include "json/writer.hpp"

#include <rapidjson/document.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>

namespace fs = std::filesystem;

namespace rbee::cluster {

namespace {

constexpr int ca_days = 3650;
constexpr int leaf_days = 825;
constexpr size_t max_registry_bytes = 4 << 20;

/// Holds an exclusive lock on <dir>/hives.lock: `rbee cluster add-hive` and the
/// running queen both update hives.json.
class registry_lock {
public:
  explicit registry_lock(const queen_files& f) : fd_(::open((f.dir + "/hives.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) {
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~registry_lock() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool held() const { return fd_ >= 0; }

private:
  int fd_;
};

outcome<std::vector<hive_record>> read_registry(const queen_files& f) {
  std::vector<hive_record> out;
  if (!fs::exists(f.hives)) return out;
  auto text = read_small_file(f.hives, max_registry_bytes);
  if (!text) return fail_with(errc::invalid_value, f.hives + " cannot be read or is too large");
  rapidjson::Document d;
  std::string why;
  if (!json::parse(d, *text, &why) || !d.IsObject() || !d.HasMember("hives") || !d["hives"].IsArray())
    return fail_with(errc::invalid_value, f.hives + " is damaged: " + why);
  for (auto& h : d["hives"].GetArray()) {
    if (!h.IsObject() || !h.HasMember("hive_id") || !h["hive_id"].IsString() || !h.HasMember("secret_sha256") ||
        !h["secret_sha256"].IsString())
      return fail_with(errc::invalid_value, f.hives + " has an entry without hive_id or secret_sha256");
    hive_record r;
    r.hive_id = h["hive_id"].GetString();
    r.secret_sha256 = h["secret_sha256"].GetString();
    for (auto [name, field] : {std::pair{"issued_ms", &r.issued_ms}, {"expires_ms", &r.expires_ms}, {"joined_ms", &r.joined_ms}})
      if (h.HasMember(name) && h[name].IsInt64()) *field = h[name].GetInt64();
    out.push_back(std::move(r));
  }
  return out;
}

outcome<void> write_registry(const queen_files& f, const std::vector<hive_record>& hives) {
  rapidjson::StringBuffer buf;
  json::writer w(buf);
  w.StartObject();
  w.Key("hives");
  w.StartArray();
  for (auto& h : hives) {
    w.StartObject();
    w.Key("hive_id");
    w.String(h.hive_id);
    w.Key("secret_sha256");
    w.String(h.secret_sha256);
    w.Key("issued_ms");
    w.Int64(h.issued_ms);
    w.Key("expires_ms");
    w.Int64(h.expires_ms);
    w.Key("joined_ms");
    w.Int64(h.joined_ms);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return write_file_atomic(f.hives, std::string(buf.GetString(), buf.GetSize()) + "\n", 0600);
}

failure cannot_read(const std::string& path) {
  return fail_with(errc::not_found, "cannot read " + path + " (run `rbee cluster init` on the queen's machine)");
}

} // namespace

queen_files queen_paths(const std::string& state_dir) {
  queen_files f;
  f.dir = state_dir + "/cluster";
  f.queen_ca_key = f.dir + "/queen-ca.key";
  f.queen_ca = f.dir + "/queen-ca.pem";
  f.hive_ca_key = f.dir + "/hive-ca.key";
  f.hive_ca = f.dir + "/hive-ca.pem";
  f.key = f.dir + "/queen.key";
  f.cert = f.dir + "/queen.pem";
  f.hives = f.dir + "/hives.json";
  return f;
}

bool queen_ready(const queen_files& f) {
  for (auto* p : {&f.queen_ca_key, &f.queen_ca, &f.hive_ca_key, &f.hive_ca, &f.key, &f.cert})
    if (!fs::is_regular_file(*p)) return false;
  return true;
}

outcome<bool> init_queen(const queen_files& f) {
  if (queen_ready(f)) return false;
  if (auto d = make_private_dir(f.dir); !d) return d.error();
  auto qk = new_private_key(), hk = new_private_key(), k = new_private_key();
  if (!qk) return qk.error();
  if (!hk) return hk.error();
  if (!k) return k.error();
  auto qca = self_signed_ca(*qk, "rbee queen CA", ca_days);
  auto hca = self_signed_ca(*hk, "rbee hive CA", ca_days);
  if (!qca) return qca.error();
  if (!hca) return hca.error();
  auto csr = make_csr(*k, "queen");
  if (!csr) return csr.error();
  auto cert = sign_csr(*csr, *qca, *qk, "queen", leaf_days);
  if (!cert) return cert.error();
  // Keys first, certificates last: queen_ready() holds only once all are there.
  for (auto [path, text, mode] : {std::tuple{&f.queen_ca_key, &*qk, 0600u}, {&f.hive_ca_key, &*hk, 0600u}, {&f.key, &*k, 0600u},
                                  {&f.queen_ca, &*qca, 0644u}, {&f.hive_ca, &*hca, 0644u}, {&f.cert, &*cert, 0644u}})
    if (auto w = write_file_atomic(*path, *text, mode); !w) return w.error();
  return true;
}

outcome<join_token> add_hive(const queen_files& f, const std::string& hive_id, const std::string& queen_address,
                             const std::string& csr_pem, int64_t ttl_ms, int64_t now_ms) {
  if (!queen_ready(f)) return fail_with(errc::not_found, "no cluster PKI in " + f.dir + " (run `rbee cluster init`)");
  auto qca = read_small_file(f.queen_ca, max_pem_bytes), hca = read_small_file(f.hive_ca, max_pem_bytes),
       hk = read_small_file(f.hive_ca_key, max_pem_bytes);
  if (!qca) return cannot_read(f.queen_ca);
  if (!hca) return cannot_read(f.hive_ca);
  if (!hk) return cannot_read(f.hive_ca_key);
  join_token t;
  t.queen = queen_address;
  t.hive_id = hive_id;
  t.secret = new_secret();
  t.expires_ms = now_ms + ttl_ms;
  t.queen_ca = *qca;
  auto pin = cert_pin(*qca);
  if (!pin) return pin.error();
  t.ca_pin = *pin;
  std::string csr = csr_pem;
  if (csr.empty()) {
    auto key = new_private_key();
    if (!key) return key.error();
    t.key = *key;
    auto made = make_csr(t.key, hive_id);
    if (!made) return made.error();
    csr = *made;
  }
  auto cert = sign_csr(csr, *hca, *hk, hive_id, leaf_days);
  if (!cert) return cert.error();
  t.cert = *cert;
  // Round trip: what the hive will decode must pass the hive's checks.
  if (auto back = decode(encode(t)); !back) return back.error();
  registry_lock lock(f);
  if (!lock.held()) return fail_with(errc::internal, "cannot lock " + f.dir + "/hives.lock");
  auto hives = read_registry(f);
  if (!hives) return hives.error();
  std::erase_if(*hives, [&](const hive_record& r) { return r.hive_id == hive_id; });
  hives->push_back(hive_record{hive_id, secret_hash(t.secret), now_ms, t.expires_ms, 0});
  if (auto w = write_registry(f, *hives); !w) return w.error();
  return t;
}

outcome<void> check_join(const queen_files& f, const std::string& hive_id, const std::string& secret, int64_t now_ms) {
  registry_lock lock(f);
  auto hives = read_registry(f);
  if (!hives) return hives.error();
  for (auto& r : *hives) {
    if (r.hive_id != hive_id) continue;
    if (!same_digest(secret_hash(secret), r.secret_sha256))
      return fail_with(errc::unauthorized, "hive '" + hive_id + "' presented a wrong join secret");
    if (r.joined_ms == 0) {
      if (now_ms > r.expires_ms)
        return fail_with(errc::unauthorized, "the join token of hive '" + hive_id +
                                               "' expired before its first join (issue a new one: rbee cluster add-hive " +
                                               hive_id + ")");
      r.joined_ms = now_ms;
      if (auto w = write_registry(f, *hives); !w) return w.error();
    }
    return done{};
  }
  return fail_with(errc::unauthorized, "no hive '" + hive_id + "' was added to this cluster (rbee cluster add-hive " +
                                         hive_id + ")");
}

outcome<void> remove_hive(const queen_files& f, const std::string& hive_id) {
  registry_lock lock(f);
  auto hives = read_registry(f);
  if (!hives) return hives.error();
  auto n = std::erase_if(*hives, [&](const hive_record& r) { return r.hive_id == hive_id; });
  if (n == 0) return fail_with(errc::hive_not_found, "no hive '" + hive_id + "' in this cluster");
  return write_registry(f, *hives);
}

outcome<std::vector<hive_record>> list_hives(const queen_files& f) {
  registry_lock lock(f);
  return read_registry(f);
}

} // namespace rbee::cluster
