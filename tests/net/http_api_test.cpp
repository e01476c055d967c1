// The HTTP front against real actors, over real loopback sockets.
#include "actors/node/embedded.hpp"
#include "actors/node/runtime.hpp"
#include "net/http_client.hpp"
#include "net/identity.hpp"
#include "net/metrics.hpp"
#include "net/server.hpp"
#include "tests/support/raw_http.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <sstream>
#include <thread>

using namespace rbee;
using namespace std::chrono_literals;
using test::raw_http;
using test::raw_status;

namespace {

config::settings test_settings() {
  config::settings s;
  s.max_body_bytes = 64 * 1024;
  s.max_header_bytes = 8 * 1024;
  s.read_timeout_ms = 1000;
  s.sse_keepalive_ms = 200;
  s.cors_origins = {"http://dash.example"};
  return s;
}

struct Api : ::testing::Test {
  explicit Api(config::settings s = test_settings()) : sys(init(cfg)), settings(s) {
    n = spawn_embedded(sys, settings, "test", local_hive_id);
    server = std::make_unique<net::http_server>(settings, net::backend{&sys, n.queen, n.bridge, "test", {}});
    port = server->start("127.0.0.1", 0);
    u.host = "127.0.0.1";
    u.port = std::to_string(port);
  }
  ~Api() override {
    server->stop();
    n.shutdown();
  }
  static caf::actor_system_config& init(caf::actor_system_config& c) {
    configure_actor_system(c, config::settings{}, false);
    return c;
  }
  net::http_result get(const std::string& path, net::headers h = {}) {
    return net::http_call(u, "GET", path, {}, h);
  }
  net::http_result post(const std::string& path, const std::string& body, net::headers h = {}) {
    return net::http_call(u, "POST", path, body, h);
  }
  std::string submit(const std::string& body) {
    auto r = post("/v1/jobs", body);
    EXPECT_EQ(r.status, 202) << r.body;
    auto pos = r.body.find("\"job_id\":\"");
    return r.body.substr(pos + 10, r.body.find('"', pos + 10) - pos - 10);
  }
  std::vector<net::sse_event> stream(const std::string& job, net::headers h = {}) {
    std::vector<net::sse_event> out;
    auto r = net::sse_get(u, "/v1/jobs/" + job + "/stream", h, [&](const net::sse_event& e) {
      out.push_back(e);
      return true;
    }, 5s);
    EXPECT_EQ(r.status, 200) << r.body;
    return out;
  }

  caf::actor_system_config cfg;
  caf::actor_system sys;
  config::settings settings;
  node n;
  std::unique_ptr<net::http_server> server;
  uint16_t port = 0;
  net::url u;
};

std::string request(const std::string& method, const std::string& path, const std::string& host,
                    const std::string& extra = "", const std::string& body = "") {
  return method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\n" + extra +
         "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

} // namespace

TEST_F(Api, HealthAndHives) {
  auto h = get("/health");
  EXPECT_EQ(h.status, 200);
  EXPECT_NE(h.body.find("\"ok\""), std::string::npos);
  EXPECT_NE(get("/v1/hives").body.find("\"localhost\""), std::string::npos);
  EXPECT_EQ(get("/v1/hives/localhost").status, 200);
  EXPECT_EQ(get("/v1/hives/nowhere").status, 404);
  EXPECT_NE(get("/v1/capabilities").body.find("\"simd\""), std::string::npos);
}

TEST_F(Api, JobLifecycleOverSse) {
  auto id = submit(R"({"operation":"hive_get","hive_id":"localhost"})");
  auto ev = stream(id);
  ASSERT_GE(ev.size(), 4u);
  EXPECT_EQ(ev.front().event, "state");
  EXPECT_EQ(ev.back().event, "done");
  for (size_t i = 0; i < ev.size(); ++i) EXPECT_EQ(ev[i].id, std::to_string(i + 1));
  auto j = get("/v1/jobs/" + id);
  EXPECT_EQ(j.status, 200);
  EXPECT_NE(j.body.find("\"state\":\"completed\""), std::string::npos);
  EXPECT_NE(get("/v1/jobs").body.find(id), std::string::npos);
}

TEST_F(Api, LastEventIdResumesExactlyAfter) {
  auto id = submit(R"({"operation":"hive_get","hive_id":"localhost"})");
  auto all = stream(id);
  ASSERT_GE(all.size(), 3u);
  auto rest = stream(id, {{"Last-Event-ID", "2"}});
  ASSERT_EQ(rest.size(), all.size() - 2);
  EXPECT_EQ(rest.front().id, "3");
  EXPECT_EQ(rest.back().event, "done");
  auto none = stream(id, {{"Last-Event-ID", all.back().id}});
  EXPECT_TRUE(none.empty());
  auto bad = net::sse_get(u, "/v1/jobs/" + id + "/stream", {{"Last-Event-ID", "x1"}},
                          [](const net::sse_event&) { return true; }, 2s);
  EXPECT_EQ(bad.status, 400) << bad.error;
}

TEST_F(Api, SeveralSubscribersSeeTheSameStream) {
  auto id = submit(R"({"operation":"hive_get","hive_id":"localhost"})");
  std::vector<std::vector<net::sse_event>> seen(4);
  std::vector<std::thread> ts;
  for (auto& s : seen) ts.emplace_back([&, id] { s = stream(id); });
  for (auto& t : ts) t.join();
  for (auto& s : seen) {
    ASSERT_EQ(s.size(), seen[0].size());
    EXPECT_EQ(s.back().data, seen[0].back().data);
  }
}

TEST_F(Api, CancelAndUnknownJobs) {
  EXPECT_EQ(get("/v1/jobs/job-nope").status, 404);
  EXPECT_EQ(net::http_call(u, "DELETE", "/v1/jobs/job-nope").status, 404);
  auto id = submit(R"({"operation":"status"})");
  stream(id);
  auto again = net::http_call(u, "DELETE", "/v1/jobs/" + id);
  EXPECT_EQ(again.status, 409);
  EXPECT_NE(again.body.find("job_finished"), std::string::npos);
  EXPECT_EQ(get("/v1/jobs/job-nope/stream").status, 404);
  EXPECT_EQ(get("/v1/jobs/..%2F..%2Fetc/stream").status, 400);
}

TEST_F(Api, BadBodiesGetClearErrors) {
  auto bad_json = post("/v1/jobs", "{not json");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_NE(bad_json.body.find("\"code\":\"bad_request\""), std::string::npos);
  auto wrong_type = post("/v1/jobs", R"({"operation":"hive_get","hive_id":7})");
  EXPECT_EQ(wrong_type.status, 400);
  EXPECT_NE(wrong_type.body.find("hive_id"), std::string::npos);
  EXPECT_EQ(post("/v1/jobs", R"({"operation":"hive_get","hive_id":"a/b"})").status, 422);
  EXPECT_EQ(post("/v1/jobs", R"({"operation":"nope"})").status, 422);
  EXPECT_EQ(post("/v1/jobs", R"({"operation":"auto_run","model":"m","worker":"../x"})").status, 202); // refused by its step
  EXPECT_EQ(post("/v1/jobs", R"({"operation":"auto_run","model":7})").status, 400);
  EXPECT_EQ(post("/v1/jobs", R"({"operation":"hive_get","hive_id":"nowhere"})").status, 404);
  EXPECT_EQ(post("/v1/jobs", "").status, 400);
}

TEST_F(Api, HugeBodyIs413AndServerStaysUp) {
  std::string body(200 * 1024, 'x');
  auto r = raw_http(port, request("POST", "/v1/jobs", "127.0.0.1", "", body));
  EXPECT_EQ(raw_status(r), 413) << r.substr(0, 200);
  auto chunked = raw_http(port, "POST /v1/jobs HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n" +
                                  std::string("10000\r\n") + std::string(0x10000, 'y') + "\r\n" +
                                  "10000\r\n" + std::string(0x10000, 'y') + "\r\n0\r\n\r\n");
  EXPECT_EQ(raw_status(chunked), 413);
  EXPECT_EQ(get("/health").status, 200);
}

TEST_F(Api, HugeHeadersAre431) {
  auto r = raw_http(port, request("GET", "/health", "127.0.0.1", "X-Big: " + std::string(20000, 'a') + "\r\n"));
  EXPECT_EQ(raw_status(r), 431);
}

TEST_F(Api, MalformedRequestsAre400) {
  EXPECT_EQ(raw_status(raw_http(port, "GARBAGE\r\n\r\n")), 400);
  EXPECT_EQ(raw_status(raw_http(port, "GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: -5\r\n\r\n")), 400);
  EXPECT_EQ(raw_status(raw_http(port, "GET /health HTTP/1.1\r\n\r\n")), 400); // no Host
  EXPECT_EQ(raw_status(raw_http(port, std::string("\0\1\2\3\r\n\r\n", 8))), 400);
  EXPECT_EQ(get("/health").status, 200);
}

TEST_F(Api, BadHostIs403) {
  auto r = raw_http(port, request("GET", "/health", "evil.example:8500"));
  EXPECT_EQ(raw_status(r), 403);
  EXPECT_NE(r.find("\"code\":\"forbidden\""), std::string::npos);
  EXPECT_EQ(raw_status(raw_http(port, request("GET", "/health", "localhost:1"))), 200);
  EXPECT_EQ(raw_status(raw_http(port, request("GET", "/health", "[::1]:1"))), 200);
}

TEST_F(Api, CorsOnlyForConfiguredOrigins) {
  auto ok = raw_http(port, request("GET", "/v1/hives", "localhost", "Origin: http://dash.example\r\n"));
  EXPECT_EQ(raw_status(ok), 200);
  EXPECT_NE(ok.find("Access-Control-Allow-Origin: http://dash.example"), std::string::npos);
  auto evil = raw_http(port, request("POST", "/v1/jobs", "localhost", "Origin: http://evil.example\r\n",
                                     R"({"operation":"status"})"));
  EXPECT_EQ(raw_status(evil), 403);
  auto pre = raw_http(port, request("OPTIONS", "/v1/jobs", "localhost", "Origin: http://dash.example\r\n"));
  EXPECT_EQ(raw_status(pre), 204);
  EXPECT_NE(pre.find("Access-Control-Allow-Methods"), std::string::npos);
}

TEST_F(Api, UnknownRoutesAndMethods) {
  EXPECT_EQ(get("/nope").status, 404);
  EXPECT_EQ(get("/v1/nope").status, 404);
  EXPECT_EQ(post("/health", "{}").status, 405);
  EXPECT_EQ(net::http_call(u, "PUT", "/v1/jobs").status, 405);
  // The route table: a path another method serves is 405, an id of the wrong shape is a
  // 400 that names its kind, anything longer or shorter than a route is 404.
  EXPECT_EQ(net::http_call(u, "DELETE", "/v1/hives/localhost").status, 405);
  EXPECT_EQ(net::http_call(u, "POST", "/v1/jobs/job-1").status, 405);
  auto bad_hive = get("/v1/hives/a+b");
  EXPECT_EQ(bad_hive.status, 400);
  EXPECT_NE(bad_hive.body.find("hive id"), std::string::npos) << bad_hive.body;
  EXPECT_NE(get("/v1/jobs/a+b").body.find("job id"), std::string::npos);
  EXPECT_EQ(get("/v1/jobs/job-1/stream/more").status, 404);
  EXPECT_EQ(get("/v1/hives/localhost/more").status, 404);
  EXPECT_EQ(get("/v1").status, 404);
  EXPECT_EQ(get("/").status, 404);
}

TEST_F(Api, SlowClientIsCutOffByTheReadDeadline) {
  // Half a request line, then silence: the server closes after read_timeout_ms.
  auto start = std::chrono::steady_clock::now();
  auto r = raw_http(port, "GET /health HTTP/1.1\r\nHo", 5s);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
  EXPECT_EQ(get("/health").status, 200);
}

TEST_F(Api, GlobalFeedSeesJobsAndKeepAlives) {
  std::vector<net::sse_event> seen;
  std::thread t([&] {
    net::sse_get(u, "/v1/events", {}, [&](const net::sse_event& e) {
      seen.push_back(e);
      return !(e.event == "job" && e.data.find("\"completed\"") != std::string::npos);
    }, 5s);
  });
  std::this_thread::sleep_for(300ms);
  submit(R"({"operation":"status"})");
  t.join();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().event, "job");
}

namespace {

config::settings token_settings() {
  auto s = test_settings();
  s.api_token = "0123456789abcdef-token";
  return s;
}

struct TokenApi : Api {
  TokenApi() : Api(token_settings()) {}
};

} // namespace

TEST_F(TokenApi, TokenCheckedBeforeTheBody) {
  EXPECT_EQ(get("/health").status, 200); // health stays open for probes
  EXPECT_EQ(get("/v1/hives").status, 401);
  EXPECT_EQ(get("/v1/hives", {{"Authorization", "Bearer wrong"}}).status, 401);
  EXPECT_EQ(get("/v1/hives", {{"Authorization", "Bearer 0123456789abcdef-token"}}).status, 200);
  // 401 arrives although the announced body never does.
  auto r = raw_http(port, "POST /v1/jobs HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n", 3s);
  EXPECT_EQ(raw_status(r), 401);
}

namespace {

struct BigBodyApi : Api {
  BigBodyApi() : Api(big_body_settings()) {}
  static config::settings big_body_settings() {
    auto s = test_settings();
    s.max_body_bytes = 2 << 20;
    return s;
  }
};

} // namespace

// Half a megabyte of '[' overflowed the HTTP thread's stack in RapidJSON's recursive
// parser and took the queen, the hive and every in-process worker with it.
TEST_F(BigBodyApi, DeeplyNestedBodiesAre400AndTheServerStaysUp) {
  std::string flood(500 * 1024, '[');
  auto jobs = post("/v1/jobs", flood);
  EXPECT_EQ(jobs.status, 400) << jobs.body.substr(0, 200);
  EXPECT_NE(jobs.body.find("nested deeper than 64 levels"), std::string::npos) << jobs.body.substr(0, 200);
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
  EXPECT_EQ(post("/v1/jobs", R"({"operation":"status","x":)" + objects).status, 400);
  for (const char* route : {"/v1/chat/completions", "/v1/completions"}) {
    auto r = post(route, R"({"model":"m","messages":)" + flood);
    EXPECT_EQ(r.status, 400) << route << " " << r.body.substr(0, 200);
  }
  EXPECT_EQ(get("/health").status, 200);
  EXPECT_EQ(get("/v1/hives").status, 200);
}

namespace {

struct CappedApi : Api {
  CappedApi() : Api(capped_settings()) {}
  static config::settings capped_settings() {
    auto s = test_settings();
    s.read_timeout_ms = 20000; // idle sockets stay open for the whole test
    s.max_connections_per_client = 4;
    s.max_sse_streams_per_client = 2;
    return s;
  }
  std::string events(int fd) {
    return test::raw_exchange(fd, "GET /v1/events HTTP/1.1\r\nHost: localhost\r\n\r\n", 3s, "retry:");
  }
};

} // namespace

// One client's idle sockets and streams used to count against the one connection
// cap: 2,048 of them got every other request a 503. Now the caps are per client
// address and apart for SSE streams, checked before a header is read.
TEST_F(CappedApi, OneClientCannotStarveAnother) {
  std::vector<int> idle;
  for (int i = 0; i < 4; ++i) idle.push_back(test::raw_connect(port, "127.0.0.1"));
  for (int fd : idle) ASSERT_GE(fd, 0);
  std::this_thread::sleep_for(200ms); // accepted
  // The fifth gets 503 at once, without sending a byte.
  int fifth = test::raw_connect(port, "127.0.0.1");
  ASSERT_GE(fifth, 0);
  auto refused = test::raw_exchange(fifth, "", 3s);
  close(fifth);
  EXPECT_EQ(test::raw_status(refused), 503) << refused;
  EXPECT_NE(refused.find("too many connections"), std::string::npos);
  // Another client address is served meanwhile.
  auto other = test::raw_http(port, request("GET", "/health", "localhost"), 3s, "127.0.0.2");
  EXPECT_EQ(test::raw_status(other), 200) << other;
  for (int fd : idle) close(fd);
  std::this_thread::sleep_for(200ms);

  // Streams are counted apart: two streams, then a third is refused, and plain
  // requests from the same address still work.
  std::vector<int> streams;
  for (int i = 0; i < 2; ++i) {
    int fd = test::raw_connect(port, "127.0.0.1");
    ASSERT_GE(fd, 0);
    auto head = events(fd);
    EXPECT_EQ(test::raw_status(head), 200) << head;
    streams.push_back(fd);
  }
  int third = test::raw_connect(port, "127.0.0.1");
  auto no = events(third);
  close(third);
  EXPECT_EQ(test::raw_status(no), 503) << no;
  EXPECT_NE(no.find("too many event streams"), std::string::npos);
  EXPECT_EQ(get("/health").status, 200);
  auto job = submit(R"({"operation":"status"})");
  EXPECT_EQ(raw_status(raw_http(port, request("GET", "/v1/jobs/" + job + "/stream", "localhost"), 2s, "127.0.0.3")), 200);
  for (int fd : streams) close(fd);
  std::this_thread::sleep_for(300ms);
  int again = test::raw_connect(port, "127.0.0.1");
  EXPECT_EQ(test::raw_status(events(again)), 200);
  close(again);
}

namespace {

/// Prometheus text: every line a comment (# HELP / # TYPE) or `name{labels} value`.
std::map<std::string, double> parse_metrics(const std::string& text) {
  static const std::regex sample(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$)");
  std::map<std::string, double> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) continue;
    std::smatch m;
    EXPECT_TRUE(std::regex_match(line, m, sample)) << "not a sample line: " << line;
    auto sp = line.rfind(' ');
    out[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
  }
  return out;
}

} // namespace

TEST_F(Api, MetricsInPrometheusTextFormat) {
  auto job = submit(R"({"operation":"status"})");
  stream(job); // to its end
  auto r = get("/metrics");
  ASSERT_EQ(r.status, 200) << r.body;
  auto m = parse_metrics(r.body);
  EXPECT_GE(m[R"(rbee_jobs{operation="status",state="completed"})"], 1);
  EXPECT_EQ(m[R"(rbee_hive_up{hive="localhost"})"], 1);
  for (auto name : {"rbee_queue_depth", "rbee_tokens_generated_total", "rbee_download_bytes_total", "rbee_sse_subscribers",
                    "rbee_http_connections", "rbee_http_sse_streams"})
    EXPECT_TRUE(m.count(name)) << name << " missing in\n" << r.body;
  EXPECT_GE(m["rbee_http_connections"], 1); // this request's own
  EXPECT_NE(r.body.find("# TYPE rbee_tokens_generated_total counter"), std::string::npos);
  EXPECT_EQ(post("/metrics", "").status, 405);
}

TEST_F(TokenApi, MetricsNeedTheToken) {
  EXPECT_EQ(get("/metrics").status, 401);
  EXPECT_EQ(get("/metrics", {{"Authorization", "Bearer 0123456789abcdef-token"}}).status, 200);
}

TEST(Metrics, LabelValuesAreEscaped) {
  net::metrics_input in;
  worker_info w;
  w.worker_id = "w\"1";
  w.model = "a\\b\nc";
  w.hive_id = "h";
  in.workers.push_back(w);
  auto text = net::prometheus_text(in);
  EXPECT_NE(text.find(R"(rbee_worker_slots{worker="w\"1",model="a\\b\nc",hive="h"} 0)"), std::string::npos) << text;
  parse_metrics(text);
}

// GET /v1/identity: the proof the keeper checks (open without the token, as /health is);
// a missing, short, overlong or non-hex nonce is a 400, and the proof is the HMAC of
// this user's secret.
TEST_F(TokenApi, IdentityProofIsOpenAndChecksItsNonce) {
  std::string nonce(32, 'a');
  auto r = get("/v1/identity?nonce=" + nonce);
  ASSERT_EQ(r.status, 200) << r.body;
  auto secret = net::load_identity();
  ASSERT_TRUE(secret);
  EXPECT_EQ(r.body, "{\"proof\":\"" + net::identity_proof(*secret, nonce) + "\"}");
  for (std::string bad : {std::string(""), std::string("?nonce="), "?nonce=" + std::string(31, 'a'),
                          "?nonce=" + std::string(129, 'a'), "?nonce=" + std::string(32, 'z'), "?nonce=" + std::string(32, 'a') + "%00"}) {
    auto b = get("/v1/identity" + bad, {{"Authorization", "Bearer 0123456789abcdef-token"}});
    EXPECT_EQ(b.status, 400) << bad << " " << b.body;
  }
  EXPECT_EQ(post("/v1/identity?nonce=" + nonce, "").status, 401); // only the GET is open
  EXPECT_EQ(get("/health").status, 200);
}
