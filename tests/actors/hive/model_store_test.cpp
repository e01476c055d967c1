#include "actors/hive/model_store.hpp"
#include "tests/support/process.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

using namespace rbee;
namespace fs = std::filesystem;

namespace {

struct Store : ::testing::Test {
  Store() : root(test::temp_dir() + "/models"), store(root) {
    touch("org/one/model-Q4_K_M.gguf");
    touch("org/two/model-Q4_K_M.gguf");
    touch("org/two/model-Q8_0.gguf");
    touch("org/two/model-Q4_K_S.gguf");
    touch("org/two/notes.txt");
    touch("other/repo/model-Q4_K_M.gguf"); // same file name as org/one's
    touch("org/two/model-Q8_0.gguf.incomplete");
  }
  void touch(const std::string& rel) {
    fs::create_directories(fs::path(root + "/" + rel).parent_path());
    std::ofstream(root + "/" + rel) << "x";
  }
  std::string resolved(const std::string& name, bool paths = false) {
    auto r = store.resolve(name, paths);
    return r ? fs::path(*r).lexically_relative(root).string() : "error: " + message_of(r.error());
  }
  errc code(const std::string& name, bool paths = false) {
    auto r = store.resolve(name, paths);
    return r ? errc::none : code_of(r.error());
  }
  std::string root;
  model_store store;
};

} // namespace

TEST_F(Store, ListsGgufFilesOnly) {
  auto all = store.list();
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[0].name, "org/one:model-Q4_K_M.gguf");
  for (auto& m : all) EXPECT_EQ(fs::path(m.path).extension(), ".gguf");
}

TEST_F(Store, ResolvesTheNameForms) {
  EXPECT_EQ(resolved("org/one"), "org/one/model-Q4_K_M.gguf");
  EXPECT_EQ(resolved("hf.co/org/one"), "org/one/model-Q4_K_M.gguf");
  EXPECT_EQ(resolved("org/two:Q8_0"), "org/two/model-Q8_0.gguf");
  EXPECT_EQ(resolved("org/two:q8_0"), "org/two/model-Q8_0.gguf");                 // case-insensitive
  EXPECT_EQ(resolved("org/two:Q4_K_M"), "org/two/model-Q4_K_M.gguf");             // not Q4_K_S
  EXPECT_EQ(resolved("org/two:model-Q4_K_S.gguf"), "org/two/model-Q4_K_S.gguf");
}

TEST_F(Store, AmbiguityAndAbsenceAreExplained) {
  auto several = resolved("org/two");
  EXPECT_NE(several.find("several GGUF files"), std::string::npos) << several;
  EXPECT_NE(several.find("model-Q8_0.gguf"), std::string::npos);
  EXPECT_EQ(code("org/two"), errc::model_not_found);
  EXPECT_EQ(code("org/three"), errc::model_not_found);
  EXPECT_EQ(code("org/two:Q2_K"), errc::model_not_found);
  EXPECT_EQ(code("org/two:Q4_K"), errc::model_not_found); // both Q4_K_M and Q4_K_S match: ambiguous
  EXPECT_NE(resolved("model-Q4_K_M.gguf").find("several files"), std::string::npos); // two repos
  EXPECT_EQ(resolved("model-Q8_0.gguf"), "org/two/model-Q8_0.gguf");
}

TEST_F(Store, HostileNamesNeverLeaveTheStore) {
  for (const char* bad : {"../org/one", "org/..", "../../etc/passwd", "org/../../x", ".hidden/repo", "org/re po",
                          "org/one:../../../etc/passwd", "org/one:..gguf", "a\nb/c", "", "org//one"}) {
    auto r = store.resolve(bad, false);
    EXPECT_FALSE(r) << bad << " -> " << (r ? *r : "");
  }
  std::string long_name(2000, 'a');
  EXPECT_EQ(code(long_name), errc::invalid_value);
}

TEST_F(Store, PathsOnlyWhenAllowed) {
  std::string file = root + "/org/one/model-Q4_K_M.gguf";
  EXPECT_EQ(code(file, false), errc::forbidden);
  EXPECT_EQ(resolved(file, true), "org/one/model-Q4_K_M.gguf");
  EXPECT_EQ(code("/etc/passwd", true), errc::model_not_found); // not a .gguf file
  EXPECT_EQ(code(root + "/org/two/notes.txt", true), errc::model_not_found);
  EXPECT_EQ(code("/nonexistent/x.gguf", true), errc::model_not_found);
}

TEST_F(Store, ASplitModelIsOneEntry) {
  // llama.cpp's split parts: listed and resolved as one model, by its first part.
  for (int i = 1; i <= 3; ++i) touch("big/repo/big-Q4_K_M-0000" + std::to_string(i) + "-of-00003.gguf");
  int entries = 0;
  for (auto& m : store.list())
    if (m.path.find("big/repo") != std::string::npos) {
      ++entries;
      EXPECT_EQ(fs::path(m.path).filename(), "big-Q4_K_M-00001-of-00003.gguf");
    }
  EXPECT_EQ(entries, 1);
  EXPECT_EQ(resolved("big/repo"), "big/repo/big-Q4_K_M-00001-of-00003.gguf");
  EXPECT_EQ(resolved("big/repo:Q4_K_M"), "big/repo/big-Q4_K_M-00001-of-00003.gguf");
}

