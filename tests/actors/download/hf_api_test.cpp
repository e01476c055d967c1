#include "actors/download/hf_api.hpp"

#include <gtest/gtest.h>

using namespace rbee;

namespace {

std::vector<std::string> names(const caf::expected<std::vector<hf_file>>& r) {
  std::vector<std::string> out;
  if (r)
    for (auto& f : *r) out.push_back(f.path);
  return out;
}

const std::vector<hf_file> repo = {
  {"README.md", 10, ""},
  {"model-Q8_0.gguf", 100, "a"},
  {"model-Q4_K_S.gguf", 60, "b"},
  {"model-Q5_K_M.gguf", 70, "c"},
  {"big-Q4_K_M-00002-of-00003.gguf", 50, "e"},
  {"big-Q4_K_M-00001-of-00003.gguf", 50, "d"},
  {"big-Q4_K_M-00003-of-00003.gguf", 50, "f"},
};

} // namespace

TEST(HfApi, PreferredQuantizationAndAllSplitParts) {
  EXPECT_EQ(names(choose_gguf(repo, "", "o/r")),
            (std::vector<std::string>{"big-Q4_K_M-00001-of-00003.gguf", "big-Q4_K_M-00002-of-00003.gguf",
                                      "big-Q4_K_M-00003-of-00003.gguf"}));
  EXPECT_EQ(names(choose_gguf(repo, "Q8_0", "o/r")), (std::vector<std::string>{"model-Q8_0.gguf"}));
  EXPECT_EQ(names(choose_gguf(repo, "q5_k_m", "o/r")), (std::vector<std::string>{"model-Q5_K_M.gguf"}));
  EXPECT_EQ(names(choose_gguf(repo, "model-Q4_K_S.gguf", "o/r")), (std::vector<std::string>{"model-Q4_K_S.gguf"}));
  std::vector<hf_file> no_km(repo.begin(), repo.begin() + 4);
  EXPECT_EQ(names(choose_gguf(no_km, "", "o/r")), (std::vector<std::string>{"model-Q4_K_S.gguf"})); // the closest
}

TEST(HfApi, ChoicesThatFailSayWhatIsThere) {
  auto none = choose_gguf({{"README.md", 1, ""}, {"config.json", 1, ""}}, "", "o/r");
  ASSERT_FALSE(none);
  EXPECT_NE(message_of(none.error()).find("config.json"), std::string::npos);
  auto q = choose_gguf(repo, "Q2_K", "o/r");
  ASSERT_FALSE(q);
  EXPECT_NE(message_of(q.error()).find("model-Q8_0.gguf"), std::string::npos);
  EXPECT_FALSE(choose_gguf(repo, "nope.gguf", "o/r"));
}

TEST(HfApi, ReferencesAndNames) {
  auto r = parse_hf_ref("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id(), "bartowski/Llama-3.2-1B-Instruct-GGUF");
  EXPECT_EQ(r->selector, "Q4_K_M");
  EXPECT_TRUE(parse_hf_ref("https://huggingface.co/a/b"));
  for (const char* bad : {"", "noslash", "../x/y", "a/..", "a/b/c", "a b/c", "a/b:x/../../y", "a/b:\x01"})
    EXPECT_FALSE(parse_hf_ref(bad)) << bad;
  EXPECT_TRUE(safe_gguf_name("model-Q4_0.gguf"));
  for (const char* bad : {"../x.gguf", "/abs.gguf", "a/b.gguf", ".hidden.gguf", "x.bin", "a\nb.gguf", "a\".gguf", ".gguf"})
    EXPECT_FALSE(safe_gguf_name(bad)) << bad;
}
