// Several machines on one: the queen in its own network namespace, two hosts
// in theirs with real sshd, joined by veth links. `rbee hive install --host`
// through real ssh and an ssh config, work placed on the right hive, a
// partition by taking a link down, and healing it. Skips (saying why) where
// namespaces cannot be made; CI runs as root, so there it runs.
#include "tests/e2e/hosts_fixture.hpp"
#include "tests/kernels/kernels_test_util.hpp"
#include "tests/support/archive_fixture.hpp"
#include "io/child.hpp"

#include <signal.h>

#include <filesystem>
#include <fstream>

using namespace rbee;
using namespace rbee::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

TEST_F(Hosts, InstallsHivesOverSshPlacesWorkAndSurvivesAPartition) {
  // Install on both hosts through real ssh: the remote work streams into the job.
  for (int i = 1; i <= 2; ++i) {
    auto r = rbee({"hive", "install", "--host", lab->alias(i)});
    ASSERT_EQ(r.status, 0) << r.out << r.err << queen->stderr_text();
    EXPECT_NE(r.out.find(lab->alias(i) + ": Linux"), std::string::npos) << "the preflight's findings: " << r.out;
    EXPECT_NE(r.out.find(lab->alias(i) + ": this machine is hive '" + lab->alias(i) + "'"), std::string::npos)
      << "a remote command's own line: " << r.out;
    EXPECT_NE(r.out.find("has joined the queen"), std::string::npos) << r.out;
    // The hive's key was made on the host and never left it.
    EXPECT_TRUE(fs::exists(lab->home(i) + "/state/rbee/cluster/hive/hive.key"));
  }
  EXPECT_EQ(hive_state("host1"), "online");
  EXPECT_EQ(hive_state("host2"), "online");
  auto listed = rbee({"hives"}, 20s);
  EXPECT_NE(listed.out.find("host1                    online"), std::string::npos) << listed.out << listed.err;
  EXPECT_NE(listed.out.find("host2                    online"), std::string::npos) << listed.out;
  auto status = rbee({"hive", "status", "--host", "host1"});
  EXPECT_NE(status.out.find("\"online\""), std::string::npos) << status.out << status.err;

  // A model only host2 has: the work goes there, and says why.
  if (exists(stories("stories260K-f32.gguf"))) {
    std::string dir = lab->home(2) + "/data/rbee/models/test/stories";
    fs::create_directories(dir);
    fs::copy_file(stories("stories260K-f32.gguf"), dir + "/m.gguf");
    // Each hive measures its memory bandwidth once, in the background, after it starts.
    EXPECT_TRUE(eventually([&] {
      auto h = hives();
      auto first = h.find("\"read_bandwidth\"");
      return first != std::string::npos && h.find("\"read_bandwidth\"", first + 1) != std::string::npos;
    }, 20s)) << hives();
    auto r = rbee({"job", "submit", R"({"operation":"infer","model":"test/stories","prompt":"Once","max_tokens":4})"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("placed on host2: test/stories in its store"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(" tokens/s"), std::string::npos) << "the predicted speed, from host2's measured bandwidth: " << r.out;
    EXPECT_NE(r.out.find("routing infer to hive host2"), std::string::npos) << r.out;
  }

  // A partition: host2's link goes down; it is lost, jobs for it fail with hive_lost...
  ASSERT_TRUE(lab->set_link(2, false));
  EXPECT_TRUE(eventually([&] { return hive_state("host2") == "lost"; }, 15s)) << hives();
  auto lost = rbee({"job", "submit", R"({"operation":"hive_get","hive_id":"host2"})"}, 30s);
  EXPECT_NE(lost.err.find("hive_lost"), std::string::npos) << lost.out << lost.err;
  EXPECT_EQ(hive_state("host1"), "online") << "the other hive is untouched";
  // ... and after it heals, the hive rejoins with a new epoch.
  ASSERT_TRUE(lab->set_link(2, true));
  EXPECT_TRUE(eventually([&] { return hive_state("host2") == "online"; }, 45s)) << hives();
  EXPECT_NE(hives().find("\"epoch\": 2"), std::string::npos) << hives();

  // Uninstalled, each hive process ends (host2's with the worker it loaded).
  for (int i = 1; i <= 2; ++i) {
    int pid = 0;
    std::ifstream(lab->home(i) + "/state/rbee/hive.pid") >> pid;
    ASSERT_GT(pid, 0);
    auto gone = rbee({"hive", "uninstall", "--host", lab->alias(i)});
    EXPECT_EQ(gone.status, 0) << gone.out << gone.err;
    EXPECT_FALSE(fs::exists(lab->home(i) + "/data/rbee/bin/rbee"));
    EXPECT_TRUE(eventually([&] { return hive_state(lab->alias(i)) == "lost"; }, 10s)) << hives();
    EXPECT_TRUE(eventually([&] { return ::kill(pid, 0) != 0; }, 15s)) << lab->alias(i) << "'s hive process still runs";
  }
}

TEST_F(Hosts, SshFailuresAreReportedAsSshFailures) {
  // An alias ssh cannot reach: ssh's own message, exit status 255 named as such.
  std::ofstream(lab->ssh_config(), std::ios::app) << "Host nowhere\n  HostName 10.255.255.1\n  ConnectTimeout 2\n";
  auto r = rbee({"hive", "install", "--host", "nowhere"}, 60s);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("ssh to nowhere"), std::string::npos) << r.out << r.err;
  // Hostile host names never reach ssh as options.
  auto bad = rbee({"hive", "install", "--host", "-oProxyCommand=touch /tmp/pwned"}, 20s);
  EXPECT_NE(bad.status, 0);
  EXPECT_FALSE(fs::exists("/tmp/pwned"));
  EXPECT_TRUE(queen->stderr_text().find("terminate") == std::string::npos);
}

namespace {

/// A queen whose source tarball does not build (its CMakeLists.txt fails on purpose).
struct BrokenSource : Hosts {
  std::string dir = temp_dir();
  std::vector<std::string> queen_env() override {
    std::ofstream(dir + "/src.tar.gz") << tarball({{"rbee-9.9.9/CMakeLists.txt",
                                                    "cmake_minimum_required(VERSION 3.20)\nproject(broken NONE)\n"
                                                    "message(FATAL_ERROR \"this source is broken on purpose\")\n"}});
    return {"RBEE_SOURCE_TARBALL=" + dir + "/src.tar.gz"};
  }
};

} // namespace

TEST_F(BrokenSource, AFailedRemoteBuildSaysWhatCmakeSaid) {
  if (find_program("cmake").empty() || find_program("c++").empty()) GTEST_SKIP() << "no cmake or C++ compiler here";
  auto r = rbee({"hive", "install", "--host", "host1", "--build", "source"});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("copying rbee's source"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("host1: CMake Error"), std::string::npos) << "cmake's own lines, streamed: " << r.out;
  EXPECT_NE(r.out.find("this source is broken on purpose"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("step 'build' on host1 failed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("scripts/deps.sh"), std::string::npos) << "the hint: " << r.err;
  EXPECT_FALSE(fs::exists(lab->home(1) + "/data/rbee/bin/rbee")) << "nothing was installed";
  // Unknown build methods are refused before any ssh, by the CLI and by the queen.
  auto cli = rbee({"hive", "install", "--host", "host1", "--build", "sideways"}, 20s);
  EXPECT_EQ(cli.status, 2) << cli.out << cli.err;
  auto op = rbee({"job", "submit", R"({"operation":"hive_remote","action":"install","host":"host1","build":"sideways"})"}, 20s);
  EXPECT_NE(op.err.find("unknown build 'sideways'"), std::string::npos) << op.out << op.err;
}
