#include "messages/errc.hpp"

#include <caf/message.hpp>
#include <caf/sec.hpp>

namespace rbee {

std::string_view to_string(errc x) {
  switch (x) {
    case errc::none: return "none";
    case errc::bad_request: return "bad_request";
    case errc::invalid_value: return "invalid_value";
    case errc::payload_too_large: return "payload_too_large";
    case errc::headers_too_large: return "headers_too_large";
    case errc::unauthorized: return "unauthorized";
    case errc::forbidden: return "forbidden";
    case errc::not_found: return "not_found";
    case errc::method_not_allowed: return "method_not_allowed";
    case errc::unsupported_media_type: return "unsupported_media_type";
    case errc::job_not_found: return "job_not_found";
    case errc::job_finished: return "job_finished";
    case errc::hive_not_found: return "hive_not_found";
    case errc::hive_lost: return "hive_lost";
    case errc::unknown_operation: return "unknown_operation";
    case errc::not_implemented: return "not_implemented";
    case errc::timeout: return "timeout";
    case errc::unavailable: return "unavailable";
    case errc::cancelled: return "cancelled";
    case errc::model_not_found: return "model_not_found";
    case errc::checksum_mismatch: return "checksum_mismatch";
    case errc::platform_unsupported: return "platform_unsupported";
    case errc::disk_full: return "disk_full";
    case errc::context_overflow: return "context_overflow";
    case errc::build_failed: return "build_failed";
    case errc::internal: return "internal";
  }
  return "internal";
}

caf::error make_error(errc x, std::string message) {
  return caf::error{static_cast<uint8_t>(x), errc_category, caf::make_message(std::move(message))};
}

caf::error make_error(errc x) {
  return caf::error{static_cast<uint8_t>(x), errc_category};
}

errc code_of(const caf::error& err) {
  if (!err) return errc::none;
  if (err.category() == errc_category) {
    if (err.code() <= static_cast<uint8_t>(errc::internal)) return static_cast<errc>(err.code());
    return errc::internal;
  }
  if (err.category() == caf::atom("system")) {
    switch (static_cast<caf::sec>(err.code())) {
      case caf::sec::request_timeout: return errc::timeout;
      case caf::sec::request_receiver_down:
      case caf::sec::remote_linking_failed:
      case caf::sec::no_route_to_receiving_node: return errc::hive_lost;
      default: break;
    }
  }
  return errc::internal;
}

std::string message_of(const caf::error& err) {
  if (!err) return {};
  const auto& ctx = err.context();
  if (ctx.size() == 1 && ctx.match_element<std::string>(0)) return ctx.get_as<std::string>(0);
  if (err.category() == errc_category) return std::string(to_string(code_of(err)));
  return caf::to_string(err);
}

} // namespace rbee
