// rbee's engine against llama.cpp on the same GGUF files, for every architecture
// and weight type rbee runs: llama.cpp is npm's node-llama-cpp (its prebuilt CPU
// build, offline), driven by tests/oracle/llama.mjs — an oracle in the tests only.
// Per file: the tokenization of a set of texts is equal; teacher-forced over a
// fixed token sequence, the argmax agrees at ≥ 99% of positions (a different
// argmax counts only where llama.cpp's two candidates are within the type's
// tolerance: a tie its rounding decides) and the logits stay within that
// tolerance of the logits' spread; the first 16 greedy ids are equal up to such
// a tie. Tolerances: F32 2e-3, F16 5e-3, quantized 3e-2 (measured: 6e-4, 6e-4,
// 1.3e-2 at most, 2026-12-07).
#include "kernels/context.hpp"
#include "kernels/gguf_split.hpp"
#include "kernels/synth.hpp"
#include "kernels/tokenizer.hpp"
#include "tests/kernels/kernels_test_util.hpp"
#include "tests/support/process.hpp"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

using namespace rbee;
using namespace rbee::kernels;

namespace {

constexpr double f32_tol = 2e-3, f16_tol = 5e-3, quant_tol = 3e-2;
double tol(const std::string& type) { return type == "f32" ? f32_tol : type == "f16" ? f16_tol : quant_tol; }

const std::string oracle_dir = std::string(RBEE_SOURCE_DIR) + "/tests/oracle";

const std::vector<std::string> texts = {
  "Once upon a time", "Hello, world! 123 4567", "  two spaces,\ttabs and\nnew lines\n\n",
  "don't won't I'm they'll", "naïve café — 日本語 🙂", "x", "The quick brown fox jumps over the lazy dog.",
};
const std::string forced_text = "Once upon a time there was a little girl who loved the sun, the sea and the trees.";

struct file_case {
  std::string name;      ///< shown in failures
  std::string path;
  double tolerance;      ///< largest |logit difference| / the logits' spread allowed
};

/// node's path ("" when it is not installed).
std::string node_path() {
  auto r = test::run({"/bin/sh", "-c", "command -v node"});
  return r.status == 0 ? r.out.substr(0, r.out.find('\n')) : "";
}

/// Why the oracle cannot run here ("" when it can).
std::string oracle_missing() {
  if (node_path().empty()) return "node is not installed";
  if (!std::filesystem::exists(oracle_dir + "/node_modules/node-llama-cpp/package.json"))
    return "node-llama-cpp is not installed in tests/oracle (scripts/deps.sh installs it)";
  return "";
}

std::vector<int32_t> ids(const rapidjson::Value& a) {
  std::vector<int32_t> out;
  for (auto& v : a.GetArray()) out.push_back(v.GetInt());
  return out;
}

void check(const file_case& c) {
  SCOPED_TRACE(c.name);
  auto m = model::load(c.path);
  ASSERT_TRUE(m) << m.error();
  auto tok = tokenizer::from_gguf((*m)->file());
  ASSERT_TRUE(tok) << tok.error();
  auto forced = (*tok)->encode(forced_text, (*tok)->add_bos());
  // The spec for the oracle: the texts, rbee's forced sequence, 16 greedy ids.
  std::string spec = "{\"texts\":[";
  for (size_t i = 0; i < texts.size(); ++i) {
    spec += i ? "," : "";
    spec += '"';
    for (char ch : texts[i]) spec += ch == '\n' ? std::string("\\n") : ch == '\t' ? std::string("\\t") : std::string(1, ch);
    spec += '"';
  }
  spec += "],\"forced\":[";
  for (size_t i = 0; i < forced.size(); ++i) spec += (i ? "," : "") + std::to_string(forced[i]);
  spec += "],\"greedy\":16}";
  std::string spec_path = test::temp_dir() + "/spec.json";
  std::ofstream(spec_path) << spec;
  auto r = test::run({node_path(), oracle_dir + "/llama.mjs", c.path, spec_path}, {}, std::chrono::seconds(120));
  ASSERT_EQ(r.status, 0) << r.err;
  rapidjson::Document d;
  d.Parse(r.out.c_str());
  ASSERT_FALSE(d.HasParseError()) << r.out.substr(0, 200);

  // Tokenization.
  for (size_t i = 0; i < texts.size(); ++i)
    EXPECT_EQ((*tok)->encode(texts[i], false), ids(d["tokens"][static_cast<rapidjson::SizeType>(i)])) << texts[i];

  // Teacher-forced logits.
  context_params cp;
  cp.n_ctx = 512;
  auto ctx = context::create(*m, cp);
  ASSERT_TRUE(ctx) << ctx.error();
  std::vector<batch_entry> batch;
  for (auto t : forced) batch.push_back({0, t, true});
  auto logits = (*ctx)->decode_batch(batch);
  ASSERT_TRUE(logits) << logits.error();
  const int nv = (*m)->hp().n_vocab;
  const auto& theirs = d["logits"];
  ASSERT_EQ(theirs.Size(), forced.size());
  // Agreement: the same argmax, or one that is a tie within the type's error (the
  // two candidates' logits closer in llama.cpp than the tolerance).
  int same = 0, agree = 0;
  double worst = 0;
  for (size_t p = 0; p < forced.size(); ++p) {
    const float* ours = *logits + p * static_cast<size_t>(nv);
    const auto& row = theirs[static_cast<rapidjson::SizeType>(p)];
    ASSERT_EQ(row.Size(), static_cast<rapidjson::SizeType>(nv));
    auto their = [&](int i) { return row[static_cast<rapidjson::SizeType>(i)].GetDouble(); };
    int our_best = 0, their_best = 0;
    double lo = 1e30, hi = -1e30, diff = 0;
    for (int i = 0; i < nv; ++i) {
      if (ours[i] > ours[our_best]) our_best = i;
      if (their(i) > their(their_best)) their_best = i;
      lo = std::min(lo, their(i)), hi = std::max(hi, their(i));
      diff = std::max(diff, std::fabs(their(i) - ours[i]));
    }
    double spread = std::max(hi - lo, 1e-6);
    same += our_best == their_best;
    agree += our_best == their_best || (their(their_best) - their(our_best)) / spread <= c.tolerance;
    worst = std::max(worst, diff / spread);
  }
  EXPECT_GE(agree, static_cast<int>(std::ceil(0.99 * static_cast<double>(forced.size())))) << agree << " of " << forced.size();
  EXPECT_LE(worst, c.tolerance) << "largest logit difference over the logits' spread";
  std::printf("[ oracle   ] %-24s argmax %d/%zu the same (%d within ties), largest logit difference %.2e of the spread\n",
              c.name.c_str(), same, forced.size(), agree, worst);

  // Greedy continuation.
  (*ctx)->reset();
  auto last = (*ctx)->decode(forced.data(), static_cast<int>(forced.size()));
  ASSERT_TRUE(last);
  std::vector<int32_t> greedy;
  const float* l = *last;
  while (greedy.size() < 16) {
    int32_t best = static_cast<int32_t>(std::max_element(l, l + nv) - l);
    greedy.push_back(best);
    auto next = (*ctx)->decode(&best, 1);
    ASSERT_TRUE(next);
    l = *next;
  }
  // Equal ids, until a choice llama.cpp made by less than the tolerance (a tie
  // within the type's error, after which the two texts may part).
  auto their_greedy = ids(d["greedy"]);
  size_t equal = 0;
  while (equal < greedy.size() && greedy[equal] == their_greedy[equal]) ++equal;
  if (equal < greedy.size()) {
    double margin = d["margins"][static_cast<rapidjson::SizeType>(equal)].GetDouble();
    EXPECT_LE(margin, c.tolerance) << "greedy ids part at " << equal << " where llama.cpp's choice was clear";
    std::printf("[ oracle   ] %-24s greedy equal for %zu ids, then a tie (margin %.1e)\n", c.name.c_str(), equal, margin);
  }
}

class Oracle : public ::testing::Test {
protected:
  void SetUp() override {
    if (auto why = oracle_missing(); !why.empty()) GTEST_SKIP() << "llama.cpp oracle skipped: " << why;
  }
  /// A synthetic model in `shape` and `type` (cut to `layers` when > 0).
  std::string synth(const std::string& shape, const std::string& type, int layers = 0) {
    std::string path = test::temp_dir() + "/" + shape + "-" + type + ".gguf";
    auto r = synth_model(shape, type, path, 7, layers);
    EXPECT_TRUE(r) << r.error();
    return path;
  }
};

} // namespace

TEST_F(Oracle, Stories260KEveryType) {
  if (!test::exists(test::stories("stories260K-f32.gguf"))) GTEST_SKIP() << "stories260K not found";
  check({"stories260K f32", test::stories("stories260K-f32.gguf"), f32_tol});
  check({"stories260K q8_0", test::stories("stories260K-q8_0.gguf"), quant_tol});
  check({"stories260K q4_0", test::stories("stories260K-q4_0.gguf"), quant_tol});
}

TEST_F(Oracle, SplitFileOpensInBoth) { // llama.cpp's gguf-split layout, from the first part
  auto parts = split_model(synth("tiny", "q8_0"), test::temp_dir() + "/tiny-split", 3);
  ASSERT_TRUE(parts) << parts.error();
  check({"tiny q8_0 in 3 parts", (*parts)[0], quant_tol});
}

TEST_F(Oracle, Llama) {
  for (auto type : {"f32", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q4_k_m"})
    check({std::string("tiny ") + type, synth("tiny", type), tol(type)});
  check({"tiny-llama3 f16", synth("tiny-llama3", "f16"), tol("f16")});
}

TEST_F(Oracle, LowBitTypes) { // Q2_K, Q3_K, IQ4_NL, IQ4_XS: llama.cpp reads rbee's bytes as rbee does
  for (auto type : {"q2_k", "q3_k", "iq4_nl", "iq4_xs", "mxfp4"}) check({std::string("tiny ") + type, synth("tiny", type), tol(type)});
}

TEST_F(Oracle, Qwen2) {
  for (auto type : {"f32", "q8_0", "q4_0"}) check({std::string("tiny-qwen2 ") + type, synth("tiny-qwen2", type), tol(type)});
}

TEST_F(Oracle, Qwen3) {
  for (auto type : {"f32", "q8_0", "q4_k_m"}) check({std::string("tiny-qwen3 ") + type, synth("tiny-qwen3", type), tol(type)});
  check({"tiny-qwen3 1 layer f16", synth("tiny-qwen3", "f16", 1), tol("f16")});
}

TEST_F(Oracle, Phi3) {
  // Fused QKV and gate/up, 48 of 64 dimensions rotated, LongRoPE's long factors and scale.
  for (auto type : {"f32", "q8_0", "q4_k_m"}) check({std::string("tiny-phi3 ") + type, synth("tiny-phi3", type), tol(type)});
  check({"tiny-phi4 f16", synth("tiny-phi4", "f16"), tol("f16")}); // GPT-4o's pre-tokenizer, tied output
}

TEST_F(Oracle, Qwen3Moe) {
  for (auto type : {"f32", "q8_0", "q4_k_m"})
    check({std::string("tiny-qwen3moe ") + type, synth("tiny-qwen3moe", type), tol(type)});
}

TEST_F(Oracle, GptOss) {
  // Attention sinks, biases, every other layer sliding, YaRN, 2 of 8 experts weighed by a
  // softmax of their logits, the clamped activation; MXFP4 experts as the real files have.
  for (auto type : {"f32", "q8_0", "mxfp4"}) check({std::string("tiny-gpt-oss ") + type, synth("tiny-gpt-oss", type), tol(type)});
}

TEST_F(Oracle, Gemma3) {
  for (auto type : {"f32", "q8_0", "q4_k_m"}) check({std::string("tiny-gemma3 ") + type, synth("tiny-gemma3", type), tol(type)});
}
