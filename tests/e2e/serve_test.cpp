// `rbee serve`: the embedded mode as a user starts it.
#include "tests/e2e/e2e.hpp"

#include <signal.h>

using namespace rbee;
using namespace rbee::test;
using namespace std::chrono_literals;

TEST(Serve, ListensAnswersAndStopsOnSigterm) {
  auto env = private_env();
  auto d = start_daemon({"serve", "--port", "0"}, env);
  ASSERT_GT(d.port, 0);
  auto h = net::http_call(d.url(), "GET", "/health");
  EXPECT_EQ(h.status, 200);
  auto r = net::http_call(d.url(), "POST", "/v1/jobs", R"({"operation":"hive_get","hive_id":"localhost"})");
  EXPECT_EQ(r.status, 202) << r.body;
  std::string last;
  auto st = net::sse_get(d.url(), r.body.substr(r.body.find("/v1/jobs/"), r.body.rfind('"') - r.body.find("/v1/jobs/")),
                         {}, [&](const net::sse_event& e) { last = e.event; return true; }, 5s);
  EXPECT_EQ(st.status, 200);
  EXPECT_EQ(last, "done");
  auto start = std::chrono::steady_clock::now();
  d.proc->signal(SIGTERM);
  auto code = d.proc->wait(5s);
  ASSERT_TRUE(code) << "did not stop";
  EXPECT_EQ(*code, 0) << d.proc->stderr_text();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST(Serve, StopsOnSigintWithOpenSseStreams) {
  auto d = start_daemon({"serve", "--port", "0"}, private_env());
  std::thread watcher([&] {
    net::sse_get(d.url(), "/v1/events", {}, [](const net::sse_event&) { return true; }, 10s);
  });
  std::this_thread::sleep_for(300ms);
  auto start = std::chrono::steady_clock::now();
  d.proc->signal(SIGINT);
  auto code = d.proc->wait(5s);
  watcher.join();
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST(Serve, BusyPortIsAClearError) {
  auto env = private_env();
  auto first = start_daemon({"serve", "--port", "0"}, env);
  auto second = run({rbee_bin(), "serve", "--port", std::to_string(first.port)}, env, 20s);
  EXPECT_EQ(second.status, 1);
  EXPECT_NE(second.err.find("cannot listen"), std::string::npos) << second.err;
}

TEST(Serve, NonLoopbackBindNeedsAToken) {
  auto r = run({rbee_bin(), "serve", "--port", "0", "--bind", "0.0.0.0"}, private_env(), 20s);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("api_token"), std::string::npos) << r.err;
}

TEST(Serve, NonLoopbackBindWithTokenRequiresIt) {
  auto env = private_env();
  env.push_back("RBEE_API_TOKEN=e2e-token-0123456789");
  auto d = start_daemon({"serve", "--port", "0", "--bind", "0.0.0.0"}, env);
  ASSERT_GT(d.port, 0);
  EXPECT_EQ(net::http_call(d.url(), "GET", "/v1/hives").status, 401);
  EXPECT_EQ(net::http_call(d.url(), "GET", "/v1/hives", {}, {{"Authorization", "Bearer e2e-token-0123456789"}}).status,
            200);
}
