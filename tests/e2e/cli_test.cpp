// The `rbee` command line: help, usage errors, config errors, the keeper commands.
#include "tests/e2e/e2e.hpp"

#include <filesystem>
#include <fstream>

using namespace rbee;
using namespace rbee::test;
using namespace std::chrono_literals;

TEST(Cli, HelpListsTheSubcommands) {
  auto r = run({rbee_bin(), "--help"});
  EXPECT_EQ(r.status, 0);
  for (auto cmd : {"serve", "queen", "hive", "status", "jobs", "job"})
    EXPECT_NE(r.out.find(cmd), std::string::npos) << cmd;
  auto s = run({rbee_bin(), "serve", "--help"});
  EXPECT_EQ(s.status, 0);
  EXPECT_NE(s.out.find("--port"), std::string::npos);
  EXPECT_EQ(run({rbee_bin(), "--version"}).status, 0);
}

TEST(Cli, UsageErrorsExitWith2) {
  auto unknown = run({rbee_bin(), "frobnicate"});
  EXPECT_EQ(unknown.status, 2);
  EXPECT_FALSE(unknown.err.empty());
  EXPECT_EQ(run({rbee_bin(), "serve", "--no-such-flag"}).status, 2);
  EXPECT_EQ(run({rbee_bin(), "serve", "--port", "eighty"}).status, 2);
  auto bare = run({rbee_bin()});
  EXPECT_EQ(bare.status, 2);
  EXPECT_NE(bare.out.find("Subcommands:"), std::string::npos) << "the commands, not 'A subcommand is required': " << bare.out;
  EXPECT_NE(bare.out.find("run"), std::string::npos);
  auto typo = run({rbee_bin(), "lss"});
  EXPECT_EQ(typo.status, 2);
  EXPECT_NE(typo.err.find("unknown command 'lss': did you mean 'ls'?"), std::string::npos) << typo.err;
  EXPECT_NE(run({rbee_bin(), "--log-level", "warn", "pul", "x"}).err.find("did you mean 'pull'?"), std::string::npos);
  EXPECT_EQ(run({rbee_bin(), "job"}).status, 2);
}

TEST(Cli, InvalidConfigNamesTheKey) {
  auto env = private_env();
  std::string dir = env[0].substr(env[0].find('=') + 1) + "/rbee";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/config.json") << R"({"queen_port": "high"})";
  auto r = run({rbee_bin(), "serve", "--port", "0"}, env, 20s);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("queen_port"), std::string::npos) << r.err;
  auto bad_env = private_env();
  bad_env.push_back("RBEE_MAX_CONNECTIONS=0");
  auto e = run({rbee_bin(), "config"}, bad_env);
  EXPECT_EQ(e.status, 2);
  EXPECT_NE(e.err.find("RBEE_MAX_CONNECTIONS"), std::string::npos) << e.err;
  auto missing = run({rbee_bin(), "--config", "/nonexistent.json", "config"}, private_env());
  EXPECT_EQ(missing.status, 2);
  auto bad_flag = run({rbee_bin(), "serve", "--port", "70000"}, private_env());
  EXPECT_EQ(bad_flag.status, 2);
  EXPECT_NE(bad_flag.err.find("--queen_port"), std::string::npos) << bad_flag.err;
}

TEST(Cli, StatusWithoutAQueenSaysSo) {
  auto r = run({rbee_bin(), "status", "--queen", "http://127.0.0.1:1"}, private_env());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("no queen answers"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("`rbee serve --port 1`"), std::string::npos) << "the hint names the port: " << r.err;
  // Not a loopback address (0.0.0.0 refuses at once here): the queen is started on that machine.
  auto far = run({rbee_bin(), "ls", "--queen", "http://0.0.0.0:8600"}, private_env(), 60s);
  EXPECT_NE(far.err.find("`rbee queen --bind 0.0.0.0 --port 8600` on that machine"), std::string::npos) << far.err;
  EXPECT_EQ(run({rbee_bin(), "status", "--queen", "ftp://x"}, private_env()).status, 2);
}

TEST(Cli, KeeperAgainstARealQueen) {
  auto env = private_env();
  auto d = start_daemon({"serve", "--port", "0"}, env);
  env.push_back("RBEE_QUEEN_URL=" + d.base());
  auto status = run({rbee_bin(), "status"}, env);
  EXPECT_EQ(status.status, 0) << status.err;
  EXPECT_NE(status.out.find("localhost"), std::string::npos);
  EXPECT_NE(status.out.find("online"), std::string::npos);

  auto ok = run({rbee_bin(), "job", "submit", R"({"operation":"hive_get","hive_id":"localhost"})"}, env);
  EXPECT_EQ(ok.status, 0) << ok.err;
  EXPECT_NE(ok.out.find("[hive"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("\"cpu_model\""), std::string::npos);

  auto bad = run({rbee_bin(), "job", "submit", "{oops"}, env);
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("bad_request"), std::string::npos) << bad.err;

  auto nowhere = run({rbee_bin(), "job", "submit", R"({"operation":"hive_get","hive_id":"mars"})"}, env);
  EXPECT_EQ(nowhere.status, 1);
  EXPECT_NE(nowhere.err.find("hive_not_found"), std::string::npos);

  auto jobs = run({rbee_bin(), "jobs"}, env);
  EXPECT_EQ(jobs.status, 0);
  EXPECT_NE(jobs.out.find("hive_get"), std::string::npos);
  EXPECT_NE(jobs.out.find("completed"), std::string::npos);
}
