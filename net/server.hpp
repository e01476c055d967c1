#pragma once
// The HTTP front (Boost.Beast): the job API, SSE streams, limits and access
// checks. Talks to actors only through the typed handles of messages/.
// This header keeps Beast out of the files that include it.

#include "config/settings.hpp"
#include "messages/interfaces.hpp"

#include "messages/errc.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rbee::net {

/// An answer of an extra route: a body, or an error (mapped to HTTP in one place).
struct static_reply {
  errc error = errc::none;
  std::string body; ///< the error's message when `error` is set
  std::string content_type = "application/json";
  std::string file; ///< when set: the body is this file, streamed from disk (body unused)
  /// When set: the answer is what this returns, worked out on a thread of its own (it may
  /// block, e.g. on another server) so that the HTTP threads keep serving meanwhile.
  std::function<static_reply()> later;

  static_reply() = default;
  static_reply(errc e, std::string b, std::string type = "application/json", std::string f = {},
               std::function<static_reply()> l = {})
      : error(e), body(std::move(b)), content_type(std::move(type)), file(std::move(f)), later(std::move(l)) {}
};

/// GET routes wired in by the program (the dashboard at /, the worker catalog:
/// /workers..., /sources/..., the marketplace: /v1/marketplace/...), given the
/// path's segments and the raw query string; nullopt when the path is not theirs.
using extra_routes =
  std::function<std::optional<static_reply>(const std::vector<std::string>& path, const std::string& query)>;

/// The actors the HTTP front talks to.
struct backend {
  caf::actor_system* sys = nullptr;
  queen_actor queen;
  bridge_actor bridge;
  std::string version;
  extra_routes extra; ///< optional
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
