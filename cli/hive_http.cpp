// The hive's own HTTP port (hive_port, default 7835): the hive-level subset of
// the API — GET /health, /v1/capabilities, /v1/models, /v1/workers — answered
// by the hive actor of this process (ARCHITECTURE.md). Jobs go through the queen.
#include "cli/app.hpp"
#include "messages/interfaces.hpp"
#include "messages/json.hpp"
#include "net/server.hpp"

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

namespace rbee::cli {

net::extra_routes hive_routes(caf::actor_system& sys, hive_actor hive) {
  return [&sys, hive](const std::vector<std::string>& path, const std::string&) -> std::optional<net::static_reply> {
    if (path.size() != 2 || path[0] != "v1") return std::nullopt;
    const std::string what = path[1];
    if (what != "capabilities" && what != "models" && what != "workers") return std::nullopt;
    // Asked on a thread of its own (a scoped actor blocks while it waits).
    return net::static_reply{errc::none, "", "", "", [&sys, hive, what] {
      caf::scoped_actor self{sys};
      net::static_reply out{errc::unavailable, "the hive did not answer", ""};
      auto failed = [&](caf::error& e) { out = net::static_reply{code_of(e), message_of(e), ""}; };
      auto t = std::chrono::seconds(10);
      if (what == "capabilities")
        self->request(hive, t, caps_atom::value)
          .receive([&](capabilities& c) { out = net::static_reply{errc::none, json::write(c)}; }, failed);
      else if (what == "models")
        self->request(hive, t, models_atom::value)
          .receive([&](std::vector<model_entry>& m) { out = net::static_reply{errc::none, json::write(m)}; },
                   failed);
      else
        self->request(hive, t, workers_atom::value)
          .receive([&](std::vector<worker_info>& w) { out = net::static_reply{errc::none, json::write(w)}; },
                   failed);
      return out;
    }};
  };
}

} // namespace rbee::cli
