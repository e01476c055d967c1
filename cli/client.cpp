#include "cli/client.hpp"

#include "cli/app.hpp"
#include "json/parse.hpp"
#include "net/identity.hpp"

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
  client c{*u, {}, s.queen_url, s.api_token};
  if (!authorize(c)) return std::nullopt;
  if (config::is_loopback(c.u.host)) warn_if_settings_differ(s, c.u.port); // the background server, started earlier
  return c;
}

bool authorize(client& c) {
  if (c.token.empty() || !c.auth.empty()) return true;
  if (config::is_loopback(c.u.host)) {
    auto why = net::check_server_identity(c.u);
    if (why && *why == "unreachable") return true; // nobody to send it to yet
    if (why) {
      std::cerr << "rbee: not sending the API token to " << c.base << ": " << *why
                << ". Is another program listening on that port?\n";
      return false;
    }
  }
  c.auth.emplace_back("Authorization", "Bearer " + c.token);
  return true;
}

std::string terminal_safe(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == 0x1b) { // ESC: skip the whole sequence
      if (i + 1 < s.size() && s[i + 1] == '[') { // CSI: parameters, then one final byte 0x40-0x7e
        for (i += 2; i < s.size() && !(s[i] >= 0x40 && s[i] <= 0x7e); ++i) {
        }
      } else if (i + 1 < s.size() && (s[i + 1] == ']' || s[i + 1] == 'P' || s[i + 1] == '_' || s[i + 1] == '^')) {
        // OSC, DCS, APC, PM: up to BEL or ST (ESC \)
        for (i += 2; i < s.size() && s[i] != '\a' && !(s[i] == 0x1b && i + 1 < s.size() && s[i + 1] == '\\'); ++i) {
        }
        if (i < s.size() && s[i] == 0x1b) ++i;
      } else {
        ++i; // a two-byte sequence
      }
      continue;
    }
    if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) continue;
    if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(s[i + 1]) <= 0x9f) { // C1 controls (U+0080-U+009F), e.g. CSI as U+009B
      ++i;
      continue;
    }
    out += static_cast<char>(c);
  }
  return out;
}

int report(const client& c, const net::http_result& r) {
  if (r.status == 0) {
    // The command that would answer here: a local server on this very port; a
    // queen elsewhere is the user's to start.
    std::string start = "`rbee serve --port " + c.u.port + "` (`rbee run MODEL` starts it for you)";
    if (!config::is_loopback(c.u.host)) start = "`rbee queen --bind " + c.u.host + " --port " + c.u.port + "` on that machine";
    std::cerr << "rbee: no queen answers at " << c.base << " (" << r.error << "); start one with " << start << "\n";
    return failure;
  }
  rapidjson::Document d;
  rbee::json::parse(d, r.body);
  if (!d.HasParseError() && d.IsObject() && d.HasMember("error") && d["error"].IsObject() &&
      d["error"].HasMember("message") && d["error"]["message"].IsString()) {
    std::string code = d["error"].HasMember("code") && d["error"]["code"].IsString() ? d["error"]["code"].GetString() : "";
    std::cerr << "rbee: " << terminal_safe(code.empty() ? "" : code + ": ") << terminal_safe(d["error"]["message"].GetString())
              << "\n";
  } else {
    std::cerr << "rbee: HTTP " << r.status << ": " << terminal_safe(r.body.substr(0, 300)) << "\n";
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
