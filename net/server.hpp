#pragma once
// The HTTP front (Boost.Beast): the job API, SSE streams, limits and access
// checks. Talks to actors only through the typed handles of messages/.
// This header keeps Beast out of the files that include it.

#include "config/settings.hpp"
#include "messages/interfaces.hpp"

#include <memory>
#include <string>

namespace rbee::net {

/// The actors the HTTP front talks to.
struct backend {
  caf::actor_system* sys = nullptr;
  queen_actor queen;
  bridge_actor bridge;
  std::string version;
};

class http_server {
public:
  http_server(config::settings s, backend b);
  ~http_server();

  /// Binds and listens; returns the bound port (useful with port 0). Throws
  /// std::runtime_error with a readable message when the address is unusable.
  uint16_t start(const std::string& bind, uint16_t port);

  /// Stops accepting, closes every connection, joins the io threads.
  void stop();

  /// Open connections right now.
  int connections() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace rbee::net
