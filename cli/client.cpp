#include "cli/client.hpp"

#include "cli/app.hpp"
#include "json/parse.hpp"

#include <rapidjson/document.h>

#include <cstdio>
#include <iostream>

namespace rbee::cli {

std::optional<client> connect(const config::settings& s) {
  std::string err;
  auto u = net::parse_url(s.queen_url, err);
  if (!u) {
    std::cerr << "rbee: queen_url: " << err << "\n";
    return std::nullopt;
  }
  client c{*u, {}, s.queen_url};
  if (!s.api_token.empty()) c.auth.emplace_back("Authorization", "Bearer " + s.api_token);
  return c;
}

int report(const client& c, const net::http_result& r) {
  if (r.status == 0) {
    std::cerr << "rbee: no queen answers at " << c.base << " (" << r.error
              << "); start one with `rbee serve`\n";
    return failure;
  }
  rapidjson::Document d;
  rbee::json::parse(d, r.body);
  if (!d.HasParseError() && d.IsObject() && d.HasMember("error") && d["error"].IsObject() &&
      d["error"].HasMember("message") && d["error"]["message"].IsString()) {
    std::string code = d["error"].HasMember("code") && d["error"]["code"].IsString() ? d["error"]["code"].GetString() : "";
    std::cerr << "rbee: " << (code.empty() ? "" : code + ": ") << d["error"]["message"].GetString() << "\n";
  } else {
    std::cerr << "rbee: HTTP " << r.status << ": " << r.body.substr(0, 300) << "\n";
  }
  return failure;
}

std::optional<int> get_list(const client& c, const std::string& path, const char* key, rapidjson::Document& d) {
  auto r = net::http_call(c.u, "GET", path, {}, c.auth);
  if (r.status != 200) return report(c, r);
  if (json_output) {
    std::printf("%s\n", r.body.c_str());
    return ok;
  }
  rbee::json::parse(d, r.body);
  if (d.HasParseError() || !d.IsObject() || !d.HasMember(key) || !d[key].IsArray()) {
    std::cerr << "rbee: the queen answered something unexpected\n";
    return failure;
  }
  return std::nullopt;
}

} // namespace rbee::cli
