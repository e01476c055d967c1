#include "messages/errc.hpp"

#include <caf/message.hpp>
#include <caf/sec.hpp>

namespace rbee {

caf::error make_error(errc x, std::string message) {
  return caf::error{static_cast<uint8_t>(x), errc_category, caf::make_message(std::move(message))};
}

caf::error make_error(const failure& f) { return make_error(f.code, f.message); }

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
