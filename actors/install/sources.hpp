#pragma once
// Step 6 of an install: a recipe's source=() entries fetched into the build
// tree and checked against sha256sums=(), then archives unpacked into the
// source directory (makepkg's layout: <tree>/sources, <tree>/src, <tree>/pkg).
// http(s) URLs are downloaded, file:// URLs copied, bare names come from the
// catalog (<catalog>/sources/<name>); `name::url` renames. A SKIP checksum
// is refused: everything that is built is verified first.

#include "actors/install/pkgbuild.hpp"

#include <caf/expected.hpp>

#include <atomic>
#include <functional>
#include <string>
#include <vector>

namespace rbee {

struct source_entry {
  std::string name;   ///< the local file name
  std::string url;    ///< http(s):// or file://
  std::string sha256; ///< lower-case hex
};

/// The recipe's sources, resolved and checked (names, schemes, one sha256
/// per source, no SKIP) before anything is fetched. errc::bad_request.
caf::expected<std::vector<source_entry>> plan_sources(const pkgbuild& pkg, const std::string& catalog_url);

/// Progress: the source's name and a human line ("downloaded 3.1 MiB", "extracted 212 files").
using source_progress = std::function<void(const std::string& name, const std::string& line)>;

/// Fetches every source into <tree>/sources, verifies it, and copies or
/// unpacks it into <tree>/src. errc::checksum_mismatch names the source.
caf::expected<void> fetch_sources(const std::vector<source_entry>& sources, const std::string& tree,
                                  const source_progress& progress, const std::atomic<bool>& cancel);

} // namespace rbee
