// The keeper as a user meets it: `rbee run` starting a server when none
// answers, rbee:// links (valid and hostile), the desktop handler, Ctrl-C
// cancelling the job it started (in a real terminal, driven through tmux),
// --json, shell completion.
#include "tests/e2e/e2e.hpp"
#include "tests/kernels/kernels_test_util.hpp"
#include "tests/support/hf_server.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>

using namespace rbee;
using namespace rbee::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t n = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
  close(fd);
  return ntohs(a.sin_port);
}

std::string dir_of(const std::vector<std::string>& env, const char* var) {
  for (auto& e : env)
    if (e.rfind(std::string(var) + "=", 0) == 0) return e.substr(e.find('=') + 1);
  return "";
}

class Keeper : public ::testing::Test {
protected:
  void SetUp() override {
    have_model = fs::exists(stories("stories260K-q8_0.gguf")); // the tests that need it skip without
    if (have_model) hf.add_file("test/tiny", "tiny-Q8_0.gguf", read_text(stories("stories260K-q8_0.gguf")));
    std::string big(4 << 20, 'x');
    hf.add_file("test/slow", "slow-Q4_0.gguf", big);
    hf.faults("test/slow", "slow-Q4_0.gguf", {-1, -1, false, 256 << 10}); // 16 s
    env = private_env();
    env.push_back("HF_ENDPOINT=" + hf.endpoint());
    env.push_back("RBEE_CATALOG_URL=http://127.0.0.1:1"); // none: the built-in CPU engine serves
  }
  void serve() {
    d = start_daemon({"serve", "--port", "0"}, env);
    env.push_back("RBEE_QUEEN_URL=" + d.base());
  }
  run_result rbee(std::vector<std::string> args, std::vector<std::string> extra = {}) {
    args.insert(args.begin(), rbee_bin());
    auto e = env;
    e.insert(e.end(), extra.begin(), extra.end());
    return run(args, e, 60s);
  }
  hf_server hf;
  bool have_model = false;
  std::vector<std::string> env;
  rbee_daemon d;
};

} // namespace

TEST_F(Keeper, RunStartsABackgroundServerWhenNoneAnswers) {
  if (!have_model) GTEST_SKIP() << "stories260K not found";
  env.push_back("RBEE_QUEEN_URL=http://127.0.0.1:" + std::to_string(free_port()));
  auto r = rbee({"run", stories("stories260K-q8_0.gguf"), "Once upon a time", "-n", "8"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto at = r.err.find("started `rbee serve` in the background (pid ");
  ASSERT_NE(at, std::string::npos) << r.err;
  int pid = std::stoi(r.err.substr(at + 44));
  EXPECT_FALSE(r.out.empty());
  EXPECT_TRUE(fs::exists(dir_of(env, "XDG_STATE_HOME") + "/rbee/serve.log"));
  // The server outlives the keeper; the next command finds it and starts nothing.
  auto again = rbee({"run", stories("stories260K-q8_0.gguf"), "Once upon a time", "-n", "4"});
  EXPECT_EQ(again.status, 0) << again.err;
  EXPECT_EQ(again.err.find("started"), std::string::npos) << again.err;
  EXPECT_EQ(again.err.find("[1/5"), std::string::npos) << "steps with nothing to do stay quiet:\n" << again.err;
  auto ps = rbee({"ps", "--json"});
  EXPECT_NE(ps.out.find("\"workers\":[{"), std::string::npos) << ps.out;
  ::kill(pid, SIGTERM);
  EXPECT_TRUE(eventually([&] { return ::kill(pid, 0) != 0 || fs::exists("/proc/" + std::to_string(pid) + "/status") == false ||
                                      read_text("/proc/" + std::to_string(pid) + "/status").find("State:\tZ") != std::string::npos; }, 10s));
  // A remote queen that does not answer is not started here.
  auto remote = rbee({"run", "x/y", "hi", "--queen", "http://192.0.2.1:9"});
  EXPECT_EQ(remote.status, 1);
  EXPECT_EQ(remote.err.find("started"), std::string::npos);
}

// The background server `rbee run` started: `rbee server status|stop|restart`, and
// a word when the keeper's settings changed since it started (an export made later).
TEST_F(Keeper, TheBackgroundServerCanBeSeenStoppedAndRestarted) {
  std::string model = dir_of(env, "XDG_CONFIG_HOME") + "/s15m.gguf";
  fs::create_directories(dir_of(env, "XDG_CONFIG_HOME"));
  ASSERT_EQ(run({rbee_bin(), "model", "synth", "--shape", "stories15m", "--type", "q8_0", "--out", model}, {}, 120s).status, 0);
  std::string port = std::to_string(free_port());
  env.push_back("RBEE_QUEEN_URL=http://127.0.0.1:" + port);
  EXPECT_NE(rbee({"server", "status"}).out.find("no background server"), std::string::npos);
  auto r = rbee({"run", model, "Once", "-n", "2"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto status = rbee({"server", "status"});
  EXPECT_NE(status.out.find("running: pid "), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("http://127.0.0.1:" + port), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("serve.log"), std::string::npos) << status.out;
  EXPECT_EQ(rbee({"ls"}).err.find("other settings"), std::string::npos) << "nothing changed yet";
  // Later: another keep_alive (an export made since). The running server does not have it, and the keeper says so.
  auto changed = rbee({"ls"}, {"RBEE_KEEP_ALIVE_S=60"});
  EXPECT_NE(changed.err.find("runs with other settings than yours (keep_alive_s)"), std::string::npos) << changed.err;
  EXPECT_NE(changed.err.find("rbee server restart"), std::string::npos) << changed.err;
  auto restarted = rbee({"server", "restart"}, {"RBEE_KEEP_ALIVE_S=60"});
  EXPECT_EQ(restarted.status, 0) << restarted.out << restarted.err;
  EXPECT_NE(restarted.err.find("started `rbee serve` in the background"), std::string::npos) << restarted.err;
  EXPECT_EQ(rbee({"ls"}, {"RBEE_KEEP_ALIVE_S=60"}).err.find("other settings"), std::string::npos) << "applied";
  auto stop = rbee({"server", "stop"});
  EXPECT_EQ(stop.status, 0) << stop.err;
  EXPECT_NE(stop.out.find("stopped the background server"), std::string::npos) << stop.out;
  EXPECT_NE(rbee({"server", "status"}).out.find("no background server"), std::string::npos);
  EXPECT_NE(rbee({"ls"}).err.find("`rbee serve --port " + port + "`"), std::string::npos) << "the hint names the port";
}

TEST_F(Keeper, LinksSubmitTheirJobOrAreRefused) {
  if (!have_model) GTEST_SKIP() << "stories260K not found";
  serve();
  auto dl = rbee({"open", "rbee://download/model/huggingface/test/tiny:Q8_0"});
  ASSERT_EQ(dl.status, 0) << dl.err;
  EXPECT_TRUE(fs::exists(dir_of(env, "XDG_DATA_HOME") + "/rbee/models/test/tiny/tiny-Q8_0.gguf"));
  auto runl = rbee({"open", "rbee://run/model/huggingface/test/tiny:Q8_0", "--json"});
  ASSERT_EQ(runl.status, 0) << runl.err;
  EXPECT_NE(runl.out.find("{\"event\":\"done\""), std::string::npos) << runl.out;
  EXPECT_NE(runl.out.find("\"endpoint\":\"/v1/chat/completions\""), std::string::npos) << runl.out;
  auto jobs_before = rbee({"jobs", "--json"}).out;
  for (std::string bad : {"rbee://download/model/huggingface/../etc", "rbee://run/model/huggingface/a/b;id", "rbee://rm/model/x",
                          "http://example.com/", "rbee://install/worker/..", "rbee://run/model/huggingface/a/%2e%2e"}) {
    auto r = rbee({"open", bad});
    EXPECT_EQ(r.status, 2) << bad;
    EXPECT_NE(r.err.find("refusing the link"), std::string::npos) << bad << "\n" << r.err;
  }
  EXPECT_EQ(rbee({"jobs", "--json"}).out, jobs_before) << "a refused link submits nothing";
  auto dash = rbee({"open", "rbee://open/dashboard"});
  EXPECT_EQ(dash.status, 0);
  EXPECT_NE(dash.out.find(d.base() + "/"), std::string::npos) << dash.out;
  // With a display, the job's page opens in the browser (xdg-open, here a recorder).
  auto bin = dir_of(env, "XDG_CONFIG_HOME") + "/bin";
  fs::create_directories(bin);
  std::ofstream(bin + "/xdg-open") << "#!/bin/sh\necho \"$1\" > \"" << bin << "/opened\"\n";
  fs::permissions(bin + "/xdg-open", fs::perms::owner_all);
  auto shown = rbee({"open", "rbee://download/model/huggingface/test/tiny:Q8_0"},
                    {"DISPLAY=:99", "PATH=" + bin + ":/usr/bin:/bin"});
  ASSERT_EQ(shown.status, 0) << shown.err;
  EXPECT_NE(shown.out.find("/#/jobs/job-"), std::string::npos) << shown.out;
  EXPECT_TRUE(eventually([&] { return fs::exists(bin + "/opened"); }, 5s));
  EXPECT_EQ(read_text(bin + "/opened").rfind(d.base() + "/#/jobs/job-", 0), 0u) << read_text(bin + "/opened");
}

TEST_F(Keeper, RunDownloadsWhatIsMissingThenAnswers) {
  if (!have_model) GTEST_SKIP() << "stories260K not found";
  serve();
  auto r = rbee({"run", "test/tiny:Q8_0", "Once upon a time", "-n", "6"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("downloading"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("verified"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[model] test/tiny:Q8_0 is not in the store"), std::string::npos) << "steps by name: " << r.err;
  EXPECT_EQ(r.err.find("/5 "), std::string::npos) << "no step numbers that jump over the quiet ones: " << r.err;
  EXPECT_FALSE(r.out.empty());
  auto missing = rbee({"run", "test/none", "hi"});
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find("step 'model'"), std::string::npos) << missing.err;
}

TEST_F(Keeper, ProtocolRegisterAndUnregister) {
  if (access("/usr/bin/xdg-mime", X_OK) != 0) GTEST_SKIP() << "xdg-mime (xdg-utils) is not installed";
  auto desktop = dir_of(env, "XDG_DATA_HOME") + "/applications/rbee.desktop";
  auto reg = rbee({"protocol", "register"});
  ASSERT_EQ(reg.status, 0) << reg.err;
  auto text = read_text(desktop);
  EXPECT_NE(text.find("MimeType=x-scheme-handler/rbee;"), std::string::npos) << text;
  EXPECT_NE(text.find("\" open %u"), std::string::npos) << text;
  auto query = run({"/usr/bin/xdg-mime", "query", "default", "x-scheme-handler/rbee"}, env);
  EXPECT_EQ(query.out, "rbee.desktop\n");
  auto unreg = rbee({"protocol", "unregister"});
  EXPECT_EQ(unreg.status, 0);
  EXPECT_FALSE(fs::exists(desktop));
  EXPECT_EQ(run({"/usr/bin/xdg-mime", "query", "default", "x-scheme-handler/rbee"}, env).out, "");
}

TEST_F(Keeper, CtrlCInATerminalCancelsTheJob) {
  if (access("/usr/bin/tmux", X_OK) != 0) GTEST_SKIP() << "tmux is not installed";
  serve();
  auto dir = dir_of(env, "XDG_CONFIG_HOME");
  fs::create_directories(dir);
  std::string sock = dir + "/tmux.sock", script = dir + "/pull.sh";
  std::ofstream s(script);
  for (auto& e : env) s << "export '" << e << "'\n";
  s << "'" << rbee_bin() << "' pull test/slow\necho $? > '" << dir << "/rc'\nsleep 30\n";
  s.close();
  ASSERT_EQ(run({"/usr/bin/tmux", "-S", sock, "new-session", "-d", "-x", "150", "-y", "30", "/bin/bash " + script}).status, 0);
  auto screen = [&] { return run({"/usr/bin/tmux", "-S", sock, "capture-pane", "-p"}).out; };
  EXPECT_TRUE(eventually([&] { return screen().find("ETA") != std::string::npos; }, 20s))
    << "a progress bar with rate and ETA on the terminal:\n" << screen();
  EXPECT_NE(screen().find("MiB/s"), std::string::npos) << screen();
  run({"/usr/bin/tmux", "-S", sock, "send-keys", "C-c"});
  EXPECT_TRUE(eventually([&] { return fs::exists(dir + "/rc") && !read_text(dir + "/rc").empty(); }, 10s));
  auto text = screen();
  run({"/usr/bin/tmux", "-S", sock, "kill-server"});
  EXPECT_EQ(read_text(dir + "/rc"), "3\n");
  EXPECT_NE(text.find("Ctrl-C: cancelling job"), std::string::npos) << text;
  EXPECT_NE(text.find("cancelled"), std::string::npos) << text;
  auto jobs = rbee({"jobs", "--json"});
  EXPECT_NE(jobs.out.find("\"state\":\"cancelled\""), std::string::npos) << jobs.out;
}

TEST(KeeperCli, CompletionAndJson) {
  auto script = run({rbee_bin(), "completion", "bash"});
  ASSERT_EQ(script.status, 0);
  auto file = temp_dir() + "/rbee.bash";
  std::ofstream(file) << script.out;
  auto complete = [&](const std::string& words, int cword) {
    return run({"/bin/bash", "-c", "source '" + file + "'; COMP_WORDS=(" + words + "); COMP_CWORD=" + std::to_string(cword) +
                                     "; _rbee; echo \"${COMPREPLY[*]}\""}).out;
  };
  EXPECT_EQ(complete("rbee work", 1), "worker workers\n");
  EXPECT_EQ(complete("rbee workers ''", 2).rfind("available installed", 0), 0u);
  EXPECT_NE(complete("rbee ls --", 2).find("--json"), std::string::npos);
  EXPECT_EQ(run({rbee_bin(), "completion", "fish"}).status, 2);
  EXPECT_EQ(run({rbee_bin(), "completion", "zsh"}).out.rfind("#compdef rbee", 0), 0u);
  auto version = run({rbee_bin(), "--version"});
  EXPECT_EQ(version.status, 0);
  EXPECT_FALSE(version.out.empty());
}

// `rbee serve` answers the catalog it finds in <data_dir>/catalog and, with
// catalog_url left at its default, its local hive reads that one.
TEST(KeeperCatalog, ServeUsesItsOwnCatalogByDefault) {
  auto env = private_env();
  auto data = dir_of(env, "XDG_DATA_HOME") + "/rbee/catalog/workers/hello-worker";
  fs::create_directories(data);
  std::ofstream(data + "/PKGBUILD") << "pkgname=hello-worker\npkgver=1.0\npkgrel=1\nsource=()\nsha256sums=()\n"
                                       "package() {\n  true\n}\n";
  std::ofstream(data + "/meta.json")
    << R"({"name":"hello","platforms":["linux"],"architectures":["x86_64","aarch64"],"backend":"cpu","binary":"hello"})";
  int port = free_port();
  auto d = start_daemon({"serve", "--port", std::to_string(port)}, env);
  ASSERT_EQ(d.port, port);
  EXPECT_EQ(net::http_call(d.url(), "GET", "/workers/hello-worker", {}).status, 200);
  env.push_back("RBEE_QUEEN_URL=" + d.base());
  auto listed = run({rbee_bin(), "workers", "available"}, env, 30s);
  EXPECT_EQ(listed.status, 0) << listed.err;
  EXPECT_NE(listed.out.find("hello-worker"), std::string::npos) << "the hive read the served catalog:\n" << listed.out << listed.err;
}

// The interactive chat in a real terminal: Ctrl-C stops the current answer (the
// server cancels its job) and the chat goes on; Ctrl-D quits.
TEST(KeeperChat, CtrlCStopsTheAnswerAndCtrlDQuits) {
  if (access("/usr/bin/tmux", X_OK) != 0) GTEST_SKIP() << "tmux is not installed";
  auto env = private_env();
  auto dir = dir_of(env, "XDG_CONFIG_HOME");
  fs::create_directories(dir);
  std::string model = dir + "/s15m.gguf"; // random weights: it talks until the context is full
  ASSERT_EQ(run({rbee_bin(), "model", "synth", "--shape", "stories15m", "--type", "q8_0", "--out", model}).status, 0);
  env.push_back("RBEE_WORKER_CTX=8192"); // seconds of answer: Ctrl-C lands while it streams
  auto d = start_daemon({"serve", "--port", "0"}, env);
  env.push_back("RBEE_QUEEN_URL=" + d.base());
  std::string sock = dir + "/tmux.sock", script = dir + "/chat.sh";
  std::ofstream s(script);
  for (auto& e : env) s << "export '" << e << "'\n";
  s << "'" << rbee_bin() << "' run '" << model << "'\necho $? > '" << dir << "/rc'\nsleep 30\n";
  s.close();
  ASSERT_EQ(run({"/usr/bin/tmux", "-S", sock, "new-session", "-d", "-x", "150", "-y", "40", "/bin/bash " + script}).status, 0);
  auto screen = [&] { return run({"/usr/bin/tmux", "-S", sock, "capture-pane", "-p"}).out; };
  auto keys = [&](std::vector<std::string> k) {
    k.insert(k.begin(), {"/usr/bin/tmux", "-S", sock, "send-keys"});
    run(k);
  };
  auto jobs = [&] { return net::http_call(d.url(), "GET", "/v1/jobs", {}).body; };
  EXPECT_TRUE(eventually([&] { return screen().find(">>>") != std::string::npos; }, 20s)) << screen();
  keys({"tell me a story", "Enter"});
  EXPECT_TRUE(eventually([&] { // an answer is streaming
    auto j = jobs();
    return j.find("\"operation\":\"infer\"") != std::string::npos && j.find("\"state\":\"running\"") != std::string::npos;
  }, 20s)) << jobs();
  keys({"C-c"});
  EXPECT_TRUE(eventually([&] { return jobs().find("\"state\":\"cancelled\"") != std::string::npos; }, 10s))
    << "Ctrl-C cancels the answer's job: " << jobs();
  EXPECT_TRUE(eventually([&] {
    auto sc = screen();
    auto asked = sc.find("tell me a story");
    return asked != std::string::npos && sc.rfind(">>>") > asked;
  }, 10s)) << "and the chat asks again:\n" << screen();
  keys({"C-d"});
  EXPECT_TRUE(eventually([&] { return fs::exists(dir + "/rc") && !read_text(dir + "/rc").empty(); }, 10s)) << screen();
  run({"/usr/bin/tmux", "-S", sock, "kill-server"});
  EXPECT_EQ(read_text(dir + "/rc"), "0\n");
}

// The handler's path is written into the desktop entry's Exec key with the spec's
// quoting: a path with quotes, `$`, `%` or a backslash cannot break the key or smuggle
// in arguments (a user may keep rbee anywhere).
TEST_F(Keeper, ProtocolRegisterQuotesAStrangePath) {
  if (access("/usr/bin/xdg-mime", X_OK) != 0) GTEST_SKIP() << "xdg-mime (xdg-utils) is not installed";
  auto home = fs::path(dir_of(env, "XDG_DATA_HOME")).parent_path();
  auto odd = home / "a\"b $c %d\\e";
  fs::create_directories(odd);
  fs::copy_file(rbee_bin(), odd / "rbee");
  auto reg = run({(odd / "rbee").string(), "protocol", "register"}, env);
  ASSERT_EQ(reg.status, 0) << reg.err;
  auto text = read_text(dir_of(env, "XDG_DATA_HOME") + "/applications/rbee.desktop");
  std::string want = "Exec=\"" + home.string() + R"(/a\\"b \\$c %%d\\\\e/rbee" open %u)" + "\n";
  EXPECT_NE(text.find(want), std::string::npos) << text << "\nwanted: " << want;
  if (access("/usr/bin/desktop-file-validate", X_OK) == 0) {
    auto v = run({"/usr/bin/desktop-file-validate", dir_of(env, "XDG_DATA_HOME") + "/applications/rbee.desktop"});
    EXPECT_EQ(v.status, 0) << v.out << v.err;
  }
  run({(odd / "rbee").string(), "protocol", "unregister"}, env);
}

// The keeper sends its API token only to a server that proves it is this user's own
// rbee (the secret under $XDG_RUNTIME_DIR, or $XDG_STATE_HOME): a program of another
// user listening on the port first sees requests, never the token.
TEST_F(Keeper, TheTokenGoesOnlyToTheUsersOwnServer) {
  const std::string token = "keeper-secret-token-0123456789";
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  std::string seen;
  std::mutex mtx;
  std::atomic<bool> stop{false};
  std::thread impostor([&] { // answers every request with 200 {} and remembers what it was sent
    while (!stop) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      int c = ::accept(fd, nullptr, nullptr);
      if (c < 0) continue;
      char buf[8192];
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n > 0) {
        std::lock_guard<std::mutex> g{mtx};
        seen.append(buf, static_cast<size_t>(n));
      }
      std::string ok = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
      ::send(c, ok.data(), ok.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  });
  auto fake = rbee({"status"}, {"RBEE_API_TOKEN=" + token, "RBEE_QUEEN_URL=http://127.0.0.1:" + std::to_string(ntohs(a.sin_port))});
  stop = true;
  impostor.join();
  ::close(fd);
  EXPECT_NE(fake.status, 0);
  EXPECT_NE(fake.err.find("not sending the API token"), std::string::npos) << fake.err;
  {
    std::lock_guard<std::mutex> g{mtx};
    EXPECT_NE(seen.find("GET /v1/identity?nonce="), std::string::npos) << seen;
    EXPECT_EQ(seen.find(token), std::string::npos) << seen;
  }
  // The user's own server proves itself and gets the token.
  env.push_back("RBEE_API_TOKEN=" + token);
  serve();
  auto real = rbee({"status"});
  EXPECT_EQ(real.status, 0) << real.err;
}
