// Installed workers: real files, a real symlink switch, and SIGKILL in the
// middle of installs — the previous version must always still run.
#include "io/fetch.hpp"
#include "actors/hive/worker_store.hpp"
#include "messages/json.hpp"
#include "messages/errc.hpp"

#include <caf/error.hpp>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace rbee;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string run(const std::string& path) {
  std::string out;
  FILE* f = ::popen(("'" + path + "'").c_str(), "r");
  if (!f) return out;
  char buf[256];
  while (size_t n = std::fread(buf, 1, sizeof buf, f)) out.append(buf, n);
  ::pclose(f);
  return out;
}

struct WorkerStore : ::testing::Test {
  fs::path dir = fs::temp_directory_path() / ("rbee-store-" + std::to_string(::getpid()));
  fs::path build = dir / "build";
  void SetUp() override {
    fs::remove_all(dir);
    fs::create_directories(build);
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string built(const std::string& version, size_t pad = 0) {
    auto p = build / "rbee-worker";
    std::ofstream(p) << "#!/bin/sh\necho worker " << version << "\n#" << std::string(pad, 'x') << "\n";
    ::chmod(p.c_str(), 0700);
    return p.string();
  }
};

TEST_F(WorkerStore, InstallsSwitchesAndLists) {
  worker_store s((dir / "data").string());
  auto w1 = s.install("rbee-worker-cpu", "0.1.0-1", "cpu", built("one"));
  ASSERT_TRUE(w1) << caf::to_string(w1.error());
  EXPECT_EQ(run(w1->path), "worker one\n");
  EXPECT_EQ(fs::read_symlink(dir / "data/workers/rbee-worker-cpu/current"), "0.1.0-1");
  auto w2 = s.install("rbee-worker-cpu", "0.2.0-1", "cpu", built("two"));
  ASSERT_TRUE(w2);
  EXPECT_EQ(run(w2->path), "worker two\n");
  EXPECT_TRUE(fs::exists(dir / "data/workers/rbee-worker-cpu/0.1.0-1/rbee-worker")) << "the previous version is kept";
  auto w3 = s.install("rbee-worker-cpu", "0.3.0-1", "cpu", built("three"));
  ASSERT_TRUE(w3);
  EXPECT_TRUE(fs::exists(dir / "data/workers/rbee-worker-cpu/0.2.0-1/rbee-worker")) << "the previous version is kept";
  EXPECT_FALSE(fs::exists(dir / "data/workers/rbee-worker-cpu/0.1.0-1")) << "older ones are pruned";
  w2 = s.install("rbee-worker-cpu", "0.2.0-1", "cpu", built("two")); // back to 0.2: 0.3 stays as the previous
  ASSERT_TRUE(s.install("rbee-worker-cuda", "0.2.0-1", "cuda", built("cuda")));
  auto all = s.list();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, "rbee-worker-cpu");
  EXPECT_EQ(all[0].version, "0.2.0-1");
  EXPECT_TRUE(fs::exists(dir / "data/workers/rbee-worker-cpu/0.3.0-1"));
  EXPECT_EQ(all[1].backend, "cuda");
  auto caps = slurp(s.capabilities_path());
  EXPECT_NE(caps.find("\"rbee-worker-cuda\""), std::string::npos) << caps;
  EXPECT_NE(caps.find("\"0.2.0-1\""), std::string::npos);
  // Stat mode: executable by its owner.
  struct stat st {};
  ASSERT_EQ(::stat(w2->path.c_str(), &st), 0);
  EXPECT_TRUE(st.st_mode & S_IXUSR);
}

TEST_F(WorkerStore, ReinstallingTheSameVersionReplacesItWhole) {
  worker_store s((dir / "data").string());
  ASSERT_TRUE(s.install("w", "1", "cpu", built("first")));
  auto again = s.install("w", "1", "cpu", built("second"));
  ASSERT_TRUE(again) << caf::to_string(again.error());
  auto got = s.get("w");
  ASSERT_TRUE(got) << caf::to_string(got.error());
  EXPECT_EQ(run(got->path), "worker second\n");
  for (auto& e : fs::directory_iterator(dir / "data/workers/w"))
    EXPECT_EQ(e.path().filename().string().rfind(".", 0), std::string::npos) << "leftover " << e.path();
}

TEST_F(WorkerStore, AlteredBinariesAreRefused) {
  worker_store s((dir / "data").string());
  auto w = s.install("w", "1", "cpu", built("ok"));
  ASSERT_TRUE(w);
  std::ofstream(w->path, std::ios::app) << "echo injected\n";
  auto got = s.get("w");
  ASSERT_FALSE(got);
  EXPECT_TRUE(got.error() == errc::checksum_mismatch);
  std::ofstream(dir / "data/workers/w/current/worker.json") << "{not json";
  EXPECT_TRUE(s.get("w").error() == errc::internal);
  EXPECT_TRUE(s.list().empty());
}

// The binary is opened without following a link, hashed from that descriptor, and
// run through it: a link swapped in (even to identical bytes) is refused, and the
// descriptor keeps the checked file whatever happens to the path afterwards.
TEST_F(WorkerStore, TheVerifiedBinaryIsTheOpenFile) {
  worker_store s((dir / "data").string());
  auto w = s.install("w", "1", "cpu", built("ok"));
  ASSERT_TRUE(w);
  auto v = s.open_verified("w");
  ASSERT_TRUE(v) << caf::to_string(v.error());
  EXPECT_GE(v->fd, 0);
  // The path now names another file: the open descriptor still holds the checked one.
  auto copy = dir / "copy";
  fs::copy_file(w->path, copy);
  fs::remove(w->path);
  std::ofstream(w->path) << "#!/bin/sh\necho evil\n";
  EXPECT_EQ(sha256_fd(v->fd), v->worker.sha256);
  EXPECT_FALSE(s.open_verified("w")); // and the new file is refused
  // A symlink to the right bytes is refused too (O_NOFOLLOW).
  fs::remove(w->path);
  fs::create_symlink(copy, w->path);
  auto linked = s.open_verified("w");
  ASSERT_FALSE(linked);
  EXPECT_TRUE(linked.error() == errc::checksum_mismatch);
}

TEST_F(WorkerStore, RemoveAndHostileNames) {
  worker_store s((dir / "data").string());
  ASSERT_TRUE(s.install("w", "1", "cpu", built("ok")));
  ASSERT_TRUE(s.remove("w"));
  EXPECT_TRUE(s.get("w").error() == errc::not_found);
  EXPECT_TRUE(s.remove("w").error() == errc::not_found);
  EXPECT_EQ(slurp(s.capabilities_path()), "{\"workers\":[]}");
  for (std::string bad : {"", "..", "../etc", "a/b", ".hidden", "Upper", "-x", "a b"}) {
    EXPECT_FALSE(s.install(bad, "1", "cpu", built("x"))) << bad;
    EXPECT_FALSE(s.get(bad)) << bad;
    EXPECT_FALSE(s.remove(bad)) << bad;
  }
  for (std::string bad : {"", "..", "1/2", "../1", "1 2", "-1"}) EXPECT_FALSE(s.install("w", bad, "cpu", built("x"))) << bad;
  EXPECT_FALSE(s.install("w", "1", "cpu", (build / "missing").string()));
  EXPECT_TRUE(fs::exists(dir / "data/workers")) << "and nothing escaped it";
  EXPECT_FALSE(fs::exists(dir / "etc"));
}

TEST_F(WorkerStore, AnswersAreJsonWhateverThePath) {
  // The data dir comes from the user's config: quotes and backslashes must not break the JSON.
  worker_store s((dir / "da\"ta\\dir").string());
  auto w = s.install("w", "1", "cpu", built("ok"));
  ASSERT_TRUE(w) << caf::to_string(w.error());
  rapidjson::Document one, all;
  one.Parse(json::write(*w).c_str());
  ASSERT_FALSE(one.HasParseError());
  EXPECT_EQ(std::string(one["path"].GetString()), w->path);
  EXPECT_EQ(std::string(one["sha256"].GetString()), w->sha256);
  all.Parse(json::write(s.list()).c_str());
  ASSERT_TRUE(!all.HasParseError() && all.IsArray() && all.Size() == 1u);
  EXPECT_EQ(std::string(all[0]["worker_id"].GetString()), "w");
  all.Parse(slurp(s.capabilities_path()).c_str());
  EXPECT_FALSE(all.HasParseError());
  EXPECT_EQ(json::write(std::vector<installed_worker>{}), "[]");
}

TEST_F(WorkerStore, SigkillDuringInstallsLeavesARunnableVersion) {
  worker_store s((dir / "data").string());
  ASSERT_TRUE(s.install("w", "0", "cpu", built("0", 1 << 20)));
  for (int round = 0; round < 12; ++round) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) { // installs as fast as it can, alternating new and repeated versions, until killed
      worker_store c((dir / "data").string());
      for (int i = 0;; ++i) {
        auto v = std::to_string(i % 3);
        auto p = (build / std::string("b").append(std::to_string(i % 2))).string();
        std::ofstream(p) << "#!/bin/sh\necho worker " << v << "\n#" << std::string(1 << 20, 'x') << "\n";
        ::chmod(p.c_str(), 0700);
        fs::rename(p, build / "rbee-worker");
        (void)c.install("w", v, "cpu", (build / "rbee-worker").string());
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + 37 * round % 90));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    auto got = s.get("w");
    ASSERT_TRUE(got) << "round " << round << ": " << caf::to_string(got.error());
    EXPECT_EQ(run(got->path), "worker " + got->version + "\n") << "round " << round;
  }
  // The next install cleans what the kills left.
  auto last = s.install("w", "9", "cpu", built("9"));
  ASSERT_TRUE(last) << caf::to_string(last.error());
  for (auto& e : fs::directory_iterator(dir / "data/workers/w"))
    EXPECT_EQ(e.path().filename().string().rfind(".", 0), std::string::npos) << "leftover " << e.path();
}

} // namespace
