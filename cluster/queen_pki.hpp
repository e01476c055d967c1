#pragma once
// The queen's side of the cluster's credentials, under <state_dir>/cluster:
// the queen CA (signs the queen's certificate; hives trust it), the hive CA
// (signs hive certificates; the queen trusts it), the queen's key and
// certificate, and hives.json (each hive's id, the SHA-256 of its join secret,
// the expiry of its first join). Keys and hives.json are 0600 and every file is
// written atomically (CAF re-reads the certificate files for each connection).

#include "cluster/join_token.hpp"
#include "io/outcome.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace rbee::cluster {

struct queen_files {
  std::string dir;
  std::string queen_ca_key, queen_ca, hive_ca_key, hive_ca, key, cert, hives;
};

queen_files queen_paths(const std::string& state_dir);

/// True when every file of the PKI is there.
bool queen_ready(const queen_files& f);

/// Creates the PKI (both CAs, the queen's key and certificate); false when it
/// already existed (then nothing is touched).
outcome<bool> init_queen(const queen_files& f);

/// A hive the queen knows (no secret).
struct hive_record {
  std::string hive_id;
  std::string secret_sha256;
  int64_t issued_ms = 0;
  int64_t expires_ms = 0; ///< for the first join
  int64_t joined_ms = 0;  ///< 0: never joined
};

/// Issues a hive: a new join secret (replacing any earlier one) and a
/// certificate for the key of `csr_pem`; with no CSR the key is made here and
/// travels in the token. `queen_address` is HOST:PORT as the hive will reach it.
outcome<join_token> add_hive(const queen_files& f, const std::string& hive_id, const std::string& queen_address,
                             const std::string& csr_pem, int64_t ttl_ms, int64_t now_ms);

/// Checks a join: a known hive id, the right secret, and for a first join the
/// expiry. Records the first join. errc::unauthorized says why.
outcome<void> check_join(const queen_files& f, const std::string& hive_id, const std::string& secret, int64_t now_ms);

/// Forgets a hive (its secret no longer joins). errc::hive_not_found if unknown.
outcome<void> remove_hive(const queen_files& f, const std::string& hive_id);

outcome<std::vector<hive_record>> list_hives(const queen_files& f);

} // namespace rbee::cluster
