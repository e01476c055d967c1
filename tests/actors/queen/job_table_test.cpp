#include "actors/queen/job_table.hpp"

#include <gtest/gtest.h>

using namespace rbee;

TEST(JobTable, HappyPath) {
  job_table t;
  auto id = t.create("status", "").job_id;
  EXPECT_EQ(t.find(id)->state, job_state::queued);
  EXPECT_EQ(t.active(), 1u);
  EXPECT_TRUE(t.start(id));
  EXPECT_EQ(t.find(id)->state, job_state::running);
  EXPECT_TRUE(t.complete(id, action_result{"stopped", "w1"}));
  EXPECT_EQ(t.find(id)->state, job_state::completed);
  EXPECT_EQ(t.active(), 0u);
  EXPECT_GT(t.find(id)->finished_ms, 0);
}

TEST(JobTable, ExactlyOneTerminalState) {
  job_table t;
  auto id = t.create("hive_get", "h").job_id;
  ASSERT_TRUE(t.start(id));
  ASSERT_TRUE(t.cancel(id));
  // A late answer from the hive, a second cancel, a failure: all refused.
  EXPECT_FALSE(t.complete(id, action_result{"stopped", "w1"}));
  EXPECT_FALSE(t.fail(id, errc::hive_lost, "x"));
  EXPECT_FALSE(t.cancel(id));
  EXPECT_FALSE(t.start(id));
  EXPECT_EQ(t.find(id)->state, job_state::cancelled);
  EXPECT_EQ(t.active(), 0u);
}

TEST(JobTable, EveryPairOfTerminalTransitions) {
  using step = bool (*)(job_table&, const std::string&);
  step steps[] = {[](job_table& t, const std::string& i) { return t.complete(i, action_result{"stopped", "w1"}); },
                  [](job_table& t, const std::string& i) { return t.fail(i, errc::internal, "x"); },
                  [](job_table& t, const std::string& i) { return t.cancel(i); }};
  for (bool started : {false, true})
    for (auto first : steps)
      for (auto second : steps) {
        job_table t;
        auto id = t.create("x", "").job_id;
        if (started) t.start(id);
        EXPECT_TRUE(first(t, id));
        EXPECT_FALSE(second(t, id));
        EXPECT_TRUE(is_terminal(t.find(id)->state));
      }
}

TEST(JobTable, UnknownJobs) {
  job_table t;
  EXPECT_EQ(t.find("job-nope"), nullptr);
  EXPECT_FALSE(t.start("job-nope"));
  EXPECT_FALSE(t.cancel("job-nope"));
}

TEST(JobTable, FailureWithoutACodeIsInternal) {
  job_table t;
  auto id = t.create("x", "").job_id;
  t.fail(id, errc::none, "odd");
  EXPECT_EQ(t.find(id)->error_code, errc::internal);
}

TEST(JobTable, KeepsOnlyTheNewestFinishedJobs) {
  job_table t{3};
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(t.create("x", "").job_id);
    t.cancel(ids.back());
  }
  auto running = t.create("x", "").job_id;
  EXPECT_EQ(t.find(ids[0]), nullptr);
  EXPECT_EQ(t.find(ids[1]), nullptr);
  EXPECT_NE(t.find(ids[4]), nullptr);
  EXPECT_NE(t.find(running), nullptr); // active jobs are never evicted
  EXPECT_EQ(t.list().size(), 4u);
  EXPECT_EQ(t.total(), 6u);
}

TEST(JobTable, IdsAreUnique) {
  job_table t{100000};
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) EXPECT_TRUE(seen.insert(t.create("x", "").job_id).second);
}
