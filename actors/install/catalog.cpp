#include "actors/install/catalog.hpp"

#include "io/fetch.hpp"
#include "actors/hive/worker_store.hpp"
#include "json/parse.hpp"
#include "json/writer.hpp"
#include "messages/errc.hpp"

#include <rapidjson/document.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace rbee {

namespace {

constexpr uintmax_t max_file = 1 << 20;

caf::expected<std::string> read_small(const fs::path& p) {
  std::error_code ec;
  auto size = fs::file_size(p, ec);
  if (ec) return make_error(errc::not_found, "cannot read " + p.string() + ": " + ec.message());
  if (size > max_file) return make_error(errc::payload_too_large, p.string() + " is larger than 1 MiB");
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

caf::expected<std::vector<std::string>> strings(const rapidjson::Value& v, const char* key) {
  std::vector<std::string> out;
  if (!v.HasMember(key) || !v[key].IsArray()) return make_error(errc::bad_request, std::string("'") + key + "' must be an array of strings");
  for (auto& s : v[key].GetArray()) {
    if (!s.IsString()) return make_error(errc::bad_request, std::string("'") + key + "' must be an array of strings");
    out.emplace_back(s.GetString());
  }
  return out;
}

using allocator = rapidjson::Document::AllocatorType;

void set_strings(rapidjson::Document& d, const char* key, const std::vector<std::string>& values) {
  rapidjson::Value arr(rapidjson::kArrayType);
  for (auto& s : values) arr.PushBack(rapidjson::Value(s.c_str(), d.GetAllocator()), d.GetAllocator());
  d.RemoveMember(key);
  d.AddMember(rapidjson::Value(key, d.GetAllocator()), arr, d.GetAllocator());
}

void set_string(rapidjson::Document& d, const char* key, const std::string& value) {
  d.RemoveMember(key);
  d.AddMember(rapidjson::Value(key, d.GetAllocator()), rapidjson::Value(value.c_str(), d.GetAllocator()), d.GetAllocator());
}

/// The fields every served entry has, checked (shared by load and parse).
caf::expected<catalog_entry> fields(const rapidjson::Document& d) {
  catalog_entry e;
  if (!d.IsObject()) return make_error(errc::bad_request, "metadata must be a JSON object");
  for (auto [k, out] : {std::pair{"backend", &e.backend}, {"binary", &e.binary}}) {
    if (!d.HasMember(k) || !d[k].IsString()) return make_error(errc::bad_request, std::string("'") + k + "' must be a string");
    *out = d[k].GetString();
  }
  auto p = strings(d, "platforms");
  if (!p) return p.error();
  auto a = strings(d, "architectures");
  if (!a) return a.error();
  e.platforms = *p;
  e.architectures = *a;
  if (e.binary.empty() || e.binary.find('/') != std::string::npos || e.binary[0] == '.')
    return make_error(errc::bad_request, "'binary' must be a plain file name");
  bool backend_ok = !e.backend.empty() && e.backend.size() <= 32;
  for (char c : e.backend) backend_ok = backend_ok && (std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '-');
  if (!backend_ok) return make_error(errc::bad_request, "'backend' must be a short lower-case name (cpu, cuda, metal)");
  return e;
}

} // namespace

caf::expected<catalog_entry> make_catalog_entry(const std::string& id, std::string meta_text, std::string pkgbuild_text) {
  if (!valid_worker_id(id)) return make_error(errc::bad_request, "invalid id");
  auto recipe = parse_pkgbuild(pkgbuild_text);
  if (!recipe) return recipe.error();
  if (recipe->get("pkgname") != id) return make_error(errc::bad_request, "pkgname must be the entry's id");
  rapidjson::Document doc;
  if (!rbee::json::parse(doc, meta_text)) return make_error(errc::bad_request, "meta.json is not valid JSON");
  auto e = fields(doc);
  if (!e) return e.error();
  set_string(doc, "id", id);
  set_string(doc, "version", recipe->get("pkgver") + "-" + recipe->get("pkgrel"));
  if (!doc.HasMember("description")) set_string(doc, "description", recipe->get("pkgdesc"));
  set_strings(doc, "depends", recipe->list("depends"));
  set_strings(doc, "makedepends", recipe->list("makedepends"));
  rapidjson::StringBuffer sb;
  rbee::json::writer w(sb);
  doc.Accept(w);
  e->id = id;
  e->pkgbuild_text = std::move(pkgbuild_text);
  e->meta_text = std::move(meta_text);
  e->recipe = std::move(*recipe);
  e->json = sb.GetString();
  return e;
}

caf::expected<worker_catalog> worker_catalog::load(const std::string& dir) {
  worker_catalog c;
  c.dir_ = dir;
  std::error_code ec;
  if (!fs::is_directory(fs::path(dir) / "workers", ec))
    return make_error(errc::not_found, "no catalog at " + dir + " (expected " + dir + "/workers/<id>/PKGBUILD)");
  for (auto& d : fs::directory_iterator(fs::path(dir) / "workers", ec)) {
    std::string id = d.path().filename().string();
    if (!d.is_directory()) continue;
    auto fail = [&](const caf::error& e) { return make_error(errc::bad_request, "catalog entry " + id + ": " + message_of(e)); };
    if (!valid_worker_id(id)) return fail(make_error(errc::bad_request, "invalid id"));
    auto text = read_small(d.path() / "PKGBUILD");
    if (!text) return fail(text.error());
    auto meta = read_small(d.path() / "meta.json");
    if (!meta) return fail(meta.error());
    auto e = make_catalog_entry(id, std::move(*meta), std::move(*text));
    if (!e) return fail(e.error());
    c.entries_[id] = std::move(*e);
  }
  if (ec) return make_error(errc::internal, "cannot list " + dir + "/workers: " + ec.message());
  return c;
}

const catalog_entry* worker_catalog::find(const std::string& id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : &it->second;
}

std::string worker_catalog::list_json() const {
  std::string out = "[";
  for (auto& [id, e] : entries_) out += (out.size() > 1 ? "," : "") + e.json;
  return out + "]";
}

std::string worker_catalog::signature_path(const std::string& name) const {
  if (name != "index.json" && name != "index.json.sig") return "";
  std::error_code ec;
  auto p = fs::path(dir_) / name;
  return fs::is_regular_file(p, ec) ? p.string() : "";
}

std::string worker_catalog::source_path(const std::string& name) const {
  if (name.empty() || name.size() > 200 || name[0] == '.') return "";
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-' && c != '+') return "";
  auto p = fs::path(dir_) / "sources" / name;
  std::error_code ec;
  return fs::is_regular_file(fs::symlink_status(p, ec)) ? p.string() : "";
}

caf::expected<std::string> catalog_get(const std::string& catalog_url, const std::string& path) {
  auto r = http_get(catalog_url + path, {}, 4u << 20);
  if (r.status == 0)
    return make_error(errc::unavailable, "the worker catalog at " + catalog_url + " is unreachable: " + r.error +
                                           " (start one: rbee catalog serve; or make one in <data dir>/catalog, which "
                                           "rbee serve uses at once: scripts/make-catalog.sh)");
  if (r.status == 404) return make_error(errc::not_found, "not in the worker catalog at " + catalog_url + ": " + path);
  if (r.status != 200)
    return make_error(errc::unavailable, "the worker catalog at " + catalog_url + " answered " + std::to_string(r.status) + " for " + path);
  return std::move(r.body);
}

caf::expected<catalog_entry> parse_catalog_entry(const std::string& json) {
  rapidjson::Document d;
  rbee::json::parse(d, json);
  if (d.HasParseError()) return make_error(errc::bad_request, "the catalog's answer is not JSON");
  auto e = fields(d);
  if (!e) return e.error();
  if (!d.HasMember("id") || !d["id"].IsString() || !valid_worker_id(d["id"].GetString()))
    return make_error(errc::bad_request, "the catalog's entry has no valid id");
  e->id = d["id"].GetString();
  e->json = json;
  return e;
}

} // namespace rbee
