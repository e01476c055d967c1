#pragma once
// rbee's domain errors (messages/errc_code.hpp), registered with CAF as the error category "rbee".
// net/ maps each to an HTTP status in one function (net/http_error.cpp).

#include "messages/errc_code.hpp"

#include <caf/atom.hpp>
#include <caf/error.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace rbee {

/// The error category atom of rbee errors.
inline constexpr caf::atom_value errc_category = caf::atom("rbee");

/// An rbee error with a human message carried in the error's context.
caf::error make_error(errc x, std::string message);
caf::error make_error(errc x);

/// The caf::error of an io/ failure.
caf::error make_error(const failure& f);

/// The rbee code of `err`; errc::internal for errors of other categories
/// (errc::timeout for CAF request timeouts, errc::hive_lost for a dead remote).
errc code_of(const caf::error& err);

/// The human message of `err` (its context string, or a rendering of it).
std::string message_of(const caf::error& err);

} // namespace rbee
