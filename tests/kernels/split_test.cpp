// Split GGUF models (llama.cpp's gguf-split layout): the parts open as one file from
// the first; every other way in — a later part, a missing, foreign or doubled part, a
// first part under another name — is an error naming the problem.
#include "kernels/context.hpp"
#include "kernels/gguf_split.hpp"
#include "kernels/gguf_writer.hpp"
#include "kernels/synth.hpp"
#include "tests/support/process.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

using namespace rbee::kernels;
namespace fs = std::filesystem;

namespace {

struct Split : ::testing::Test {
  void SetUp() override {
    dir = rbee::test::temp_dir() + "/split";
    fs::create_directories(dir);
    whole = dir + "/whole.gguf";
    auto r = synth_model("tiny", "q8_0", whole, 5);
    ASSERT_TRUE(r) << r.error();
    auto p = split_model(whole, dir + "/m", 3);
    ASSERT_TRUE(p) << p.error();
    parts = *p;
  }
  std::string error_of(const std::string& path) {
    auto f = gguf_file::open(path);
    return f ? "" : f.error();
  }
  std::string dir, whole;
  std::vector<std::string> parts;
};

} // namespace

TEST(SplitName, ParsesOnlyWellFormedNames) {
  auto s = parse_split_name("/a/b/Model-Q4_K_M-00002-of-00005.gguf");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->prefix, "/a/b/Model-Q4_K_M");
  EXPECT_EQ(s->no, 2);
  EXPECT_EQ(s->count, 5);
  EXPECT_EQ(split_path(s->prefix, 3, 5), "/a/b/Model-Q4_K_M-00003-of-00005.gguf");
  for (const char* bad : {"m-00000-of-00003.gguf", "m-00004-of-00003.gguf", "m-0000a-of-00003.gguf", "m-00001-of-00003.bin",
                          "m-00001_of-00003.gguf", "00001-of-00003.gguf", "m.gguf", "", "-00001-of-00000.gguf"})
    EXPECT_FALSE(parse_split_name(bad)) << bad;
}

TEST_F(Split, PartsOpenAsOneFileAndRunTheSame) {
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0], dir + "/m-00001-of-00003.gguf");
  auto a = gguf_file::open(whole);
  auto b = gguf_file::open(parts[0]);
  ASSERT_TRUE(a && b) << (b ? "" : b.error());
  EXPECT_EQ((*b)->paths().size(), 3u);
  ASSERT_EQ((*a)->tensors().size(), (*b)->tensors().size());
  for (auto& t : (*a)->tensors()) {
    auto u = (*b)->tensor(t.name);
    ASSERT_TRUE(u) << t.name;
    EXPECT_EQ(u->bytes, t.bytes);
    EXPECT_EQ(std::memcmp(u->data, t.data, t.bytes), 0) << t.name;
  }
  EXPECT_GT((*b)->file_size(), (*a)->file_size()); // three headers
  // The same model: the same logits.
  auto ma = model::load(whole), mb = model::load(parts[0]);
  ASSERT_TRUE(ma && mb);
  auto ca = context::create(*ma), cb = context::create(*mb);
  std::vector<int32_t> ids = {1, 50, 60, 70};
  auto la = (*ca)->decode(ids.data(), 4), lb = (*cb)->decode(ids.data(), 4);
  ASSERT_TRUE(la && lb);
  EXPECT_EQ(std::memcmp(*la, *lb, sizeof(float) * static_cast<size_t>((*ma)->hp().n_vocab)), 0);
}

TEST_F(Split, EveryOtherWayInIsAnError) {
  auto later = error_of(parts[1]);
  EXPECT_NE(later.find("part 2 of 3"), std::string::npos) << later;
  EXPECT_NE(later.find("m-00001-of-00003.gguf"), std::string::npos) << later;
  // A missing part: named.
  fs::rename(parts[2], dir + "/aside");
  auto missing = error_of(parts[0]);
  EXPECT_NE(missing.find("m-00003-of-00003.gguf"), std::string::npos) << missing;
  // A part of another split in its place: its number is not this one's.
  auto q = synth_model("tiny", "f32", dir + "/other.gguf", 9);
  ASSERT_TRUE(q);
  auto other = split_model(dir + "/other.gguf", dir + "/o", 3);
  ASSERT_TRUE(other);
  fs::copy_file((*other)[1], parts[2], fs::copy_options::overwrite_existing);
  auto foreign = error_of(parts[0]);
  EXPECT_NE(foreign.find("is not part 3 of 3"), std::string::npos) << foreign;
  // Part 2 again as part 3 (split.no patched): its tensors twice.
  {
    auto two = gguf_file::open(parts[1]); // refused, but parsed enough to copy: rewrite it
    EXPECT_FALSE(two);
  }
  std::vector<char> bytes;
  {
    std::ifstream in(parts[1], std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  // split.no is a u16 right after its key: "split.no", type 2, value 1 -> 2.
  std::string key = "split.no";
  auto at = std::search(bytes.begin(), bytes.end(), key.begin(), key.end());
  ASSERT_NE(at, bytes.end());
  size_t value = static_cast<size_t>(at - bytes.begin()) + key.size() + 4;
  ASSERT_EQ(bytes[value], 1);
  bytes[value] = 2;
  std::ofstream(parts[2], std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  auto twice = error_of(parts[0]);
  EXPECT_NE(twice.find("appears in two parts"), std::string::npos) << twice;
  fs::rename(dir + "/aside", parts[2]);
  // The first part under another name cannot find its parts.
  fs::copy_file(parts[0], dir + "/renamed.gguf");
  auto renamed = error_of(dir + "/renamed.gguf");
  EXPECT_NE(renamed.find("not named like one"), std::string::npos) << renamed;
  // A count that disagrees with its name, and a split.no out of range.
  for (auto [no, count, want] : {std::tuple{0, 2, "not named like one"}, std::tuple{7, 3, "out of range"}}) {
    gguf_writer w;
    w.add_u16("split.no", static_cast<uint16_t>(no));
    w.add_u16("split.count", static_cast<uint16_t>(count));
    ASSERT_TRUE(w.write(dir + "/x-00001-of-00003.gguf"));
    auto e = error_of(dir + "/x-00001-of-00003.gguf");
    EXPECT_NE(e.find(want), std::string::npos) << e;
  }
  EXPECT_FALSE(split_model(whole, dir + "/y", 1));
  EXPECT_FALSE(split_model(whole, dir + "/y", 100000));
  EXPECT_EQ(error_of(parts[0]), ""); // all back in place: it opens again
}
