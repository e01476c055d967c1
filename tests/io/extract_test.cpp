// Source archives: real tar/zip files written with libarchive, unpacked by
// extract_archive — and hostile ones that must be refused without writing
// outside the tree.
#include "io/extract.hpp"
#include "messages/errc_code.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

// Entries are written as brief aggregates; omitted fields are empty on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

using namespace rbee;
namespace fs = std::filesystem;

namespace {

struct entry {
  std::string path;
  mode_t type = AE_IFREG;
  std::string data;
  std::string link; ///< symlink target
  std::string hardlink;
  int perm = 0644;
};

void write_archive(const std::string& file, const std::vector<entry>& entries, bool zip = false) {
  archive* a = archive_write_new();
  if (zip) {
    archive_write_set_format_zip(a);
  } else {
    archive_write_add_filter_gzip(a);
    archive_write_set_format_pax_restricted(a);
  }
  ASSERT_EQ(archive_write_open_filename(a, file.c_str()), ARCHIVE_OK);
  for (const auto& x : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, x.path.c_str());
    archive_entry_set_filetype(e, x.type);
    archive_entry_set_perm(e, x.perm);
    if (!x.link.empty()) archive_entry_set_symlink(e, x.link.c_str());
    if (!x.hardlink.empty()) archive_entry_set_hardlink(e, x.hardlink.c_str());
    if (x.type == AE_IFCHR) archive_entry_set_rdev(e, makedev(1, 3));
    archive_entry_set_size(e, x.type == AE_IFREG && x.hardlink.empty() ? x.data.size() : 0);
    archive_write_header(a, e);
    if (!x.data.empty()) archive_write_data(a, x.data.data(), x.data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Extract : ::testing::Test {
  fs::path dir;
  fs::path tree;
  void SetUp() override {
    dir = fs::temp_directory_path() / ("rbee-extract-" + std::to_string(::getpid()) + "-" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    tree = dir / "tree" / "src";
    fs::create_directories(tree);
  }
  void TearDown() override { fs::remove_all(dir); }

  /// Expects refusal with `needle` in the message, and nothing written beside the tree.
  void refused(const std::vector<entry>& entries, const std::string& needle, errc code = errc::bad_request) {
    auto file = (dir / "a.tar.gz").string();
    write_archive(file, entries);
    auto r = extract_archive(file, tree.string());
    ASSERT_FALSE(r) << "extracted a hostile archive";
    EXPECT_TRUE(r.error().code == code) << r.error().message;
    EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
    for (auto& p : fs::directory_iterator(dir / "tree")) EXPECT_EQ(p.path(), tree) << "written outside: " << p.path();
    EXPECT_FALSE(fs::exists(dir / "evil"));
  }
};

TEST_F(Extract, UnpacksFilesDirsAndLinksInsideTheTree) {
  auto file = (dir / "src.tar.gz").string();
  write_archive(file, {{"pkg-1.0/", AE_IFDIR, "", "", "", 0755},
                       {"pkg-1.0/main.c", AE_IFREG, "int main(){return 0;}\n"},
                       {"pkg-1.0/run.sh", AE_IFREG, "#!/bin/sh\n", "", "", 06755},
                       {"pkg-1.0/sub/", AE_IFDIR},
                       {"pkg-1.0/sub/up", AE_IFLNK, "", "../main.c"},
                       {"pkg-1.0/same.c", AE_IFREG, "", "", "pkg-1.0/main.c"}});
  auto r = extract_archive(file, tree.string());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->files, 2u);
  EXPECT_EQ(r->dirs, 2u);
  EXPECT_EQ(r->links, 2u);
  EXPECT_EQ(slurp(tree / "pkg-1.0/main.c"), "int main(){return 0;}\n");
  EXPECT_EQ(slurp(tree / "pkg-1.0/sub/up"), "int main(){return 0;}\n");
  EXPECT_EQ(slurp(tree / "pkg-1.0/same.c"), "int main(){return 0;}\n");
  struct stat st {};
  ASSERT_EQ(::stat((tree / "pkg-1.0/run.sh").c_str(), &st), 0);
  EXPECT_TRUE(st.st_mode & S_IXUSR);
  EXPECT_FALSE(st.st_mode & (S_ISUID | S_ISGID)) << "setuid/setgid bits must not survive";
}

TEST_F(Extract, WorksWhenTheTreeIsReachedThroughASymlink) {
  // Home directories are often symlinks: only links inside the archive count.
  fs::create_symlink(tree, dir / "via");
  auto file = (dir / "src.tar.gz").string();
  write_archive(file, {{"d/f", AE_IFREG, "ok"}, {"d/f", AE_IFREG, "replaced"}});
  auto r = extract_archive((dir / "via").string(), (dir / "via").string());
  ASSERT_FALSE(r) << "a directory is not an archive";
  r = extract_archive(file, (dir / "via").string());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(slurp(tree / "d/f"), "replaced");
}

TEST_F(Extract, UnpacksZip) {
  auto file = (dir / "src.zip").string();
  write_archive(file, {{"z/", AE_IFDIR, "", "", "", 0755}, {"z/a.txt", AE_IFREG, "zipped"}}, true);
  auto r = extract_archive(file, tree.string());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(slurp(tree / "z/a.txt"), "zipped");
}

TEST_F(Extract, RefusesAbsolutePaths) { refused({{"/tmp/rbee-evil-abs", AE_IFREG, "x"}}, "absolute path"); }
TEST_F(Extract, RefusesDotDot) { refused({{"../evil", AE_IFREG, "x"}}, "contains '..'"); }
TEST_F(Extract, RefusesDotDotDeeper) { refused({{"a/", AE_IFDIR}, {"a/../../../evil", AE_IFREG, "x"}}, "'..'"); }
TEST_F(Extract, RefusesAbsoluteSymlink) { refused({{"etc", AE_IFLNK, "", "/etc"}}, "leaves the tree"); }
TEST_F(Extract, RefusesClimbingSymlink) { refused({{"a/", AE_IFDIR}, {"a/up", AE_IFLNK, "", "../../.."}}, "leaves the tree"); }
TEST_F(Extract, RefusesHardLinkOut) { refused({{"pw", AE_IFREG, "", "", "/etc/passwd"}}, "hard link"); }
TEST_F(Extract, RefusesHardLinkUp) { refused({{"pw", AE_IFREG, "", "", "../../evil"}}, "hard link"); }
TEST_F(Extract, RefusesDeviceNodes) { refused({{"null", AE_IFCHR}}, "device"); }
TEST_F(Extract, RefusesFifos) { refused({{"pipe", AE_IFIFO}}, "FIFO"); }

TEST_F(Extract, RefusesWritingThroughAChainOfSymlinks) {
  // Each link alone stays inside, but x/l/l2 resolves through x/l (= the
  // tree's root) to its parent: libarchive refuses to follow the symlink.
  refused({{"x/", AE_IFDIR}, {"x/l", AE_IFLNK, "", ".."}, {"x/l/l2", AE_IFLNK, "", ".."}, {"x/l/l2/evil", AE_IFREG, "x"}},
          "cannot extract");
}

TEST_F(Extract, CapsExpansionAndEntries) {
  auto file = (dir / "bomb.tar.gz").string();
  write_archive(file, {{"zeros", AE_IFREG, std::string(4 << 20, '\0')}});
  EXPECT_LT(fs::file_size(file), 64u << 10) << "the bomb should compress well";
  extract_limits small;
  small.max_total_bytes = 1 << 20;
  auto r = extract_archive(file, tree.string(), small);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().code == errc::payload_too_large);
  std::vector<entry> many;
  for (int i = 0; i < 20; ++i) many.push_back({std::string("f").append(std::to_string(i)), AE_IFREG, "x"});
  write_archive(file, many);
  small.max_entries = 10;
  r = extract_archive(file, (dir / "tree").string(), small);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("more than 10 entries"), std::string::npos);
}

TEST_F(Extract, RefusesGarbageAndTruncation) {
  auto junk = dir / "junk.tar.gz";
  std::ofstream(junk) << "this is not an archive at all, just text\n";
  auto r = extract_archive(junk.string(), tree.string());
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().code == errc::bad_request);
  auto file = (dir / "t.tar.gz").string();
  std::string big;
  for (int i = 0; i < 200000; ++i) big += std::to_string(i * 7919);
  write_archive(file, {{"big", AE_IFREG, big}});
  fs::resize_file(file, fs::file_size(file) / 2);
  r = extract_archive(file, tree.string());
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().code == errc::bad_request) << r.error().message;
  r = extract_archive((dir / "missing.tar").string(), tree.string());
  ASSERT_FALSE(r);
}

TEST(ExtractNames, KnowsArchiveExtensions) {
  EXPECT_TRUE(is_archive_name("rbee-0.1.0.tar.gz"));
  EXPECT_TRUE(is_archive_name("a.tar.zst"));
  EXPECT_TRUE(is_archive_name("a.zip"));
  EXPECT_FALSE(is_archive_name("rbee.conf"));
  EXPECT_FALSE(is_archive_name(".tar.gz"));
}

} // namespace
