#pragma once
// rbee:// links, as "Run with rbee" buttons and model pages write them:
//   rbee://download/model/huggingface/<org>/<repo>[:<quant>]
//   rbee://run/model/huggingface/<org>/<repo>[:<quant>]     (auto_run)
//   rbee://install/worker/<worker_id>
//   rbee://open/dashboard
// A link comes from a web page: anything else — other characters, `..`,
// percent-escapes, queries, overlong links, unknown verbs — is refused.

#include <optional>
#include <string>
#include <string_view>

namespace rbee {

struct rbee_link {
  enum class verb { download, run, install, dashboard } what;
  std::string model;  ///< org/repo[:quant] (download, run)
  std::string worker; ///< worker id (install)
};

inline constexpr size_t max_rbee_url = 512;

/// The link, or nullopt with `why` saying what is wrong.
std::optional<rbee_link> parse_rbee_url(std::string_view url, std::string& why);

/// The job a link submits (POST /v1/jobs body); "" for the dashboard.
std::string rbee_link_job(const rbee_link& link);

} // namespace rbee
