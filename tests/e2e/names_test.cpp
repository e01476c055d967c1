// One name per model: every form of a model's name (org/repo, org/repo:QUANT,
// org/repo:file.gguf, any case of the quantization) names the same model in
// run, stop and rm, and every listing (ls, ps, /v1/models, /v1/workers) shows
// the one canonical name, org/repo:QUANT. Synthetic models: no download.
#include "tests/e2e/e2e.hpp"

#include <filesystem>

using namespace rbee;
using namespace rbee::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

class Names : public ::testing::Test {
protected:
  void SetUp() override {
    std::string data = temp_dir() + "/data", repo = data + "/rbee/models/test/names";
    env = private_env();
    for (auto& e : env) // the store is in this data directory
      if (e.starts_with("XDG_DATA_HOME=")) e = "XDG_DATA_HOME=" + data;
    fs::create_directories(repo);
    for (auto type : {"q8_0", "q4_0"}) {
      std::string out = repo + "/names-" + (type == std::string("q8_0") ? "Q8_0" : "Q4_0") + ".gguf";
      ASSERT_EQ(run({rbee_bin(), "model", "synth", "--shape", "tiny", "--type", type, "--out", out}, {}, 60s).status, 0);
    }
    env.push_back("RBEE_CATALOG_URL=http://127.0.0.1:1");
    d = start_daemon({"serve", "--port", "0"}, env);
    env.push_back("RBEE_QUEEN_URL=" + d.base());
  }
  run_result rbee(std::vector<std::string> args) {
    args.insert(args.begin(), rbee_bin());
    return run(args, env, 60s);
  }
  bool loaded() { return rbee({"ps"}).out.find("test/names:Q8_0") != std::string::npos; }
  std::vector<std::string> env;
  rbee_daemon d;
};

} // namespace

TEST_F(Names, EveryFormNamesTheSameModelEverywhere) {
  auto ls = rbee({"ls"});
  ASSERT_EQ(ls.status, 0) << ls.err;
  EXPECT_NE(ls.out.find("test/names:Q8_0 "), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("test/names:Q4_0 "), std::string::npos) << ls.out;
  EXPECT_EQ(ls.out.find(".gguf"), std::string::npos) << "the canonical name, not the file's:\n" << ls.out;
  auto models = net::http_call(d.url(), "GET", "/v1/models");
  EXPECT_NE(models.body.find("\"id\":\"test/names:Q8_0\""), std::string::npos) << models.body;

  // Loaded by its file name, listed and stopped by its quantization (any case).
  auto r = rbee({"run", "test/names:names-Q8_0.gguf", "hi", "-n", "2"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto ps = rbee({"ps"});
  EXPECT_NE(ps.out.find("test/names:Q8_0 "), std::string::npos) << ps.out;
  EXPECT_NE(net::http_call(d.url(), "GET", "/v1/workers").body.find("\"model\":\"test/names:Q8_0\""), std::string::npos);
  auto stop = rbee({"stop", "test/names:q8_0"});
  EXPECT_EQ(stop.status, 0) << stop.err;
  EXPECT_TRUE(eventually([&] { return !loaded(); }, 5s));

  // Loaded by its canonical name, stopped by the file's.
  ASSERT_EQ(rbee({"run", "test/names:Q8_0", "hi", "-n", "2"}).status, 0);
  EXPECT_TRUE(loaded());
  EXPECT_EQ(rbee({"stop", "test/names:names-Q8_0.gguf"}).status, 0);
  EXPECT_TRUE(eventually([&] { return !loaded(); }, 5s));
  auto again = rbee({"stop", "test/names:Q8_0"});
  EXPECT_EQ(again.status, 1);
  EXPECT_NE(again.err.find("no loaded model 'test/names:Q8_0'"), std::string::npos) << again.err;

  // rm: a loaded model is refused under every name; unloaded, any form removes it.
  ASSERT_EQ(rbee({"run", "test/names:Q8_0", "hi", "-n", "2"}).status, 0);
  for (auto name : {"test/names:Q8_0", "test/names:names-Q8_0.gguf"}) {
    auto rm = rbee({"rm", name});
    EXPECT_EQ(rm.status, 1) << name;
    EXPECT_NE(rm.err.find("is loaded by worker-"), std::string::npos) << rm.err;
  }
  // A name that fits two files is explained, not guessed.
  auto two = rbee({"stop", "test/names"});
  EXPECT_EQ(two.status, 1);
  EXPECT_NE(two.err.find("several GGUF files"), std::string::npos) << two.err;
  EXPECT_EQ(rbee({"stop", "test/names:Q8_0"}).status, 0);
  EXPECT_TRUE(eventually([&] { return !loaded(); }, 5s));
  auto rm = rbee({"rm", "test/names:names-Q8_0.gguf"});
  EXPECT_EQ(rm.status, 0) << rm.err;
  // With one file left, the bare repository names it.
  ls = rbee({"ls"});
  EXPECT_EQ(ls.out.find("test/names:Q8_0"), std::string::npos) << ls.out;
  ASSERT_EQ(rbee({"run", "test/names", "hi", "-n", "2"}).status, 0);
  EXPECT_NE(rbee({"ps"}).out.find("test/names:Q4_0 "), std::string::npos);
  EXPECT_EQ(rbee({"stop", "test/names:Q4_0"}).status, 0);

  // worker_stop's model field from outside: refused with the reason, the server stays up.
  auto submit = [&](const std::string& fields) {
    return net::http_call(d.url(), "POST", "/v1/jobs", R"({"operation":"worker_stop","hive_id":"localhost")" + fields + "}");
  };
  EXPECT_EQ(submit(R"(,"model":")" + std::string(100000, 'a') + "\"").status, 422); // over 512 bytes: invalid_value
  EXPECT_EQ(submit(R"(,"model":"\xff")").status, 400);                             // not JSON text
  for (auto fields : {std::string(R"(,"model":"../../../etc/passwd")"), std::string(R"(,"model":"test/names","worker_id":"worker-1")"),
                      std::string()}) {
    auto r = submit(fields);
    ASSERT_EQ(r.status, 202) << fields << r.body;
    auto id = r.body.substr(r.body.find("job-"), 20);
    EXPECT_TRUE(eventually([&] { return net::http_call(d.url(), "GET", "/v1/jobs/" + id).body.find("\"failed\"") != std::string::npos; }, 5s))
      << fields << ": " << net::http_call(d.url(), "GET", "/v1/jobs/" + id).body;
  }
  EXPECT_EQ(net::http_call(d.url(), "GET", "/health").status, 200);
}
