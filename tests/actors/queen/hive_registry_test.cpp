#include "actors/queen/hive_registry.hpp"

#include <gtest/gtest.h>

using namespace rbee;

TEST(HiveRegistry, JoinHeartbeatLeaseLose) {
  hive_registry r;
  r.join(hive_registration{"h1", "0.1", {}}, hive_actor{}, false, 1000, 5000);
  ASSERT_NE(r.find("h1"), nullptr);
  EXPECT_EQ(r.find("h1")->info.epoch, 1u);
  EXPECT_TRUE(r.expired(5999).empty());
  EXPECT_TRUE(r.heartbeat(hive_heartbeat{"h1", 1, 0, 42}, 5000, 5000));
  EXPECT_EQ(r.find("h1")->info.caps.ram_available, 42u);
  EXPECT_TRUE(r.expired(9999).empty());
  ASSERT_EQ(r.expired(10001).size(), 1u);
  EXPECT_TRUE(r.lose("h1", "no heartbeat", 10001));
  EXPECT_FALSE(r.lose("h1", "again", 10002));
  EXPECT_EQ(r.find("h1")->info.state, hive_state::lost);
  EXPECT_TRUE(r.expired(99999).empty());
}

TEST(HiveRegistry, StaleHeartbeatsAreIgnored) {
  hive_registry r;
  r.join(hive_registration{"h1", "0.1", {}}, hive_actor{}, false, 0, 5000);
  r.join(hive_registration{"h1", "0.1", {}}, hive_actor{}, false, 0, 5000); // rejoined: epoch 2
  EXPECT_FALSE(r.heartbeat(hive_heartbeat{"h1", 1, 0, 0}, 100, 5000));
  EXPECT_FALSE(r.heartbeat(hive_heartbeat{"nope", 1, 0, 0}, 100, 5000));
  EXPECT_TRUE(r.heartbeat(hive_heartbeat{"h1", 2, 0, 0}, 100, 5000));
}

TEST(HiveRegistry, RejoinUnderTheSameId) {
  hive_registry r;
  r.join(hive_registration{"h1", "0.1", {}}, hive_actor{}, false, 0, 5000);
  r.lose("h1", "killed", 1);
  r.join(hive_registration{"h1", "0.2", {}}, hive_actor{}, false, 2, 5000);
  EXPECT_EQ(r.find("h1")->info.state, hive_state::online);
  EXPECT_EQ(r.find("h1")->info.version, "0.2");
  EXPECT_TRUE(r.find("h1")->info.lost_reason.empty());
  EXPECT_EQ(r.list().size(), 1u);
}

TEST(HiveRegistry, LocalHivesHaveNoLease) {
  hive_registry r;
  r.join(hive_registration{"localhost", "0.1", {}}, hive_actor{}, true, 0, 5000);
  EXPECT_TRUE(r.expired(1'000'000).empty());
}
