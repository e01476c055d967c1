// The dashboard and the static marketplace in a real browser: Playwright
// (npm playwright-core) drives Debian's headless Chromium against a real
// `rbee serve` whose HF_ENDPOINT is the loopback Hugging Face test server.
// Screenshots land in <build>/tests/screenshots (CI artifacts). Skips when
// chromium, node or playwright-core is missing (scripts/deps.sh installs them).
#include "tests/e2e/e2e.hpp"
#include "tests/kernels/kernels_test_util.hpp"
#include "tests/support/archive_fixture.hpp"
#include "tests/support/hf_server.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

using namespace rbee;
using namespace rbee::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

TEST(Browser, DashboardAndMarketplace) {
  std::string dir = std::string(RBEE_SOURCE_DIR) + "/tests/browser";
  if (!fs::exists("/usr/bin/chromium")) GTEST_SKIP() << "chromium is not installed";
  if (!fs::exists("/usr/bin/node")) GTEST_SKIP() << "node is not installed";
  if (!fs::exists(dir + "/node_modules/playwright-core/package.json")) GTEST_SKIP() << "npm package playwright-core not installed";
  if (!exists(stories("stories260K-q8_0.gguf"))) GTEST_SKIP() << "stories260K not found";
  hf_server hf;
  hf.add_file("test/tiny", "tiny-Q8_0.gguf", read_text(stories("stories260K-q8_0.gguf")));
  hf.meta("test/tiny", 1200, 30, "mit", 292800);
  std::string big(3 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 2654435761u >> 11);
  hf.add_file("test/big", "big-Q4_0.gguf", big);
  hf.add_file("test/big", "big-Q8_0.gguf", big.substr(0, 1000));
  hf.faults("test/big", "big-Q4_0.gguf", {-1, -1, false, 1 << 20}); // 3 s: the bar must be seen moving
  hf.meta("test/big", 5000, 80, "apache-2.0");
  auto env = private_env();
  env.push_back("HF_ENDPOINT=" + hf.endpoint());
  // A worker catalog: one recipe that builds here (a tiny C program), one for macOS only.
  auto home = fs::path(env[0].substr(env[0].find('=') + 1)).parent_path().string();
  fs::create_directories(home + "/catalog/sources");
  std::string src = tarball({{"hello-1.0/hello.c", "#include <stdio.h>\nint main(void){puts(\"hi\");return 0;}\n"}});
  std::ofstream(home + "/catalog/sources/hello-1.0.tar.gz", std::ios::binary) << src;
  for (auto [id, os] : {std::pair{"hello-worker", "linux"}, std::pair{"mac-worker", "macos"}}) {
    fs::create_directories(home + "/catalog/workers/" + id);
    std::ofstream(home + "/catalog/workers/" + id + "/PKGBUILD")
      << "pkgname=" << id << "\npkgver=1.0\npkgrel=1\nsource=(\"hello-$pkgver.tar.gz\")\nsha256sums=('" << sha256_hex(src)
      << "')\nbuild() {\n  cd \"$srcdir/hello-$pkgver\"\n  echo 'cc -O2 -o hello hello.c'\n  cc -O2 -o hello hello.c\n}\n"
      << "package() {\n  install -Dm755 \"$srcdir/hello-$pkgver/hello\" \"$pkgdir/usr/bin/hello\"\n}\n";
    std::ofstream(home + "/catalog/workers/" + id + "/meta.json")
      << R"({"name":")" << id << R"(","description":"a test worker","platforms":[")" << os
      << R"("],"architectures":["x86_64","aarch64"],"backend":"cpu","binary":"hello"})";
  }
  auto signed_ = run({rbee_bin(), "catalog", "sign", "--dir", home + "/catalog"}, env); // the user's key, which serve trusts
  ASSERT_EQ(signed_.status, 0) << signed_.err;
  auto catalog = start_daemon({"catalog", "serve", "--port", "0", "--dir", home + "/catalog"}, env);
  env.push_back("RBEE_CATALOG_URL=" + catalog.base());
  if (run({"/usr/bin/bwrap", "--ro-bind", "/", "/", "/bin/true"}).status != 0) env.push_back("RBEE_INSTALL_SANDBOX=0");
  std::string store = env[1].substr(env[1].find('=') + 1) + "/rbee/models/test/stories";
  fs::create_directories(store);
  fs::copy_file(stories("stories260K-q8_0.gguf"), store + "/stories260K-q8_0.gguf");
  auto tmp = temp_dir();
  // An ssh config for the Machines table: a host nothing listens for, and a pattern.
  std::ofstream(tmp + "/ssh_config") << "Host gpu-box\n  HostName 127.0.0.1\n  Port 1\nHost *.lan\n  User x\n";
  env.push_back("RBEE_SSH_CONFIG=" + tmp + "/ssh_config");
  auto d = start_daemon({"serve", "--port", "0"}, env);
  ASSERT_GT(d.port, 0);
  // The static marketplace, twice: looking for rbee where it runs, and where nothing does.
  auto build = [&](const std::string& out, const std::string& rbee_url) {
    return run({rbee_bin(), "marketplace", "build", "--out", out, "--models", "test/tiny,test/big,../evil", "--site",
                "https://models.example", "--rbee-url", rbee_url},
               env, 60s);
  };
  auto up = build(tmp + "/up", d.base());
  ASSERT_EQ(up.status, 0) << up.out << up.err;
  EXPECT_NE(up.err.find("skipping '../evil'"), std::string::npos) << up.err;
  ASSERT_EQ(build(tmp + "/down", "http://127.0.0.1:1").status, 0);
  auto page = read_text(tmp + "/up/models/test/tiny/index.html");
  EXPECT_NE(page.find("<link rel=\"canonical\" href=\"https://models.example/models/test/tiny/\">"), std::string::npos);
  EXPECT_NE(page.find("<meta name=\"description\""), std::string::npos);
  EXPECT_NE(page.find("\"@type\":\"SoftwareApplication\""), std::string::npos);
  EXPECT_NE(read_text(tmp + "/up/sitemap.xml").find("https://models.example/models/test/big/"), std::string::npos);
  EXPECT_NE(read_text(tmp + "/up/robots.txt").find("Sitemap: https://models.example/sitemap.xml"), std::string::npos);
  EXPECT_FALSE(fs::exists(tmp + "/evil"));
  std::string shots = fs::current_path().string() + "/screenshots";
  auto r = run({"/usr/bin/node", dir + "/dashboard.mjs", d.base(), shots, tmp + "/up", tmp + "/down"}, env, 180s);
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  for (auto step : {"overview", "marketplace-download", "chat", "overview-workers", "workers-install", "failing-job", "static-page-without-rbee", "static-page-with-rbee"})
    EXPECT_NE(r.out.find(std::string("ok: ") + step), std::string::npos) << step << "\n" << r.out << r.err;
  EXPECT_TRUE(fs::exists(shots + "/overview.png"));
}

TEST(Marketplace, ApiThroughTheQueenIsCheckedAndCached) {
  hf_server hf;
  hf.add_file("test/tiny", "tiny-Q8_0.gguf", "GGUF-ish");
  hf.add_file("test/tiny", "tiny-Q4_K_M.gguf", "GGUF-ish too");
  hf.add_file("test/docs", "README.md", "no weights");
  hf.meta("test/tiny", 10, 2, "mit", 292800);
  auto env = private_env();
  env.push_back("HF_ENDPOINT=" + hf.endpoint());
  env.push_back("RBEE_API_TOKEN=tok-1234567890abcdef");
  auto d = start_daemon({"serve", "--port", "0"}, env);
  ASSERT_GT(d.port, 0);
  net::headers auth{{"Authorization", "Bearer tok-1234567890abcdef"}};
  auto get = [&](const std::string& path, bool with_token = true) {
    return net::http_call(d.url(), "GET", path, {}, with_token ? auth : net::headers{});
  };
  // The dashboard's files load without the token; its data does not.
  auto index = get("/", false);
  EXPECT_EQ(index.status, 200);
  EXPECT_NE(index.body.find("<script type=\"module\" src=\"/app.js\">"), std::string::npos);
  if (access("/usr/bin/curl", X_OK) == 0) {
    auto head = run({"/usr/bin/curl", "-s", "-D", "-", "-o", "/dev/null", d.base() + "/"});
    EXPECT_NE(head.out.find("Content-Security-Policy: default-src 'self'"), std::string::npos) << head.out;
    EXPECT_NE(head.out.find("X-Content-Type-Options: nosniff"), std::string::npos) << head.out;
  }
  EXPECT_EQ(get("/app.js", false).status, 200);
  EXPECT_EQ(get("/nope.js", false).status, 404); // looks like an asset: answered without data
  EXPECT_EQ(get("/workers", false).status, 401);  // everything else is behind the token
  EXPECT_EQ(get("/v1/jobs", false).status, 401);
  EXPECT_EQ(get("/v1/marketplace/models", false).status, 401);
  auto list = get("/v1/marketplace/models?search=tiny&sort=likes&limit=5");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_NE(list.body.find("\"id\":\"test/tiny\""), std::string::npos) << list.body;
  EXPECT_NE(list.body.find("\"quantizations\":[\"Q4_K_M\",\"Q8_0\"]"), std::string::npos) << list.body;
  EXPECT_NE(list.body.find("\"license\":\"mit\""), std::string::npos);
  EXPECT_NE(list.body.find("\"parameters\":292800"), std::string::npos) << list.body;
  EXPECT_EQ(list.body.find("test/docs"), std::string::npos) << "GGUF repos only";
  int before = hf.requests();
  EXPECT_EQ(get("/v1/marketplace/models?search=tiny&sort=likes&limit=5").body, list.body);
  EXPECT_EQ(hf.requests(), before) << "the second answer comes from the cache";
  auto model = get("/v1/marketplace/models/test/tiny");
  ASSERT_EQ(model.status, 200) << model.body;
  EXPECT_NE(model.body.find("{\"path\":\"tiny-Q8_0.gguf\",\"size\":8,\"quantization\":\"Q8_0\"}"), std::string::npos) << model.body;
  EXPECT_EQ(get("/v1/marketplace/models/test/nothing").status, 404);
  for (const std::string& bad : std::vector<std::string>{"/v1/marketplace/models?search=%3Cscript%3E", "/v1/marketplace/models?limit=0",
                          "/v1/marketplace/models?limit=abc", "/v1/marketplace/models?limit=99999999999",
                          "/v1/marketplace/models?sort=random", std::string("/v1/marketplace/models?search=").append(200, 'a')})
    EXPECT_EQ(get(bad).status, 422) << bad;
  for (const std::string& bad : std::vector<std::string>{"/v1/marketplace/models/a/b/c", "/v1/marketplace/models/..%2F..", "/v1/marketplace/other"}) {
    auto r = get(bad);
    EXPECT_TRUE(r.status == 404 || r.status == 422 || r.status == 400) << bad << " " << r.status;
  }
  EXPECT_EQ(get("/health", false).status, 200) << "the server is fine afterwards";
}

TEST(Browser, DashboardReconnectsAfterARestart) {
  std::string dir = std::string(RBEE_SOURCE_DIR) + "/tests/browser";
  if (!fs::exists("/usr/bin/chromium") || !fs::exists("/usr/bin/node") ||
      !fs::exists(dir + "/node_modules/playwright-core/package.json"))
    GTEST_SKIP() << "chromium, node or playwright-core is not installed";
  auto env = private_env();
  auto d = start_daemon({"serve", "--port", "0"}, env);
  ASSERT_GT(d.port, 0);
  std::string port = std::to_string(d.port), ready = temp_dir() + "/ready";
  std::string shots = fs::current_path().string() + "/screenshots";
  fs::create_directories(shots);
  process browser({"/usr/bin/node", dir + "/reconnect.mjs", d.base(), ready, shots}, env);
  ASSERT_TRUE(eventually([&] { return fs::exists(ready); }, 30s)) << browser.stderr_text();
  d.proc->signal(SIGTERM);
  ASSERT_TRUE(d.proc->wait(10s));
  auto again = start_daemon({"serve", "--port", port}, env);
  ASSERT_EQ(again.port, d.port);
  std::this_thread::sleep_for(1500ms); // the page is back on the feed before the job happens
  EXPECT_EQ(net::http_call(again.url(), "POST", "/v1/jobs", R"({"operation":"hive_get","hive_id":"localhost"})").status, 202);
  std::string out;
  while (auto line = browser.read_line(60s)) out += *line + "\n";
  EXPECT_EQ(browser.wait(10s), 0) << out << browser.stderr_text();
  EXPECT_NE(out.find("ok: a job of the new server is shown"), std::string::npos) << out;
}

TEST(Browser, RunOnTheChosenHive) {
  std::string dir = std::string(RBEE_SOURCE_DIR) + "/tests/browser";
  if (!fs::exists("/usr/bin/chromium") || !fs::exists("/usr/bin/node") ||
      !fs::exists(dir + "/node_modules/playwright-core/package.json"))
    GTEST_SKIP() << "chromium, node or playwright-core is not installed";
  if (!exists(stories("stories260K-q8_0.gguf"))) GTEST_SKIP() << "stories260K not found";
  hf_server hf;
  hf.add_file("test/tiny", "tiny-Q8_0.gguf", read_text(stories("stories260K-q8_0.gguf")));
  auto env = private_env();
  env.push_back("HF_ENDPOINT=" + hf.endpoint());
  env.push_back("RBEE_CATALOG_URL=http://127.0.0.1:1"); // no catalog: the engine built into rbee serves
  auto queen = start_daemon({"queen", "--port", "0", "--cluster-port", "0"}, env);
  ASSERT_GT(queen.port, 0);
  auto line = queen.proc->read_line(10s);
  ASSERT_TRUE(line && line->rfind("cluster on ", 0) == 0);
  std::string cluster = line->substr(11), root = temp_dir();
  process alpha({rbee_bin(), "hive", "--port", "0", "--data-dir", root + "/alpha"}, joined_hive_env("alpha", cluster, env, env));
  process beta({rbee_bin(), "hive", "--port", "0", "--data-dir", root + "/beta"}, joined_hive_env("beta", cluster, env, env));
  ASSERT_TRUE(eventually([&] {
    auto h = net::http_call(queen.url(), "GET", "/v1/hives", {}).body;
    auto bw = h.find("\"read_bandwidth\""); // each hive measures it once, after it starts
    return h.find("\"hive_id\":\"alpha\"") != std::string::npos && h.find("\"hive_id\":\"beta\"") != std::string::npos &&
           bw != std::string::npos && h.find("\"read_bandwidth\"", bw + 1) != std::string::npos;
  }, 20s));
  std::string shots = fs::current_path().string() + "/screenshots";
  fs::create_directories(shots);
  auto r = run({"/usr/bin/node", dir + "/run_on.mjs", queen.base(), shots}, env, 120s);
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("ok: auto_run on the chosen hive"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(root + "/beta/models/test/tiny/tiny-Q8_0.gguf"));
  EXPECT_FALSE(fs::exists(root + "/alpha/models/test/tiny"));
}

// A Hugging Face that accepts connections and never answers: marketplace calls
// wait on their own threads; the API keeps answering even with one HTTP thread.
TEST(Marketplace, ASilentHuggingFaceDoesNotStallTheApi) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  socklen_t n = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
  auto env = private_env();
  env.push_back("HF_ENDPOINT=http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)));
  env.push_back("RBEE_HTTP_THREADS=1");
  auto d = start_daemon({"serve", "--port", "0"}, env);
  ASSERT_GT(d.port, 0);
  std::thread waiting([&] { net::http_call(d.url(), "GET", "/v1/marketplace/models?search=x", {}, {}, 3s); });
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(net::http_call(d.url(), "GET", "/health", {}, {}, 2s).status, 200);
  EXPECT_EQ(net::http_call(d.url(), "GET", "/v1/jobs", {}, {}, 2s).status, 200);
  EXPECT_EQ(net::http_call(d.url(), "GET", "/", {}, {}, 2s).status, 200);
  waiting.join();
  ::close(fd);
}

TEST(Browser, TheTokenIsEnteredOnceAndKept) {
  std::string dir = std::string(RBEE_SOURCE_DIR) + "/tests/browser";
  if (!fs::exists("/usr/bin/chromium") || !fs::exists("/usr/bin/node") ||
      !fs::exists(dir + "/node_modules/playwright-core/package.json"))
    GTEST_SKIP() << "chromium, node or playwright-core is not installed";
  auto env = private_env();
  std::string token = "tok-browser-0123456789abcdef";
  env.push_back("RBEE_API_TOKEN=" + token);
  auto d = start_daemon({"serve", "--port", "0"}, env);
  ASSERT_GT(d.port, 0);
  std::string shots = fs::current_path().string() + "/screenshots";
  fs::create_directories(shots);
  auto r = run({"/usr/bin/node", dir + "/token.mjs", d.base(), token, shots}, env, 90s);
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("ok: the token is asked once and kept"), std::string::npos) << r.out;
}
