#pragma once
// A small blocking HTTP/1.1 client (Boost.Beast) with deadlines, for the keeper
// CLI, the tests and the benchmarks. http:// only: the queen's API is local or
// behind a token.

#include "net/sse_parser.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rbee::net {

struct url {
  std::string host;
  std::string port = "80";
};

/// Parses "http://host[:port][/]" (IPv6 as [::1]); nullopt with `error` set otherwise.
std::optional<url> parse_url(std::string_view text, std::string& error);

using headers = std::vector<std::pair<std::string, std::string>>;

struct http_result {
  int status = 0;      ///< 0: no answer (see error)
  std::string body;
  std::string error;   ///< transport error, e.g. "connection refused"
};

http_result http_call(const url& u, std::string_view method, std::string_view target,
                      std::string_view body = {}, const headers& extra = {},
                      std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// Opens an SSE stream and calls `on_event` per event until it returns false, the
/// server ends the stream, or nothing arrives for `idle` (keep-alives count).
/// Returns the HTTP status (the body in `result.body` when it is not 200).
http_result sse_get(const url& u, std::string_view target, const headers& extra,
                    const sse_parser::callback& on_event,
                    std::chrono::milliseconds idle = std::chrono::seconds(60));

/// The same for a request with a body (OpenAI's streaming POSTs).
http_result sse_request(const url& u, std::string_view method, std::string_view target, std::string_view body,
                        const headers& extra, const sse_parser::callback& on_event,
                        std::chrono::milliseconds idle = std::chrono::seconds(60));

} // namespace rbee::net
