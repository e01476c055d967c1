#pragma once
// Who may open one more connection or stream: HTTP connections and SSE streams are
// counted apart, in all and per client address, so one client holding thousands
// of idle sockets or streams cannot starve another's requests. Checked when a
// connection is accepted, before a byte of its headers is read. Thread-safe.

#include <mutex>
#include <string>
#include <unordered_map>

namespace rbee::net {

class conn_limits {
public:
  struct caps {
    int connections = 2048, connections_per_client = 512;
    int streams = 4096, streams_per_client = 256;
  };
  explicit conn_limits(caps c) : caps_(c) {}

  /// A new connection from `client`: counted and true, or false (refuse it).
  bool admit(const std::string& client);
  /// The connection becomes an SSE stream: it stops counting as a connection and
  /// counts as a stream (true), or stays a connection (false: refuse the stream).
  bool to_stream(const std::string& client);
  /// A connection (stream: an SSE stream) closed.
  void leave(const std::string& client, bool stream);

  int connections() const;
  int streams() const;

private:
  struct counts {
    int connections = 0, streams = 0;
  };
  caps caps_;
  mutable std::mutex mtx_;
  int connections_ = 0, streams_ = 0;
  std::unordered_map<std::string, counts> clients_;
};

} // namespace rbee::net
