#pragma once
// Signed worker catalogs. A catalog's index.json lists every file a hive uses
// (workers/<id>/PKGBUILD, workers/<id>/meta.json, sources/<file>) with its
// SHA-256; index.json.sig is an Ed25519 signature of index.json (base64). The
// key pair: a PEM private key (`rbee catalog keygen`, by default
// $XDG_CONFIG_HOME/rbee/catalog-key.pem), and the public key as base64 of its 32
// bytes, which a hive pins (config catalog_key). OpenSSL does the cryptography.

#include <caf/expected.hpp>

#include <map>
#include <string>
#include <string_view>

namespace rbee {

/// Where the user's catalog signing key lives by default.
std::string default_catalog_key_path();

/// Makes a new Ed25519 key at `path` (mode 0600, written atomically) and returns
/// its public key (base64). An existing file is never overwritten (errc::invalid_value).
caf::expected<std::string> catalog_keygen(const std::string& path);

/// The public key (base64) of the private key at `path`.
caf::expected<std::string> catalog_public_key(const std::string& path);

/// Writes <dir>/index.json (every file under workers/ and sources/ with its
/// sha256) and <dir>/index.json.sig, signed with the key at `key_path`; returns
/// the number of files listed.
caf::expected<size_t> sign_catalog(const std::string& dir, const std::string& key_path);

/// A verified index: relative path -> sha256 (lower-case hex).
using catalog_index = std::map<std::string, std::string>;

/// Checks `signature` (base64) of `index_json` against `public_key` (base64) and
/// parses it. Errors (errc::checksum_mismatch) say which check failed.
caf::expected<catalog_index> verify_catalog_index(std::string_view index_json, std::string_view signature,
                                                  std::string_view public_key);

/// Is `text` the file `path` of a verified index? An error names the file.
caf::expected<void> check_in_index(const catalog_index& index, const std::string& path, std::string_view text);

} // namespace rbee
