#pragma once
// Spawning rbee's actors together: the queen side (sse bridge + queen), and the
// embedded node (plus a hive in the same process) of `rbee serve`, the tests and
// the benchmarks.

#include "config/settings.hpp"
#include "messages/interfaces.hpp"

#include <memory>
#include <string>

namespace rbee {

struct node {
  bridge_actor bridge;
  queen_actor queen;
  hive_actor hive; ///< null on a queen without a local hive

  /// Sends every actor of the node an exit message (the actor system's
  /// destructor then returns promptly).
  void shutdown() const;
};

struct hive_options;

/// A hive's options from the settings (model store, worker limits).
hive_options hive_options_for(const config::settings& s, const std::string& hive_id, const std::string& version);

/// The sse bridge and the queen, configured from `s`.
node spawn_queen_side(caf::actor_system& sys, const config::settings& s, const std::string& version,
                      std::shared_ptr<const std::string> cluster_address = nullptr);

/// The queen side plus a hive `hive_id` in this process, registered with the
/// queen when this returns (`registered` tells whether it did in time);
/// `local_catalog_url`: see hive_options.
node spawn_embedded(caf::actor_system& sys, const config::settings& s, const std::string& version,
                    const std::string& hive_id, bool* registered = nullptr,
                    std::shared_ptr<const std::string> local_catalog_url = nullptr);

} // namespace rbee
