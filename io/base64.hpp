#pragma once
// Base64 (RFC 4648, with padding) and its URL-safe form without padding, for
// keys, signatures and join tokens. Decoding is strict: no whitespace, no
// stray characters, a bounded length.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rbee {

std::string base64(std::string_view bytes);
/// The bytes of strict base64 of at most `max_chars` characters, or nullopt.
std::optional<std::string> unbase64(std::string_view s, size_t max_chars = 4096);

/// URL-safe base64 ('-', '_') without '=' padding.
std::string base64url(std::string_view bytes);
std::optional<std::string> unbase64url(std::string_view s, size_t max_chars = 65536);

} // namespace rbee
