#pragma once
// Unpacks a source archive (tar, tar.gz/xz/bz2/zst, zip — whatever libarchive
// reads) into a build tree, refusing, before anything is written for the
// offending entry, what could reach outside it: absolute paths, `..`
// components, symlinks or hard links whose target leaves the tree, device
// nodes, FIFOs and sockets. Sizes are capped against decompression bombs.

#include "io/outcome.hpp"

#include <cstdint>
#include <string>

namespace rbee {

struct extract_limits {
  uint64_t max_total_bytes = 8ull << 30; ///< sum of regular-file sizes
  uint64_t max_entries = 1'000'000;
};

struct extract_result {
  uint64_t files = 0;
  uint64_t dirs = 0;
  uint64_t links = 0;
  uint64_t bytes = 0;
};

/// Extracts `archive` into the existing directory `dest`. Errors:
/// errc::bad_request naming the entry for a hostile or broken archive,
/// errc::payload_too_large past the limits, errc::internal for I/O failures.
outcome<extract_result> extract_archive(const std::string& archive, const std::string& dest,
                                              extract_limits limits = {});

/// True when `name` looks like an archive makepkg would extract.
bool is_archive_name(const std::string& name);

} // namespace rbee
