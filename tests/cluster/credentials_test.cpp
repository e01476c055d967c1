// The cluster's PKI, join tokens and credential files, with hostile inputs.
#include "cluster/hive_files.hpp"
#include "cluster/join_token.hpp"
#include "cluster/pki.hpp"
#include "cluster/queen_pki.hpp"
#include "io/base64.hpp"
#include "tests/support/process.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <chrono>
#include <fstream>

using namespace rbee;
using namespace rbee::cluster;

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

unsigned mode_of(const std::string& path) {
  struct stat st{};
  ::stat(path.c_str(), &st);
  return st.st_mode & 0777;
}

struct Pki : ::testing::Test {
  void SetUp() override {
    qf = queen_paths(test::temp_dir());
    auto made = init_queen(qf);
    ASSERT_TRUE(made && *made);
  }
  queen_files qf;
};

} // namespace

TEST_F(Pki, InitMakesTwoCasAndTheQueensCertificateWithPrivateKeys) {
  EXPECT_TRUE(queen_ready(qf));
  for (auto* p : {&qf.queen_ca_key, &qf.hive_ca_key, &qf.key}) EXPECT_EQ(mode_of(*p), 0600u) << *p;
  EXPECT_EQ(mode_of(qf.dir), 0700u);
  EXPECT_TRUE(verify_cert(read(qf.cert), read(qf.queen_ca)));
  EXPECT_FALSE(verify_cert(read(qf.cert), read(qf.hive_ca))) << "the queen's certificate is not the hive CA's";
  EXPECT_TRUE(key_matches(read(qf.key), read(qf.cert)));
  auto again = init_queen(qf);
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again) << "an existing PKI is never replaced";
}

TEST_F(Pki, AHiveCertificateCanNeverPoseAsTheQueen) {
  auto t = add_hive(qf, "alpha", "10.0.0.5:7834", "", 60'000, now_ms());
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_TRUE(verify_cert(t->cert, read(qf.hive_ca)));
  EXPECT_FALSE(verify_cert(t->cert, read(qf.queen_ca))) << "hives trust only the queen CA";
  EXPECT_EQ(*cert_name(t->cert), "alpha");
  EXPECT_TRUE(key_matches(t->key, t->cert));
}

TEST_F(Pki, SigningUsesTheIssuedNameNotTheRequestedOne) {
  auto key = new_private_key();
  auto csr = make_csr(*key, "queen");
  auto t = add_hive(qf, "alpha", "h:1", *csr, 60'000, now_ms());
  ASSERT_TRUE(t);
  EXPECT_EQ(*cert_name(t->cert), "alpha");
  EXPECT_TRUE(t->key.empty()) << "the key stayed where the request was made";
  EXPECT_TRUE(key_matches(*key, t->cert));
}

TEST_F(Pki, BadCertificateRequestsAreRefused) {
  auto ca = read(qf.hive_ca), cakey = read(qf.hive_ca_key);
  auto csr = *make_csr(*new_private_key(), "x");
  std::string tampered = csr;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  std::vector<std::string> bads = {std::string(), "garbage", std::string(20000, 'A'), tampered,
                                   "-----BEGIN CERTIFICATE REQUEST-----\n\xff\xfe\n-----END CERTIFICATE REQUEST-----\n",
                                   read(qf.cert) /* a certificate, not a request */};
  for (const auto& bad : bads) {
    auto r = sign_csr(bad, ca, cakey, "x", 10);
    EXPECT_FALSE(r) << bad.substr(0, 40);
    if (!r) {
      EXPECT_EQ(r.error().code, errc::invalid_value);
    }
  }
  EXPECT_FALSE(sign_csr(csr, ca, "not a key", "x", 10));
  EXPECT_FALSE(sign_csr(csr, ca, cakey, std::string(65, 'x'), 10));
}

TEST_F(Pki, TokensRoundTripAndHostileOnesAreRefused) {
  auto t = add_hive(qf, "alpha", "[::1]:7834", "", 60'000, now_ms());
  ASSERT_TRUE(t);
  auto text = encode(*t);
  auto back = decode(text + "\n");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->hive_id, "alpha");
  EXPECT_EQ(back->queen, "[::1]:7834");
  EXPECT_EQ(back->secret, t->secret);
  auto wrap = [](const std::string& json) { return std::string(token_prefix) + base64url(json); };
  auto other = queen_paths(test::temp_dir());
  ASSERT_TRUE(init_queen(other));
  auto swapped = *t; // another cluster's CA under this one's pin
  swapped.queen_ca = read(other.queen_ca);
  std::vector<std::string> bad = {
    "", "rbee-join-", text.substr(10), "rbee-join-!!!!", text.substr(0, text.size() / 2),
    std::string(token_prefix) + std::string(40000, 'A'), wrap("[]"), wrap("{\"v\":1}"), wrap("{\"v\":2}"),
    wrap(std::string(100, '[') + std::string(100, ']')), wrap("{\"v\":1,\"queen\":\"\xff\xfe\"}"), encode(swapped)};
  auto field = [&](auto change) {
    auto c = *t;
    change(c);
    return encode(c);
  };
  bad.push_back(field([](join_token& c) { c.queen = "no-port"; }));
  bad.push_back(field([](join_token& c) { c.queen = "h:99999"; }));
  bad.push_back(field([](join_token& c) { c.queen = "h;rm -rf /:1"; }));
  bad.push_back(field([](join_token& c) { c.hive_id = "../etc"; }));
  bad.push_back(field([](join_token& c) { c.secret = "short"; }));
  bad.push_back(field([](join_token& c) { c.ca_pin = std::string(64, '0'); }));
  bad.push_back(field([](join_token& c) { c.cert = "x"; }));
  bad.push_back(field([&](join_token& c) { c.key = *new_private_key(); })); // not the certificate's key
  for (auto& b : bad) {
    auto r = decode(b);
    EXPECT_FALSE(r) << b.substr(0, 60);
    if (!r) {
      EXPECT_NE(r.error().message.find("not a valid join token"), std::string::npos);
    }
  }
}

TEST_F(Pki, JoinChecksTheSecretTheHiveAndTheExpiryOfTheFirstJoin) {
  auto t = add_hive(qf, "alpha", "h:1", "", 1000, 5000);
  ASSERT_TRUE(t);
  EXPECT_EQ(mode_of(qf.hives), 0600u);
  EXPECT_EQ(read(qf.hives).find(t->secret), std::string::npos) << "only the secret's hash is kept";
  EXPECT_EQ(check_join(qf, "alpha", t->secret + "x", 5500).error().code, errc::unauthorized);
  EXPECT_EQ(check_join(qf, "beta", t->secret, 5500).error().code, errc::unauthorized);
  EXPECT_FALSE(check_join(qf, "alpha", t->secret, 7000)) << "expired before the first join";
  auto again = add_hive(qf, "alpha", "h:1", "", 1000, 10'000); // a new token replaces the old secret
  EXPECT_FALSE(check_join(qf, "alpha", t->secret, 10'500));
  EXPECT_TRUE(check_join(qf, "alpha", again->secret, 10'500));
  EXPECT_TRUE(check_join(qf, "alpha", again->secret, 99'000)) << "after the first join the expiry no longer applies";
  auto list = list_hives(qf);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].joined_ms, 10'500);
  EXPECT_TRUE(remove_hive(qf, "alpha"));
  EXPECT_FALSE(check_join(qf, "alpha", again->secret, 99'000));
  EXPECT_EQ(remove_hive(qf, "alpha").error().code, errc::hive_not_found);
}

TEST_F(Pki, ADamagedRegistryIsAnErrorNotACrash) {
  auto t = add_hive(qf, "alpha", "h:1", "", 1000, 0);
  for (std::string junk : {std::string("{"), std::string("[]"), std::string("{\"hives\":[1]}"),
                           std::string("{\"hives\":[{\"hive_id\":7}]}"), std::string(100000, '[')}) {
    std::ofstream(qf.hives) << junk;
    EXPECT_FALSE(check_join(qf, "alpha", t->secret, 1)) << junk.substr(0, 20);
    EXPECT_FALSE(add_hive(qf, "beta", "h:1", "", 1000, 0)) << "a damaged registry is not overwritten";
  }
}

TEST_F(Pki, AHiveStoresItsTokenAndMakesItsKeyForARequest) {
  auto hf = hive_paths(test::temp_dir());
  EXPECT_EQ(load_join(hf).error().code, errc::not_found);
  auto csr = hive_csr(hf, "alpha");
  ASSERT_TRUE(csr) << csr.error().message;
  EXPECT_EQ(mode_of(hf.key), 0600u);
  auto t = add_hive(qf, "alpha", "h:1", *csr, 60'000, now_ms());
  ASSERT_TRUE(t);
  ASSERT_TRUE(accept_token(hf, *t));
  auto j = load_join(hf);
  ASSERT_TRUE(j) << j.error().message;
  EXPECT_EQ(j->hive_id, "alpha");
  EXPECT_EQ(j->secret, t->secret);
  EXPECT_EQ(mode_of(hf.join), 0600u);
  // A token made for another key (another machine's request) does not fit this hive.
  auto foreign = add_hive(qf, "alpha", "h:1", *make_csr(*new_private_key(), "alpha"), 60'000, now_ms());
  EXPECT_FALSE(accept_token(hf, *foreign));
  // With no key here and none in the token, nothing to pair the certificate with.
  auto bare = hive_paths(test::temp_dir());
  EXPECT_EQ(accept_token(bare, *foreign).error().code, errc::not_found);
}
