#pragma once
// The one place that maps rbee errors to HTTP statuses.

#include "messages/errc.hpp"

namespace rbee::net {

/// The HTTP status for an error code (400 bad request, 404 unknown job, ...).
unsigned status_for(errc code);

/// The standard reason phrase of an HTTP status.
const char* reason_for(unsigned status);

} // namespace rbee::net
