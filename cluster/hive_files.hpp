#pragma once
// A hive's side of the cluster's credentials, under <state_dir>/cluster/hive:
// its private key (made here by `rbee hive csr`, or carried by a join token),
// its certificate, the queen CA it trusts, and join.json (the queen's address,
// the hive's id and join secret). Keys and join.json are 0600.

#include "cluster/join_token.hpp"
#include "io/outcome.hpp"

#include <string>

namespace rbee::cluster {

struct hive_files {
  std::string dir;
  std::string key, cert, queen_ca, join;
};

hive_files hive_paths(const std::string& state_dir);

/// A certificate request for this hive's key (made now if there is none).
outcome<std::string> hive_csr(const hive_files& f, const std::string& hive_id);

/// Stores what a join token carries. A token without a key needs the key of an
/// earlier `hive_csr`, and its certificate must be for that key.
outcome<void> accept_token(const hive_files& f, const join_token& t);

/// What a hive needs to join, read from join.json.
struct join_info {
  std::string queen;
  std::string hive_id;
  std::string secret;
};

/// join.json and the files beside it; errc::not_found when the hive has none.
outcome<join_info> load_join(const hive_files& f);

} // namespace rbee::cluster
