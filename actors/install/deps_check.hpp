#pragma once
// Step 5 of an install: are a recipe's depends/makedepends here? A name is
// satisfied by an installed Debian package of that name (dpkg's status
// file), an executable of that name on PATH, or a pkg-config module. Every
// missing one is listed, with the apt-get command that would install them.
// `nvcc` is also found where CUDA toolkits install it off PATH (/usr/local/cuda).

#include <caf/expected.hpp>

#include <string>
#include <vector>

namespace rbee {

struct deps_report {
  std::vector<std::string> missing;
  std::string apt_command; ///< "" when nothing is missing
  std::string message() const; ///< "missing dependencies: a, b — install them with: apt-get install -y a b"
};

struct deps_options {
  std::string dpkg_status = "/var/lib/dpkg/status";
  std::string path; ///< "" = $PATH
};

/// nvcc on `path` (or $PATH), else where CUDA toolkits install it; "" when there is none.
std::string find_nvcc(const std::string& path = "");

/// Checks every name (version constraints such as `cmake>=3.20` are dropped).
/// A name with characters no package has is an error (errc::bad_request).
caf::expected<deps_report> check_dependencies(const std::vector<std::string>& names, const deps_options& opts = {});

} // namespace rbee
