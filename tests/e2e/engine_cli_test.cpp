// The engine's command-line face: rbee tokenize, generate, model synth, quantize, bench.
#include "json/parse.hpp"
#include "kernels/gguf.hpp"
#include "kernels/gguf_writer.hpp"
#include "tests/e2e/e2e.hpp"
#include "tests/kernels/kernels_test_util.hpp"

#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace rbee::test;
using namespace std::chrono_literals;

namespace {

std::string model() {
  return stories("stories260K-f32.gguf");
}

std::string tmp(const std::string& name) {
  return "/tmp/rbee-e2e-" + std::to_string(getpid()) + "-" + name;
}

} // namespace

class EngineCli : public ::testing::Test {
protected:
  void SetUp() override {
    if (!exists(model())) GTEST_SKIP() << "stories260K not found under " << models_dir();
  }
};

TEST_F(EngineCli, Tokenize) {
  auto r = run({rbee_bin(), "tokenize", "--model", model(), "Once upon a time"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "1 403 407 261 378\n");
  auto nobos = run({rbee_bin(), "tokenize", "--model", model(), "--no-bos", "Once upon a time"});
  EXPECT_EQ(nobos.out, "403 407 261 378\n");
  std::string f = tmp("text.txt");
  std::ofstream(f) << "Once upon a time";
  EXPECT_EQ(run({rbee_bin(), "tokenize", "--model", model(), "--file", f}).out, "1 403 407 261 378\n");
  auto missing = run({rbee_bin(), "tokenize", "--model", "/nonexistent.gguf", "x"});
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find("/nonexistent.gguf"), std::string::npos);
  EXPECT_EQ(run({rbee_bin(), "tokenize", "x"}).status, 2); // --model is required
  // A vocabulary-only file (no tensors, as llama.cpp ships for its tokenizer tests), also
  // without the padding a data section would need: the same ids.
  auto full = rbee::kernels::gguf_file::open(model());
  ASSERT_TRUE(full);
  rbee::kernels::gguf_writer w;
  for (auto& key : (*full)->keys()) {
    auto* v = (*full)->find(key);
    w.add_raw(key, static_cast<uint32_t>(v->type), v->raw, v->size);
  }
  w.add_string("general.note", "vocabulary only");
  auto bytes = w.bytes();
  while (!bytes.empty() && bytes.back() == 0) bytes.pop_back(); // ends in the note's last letter
  std::string vocab = tmp("vocab.gguf");
  std::ofstream(vocab, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  auto v = run({rbee_bin(), "tokenize", "--model", vocab, "Once upon a time"});
  EXPECT_EQ(v.status, 0) << v.err;
  EXPECT_EQ(v.out, "1 403 407 261 378\n");
  auto gen = run({rbee_bin(), "generate", "--model", vocab, "--prompt", "Once", "-n", "2"}); // no weights: a clear error
  EXPECT_EQ(gen.status, 1);
  EXPECT_NE(gen.err.find("token_embd.weight"), std::string::npos) << gen.err;
}

TEST_F(EngineCli, GenerateGreedyIsTheGoldenText) {
  auto r = run({rbee_bin(), "generate", "--model", model(), "--prompt", "Once upon a time", "-n", "63",
                "--temperature", "0"});
  EXPECT_EQ(r.status, 0) << r.err;
  auto golden = read_text(stories("golden/golden_llamasimple_f32.txt"));
  EXPECT_EQ("<s> Once upon a time" + r.out.substr(0, r.out.size() - 1), golden.substr(0, golden.find_last_not_of("\n ") + 1));
  auto ids = run({rbee_bin(), "generate", "--model", model(), "--prompt", "Once upon a time", "-n", "5",
                  "--temperature", "0", "--ids", "--json"});
  EXPECT_EQ(ids.status, 0);
  EXPECT_NE(ids.out.find("\"decode_tps\""), std::string::npos);
  EXPECT_EQ(std::count(ids.out.begin(), ids.out.begin() + static_cast<long>(ids.out.find('\n')), ' '), 4);
  EXPECT_EQ(run({rbee_bin(), "generate", "--model", model(), "--prompt", "x", "-n", "0"}).status, 2);
  EXPECT_EQ(run({rbee_bin(), "generate", "--model", model(), "--prompt", "x", "--top-p", "2"}).status, 2);
}

TEST_F(EngineCli, GenerateReportsAFullContext) {
  auto r = run({rbee_bin(), "generate", "--model", model(), "--prompt", "Once upon a time", "-n", "100",
                "--ctx", "16", "--json"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\"finish_reason\":\"context\""), std::string::npos) << r.out;
}

TEST_F(EngineCli, SynthQuantizeBench) {
  // A quote and a backslash in the file name: --json still writes JSON (the name is escaped).
  std::string synth = tmp("synth.gguf"), quant = tmp("qu\"an\\t.gguf");
  auto s = run({rbee_bin(), "model", "synth", "--shape", "tiny", "--type", "q4_k_m", "--out", synth});
  EXPECT_EQ(s.status, 0) << s.err;
  auto q = run({rbee_bin(), "quantize", synth, quant, "q8_0"});
  EXPECT_EQ(q.status, 0) << q.err;
  auto b = run({rbee_bin(), "bench", "--model", quant, "-p", "8", "-n", "4", "--json"}, {}, 120s);
  EXPECT_EQ(b.status, 0) << b.err;
  EXPECT_NE(b.out.find("\"decode_bandwidth_fraction\""), std::string::npos) << b.out;
  rapidjson::Document d;
  ASSERT_TRUE(rbee::json::parse(d, b.out)) << b.out;
  ASSERT_TRUE(d.IsObject() && d.HasMember("model") && d["model"].IsString()) << b.out;
  EXPECT_EQ(std::string(d["model"].GetString()), quant);
  EXPECT_EQ(run({rbee_bin(), "model", "synth", "--shape", "nope", "--type", "q4_0", "--out", synth}).status, 2);
  EXPECT_EQ(run({rbee_bin(), "quantize", synth, quant, "q3_k"}).status, 1);
  EXPECT_EQ(run({rbee_bin(), "quantize", synth, synth, "q8_0"}).status, 1);
  std::remove(synth.c_str());
  std::remove(quant.c_str());
}

// Qwen3 and Gemma 3 end to end from the CLI: a big shape cut to its first layers (--layers),
// served by `rbee serve` through `rbee run`; a shape's layers out of range and an
// unknown architecture are errors that name what is supported.
TEST_F(EngineCli, Qwen3AndGemma3RunEndToEnd) {
  std::string home = tmp("q3home"), store = home + "/data/rbee/models/test/qwen3";
  std::filesystem::create_directories(store);
  auto s = run({rbee_bin(), "model", "synth", "--shape", "qwen3-0.6b", "--layers", "2", "--type", "q4_0", "--out",
                store + "/qwen3-Q4_0.gguf"}, {}, 120s);
  ASSERT_EQ(s.status, 0) << s.err;
  auto big = run({rbee_bin(), "model", "synth", "--shape", "tiny-qwen3", "--layers", "9", "--type", "q4_0", "--out", tmp("x.gguf")});
  EXPECT_EQ(big.status, 2);
  EXPECT_NE(big.err.find("has 2 layers"), std::string::npos) << big.err;
  std::vector<std::string> env = {"XDG_CONFIG_HOME=" + home + "/config", "XDG_DATA_HOME=" + home + "/data",
                                  "XDG_CACHE_HOME=" + home + "/cache", "XDG_STATE_HOME=" + home + "/state",
                                  "RBEE_CATALOG_URL=http://127.0.0.1:1"};
  auto d = start_daemon({"serve", "--port", "0"}, env);
  ASSERT_GT(d.port, 0);
  env.push_back("RBEE_QUEEN_URL=" + d.base());
  auto r = run({rbee_bin(), "run", "test/qwen3", "Hello there", "-n", "6", "--temperature", "0"}, env, 120s);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_FALSE(r.out.empty());
  auto ls = run({rbee_bin(), "ls"}, env);
  EXPECT_NE(ls.out.find("qwen3"), std::string::npos) << ls.out;
  // Gemma 3 the same way (sliding-window layers, post-norms, GELU), stored while the server runs.
  std::string gemma = home + "/data/rbee/models/test/gemma3";
  std::filesystem::create_directories(gemma);
  ASSERT_EQ(run({rbee_bin(), "model", "synth", "--shape", "tiny-gemma3", "--type", "q8_0", "--out", gemma + "/gemma3-Q8_0.gguf"}).status, 0);
  auto g = run({rbee_bin(), "run", "test/gemma3", "Hello there", "-n", "6", "--temperature", "0"}, env, 120s);
  EXPECT_EQ(g.status, 0) << g.err;
  EXPECT_FALSE(g.out.empty());
}

// Phi-4-mini (fused tensors, partial rotation, LongRoPE, GPT-4o's pre-tokenizer) and the
// Qwen3 30B-A3B mixture of experts (128 experts, 8 per token), each its real shape cut to
// 2 layers, and a tiny gpt-oss, through `rbee run`.
TEST_F(EngineCli, Phi4MiniAndQwen3MoeRunEndToEnd) {
  std::string home = tmp("phihome"), data = home + "/data/rbee/models/test";
  std::vector<std::string> env = {"XDG_CONFIG_HOME=" + home + "/config", "XDG_DATA_HOME=" + home + "/data",
                                  "XDG_CACHE_HOME=" + home + "/cache", "XDG_STATE_HOME=" + home + "/state",
                                  "RBEE_CATALOG_URL=http://127.0.0.1:1"};
  for (auto [shape, repo] : {std::pair{"phi4-mini", "phi4"}, std::pair{"qwen3-30b-a3b", "moe"}}) {
    std::filesystem::create_directories(data + "/" + repo);
    auto s = run({rbee_bin(), "model", "synth", "--shape", shape, "--layers", "2", "--type", "q4_0", "--out",
                  data + "/" + repo + "/" + repo + "-Q4_0.gguf"}, {}, 180s);
    ASSERT_EQ(s.status, 0) << s.err;
  }
  auto d = start_daemon({"serve", "--port", "0"}, env);
  ASSERT_GT(d.port, 0);
  env.push_back("RBEE_QUEEN_URL=" + d.base());
  for (auto name : {"test/phi4", "test/moe"}) {
    auto r = run({rbee_bin(), "run", name, "Hello there", "-n", "6", "--temperature", "0"}, env, 180s);
    EXPECT_EQ(r.status, 0) << name << ": " << r.err;
    EXPECT_FALSE(r.out.empty()) << name;
  }
  // gpt-oss (tiny: its layers are few, its parts all there), its harmony markers never shown.
  std::filesystem::create_directories(data + "/oss");
  ASSERT_EQ(run({rbee_bin(), "model", "synth", "--shape", "tiny-gpt-oss", "--type", "mxfp4", "--out",
                 data + "/oss/oss-MXFP4.gguf"}).status, 0);
  auto o = run({rbee_bin(), "run", "test/oss", "Hello there", "-n", "8", "--temperature", "0", "--think"}, env, 180s);
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out.find("<|"), std::string::npos) << o.out;
  auto ps = run({rbee_bin(), "ps"}, env);
  EXPECT_NE(ps.out.find("test/moe:Q4_0"), std::string::npos) << ps.out;
  EXPECT_NE(ps.out.find("test/phi4:Q4_0"), std::string::npos) << ps.out;
}

// --device names where the model runs; a GPU that is not there is an error
// (the CLI, the worker process and the hive), never a quiet run on the CPU.
TEST(DeviceChoice, AMissingGpuIsAClearError) {
  if (!exists(stories("stories260K-q8_0.gguf"))) GTEST_SKIP() << "stories260K not found";
  auto probe = run({rbee_bin(), "generate", "--model", stories("stories260K-q8_0.gguf"), "--prompt", "Hi", "-n", "2",
                    "--device", "cuda:7"});
  EXPECT_EQ(probe.status, 1);
  EXPECT_TRUE(probe.err.find("no CUDA device 7") != std::string::npos || probe.err.find("built without CUDA") != std::string::npos ||
              probe.err.find("no usable CUDA") != std::string::npos || probe.err.find("CUDA device") != std::string::npos)
    << probe.err;
  EXPECT_TRUE(probe.out.empty()) << "nothing generated: " << probe.out;
  EXPECT_EQ(run({rbee_bin(), "generate", "--model", stories("stories260K-q8_0.gguf"), "--prompt", "Hi", "-n", "2", "--device", "tpu"}).status, 1);
  auto env = private_env();
  auto d = start_daemon({"serve", "--port", "0"}, env);
  env.push_back("RBEE_QUEEN_URL=" + d.base());
  auto spawn = run({rbee_bin(), "job", "submit",
                    R"({"operation":"worker_spawn","hive_id":"localhost","model":")" + stories("stories260K-q8_0.gguf") +
                      R"(","device":"cuda:9"})"},
                   env);
  EXPECT_EQ(spawn.status, 1);
  EXPECT_NE(spawn.err.find("has no CUDA device 9"), std::string::npos) << spawn.err;
  auto bad = run({rbee_bin(), "job", "submit",
                  R"({"operation":"worker_spawn","hive_id":"localhost","model":"x","device":"cuda:../1"})"}, env);
  EXPECT_EQ(bad.status, 1);
}
