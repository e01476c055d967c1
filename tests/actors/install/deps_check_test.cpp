// Dependency checks against this machine's real dpkg database, PATH and
// pkg-config, and against a crafted status file.
#include "actors/install/deps_check.hpp"

#include <caf/error.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <sys/stat.h>
#include <unistd.h>

using namespace rbee;
namespace fs = std::filesystem;

namespace {

struct Deps : ::testing::Test {
  fs::path dir = fs::temp_directory_path() / ("rbee-deps-" + std::to_string(::getpid()));
  deps_options opts;
  void SetUp() override {
    fs::create_directories(dir / "bin");
    std::ofstream(dir / "status") << "Package: fakepkg-installed\nStatus: install ok installed\nVersion: 1\n\n"
                                     "Package: fakepkg-removed\nStatus: deinstall ok config-files\n\n";
    std::ofstream(dir / "bin" / "faketool") << "#!/bin/sh\n";
    ::chmod((dir / "bin" / "faketool").c_str(), 0755);
    std::ofstream(dir / "bin" / "notexec") << "x";
    opts.dpkg_status = (dir / "status").string();
    opts.path = (dir / "bin").string() + ":/nonexistent";
  }
  void TearDown() override { fs::remove_all(dir); }
};

TEST_F(Deps, PackagesToolsAndModules) {
  auto r = check_dependencies({"fakepkg-installed", "faketool", "fakepkg-removed", "notexec", "rbee-no-such-thing>=1.0"}, opts);
  ASSERT_TRUE(r) << caf::to_string(r.error());
  EXPECT_EQ(r->missing, (std::vector<std::string>{"fakepkg-removed", "notexec", "rbee-no-such-thing"}));
  EXPECT_EQ(r->apt_command, "apt-get install -y fakepkg-removed notexec rbee-no-such-thing");
  EXPECT_NE(r->message().find("missing dependencies: fakepkg-removed, notexec, rbee-no-such-thing"), std::string::npos);
}

TEST_F(Deps, ThisMachine) {
  // Real database and PATH: the build's own tools are here.
  auto r = check_dependencies({"bash", "cmake", "libcaf-dev", "openssl", "rbee-definitely-missing"});
  ASSERT_TRUE(r) << caf::to_string(r.error());
  EXPECT_EQ(r->missing, std::vector<std::string>{"rbee-definitely-missing"});
  auto none = check_dependencies({});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->missing.empty());
  EXPECT_EQ(none->apt_command, "");
}

// nvcc: on PATH, else where CUDA toolkits put it (/usr/local/cuda/bin, /opt/cuda/bin); when it
// is nowhere, the apt hint names Debian's package for it.
TEST_F(Deps, Nvcc) {
  std::ofstream(dir / "bin" / "nvcc") << "#!/bin/sh\n";
  ::chmod((dir / "bin" / "nvcc").c_str(), 0755);
  EXPECT_EQ(find_nvcc(opts.path), (dir / "bin" / "nvcc").string());
  auto found = check_dependencies({"nvcc"}, opts);
  ASSERT_TRUE(found);
  EXPECT_TRUE(found->missing.empty());
  fs::remove(dir / "bin" / "nvcc");
  auto r = check_dependencies({"nvcc"}, opts);
  ASSERT_TRUE(r);
  std::string off_path = find_nvcc(opts.path);
  if (off_path.empty()) {
    EXPECT_EQ(r->apt_command, "apt-get install -y nvidia-cuda-toolkit");
  } else {  // this machine has a toolkit off PATH: found there
    EXPECT_TRUE(off_path == "/usr/local/cuda/bin/nvcc" || off_path == "/opt/cuda/bin/nvcc") << off_path;
    EXPECT_TRUE(r->missing.empty());
  }
}

TEST_F(Deps, DuplicatesAreListedOnce) {
  auto r = check_dependencies({"rbee-x", "rbee-x>2", "rbee-x"}, opts);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->missing, std::vector<std::string>{"rbee-x"});
}

TEST_F(Deps, HostileNames) {
  for (const std::string& bad : std::vector<std::string>{"", "-rf", "../../bin/sh", "a b", "$(id)", "a;b", "x/y", ".hidden",
                                                          std::string(200, 'a')}) {
    auto r = check_dependencies({bad}, opts);
    EXPECT_FALSE(r) << "accepted '" << bad << "'";
  }
  fs::remove(dir / "status");
  auto r = check_dependencies({"faketool"}, opts);
  ASSERT_TRUE(r) << "a missing dpkg database is no error";
  EXPECT_TRUE(r->missing.empty());
}

} // namespace
