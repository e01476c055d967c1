// The ssh helpers that need no server: aliases, quoting, the Host list of a config.
#include "cluster/ssh.hpp"
#include "io/child.hpp"
#include "tests/support/process.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

using namespace rbee::cluster;
using rbee::shell_quote;

TEST(Ssh, OnlyPlainAliasesReachSsh) {
  for (auto ok : {"beta", "gpu-box.lan", "user@host", "h_1", "10.0.0.5"}) EXPECT_TRUE(valid_alias(ok)) << ok;
  for (auto bad : {"", "-oProxyCommand=x", "a b", "a;b", "$(x)", "a\nb", "`x`", "a'b"}) EXPECT_FALSE(valid_alias(bad)) << bad;
  EXPECT_FALSE(valid_alias(std::string(300, 'a')));
  ssh_options o;
  o.control_dir = "/tmp/c";
  auto argv = ssh_argv(o, "beta", "uname -m");
  ASSERT_GE(argv.size(), 3u);
  EXPECT_EQ(argv[argv.size() - 3], "--") << "the alias can never be read as an option";
  EXPECT_NE(std::find(argv.begin(), argv.end(), "BatchMode=yes"), argv.end());
  EXPECT_NE(std::find(argv.begin(), argv.end(), "StrictHostKeyChecking=accept-new"), argv.end());
}

TEST(Ssh, ShellQuotingSurvivesHostileText) {
  EXPECT_EQ(shell_quote("plain"), "'plain'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  // Round trip through a real shell.
  for (std::string s : {std::string("a b"), std::string("$(touch /tmp/x)"), std::string("'\"`;|&\n")}) {
    auto r = rbee::test::run({"/bin/sh", "-c", "printf '%s\\n' " + shell_quote(s)});
    EXPECT_EQ(r.out, s + "\n");
  }
}

TEST(Ssh, ConfigHostsSkipPatternsAndFollowIncludes) {
  auto dir = rbee::test::temp_dir();
  std::filesystem::create_directories(dir + "/conf.d");
  std::ofstream(dir + "/config") << "# mine\nHost alpha beta\n  HostName 10.0.0.1\nHost *.lan !gamma *\n"
                                 << "Include conf.d/*.conf\nhost Delta\nMatch all\n  User x\n";
  std::ofstream(dir + "/conf.d/a.conf") << "Host epsilon alpha\n";
  std::ofstream(dir + "/conf.d/loop.conf") << "Include " << dir << "/config\n"; // a loop ends at the depth limit
  auto hosts = config_hosts(dir + "/config");
  std::vector<std::string> want = {"alpha", "beta", "epsilon", "Delta"};
  EXPECT_EQ(hosts, want);
  EXPECT_TRUE(config_hosts(dir + "/missing").empty());
}
