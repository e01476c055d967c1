// Build scripts run for real: bash in its own process group, inside
// bubblewrap when it is here. Canary scripts try to escape and must fail.
#include "io/sandbox.hpp"
#include "messages/errc_code.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using namespace rbee;
namespace fs = std::filesystem;

namespace {

struct Sandbox : ::testing::TestWithParam<bool> {
  fs::path dir;
  sandbox_options opts;
  std::vector<std::pair<std::string, bool>> lines;
  std::atomic<bool> cancel{false};

  void SetUp() override {
    std::string why;
    if (GetParam() && !sandbox_available(&why)) GTEST_SKIP() << why;
    dir = fs::temp_directory_path() / ("rbee-sandbox-" + std::to_string(::getpid()) + "-" +
                                       std::to_string(std::hash<std::string>{}(
                                           ::testing::UnitTest::GetInstance()->current_test_info()->name())));
    fs::remove_all(dir);
    fs::create_directories(dir / "tree");
    fs::create_directories(dir / "secret");
    std::ofstream(dir / "secret" / "token") << "s3cret";
    opts.tree = (dir / "tree").string();
    opts.sandbox = GetParam();
    opts.hide = {(dir / "secret").string()};
  }
  void TearDown() override { fs::remove_all(dir); }

  script_result run(const std::string& script) {
    auto r = run_script(script, opts, [&](std::string_view l, bool e) { lines.emplace_back(std::string(l), e); }, cancel);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : script_result{};
  }
};

TEST_P(Sandbox, StreamsLinesWithTheirStreamAndExportsTheEnvironment) {
  opts.env = {{"pkgname", "demo"}, {"srcdir", opts.tree + "/src"}};
  auto r = run("echo one; echo two >&2; printf 'no newline'; echo; echo \"$pkgname $srcdir\"; pwd; echo made > out.txt");
  EXPECT_EQ(r.exit_code, 0);
  // Two pipes: order is kept within each stream, not across them.
  std::vector<std::string> out, err;
  for (auto& [l, e] : lines) (e ? err : out).push_back(l);
  EXPECT_EQ(err, std::vector<std::string>{"two"});
  EXPECT_EQ(out, (std::vector<std::string>{"one", "no newline", "demo " + opts.tree + "/src", opts.tree}));
  EXPECT_TRUE(fs::exists(dir / "tree" / "out.txt"));
}

TEST_P(Sandbox, AFailingCommandStopsTheScriptAndKeepsTheTail) {
  opts.tail_lines = 3;
  auto r = run("for i in $(seq 1 10); do echo line $i; done; false; echo never");
  EXPECT_EQ(r.exit_code, 1);
  ASSERT_EQ(r.tail.size(), 3u);
  EXPECT_EQ(r.tail.back(), "line 10");
  for (auto& [l, e] : lines) EXPECT_NE(l, "never");
}

TEST_P(Sandbox, LongLinesAreCutNotLost) {
  auto r = run("head -c 100000 /dev/zero | tr '\\0' x; echo; echo after");
  EXPECT_EQ(r.exit_code, 0);
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines.back().first, "after");
  size_t total = 0;
  for (auto& [l, e] : lines) {
    EXPECT_LE(l.size(), 16u << 10);
    total += l.size();
  }
  EXPECT_EQ(total, 100000u + 5u);
}

TEST_P(Sandbox, CancelKillsTheWholeGroupPromptly) {
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancel = true;
  });
  auto start = std::chrono::steady_clock::now();
  auto r = run("(sleep 60; echo child) & sleep 60 & echo started; wait");
  t.join();
  EXPECT_TRUE(r.cancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  EXPECT_EQ(r.exit_code, 128 + 9);
  for (auto& [l, e] : lines) EXPECT_NE(l, "child");
}

TEST_P(Sandbox, BackgroundLeftoversDoNotHoldTheBuild) {
  auto start = std::chrono::steady_clock::now();
  auto r = run("sleep 60 & echo done");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

TEST_P(Sandbox, RefusesARelativeOrMissingTree) {
  opts.tree = "relative/tree";
  auto r = run_script("true", opts, nullptr, cancel);
  ASSERT_FALSE(r);
  opts.tree = (dir / "missing").string();
  r = run_script("true", opts, nullptr, cancel);
  ASSERT_FALSE(r);
}

INSTANTIATE_TEST_SUITE_P(Modes, Sandbox, ::testing::Values(false, true),
                         [](const auto& i) { return i.param ? "bwrap" : "direct"; });

// The canaries: only meaningful inside the sandbox.
struct Canary : Sandbox {};

TEST_P(Canary, CannotWriteOutsideTheTree) {
  auto target = dir / "escaped";
  // Beside the tree, under /tmp: the build sees a private /tmp, so the write
  // may "succeed" there, but nothing reaches the real one.
  run("echo x > '" + target.string() + "'");
  EXPECT_FALSE(fs::exists(target));
  auto r = run("echo x > '" + (dir / "secret" / "planted").string() + "'");
  EXPECT_FALSE(fs::exists(dir / "secret" / "planted"));
  r = run("touch /usr/rbee-canary");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_FALSE(fs::exists("/usr/rbee-canary"));
}

TEST_P(Canary, CannotReachTheNetwork) {
  // A real listener on loopback: reachable from here, not from the build.
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(s, 4), 0);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  auto port = std::to_string(ntohs(a.sin_port));
  opts.sandbox = false;
  auto control = run("exec 3<>/dev/tcp/127.0.0.1/" + port + " && echo connected");
  EXPECT_EQ(control.exit_code, 0) << "the control run (no sandbox) must connect";
  opts.sandbox = true;
  auto r = run("exec 3<>/dev/tcp/127.0.0.1/" + port + " && echo connected");
  EXPECT_NE(r.exit_code, 0);
  ::close(s);
}

TEST_P(Canary, CannotReadHiddenDirectories) {
  auto token = (dir / "secret" / "token").string();
  auto r = run("cat '" + token + "'");
  EXPECT_NE(r.exit_code, 0);
  for (auto& [l, e] : lines) EXPECT_EQ(l.find("s3cret"), std::string::npos);
}

TEST_P(Canary, SeesItsOwnPidNamespace) {
  auto r = run("echo $$; ps -e 2>/dev/null | wc -l || true");
  EXPECT_EQ(r.exit_code, 0);
  ASSERT_FALSE(lines.empty());
  EXPECT_LE(std::stoi(lines[0].first), 10) << "bash should be a low PID in a fresh namespace";
}

/// A UNIX socket listener at `path` (removed with the object).
struct unix_listener {
  std::string path;
  int fd = -1;
  explicit unix_listener(std::string p) : path(std::move(p)) {
    ::unlink(path.c_str());
    fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 8) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ~unix_listener() {
    if (fd >= 0) ::close(fd);
    ::unlink(path.c_str());
  }
};

std::string connect_script(const std::string& path) {
  return "python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); print(\"connected\")' '" +
         path + "'";
}

std::string home() {
  const char* h = std::getenv("HOME");
  return h && *h ? h : "/root";
}

// A host UNIX socket is a way out of any sandbox that only mounts read-only:
// connect() needs no write access (systemd's user bus gives `systemd-run --user`,
// docker.sock gives root). Listeners in $HOME, /run and /tmp: reachable without the
// sandbox (the control), unreachable from build() and package().
TEST_P(Canary, CannotConnectToHostUnixSockets) {
  if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "python3 is not installed";
  std::string tag = "rbee-canary-" + std::to_string(::getpid());
  std::vector<std::unique_ptr<unix_listener>> ls;
  for (auto d : {home(), std::string("/run"), std::string("/tmp")}) {
    ls.push_back(std::make_unique<unix_listener>(d + "/" + tag + ".sock"));
    ASSERT_GE(ls.back()->fd, 0) << ls.back()->path;
  }
  for (auto& l : ls) {
    opts.sandbox = false;
    lines.clear();
    auto control = run(connect_script(l->path));
    EXPECT_EQ(control.exit_code, 0) << "the control run must connect to " << l->path;
    opts.sandbox = true;
    lines.clear();
    auto r = run(connect_script(l->path));
    EXPECT_NE(r.exit_code, 0) << l->path;
    for (auto& [line, e] : lines) EXPECT_NE(line, "connected") << l->path;
  }
  // Not even a fresh UNIX socket (the seccomp filter), nor io_uring beside it.
  lines.clear();
  auto r = run("python3 -c 'import socket; socket.socket(socket.AF_UNIX)' 2>&1 || echo refused");
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back().first, "refused");
  lines.clear();
  r = run("python3 -c 'import ctypes; l=ctypes.CDLL(None, use_errno=True); l.syscall(425, 8, 0); print(ctypes.get_errno())'");
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back().first, "13") << "io_uring_setup must fail with EACCES";
}

TEST_P(Canary, CannotReadTheUsersSecrets) {
  std::string ssh = home() + "/.ssh";
  bool made = !fs::exists(ssh);
  fs::create_directories(ssh);
  std::string secret = ssh + "/rbee-canary-" + std::to_string(::getpid());
  std::ofstream(secret) << "PRIVATE KEY";
  opts.sandbox = false;
  auto control = run("cat '" + secret + "'");
  EXPECT_EQ(control.exit_code, 0);
  opts.sandbox = true;
  lines.clear();
  auto r = run("cat '" + secret + "' || ls -A '" + home() + "' /run /var/tmp /dev/shm");
  for (auto& [l, e] : lines) EXPECT_EQ(l.find("PRIVATE KEY"), std::string::npos);
  // The home, /run, /var/tmp and /dev/shm are empty in there (but for the tree).
  for (auto& [l, e] : lines)
    if (!e && !l.empty() && l.back() != ':') {
      EXPECT_TRUE(opts.tree.find(l) != std::string::npos) << l;
    }
  fs::remove(secret);
  if (made) fs::remove(ssh);
}

INSTANTIATE_TEST_SUITE_P(InBwrap, Canary, ::testing::Values(true), [](const auto&) { return "bwrap"; });

} // namespace
