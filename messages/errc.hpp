#pragma once
// rbee's domain errors, registered with CAF as the error category "rbee".
// net/ maps each to an HTTP status in one function (net/http_error.cpp).

#include <caf/atom.hpp>
#include <caf/error.hpp>

#include <cstdint>
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
  internal,
};

/// The error category atom of rbee errors.
inline constexpr caf::atom_value errc_category = caf::atom("rbee");

/// snake_case name of `x`, used as the JSON error code.
std::string_view to_string(errc x);

/// An rbee error with a human message carried in the error's context.
caf::error make_error(errc x, std::string message);
caf::error make_error(errc x);

/// The rbee code of `err`; errc::internal for errors of other categories
/// (errc::timeout for CAF request timeouts, errc::hive_lost for a dead remote).
errc code_of(const caf::error& err);

/// The human message of `err` (its context string, or a rendering of it).
std::string message_of(const caf::error& err);

} // namespace rbee
