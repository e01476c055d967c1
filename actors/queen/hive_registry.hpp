#pragma once
// The queen's hive registry: who joined, their capabilities, liveness by lease.
// Plain class; the queen actor feeds it registrations, heartbeats, down messages
// and clock ticks.

#include "messages/interfaces.hpp"

#include <caf/actor_addr.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rbee {

class hive_registry {
public:
  struct entry {
    hive_info info;
    hive_actor handle;
    int64_t lease_until_ms = 0;
  };

  /// Adds or replaces a hive (a restarted hive rejoins under its id with a new epoch).
  /// Returns the previous handle, if any, so the caller can stop monitoring it.
  std::optional<hive_actor> join(const hive_registration& reg, hive_actor handle, bool local,
                                 int64_t now, int64_t lease_ms);

  /// Records a heartbeat; false if the hive or epoch is unknown (stale sender).
  bool heartbeat(const hive_heartbeat& hb, int64_t now, int64_t lease_ms);

  /// Marks a hive lost; returns false when it was not online.
  bool lose(const std::string& id, std::string reason, int64_t now);

  /// The hive whose handle has address `addr`.
  const entry* by_address(const caf::actor_addr& addr) const;

  /// Online hives whose lease ran out by `now`.
  std::vector<std::string> expired(int64_t now) const;

  const entry* find(const std::string& id) const;
  std::vector<hive_info> list() const;

private:
  std::map<std::string, entry> hives_;
};

} // namespace rbee
