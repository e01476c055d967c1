#include "config/settings.hpp"

#include <gtest/gtest.h>

#include <fstream>

using namespace rbee::config;

TEST(Settings, DefaultsAreLoopbackAndDocumentedPorts) {
  settings s;
  EXPECT_EQ(s.bind, "127.0.0.1");
  EXPECT_EQ(s.queen_port, 8500);
  EXPECT_EQ(s.hive_port, 7835);
  EXPECT_EQ(s.catalog_port, 8787);
  EXPECT_FALSE(finish(s).has_value());
  EXPECT_FALSE(s.data_dir.empty());
}

TEST(Settings, JsonSetsKeys) {
  settings s;
  auto err = apply_json(s, R"({"queen_port": 9000, "cors_origins": ["http://a"], "log_level": "debug"})", "t");
  ASSERT_FALSE(err) << err->to_string();
  EXPECT_EQ(s.queen_port, 9000);
  ASSERT_EQ(s.cors_origins.size(), 1u);
  EXPECT_EQ(s.log_level, "debug");
}

TEST(Settings, ErrorsNameTheKey) {
  settings s;
  auto e1 = apply_json(s, R"({"queen_port": 70000})", "t");
  ASSERT_TRUE(e1);
  EXPECT_EQ(e1->key, "queen_port");
  EXPECT_NE(e1->problem.find("between 0 and 65535"), std::string::npos);
  auto e2 = apply_json(s, R"({"queen_prot": 1})", "t");
  ASSERT_TRUE(e2);
  EXPECT_EQ(e2->key, "queen_prot");
  EXPECT_NE(e2->problem.find("unknown key"), std::string::npos);
  auto e3 = apply_json(s, R"({"bind": 5})", "t");
  ASSERT_TRUE(e3);
  EXPECT_EQ(e3->key, "bind");
  auto e4 = apply_json(s, R"({"http_threads": "two"})", "t");
  ASSERT_TRUE(e4);
  EXPECT_EQ(e4->key, "http_threads");
  auto e5 = apply_json(s, R"({"bind": "not-an-ip"})", "t");
  ASSERT_TRUE(e5);
  EXPECT_EQ(e5->key, "bind");
  auto e6 = apply_json(s, R"({"cors_origins": [1]})", "t");
  ASSERT_TRUE(e6);
  EXPECT_EQ(e6->key, "cors_origins");
  auto e7 = apply_json(s, R"({"max_body_bytes": 1.5})", "t");
  ASSERT_TRUE(e7);
  EXPECT_EQ(e7->key, "max_body_bytes");
}

TEST(Settings, MalformedJsonIsAnErrorNamingTheFile) {
  settings s;
  std::string deep = "{\"cors_origins\":" + std::string(300000, '[') + std::string(300000, ']') + "}";
  for (std::string bad : {"{", "[]", "nul", "{\"a\":}", "", "{\"queen_port\": 1} trailing", deep.c_str()}) {
    auto err = apply_json(s, bad, "/x/config.json");
    ASSERT_TRUE(err) << bad;
    EXPECT_EQ(err->key, "/x/config.json") << bad;
  }
}

TEST(Settings, EnvironmentOverridesAndIgnoresOtherVariables) {
  settings s;
  std::string a = "RBEE_QUEEN_PORT=9100", b = "RBEE_TEST_MODELS=/x", c = "PATH=/bin";
  char* env[] = {a.data(), b.data(), c.data(), nullptr};
  ASSERT_FALSE(apply_env(s, env));
  EXPECT_EQ(s.queen_port, 9100);
  std::string bad = "RBEE_QUEEN_PORT=abc";
  char* env2[] = {bad.data(), nullptr};
  auto err = apply_env(s, env2);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->key, "RBEE_QUEEN_PORT");
}

TEST(Settings, SetKeyParsesStrictly) {
  settings s;
  EXPECT_TRUE(set_key(s, "queen_port", "80x"));
  EXPECT_TRUE(set_key(s, "queen_port", ""));
  EXPECT_TRUE(set_key(s, "queen_port", "-1"));
  EXPECT_FALSE(set_key(s, "queen_port", "0"));
  EXPECT_FALSE(set_key(s, "allowed_hosts", "a.example,b.example"));
  EXPECT_EQ(s.allowed_hosts.size(), 2u);
  EXPECT_TRUE(set_key(s, "api_token", std::string("a\nb")));
  EXPECT_TRUE(set_key(s, "nope", "1"));
}

TEST(Settings, NonLoopbackBindNeedsAToken) {
  settings s;
  ASSERT_FALSE(set_key(s, "bind", "0.0.0.0"));
  auto err = finish(s);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->key, "api_token");
  s.api_token = "short";
  EXPECT_TRUE(finish(s));
  s.api_token = "0123456789abcdef0123";
  EXPECT_FALSE(finish(s));
}

TEST(Settings, LoopbackDetection) {
  EXPECT_TRUE(is_loopback("127.0.0.1"));
  EXPECT_TRUE(is_loopback("127.1.2.3"));
  EXPECT_TRUE(is_loopback("::1"));
  EXPECT_TRUE(is_loopback("localhost"));
  EXPECT_FALSE(is_loopback("0.0.0.0"));
  EXPECT_FALSE(is_loopback("10.0.0.1"));
  EXPECT_FALSE(is_loopback("::"));
}

TEST(Settings, LoadReadsTheFileAndRejectsAMissingExplicitOne) {
  std::string path = "/tmp/rbee-settings-test.json";
  {
    std::ofstream out(path);
    out << R"({"queen_port": 8600})";
  }
  settings s;
  char* env[] = {nullptr};
  ASSERT_FALSE(load(s, path, env));
  EXPECT_EQ(s.queen_port, 8600);
  settings t;
  auto err = load(t, "/nonexistent/rbee.json", env);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->key, "/nonexistent/rbee.json");
  auto dir = load(t, "/tmp", env);
  ASSERT_TRUE(dir);
}

TEST(Settings, ToJsonHidesTheTokens) {
  settings s;
  s.api_token = "supersecrettoken123";
  s.hf_token = "hf_secretvalue";
  auto j = to_json(s);
  EXPECT_EQ(j.find("supersecret"), std::string::npos);
  EXPECT_EQ(j.find("hf_secretvalue"), std::string::npos);
  EXPECT_NE(j.find("\"hf_token\": \"(set)\""), std::string::npos);
  EXPECT_NE(j.find("\"queen_port\": 8500"), std::string::npos);
}
