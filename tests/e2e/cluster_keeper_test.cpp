// The keeper (rbee run, pull, ls, ps, stop, rm, workers) against a queen whose
// hives are other processes, none of them called localhost: without --hive the
// queen's default (the only hive online) or its placement, with --hive the hive
// named; several hives online and an operation that cannot be placed: a clear
// error naming them.
#include "tests/e2e/cluster_fixture.hpp"
#include "tests/kernels/kernels_test_util.hpp"

#include <filesystem>

using namespace rbee;
using namespace rbee::test;
using namespace std::chrono_literals;

TEST_F(Cluster, TheKeeperWorksWithRemoteHivesAndNoLocalOne) {
  if (!exists(stories("stories260K-f32.gguf"))) GTEST_SKIP() << "stories260K not found";
  auto data = temp_dir();
  std::filesystem::create_directories(data + "/models/test/stories");
  std::filesystem::copy_file(stories("stories260K-f32.gguf"), data + "/models/test/stories/m.gguf");
  auto box = start_hive("gpu-box", data);
  ASSERT_TRUE(eventually([&] { return hive_state("gpu-box") == "online"; }, 10s));

  // One hive online: every command finds it without being told.
  auto answer = run({rbee_bin(), "run", "test/stories", "Once upon a time", "-n", "8"}, env, 60s);
  ASSERT_EQ(answer.status, 0) << answer.out << answer.err;
  EXPECT_FALSE(answer.out.empty()) << "tokens streamed";
  auto ls = run({rbee_bin(), "ls"}, env, 20s);
  EXPECT_NE(ls.out.find(" HIVE "), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("gpu-box"), std::string::npos) << ls.out;
  auto ps = run({rbee_bin(), "ps"}, env, 20s);
  EXPECT_NE(ps.out.find("gpu-box"), std::string::npos) << ps.out;
  EXPECT_EQ(run({rbee_bin(), "ps", "--hive", "elsewhere"}, env, 20s).out.find("gpu-box"), std::string::npos);
  auto installed = run({rbee_bin(), "workers", "installed"}, env, 20s);
  EXPECT_EQ(installed.status, 0) << installed.err;
  // (No Hugging Face here: the download itself fails, after going to the right hive.)
  auto pulled = run({rbee_bin(), "pull", "test/other"}, env, 30s);
  EXPECT_NE(pulled.err.find("routing model_download to hive gpu-box"), std::string::npos) << pulled.out << pulled.err;
  // A model already here pulls fine offline: nothing to fetch, said so.
  auto present = run({rbee_bin(), "pull", "test/stories"}, env, 30s);
  EXPECT_EQ(present.status, 0) << present.out << present.err;
  EXPECT_NE(present.err.find("is already in this hive's store"), std::string::npos) << present.err;
  EXPECT_NE(present.err.find("Hugging Face is not reachable"), std::string::npos) << present.err;
  auto stop = run({rbee_bin(), "stop", "test/stories"}, env, 20s);
  EXPECT_EQ(stop.status, 0) << stop.out << stop.err;
  EXPECT_NE(stop.out.find("on gpu-box"), std::string::npos) << stop.out;
  EXPECT_TRUE(eventually([&] { return run({rbee_bin(), "ps"}, env, 20s).out.find("gpu-box") == std::string::npos; }, 10s));

  // Two hives: what can be placed is placed and says why; what cannot asks which.
  auto other = start_hive("other", temp_dir());
  ASSERT_TRUE(eventually([&] { return hive_state("other") == "online"; }, 10s));
  auto placed = run({rbee_bin(), "job", "submit", R"({"operation":"model_download","model":"test/stories"})"}, env, 30s);
  EXPECT_NE(placed.out.find("placed on gpu-box: test/stories in its store"), std::string::npos) << placed.out;
  EXPECT_NE(placed.out.find("routing model_download to hive gpu-box"), std::string::npos) << placed.out;
  auto which = run({rbee_bin(), "workers", "installed"}, env, 20s);
  EXPECT_NE(which.status, 0);
  EXPECT_NE(which.err.find("several hives are online (gpu-box, other)"), std::string::npos) << which.err;
  EXPECT_EQ(run({rbee_bin(), "workers", "installed", "--hive", "other"}, env, 20s).status, 0);
  auto on = run({rbee_bin(), "run", "test/stories", "Once", "-n", "4", "--hive", "gpu-box"}, env, 60s);
  EXPECT_EQ(on.status, 0) << on.err;
  auto nowhere = run({rbee_bin(), "run", "test/stories", "Once", "-n", "4", "--hive", "nope"}, env, 30s);
  EXPECT_NE(nowhere.status, 0);
  EXPECT_NE(nowhere.err.find("nope"), std::string::npos) << nowhere.err;
  // rm finds the one hive that has it.
  EXPECT_EQ(run({rbee_bin(), "stop", "test/stories", "--hive", "gpu-box"}, env, 20s).status, 0);
  EXPECT_TRUE(eventually([&] { return run({rbee_bin(), "ps"}, env, 20s).out.find("gpu-box") == std::string::npos; }, 10s));
  auto rm = run({rbee_bin(), "rm", "test/stories"}, env, 30s);
  EXPECT_EQ(rm.status, 0) << rm.out << rm.err;
  EXPECT_FALSE(std::filesystem::exists(data + "/models/test/stories/m.gguf"));
}
