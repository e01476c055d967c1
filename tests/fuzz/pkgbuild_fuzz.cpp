// libFuzzer target: the PKGBUILD parser, the recipe shell it feeds bash, and
// narration lines, on arbitrary text. Built and run briefly by
// tests/fuzz/run_target.sh (clang, ASan, UBSan).
#include "actors/install/steps.hpp"
#include "actors/install/pkgbuild.hpp"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto p = rbee::parse_pkgbuild(text);
  if (p) {
    (void)p->get("pkgname");
    for (auto& [name, body] : p->functions) (void)rbee::recipe_script(*p, name);
  }
  (void)rbee::parse_narration_line(text);
  return 0;
}
