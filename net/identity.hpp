#pragma once
// Proof that an rbee server on this machine is the user's own, before the keeper
// sends it the API token. Both sides read a per-user secret (32 random bytes, hex)
// from a file only the user can read — $XDG_RUNTIME_DIR/rbee/identity, else
// $XDG_STATE_HOME/rbee/identity — made on first use (directory 0700, file 0600, owner
// and mode checked on every read). The keeper sends a fresh nonce to GET
// /v1/identity?nonce=…; the server answers HMAC-SHA256(secret, nonce). Another local
// user who bound the port first cannot answer, and gets no token.

#include <optional>
#include <string>
#include <string_view>

namespace rbee::net {

struct url;

/// The identity file's path for this user.
std::string identity_path();

/// The secret, created when missing; nullopt (and `why`) when the file is another
/// user's, readable by others, or cannot be made.
std::optional<std::string> load_identity(std::string* why = nullptr);

/// HMAC-SHA256(secret, "rbee-identity:" + nonce) in hex.
std::string identity_proof(std::string_view secret, std::string_view nonce);

/// True for a nonce the server answers: 32 to 128 hex digits.
bool valid_nonce(std::string_view nonce);

/// Asks the server at `u` to prove it knows this user's secret. nullopt: it did;
/// otherwise why not ("unreachable" when nothing answers at all).
std::optional<std::string> check_server_identity(const url& u);

} // namespace rbee::net
