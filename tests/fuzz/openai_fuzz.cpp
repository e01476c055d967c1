// libFuzzer target: the OpenAI-compatible API's formats — request bodies of both
// routes translated (then read as the infer operation they become), and the input
// as model text in stream chunks, errors and a whole answer; every output must
// be valid JSON in valid UTF-8. Built and run by run_target.sh.
#include "json/parse.hpp"
#include "json/writer.hpp"
#include "messages/json.hpp"
#include "net/openai_codec.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

void check_chunks(const std::string& out) { // "data: {json}\n\n" ... "data: [DONE]\n\n"
  for (size_t at = 0; (at = out.find("data: ", at)) != std::string::npos;) {
    size_t end = out.find("\n\n", at);
    std::string data = out.substr(at + 6, end - at - 6);
    at = end;
    if (data == "[DONE]") continue;
    rapidjson::Document d;
    if (!rbee::json::valid_utf8(data) || !rbee::json::parse(d, data)) std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  for (bool chat : {true, false}) {
    auto t = rbee::net::translate(body, chat);
    if (t.code == rbee::errc::none) (void)rbee::json::read_operation(t.op_json);
    std::string err = rbee::net::openai_error(t.code, t.message, t.param);
    if (!rbee::json::valid_utf8(err)) std::abort();
  }
  // The input as model text: in a token, and in a finished generation's result.
  rbee::net::stream_state st;
  st.model = body.substr(0, 64);
  st.include_usage = size % 2;
  auto token = std::make_shared<const rbee::token_msg>(rbee::token_msg{"j", 0, body, 1});
  if (auto p = rbee::net::transform(st, rbee::bridge_event{nullptr, token})) check_chunks(p->text);
  rbee::job_info j{.job_id = "j", .state = rbee::job_state::completed};
  rbee::infer_result r{.model = body.substr(0, 64), .text = body, .prompt_tokens = static_cast<int32_t>(size),
                       .cached_tokens = static_cast<int32_t>(size / 2), .completion_tokens = 1,
                       .finish_reason = body.substr(0, 8)};
  j.result = r;
  for (auto state : {rbee::job_state::completed, rbee::job_state::failed, rbee::job_state::cancelled}) {
    st.chat = !st.chat;
    j.state = state;
    j.error_message = body;
    auto end = std::make_shared<const rbee::job_info>(j);
    if (auto p = rbee::net::transform(st, rbee::bridge_event{nullptr, nullptr, end})) check_chunks(p->text);
  }
  std::string full = rbee::net::full_response(st, r);
  rapidjson::Document back;
  if (!rbee::json::valid_utf8(full) || !rbee::json::parse(back, full)) std::abort();
  return 0;
}
