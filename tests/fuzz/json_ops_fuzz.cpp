// libFuzzer target: the job API's operation JSON (POST /v1/jobs) — the depth-limited
// parser, the operation reader and, for what it accepts, the writer and a second
// read: written once (which makes any lone surrogate U+FFFD), an operation reads
// back and writes the same text. Built and run by run_target.sh.
#include "json/parse.hpp"
#include "json/writer.hpp"
#include "messages/json.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  rapidjson::Document d;
  (void)rbee::json::parse(d, body);
  auto op = rbee::json::read_operation(body);
  if (!op) return 0;
  std::string text = rbee::json::write(*op);
  if (!rbee::json::valid_utf8(text)) std::abort(); // whatever came in, valid UTF-8 goes out
  auto again = rbee::json::read_operation(text);
  if (!again || rbee::json::write(*again) != text) std::abort(); // read what was written: the same
  return 0;
}
