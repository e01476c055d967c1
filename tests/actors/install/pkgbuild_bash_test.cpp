// The PKGBUILD parser against bash itself: generated recipes whose function bodies
// mix here-documents, every kind of quote, substitutions, comments and braces that
// are and are not reserved words. bash sources each one (every command in them is
// a harmless builtin, and PATH is empty) and prints its function as it read it;
// the body our parser extracted, defined alone, must print the same, and the
// top-level assignment after the function must be seen by both. A quote inside a
// here-document used to make later lines look like the body (or the body end early).
#include "actors/install/pkgbuild.hpp"

#include "tests/support/process.hpp"

#include <caf/error.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

using namespace rbee;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> pieces = {
  "echo 'it'\"'\"'s {'",
  "echo \"a } b ' c\"",
  "echo }",
  "echo {",
  "echo a}b {c",
  "cat <<EOF\n  it's } \"odd {\nEOF",
  "cat <<'EOF'\n$x } ' \" `\nEOF",
  "cat <<-EOF\n\t} ' done\n\tEOF",
  "cat <<\"E2\" <<E3\nx' }\nE2\ny\" {\nE3",
  "cat <<EOF | cat\n'\nEOF",
  "x=$'a\\'b } {'",
  "y=${v:-}}",
  "y=${v:-'}'}",
  "# comment } ' \" {",
  "echo a # } ' comment",
  "echo a;# } comment",
  "{ echo grouped; }",
  "{ echo '}'; }",
  "if true; then { echo in; }; fi",
  "z=$(echo \")\" '}' \"$(echo '(')\")",
  "w=`echo }`",
  "case x in x) echo };; esac",
  "echo ${#x} #{ '",
  "v=\"$(echo \"}\")\"",
  "echo \\} \\{ \\'",
  "for i in 1 2; do { echo $i; }; done",
  "true && { echo '{'; } || echo no",
};

std::string generate(std::mt19937& rng) {
  std::string body;
  int n = 1 + static_cast<int>(rng() % 6);
  for (int i = 0; i < n; ++i) body += "  " + pieces[rng() % pieces.size()] + "\n";
  return "pkgname=x\npkgver=1\npkgrel=1\nbuild() {\n" + body + "}\nrbee_marker=done\n";
}

/// How bash reads `script`: `declare -f build` and the marker's value.
std::string bash_view(const fs::path& file) {
  auto r = test::run({"/bin/bash", "--noprofile", "--norc", "-c",
                      "source \"$1\" >/dev/null 2>&1; declare -f build; echo \"marker=$rbee_marker\"", "_", file.string()},
                     {"PATH=/nonexistent"}, std::chrono::seconds(10));
  return r.out;
}

} // namespace

TEST(PkgbuildBash, FunctionBodiesAreWhatBashReads) {
  if (::access("/bin/bash", X_OK) != 0) GTEST_SKIP() << "bash not found";
  auto dir = fs::temp_directory_path() / ("rbee-pkgbuild-bash-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::mt19937 rng(11);
  int compared = 0;
  for (int i = 0; i < 250; ++i) {
    std::string script = generate(rng);
    std::ofstream(dir / "PKGBUILD") << script;
    if (test::run({"/bin/bash", "-n", (dir / "PKGBUILD").string()}, {}, std::chrono::seconds(10)).status != 0) continue;
    auto theirs = bash_view(dir / "PKGBUILD");
    auto ours = parse_pkgbuild(script);
    ASSERT_TRUE(ours) << caf::to_string(ours.error()) << "\nin\n" << script;
    EXPECT_EQ(ours->get("rbee_marker"), "done") << script;
    std::ofstream(dir / "alone") << "build() {" << ours->functions["build"] << "\n}\nrbee_marker=done\n";
    EXPECT_EQ(bash_view(dir / "alone"), theirs) << "our body of\n" << script << "\nwas\n" << ours->functions["build"];
    ++compared;
  }
  fs::remove_all(dir);
  EXPECT_GT(compared, 200) << "most generated recipes must be valid bash";
}

TEST(PkgbuildBash, UnterminatedHereDocumentsAndQuotesAreErrors) {
  for (const char* body : {"  cat <<EOF\n  never ends\n", "  echo 'open\n", "  x=$(echo (\n", "  cat <<\n",
                           "  echo \"$(echo \")\"\n"}) {
    auto p = parse_pkgbuild(std::string("pkgname=x\npkgver=1\npkgrel=1\nbuild() {\n") + body + "}\n");
    EXPECT_FALSE(p) << body;
  }
}
