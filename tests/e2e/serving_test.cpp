// Serving end to end: a real `rbee serve` with stories260K in its model store,
// the job API, the OpenAI-compatible API, concurrency, cancellation, bad requests.
#include "tests/e2e/e2e.hpp"
#include "json/writer.hpp"
#include "tests/kernels/kernels_test_util.hpp"

#include <rapidjson/document.h>

#include <filesystem>
#include <thread>

using namespace rbee;
using namespace rbee::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::string golden_text() {
  auto g = read_text(stories("golden/golden_llamasimple_f32.txt")).substr(4); // after "<s> "
  return g.substr(0, g.find_last_not_of("\n ") + 1);
}

rapidjson::Document parse(const std::string& s) {
  rapidjson::Document d;
  d.Parse(s.c_str());
  return d;
}

std::string completion_body(const std::string& prompt, int n, bool stream = false) {
  return R"({"model":"test/stories","prompt":")" + prompt + R"(","max_tokens":)" + std::to_string(n) +
         R"(,"temperature":0,"stream":)" + (stream ? "true" : "false") + "}";
}

class Serving : public ::testing::Test {
protected:
  void SetUp() override {
    if (!exists(stories("stories260K-f32.gguf"))) GTEST_SKIP() << "stories260K not found under " << models_dir();
    env = private_env();
    std::string data = env[1].substr(env[1].find('=') + 1) + "/rbee/models/test/";
    fs::create_directories(data + "stories");
    fs::copy_file(stories("stories260K-f32.gguf"), data + "stories/stories260K-f32.gguf");
    fs::create_directories(data + "q8");
    fs::copy_file(stories("stories260K-q8_0.gguf"), data + "q8/stories260K-q8_0.gguf");
    env.push_back("RBEE_WORKER_CTX=8192"); // long enough that a cancel beats the end of the context
    d = start_daemon({"serve", "--port", "0"}, env);
    ASSERT_GT(d.port, 0);
  }
  net::http_result post(const std::string& path, const std::string& body) {
    return net::http_call(d.url(), "POST", path, body, {}, 30s);
  }
  /// An OpenAI streaming request: the data lines.
  std::vector<std::string> stream(const std::string& path, const std::string& body) {
    std::vector<std::string> out;
    auto r = net::sse_request(d.url(), "POST", path, body, {}, [&](const net::sse_event& e) {
      out.push_back(e.data);
      return true;
    }, 30s);
    EXPECT_EQ(r.status, 200) << r.body;
    return out;
  }
  /// Concatenated content of streamed chunks (chat deltas or completion text).
  static std::string content(const std::vector<std::string>& lines) {
    std::string text;
    for (auto& l : lines) {
      if (l == "[DONE]") continue;
      auto j = parse(l);
      if (!j.IsObject() || !j.HasMember("choices") || j["choices"].Empty()) continue;
      auto& c = j["choices"][0];
      if (c.HasMember("delta") && c["delta"].HasMember("content")) text += c["delta"]["content"].GetString();
      if (c.HasMember("text")) text += c["text"].GetString();
    }
    return text;
  }
  std::string job_state(const std::string& id) {
    auto j = parse(net::http_call(d.url(), "GET", "/v1/jobs/" + id).body);
    return j.IsObject() && j.HasMember("state") ? j["state"].GetString() : "";
  }
  std::vector<std::string> env;
  rbee_daemon d;
};

} // namespace

TEST_F(Serving, InferJobStreamsTokensAndTheGoldenText) {
  auto r = post("/v1/jobs", R"({"operation":"infer","model":"test/stories","prompt":"Once upon a time","max_tokens":63,"temperature":0})");
  ASSERT_EQ(r.status, 202) << r.body;
  auto id = std::string(parse(r.body)["job_id"].GetString());
  std::string text;
  int tokens = 0;
  std::string last;
  net::sse_get(d.url(), "/v1/jobs/" + id + "/stream", {}, [&](const net::sse_event& e) {
    if (e.event == "token") {
      auto j = parse(e.data);
      EXPECT_EQ(j["index"].GetInt(), tokens);
      text += j["text"].GetString();
      ++tokens;
    }
    last = e.event;
    return true;
  }, 30s);
  EXPECT_EQ(last, "done");
  EXPECT_EQ(tokens, 63);
  EXPECT_EQ("Once upon a time" + text, golden_text());
  // GET /metrics counts them, and shows the worker.
  auto m = net::http_call(d.url(), "GET", "/metrics").body;
  auto at = m.find("\nrbee_tokens_generated_total ");
  ASSERT_NE(at, std::string::npos) << m;
  EXPECT_GE(std::stoll(m.substr(at + 29)), 63) << m;
  EXPECT_NE(m.find("rbee_worker_slots{worker=\"worker-"), std::string::npos) << m;
}

// A synth model with random weights over a byte-fallback vocabulary emits byte tokens
// that form invalid UTF-8 ("\xd3te"): what the server writes stays valid UTF-8 (U+FFFD
// in their place), on the job stream and on OpenAI streams and answers alike.
TEST_F(Serving, EverythingWrittenIsValidUtf8) {
  std::string data = env[1].substr(env[1].find('=') + 1) + "/rbee/models/test/tiny/";
  fs::create_directories(data);
  auto s = run({rbee_bin(), "model", "synth", "--shape", "tiny", "--type", "q8_0", "--out", data + "tiny.gguf"});
  ASSERT_EQ(s.status, 0) << s.err;
  auto body = [](bool stream) {
    return std::string(R"({"model":"test/tiny","prompt":"abc","max_tokens":200,"temperature":1.5,"seed":7,"stream":)") +
           (stream ? "true" : "false") + "}";
  };
  std::string all;
  auto r = post("/v1/jobs", R"({"operation":"infer","model":"test/tiny","prompt":"abc","max_tokens":200,"temperature":1.5,"seed":7})");
  ASSERT_EQ(r.status, 202) << r.body;
  std::string id = parse(r.body)["job_id"].GetString();
  int tokens = 0;
  net::sse_get(d.url(), "/v1/jobs/" + id + "/stream", {}, [&](const net::sse_event& e) {
    EXPECT_TRUE(json::valid_utf8(e.data)) << e.event << ": " << e.data;
    tokens += e.event == "token";
    all += e.data;
    return true;
  }, 60s);
  EXPECT_GT(tokens, 0);
  for (auto& line : stream("/v1/completions", body(true))) {
    EXPECT_TRUE(json::valid_utf8(line)) << line;
    all += line;
  }
  auto whole = post("/v1/completions", body(false));
  ASSERT_EQ(whole.status, 200) << whole.body;
  EXPECT_TRUE(json::valid_utf8(whole.body)) << whole.body;
  EXPECT_FALSE(parse(whole.body).HasParseError());
  all += whole.body;
  // The model did emit invalid sequences (else this test proves nothing).
  EXPECT_NE(all.find("\xEF\xBF\xBD"), std::string::npos);
}

TEST_F(Serving, CompletionsStreamAndNotAgree) {
  auto r = post("/v1/completions", completion_body("Once upon a time", 40));
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = parse(r.body);
  EXPECT_STREQ(j["object"].GetString(), "text_completion");
  std::string full = j["choices"][0]["text"].GetString();
  EXPECT_EQ(j["usage"]["completion_tokens"].GetInt(), 40);
  EXPECT_EQ(golden_text().substr(0, 16 + full.size()), "Once upon a time" + full);
  auto lines = stream("/v1/completions", completion_body("Once upon a time", 40, true));
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back(), "[DONE]");
  EXPECT_EQ(content(lines), full);
}

TEST_F(Serving, ChatCompletionsWithTheTemplate) {
  std::string body = R"({"model":"test/q8","messages":[{"role":"system","content":"Be kind."},{"role":"user","content":"Tell a story"}],"max_tokens":16,"temperature":0)";
  auto r = post("/v1/chat/completions", body + "}");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = parse(r.body);
  EXPECT_STREQ(j["object"].GetString(), "chat.completion");
  EXPECT_STREQ(j["choices"][0]["message"]["role"].GetString(), "assistant");
  std::string full = j["choices"][0]["message"]["content"].GetString();
  EXPECT_GT(j["usage"]["prompt_tokens"].GetInt(), 5); // the template's text counts
  auto lines = stream("/v1/chat/completions", body + R"(,"stream":true,"stream_options":{"include_usage":true}})");
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines.back(), "[DONE]");
  auto first = parse(lines.front());
  EXPECT_STREQ(first["choices"][0]["delta"]["role"].GetString(), "assistant");
  auto usage = parse(lines[lines.size() - 2]);
  EXPECT_EQ(usage["usage"]["completion_tokens"].GetInt(), 16);
  EXPECT_EQ(content(lines), full);
  // The same conversation again: its prompt comes from the worker's prompt cache
  // (all but the last token), reported as OpenAI does, and the answer is the same.
  int prompt = j["usage"]["prompt_tokens"].GetInt();
  EXPECT_EQ(usage["usage"]["prompt_tokens_details"]["cached_tokens"].GetInt(), prompt - 1) << lines[lines.size() - 2];
  auto again = post("/v1/chat/completions", body + "}");
  ASSERT_EQ(again.status, 200) << again.body;
  auto k = parse(again.body);
  EXPECT_EQ(k["usage"]["prompt_tokens_details"]["cached_tokens"].GetInt(), prompt - 1) << again.body;
  EXPECT_EQ(std::string(k["choices"][0]["message"]["content"].GetString()), full);
}

TEST_F(Serving, ConcurrentClientsGetTheirOwnTokens) {
  std::vector<std::string> prompts = {"Once upon a time", "The cat", "Lily saw a bird", "One day", "Tim and Sue"};
  std::vector<std::string> alone;
  for (auto& p : prompts) {
    auto r = post("/v1/completions", completion_body(p, 24));
    alone.push_back(parse(r.body)["choices"][0]["text"].GetString());
  }
  std::vector<std::string> together(prompts.size());
  std::vector<std::thread> ts;
  for (size_t i = 0; i < prompts.size(); ++i)
    ts.emplace_back([&, i] { together[i] = content(stream("/v1/completions", completion_body(prompts[i], 24, true))); });
  for (auto& t : ts) t.join();
  EXPECT_EQ(together, alone);
}

TEST_F(Serving, CancelStopsAGenerationQuickly) {
  auto r = post("/v1/jobs", R"({"operation":"infer","model":"test/stories","prompt":"Once","max_tokens":100000,"temperature":1})");
  ASSERT_EQ(r.status, 202);
  auto id = std::string(parse(r.body)["job_id"].GetString());
  int tokens = 0;
  std::string last;
  std::thread canceller([&] {
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(net::http_call(d.url(), "DELETE", "/v1/jobs/" + id).status, 200);
  });
  auto start = std::chrono::steady_clock::now();
  net::sse_get(d.url(), "/v1/jobs/" + id + "/stream", {}, [&](const net::sse_event& e) {
    tokens += e.event == "token";
    last = e.event;
    return true;
  }, 10s);
  canceller.join();
  EXPECT_EQ(last, "cancelled");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_LT(tokens, 5000); // the context (512) ends it long before; cancel came first
  EXPECT_EQ(job_state(id), "cancelled");
}

// A prompt that cannot fit the context is refused before it is tokenized (a 1 MiB
// "word" once pinned the worker for hours), and the worker serves the next request.
TEST_F(Serving, APromptTooLongForTheContextIsRefusedBeforeTokenizing) {
  std::string word(900 * 1024, 'a');
  auto start = std::chrono::steady_clock::now();
  auto r = post("/v1/completions", R"({"model":"test/stories","prompt":")" + word + R"(","max_tokens":4})");
  EXPECT_EQ(r.status, 400) << r.body.substr(0, 300);
  EXPECT_NE(r.body.find("context overflow: the prompt has 921600 bytes"), std::string::npos) << r.body.substr(0, 300);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s);
  auto ok = post("/v1/completions", completion_body("Once upon a time", 8));
  EXPECT_EQ(ok.status, 200) << ok.body;
}

TEST_F(Serving, ClosingAnOpenAiStreamCancelsTheJob) {
  int seen = 0;
  net::sse_request(d.url(), "POST", "/v1/completions",
                   R"({"model":"test/stories","prompt":"Once","max_tokens":100000,"stream":true})", {},
                   [&](const net::sse_event&) { return ++seen < 3; }, 10s); // hang up after 3 chunks
  auto jobs = parse(net::http_call(d.url(), "GET", "/v1/jobs").body);
  std::string id = jobs["jobs"][jobs["jobs"].Size() - 1]["job_id"].GetString();
  EXPECT_TRUE(eventually([&] { return job_state(id) == "cancelled"; }, 2s)) << job_state(id);
}

TEST_F(Serving, BadRequestsGetClearErrors) {
  auto unknown = post("/v1/chat/completions", R"({"model":"nope/nope","messages":[{"role":"user","content":"x"}]})");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.body.find("\"model_not_found\""), std::string::npos);
  EXPECT_NE(unknown.body.find("invalid_request_error"), std::string::npos);
  EXPECT_EQ(post("/v1/chat/completions", "{oops").status, 400);
  EXPECT_EQ(post("/v1/chat/completions", R"({"messages":[{"role":"user","content":"x"}]})").status, 400);
  EXPECT_EQ(post("/v1/chat/completions", R"({"model":"test/stories","messages":"hi"})").status, 400);
  EXPECT_EQ(post("/v1/chat/completions", R"({"model":"test/stories","messages":[{"role":"user","content":"x"}],"n":2})").status, 400);
  auto temp = post("/v1/completions", R"({"model":"test/stories","prompt":"x","temperature":-1})");
  EXPECT_EQ(temp.status, 422);
  EXPECT_NE(temp.body.find("temperature"), std::string::npos);
  EXPECT_EQ(post("/v1/chat/completions", R"({"model":"test/stories","messages":[{"role":"wizard","content":"x"}]})").status, 422);
  std::string huge = "Once";
  for (int i = 0; i < 9000; ++i) huge += " upon";
  auto over = post("/v1/completions", R"({"model":"test/stories","prompt":")" + huge + R"(","max_tokens":4})");
  EXPECT_EQ(over.status, 400);
  EXPECT_NE(over.body.find("context_overflow"), std::string::npos) << over.body;
  EXPECT_EQ(post("/v1/completions", R"({"model":"../../etc/passwd","prompt":"x"})").status, 404);
  EXPECT_EQ(post("/v1/jobs", R"({"operation":"infer","model":"test/stories"})").status, 202); // fails as a job:
  EXPECT_EQ(net::http_call(d.url(), "GET", "/health").status, 200);
}

TEST_F(Serving, ModelsWorkersAndKeepAlive) {
  auto models = parse(net::http_call(d.url(), "GET", "/v1/models").body);
  ASSERT_TRUE(models.HasMember("data"));
  EXPECT_EQ(models["data"].Size(), 2u);
  EXPECT_FALSE(models["data"][0]["loaded"].GetBool());
  ASSERT_EQ(post("/v1/completions", completion_body("x", 2)).status, 200);
  auto workers = parse(net::http_call(d.url(), "GET", "/v1/workers").body);
  ASSERT_EQ(workers["workers"].Size(), 1u);
  EXPECT_STREQ(workers["workers"][0]["state"].GetString(), "ready");
  // keep_alive 0: unloaded as soon as it is idle.
  ASSERT_EQ(post("/v1/completions", R"({"model":"test/q8","prompt":"x","max_tokens":2,"keep_alive":0})").status, 200);
  EXPECT_TRUE(eventually([&] {
    auto w = parse(net::http_call(d.url(), "GET", "/v1/workers").body);
    for (auto& x : w["workers"].GetArray())
      if (std::string(x["model"].GetString()) == "test/q8") return false;
    return true;
  }, 5s));
}

TEST_F(Serving, KeeperRunPsStop) {
  auto keeper_env = env;
  keeper_env.push_back("RBEE_QUEEN_URL=" + d.base());
  auto one = run({rbee_bin(), "run", "test/stories", "Once upon a time", "-n", "32"}, keeper_env);
  EXPECT_EQ(one.status, 0) << one.err;
  EXPECT_GT(one.out.size(), 20u);
  auto by_path = run({rbee_bin(), "run", stories("stories260K-q8_0.gguf"), "Hi", "-n", "8"}, keeper_env);
  EXPECT_EQ(by_path.status, 0) << by_path.err;
  // Interactive: two turns from stdin (not a terminal), then end of input.
  std::string turns = "Hello\nTell me more\n";
  auto chat = run({rbee_bin(), "run", "test/q8", "-n", "16"}, keeper_env, 30s, &turns);
  EXPECT_EQ(chat.status, 0) << chat.err;
  EXPECT_GE(std::count(chat.out.begin(), chat.out.end(), '\n'), 2) << chat.out; // two answers
  auto ps = run({rbee_bin(), "ps"}, keeper_env);
  EXPECT_EQ(ps.status, 0);
  EXPECT_NE(ps.out.find("test/stories"), std::string::npos) << ps.out;
  auto stop = run({rbee_bin(), "stop", "test/stories"}, keeper_env);
  EXPECT_EQ(stop.status, 0) << stop.err;
  EXPECT_TRUE(eventually([&] { return run({rbee_bin(), "ps"}, keeper_env).out.find("test/stories") == std::string::npos; }, 3s));
  EXPECT_EQ(run({rbee_bin(), "stop", "never/loaded"}, keeper_env).status, 1);
  auto missing = run({rbee_bin(), "run", "nope/nope", "hi"}, keeper_env);
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find("nope/nope"), std::string::npos) << missing.err;
}
