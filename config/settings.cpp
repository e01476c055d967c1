#include "config/settings.hpp"

#include "config/keys.hpp"
#include "json/parse.hpp"

#include <rapidjson/document.h>

#include <arpa/inet.h>
#include <sys/stat.h>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace rbee::config {

using detail::find_key;
using detail::key_info;

std::string config_error::to_string() const {
  return "config: " + key + ": " + problem;
}

std::optional<config_error> set_key(settings& s, std::string_view key, std::string_view value) {
  const key_info* k = find_key(key);
  if (!k) return config_error{std::string(key), "unknown key"};
  std::string v(value);
  if (k->kind == detail::key_kind::integer) {
    int64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (v.empty() || ec != std::errc{} || end != v.data() + v.size())
      return config_error{k->name, "must be an integer, got '" + v + "'"};
    return detail::store_int(s, *k, n);
  }
  if (k->kind == detail::key_kind::list) {
    std::vector<std::string> items;
    std::stringstream in(v);
    for (std::string item; std::getline(in, item, ',');)
      if (!item.empty()) items.push_back(item);
    return detail::store_list(s, *k, std::move(items));
  }
  return detail::store_text(s, *k, v);
}

std::optional<config_error> apply_json(settings& s, std::string_view json, std::string_view origin) {
  rapidjson::Document doc;
  std::string error;
  if (!rbee::json::parse(doc, json, &error)) return config_error{std::string(origin), error};
  if (!doc.IsObject()) return config_error{std::string(origin), "must be a JSON object"};
  for (auto& m : doc.GetObject()) {
    std::string name(m.name.GetString(), m.name.GetStringLength());
    const key_info* k = find_key(name);
    if (!k) return config_error{name, "unknown key (in " + std::string(origin) + ")"};
    std::optional<config_error> err;
    if (m.value.IsInt64())
      err = detail::store_int(s, *k, m.value.GetInt64());
    else if (m.value.IsString())
      err = detail::store_text(s, *k, std::string(m.value.GetString(), m.value.GetStringLength()));
    else if (m.value.IsArray()) {
      std::vector<std::string> items;
      for (auto& x : m.value.GetArray()) {
        if (!x.IsString()) return config_error{name, "must be a list of strings"};
        items.emplace_back(x.GetString(), x.GetStringLength());
      }
      err = detail::store_list(s, *k, std::move(items));
    } else
      err = config_error{name, m.value.IsNumber() ? "must be an integer" : "has the wrong type"};
    if (err) return err;
  }
  return std::nullopt;
}

std::optional<config_error> apply_env(settings& s, char** envp) {
  if (!envp) return std::nullopt;
  for (char** e = envp; *e; ++e) {
    std::string_view kv(*e);
    if (!kv.starts_with("RBEE_")) continue;
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    std::string key(kv.substr(5, eq - 5));
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!find_key(key)) continue; // other RBEE_ variables (test knobs) are not config keys
    if (auto err = set_key(s, key, kv.substr(eq + 1))) {
      err->key = "RBEE_" + std::string(kv.substr(5, eq - 5));
      return err;
    }
  }
  return std::nullopt;
}

namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return (v && *v) ? std::string(v) : fallback;
}

std::string home() {
  return env_or("HOME", "/tmp");
}

} // namespace

bool is_loopback(std::string_view host) {
  if (host == "localhost") return true;
  std::string h(host);
  unsigned char buf[16];
  if (inet_pton(AF_INET, h.c_str(), buf) == 1) return buf[0] == 127;
  if (inet_pton(AF_INET6, h.c_str(), buf) == 1) {
    for (int i = 0; i < 15; ++i)
      if (buf[i] != 0) return false;
    return buf[15] == 1;
  }
  return false;
}

std::optional<config_error> finish(settings& s) {
  if (s.data_dir.empty()) s.data_dir = env_or("XDG_DATA_HOME", home() + "/.local/share") + "/rbee";
  if (s.cache_dir.empty()) s.cache_dir = env_or("XDG_CACHE_HOME", home() + "/.cache") + "/rbee";
  if (s.state_dir.empty()) s.state_dir = env_or("XDG_STATE_HOME", home() + "/.local/state") + "/rbee";
  // Hugging Face's own variables win, as every HF tool does.
  s.hf_endpoint = env_or("HF_ENDPOINT", s.hf_endpoint.empty() ? "https://huggingface.co" : s.hf_endpoint);
  s.hf_token = env_or("HF_TOKEN", s.hf_token);
  while (!s.hf_endpoint.empty() && s.hf_endpoint.back() == '/') s.hf_endpoint.pop_back();
  if (s.hf_endpoint.rfind("http://", 0) != 0 && s.hf_endpoint.rfind("https://", 0) != 0)
    return config_error{"hf_endpoint", "must be an http:// or https:// URL"};
  while (!s.catalog_url.empty() && s.catalog_url.back() == '/') s.catalog_url.pop_back();
  if (s.catalog_url.rfind("http://", 0) != 0 && s.catalog_url.rfind("https://", 0) != 0)
    return config_error{"catalog_url", "must be an http:// or https:// URL"};
  if (!is_loopback(s.bind) && s.api_token.empty())
    return config_error{"api_token", "binding the non-loopback address " + s.bind +
                                       " requires an API token (set api_token or RBEE_API_TOKEN)"};
  if (!s.api_token.empty() && s.api_token.size() < 16)
    return config_error{"api_token", "must be at least 16 characters"};
  if (s.ssh_strict_host_keys != "accept-new" && s.ssh_strict_host_keys != "yes")
    return config_error{"ssh_strict_host_keys", "must be accept-new or yes (unknown host keys are never accepted silently)"};
  if (s.hive_lease_ms <= s.hive_heartbeat_ms)
    return config_error{"hive_lease_ms", "must be longer than hive_heartbeat_ms"};
  return std::nullopt;
}

std::string default_config_path() {
  return env_or("XDG_CONFIG_HOME", home() + "/.config") + "/rbee/config.json";
}

std::optional<config_error> load(settings& s, const std::string& path, char** envp) {
  std::string file = path.empty() ? default_config_path() : path;
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    if (!path.empty()) return config_error{file, "cannot read config file (does it exist?)"};
  } else {
    if (!S_ISREG(st.st_mode)) return config_error{file, "is not a regular file"};
    if (st.st_size > (1 << 20)) return config_error{file, "is larger than 1 MiB"};
    std::ifstream in(file, std::ios::binary);
    if (!in) return config_error{file, "cannot open config file"};
    std::stringstream text;
    text << in.rdbuf();
    if (auto err = apply_json(s, text.str(), file)) return err;
  }
  return apply_env(s, envp);
}

std::string to_json(const settings& s) {
  std::string out = "{\n";
  auto ks = detail::keys();
  for (size_t i = 0; i < ks.size(); ++i) {
    out += "  \"" + std::string(ks[i].name) + "\": ";
    out += ks[i].show(s);
    out += i + 1 < ks.size() ? ",\n" : "\n";
  }
  return out + "}\n";
}

} // namespace rbee::config
