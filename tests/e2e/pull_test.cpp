// `rbee pull`, `ls`, `rm` against a real `rbee serve` whose HF_ENDPOINT is a
// loopback server speaking the Hugging Face API.
#include "tests/e2e/e2e.hpp"
#include "tests/kernels/kernels_test_util.hpp"
#include "tests/support/hf_server.hpp"

#include <signal.h>

#include <filesystem>
#include <random>

using namespace rbee;
using namespace rbee::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

class Pull : public ::testing::Test {
protected:
  void SetUp() override {
    if (!exists(stories("stories260K-q8_0.gguf"))) GTEST_SKIP() << "stories260K not found";
    hf.add_file("test/tiny", "tiny-Q8_0.gguf", read_text(stories("stories260K-q8_0.gguf")));
    hf.add_file("test/tiny", "tiny-Q4_0.gguf", read_text(stories("stories260K-q4_0.gguf")));
    hf.add_file("test/tiny", "README.md", "# tiny");
    hf.add_file("test/docs", "README.md", "no weights here");
    hf.add_file("test/evil", "../evil.gguf", "x");
    hf.add_file("test/gated", "m-Q4_0.gguf", "x");
    hf.gate("test/gated", "tok");
    env = private_env();
    env.push_back("HF_ENDPOINT=" + hf.endpoint());
    models = env[1].substr(env[1].find('=') + 1) + "/rbee/models";
    start();
  }
  void start() {
    d = start_daemon({"serve", "--port", "0"}, env);
    ASSERT_GT(d.port, 0);
    keeper = env;
    keeper.push_back("RBEE_QUEEN_URL=" + d.base());
  }
  run_result rbee(std::vector<std::string> args) {
    args.insert(args.begin(), rbee_bin());
    return run(args, keeper, 60s);
  }
  hf_server hf;
  std::vector<std::string> env, keeper;
  std::string models;
  rbee_daemon d;
};

} // namespace

TEST_F(Pull, PullListRunRemove) {
  auto p = rbee({"pull", "test/tiny"});
  ASSERT_EQ(p.status, 0) << p.err;
  EXPECT_TRUE(fs::exists(models + "/test/tiny/tiny-Q4_0.gguf")); // the preferred quantization present
  EXPECT_FALSE(fs::exists(models + "/test/tiny/tiny-Q8_0.gguf"));
  EXPECT_NE(p.err.find("verified"), std::string::npos) << p.err;
  ASSERT_EQ(rbee({"pull", "hf.co/test/tiny:Q8_0"}).status, 0);
  EXPECT_TRUE(fs::exists(models + "/test/tiny/tiny-Q8_0.gguf"));
  auto again = rbee({"pull", "test/tiny:Q8_0"}); // already there: nothing to fetch
  EXPECT_EQ(again.status, 0);
  EXPECT_NE(again.err.find("already in the store"), std::string::npos) << again.err;
  EXPECT_EQ(again.err.find("downloaded"), std::string::npos) << "nothing was: " << again.err;
  EXPECT_NE(again.err.find("was already in the store and matches"), std::string::npos) << again.err;
  auto ls = rbee({"ls"});
  EXPECT_NE(ls.out.find("test/tiny:Q8_0 "), std::string::npos) << "the canonical name: " << ls.out;
  EXPECT_NE(ls.out.find("Q8_0"), std::string::npos);  // read from the GGUF header
  EXPECT_NE(ls.out.find("llama"), std::string::npos);
  auto get = rbee({"job", "submit", R"({"operation":"model_get","model":"test/tiny:Q8_0"})"});
  EXPECT_NE(get.out.find("\"parameters\": 292800"), std::string::npos) << get.out;
  auto answer = rbee({"run", "test/tiny:Q8_0", "Once upon a time", "-n", "8"});
  EXPECT_EQ(answer.status, 0) << answer.err;
  EXPECT_EQ(rbee({"stop", "test/tiny:Q8_0"}).status, 0);
  std::this_thread::sleep_for(300ms);
  auto rm = rbee({"rm", "test/tiny:Q8_0"});
  EXPECT_EQ(rm.status, 0) << rm.err;
  EXPECT_FALSE(fs::exists(models + "/test/tiny/tiny-Q8_0.gguf"));
  EXPECT_TRUE(fs::exists(models + "/test/tiny/tiny-Q4_0.gguf"));
}

TEST_F(Pull, FailuresNameTheCause) {
  auto missing = rbee({"pull", "test/nothing"});
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find("no repository"), std::string::npos) << missing.err;
  auto docs = rbee({"pull", "test/docs"});
  EXPECT_EQ(docs.status, 1);
  EXPECT_NE(docs.err.find("README.md"), std::string::npos) << docs.err; // lists what is there
  auto gated = rbee({"pull", "test/gated"});
  EXPECT_EQ(gated.status, 1);
  EXPECT_NE(gated.err.find("gated"), std::string::npos) << gated.err;
  auto evil = rbee({"pull", "test/evil"});
  EXPECT_EQ(evil.status, 1);
  EXPECT_NE(evil.err.find("unsafe"), std::string::npos) << evil.err;
  EXPECT_FALSE(fs::exists(models + "/evil.gguf"));
  EXPECT_FALSE(fs::exists(models + "/test/evil.gguf"));
  auto quant = rbee({"pull", "test/tiny:Q2_K"});
  EXPECT_EQ(quant.status, 1);
  EXPECT_NE(quant.err.find("tiny-Q4_0.gguf"), std::string::npos) << quant.err;
  EXPECT_EQ(rbee({"pull", "../../etc"}).status, 1);
  EXPECT_EQ(rbee({"rm", "test/none"}).status, 1);
}

TEST_F(Pull, ResumesAfterTheServerIsKilled) {
  std::mt19937 rng(9);
  std::string big(6 << 20, '\0');
  for (auto& c : big) c = static_cast<char>(rng());
  hf.add_file("test/big", "big-Q4_0.gguf", big);
  hf.faults("test/big", "big-Q4_0.gguf", {-1, -1, false, 2 << 20}); // 2 MiB/s
  process pull({rbee_bin(), "pull", "test/big"}, keeper);
  std::string partial = models + "/test/big/big-Q4_0.gguf.incomplete";
  ASSERT_TRUE(eventually([&] { return fs::exists(partial) && fs::file_size(partial) > (1u << 20); }, 10s));
  d.proc->signal(SIGKILL);
  d.proc->wait(5s);
  pull.wait(10s);
  auto kept = fs::file_size(partial);
  EXPECT_GT(kept, 0u);
  EXPECT_LT(kept, big.size());
  hf.faults("test/big", "big-Q4_0.gguf", {});
  start();
  int ranges = hf.range_requests();
  auto again = rbee({"pull", "test/big"});
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_GT(hf.range_requests(), ranges); // it resumed
  EXPECT_EQ(read_text(models + "/test/big/big-Q4_0.gguf"), big);
  EXPECT_FALSE(fs::exists(partial));
}

TEST_F(Pull, ASecondPullJoinsTheFirstAndSeesItsProgress) {
  std::string big(4 << 20, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 2654435761u >> 13);
  hf.add_file("test/slow", "slow-Q4_0.gguf", big);
  hf.faults("test/slow", "slow-Q4_0.gguf", {-1, -1, false, 2 << 20}); // 2 s
  process first({rbee_bin(), "pull", "test/slow"}, keeper);
  std::this_thread::sleep_for(500ms);
  // The second job: submitted by hand to watch its stream.
  auto r = net::http_call(d.url(), "POST", "/v1/jobs", R"({"operation":"model_download","model":"test/slow"})");
  ASSERT_EQ(r.status, 202);
  std::string id = r.body.substr(r.body.find("job-"), 20);
  int progress = 0;
  std::string last, joined;
  net::sse_get(d.url(), "/v1/jobs/" + id + "/stream", {}, [&](const net::sse_event& e) {
    progress += e.event == "progress";
    if (e.data.find("waiting for it") != std::string::npos) joined = e.data;
    last = e.event;
    return true;
  }, 20s);
  EXPECT_FALSE(joined.empty());
  EXPECT_GT(progress, 0);
  EXPECT_EQ(last, "done");
  EXPECT_EQ(first.wait(20s), 0);
  EXPECT_EQ(read_text(models + "/test/slow/slow-Q4_0.gguf"), big);
}

TEST_F(Pull, WithoutLfsDataTheFileHeadersGiveHashAndSize) {
  std::string content = read_text(stories("stories260K-q4_0.gguf"));
  hf.add_file("test/plain", "plain-Q4_0.gguf", content);
  hf.hide_lfs("test/plain");
  hf.faults("test/plain", "plain-Q4_0.gguf", {-1, 100, false}); // a flipped byte
  auto bad = rbee({"pull", "test/plain"});
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("sha256 mismatch"), std::string::npos) << bad.err; // X-Linked-Etag was the hash
  hf.faults("test/plain", "plain-Q4_0.gguf", {});
  EXPECT_EQ(rbee({"pull", "test/plain"}).status, 0);
  EXPECT_EQ(read_text(models + "/test/plain/plain-Q4_0.gguf"), content);
}

// A file the server gives no hash for cannot be verified: refused by default, and
// with allow_unverified_downloads it is fetched but never called "verified".
TEST_F(Pull, UnverifiableFilesAreRefusedUnlessAllowed) {
  std::string content = read_text(stories("stories260K-q4_0.gguf"));
  hf.add_file("test/nohash", "nohash-Q4_0.gguf", content);
  hf.hide_hashes("test/nohash");
  auto refused = rbee({"pull", "test/nohash"});
  EXPECT_EQ(refused.status, 1);
  EXPECT_NE(refused.err.find("no sha256"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("allow_unverified_downloads=1"), std::string::npos) << refused.err;
  EXPECT_FALSE(fs::exists(models + "/test/nohash/nohash-Q4_0.gguf"));
  d = {};
  env.push_back("RBEE_ALLOW_UNVERIFIED_DOWNLOADS=1");
  start();
  auto allowed = rbee({"pull", "test/nohash"});
  ASSERT_EQ(allowed.status, 0) << allowed.err;
  auto m = net::http_call(d.url(), "GET", "/metrics").body; // the bytes are counted
  auto at = m.find("\nrbee_download_bytes_total ");
  ASSERT_NE(at, std::string::npos) << m;
  EXPECT_EQ(std::stoull(m.substr(at + 27)), content.size()) << m;
  EXPECT_NE(allowed.err.find("unverified"), std::string::npos) << allowed.err;
  EXPECT_EQ(allowed.err.find("verified sha256"), std::string::npos) << allowed.err;
  EXPECT_EQ(allowed.err.find("size and sha256 verified"), std::string::npos) << allowed.err;
  EXPECT_EQ(read_text(models + "/test/nohash/nohash-Q4_0.gguf"), content);
}

// A link planted where the partial download goes cannot redirect the write.
TEST_F(Pull, APlantedLinkAtThePartialIsNotFollowed) {
  fs::create_directories(models + "/test/tiny");
  auto victim = fs::path(models).parent_path() / "victim.txt";
  std::ofstream(victim) << "keep me";
  fs::create_symlink(victim, models + "/test/tiny/tiny-Q4_K_M.gguf.incomplete");
  fs::create_symlink(victim, models + "/test/tiny/tiny-Q8_0.gguf.incomplete");
  fs::create_symlink(victim, models + "/test/tiny/tiny-Q4_0.gguf.incomplete");
  auto r = rbee({"pull", "test/tiny:Q8_0"});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(read_text(victim.string()), "keep me");
}
