#include "net/conn_limits.hpp"

namespace rbee::net {

bool conn_limits::admit(const std::string& client) {
  std::lock_guard<std::mutex> g{mtx_};
  auto& c = clients_[client];
  if (connections_ >= caps_.connections || c.connections >= caps_.connections_per_client) {
    if (c.connections == 0 && c.streams == 0) clients_.erase(client);
    return false;
  }
  ++connections_;
  ++c.connections;
  return true;
}

bool conn_limits::to_stream(const std::string& client) {
  std::lock_guard<std::mutex> g{mtx_};
  auto& c = clients_[client];
  if (streams_ >= caps_.streams || c.streams >= caps_.streams_per_client) return false;
  --connections_;
  --c.connections;
  ++streams_;
  ++c.streams;
  return true;
}

void conn_limits::leave(const std::string& client, bool stream) {
  std::lock_guard<std::mutex> g{mtx_};
  auto it = clients_.find(client);
  if (it == clients_.end()) return;
  if (stream) {
    --streams_;
    --it->second.streams;
  } else {
    --connections_;
    --it->second.connections;
  }
  if (it->second.connections <= 0 && it->second.streams <= 0) clients_.erase(it);
}

int conn_limits::connections() const {
  std::lock_guard<std::mutex> g{mtx_};
  return connections_;
}

int conn_limits::streams() const {
  std::lock_guard<std::mutex> g{mtx_};
  return streams_;
}

} // namespace rbee::net
