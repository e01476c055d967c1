// `rbee run` as a person uses it: the chat's /commands, a conversation longer
// than the model's context (the oldest turns go, the system prompt stays, said
// once), a one-shot answer cut by the context (a note on stderr), Ctrl-C during
// a one-shot answer (cancelled, exit 3). A synthetic model (random weights:
// it talks until it is stopped) makes each case certain; no download.
#include "tests/e2e/e2e.hpp"

#include <signal.h>

#include <filesystem>

using namespace rbee;
using namespace rbee::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct Chat : ::testing::Test {
  void start(int ctx) {
    env = private_env();
    std::string dir = temp_dir();
    model = dir + "/s15m.gguf";
    ASSERT_EQ(run({rbee_bin(), "model", "synth", "--shape", "stories15m", "--type", "q8_0", "--out", model}, {}, 120s).status, 0);
    env.push_back("RBEE_WORKER_CTX=" + std::to_string(ctx));
    d = start_daemon({"serve", "--port", "0"}, env);
    ASSERT_GT(d.port, 0);
    env.push_back("RBEE_QUEEN_URL=" + d.base());
  }
  size_t count(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  }
  std::vector<std::string> env;
  std::string model;
  rbee_daemon d;
};

} // namespace

TEST_F(Chat, CommandsAndAConversationLongerThanTheContext) {
  start(256);
  std::string input = "/help\n/set seed 7\n/set temperature 0.5\n/set system Be brief.\n/frob\n/show\n"
                      "one\ntwo\nthree\nfour\nfive\nsix\n/clear\nseven\n/bye\nnever sent\n";
  auto r = run({rbee_bin(), "run", model, "-n", "100"}, env, 180s, &input);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("/set temperature X"), std::string::npos) << "the help: " << r.err;
  EXPECT_NE(r.err.find("set the system prompt"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("unknown command '/frob'; /help lists them"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("temperature 0.500000, top_p (the server's), seed 7"), std::string::npos) << r.err;
  EXPECT_EQ(count(r.err, "dropping the oldest turns"), 1u) << "said once: " << r.err;
  EXPECT_EQ(r.err.find("context overflow"), std::string::npos) << "never an error: " << r.err;
  EXPECT_NE(r.err.find("cleared the conversation"), std::string::npos) << r.err;
  // Seven answers, each ending its line; /bye ends the chat before the last line.
  EXPECT_EQ(count(r.out, "\n"), 7u) << r.out;
  auto jobs = net::http_call(d.url(), "GET", "/v1/jobs").body;
  EXPECT_EQ(jobs.find("never sent"), std::string::npos);
}

TEST_F(Chat, AOneShotAnswerCutByTheContextSaysSo) {
  start(64);
  auto r = run({rbee_bin(), "run", model, "Once upon a time"}, env, 120s);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_FALSE(r.out.empty());
  EXPECT_NE(r.err.find("the answer stopped at the end of the model's context"), std::string::npos) << r.err;
  auto capped = run({rbee_bin(), "run", model, "Once upon a time", "-n", "4"}, env, 60s);
  EXPECT_EQ(capped.err.find("end of the model's context"), std::string::npos) << "-n was the limit: " << capped.err;
}

TEST_F(Chat, CtrlCDuringAOneShotAnswerCancelsItAndExits3) {
  start(8192);
  process p({rbee_bin(), "run", model, "tell me a story"}, env);
  auto jobs = [&] { return net::http_call(d.url(), "GET", "/v1/jobs").body; };
  ASSERT_TRUE(eventually([&] {
    auto j = jobs();
    return j.find("\"operation\":\"infer\"") != std::string::npos && j.find("\"state\":\"running\"") != std::string::npos;
  }, 30s)) << jobs();
  p.signal(SIGINT);
  auto status = p.wait(20s);
  EXPECT_EQ(status, 3) << p.stderr_text();
  EXPECT_NE(p.stderr_text().find("rbee: cancelled"), std::string::npos) << p.stderr_text();
  EXPECT_TRUE(eventually([&] { return jobs().find("\"state\":\"cancelled\"") != std::string::npos; }, 10s)) << jobs();
}
