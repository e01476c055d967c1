#pragma once
// The keeper's connection to the queen's HTTP API.

#include "config/settings.hpp"
#include "net/http_client.hpp"

#include <optional>
#include <string>

namespace rbee::cli {

struct client {
  net::url u;
  net::headers auth;
  std::string base;
};

/// The queen named by queen_url (with the API token); prints the problem and
/// returns nullopt when the URL is unusable.
std::optional<client> connect(const config::settings& s);

/// Prints why a call failed (no queen, or the API's error message); returns 1.
int report(const client& c, const net::http_result& r);

} // namespace rbee::cli
