// The real thing: scripts/make-catalog.sh from this checkout, `rbee catalog
// serve`, `rbee serve`, and `rbee install rbee-worker-cpu` (and, where nvcc
// is, rbee-worker-cuda), which builds this project's rbee-worker inside the
// sandbox (minutes on two cores: ctest label `long`). The installed binaries
// must run.
#include "actors/install/deps_check.hpp"
#include "io/sandbox.hpp"
#include "kernels/cuda/check.hpp"
#include "tests/e2e/e2e.hpp"
#include "tests/kernels/kernels_test_util.hpp"

#include <filesystem>

using namespace rbee;
using namespace rbee::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// A catalog made from this checkout and a queen with its embedded hive, in a private home.
struct install_setup {
  std::vector<std::string> env = private_env();
  std::string home;
  rbee_daemon catalog, serve;

  install_setup() {
    home = fs::path(env[0].substr(env[0].find('=') + 1)).parent_path().string();
    auto made = run({"/bin/bash", std::string(RBEE_SOURCE_DIR) + "/scripts/make-catalog.sh", home + "/catalog"}, env, 120s);
    EXPECT_EQ(made.status, 0) << made.err;
    catalog = start_daemon({"catalog", "serve", "--port", "0", "--dir", home + "/catalog"}, env);
    env.push_back("RBEE_CATALOG_URL=" + catalog.base());
    if (!sandbox_available()) env.push_back("RBEE_INSTALL_SANDBOX=0");
    serve = start_daemon({"serve", "--port", "0"}, env);
    env.push_back("RBEE_QUEEN_URL=" + serve.base());
  }

  std::string installed(const std::string& id) const { return home + "/data/rbee/workers/" + id + "/current/rbee-worker"; }
};

std::string tail(const std::string& s) {
  return s.substr(s.size() > 4000 ? s.size() - 4000 : 0);
}

} // namespace

TEST(RealInstall, BuildsAndInstallsTheCpuWorkerFromThisCheckout) {
  install_setup in;
  auto t0 = std::chrono::steady_clock::now();
  auto r = run({rbee_bin(), "install", "rbee-worker-cpu"}, in.env, 40min);
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(r.status, 0) << tail(r.out) << r.err;
  std::printf("rbee-worker-cpu built and installed in %lld s\n", static_cast<long long>(secs));
  EXPECT_NE(r.out.find("Linking CXX executable rbee-worker"), std::string::npos) << "the compiler's lines reached the stream";
  auto warning = r.out.find("warning:");
  EXPECT_EQ(warning, std::string::npos) << "a clean build is quiet: " << r.out.substr(warning == std::string::npos ? 0 : warning, 2000);
  auto bin = in.installed("rbee-worker-cpu");
  ASSERT_TRUE(fs::exists(bin));
  auto v = run({bin, "--version"});
  EXPECT_EQ(v.status, 0);
  EXPECT_EQ(v.out, "rbee-worker 0.1.0\n");
  auto listed = run({rbee_bin(), "workers", "installed"}, in.env);
  EXPECT_NE(listed.out.find("rbee-worker-cpu"), std::string::npos) << listed.out;
  // `rbee run` now uses the installed worker; the worker carries its hive, and
  // stops by the model's name.
  std::string store = in.home + "/data/rbee/models/test/tiny";
  fs::create_directories(store);
  ASSERT_EQ(run({rbee_bin(), "model", "synth", "--shape", "tiny", "--type", "q8_0", "--out", store + "/tiny-Q8_0.gguf"}).status, 0);
  auto ran = run({rbee_bin(), "run", "test/tiny", "hi", "-n", "2"}, in.env, 60s);
  ASSERT_EQ(ran.status, 0) << ran.err;
  EXPECT_NE(ran.err.find("rbee-worker-cpu"), std::string::npos) << "the installed worker serves:\n" << ran.err;
  auto ps = run({rbee_bin(), "ps", "--json"}, in.env);
  EXPECT_NE(ps.out.find("\"hive_id\":\"localhost\""), std::string::npos) << ps.out;
  EXPECT_NE(ps.out.find("\"model\":\"test/tiny:Q8_0\""), std::string::npos) << ps.out;
  EXPECT_EQ(run({rbee_bin(), "stop", "test/tiny"}, in.env).status, 0);
  auto metal = run({rbee_bin(), "install", "rbee-worker-metal"}, in.env);
  EXPECT_EQ(metal.status, 1);
  EXPECT_NE(metal.err.find("runs on macos"), std::string::npos) << metal.err;
}

// Where nvcc is: the CUDA worker builds (with the CUDA kernels) and installs. Without
// a GPU the hive refuses it until asked --without-gpu (a build host), and the
// installed worker then says plainly that there is no GPU rather than run on the CPU.
TEST(RealInstall, BuildsAndInstallsTheCudaWorkerWhereNvccIs) {
  if (find_nvcc().empty()) GTEST_SKIP() << "no nvcc here: the CUDA worker cannot be built";
  std::string why;
  bool gpu = kernels::cuda_check::available(why);
  install_setup in;
  if (!gpu) {
    auto refused = run({rbee_bin(), "install", "rbee-worker-cuda"}, in.env);
    EXPECT_EQ(refused.status, 1);
    EXPECT_NE(refused.err.find("needs an NVIDIA GPU to run; this hive has none"), std::string::npos) << refused.err;
    EXPECT_NE(refused.err.find("--without-gpu"), std::string::npos) << refused.err;
  }
  std::vector<std::string> cmd{rbee_bin(), "install", "rbee-worker-cuda"};
  if (!gpu) cmd.push_back("--without-gpu");
  auto t0 = std::chrono::steady_clock::now();
  auto r = run(cmd, in.env, 40min);
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(r.status, 0) << tail(r.out) << r.err;
  std::printf("rbee-worker-cuda built and installed in %lld s\n", static_cast<long long>(secs));
  EXPECT_NE(r.out.find("Building CUDA object"), std::string::npos) << "the CUDA kernels were compiled";
  if (!gpu) {
    EXPECT_NE(r.out.find("no GPU to run it"), std::string::npos) << tail(r.out);
  }
  auto bin = in.installed("rbee-worker-cuda");
  ASSERT_TRUE(fs::exists(bin));
  auto v = run({bin, "--version"});
  EXPECT_EQ(v.status, 0);
  EXPECT_EQ(v.out, "rbee-worker 0.1.0\n");
  auto model = stories("stories260K-q8_0.gguf");
  if (!gpu && exists(model)) {
    auto w = run({bin, "--hive", "127.0.0.1:1", "--model", model, "--device", "cuda:0"}, in.env, 60s);
    EXPECT_NE(w.status, 0);
    EXPECT_NE(w.err.find("CUDA"), std::string::npos) << w.err;
  }
}
