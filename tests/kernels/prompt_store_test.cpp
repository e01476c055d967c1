// The prompt cache beyond the slots, alone: a byte budget with the least recently
// put dropped first, the longest shared prefix found, and what is taken is gone.
#include "kernels/prompt_store.hpp"

#include <gtest/gtest.h>

using namespace rbee::kernels;

TEST(PromptStore, LongestPrefixWithinABudget) {
  prompt_store s(100);
  s.put({1, 2, 3, 4}, std::vector<uint8_t>(40, 1));
  s.put({1, 2, 9}, std::vector<uint8_t>(40, 2));
  EXPECT_EQ(s.bytes(), 80u);
  s.put({7}, std::vector<uint8_t>(101, 3)); // larger than the whole budget: not kept, nothing dropped
  EXPECT_EQ(s.size(), 2u);
  s.put({1, 5}, std::vector<uint8_t>(40, 4)); // room: the least recently put ({1,2,3,4}) goes
  EXPECT_EQ(s.size(), 2u);
  EXPECT_FALSE(s.take_best({1, 2, 3, 4, 5}, 3)) << "{1,2,3,4} was dropped; {1,2,9} shares 2 < 3";
  auto h = s.take_best({1, 2, 9, 9}, 2);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->common, 3u);
  EXPECT_EQ(h->kv[0], 2);
  EXPECT_EQ(s.size(), 1u) << "taken out";
  EXPECT_EQ(s.bytes(), 40u);
  EXPECT_FALSE(s.take_best({1, 2, 9}, 2)) << "only {1,5} is left";
  s.put({}, {}); // an empty cache is not kept
  EXPECT_EQ(s.size(), 1u);
}
