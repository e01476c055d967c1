#pragma once
// Raw bytes over a loopback TCP socket, for hostile-input tests that a proper
// HTTP client would refuse to send.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

namespace rbee::test {

/// A loopback TCP connection to `port` from the address `from` (any of 127.0.0.0/8,
/// so that tests can be "another client"); -1 when it fails.
inline int raw_connect(int port, const char* from = nullptr) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (from) {
    sockaddr_in src{};
    src.sin_family = AF_INET;
    inet_pton(AF_INET, from, &src.sin_addr);
    if (bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof(src)) != 0) {
      close(fd);
      return -1;
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/// Sends `bytes` on fd, reads until the server closes, `timeout` passes or (with
/// `until`) the text read contains `until`; does not close fd.
inline std::string raw_exchange(int fd, const std::string& bytes, std::chrono::milliseconds timeout,
                                const std::string& until = {}) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break; // the server may close early (e.g. 413 before the whole body)
    sent += static_cast<size_t>(n);
  }
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (!until.empty() && out.find(until) != std::string::npos) break;
  }
  return out;
}

/// Sends `bytes`, reads until the server closes or `timeout` passes.
inline std::string raw_http(int port, const std::string& bytes,
                            std::chrono::milliseconds timeout = std::chrono::seconds(5), const char* from = nullptr) {
  int fd = raw_connect(port, from);
  if (fd < 0) return "";
  auto out = raw_exchange(fd, bytes, timeout);
  close(fd);
  return out;
}

/// The status code of a raw response ("HTTP/1.1 404 ..."), 0 if none.
inline int raw_status(const std::string& response) {
  if (response.size() < 12 || response.rfind("HTTP/1.", 0) != 0) return 0;
  return std::atoi(response.c_str() + 9);
}

} // namespace rbee::test
