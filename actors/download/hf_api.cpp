#include "actors/download/hf_api.hpp"

#include "io/fetch.hpp"
#include "kernels/gguf.hpp"
#include "json/parse.hpp"
#include "messages/json.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>

namespace rbee {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// The quantization tag matches as a whole token of the file name.
bool has_tag(const std::string& file, const std::string& tag) {
  std::string f = lower(file), t = lower(tag);
  for (size_t at = f.find(t); at != std::string::npos; at = f.find(t, at + 1)) {
    bool left = at == 0 || !std::isalnum(static_cast<unsigned char>(f[at - 1]));
    bool right = at + t.size() >= f.size() || !std::isalnum(static_cast<unsigned char>(f[at + t.size()]));
    if (left && right) return true;
  }
  return false;
}

/// "name-00001-of-00003.gguf" -> "name-of-3" (empty when not a split part): the parts of
/// one split model share it.
std::string split_base(const std::string& file) {
  auto s = kernels::parse_split_name(file);
  return s ? s->prefix + "-of-" + std::to_string(s->count) : std::string();
}

} // namespace

caf::expected<hf_ref> parse_hf_ref(const std::string& model) {
  std::string s = model;
  for (const char* prefix : {"https://huggingface.co/", "huggingface.co/", "hf.co/"})
    if (s.rfind(prefix, 0) == 0) s = s.substr(std::string(prefix).size());
  hf_ref r;
  if (auto colon = s.find(':'); colon != std::string::npos) {
    r.selector = s.substr(colon + 1);
    s = s.substr(0, colon);
  }
  auto slash = s.find('/');
  if (slash == std::string::npos)
    return make_error(errc::invalid_value, "model '" + model.substr(0, 200) + "' is not of the form org/repo[:QUANT]");
  r.org = s.substr(0, slash);
  r.repo = s.substr(slash + 1);
  if (!json::valid_id(r.org) || !json::valid_id(r.repo) || r.org == ".." || r.repo == "..")
    return make_error(errc::invalid_value, "model '" + model.substr(0, 200) + "' has an invalid org or repo name");
  if (r.selector.size() > 255)
    return make_error(errc::invalid_value, "the quantization or file name is too long");
  for (unsigned char c : r.selector)
    if (c < 0x20 || c == '/' || c == '\\' || c == 0x7f)
      return make_error(errc::invalid_value, "the quantization or file name has unsafe characters");
  return r;
}

bool safe_gguf_name(const std::string& name) {
  if (name.size() < 6 || name.size() > 255 || name[0] == '.' || name.find("..") != std::string::npos) return false;
  for (unsigned char c : name)
    if (c < 0x20 || c == '/' || c == '\\' || c == '"' || c == 0x7f) return false;
  return name.substr(name.size() - 5) == ".gguf";
}

caf::expected<std::vector<hf_file>> hf_tree(const std::string& endpoint, const std::string& repo,
                                            const std::string& token) {
  std::vector<std::string> headers;
  if (!token.empty()) headers.push_back("Authorization: Bearer " + token);
  auto r = http_get(endpoint + "/api/models/" + repo + "/tree/main?recursive=true", headers);
  if (r.status == 0) return make_error(errc::unavailable, "cannot reach " + endpoint + ": " + r.error);
  if (r.status == 404) return make_error(errc::model_not_found, "no repository '" + repo + "' at " + endpoint);
  if (r.status == 401 || r.status == 403)
    return make_error(errc::forbidden, "'" + repo + "' is gated or private (HTTP " + std::to_string(r.status) +
                                         "); accept its terms and set HF_TOKEN");
  if (r.status != 200) return make_error(errc::unavailable, "HTTP " + std::to_string(r.status) + " listing " + repo);
  rapidjson::Document d;
  rbee::json::parse(d, r.body);
  if (d.HasParseError() || !d.IsArray()) return make_error(errc::bad_request, "the file list of " + repo + " is malformed");
  std::vector<hf_file> out;
  for (auto& e : d.GetArray()) {
    if (!e.IsObject() || !e.HasMember("path") || !e["path"].IsString()) continue;
    if (e.HasMember("type") && e["type"].IsString() && std::string(e["type"].GetString()) != "file") continue;
    hf_file f;
    f.path = e["path"].GetString();
    if (e.HasMember("size") && e["size"].IsUint64()) f.size = e["size"].GetUint64();
    if (e.HasMember("lfs") && e["lfs"].IsObject()) {
      const auto& l = e["lfs"];
      if (l.HasMember("oid") && l["oid"].IsString()) f.sha256 = lower(l["oid"].GetString());
      if (l.HasMember("size") && l["size"].IsUint64()) f.size = l["size"].GetUint64();
    }
    out.push_back(std::move(f));
  }
  return out;
}

caf::expected<std::vector<hf_file>> choose_gguf(const std::vector<hf_file>& files, const std::string& selector,
                                                const std::string& repo) {
  std::vector<const hf_file*> ggufs;
  std::string listing;
  for (auto& f : files) {
    listing += (listing.empty() ? "" : ", ") + f.path;
    if (f.path.size() > 5 && lower(f.path.substr(f.path.size() - 5)) == ".gguf") ggufs.push_back(&f);
  }
  if (ggufs.empty())
    return make_error(errc::model_not_found, "'" + repo + "' has no GGUF file (it has: " + listing.substr(0, 500) + ")");
  std::string names;
  for (auto* f : ggufs) names += (names.empty() ? "" : ", ") + f->path;
  auto with_parts = [&](const hf_file& f) {
    std::vector<hf_file> out;
    std::string base = split_base(f.path);
    if (base.empty()) return std::vector<hf_file>{f};
    for (auto* g : ggufs)
      if (split_base(g->path) == base) out.push_back(*g);
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.path < b.path; });
    return out;
  };
  if (selector.size() > 5 && lower(selector.substr(selector.size() - 5)) == ".gguf") {
    for (auto* f : ggufs)
      if (f->path == selector) return with_parts(*f);
    return make_error(errc::model_not_found, "no file '" + selector + "' in " + repo + " (GGUF files: " + names + ")");
  }
  std::vector<std::string> order = {"Q4_K_M", "Q4_K_S", "Q5_K_M", "Q4_0", "Q5_K_S", "Q6_K", "Q8_0",
                                    "Q3_K_M", "Q3_K_L", "Q3_K_S", "Q2_K", "F16", "BF16", "F32"};
  if (!selector.empty()) order = {selector};
  for (auto& tag : order)
    for (auto* f : ggufs)
      if (has_tag(f->path, tag)) return with_parts(*f);
  if (selector.empty() && ggufs.size() == 1) return with_parts(*ggufs.front());
  return make_error(errc::model_not_found, "no " + (selector.empty() ? std::string("known quantization") : selector) +
                                             " file in " + repo + " (GGUF files: " + names + ")");
}

std::string quantization_of(const std::string& file) {
  static const char* tags[] = {"IQ1_S", "IQ1_M", "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ2_M", "IQ3_XXS", "IQ3_XS", "IQ3_S", "IQ3_M",
                               "IQ4_XS", "IQ4_NL", "Q2_K_S", "Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_0", "Q4_1", "Q4_K_S",
                               "Q4_K_M", "Q5_0", "Q5_1", "Q5_K_S", "Q5_K_M", "Q6_K", "Q8_0", "F16", "BF16", "F32"};
  for (const char* t : tags)
    if (has_tag(file, t)) return t;
  return "";
}

std::string hf_file_url(const std::string& endpoint, const std::string& repo, const std::string& file) {
  return endpoint + "/" + repo + "/resolve/main/" + file;
}

} // namespace rbee
