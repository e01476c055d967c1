#pragma once
// A resumable, verified, atomic download (libcurl): data goes to
// <dir>/<file>.incomplete, an interrupted transfer resumes with Range +
// If-Range, the size and SHA-256 are checked, the file is fsynced and renamed
// into place and the directory fsynced. An unverified file never exists under
// its final name. Plain code, no messaging: the downloader actor wraps it.


#include "io/outcome.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace rbee {

struct fetch_request {
  std::string url;                  ///< redirects are followed (to another host too)
  std::string dir;                  ///< the target directory (must exist)
  std::string file;                 ///< the final name (already validated)
  uint64_t expected_size = 0;       ///< 0: unknown
  std::string expected_sha256;      ///< lower-case hex; empty: unknown
  uint64_t max_size = 0;            ///< with expected_size unknown: more bytes are refused (0: no cap)
  std::vector<std::string> headers; ///< extra request headers ("Authorization: Bearer ...")
  int max_retries = 5;              ///< network errors retried with backoff, resuming
  int retry_base_ms = 200;
};

struct fetch_progress {
  uint64_t done = 0;
  uint64_t total = 0;   ///< 0 while unknown
  bool resumed = false; ///< started from an earlier partial
};

/// Downloads; returns the final path. Errors: errc::model_not_found (404),
/// errc::forbidden (401/403: gated or private), errc::checksum_mismatch (both
/// hashes named; only the bad partial is deleted), errc::disk_full (checked
/// before starting; ENOSPC keeps the partial), errc::invalid_value (an absurd
/// size), errc::cancelled, errc::unavailable (network, after the retries).
outcome<std::string> fetch_file(const fetch_request& r, const std::function<void(const fetch_progress&)>& progress,
                                      const std::atomic<bool>& cancel);

/// Bytes as lower-case hex (digests, pins).
std::string to_hex(const unsigned char* p, size_t n);

/// SHA-256 of a file as lower-case hex ("" if unreadable).
std::string sha256_file(const std::string& path);
/// SHA-256 of bytes in memory, lower-case hex.
std::string sha256_text(std::string_view text);
/// SHA-256 of an open file, read from its start ("" if unreadable).
std::string sha256_fd(int fd);

/// One GET (redirects followed) with a body limit: status (0: no answer) and body.
struct get_result {
  long status = 0;
  std::string body;
  std::string error;
};
get_result http_get(const std::string& url, const std::vector<std::string>& headers, size_t max_body = 16u << 20);

/// The headers of a HEAD request that does not follow redirects (lower-case
/// names), and its status.
struct head_result {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string get(const std::string& name) const;
};
head_result http_head(const std::string& url, const std::vector<std::string>& headers);

} // namespace rbee
