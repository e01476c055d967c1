// Recipe sources: planned from a parsed PKGBUILD, fetched over real HTTP on
// loopback and from file:// URLs, verified, unpacked.
#include "actors/install/sources.hpp"
#include "messages/errc.hpp"
#include "tests/support/archive_fixture.hpp"
#include "tests/support/hf_server.hpp"

#include <caf/error.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

using namespace rbee;
namespace fs = std::filesystem;

namespace {


pkgbuild recipe(const std::string& sources_and_sums) {
  auto p = parse_pkgbuild("pkgname=demo\npkgver=1.0\npkgrel=1\n" + sources_and_sums);
  EXPECT_TRUE(p) << caf::to_string(p.error());
  return p ? *p : pkgbuild{};
}

std::string plan_error(const std::string& text) {
  auto r = plan_sources(recipe(text), "http://catalog");
  EXPECT_FALSE(r) << text;
  return r ? "" : caf::to_string(r.error());
}

struct Sources : ::testing::Test {
  fs::path dir = fs::temp_directory_path() / ("rbee-sources-" + std::to_string(::getpid()));
  std::atomic<bool> cancel{false};
  void SetUp() override {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
};

TEST_F(Sources, PlansNamesUrlsAndSums) {
  std::string h(64, 'a');
  auto r = plan_sources(recipe("source=(demo-1.0.tar.gz 'x.conf::https://example.org/raw/cfg?x=1' file:///opt/a.patch)\n"
                               "sha256sums=('" + h + "' '" + std::string(64, 'B') + "' '" + h + "')\n"),
                        "http://127.0.0.1:8787");
  ASSERT_TRUE(r) << caf::to_string(r.error());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].name, "demo-1.0.tar.gz");
  EXPECT_EQ((*r)[0].url, "http://127.0.0.1:8787/sources/demo-1.0.tar.gz");
  EXPECT_EQ((*r)[1].name, "x.conf");
  EXPECT_EQ((*r)[1].url, "https://example.org/raw/cfg?x=1");
  EXPECT_EQ((*r)[1].sha256, std::string(64, 'b'));
  EXPECT_EQ((*r)[2].name, "a.patch");
}

TEST_F(Sources, RefusesWhatCannotBeVerifiedOrIsHostile) {
  std::string h(66, 'a');
  h.front() = h.back() = '\'';
  EXPECT_NE(plan_error("source=(a.tar.gz)\nsha256sums=('SKIP')\n").find("SKIP checksum is refused"), std::string::npos);
  EXPECT_NE(plan_error("source=(a.tar.gz b)\nsha256sums=(" + h + ")\n").find("2 sources but 1"), std::string::npos);
  EXPECT_NE(plan_error("source=(a)\nsha256sums=('abc')\n").find("64 hex"), std::string::npos);
  EXPECT_NE(plan_error("source=(git+https://x/y.git)\nsha256sums=(" + h + ")\n").find("VCS"), std::string::npos);
  EXPECT_NE(plan_error("source=(ftp://x/y)\nsha256sums=(" + h + ")\n").find("unsupported scheme"), std::string::npos);
  EXPECT_NE(plan_error("source=(file://relative/y)\nsha256sums=(" + h + ")\n").find("absolute"), std::string::npos);
  EXPECT_NE(plan_error("source=(../../etc/passwd)\nsha256sums=(" + h + ")\n").find("invalid"), std::string::npos);
  EXPECT_NE(plan_error("source=('../x::https://a/b')\nsha256sums=(" + h + ")\n").find("invalid file name"), std::string::npos);
  EXPECT_NE(plan_error("source=('.bashrc::https://a/b')\nsha256sums=(" + h + ")\n").find("invalid file name"), std::string::npos);
  EXPECT_NE(plan_error("source=(https://a/x https://b/x)\nsha256sums=(" + h + " " + h + ")\n").find("two sources"), std::string::npos);
  EXPECT_NE(plan_error("source=('https://a/b c')\nsha256sums=(" + h + ")\n").find("invalid"), std::string::npos);
  EXPECT_NE(plan_error("source=(https://a/)\nsha256sums=(" + h + ")\n").find("invalid file name"), std::string::npos);
  auto none = plan_sources(recipe(""), "http://c");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST_F(Sources, FetchesVerifiesAndUnpacks) {
  test::hf_server server;
  auto tgz = test::tarball({{"demo-1.0/hello.c", "int main(){return 0;}\n"}, {"demo-1.0/Makefile", "all:\n"}});
  server.add_file("org/src", "demo-1.0.tar.gz", tgz);
  std::string conf = "threads=2\n";
  std::ofstream(dir / "local.conf") << conf;
  std::vector<source_entry> plan = {
      {"demo-1.0.tar.gz", server.endpoint() + "/org/src/resolve/main/demo-1.0.tar.gz", test::sha256_hex(tgz)},
      {"rbee.conf", "file://" + (dir / "local.conf").string(), test::sha256_hex(conf)}};
  std::vector<std::string> lines;
  auto tree = (dir / "tree").string();
  auto r = fetch_sources(plan, tree, [&](const std::string& n, const std::string& l) { lines.push_back(n + ": " + l); }, cancel);
  ASSERT_TRUE(r) << caf::to_string(r.error());
  EXPECT_TRUE(fs::exists(dir / "tree/src/demo-1.0/hello.c"));
  EXPECT_TRUE(fs::exists(dir / "tree/src/rbee.conf"));
  EXPECT_TRUE(fs::is_directory(dir / "tree/pkg"));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[1].find("extracted 2 files"), std::string::npos) << lines[1];
}

TEST_F(Sources, ChecksumMismatchAndMissingFilesFailNamingTheSource) {
  test::hf_server server;
  server.add_file("org/src", "a.tar.gz", test::tarball({{"a/x", "x"}}));
  auto tree = (dir / "tree").string();
  std::vector<source_entry> wrong = {{"a.tar.gz", server.endpoint() + "/org/src/resolve/main/a.tar.gz", std::string(64, '0')}};
  auto r = fetch_sources(wrong, tree, nullptr, cancel);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error() == errc::checksum_mismatch) << caf::to_string(r.error());
  EXPECT_NE(caf::to_string(r.error()).find("a.tar.gz"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "tree/src/a")) << "nothing unverified is unpacked";
  std::ofstream(dir / "f") << "content";
  std::vector<source_entry> local = {{"f", "file://" + (dir / "f").string(), std::string(64, '0')}};
  r = fetch_sources(local, tree, nullptr, cancel);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error() == errc::checksum_mismatch);
  EXPECT_FALSE(fs::exists(dir / "tree/sources/f"));
  std::vector<source_entry> missing = {{"m", server.endpoint() + "/org/src/resolve/main/missing", std::string(64, '0')}};
  EXPECT_FALSE(fetch_sources(missing, tree, nullptr, cancel));
  std::vector<source_entry> nofile = {{"m", "file://" + (dir / "nope").string(), std::string(64, '0')}};
  EXPECT_FALSE(fetch_sources(nofile, tree, nullptr, cancel));
}

TEST_F(Sources, HostileArchiveIsRefusedAfterVerification) {
  // A correctly pinned archive that climbs out: the pin proves origin, not safety.
  std::string tgz = test::tarball({{"../../escaped", "x"}});
  std::ofstream(dir / "evil.tar.gz", std::ios::binary) << tgz;
  std::vector<source_entry> plan = {{"evil.tar.gz", "file://" + (dir / "evil.tar.gz").string(), test::sha256_hex(tgz)}};
  auto r = fetch_sources(plan, (dir / "tree").string(), nullptr, cancel);
  ASSERT_FALSE(r);
  EXPECT_NE(caf::to_string(r.error()).find("contains '..'"), std::string::npos) << caf::to_string(r.error());
  EXPECT_FALSE(fs::exists(dir / "escaped"));
}

} // namespace
