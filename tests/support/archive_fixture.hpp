#pragma once
// Test fixtures for recipes: .tar.gz files built in memory with libarchive
// (any path, hostile ones included) and SHA-256 pins.

#include <string>
#include <utility>
#include <vector>

namespace rbee::test {

/// A gzip'd pax tarball of regular files (path, content), paths as given.
std::string tarball(const std::vector<std::pair<std::string, std::string>>& files);

/// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(const std::string& data);

} // namespace rbee::test
