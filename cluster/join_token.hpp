#pragma once
// The join token `rbee cluster add-hive NAME` prints and `rbee hive join TOKEN`
// reads: where the queen is, the SHA-256 pin of the queen CA (and the CA itself),
// the hive's id and join secret, an expiry, and the hive's certificate (with its
// key only when the queen made the key; the SSH install makes it on the hive).
// Text form: "rbee-join-" + base64url of compact JSON. A token is a secret.

#include "io/outcome.hpp"

#include <cstdint>
#include <string>

namespace rbee::cluster {

inline constexpr std::string_view token_prefix = "rbee-join-";
inline constexpr size_t max_token_chars = 32 * 1024;

struct join_token {
  std::string queen;     ///< HOST:PORT of the queen's cluster port
  std::string hive_id;
  std::string secret;    ///< the join secret (base64url of 32 random bytes)
  int64_t expires_ms = 0; ///< the first join must happen before (Unix ms)
  std::string ca_pin;    ///< SHA-256 of the queen CA's DER, hex
  std::string queen_ca;  ///< PEM
  std::string cert;      ///< the hive's certificate, PEM
  std::string key;       ///< the hive's private key, PEM; empty when made on the hive
};

std::string encode(const join_token& t);

/// Parses and checks a token: its form, every field's bounds, and that the CA
/// it carries has the pin it states. Does not check the expiry (the queen does).
outcome<join_token> decode(std::string_view text);

/// 32 random bytes from the kernel, base64url: a join or worker secret.
std::string new_secret();

/// SHA-256 of a secret, hex (what the queen keeps).
std::string secret_hash(std::string_view secret);

/// Constant-time comparison of equal-length hex digests.
bool same_digest(std::string_view a, std::string_view b);

} // namespace rbee::cluster
