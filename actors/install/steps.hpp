#pragma once
// The pure steps of an install, apart from the installer actor: the platform
// check, the shell a recipe function runs as, and structured narration lines
// in build output.

#include "actors/install/catalog.hpp"

#include <caf/error.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace rbee {

struct host_platform {
  std::string os;   ///< "linux", "macos"
  std::string arch; ///< "x86_64", "aarch64"
  bool cuda_toolkit = false; ///< nvcc found
  bool cuda_gpu = false;     ///< from the hive's capabilities
  bool without_gpu = false;  ///< asked to build a CUDA worker anyway (a build host)
};

/// This machine (the GPU flag comes from the hive's capabilities).
host_platform this_platform(bool cuda_gpu);

/// errc::platform_unsupported with what is missing, or none.
caf::error check_platform(const catalog_entry& e, const host_platform& h);

/// The bash text that runs one function of a recipe: every parsed variable
/// re-declared with safe quoting, every function as written, then
/// `cd "$srcdir" && <function>`.
std::string recipe_script(const pkgbuild& p, const std::string& function);

/// `[actor] action : message` (what rbee's own tools print) as parts.
struct narration_line {
  std::string actor, action, message;
};
std::optional<narration_line> parse_narration_line(std::string_view line);

} // namespace rbee
