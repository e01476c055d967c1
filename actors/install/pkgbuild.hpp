#pragma once
// PKGBUILD files, parsed WITHOUT executing anything: the shell subset recipes
// use for their metadata — assignments (name=value, name=(array), +=),
// single and double quoting, $var / ${var} expansion of earlier variables,
// comments, line continuations — and functions (build, package) kept as text
// for bash to run later in the sandbox. Anything that would need execution
// (command substitution, other statements) is an error naming the line.

#include <caf/expected.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace rbee {

struct pkgbuild {
  std::map<std::string, std::vector<std::string>> vars; ///< scalars are one-element arrays
  std::map<std::string, std::string> functions;         ///< name -> body (between the braces)

  /// A scalar's value ("" when absent).
  std::string get(const std::string& name) const;
  /// An array's values (empty when absent).
  std::vector<std::string> list(const std::string& name) const;
};

/// Parses; pkgname, pkgver and pkgrel are required. Errors (errc::bad_request)
/// name the line: "PKGBUILD line 12: ...".
caf::expected<pkgbuild> parse_pkgbuild(std::string_view text);

} // namespace rbee
