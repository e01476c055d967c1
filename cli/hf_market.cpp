#include "cli/hf_market.hpp"

#include "io/fetch.hpp"
#include "actors/download/hf_api.hpp"
#include "json/parse.hpp"
#include "json/writer.hpp"
#include "messages/errc.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>
#include <set>

namespace rbee {

namespace {

using writer = rbee::json::writer;

std::string str(const rapidjson::Value& v, const char* k) {
  return v.IsObject() && v.HasMember(k) && v[k].IsString() ? v[k].GetString() : "";
}

int64_t int_of(const rapidjson::Value& v, const char* k) {
  return v.IsObject() && v.HasMember(k) && v[k].IsNumber() ? static_cast<int64_t>(v[k].GetDouble()) : 0;
}

void kv(writer& w, const char* k, const std::string& v) {
  w.Key(k);
  w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
}

/// "license:apache-2.0" among the tags.
std::string license_of(const rapidjson::Value& m) {
  if (m.HasMember("tags") && m["tags"].IsArray())
    for (auto& t : m["tags"].GetArray())
      if (t.IsString() && std::string_view(t.GetString()).starts_with("license:")) return t.GetString() + 8;
  if (m.HasMember("cardData") && m["cardData"].IsObject()) return str(m["cardData"], "license");
  return "";
}

int64_t parameters_of(const rapidjson::Value& m) {
  if (m.HasMember("gguf") && m["gguf"].IsObject()) return int_of(m["gguf"], "total");
  return 0;
}

/// The common fields of a card and a model page.
void head(writer& w, const rapidjson::Value& m) {
  std::string id = str(m, "id");
  kv(w, "id", id);
  kv(w, "author", id.substr(0, id.find('/')));
  w.Key("downloads");
  w.Int64(int_of(m, "downloads"));
  w.Key("likes");
  w.Int64(int_of(m, "likes"));
  kv(w, "license", license_of(m));
  kv(w, "pipeline_tag", str(m, "pipeline_tag"));
  w.Key("parameters");
  w.Int64(parameters_of(m));
}

std::string encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '.' || c == '_' || c == '-') {
      out += static_cast<char>(c);
    } else {
      char b[4];
      std::snprintf(b, sizeof(b), "%%%02X", c);
      out += b;
    }
  }
  return out;
}

caf::expected<rapidjson::Document> get_json(const std::string& url, const std::string& token) {
  std::vector<std::string> headers;
  if (!token.empty()) headers.push_back("Authorization: Bearer " + token);
  auto r = http_get(url, headers, 32u << 20);
  if (r.status == 0) return make_error(errc::unavailable, "Hugging Face did not answer: " + r.error);
  if (r.status == 404) return make_error(errc::model_not_found, "no such model on Hugging Face");
  if (r.status == 401 || r.status == 403) return make_error(errc::forbidden, "Hugging Face refused (gated or private)");
  if (r.status != 200) return make_error(errc::unavailable, "Hugging Face answered HTTP " + std::to_string(r.status));
  rapidjson::Document d;
  rbee::json::parse(d, r.body);
  if (d.HasParseError()) return make_error(errc::bad_request, "Hugging Face answered something that is not JSON");
  return d;
}

} // namespace

caf::error check_market_query(const market_query& q) {
  if (q.search.size() > 100) return make_error(errc::invalid_value, "search: at most 100 characters");
  for (unsigned char c : q.search)
    if (!(std::isalnum(c) || c == ' ' || c == '.' || c == '_' || c == '-' || c == '/'))
      return make_error(errc::invalid_value, "search: letters, digits, spaces and . _ - / only");
  if (q.sort != "downloads" && q.sort != "trending" && q.sort != "likes")
    return make_error(errc::invalid_value, "sort: downloads, trending or likes");
  if (q.limit < 1 || q.limit > 100) return make_error(errc::invalid_value, "limit: 1 to 100");
  return {};
}

caf::expected<std::string> market_search(const std::string& endpoint, const std::string& token, const market_query& q) {
  if (auto err = check_market_query(q)) return err;
  std::string sort = q.sort == "trending" ? "trendingScore" : q.sort;
  auto d = get_json(endpoint + "/api/models?search=" + encode(q.search) + "&filter=gguf&sort=" + sort +
                      "&direction=-1&limit=" + std::to_string(q.limit) +
                      // the fields a card shows; gguf carries the parameter count
                      "&expand[]=downloads&expand[]=likes&expand[]=tags&expand[]=siblings&expand[]=pipeline_tag&expand[]=gguf",
                    token);
  if (!d) return std::move(d.error());
  if (!d->IsArray()) return make_error(errc::bad_request, "Hugging Face's model list is not an array");
  rapidjson::StringBuffer buf;
  writer w(buf);
  w.StartArray();
  for (auto& m : d->GetArray()) {
    if (!m.IsObject() || str(m, "id").empty()) continue;
    w.StartObject();
    head(w, m);
    std::set<std::string> quants;
    int ggufs = 0;
    if (m.HasMember("siblings") && m["siblings"].IsArray())
      for (auto& f : m["siblings"].GetArray()) {
        std::string name = str(f, "rfilename");
        if (name.size() < 5 || name.substr(name.size() - 5) != ".gguf") continue;
        ++ggufs;
        if (auto qt = quantization_of(name); !qt.empty()) quants.insert(qt);
      }
    w.Key("quantizations");
    w.StartArray();
    for (auto& x : quants) w.String(x.c_str());
    w.EndArray();
    w.Key("gguf_files");
    w.Int(ggufs);
    w.EndObject();
  }
  w.EndArray();
  return std::string(buf.GetString());
}

caf::expected<std::string> market_model(const std::string& endpoint, const std::string& token, const std::string& repo) {
  auto ref = parse_hf_ref(repo);
  if (!ref || !ref->selector.empty()) return make_error(errc::invalid_value, "model: org/repo");
  auto info = get_json(endpoint + "/api/models/" + ref->id(), token);
  if (!info) return std::move(info.error());
  if (!info->IsObject()) return make_error(errc::bad_request, "Hugging Face's model info is not an object");
  auto files = hf_tree(endpoint, ref->id(), token);
  if (!files) return std::move(files.error());
  rapidjson::StringBuffer buf;
  writer w(buf);
  w.StartObject();
  head(w, *info);
  w.Key("tags");
  w.StartArray();
  if (info->HasMember("tags") && (*info)["tags"].IsArray())
    for (auto& t : (*info)["tags"].GetArray())
      if (t.IsString()) w.String(t.GetString());
  w.EndArray();
  w.Key("files");
  w.StartArray();
  for (auto& f : *files) {
    if (f.path.size() < 5 || f.path.substr(f.path.size() - 5) != ".gguf") continue;
    w.StartObject();
    kv(w, "path", f.path);
    w.Key("size");
    w.Uint64(f.size);
    kv(w, "quantization", quantization_of(f.path));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString());
}

} // namespace rbee
