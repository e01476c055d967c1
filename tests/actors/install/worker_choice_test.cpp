// choose_worker: CUDA > Metal > CPU, installed before installable, what was
// asked for honoured or refused with the reason, the built-in engine last.
#include "actors/install/worker_choice.hpp"
#include "messages/errc.hpp"
#include "tests/support/hf_server.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

using namespace rbee;

namespace {

catalog_entry entry(std::string id, std::string backend, std::vector<std::string> os, std::vector<std::string> arch) {
  catalog_entry e;
  e.id = std::move(id);
  e.backend = std::move(backend);
  e.platforms = std::move(os);
  e.architectures = std::move(arch);
  return e;
}

choice_inputs linux_box(bool gpu, bool nvcc) {
  choice_inputs in;
  in.catalog = {entry("rbee-worker-cpu", "cpu", {"linux"}, {"x86_64", "aarch64"}),
                entry("rbee-worker-cuda", "cuda", {"linux"}, {"x86_64"}),
                entry("rbee-worker-metal", "metal", {"macos"}, {"aarch64"})};
  in.host = host_platform{"linux", "x86_64", nvcc, gpu};
  in.gpu_summary = gpu ? "1 GPU(s) (NVIDIA H100)" : "nvidia-smi not found";
  return in;
}

installed_worker installed(std::string id, std::string backend) {
  return installed_worker{std::move(id), "0.1.0-1", std::move(backend), "rbee-worker", "ab", "/w/bin"};
}

} // namespace

TEST(WorkerChoice, GpuWithToolkitPicksCuda) {
  auto c = choose_worker(linux_box(true, true), "");
  ASSERT_TRUE(c) << to_string(c.error());
  EXPECT_EQ(c->worker_id, "rbee-worker-cuda");
  EXPECT_EQ(c->backend, "cuda");
  EXPECT_FALSE(c->installed);
  EXPECT_NE(c->why.find("H100"), std::string::npos);
}

TEST(WorkerChoice, GpuWithoutToolkitFallsBackToCpuAndSaysWhy) {
  auto c = choose_worker(linux_box(true, false), "");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->worker_id, ""); // the built-in engine: building rbee-worker-cpu would compile the same
  EXPECT_NE(c->why.find("nvcc"), std::string::npos) << c->why;
}

TEST(WorkerChoice, GpuWithInstalledCudaWorkerNeedsNoToolkit) {
  auto in = linux_box(true, false);
  in.installed = {installed("rbee-worker-cuda", "cuda")};
  auto c = choose_worker(in, "");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->worker_id, "rbee-worker-cuda");
  EXPECT_TRUE(c->installed);
  EXPECT_EQ(c->version, "0.1.0-1");
}

TEST(WorkerChoice, NoGpuPicksCpuNeverMetalOnLinux) {
  auto in = linux_box(false, true);
  in.catalog.insert(in.catalog.begin(), entry("another-cpu", "cpu", {"linux"}, {"x86_64"})); // rbee's own comes first
  auto c = choose_worker(in, "");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->worker_id, ""); // nothing CPU installed: the engine built into rbee, no build
  EXPECT_TRUE(c->installed);
  EXPECT_NE(c->why.find("no usable GPU"), std::string::npos);
  EXPECT_NE(c->why.find("built into rbee"), std::string::npos) << c->why;
  in.installed = {installed("another-cpu", "cpu"), installed("rbee-worker-cpu", "cpu")}; // rbee's own comes first
  c = choose_worker(in, "");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->worker_id, "rbee-worker-cpu");
  EXPECT_TRUE(c->installed);
}

TEST(WorkerChoice, InstalledCpuWorkerIsPreferred) {
  auto in = linux_box(false, false);
  in.installed = {installed("my-cpu-worker", "cpu")};
  auto c = choose_worker(in, "");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->worker_id, "my-cpu-worker");
  EXPECT_TRUE(c->installed);
}

TEST(WorkerChoice, MacPicksMetal) {
  auto in = linux_box(false, false);
  in.host.os = "macos";
  in.host.arch = "aarch64";
  auto c = choose_worker(in, "");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->worker_id, "rbee-worker-metal");
}

TEST(WorkerChoice, AskedForIsHonouredOrRefusedWithTheReason) {
  auto in = linux_box(false, true);
  auto cpu = choose_worker(in, "cpu");
  ASSERT_TRUE(cpu);
  EXPECT_EQ(cpu->worker_id, "rbee-worker-cpu");
  auto cuda = choose_worker(in, "cuda");
  ASSERT_FALSE(cuda);
  EXPECT_EQ(code_of(cuda.error()), errc::platform_unsupported);
  EXPECT_NE(message_of(cuda.error()).find("GPU"), std::string::npos);
  auto metal = choose_worker(in, "rbee-worker-metal");
  ASSERT_FALSE(metal);
  EXPECT_EQ(code_of(metal.error()), errc::platform_unsupported);
  auto unknown = choose_worker(in, "rbee-worker-tpu");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(code_of(unknown.error()), errc::not_found);
  for (auto bad : {"../x", "A B", "x/y", std::string(200, 'a').c_str()}) {
    auto c = choose_worker(in, bad);
    ASSERT_FALSE(c) << bad;
    EXPECT_EQ(code_of(c.error()), errc::invalid_value);
  }
}

TEST(WorkerChoice, UnreachableCatalogUsesTheBuiltInEngine) {
  auto in = linux_box(false, false);
  in.catalog.clear();
  in.catalog_error = "no answer from http://127.0.0.1:1";
  auto c = choose_worker(in, "");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->worker_id, "");
  EXPECT_TRUE(c->installed);
  EXPECT_NE(c->why.find("catalog cannot be read"), std::string::npos);
  auto cpu = choose_worker(in, "cpu");
  ASSERT_TRUE(cpu);
  EXPECT_EQ(cpu->worker_id, "");
  auto cuda = choose_worker(in, "cuda");
  ASSERT_FALSE(cuda);
  EXPECT_EQ(code_of(cuda.error()), errc::unavailable);
}

// A catalog server that answers garbage: the built-in engine, and why.
TEST(WorkerChoice, AMalformedCatalogFallsBackToTheBuiltInEngineAndSaysWhy) {
  test::hf_server cat;
  capabilities caps;
  caps.cuda_note = "no GPU here";
  auto dir = ::testing::TempDir() + "/rbee-choice-" + std::to_string(::getpid());
  cat.raw("/bad/workers", "{not json");
  auto c = choose_on(caps, dir, cat.endpoint() + "/bad", "");
  ASSERT_TRUE(c) << to_string(c.error());
  EXPECT_EQ(c->worker_id, "");
  EXPECT_NE(c->why.find("not a JSON array"), std::string::npos) << c->why;
  // Broken entries are skipped, good ones still chosen.
  cat.raw("/mixed/workers", R"([7, {"id":"../x","backend":"cpu"}, {"id":"rbee-worker-cpu","backend":"cpu","platforms":["linux"],)"
                            R"("architectures":["x86_64","aarch64"],"binary":"rbee-worker"}])");
  auto m = choose_on(caps, dir, cat.endpoint() + "/mixed", "cpu");
  ASSERT_TRUE(m) << to_string(m.error());
  EXPECT_EQ(m->worker_id, "rbee-worker-cpu");
  EXPECT_FALSE(m->installed);
}
