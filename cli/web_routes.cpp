// The routes `rbee serve` / `rbee queen` add to the API: the dashboard at /
// (embedded files), the marketplace (/v1/marketplace/models[/ORG/REPO]: the
// Hugging Face API through the queen, cached), and the worker catalog.
#include "cli/hf_market.hpp"
#include "cli/app.hpp"
#include "cluster/queen_pki.hpp"
#include "cluster/ssh.hpp"
#include "json/writer.hpp"
#include "dashboard/assets.hpp"
#include "messages/errc.hpp"
#include "net/server.hpp"

#include <chrono>
#include <map>
#include <mutex>
#include <set>

namespace rbee::cli {

namespace {

std::string url_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

/// `key=value` pairs of a query string, decoded.
std::map<std::string, std::string> query_params(const std::string& q) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start <= q.size() && out.size() < 32) {
    size_t amp = q.find('&', start);
    std::string_view part(q.data() + start, (amp == std::string::npos ? q.size() : amp) - start);
    auto eq = part.find('=');
    if (!part.empty()) out[url_decode(part.substr(0, eq))] = eq == std::string_view::npos ? "" : url_decode(part.substr(eq + 1));
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return out;
}

/// Hugging Face answers, kept for five minutes (at most 256 of them).
class market_cache {
public:
  market_cache(std::string endpoint, std::string token) : endpoint_(std::move(endpoint)), token_(std::move(token)) {}

  net::static_reply get(const std::string& key, const std::function<caf::expected<std::string>()>& fetch) {
    auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard<std::mutex> g{mtx_};
      if (auto it = cache_.find(key); it != cache_.end() && now - it->second.first < std::chrono::minutes(5))
        return {errc::none, it->second.second};
    }
    auto r = fetch(); // outside the lock: a slow Hugging Face holds up only this request
    if (!r) return {code_of(r.error()), message_of(r.error()), ""};
    std::lock_guard<std::mutex> g{mtx_};
    if (cache_.size() >= 256) cache_.clear();
    cache_[key] = {now, *r};
    return {errc::none, std::move(*r)};
  }

  net::static_reply route(const std::vector<std::string>& path, const std::string& query) {
    if (path.size() == 3) {
      auto p = query_params(query);
      market_query q;
      q.search = p["search"];
      if (p.count("sort") && !p["sort"].empty()) q.sort = p["sort"];
      if (p.count("limit")) {
        const auto& l = p["limit"];
        q.limit = l.empty() || l.size() > 3 || l.find_first_not_of("0123456789") != std::string::npos ? -1 : std::stoi(l);
      }
      if (auto err = check_market_query(q)) return {code_of(err), message_of(err), ""};
      return get("s|" + q.search + "|" + q.sort + "|" + std::to_string(q.limit),
                 [&] { return market_search(endpoint_, token_, q); });
    }
    if (path.size() == 5) {
      std::string repo = path[3] + "/" + path[4];
      return get("m|" + repo, [&] { return market_model(endpoint_, token_, repo); });
    }
    return {errc::not_found, "no such marketplace route", ""};
  }

private:
  std::string endpoint_, token_;
  std::mutex mtx_;
  std::map<std::string, std::pair<std::chrono::steady_clock::time_point, std::string>> cache_;
};

/// GET /v1/hosts: the Host aliases of the user's ssh config (where `rbee hive
/// install --host` can put a hive) and whether this queen issued a hive of that
/// name; the dashboard joins it with /v1/hives for their states.
net::static_reply hosts(const std::string& ssh_config, const std::string& state_dir) {
  std::set<std::string> issued;
  if (auto h = cluster::list_hives(cluster::queen_paths(state_dir)))
    for (auto& r : *h) issued.insert(r.hive_id);
  rapidjson::StringBuffer buf;
  json::writer w(buf);
  w.StartObject();
  w.Key("hosts");
  w.StartArray();
  for (auto& alias : cluster::config_hosts(cluster::user_ssh_config(ssh_config))) {
    w.StartObject();
    w.Key("host");
    w.String(alias);
    w.Key("issued");
    w.Bool(issued.count(alias) > 0);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {errc::none, std::string(buf.GetString(), buf.GetSize())};
}

} // namespace

net::extra_routes web_routes(const config::settings& s, net::extra_routes catalog) {
  auto market = std::make_shared<market_cache>(s.hf_endpoint, s.hf_token);
  return [market, catalog, ssh_config = s.ssh_config, state_dir = s.state_dir](const std::vector<std::string>& path, const std::string& query) -> std::optional<net::static_reply> {
    auto file = [](std::string_view p) -> std::optional<net::static_reply> {
      auto* a = dashboard::find_asset(p);
      if (!a) return std::nullopt;
      return net::static_reply{errc::none, std::string(a->body), std::string(a->content_type)};
    };
    if (path.empty()) return file("/index.html");
    if (path.size() == 1)
      if (auto r = file("/" + path[0])) return r;
    if (path.size() >= 3 && path[0] == "v1" && path[1] == "marketplace" && path[2] == "models") // may wait on HF
      return net::static_reply{errc::none, "", "", "", [market, path, query] { return market->route(path, query); }};
    if (path.size() == 2 && path[0] == "v1" && path[1] == "hosts") // reads files: off the HTTP threads
      return net::static_reply{errc::none, "", "", "", [ssh_config, state_dir] { return hosts(ssh_config, state_dir); }};
    if (catalog && !path.empty() && path[0] != "v1") return catalog(path, query);
    return std::nullopt;
  };
}

} // namespace rbee::cli
