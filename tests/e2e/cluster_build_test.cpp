// `rbee hive install --host --build source` through real ssh into a network
// namespace: this checkout's source tarball goes to the host, is built there
// with cmake, and the compiler's lines reach the job's stream while the build
// runs; the rbee built there becomes the hive and joins. The hosts' ssh
// sessions use this machine's compiler cache (ccache), as a host that built
// rbee before would: a build is several minutes cold, about one warm. ctest
// label `long`; skips where namespaces or a compiler are missing.
#include "io/child.hpp"
#include "io/fetch.hpp"
#include "tests/e2e/hosts_fixture.hpp"

#include <filesystem>

using namespace rbee;
using namespace rbee::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct SourceHosts : Hosts {
  std::vector<std::string> session_env() override {
    std::string ccache = find_program("ccache");
    if (ccache.empty()) return {};
    auto r = run({ccache, "-k", "cache_dir"});
    std::string dir = r.out.substr(0, r.out.find('\n'));
    return r.status == 0 && !dir.empty() ? std::vector<std::string>{"CCACHE_DIR=" + dir} : std::vector<std::string>{};
  }
};

std::string tail(const std::string& s) { return s.substr(s.size() > 6000 ? s.size() - 6000 : 0); }

} // namespace

TEST_F(SourceHosts, BuildsTheHiveThereWithTheCompilersLinesStreamedLive) {
  if (find_program("cmake").empty() || find_program("c++").empty()) GTEST_SKIP() << "no cmake or C++ compiler here";
  std::string built = lab->home(1) + "/cache/rbee/source/src/build/rbee";
  auto argv = lab->in(0);
  argv.insert(argv.end(), {rbee_bin(), "hive", "install", "--host", "host1", "--build", "source"});
  auto t0 = std::chrono::steady_clock::now();
  process install(argv, env);
  std::string all;
  bool compiling = false, live = false;
  while (auto line = install.read_line(40min)) {
    all += *line + "\n";
    if (!compiling && line->find("host1: [") != std::string::npos && line->find("Building CXX object") != std::string::npos) {
      compiling = true;
      // Streamed, not replayed at the end: the line is here before the build has linked rbee.
      live = !fs::exists(built);
    }
  }
  auto status = install.wait(60s);
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(status, 0) << tail(all) << install.stderr_text() << queen->stderr_text();
  std::printf("hive built from source over ssh and joined in %lld s\n", static_cast<long long>(secs));
  EXPECT_TRUE(compiling) << "the compiler's lines reached the job's stream: " << tail(all);
  EXPECT_TRUE(live) << "a compiler line arrived while the build was still running";
  EXPECT_NE(all.find("copying rbee's source"), std::string::npos) << all.substr(0, 3000);
  EXPECT_NE(all.find("host1: -- rbee: CUDA backend"), std::string::npos) << "cmake's configure lines: " << all.substr(0, 3000);
  EXPECT_NE(all.find("built rbee on host1 in"), std::string::npos) << tail(all);
  EXPECT_NE(all.find("has joined the queen"), std::string::npos) << tail(all);
  EXPECT_EQ(hive_state("host1"), "online");
  // What runs there is what was built there.
  std::string installed = lab->home(1) + "/data/rbee/bin/rbee";
  ASSERT_TRUE(fs::exists(installed));
  EXPECT_EQ(sha256_file(installed), sha256_file(built));
  EXPECT_NE(sha256_file(installed), sha256_file(rbee_bin())) << "not a copy of this binary";
  auto v = run({installed, "--version"});
  EXPECT_EQ(v.status, 0) << v.err;
}
