#include "config/keys.hpp"

#include <arpa/inet.h>

#include <limits>

namespace rbee::config::detail {

namespace {

std::string quote(const std::string& x) {
  std::string out = "\"";
  for (char c : x) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out + "\"";
}

std::string quote_list(const std::vector<std::string>& xs) {
  std::string out = "[";
  for (size_t i = 0; i < xs.size(); ++i) {
    if (i) out += ',';
    out += quote(xs[i]);
  }
  return out + "]";
}

template <class T>
key_info int_key(const char* name, T settings::*member, int64_t lo, int64_t hi) {
  return {name, key_kind::integer, lo, hi, {},
          [member](settings& s, int64_t v) { s.*member = static_cast<T>(v); }, {},
          [member](const settings& s) { return std::to_string(s.*member); }};
}

key_info text_key(const char* name, std::string settings::*member, key_kind kind = key_kind::text) {
  return {name, kind, 0, 0, [member](settings& s, const std::string& v) { s.*member = v; }, {}, {},
          [member](const settings& s) { return quote(s.*member); }};
}

/// A token: shown as "(set)" when it is, never its value (`rbee config`, logs).
key_info secret_key(const char* name, std::string settings::*member) {
  auto k = text_key(name, member);
  k.show = [member](const settings& s) { return std::string((s.*member).empty() ? "\"\"" : "\"(set)\""); };
  return k;
}

key_info list_key(const char* name, std::vector<std::string> settings::*member) {
  return {name, key_kind::list, 0, 0, {}, {},
          [member](settings& s, std::vector<std::string> v) { s.*member = std::move(v); },
          [member](const settings& s) { return quote_list(s.*member); }};
}

const std::vector<key_info>& table() {
  constexpr int64_t big = std::numeric_limits<int32_t>::max();
  static const std::vector<key_info> t = {
    text_key("bind", &settings::bind, key_kind::address),
    int_key("queen_port", &settings::queen_port, 0, 65535),
    int_key("queen_cluster_port", &settings::queen_cluster_port, 0, 65535),
    int_key("hive_port", &settings::hive_port, 0, 65535),
    int_key("catalog_port", &settings::catalog_port, 0, 65535),
    text_key("queen_url", &settings::queen_url),
    text_key("queen_address", &settings::queen_address),
    text_key("hive_id", &settings::hive_id),
    secret_key("api_token", &settings::api_token),
    list_key("allowed_hosts", &settings::allowed_hosts),
    list_key("cors_origins", &settings::cors_origins),
    text_key("data_dir", &settings::data_dir),
    text_key("cache_dir", &settings::cache_dir),
    text_key("state_dir", &settings::state_dir),
    int_key("http_threads", &settings::http_threads, 1, 64),
    int_key("actor_threads", &settings::actor_threads, 1, 64),
    int_key("max_header_bytes", &settings::max_header_bytes, 1024, 1 << 20),
    int_key("max_body_bytes", &settings::max_body_bytes, 1024, int64_t{1} << 30),
    int_key("read_timeout_ms", &settings::read_timeout_ms, 100, big),
    int_key("max_connections", &settings::max_connections, 1, 1'000'000),
    int_key("max_connections_per_client", &settings::max_connections_per_client, 1, 1'000'000),
    int_key("max_sse_streams", &settings::max_sse_streams, 1, 1'000'000),
    int_key("max_sse_streams_per_client", &settings::max_sse_streams_per_client, 1, 1'000'000),
    int_key("request_timeout_ms", &settings::request_timeout_ms, 100, big),
    int_key("sse_replay_events", &settings::sse_replay_events, 16, 10'000'000),
    int_key("sse_max_queued_bytes", &settings::sse_max_queued_bytes, 4096, int64_t{1} << 32),
    int_key("sse_keepalive_ms", &settings::sse_keepalive_ms, 100, big),
    int_key("max_finished_jobs", &settings::max_finished_jobs, 1, 10'000'000),
    int_key("hive_heartbeat_ms", &settings::hive_heartbeat_ms, 50, big),
    int_key("hive_lease_ms", &settings::hive_lease_ms, 100, big),
    int_key("cluster_heartbeat_ms", &settings::cluster_heartbeat_ms, 50, big),
    int_key("cluster_timeout_ms", &settings::cluster_timeout_ms, 100, big),
    text_key("cluster_advertise", &settings::cluster_advertise),
    text_key("ssh_program", &settings::ssh_program),
    text_key("ssh_config", &settings::ssh_config),
    text_key("ssh_strict_host_keys", &settings::ssh_strict_host_keys),
    int_key("hive_join_timeout_s", &settings::hive_join_timeout_s, 1, 24 * 3600),
    text_key("source_tarball", &settings::source_tarball),
    int_key("hive_build_timeout_s", &settings::hive_build_timeout_s, 10, 24 * 3600),
    int_key("worker_slots", &settings::worker_slots, 1, 64),
    int_key("worker_ctx", &settings::worker_ctx, 0, 1 << 20),
    int_key("prompt_cache_mib", &settings::prompt_cache_mib, 0, 1 << 20),
    int_key("keep_alive_s", &settings::keep_alive_s, 0, 7 * 24 * 3600),
    int_key("worker_processes", &settings::worker_processes, 0, 1),
    int_key("hive_memory_mb", &settings::hive_memory_mb, 0, int64_t{1} << 40),
    int_key("worker_max_crashes", &settings::worker_max_crashes, 1, 1000),
    text_key("worker_binary", &settings::worker_binary),
    text_key("hf_endpoint", &settings::hf_endpoint),
    secret_key("hf_token", &settings::hf_token),
    text_key("catalog_url", &settings::catalog_url),
    text_key("catalog_key", &settings::catalog_key),
    int_key("allow_unsigned_catalog", &settings::allow_unsigned_catalog, 0, 1),
    int_key("install_sandbox", &settings::install_sandbox, 0, 1),
    int_key("allow_unverified_downloads", &settings::allow_unverified_downloads, 0, 1),
    int_key("keep_failed_builds", &settings::keep_failed_builds, 0, 1),
    text_key("log_level", &settings::log_level),
  };
  return t;
}

bool valid_ip(const std::string& v) {
  unsigned char buf[16];
  return inet_pton(AF_INET, v.c_str(), buf) == 1 || inet_pton(AF_INET6, v.c_str(), buf) == 1;
}

} // namespace

std::span<const key_info> keys() {
  return table();
}

const key_info* find_key(std::string_view name) {
  for (auto& k : table())
    if (name == k.name) return &k;
  return nullptr;
}

std::optional<config_error> store_int(settings& s, const key_info& k, int64_t v) {
  if (k.kind != key_kind::integer) return config_error{k.name, "must be a string, not a number"};
  if (v < k.min || v > k.max)
    return config_error{k.name, "must be between " + std::to_string(k.min) + " and " +
                                  std::to_string(k.max) + ", got " + std::to_string(v)};
  k.set_int(s, v);
  return std::nullopt;
}

std::optional<config_error> store_text(settings& s, const key_info& k, const std::string& v) {
  if (k.kind == key_kind::integer) return config_error{k.name, "must be an integer"};
  if (k.kind == key_kind::list) return config_error{k.name, "must be a list of strings"};
  for (unsigned char c : v)
    if (c < 0x20 || c == 0x7f) return config_error{k.name, "contains a control character"};
  if (k.kind == key_kind::address && !valid_ip(v))
    return config_error{k.name, "must be an IPv4 or IPv6 address, got '" + v + "'"};
  if (std::string_view(k.name) == "log_level" && v != "trace" && v != "debug" && v != "info" &&
      v != "warn" && v != "error" && v != "off")
    return config_error{k.name, "must be one of trace, debug, info, warn, error, off"};
  k.set_text(s, v);
  return std::nullopt;
}

std::optional<config_error> store_list(settings& s, const key_info& k, std::vector<std::string> v) {
  if (k.kind != key_kind::list) return config_error{k.name, "must not be a list"};
  for (auto& x : v)
    for (unsigned char c : x)
      if (c < 0x20 || c == 0x7f) return config_error{k.name, "contains a control character"};
  k.set_list(s, std::move(v));
  return std::nullopt;
}

} // namespace rbee::config::detail
