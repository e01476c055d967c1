#include "net/http_error.hpp"

namespace rbee::net {

unsigned status_for(errc code) {
  switch (code) {
    case errc::none: return 200;
    case errc::bad_request:
    case errc::context_overflow: return 400;
    case errc::unauthorized: return 401;
    case errc::forbidden: return 403;
    case errc::not_found:
    case errc::job_not_found:
    case errc::hive_not_found:
    case errc::model_not_found: return 404;
    case errc::method_not_allowed: return 405;
    case errc::job_finished:
    case errc::conflict: return 409;
    case errc::payload_too_large: return 413;
    case errc::unsupported_media_type: return 415;
    case errc::invalid_value:
    case errc::unknown_operation:
    case errc::platform_unsupported: return 422;
    case errc::headers_too_large: return 431;
    case errc::cancelled: return 499;
    case errc::not_implemented: return 501;
    case errc::hive_lost:
    case errc::unavailable: return 503;
    case errc::timeout: return 504;
    case errc::disk_full: return 507;
    case errc::checksum_mismatch:
    case errc::build_failed:
    case errc::internal: return 500;
  }
  return 500;
}

const char* reason_for(unsigned status) {
  switch (status) {
    case 200: return "OK";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 431: return "Request Header Fields Too Large";
    case 499: return "Client Closed Request";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 507: return "Insufficient Storage";
    default: return "Internal Server Error";
  }
}

} // namespace rbee::net
