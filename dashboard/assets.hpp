#pragma once
// The dashboard's files (this folder), embedded in the binary at build time
// by cmake/embed.cmake: the `rbee` binary serves them with no files beside it.

#include <string_view>

namespace rbee::dashboard {

struct asset {
  std::string_view path; ///< "/index.html", "/app.js", ...
  std::string_view content_type;
  std::string_view body;
};

/// The asset at `path`, or nullptr.
const asset* find_asset(std::string_view path);

} // namespace rbee::dashboard
