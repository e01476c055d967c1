#pragma once
// The worker catalog, loaded from a directory:
//   <dir>/workers/<id>/PKGBUILD    the recipe
//   <dir>/workers/<id>/meta.json   what the recipe cannot say: name, description,
//                                  platforms, architectures, backend, formats,
//                                  capabilities, binary
//   <dir>/sources/<file>           source tarballs the recipes name
// Every recipe is parsed (never executed) at load; version, depends and
// makedepends come from it. Served by `rbee catalog serve` and the queen.

#include "actors/install/pkgbuild.hpp"

#include <caf/expected.hpp>

#include <map>
#include <string>
#include <vector>

namespace rbee {

struct catalog_entry {
  std::string id;
  std::string pkgbuild_text;
  std::string meta_text; ///< meta.json as written (what the signed index hashes)
  pkgbuild recipe;
  std::string json; ///< the metadata served at GET /workers/{id}
  std::vector<std::string> platforms, architectures;
  std::string backend;
  std::string binary;
};

class worker_catalog {
public:
  /// Loads and checks every entry; an error names the entry and the problem.
  static caf::expected<worker_catalog> load(const std::string& dir);

  const std::map<std::string, catalog_entry>& entries() const { return entries_; }
  const catalog_entry* find(const std::string& id) const;
  /// GET /workers: a JSON array of every entry's metadata.
  std::string list_json() const;
  /// The path of a source file, or "" when the name is invalid or absent.
  std::string source_path(const std::string& name) const;
  /// The path of index.json or index.json.sig (the signed index), or "" when absent.
  std::string signature_path(const std::string& name) const;

private:
  std::string dir_;
  std::map<std::string, catalog_entry> entries_;
};

/// GET <catalog_url><path> for a hive: the body, or errc::unavailable (no answer,
/// or a status other than 200/404) or errc::not_found (404) naming the catalog.
caf::expected<std::string> catalog_get(const std::string& catalog_url, const std::string& path);

/// An entry from its meta.json and PKGBUILD texts (the catalog's load, and a hive
/// after checking both against the signed index); errors name the problem.
caf::expected<catalog_entry> make_catalog_entry(const std::string& id, std::string meta_text, std::string pkgbuild_text);

/// Parses one entry's metadata as served (GET /workers/{id}) — the hive's side.
caf::expected<catalog_entry> parse_catalog_entry(const std::string& json);

} // namespace rbee
