// pick_hive: where the queen runs an inference without a hive named — a hive with the
// model loaded first, then the one with the most free memory among those that store it.
#include "actors/queen/state.hpp"

#include <gtest/gtest.h>

using namespace rbee;

TEST(PickHive, LoadedFirstThenMemory) {
  std::string why;
  std::vector<hive_candidate> c = {{"a", false, true, 100, 1000}, {"b", true, false, 0, 10}, {"c", false, true, 100, 5000}};
  EXPECT_EQ(pick_hive(c, why), "b"); // has it loaded
  c[1].has_worker = false;
  EXPECT_EQ(pick_hive(c, why), "c"); // most free memory among those with the model
  c[2].ram_available = 110;          // not room for 1.2x
  EXPECT_EQ(pick_hive(c, why), "a");
  c[0].ram_available = 50;
  EXPECT_FALSE(pick_hive(c, why));
  EXPECT_NE(why.find("memory"), std::string::npos);
  c[0].has_model = c[2].has_model = false;
  EXPECT_FALSE(pick_hive(c, why));
  EXPECT_NE(why.find("store"), std::string::npos);
  EXPECT_FALSE(pick_hive({}, why));
}

TEST(PickHive, WhereItMayFetchTheMostFreeMemoryWinsButNeverOverAHiveWithTheModel) {
  std::string why;
  std::vector<hive_candidate> c = {{"a", false, false, 0, 1000}, {"b", false, false, 0, 9000}};
  EXPECT_FALSE(pick_hive(c, why)) << "infer never downloads";
  EXPECT_EQ(pick_hive(c, why, true), "b");
  c[0].has_model = true;
  c[0].model_bytes = 100;
  EXPECT_EQ(pick_hive(c, why, true), "a") << "the model's store beats more memory";
  c[0].ram_available = 50; // it has the model but no room: nowhere, rather than a second copy
  EXPECT_FALSE(pick_hive(c, why, true));
}

TEST(PickHive, ThePlacementSaysWhyAndPredictsTheSpeed) {
  hive_candidate h{"beta", false, true, 1ull << 30, 8ull << 30, 40ull << 30};
  EXPECT_DOUBLE_EQ(predicted_tokens_per_s(40ull << 30, 1ull << 30), 36.0);
  EXPECT_EQ(predicted_tokens_per_s(0, 1ull << 30), 0.0);
  EXPECT_EQ(placement_reason(h, "m"), "placed on beta: m in its store, 8.0 GiB free, about 36 tokens/s");
  h.read_bandwidth = 0;
  EXPECT_EQ(placement_reason(h, "m"), "placed on beta: m in its store, 8.0 GiB free");
  h.has_worker = true;
  EXPECT_EQ(placement_reason(h, "m"), "placed on beta: m is loaded there");
  h = {"gamma", false, false, 0, 2ull << 30};
  EXPECT_NE(placement_reason(h, "m").find("will download it"), std::string::npos);
}

TEST(PickHive, WithoutRoomTheLeastRecentlyUsedIdleWorkersStop) {
  std::string why;
  // The model (100 bytes, needs 120) fits nowhere as things are.
  std::vector<hive_candidate> c = {{"a", false, true, 100, 50}, {"b", false, true, 100, 10}};
  EXPECT_FALSE(pick_hive(c, why));
  c[0].idle = {{"w-new", "x", 40, 9000}, {"w-old", "y", 80, 1000}};
  // a: the oldest alone frees enough (50 + 80 >= 120).
  EXPECT_EQ(pick_hive(c, why), "a");
  auto evict = eviction_for(c[0]);
  ASSERT_EQ(evict.size(), 1u);
  EXPECT_EQ(evict[0].worker_id, "w-old");
  EXPECT_NE(placement_reason(c[0], "m").find("free once its least recently used idle worker stops"), std::string::npos)
    << placement_reason(c[0], "m");
  // b would stop workers used longer ago: b wins.
  c[1].idle = {{"w-b1", "z", 60, 500}, {"w-b2", "z2", 60, 700}};
  EXPECT_EQ(pick_hive(c, why), "b");
  auto both = eviction_for(c[1]);
  ASSERT_EQ(both.size(), 2u) << "10 + 60 is not enough; 10 + 60 + 60 is";
  EXPECT_EQ(both[0].worker_id, "w-b1");
  // Never more than needed, never when it fits, nothing when even all would not do.
  c[1].ram_available = 200;
  EXPECT_TRUE(eviction_for(c[1]).empty());
  EXPECT_EQ(pick_hive(c, why), "b");
  c = {{"a", false, true, 1000, 10}};
  c[0].idle = {{"w", "x", 40, 1}};
  EXPECT_TRUE(eviction_for(c[0]).empty());
  EXPECT_FALSE(pick_hive(c, why));
  EXPECT_NE(why.find("even by stopping its idle workers"), std::string::npos) << why;
  // A loaded worker still beats all of it.
  c.push_back({"z", true, false, 0, 0});
  EXPECT_EQ(pick_hive(c, why), "z");
}
