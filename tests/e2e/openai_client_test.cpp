// The official OpenAI client library (npm "openai", driven by node) against a
// real `rbee serve`. Skips when node or the package is not installed
// (scripts/deps.sh installs both).
#include "tests/e2e/e2e.hpp"
#include "tests/kernels/kernels_test_util.hpp"

#include <filesystem>

using namespace rbee::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

TEST(OpenAiClient, OfficialClientWorks) {
  std::string dir = std::string(RBEE_SOURCE_DIR) + "/tests/openai_client";
  if (!exists(stories("stories260K-f32.gguf"))) GTEST_SKIP() << "stories260K not found";
  if (!fs::exists(dir + "/node_modules/openai/package.json")) GTEST_SKIP() << "npm package openai not installed";
  if (!fs::exists("/usr/bin/node")) GTEST_SKIP() << "node not installed";
  auto env = private_env();
  std::string models = env[1].substr(env[1].find('=') + 1) + "/rbee/models/test/stories";
  fs::create_directories(models);
  fs::copy_file(stories("stories260K-f32.gguf"), models + "/stories260K-f32.gguf");
  auto d = start_daemon({"serve", "--port", "0"}, env);
  ASSERT_GT(d.port, 0);
  auto r = run({"/usr/bin/node", dir + "/client.mjs", d.base() + "/v1", "test/stories"}, env, 60s);
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("ok: "), std::string::npos) << r.out << r.err;
}
