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
