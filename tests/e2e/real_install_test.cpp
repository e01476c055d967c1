// The real thing: scripts/make-catalog.sh from this checkout, `rbee catalog
// serve`, `rbee serve`, and `rbee install rbee-worker-cpu`, which builds this
// project's rbee-worker inside the sandbox (minutes on two cores: ctest label
// `long`). The installed binary must run.
#include "actors/sandbox.hpp"
#include "tests/e2e/e2e.hpp"

#include <filesystem>

using namespace rbee;
using namespace rbee::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

TEST(RealInstall, BuildsAndInstallsTheCpuWorkerFromThisCheckout) {
  auto env = private_env();
  auto home = fs::path(env[0].substr(env[0].find('=') + 1)).parent_path().string();
  auto made = run({"/bin/bash", std::string(RBEE_SOURCE_DIR) + "/scripts/make-catalog.sh", home + "/catalog"}, {}, 120s);
  ASSERT_EQ(made.status, 0) << made.err;
  auto catalog = start_daemon({"catalog", "serve", "--port", "0", "--dir", home + "/catalog"}, env);
  env.push_back("RBEE_CATALOG_URL=" + catalog.base());
  if (!sandbox_available()) env.push_back("RBEE_INSTALL_SANDBOX=0");
  auto serve = start_daemon({"serve", "--port", "0"}, env);
  env.push_back("RBEE_QUEEN_URL=" + serve.base());
  auto t0 = std::chrono::steady_clock::now();
  auto r = run({rbee_bin(), "install", "rbee-worker-cpu"}, env, 40min);
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(r.status, 0) << r.out.substr(r.out.size() > 4000 ? r.out.size() - 4000 : 0) << r.err;
  std::printf("rbee-worker-cpu built and installed in %lld s\n", static_cast<long long>(secs));
  EXPECT_NE(r.out.find("Linking CXX executable rbee-worker"), std::string::npos) << "the compiler's lines reached the stream";
  auto bin = home + "/data/rbee/workers/rbee-worker-cpu/current/rbee-worker";
  ASSERT_TRUE(fs::exists(bin));
  auto v = run({bin, "--version"});
  EXPECT_EQ(v.status, 0);
  EXPECT_EQ(v.out, "rbee-worker 0.1.0\n");
  auto listed = run({rbee_bin(), "workers", "installed"}, env);
  EXPECT_NE(listed.out.find("rbee-worker-cpu"), std::string::npos) << listed.out;
  auto metal = run({rbee_bin(), "install", "rbee-worker-metal"}, env);
  EXPECT_EQ(metal.status, 1);
  EXPECT_NE(metal.err.find("runs on macos"), std::string::npos) << metal.err;
}
