#pragma once
// Shared pieces of the end-to-end tests: start real `rbee` processes in a
// private XDG environment and talk to them over HTTP.

#include "net/http_client.hpp"
#include "tests/support/process.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <thread>

namespace rbee::test {

/// XDG variables pointing into a fresh temporary directory.
inline std::vector<std::string> private_env() {
  auto dir = temp_dir();
  return {"XDG_CONFIG_HOME=" + dir + "/config", "XDG_DATA_HOME=" + dir + "/data",
          "XDG_CACHE_HOME=" + dir + "/cache", "XDG_STATE_HOME=" + dir + "/state", "RBEE_LOG_LEVEL=warn"};
}

/// A started rbee_daemon and the port of its `listening on` line.
struct rbee_daemon {
  std::unique_ptr<process> proc;
  int port = 0;
  net::url url() const { return net::url{"127.0.0.1", std::to_string(port)}; }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port); }
};

inline rbee_daemon start_daemon(std::vector<std::string> args, std::vector<std::string> env) {
  rbee_daemon d;
  args.insert(args.begin(), rbee_bin());
  d.proc = std::make_unique<process>(args, env);
  auto line = d.proc->read_line(std::chrono::seconds(20));
  EXPECT_TRUE(line) << "no output; stderr: " << d.proc->stderr_text();
  if (line) d.port = port_of(*line);
  EXPECT_GT(d.port, 0) << (line ? *line : "");
  return d;
}

/// An environment for a hive: `base` (default: a fresh private one) with its own
/// state directory, holding the credentials of a token the queen of `queen_env`
/// issued for `id` (`rbee cluster add-hive ID --address CLUSTER`, then `rbee
/// hive join TOKEN`): `rbee hive` joins with it.
inline std::vector<std::string> joined_hive_env(const std::string& id, const std::string& cluster,
                                                const std::vector<std::string>& queen_env,
                                                std::vector<std::string> base = private_env()) {
  auto henv = std::move(base);
  for (auto& e : henv)
    if (e.starts_with("XDG_STATE_HOME=")) e = "XDG_STATE_HOME=" + temp_dir() + "/state";
  auto tok = run({rbee_bin(), "cluster", "add-hive", id, "--address", cluster}, queen_env, std::chrono::seconds(20));
  EXPECT_EQ(tok.status, 0) << tok.err;
  auto j = run({rbee_bin(), "hive", "join", tok.out.substr(0, tok.out.find('\n'))}, henv, std::chrono::seconds(20));
  EXPECT_EQ(j.status, 0) << j.err;
  return henv;
}

/// Polls `pred` every 50 ms until it holds or `timeout` passes.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

} // namespace rbee::test
