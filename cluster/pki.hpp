#pragma once
// The cluster's public-key infrastructure, with OpenSSL: ECDSA P-256 keys, the
// two CAs (queen CA: the queen's certificate; hive CA: the hives'), certificate
// requests made where the key lives, and certificates signed from them. All
// values are PEM text. Inputs that come from elsewhere (a CSR read over SSH, a
// certificate in a join token) are bounded and checked, never trusted.

#include "io/outcome.hpp"

#include <string>
#include <string_view>

namespace rbee::cluster {

/// The most PEM text accepted from outside (a certificate or a CSR is ~1 KB).
inline constexpr size_t max_pem_bytes = 16 * 1024;

/// A new ECDSA P-256 private key (PKCS#8 PEM).
outcome<std::string> new_private_key();

/// A self-signed CA certificate for `key_pem`, named `name` (CN), valid `days`.
outcome<std::string> self_signed_ca(std::string_view key_pem, std::string_view name, int days);

/// A certificate signing request for `key_pem` with CN `name`.
outcome<std::string> make_csr(std::string_view key_pem, std::string_view name);

/// A leaf certificate (not a CA; TLS client and server use) for the key of
/// `csr_pem`, whose own signature must verify, named `name` whatever the CSR
/// asked for, signed by the CA `ca_cert_pem` / `ca_key_pem`, valid `days`.
outcome<std::string> sign_csr(std::string_view csr_pem, std::string_view ca_cert_pem, std::string_view ca_key_pem,
                              std::string_view name, int days);

/// SHA-256 of the certificate's DER encoding, lower-case hex: its pin.
outcome<std::string> cert_pin(std::string_view cert_pem);

/// The certificate's subject CN.
outcome<std::string> cert_name(std::string_view cert_pem);

/// Checks that `cert_pem` was issued by `ca_pem` and is valid now.
outcome<void> verify_cert(std::string_view cert_pem, std::string_view ca_pem);

/// Checks that `key_pem` is the private key of `cert_pem`.
outcome<void> key_matches(std::string_view key_pem, std::string_view cert_pem);

} // namespace rbee::cluster
