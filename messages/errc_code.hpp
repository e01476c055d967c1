#pragma once
// rbee's domain error codes and their names, with no CAF: io/ (which links no CAF)
// reports with them, messages/errc.hpp registers them with CAF, and net/ maps each
// to an HTTP status in one function (net/http_error.cpp).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rbee {

enum class errc : uint8_t {
  none = 0,
  bad_request,         ///< malformed input: bad JSON, wrong type, missing field
  invalid_value,       ///< well-formed input with a value out of bounds
  payload_too_large,
  headers_too_large,
  unauthorized,        ///< missing or wrong API token
  forbidden,           ///< Host or Origin not allowed
  not_found,           ///< no such route
  method_not_allowed,
  unsupported_media_type,
  job_not_found,
  job_finished,        ///< the job already reached its terminal state
  hive_not_found,
  hive_lost,           ///< the hive went away (killed, hung, network)
  unknown_operation,
  not_implemented,     ///< a known operation this build cannot run yet
  timeout,
  unavailable,         ///< overloaded or shutting down
  cancelled,
  model_not_found,
  checksum_mismatch,
  platform_unsupported,
  disk_full,
  context_overflow,  ///< a prompt longer than the context
  build_failed,      ///< a recipe's build() or package() failed
  conflict,          ///< the thing is in use (a model loaded by a worker, a worker being installed)
  internal,
};

/// snake_case names in the order of the enum: the JSON error codes.
inline constexpr std::array<std::string_view, static_cast<size_t>(errc::internal) + 1> errc_names = {
  "none", "bad_request", "invalid_value", "payload_too_large", "headers_too_large", "unauthorized",
  "forbidden", "not_found", "method_not_allowed", "unsupported_media_type", "job_not_found",
  "job_finished", "hive_not_found", "hive_lost", "unknown_operation", "not_implemented", "timeout",
  "unavailable", "cancelled", "model_not_found", "checksum_mismatch", "platform_unsupported",
  "disk_full", "context_overflow", "build_failed", "conflict", "internal"};

/// snake_case name of `x`, used as the JSON error code.
constexpr std::string_view to_string(errc x) {
  auto i = static_cast<size_t>(x);
  return i < errc_names.size() ? errc_names[i] : errc_names.back();
}

/// The code named `name`; nullopt for a name that is not one.
constexpr std::optional<errc> errc_from_string(std::string_view name) {
  for (size_t i = 0; i < errc_names.size(); ++i)
    if (errc_names[i] == name) return static_cast<errc>(i);
  return std::nullopt;
}

/// An error as plain data: a code and a human message (what io/ returns; actors
/// turn it into a caf::error with make_error).
struct failure {
  errc code = errc::internal;
  std::string message;
};

} // namespace rbee
