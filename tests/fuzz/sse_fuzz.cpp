// libFuzzer target: the Server-Sent Events parser (what the keeper, the dashboard's
// tests and the benchmarks read from the server) fed the input in pieces whose
// sizes come from the input, and the bridge-frame splitter. The events must not
// depend on how the bytes were cut. Built and run by run_target.sh.
#include "net/sse_parser.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

std::vector<rbee::net::sse_event> parse(std::string_view text, size_t piece) {
  rbee::net::sse_parser p;
  std::vector<rbee::net::sse_event> out;
  for (size_t at = 0; at < text.size(); at += piece)
    p.feed(text.substr(at, piece), [&](const rbee::net::sse_event& e) {
      out.push_back(e);
      return true;
    });
  return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t piece = 1 + data[0] % 17;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto whole = parse(text, text.size() + 1), cut = parse(text, piece);
  if (whole.size() != cut.size()) std::abort();
  for (size_t i = 0; i < whole.size(); ++i)
    if (whole[i].id != cut[i].id || whole[i].event != cut[i].event || whole[i].data != cut[i].data) std::abort();
  std::string event, body;
  rbee::net::split_frame(std::string(text), event, body);
  return 0;
}
