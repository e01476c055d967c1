// libFuzzer target: rbee:// links (they come from web pages). An accepted link
// must be one of the four shapes, and the job it submits must be an operation the
// job API reads back. Built and run by run_target.sh.
#include "messages/json.hpp"
#include "messages/rbee_url.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view url(reinterpret_cast<const char*>(data), size);
  std::string why;
  auto link = rbee::parse_rbee_url(url, why);
  if (!link) {
    if (why.empty()) std::abort(); // a refusal says why
    return 0;
  }
  if (url.size() > rbee::max_rbee_url || url.find("..") != std::string_view::npos) std::abort();
  std::string job = rbee::rbee_link_job(*link);
  if (link->what == rbee::rbee_link::verb::dashboard) return 0;
  if (!rbee::json::read_operation(job)) std::abort(); // what it submits is a valid operation
  return 0;
}
