#include "actors/install/steps.hpp"
#include "io/child.hpp"
#include "actors/install/deps_check.hpp"

#include "messages/errc.hpp"

#include <algorithm>
#include <cctype>

#include <sys/utsname.h>
#include <unistd.h>

namespace rbee {

namespace {

bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "nothing" : out;
}

} // namespace

host_platform this_platform(bool cuda_gpu) {
  host_platform h;
#if defined(__APPLE__)
  h.os = "macos";
#else
  h.os = "linux";
#endif
  utsname u{};
  if (::uname(&u) == 0) h.arch = u.machine;
  if (h.arch == "arm64") h.arch = "aarch64";
  h.cuda_toolkit = !find_nvcc().empty();
  h.cuda_gpu = cuda_gpu;
  return h;
}

caf::error check_platform(const catalog_entry& e, const host_platform& h) {
  if (!has(e.platforms, h.os) || !has(e.architectures, h.arch))
    return make_error(errc::platform_unsupported, e.id + " runs on " + joined(e.platforms) + " (" + joined(e.architectures) +
                                                      "); this hive is " + h.os + " " + h.arch);
  if (e.backend == "cuda") {
    if (!h.cuda_toolkit)
      return make_error(errc::platform_unsupported, e.id + " needs the CUDA toolkit (nvcc) to build; none was found");
    if (!h.cuda_gpu && !h.without_gpu)
      return make_error(errc::platform_unsupported, e.id + " needs an NVIDIA GPU to run; this hive has none "
                                                           "(to build it here anyway, for another machine: --without-gpu)");
  }
  return {};
}

std::string recipe_script(const pkgbuild& p, const std::string& function) {
  std::string s = "set -e\n";
  for (auto& [name, values] : p.vars) {
    // The build's own environment is not the recipe's to change.
    if (name == "srcdir" || name == "pkgdir" || name == "startdir" || name == "PATH" || name == "HOME" || name == "IFS" ||
        name == "BASH_ENV" || name == "ENV" || name.rfind("LD_", 0) == 0 || name.rfind("BASH", 0) == 0)
      continue;
    bool array = values.size() != 1 || name == "source" || name == "sha256sums" || name == "arch" || name.find("depends") != std::string::npos;
    if (array) {
      s += name + "=(";
      for (auto& v : values) {
        s += ' ';
        s += shell_quote(v);
      }
      s += " )\n";
    } else {
      s += name + "=" + shell_quote(values[0]) + "\n";
    }
  }
  for (auto& [name, body] : p.functions) s += name + "() {" + body + "}\n";
  s += "cd \"$srcdir\"\n" + function + "\n";
  return s;
}

std::optional<narration_line> parse_narration_line(std::string_view line) {
  if (line.size() < 6 || line[0] != '[') return std::nullopt;
  auto close = line.find(']');
  auto colon = line.find(" : ");
  if (close == std::string_view::npos || colon == std::string_view::npos || colon < close) return std::nullopt;
  narration_line n;
  n.actor = std::string(line.substr(1, close - 1));
  auto action = line.substr(close + 1, colon - close - 1);
  while (!action.empty() && action.front() == ' ') action.remove_prefix(1);
  while (!action.empty() && action.back() == ' ') action.remove_suffix(1);
  n.action = std::string(action);
  n.message = std::string(line.substr(colon + 3));
  auto word = [](const std::string& w) {
    return !w.empty() && w.size() <= 32 &&
           std::all_of(w.begin(), w.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; });
  };
  if (!word(n.actor) || !word(n.action)) return std::nullopt;
  return n;
}

} // namespace rbee
