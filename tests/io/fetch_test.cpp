// Resumable, verified, atomic downloads against a real loopback server that
// speaks the Hugging Face endpoints, with faults injected.
#include "io/fetch.hpp"
#include "tests/support/hf_server.hpp"
#include "tests/support/process.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

using namespace rbee;
namespace fs = std::filesystem;

namespace {

std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Fetch : ::testing::Test {
  Fetch() : dir(test::temp_dir()), content(random_bytes(20000, 3)) {
    srv.add_file("org/repo", "model.gguf", content);
    sha = sha256_of(content);
  }
  std::string sha256_of(const std::string& s) {
    std::string p = dir + "/.tmp-hash";
    std::ofstream(p, std::ios::binary) << s;
    auto h = sha256_file(p);
    fs::remove(p);
    return h;
  }
  fetch_request req() {
    fetch_request r;
    r.url = srv.endpoint() + "/org/repo/resolve/main/model.gguf";
    r.dir = dir;
    r.file = "model.gguf";
    r.expected_size = content.size();
    r.expected_sha256 = sha;
    r.retry_base_ms = 10;
    return r;
  }
  outcome<std::string> get(const fetch_request& r) {
    std::atomic<bool> cancel{false};
    return fetch_file(r, [](const fetch_progress&) {}, cancel);
  }
  test::hf_server srv;
  std::string dir, content, sha;
};

} // namespace

TEST_F(Fetch, DownloadsFollowingTheRedirect) {
  uint64_t last = 0;
  std::atomic<bool> cancel{false};
  auto r = fetch_file(req(), [&](const fetch_progress& p) { last = p.done; }, cancel);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, dir + "/model.gguf");
  EXPECT_EQ(slurp(*r), content);
  EXPECT_FALSE(fs::exists(dir + "/model.gguf.incomplete"));
  EXPECT_EQ(last, content.size());
}

TEST_F(Fetch, ResumesAfterAnInterruptionAtAnyByte) {
  for (int64_t cut : {int64_t{0}, int64_t{1}, int64_t{4095}, int64_t{4096}, static_cast<int64_t>(content.size()) - 1}) {
    fs::remove(dir + "/model.gguf");
    srv.faults("org/repo", "model.gguf", {cut, -1, false});
    int before = srv.requests();
    auto r = get(req());
    ASSERT_TRUE(r) << "cut at " << cut << ": " << r.error().message;
    EXPECT_EQ(slurp(*r), content) << "cut at " << cut;
    EXPECT_GE(srv.requests() - before, 4) << "cut at " << cut; // redirect + cut, redirect + resume
  }
}

TEST_F(Fetch, ResumesAPartialFromAKilledProcess) {
  std::ofstream(dir + "/model.gguf.incomplete", std::ios::binary) << content.substr(0, 12345);
  auto r = get(req());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(slurp(*r), content);
}

TEST_F(Fetch, AServerIgnoringRangeRestartsFromZero) {
  std::ofstream(dir + "/model.gguf.incomplete", std::ios::binary) << content.substr(0, 5000);
  srv.faults("org/repo", "model.gguf", {-1, -1, true});
  auto r = get(req());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(slurp(*r), content);
}

TEST_F(Fetch, AFlippedByteFailsWithBothHashesAndLeavesNothing) {
  srv.faults("org/repo", "model.gguf", {-1, 777, false});
  auto r = get(req());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::checksum_mismatch);
  EXPECT_NE(r.error().message.find(sha), std::string::npos);
  EXPECT_NE(r.error().message.find("got "), std::string::npos);
  EXPECT_FALSE(fs::exists(dir + "/model.gguf"));
  EXPECT_FALSE(fs::exists(dir + "/model.gguf.incomplete"));
}

TEST_F(Fetch, HttpErrorsNameTheCause) {
  auto missing = req();
  missing.url = srv.endpoint() + "/org/repo/resolve/main/nope.gguf";
  auto r = get(missing);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::model_not_found);
  srv.add_file("org/gated", "model.gguf", content);
  srv.gate("org/gated", "secret");
  auto gated = req();
  gated.url = srv.endpoint() + "/org/gated/resolve/main/model.gguf";
  auto g = get(gated);
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().code, errc::forbidden);
  EXPECT_NE(g.error().message.find("gated"), std::string::npos);
  gated.headers = {"Authorization: Bearer wrong"};
  EXPECT_EQ(get(gated).error().code, errc::forbidden);
  gated.headers = {"Authorization: Bearer secret"};
  EXPECT_TRUE(get(gated));
}

TEST_F(Fetch, SizesAreChecked) {
  auto absurd = req();
  absurd.expected_size = uint64_t{1} << 50;
  EXPECT_EQ(get(absurd).error().code, errc::invalid_value);
  auto huge = req();
  struct statvfs vfs {};
  ASSERT_EQ(statvfs(dir.c_str(), &vfs), 0);
  huge.expected_size = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize + (uint64_t{1} << 30); // 1 GiB too much
  if (huge.expected_size >= (uint64_t{1} << 40)) GTEST_SKIP() << "this disk has too much free space for the test";
  EXPECT_EQ(get(huge).error().code, errc::disk_full);
  auto small = req();
  small.expected_size = 1000; // the server sends more than announced
  small.expected_sha256.clear();
  auto r = get(small);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::invalid_value);
  EXPECT_FALSE(fs::exists(dir + "/model.gguf"));
}

TEST_F(Fetch, CancelKeepsThePartial) {
  srv.add_file("org/big", "big.gguf", random_bytes(8 << 20, 5));
  auto r = req();
  r.url = srv.endpoint() + "/org/big/resolve/main/big.gguf";
  r.file = "big.gguf";
  r.expected_size = 8 << 20;
  r.expected_sha256.clear();
  std::atomic<bool> cancel{false};
  auto res = fetch_file(r, [&](const fetch_progress& p) { if (p.done > 100000) cancel = true; }, cancel);
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, errc::cancelled);
  EXPECT_TRUE(fs::exists(dir + "/big.gguf.incomplete"));
  EXPECT_FALSE(fs::exists(dir + "/big.gguf"));
}

TEST_F(Fetch, OneDownloadOfAFileAtATime) {
  int fd = ::open((dir + "/model.gguf.incomplete").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0); // as another process downloading it would
  auto r = get(req());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("another process"), std::string::npos);
  ::close(fd);
  EXPECT_TRUE(get(req()));
}

TEST_F(Fetch, DiskFullFailsAtOnceAndKeepsThePartial) {
  std::string small = test::temp_dir();
  if (std::system(("mount -t tmpfs -o size=1m tmpfs " + small + " 2>/dev/null").c_str()) != 0)
    GTEST_SKIP() << "cannot mount a small tmpfs here (needs root)";
  srv.add_file("org/big", "big.gguf", random_bytes(3 << 20, 6));
  auto r = req();
  r.url = srv.endpoint() + "/org/big/resolve/main/big.gguf";
  r.dir = small;
  r.file = "big.gguf";
  r.expected_size = 0; // unknown: only the write can find out
  r.expected_sha256.clear();
  auto start = std::chrono::steady_clock::now();
  auto res = get(r);
  bool partial_kept = fs::exists(small + "/big.gguf.incomplete") && fs::file_size(small + "/big.gguf.incomplete") > 0;
  std::system(("umount " + small).c_str());
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, errc::disk_full) << res.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2)); // no retries
  EXPECT_TRUE(partial_kept);
}
