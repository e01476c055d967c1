// worker_install end to end: `rbee catalog serve` with fixture recipes (a tiny
// C program and hostile variants) and `rbee serve` on loopback, driven by the
// keeper as a user would. The sandbox tests skip where bubblewrap cannot run.
#include "io/sandbox.hpp"
#include "tests/e2e/e2e.hpp"
#include "tests/kernels/kernels_test_util.hpp"
#include "tests/support/archive_fixture.hpp"

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <thread>

using namespace rbee;
using namespace rbee::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {


const char* hello_c = "#include <stdio.h>\nint main(void){puts(\"hello from an installed worker\");return 0;}\n";

class Install : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    s = new suite;
    s->env = private_env();
    auto root = s->env[0].substr(s->env[0].find('=') + 1); // <tmp>/config
    s->home = fs::path(root).parent_path().string();
    s->cat = s->home + "/catalog";
    fs::create_directories(s->cat + "/sources");
    fs::create_directories(s->home + "/config/rbee");
    std::ofstream(s->home + "/config/rbee/secret-token") << "tok-canary-1234567890";
    std::string good = tarball({{"hello-1.0/hello.c", hello_c}});
    std::ofstream(s->cat + "/sources/hello-1.0.tar.gz", std::ios::binary) << good;
    std::string evil = tarball({{"../../escaped.c", hello_c}});
    std::ofstream(s->cat + "/sources/evil-1.0.tar.gz", std::ios::binary) << evil;
    std::string sum = sha256_hex(good);
    auto recipe = [&](const std::string& id, const std::string& extra, const std::string& build, std::string src = "",
                      std::string sha = "", std::string meta_platforms = "\"linux\"") {
      if (src.empty()) src = "hello-$pkgver.tar.gz";
      if (sha.empty()) sha = sum;
      fs::create_directories(s->cat + "/workers/" + id);
      std::ofstream(s->cat + "/workers/" + id + "/PKGBUILD")
        << "pkgname=" << id << "\npkgver=1.0\npkgrel=1\nmakedepends=(cc)\n" << extra << "source=(\"" << src
        << "\")\nsha256sums=('" << sha << "')\nbuild() {\n  cd \"$srcdir/hello-$pkgver\"\n" << build
        << "\n}\npackage() {\n  install -Dm755 \"$srcdir/hello-$pkgver/hello\" \"$pkgdir/usr/bin/hello\"\n}\n";
      std::ofstream(s->cat + "/workers/" + id + "/meta.json")
        << R"({"platforms":[)" << meta_platforms << R"(],"architectures":["x86_64","aarch64"],"backend":"cpu","binary":"hello"})";
    };
    std::string compile = "  echo '[cc] compile : building hello'\n  echo 'cc -O2 -o hello hello.c'\n  cc -O2 -o hello hello.c";
    recipe("hello-worker", "", compile);
    recipe("mac-worker", "", compile, "", "", "\"macos\"");
    recipe("needy-worker", "depends=(rbee-no-such-tool libnothing-rbee-dev)\n", compile);
    recipe("badsum-worker", "", compile, "", std::string(64, '0'));
    recipe("skip-worker", "", compile, "", "SKIP");
    recipe("evil-worker", "", compile, "evil-$pkgver.tar.gz", sha256_hex(evil));
    recipe("failing-worker", "", "  echo 'compiling...'\n  echo 'error: boom in hello.c' >&2\n  exit 3");
    recipe("slow-worker", "", "  echo started-slow\n  sleep 120");
    recipe("sleepy-worker", "", "  sleep 2\n" + compile);
    recipe("canary-write", "", "  touch /usr/rbee-canary-write\n" + compile);
    recipe("canary-token", "", "  cat '" + s->home + "/config/rbee/secret-token'\n" + compile);
    recipe("canary-net", "", "  exec 3<>/dev/tcp/127.0.0.1/@PORT@\n" + compile);
    // Build output that tries to drive the user's terminal: retitle, clear, recolour.
    recipe("ansi-worker", "", "  printf '\\033]0;pwned\\007\\033[2J\\033[31mred\\033[0m \\302\\233 bell\\007 done\\n'\n" + compile);
    s->catalog = start_daemon({"catalog", "serve", "--port", "0", "--dir", s->cat}, s->env);
    // The network canary dials the catalog itself: reachable from the test, not from the build.
    auto p = s->cat + "/workers/canary-net/PKGBUILD";
    std::ifstream in(p);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    text.replace(text.find("@PORT@"), 6, std::to_string(s->catalog.port));
    std::ofstream(p) << text;
    // Signed with the key of this (private) user, whom the server then trusts.
    auto signed_ = run({rbee_bin(), "catalog", "sign", "--dir", s->cat}, s->env);
    ASSERT_EQ(signed_.status, 0) << signed_.err;
    s->catalog = {}; // restart with the port filled in
    s->catalog = start_daemon({"catalog", "serve", "--port", "0", "--dir", s->cat}, s->env);
    s->env.push_back("RBEE_CATALOG_URL=" + s->catalog.base());
    if (!sandbox_available()) s->env.push_back("RBEE_INSTALL_SANDBOX=0");
  }
  static void TearDownTestSuite() { delete s; }
  void SetUp() override {
    if (!s->serve.proc) s->serve = start_daemon({"serve", "--port", "0"}, s->env);
    keeper = s->env;
    keeper.push_back("RBEE_QUEEN_URL=" + s->serve.base());
  }
  run_result install(const std::string& id) {
    return run({rbee_bin(), "install", id}, keeper, 120s);
  }
  std::string workers() { return s->home + "/data/rbee/workers"; }
  struct suite {
    std::vector<std::string> env;
    std::string home, cat;
    rbee_daemon catalog, serve;
  };
  static suite* s;
  std::vector<std::string> keeper;
};
Install::suite* Install::s = nullptr;

TEST_F(Install, BuildsInstallsAndStreamsTheBuild) {
  auto r = install("hello-worker");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("[cc    ] building hello"), std::string::npos) << "structured narration from the build:\n" << r.out;
  EXPECT_NE(r.out.find("  | "), std::string::npos) << "build_output lines reach the stream";
  EXPECT_NE(r.out.find("verified sha256"), std::string::npos);
  EXPECT_NE(r.out.find("\"version\": \"1.0-1\""), std::string::npos) << r.out;
  auto bin = workers() + "/hello-worker/current/hello";
  auto ran = run({bin});
  EXPECT_EQ(ran.out, "hello from an installed worker\n");
  std::ifstream caps(s->home + "/data/rbee/capabilities.json");
  std::string c((std::istreambuf_iterator<char>(caps)), {});
  EXPECT_NE(c.find("\"hello-worker\""), std::string::npos) << c;
  auto listed = run({rbee_bin(), "workers", "installed"}, keeper);
  EXPECT_NE(listed.out.find("hello-worker"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("1.0-1"), std::string::npos) << "a table: worker, version, backend, path\n" << listed.out;
  auto cat = run({rbee_bin(), "workers", "available"}, keeper);
  EXPECT_NE(cat.out.find("canary-net"), std::string::npos);
  EXPECT_NE(cat.out.find("WORKER"), std::string::npos) << cat.out;
  EXPECT_TRUE(fs::is_empty(s->home + "/cache/rbee/build")) << "the build tree is cleaned up";
}

// What the keeper prints of a build (and of any server text) carries no escape
// sequence or control character: the words stay, the terminal is not driven.
TEST_F(Install, BuildOutputCannotDriveTheTerminal) {
  auto r = install("ansi-worker");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("red  bell done"), std::string::npos) << r.out;
  for (const std::string& bad : {std::string("\x1b"), std::string("\x07"), std::string("\xc2\x9b"), std::string("pwned")}) {
    EXPECT_EQ(r.out.find(bad), std::string::npos) << r.out;
    EXPECT_EQ(r.err.find(bad), std::string::npos) << r.err;
  }
}

TEST_F(Install, RefusalsNameTheCause) {
  struct expect_fail {
    const char* id;
    const char* needle;
  };
  for (auto [id, needle] : {expect_fail{"mac-worker", "runs on macos"},
                            expect_fail{"needy-worker", "apt-get install -y rbee-no-such-tool libnothing-rbee-dev"},
                            expect_fail{"badsum-worker", "checksum_mismatch"}, expect_fail{"skip-worker", "SKIP checksum is refused"},
                            expect_fail{"evil-worker", "contains '..'"}, expect_fail{"no-such-worker", "no worker 'no-such-worker'"},
                            expect_fail{"failing-worker", "error: boom in hello.c"}}) {
    auto r = install(id);
    EXPECT_EQ(r.status, 1) << id;
    EXPECT_NE(r.err.find(needle), std::string::npos) << id << ":\n" << r.err;
    EXPECT_FALSE(fs::exists(workers() + "/" + id)) << id;
  }
  EXPECT_FALSE(fs::exists(s->home + "/escaped.c"));
  auto bad = install("../etc");
  EXPECT_NE(bad.status, 0);
}

TEST_F(Install, CanariesFailInTheSandbox) {
  if (!sandbox_available()) GTEST_SKIP() << "no bubblewrap sandbox here";
  for (auto id : {"canary-write", "canary-token", "canary-net"}) {
    auto r = install(id);
    EXPECT_EQ(r.status, 1) << id << ":\n" << r.out;
    EXPECT_NE(r.err.find("build_failed"), std::string::npos) << id << ":\n" << r.err;
    EXPECT_EQ(r.out.find("tok-canary"), std::string::npos) << "the token leaked";
  }
  EXPECT_FALSE(fs::exists("/usr/rbee-canary-write"));
}

TEST_F(Install, CancelKillsTheBuild) {
  process p({rbee_bin(), "job", "submit", R"({"operation":"worker_install","hive_id":"localhost","worker_id":"slow-worker"})"},
            keeper);
  bool started = false;
  for (int i = 0; i < 40 && !started; ++i) {
    auto line = p.read_line(3s);
    if (!line) break;
    started = line->find("started-slow") != std::string::npos;
  }
  ASSERT_TRUE(started) << p.stderr_text();
  auto err = p.stderr_text();
  auto job = err.substr(err.find("job ") + 4, err.find('\n') - err.find("job ") - 4);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(run({rbee_bin(), "job", "cancel", job}, keeper).status, 0);
  auto rc = p.wait(30s);
  ASSERT_TRUE(rc);
  EXPECT_EQ(*rc, 3) << "the keeper exits 3 for a cancelled job";
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 20s);
  EXPECT_TRUE(eventually([] { return run({"/usr/bin/pgrep", "-f", "sleep 120"}).status != 0; }, 10s)) << "the build's processes are gone";
}

TEST_F(Install, SigkillOfTheHiveMidInstallKeepsThePreviousVersion) {
  ASSERT_EQ(install("hello-worker").status, 0);
  auto before = fs::read_symlink(workers() + "/hello-worker/current");
  // A slow install of another worker, then the whole daemon is killed mid-build.
  process p({rbee_bin(), "job", "submit", R"({"operation":"worker_install","hive_id":"localhost","worker_id":"slow-worker"})"},
            keeper);
  for (int i = 0; i < 40; ++i) {
    auto line = p.read_line(3s);
    if (!line || line->find("started-slow") != std::string::npos) break;
  }
  s->serve.proc->signal(SIGKILL);
  s->serve.proc->wait(10s);
  s->serve = start_daemon({"serve", "--port", "0"}, s->env);
  keeper.back() = "RBEE_QUEEN_URL=" + s->serve.base();
  EXPECT_EQ(fs::read_symlink(workers() + "/hello-worker/current"), before);
  EXPECT_EQ(run({workers() + "/hello-worker/current/hello"}).out, "hello from an installed worker\n");
  EXPECT_FALSE(fs::exists(workers() + "/slow-worker"));
  EXPECT_TRUE(fs::is_empty(s->home + "/cache/rbee/build")) << "the restarted hive removed the killed install's tree";
  EXPECT_TRUE(eventually([] { return run({"/usr/bin/pgrep", "-f", "sleep 120"}).status != 0; }, 10s))
    << "the sandbox died with its hive";
  auto again = install("hello-worker"); // reinstall works after the crash
  EXPECT_EQ(again.status, 0) << again.err;
  auto rm = run({rbee_bin(), "uninstall", "hello-worker"}, keeper);
  EXPECT_EQ(rm.status, 0) << rm.err;
  EXPECT_FALSE(fs::exists(workers() + "/hello-worker"));
  EXPECT_EQ(run({rbee_bin(), "uninstall", "hello-worker"}, keeper).status, 1) << "not installed any more";
}

} // namespace

TEST_F(Install, ASecondInstallOfTheSameWorkerJoinsTheFirst) {
  auto post = [&] {
    auto r = net::http_call(s->serve.url(), "POST", "/v1/jobs", R"({"operation":"worker_install","worker_id":"sleepy-worker"})");
    EXPECT_EQ(r.status, 202) << r.body;
    return r.body.substr(r.body.find("job-"), 20);
  };
  auto follow = [&](const std::string& id, std::string& text, std::string& end) {
    net::sse_get(s->serve.url(), "/v1/jobs/" + id + "/stream", {}, [&](const net::sse_event& e) {
      text += e.data + "\n";
      if (e.event == "done" || e.event == "error" || e.event == "cancelled") {
        end = e.event;
        return false;
      }
      return true;
    }, 60s);
  };
  std::string first = post(), second = post();
  std::string t1, t2, e1, e2;
  std::thread a([&] { follow(first, t1, e1); });
  follow(second, t2, e2);
  a.join();
  EXPECT_EQ(e1, "done") << t1;
  EXPECT_EQ(e2, "done") << t2;
  EXPECT_NE(t2.find("this job follows it"), std::string::npos) << t2;
  EXPECT_NE(t2.find("\"version\":\"1.0-1\""), std::string::npos) << "the joined job gets the install's answer:\n" << t2;
  EXPECT_TRUE(fs::exists(workers() + "/sleepy-worker/current/hello"));
}

// The catalog is signed and its key pinned: a recipe altered after signing, a catalog
// without a signature (another local user listening on the catalog port first), or
// one signed with another key is refused before anything is built; the development
// switch builds anyway and says so.
TEST_F(Install, OnlyASignedCatalogIsTrusted) {
  // A hive (in its own `rbee serve`) that reads the catalog at `dir`, served afresh.
  struct setup {
    rbee_daemon catalog, serve;
    std::vector<std::string> keeper;
  };
  auto serve_from = [&](const std::string& dir, std::vector<std::string> extra_args = {}) {
    auto st = std::make_unique<setup>();
    st->catalog = start_daemon({"catalog", "serve", "--port", "0", "--dir", dir}, s->env);
    auto env = s->env;
    env.push_back("RBEE_CATALOG_URL=" + st->catalog.base());
    std::vector<std::string> args = {"serve", "--port", "0"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    st->serve = start_daemon(args, env);
    st->keeper = env;
    st->keeper.push_back("RBEE_QUEEN_URL=" + st->serve.base());
    return st;
  };
  auto copy_of = [&](const std::string& name) {
    auto dir = s->home + "/" + name;
    fs::create_directories(dir + "/workers");
    fs::create_directories(dir + "/sources");
    fs::copy(s->cat + "/workers/hello-worker", dir + "/workers/hello-worker");
    fs::copy(s->cat + "/sources/hello-1.0.tar.gz", dir + "/sources/hello-1.0.tar.gz");
    return dir;
  };

  // The signed catalog with its recipe altered after signing.
  auto tampered = copy_of("tampered");
  fs::copy(s->cat + "/index.json", tampered + "/index.json");
  fs::copy(s->cat + "/index.json.sig", tampered + "/index.json.sig");
  std::ofstream(tampered + "/workers/hello-worker/PKGBUILD", std::ios::app) << "\n# altered after signing\n";
  auto t = serve_from(tampered);
  auto r = run({rbee_bin(), "install", "hello-worker"}, t->keeper, 120s);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("workers/hello-worker/PKGBUILD does not match the catalog's signed index"), std::string::npos) << r.err;

  // An unsigned catalog where the hive looks (another local user on the catalog's port).
  auto rogue = copy_of("rogue");
  auto u = serve_from(rogue);
  r = run({rbee_bin(), "install", "hello-worker"}, u->keeper, 120s);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("cannot be trusted: it is not signed"), std::string::npos) << r.err;

  // Signed, but with a key that is not the pinned one.
  auto other_key = s->home + "/other-key.pem";
  EXPECT_EQ(run({rbee_bin(), "catalog", "sign", "--dir", rogue, "--key", other_key}, s->env).status, 1); // no such key
  ASSERT_EQ(run({rbee_bin(), "catalog", "keygen", "--out", other_key}, s->env).status, 0);
  ASSERT_EQ(run({rbee_bin(), "catalog", "sign", "--dir", rogue, "--key", other_key}, s->env).status, 0);
  r = run({rbee_bin(), "install", "hello-worker"}, u->keeper, 120s);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("signature does not verify"), std::string::npos) << r.err;

  // --allow-unsigned-catalog: built, and the narration says it was not verified.
  auto dev = serve_from(tampered, {"--allow-unsigned-catalog"});
  r = run({rbee_bin(), "install", "hello-worker"}, dev->keeper, 120s);
  EXPECT_EQ(r.status, 1) << "a signed index that does not match is never overridden"; // only missing/wrong signatures are
  auto dev2 = serve_from(copy_of("unsigned-dev"), {"--allow-unsigned-catalog"});
  r = run({rbee_bin(), "install", "hello-worker"}, dev2->keeper, 120s);
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("UNVERIFIED catalog accepted"), std::string::npos) << r.out;
}
