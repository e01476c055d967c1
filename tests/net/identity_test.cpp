// The per-user identity secret: made private, read back, refused when anyone else
// could read or have planted it.
#include "net/identity.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace rbee::net;

TEST(Identity, MadePrivateReadBackAndRefusedWhenExposed) {
  auto dir = fs::temp_directory_path() / ("rbee-identity-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  ::chmod(dir.c_str(), 0700);
  std::string old = std::getenv("XDG_RUNTIME_DIR") ? std::getenv("XDG_RUNTIME_DIR") : "";
  ::setenv("XDG_RUNTIME_DIR", dir.c_str(), 1);
  EXPECT_EQ(identity_path(), (dir / "rbee/identity").string());
  auto first = load_identity();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->size(), 64u);
  struct stat st {};
  ASSERT_EQ(::stat(identity_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(load_identity(), first);
  ::chmod(identity_path().c_str(), 0644); // readable by others: no longer a secret
  std::string why;
  EXPECT_FALSE(load_identity(&why));
  EXPECT_NE(why.find("mode 0600"), std::string::npos) << why;
  fs::remove(identity_path());
  fs::create_symlink("/etc/hostname", identity_path()); // a planted link
  EXPECT_FALSE(load_identity(&why));
  fs::remove(identity_path());
  EXPECT_TRUE(load_identity());
  EXPECT_NE(load_identity(), first); // a new secret
  ::chmod((dir / "rbee").c_str(), 0777); // a directory others can write to: they could swap the file
  EXPECT_FALSE(load_identity(&why));
  EXPECT_NE(why.find("no one else can write"), std::string::npos) << why;
  ::chmod((dir / "rbee").c_str(), 0755); // shared with the logs: fine
  EXPECT_TRUE(load_identity());
  // A fresh account: neither the state directory nor its parents exist yet.
  ::unsetenv("XDG_RUNTIME_DIR");
  ::setenv("XDG_STATE_HOME", (dir / "fresh/.local/state").c_str(), 1);
  EXPECT_TRUE(load_identity(&why)) << why;
  EXPECT_EQ(identity_proof("s", std::string(32, 'a')), identity_proof("s", std::string(32, 'a')));
  EXPECT_NE(identity_proof("s", std::string(32, 'a')), identity_proof("t", std::string(32, 'a')));
  EXPECT_TRUE(valid_nonce(std::string(32, 'f')));
  EXPECT_FALSE(valid_nonce(std::string(31, 'f')));
  EXPECT_FALSE(valid_nonce(std::string(32, 'g')));
  EXPECT_FALSE(valid_nonce(std::string(200, 'a')));
  ::unsetenv("XDG_STATE_HOME");
  if (old.empty()) ::unsetenv("XDG_RUNTIME_DIR"); else ::setenv("XDG_RUNTIME_DIR", old.c_str(), 1);
  fs::remove_all(dir);
}
