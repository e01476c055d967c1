#include "actors/bridge/event_log.hpp"

#include "net/sse_parser.hpp"

#include <gtest/gtest.h>

using namespace rbee;

namespace {

/// Collects frames; can pretend to be closed.
struct test_sink : event_sink {
  std::vector<std::string> frames;
  bool ended = false;
  bool open = true;
  bool push(const bridge_event& e, bool last) override {
    if (!open) return false;
    frames.push_back(*e.frame);
    ended = ended || last;
    return true;
  }
  std::vector<net::sse_event> events() const {
    std::vector<net::sse_event> out;
    net::sse_parser p;
    for (auto& f : frames) p.feed(f, [&](const net::sse_event& e) { out.push_back(e); return true; });
    return out;
  }
};

void add(event_log& log, const std::string& data, bool terminal = false) {
  log.append(terminal ? "done" : "narration", [&](uint64_t) { return data; }, terminal);
}

} // namespace

TEST(EventLog, IdsAreMonotonicAndFramesWellFormed) {
  event_log log{16};
  auto s = std::make_shared<test_sink>();
  log.subscribe({"j", false, 0, s});
  add(log, "a");
  add(log, "b");
  add(log, "c", true);
  auto ev = s->events();
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0].id, "1");
  EXPECT_EQ(ev[2].id, "3");
  EXPECT_EQ(ev[1].data, "b");
  EXPECT_EQ(ev[2].event, "done");
  EXPECT_TRUE(s->ended);
  EXPECT_EQ(s->frames[0], "id: 1\nevent: narration\ndata: a\n\n");
}

TEST(EventLog, LastEventIdResumesExactlyAfter) {
  event_log log{16};
  for (auto d : {"a", "b", "c", "d"}) add(log, d);
  auto s = std::make_shared<test_sink>();
  log.subscribe({"j", true, 2, s});
  auto ev = s->events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].data, "c");
  EXPECT_EQ(ev[1].data, "d");
  add(log, "e");
  EXPECT_EQ(s->events().back().data, "e");
}

TEST(EventLog, TerminalEventCanAlwaysBeReplayed) {
  event_log log{2};
  for (auto d : {"a", "b", "c", "d"}) add(log, d);
  add(log, "end", true);
  EXPECT_TRUE(log.closed());
  auto s = std::make_shared<test_sink>();
  log.subscribe({"j", true, 1, s});
  auto ev = s->events();
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev.back().data, "end");
  EXPECT_TRUE(s->ended);
  EXPECT_NE(s->frames[0].find("earlier events are no longer kept"), std::string::npos);
  // After the end: nothing more is appended, subscribers are not kept.
  EXPECT_EQ(log.append("narration", [](uint64_t) { return std::string("late"); }), 0u);
  EXPECT_EQ(log.subscribers(), 0u);
}

TEST(EventLog, ResumingAfterTheEndEndsAtOnce) {
  event_log log{4};
  add(log, "a");
  add(log, "end", true);
  auto s = std::make_shared<test_sink>();
  log.subscribe({"j", true, 2, s});
  EXPECT_TRUE(s->ended);
  EXPECT_TRUE(s->events().empty());
}

TEST(EventLog, FansOutToEverySubscriberAndDropsClosedOnes) {
  event_log log{16};
  std::vector<std::shared_ptr<test_sink>> sinks;
  for (int i = 0; i < 10; ++i) {
    sinks.push_back(std::make_shared<test_sink>());
    log.subscribe({"j", false, 0, sinks.back()});
  }
  add(log, "a");
  sinks[3]->open = false;
  add(log, "b");
  EXPECT_EQ(log.subscribers(), 9u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(sinks[i]->events().size(), i == 3 ? 1u : 2u);
}

TEST(EventLog, BogusLastEventIdReplaysNothing) {
  event_log log{16};
  add(log, "a");
  auto s = std::make_shared<test_sink>();
  log.subscribe({"j", true, 999, s});
  EXPECT_TRUE(s->events().empty());
  add(log, "b");
  EXPECT_EQ(s->events().size(), 1u);
}
