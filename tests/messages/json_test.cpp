#include "messages/json.hpp"

#include <gtest/gtest.h>

using namespace rbee;

namespace {

errc code(std::string_view body) {
  auto r = json::read_operation(body);
  return r ? errc::none : code_of(r.error());
}

std::string message(std::string_view body) {
  auto r = json::read_operation(body);
  return r ? "" : message_of(r.error());
}

} // namespace

TEST(JsonOperation, ReadsEveryOperation) {
  for (auto& name : op_names()) {
    std::string body = R"({"operation":")" + name + R"(","hive_id":"localhost")";
    if (name == "infer" || (name.starts_with("model_") && name != "model_list") || name == "worker_spawn" ||
        name == "auto_run")
      body += R"(,"model":"org/repo")";
    if (name == "worker_catalog_get" || name == "worker_install" || name == "worker_remove" ||
        name == "worker_stop")
      body += R"(,"worker_id":"rbee-worker-cpu")";
    if (name == "hive_remote") body = R"({"operation":"hive_remote","action":"status","host":"beta")";
    if (name == "status" || name == "hive_list") body = R"({"operation":")" + name + "\"";
    body += "}";
    auto op = json::read_operation(body);
    ASSERT_TRUE(op) << body << ": " << message_of(op.error());
    EXPECT_EQ(op_name(*op), name);
  }
}

TEST(JsonOperation, WriteThenReadIsTheSame) {
  auto op = json::read_operation(
    R"({"operation":"infer","model":"m","prompt":"hi","max_tokens":5,"temperature":0.5,"seed":7,"stop":["x"]})");
  ASSERT_TRUE(op);
  auto text = json::write(*op);
  auto again = json::read_operation(text);
  ASSERT_TRUE(again) << text;
  EXPECT_EQ(json::write(*again), text);
  EXPECT_EQ(op_hive(*again), ""); // infer without a hive: the queen picks one
  auto get = json::read_operation(R"({"operation":"model_get","model":"m"})");
  ASSERT_TRUE(get);
  EXPECT_EQ(op_hive(*get), ""); // other operations too: the queen decides (the embedded or the only hive)
  set_hive(*get, "beta");
  EXPECT_EQ(op_hive(*get), "beta");
}

TEST(JsonOperation, MalformedBodiesAreBadRequests) {
  for (const char* bad : {"", "{", "[]", "\"status\"", "{\"operation\":\"status\"} {}", "nul",
                          "{\"operation\":\"status\",}", "\xff\xfe"}) {
    EXPECT_EQ(code(bad), errc::bad_request) << bad;
  }
  EXPECT_EQ(message(R"({})"), "field 'operation' is required");
  EXPECT_EQ(code(R"({"operation":5})"), errc::bad_request);
}

TEST(JsonOperation, WrongTypesNameTheField) {
  EXPECT_EQ(message(R"({"operation":"hive_get","hive_id":5})"), "field 'hive_id' must be a string");
  EXPECT_EQ(code(R"({"operation":"infer","model":"m","max_tokens":"many"})"), errc::bad_request);
  EXPECT_EQ(code(R"({"operation":"infer","model":"m","max_tokens":1.5})"), errc::bad_request);
  EXPECT_EQ(code(R"({"operation":"infer","model":"m","stop":"x"})"), errc::bad_request);
  EXPECT_EQ(code(R"({"operation":"infer","model":"m","messages":[{"role":1}]})"), errc::bad_request);
  EXPECT_EQ(message(R"({"operation":"hive_get"})"), "field 'hive_id' is required");
  for (const char* v : {"1", "\"true\"", "0", "[]", "{}"})
    EXPECT_EQ(message(std::string(R"({"operation":"worker_install","worker_id":"w","without_gpu":)") + v + "}"),
              "field 'without_gpu' must be true or false")
        << v;
}

TEST(JsonOperation, OutOfBoundsValuesAreInvalid) {
  EXPECT_EQ(code(R"({"operation":"infer","model":"m","temperature":-1})"), errc::invalid_value);
  EXPECT_EQ(code(R"({"operation":"infer","model":"m","top_p":1.5})"), errc::invalid_value);
  EXPECT_EQ(code(R"({"operation":"infer","model":"m","max_tokens":0})"), errc::invalid_value);
  EXPECT_EQ(code(R"({"operation":"hive_get","hive_id":"../etc"})"), errc::invalid_value);
  EXPECT_EQ(code(R"({"operation":"hive_get","hive_id":""})"), errc::invalid_value);
  EXPECT_EQ(code(R"({"operation":"model_get","model":"a\u0000b"})"), errc::invalid_value);
  std::string long_model(600, 'a');
  EXPECT_EQ(code(R"({"operation":"model_get","model":")" + long_model + "\"}"), errc::invalid_value);
}

TEST(JsonOperation, UnknownOperationsAndFields) {
  EXPECT_EQ(code(R"({"operation":"rm_rf"})"), errc::unknown_operation);
  EXPECT_EQ(message(R"({"operation":"rm_rf"})"), "unknown operation 'rm_rf'");
  EXPECT_EQ(code(R"({"operation":"status","extra":1})"), errc::bad_request);
  std::string huge(100, 'x');
  EXPECT_EQ(message(R"({"operation":")" + huge + "\"}"), "unknown operation '(unprintable)'");
}

TEST(JsonOperation, DeepNestingDoesNotCrash) {
  std::string deep = R"({"operation":"status","x":)" + std::string(5000, '[') + std::string(5000, ']') + "}";
  EXPECT_NE(code(deep), errc::none);
  // Half a megabyte of '[' overflowed the stack of RapidJSON's recursive parser.
  for (char open : {'[', '{'}) {
    std::string flood(500 * 1024, open);
    EXPECT_EQ(code(flood), errc::bad_request);
    EXPECT_EQ(message(flood), "JSON nested deeper than 64 levels (at offset 64)");
  }
}

TEST(JsonWrite, ErrorBodyShape) {
  EXPECT_EQ(json::error_body(errc::job_not_found, "no \"x\""),
            R"({"error":{"code":"job_not_found","message":"no \"x\""}})");
}

TEST(JsonWrite, JobInfoCarriesResultOrError) {
  job_info j{"job-1", "model_delete", "", job_state::completed, 1, 2, 3, action_result{"deleted", "a\"b.gguf"},
             errc::none, ""};
  EXPECT_NE(json::write(j).find(R"("result":{"deleted":"a\"b.gguf"})"), std::string::npos);
  j.result = download_result{"o/r", {"/m/\"x\".gguf"}, 7}; // a quote in a path stays a string
  EXPECT_NE(json::write(j).find(R"("result":{"model":"o/r","files":["/m/\"x\".gguf"],"bytes":7})"), std::string::npos);
  j.result = std::vector<installed_worker>{};
  EXPECT_NE(json::write(j).find(R"("result":[])"), std::string::npos);
  j.state = job_state::failed;
  j.error_code = errc::hive_lost;
  j.error_message = "gone";
  auto t = json::write(j);
  EXPECT_EQ(t.find("result"), std::string::npos);
  EXPECT_NE(t.find(R"("code":"hive_lost")"), std::string::npos);
}

// The worker catalog is another server: its answer is checked and written again
// before it becomes a job's result.
TEST(JsonWrite, ACatalogAnswerIsCheckedAndRewritten) {
  auto ok = json::read_catalog_answer(R"( [ {"id" : "w", "n": 1.5} ] )");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->json, R"([{"id":"w","n":1.5}])");
  for (std::string bad : {std::string("{not json"), std::string("7"), std::string("\"text\""), std::string(""),
                          std::string(100000, '['), std::string("[\"\xff\xfe\"]"), std::string("[1] [2]")}) {
    auto r = json::read_catalog_answer(bad);
    ASSERT_FALSE(r) << bad.substr(0, 40);
    EXPECT_EQ(code_of(r.error()), errc::bad_request);
  }
}

TEST(JsonWrite, NarrationFieldsKeepTheirTypes) {
  auto n = narrate("job-1", "hive", "download", "f", "line\nwith \"quotes\"");
  n.fields = {{"bytes_done", "1024", true}, {"file", "a", false}};
  auto t = json::write(n);
  EXPECT_NE(t.find(R"("bytes_done":1024)"), std::string::npos);
  EXPECT_NE(t.find(R"("file":"a")"), std::string::npos);
  EXPECT_EQ(t.find('\n'), std::string::npos); // one SSE data line
}

TEST(JsonWrite, ANumericFieldThatIsNoNumberIsWrittenAsText) {
  auto n = narrate("job-1", "hive", "x", "y", "z");
  n.fields = {{"evil", "1,\"injected\":2", true}, num_field("n", -5), text_field("t", "5")};
  auto t = json::write(n);
  EXPECT_NE(t.find(R"("evil":"1,\"injected\":2")"), std::string::npos) << t;
  EXPECT_NE(t.find(R"("n":-5)"), std::string::npos);
  EXPECT_NE(t.find(R"("t":"5")"), std::string::npos);
}

// A lone \u surrogate is invalid UTF-8 once decoded: it becomes U+FFFD when read, so the
// field's length limit applies to the text kept and what is written reads back the same
// (found by the json_ops fuzzer: 512 bytes read, 600 written, the second read refused).
TEST(JsonOps, LoneSurrogatesBecomeReplacementCharactersBeforeTheLimits) {
  auto op = rbee::json::read_operation(R"({"operation":"auto_run","model":"o/r\udd00x"})");
  ASSERT_TRUE(op);
  std::string text = rbee::json::write(*op);
  auto again = rbee::json::read_operation(text);
  ASSERT_TRUE(again);
  EXPECT_EQ(rbee::json::write(*again), text);
  EXPECT_NE(text.find("\xEF\xBF\xBD"), std::string::npos) << text;
  std::string near = R"({"operation":"auto_run","model":")";
  for (int i = 0; i < 120; ++i) near += "\\udd00"; // 360 bytes decoded, 1080 bytes once replaced
  near += "\"}";
  auto refused = rbee::json::read_operation(near);
  ASSERT_FALSE(refused);
  EXPECT_NE(rbee::message_of(refused.error()).find("longer than"), std::string::npos);
}
