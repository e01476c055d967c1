// Signed catalogs alone: keys, the index, and every way a signature or a file can be wrong.
#include "actors/install/catalog_sign.hpp"
#include "messages/errc.hpp"

#include <caf/error.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <sys/stat.h>
#include <unistd.h>

using namespace rbee;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct CatalogSign : ::testing::Test {
  fs::path dir = fs::temp_directory_path() / ("rbee-sign-" + std::to_string(::getpid()));
  void SetUp() override {
    fs::remove_all(dir);
    fs::create_directories(dir / "cat/workers/w");
    fs::create_directories(dir / "cat/sources");
    std::ofstream(dir / "cat/workers/w/PKGBUILD") << "pkgname=w\n";
    std::ofstream(dir / "cat/workers/w/meta.json") << "{}";
    std::ofstream(dir / "cat/sources/w-1.tar.gz") << "tarball";
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string key(const std::string& name = "key.pem") {
    auto pub = catalog_keygen((dir / name).string());
    EXPECT_TRUE(pub) << caf::to_string(pub.error());
    return pub ? *pub : "";
  }
};

} // namespace

TEST_F(CatalogSign, KeysAreEd25519PrivateAndNeverReplaced) {
  auto pub = key();
  EXPECT_EQ(pub.size(), 44u); // base64 of 32 bytes
  struct stat st {};
  ASSERT_EQ(::stat((dir / "key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(*catalog_public_key((dir / "key.pem").string()), pub);
  EXPECT_FALSE(catalog_keygen((dir / "key.pem").string())); // an existing key stays
  EXPECT_EQ(*catalog_public_key((dir / "key.pem").string()), pub);
  std::ofstream(dir / "junk.pem") << "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n";
  EXPECT_FALSE(catalog_public_key((dir / "junk.pem").string()));
  EXPECT_FALSE(catalog_public_key((dir / "missing.pem").string()));
}

TEST_F(CatalogSign, SignedIndexVerifiesAndListsEveryFile) {
  auto pub = key();
  auto n = sign_catalog((dir / "cat").string(), (dir / "key.pem").string());
  ASSERT_TRUE(n) << caf::to_string(n.error());
  EXPECT_EQ(*n, 3u);
  auto index = slurp(dir / "cat/index.json"), sig = slurp(dir / "cat/index.json.sig");
  auto v = verify_catalog_index(index, sig, pub);
  ASSERT_TRUE(v) << caf::to_string(v.error());
  EXPECT_EQ(v->size(), 3u);
  EXPECT_TRUE(check_in_index(*v, "workers/w/PKGBUILD", "pkgname=w\n"));
  EXPECT_TRUE(check_in_index(*v, "sources/w-1.tar.gz", "tarball"));
  auto altered = check_in_index(*v, "workers/w/PKGBUILD", "pkgname=w\nevil\n");
  ASSERT_FALSE(altered);
  EXPECT_TRUE(altered.error() == errc::checksum_mismatch);
  EXPECT_FALSE(check_in_index(*v, "workers/other/PKGBUILD", "x"));
}

TEST_F(CatalogSign, EveryWrongSignatureIsRefused) {
  auto pub = key();
  auto other = key("other.pem");
  ASSERT_TRUE(sign_catalog((dir / "cat").string(), (dir / "key.pem").string()));
  auto index = slurp(dir / "cat/index.json"), sig = slurp(dir / "cat/index.json.sig");
  auto flipped = index;
  flipped[flipped.size() / 2] ^= 1;
  auto bad_sig = sig;
  bad_sig[5] = bad_sig[5] == 'A' ? 'B' : 'A';
  for (auto [i, s, k] : {std::tuple{index, sig, other}, {flipped, sig, pub}, {index, bad_sig, pub}, {index, std::string(""), pub},
                         {index, std::string("not base64!"), pub}, {index, sig, std::string("")},
                         {index, sig, std::string("AAAA")}, {index, sig.substr(0, 40), pub}}) {
    auto v = verify_catalog_index(i, s, k);
    ASSERT_FALSE(v) << s << " / " << k;
    EXPECT_TRUE(v.error() == errc::checksum_mismatch);
  }
}
