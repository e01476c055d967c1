#include "actors/queen/hive_registry.hpp"

namespace rbee {

std::optional<hive_actor> hive_registry::join(const hive_registration& reg, hive_actor handle,
                                              bool local, int64_t now, int64_t lease_ms) {
  std::optional<hive_actor> previous;
  auto& e = hives_[reg.hive_id];
  if (e.handle && e.handle != handle) previous = e.handle;
  e.info.hive_id = reg.hive_id;
  e.info.version = reg.version;
  e.info.caps = reg.caps;
  e.info.state = hive_state::online;
  e.info.local = local;
  e.info.epoch += 1;
  e.info.joined_ms = now;
  e.info.last_seen_ms = now;
  e.info.lost_reason.clear();
  e.handle = std::move(handle);
  e.lease_until_ms = now + lease_ms;
  return previous;
}

bool hive_registry::heartbeat(const hive_heartbeat& hb, int64_t now, int64_t lease_ms) {
  auto i = hives_.find(hb.hive_id);
  if (i == hives_.end() || i->second.info.epoch != hb.epoch ||
      i->second.info.state != hive_state::online)
    return false;
  i->second.info.last_seen_ms = now;
  i->second.info.caps.ram_available = hb.ram_available;
  if (hb.read_bandwidth) i->second.info.caps.read_bandwidth = hb.read_bandwidth;
  i->second.lease_until_ms = now + lease_ms;
  return true;
}

bool hive_registry::lose(const std::string& id, std::string reason, int64_t now) {
  auto i = hives_.find(id);
  if (i == hives_.end() || i->second.info.state != hive_state::online) return false;
  i->second.info.state = hive_state::lost;
  i->second.info.lost_reason = std::move(reason);
  i->second.handle = nullptr;
  (void)now;
  return true;
}

const hive_registry::entry* hive_registry::by_address(const caf::actor_addr& addr) const {
  for (auto& [id, e] : hives_)
    if (e.handle && e.handle.address() == addr) return &e;
  return nullptr;
}

std::vector<std::string> hive_registry::expired(int64_t now) const {
  std::vector<std::string> out;
  for (auto& [id, e] : hives_)
    if (e.info.state == hive_state::online && !e.info.local && e.lease_until_ms < now)
      out.push_back(id);
  return out;
}

const hive_registry::entry* hive_registry::find(const std::string& id) const {
  auto i = hives_.find(id);
  return i == hives_.end() ? nullptr : &i->second;
}

std::vector<hive_info> hive_registry::list() const {
  std::vector<hive_info> out;
  for (auto& [id, e] : hives_) out.push_back(e.info);
  return out;
}

} // namespace rbee
