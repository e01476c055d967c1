// The installer's pure steps: platform check, the recipe's shell as bash runs
// it (really run), narration lines, stale build trees.
#include "actors/install/steps.hpp"
#include "actors/install/installer.hpp"
#include "io/sandbox.hpp"

#include <caf/error.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

using namespace rbee;
namespace fs = std::filesystem;

namespace {

catalog_entry entry(std::vector<std::string> os, std::vector<std::string> arch, std::string backend) {
  catalog_entry e;
  e.id.assign(1, 'w');
  e.platforms = std::move(os);
  e.architectures = std::move(arch);
  e.backend = std::move(backend);
  return e;
}

TEST(InstallSteps, PlatformCheckSaysWhatIsMissing) {
  host_platform linux_x86{"linux", "x86_64", false, false};
  EXPECT_FALSE(check_platform(entry({"linux"}, {"x86_64", "aarch64"}, "cpu"), linux_x86));
  auto mac = check_platform(entry({"macos"}, {"aarch64"}, "metal"), linux_x86);
  ASSERT_TRUE(mac);
  EXPECT_NE(caf::to_string(mac).find("runs on macos (aarch64); this hive is linux x86_64"), std::string::npos) << caf::to_string(mac);
  EXPECT_TRUE(check_platform(entry({"linux"}, {"aarch64"}, "cpu"), linux_x86));
  auto cuda = entry({"linux"}, {"x86_64"}, "cuda");
  EXPECT_NE(caf::to_string(check_platform(cuda, linux_x86)).find("CUDA toolkit"), std::string::npos);
  host_platform toolkit_only{"linux", "x86_64", true, false};
  EXPECT_NE(caf::to_string(check_platform(cuda, toolkit_only)).find("NVIDIA GPU"), std::string::npos);
  host_platform full{"linux", "x86_64", true, true};
  EXPECT_FALSE(check_platform(cuda, full));
  host_platform build_host{"linux", "x86_64", true, false, true}; // --without-gpu: the toolkit is still needed
  EXPECT_FALSE(check_platform(cuda, build_host));
  host_platform nothing{"linux", "x86_64", false, false, true};
  EXPECT_NE(caf::to_string(check_platform(cuda, nothing)).find("CUDA toolkit"), std::string::npos);
  auto here = this_platform(false);
  EXPECT_FALSE(here.os.empty());
  EXPECT_FALSE(here.arch.empty());
}

TEST(InstallSteps, RecipeScriptKeepsValuesExactlyAndProtectsTheEnvironment) {
  auto p = parse_pkgbuild("pkgname=w\npkgver=1\npkgrel=1\n"
                          "quote=\"it's \\\"quoted\\\" \\$HOME and \\`x\\`\"\n"
                          "list=('a b' \"c'd\")\n"
                          "srcdir=/etc\nPATH=/evil\n"
                          "build() {\n  echo \"$quote\"; printf '%s|' \"${list[@]}\"; echo; echo \"$srcdir\"; command -v bash\n}\n");
  ASSERT_TRUE(p) << caf::to_string(p.error());
  auto dir = fs::temp_directory_path() / std::string("rbee-steps-").append(std::to_string(::getpid()));
  fs::create_directories(dir / "src");
  sandbox_options o;
  o.tree = dir.string();
  o.sandbox = false;
  o.env = {{"srcdir", (dir / "src").string()}};
  std::vector<std::string> lines;
  std::atomic<bool> cancel{false};
  auto r = run_script(recipe_script(*p, "build"), o, [&](std::string_view l, bool) { lines.emplace_back(l); }, cancel);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_code, 0);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "it's \"quoted\" $HOME and `x`");
  EXPECT_EQ(lines[1], "a b|c'd|");
  EXPECT_EQ(lines[2], (dir / "src").string()) << "the recipe cannot move srcdir";
  EXPECT_NE(lines[3].find("/bash"), std::string::npos) << "nor PATH";
  fs::remove_all(dir);
}

TEST(InstallSteps, NarrationLines) {
  auto n = parse_narration_line("[cmake] configure : found CAF 0.17.6");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->actor, "cmake");
  EXPECT_EQ(n->action, "configure");
  EXPECT_EQ(n->message, "found CAF 0.17.6");
  for (auto bad : {"", "[x]", "plain compiler output", "[ 45%] Building CXX object x.o", "[a b] c : d", "[a] b c d",
                   "[toolongtoolongtoolongtoolongtoolong1] a : b", "[a] : empty action"})
    EXPECT_FALSE(parse_narration_line(bad)) << bad;
}

TEST(InstallSteps, StaleTreesGoLockedOnesStay) {
  auto cache = fs::temp_directory_path() / std::string("rbee-stale-").append(std::to_string(::getpid()));
  fs::create_directories(cache / "build/dead-1");
  fs::create_directories(cache / "build/never-locked-2");
  fs::create_directories(cache / "build/live-3");
  std::ofstream(cache / "build/dead-1/.lock");
  int fd = ::open((cache / "build/live-3/.lock").c_str(), O_CREAT | O_RDWR, 0600);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  // flock locks belong to the open file description: a second open in this process conflicts too.
  EXPECT_EQ(remove_stale_build_trees(cache.string()), 2u);
  EXPECT_TRUE(fs::exists(cache / "build/live-3"));
  EXPECT_FALSE(fs::exists(cache / "build/dead-1"));
  ::close(fd);
  EXPECT_EQ(remove_stale_build_trees(cache.string()), 1u);
  EXPECT_EQ(remove_stale_build_trees((cache / "missing").string()), 0u);
  fs::remove_all(cache);
}

} // namespace
