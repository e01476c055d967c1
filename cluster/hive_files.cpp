#include "cluster/hive_files.hpp"

#include "cluster/pki.hpp"
#include "io/atomic_file.hpp"
#include "json/parse.hpp"
#include "json/writer.hpp"

#include <rapidjson/document.h>

#include <filesystem>

namespace fs = std::filesystem;

namespace rbee::cluster {

hive_files hive_paths(const std::string& state_dir) {
  hive_files f;
  f.dir = state_dir + "/cluster/hive";
  f.key = f.dir + "/hive.key";
  f.cert = f.dir + "/hive.pem";
  f.queen_ca = f.dir + "/queen-ca.pem";
  f.join = f.dir + "/join.json";
  return f;
}

outcome<std::string> hive_csr(const hive_files& f, const std::string& hive_id) {
  if (auto d = make_private_dir(f.dir); !d) return d.error();
  auto key = read_small_file(f.key, max_pem_bytes);
  if (!key) {
    auto made = new_private_key();
    if (!made) return made.error();
    if (auto w = write_file_atomic(f.key, *made, 0600); !w) return w.error();
    key = *made;
  }
  return make_csr(*key, hive_id);
}

outcome<void> accept_token(const hive_files& f, const join_token& t) {
  if (auto d = make_private_dir(f.dir); !d) return d.error();
  std::string key = t.key;
  if (key.empty()) {
    auto have = read_small_file(f.key, max_pem_bytes);
    if (!have) return fail_with(errc::not_found, "the token carries no key and this hive has none (" + f.key + ")");
    key = *have;
  }
  if (auto m = key_matches(key, t.cert); !m)
    return fail_with(errc::invalid_value, "the token's certificate is not for this hive's key: " + m.error().message);
  rapidjson::StringBuffer buf;
  json::writer w(buf);
  w.StartObject();
  w.Key("queen");
  w.String(t.queen);
  w.Key("hive_id");
  w.String(t.hive_id);
  w.Key("secret");
  w.String(t.secret);
  w.EndObject();
  if (!t.key.empty())
    if (auto r = write_file_atomic(f.key, t.key, 0600); !r) return r.error();
  for (auto [path, text, mode] : {std::tuple{&f.cert, &t.cert, 0644u}, {&f.queen_ca, &t.queen_ca, 0644u}})
    if (auto r = write_file_atomic(*path, *text, mode); !r) return r.error();
  return write_file_atomic(f.join, std::string(buf.GetString(), buf.GetSize()) + "\n", 0600);
}

outcome<join_info> load_join(const hive_files& f) {
  auto text = read_small_file(f.join, max_pem_bytes);
  if (!text)
    return fail_with(errc::not_found, "this hive has no cluster credentials (" + f.join +
                                        "): on the queen's machine run `rbee cluster add-hive NAME`, then here "
                                        "`rbee hive join TOKEN`");
  rapidjson::Document d;
  if (!json::parse(d, *text, nullptr, 4) || !d.IsObject())
    return fail_with(errc::invalid_value, f.join + " is damaged (join again)");
  join_info j;
  for (auto [name, field] : {std::pair{"queen", &j.queen}, {"hive_id", &j.hive_id}, {"secret", &j.secret}}) {
    if (!d.HasMember(name) || !d[name].IsString()) return fail_with(errc::invalid_value, f.join + " has no " + name);
    *field = d[name].GetString();
  }
  for (auto* p : {&f.key, &f.cert, &f.queen_ca})
    if (!fs::is_regular_file(*p)) return fail_with(errc::not_found, "missing " + *p + " (join again)");
  return j;
}

} // namespace rbee::cluster
