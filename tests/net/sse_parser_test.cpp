#include "messages/sse_frame.hpp"
#include "net/sse_parser.hpp"

#include <gtest/gtest.h>

using namespace rbee;

namespace {

std::vector<net::sse_event> parse_in_pieces(const std::string& text, size_t piece) {
  std::vector<net::sse_event> out;
  net::sse_parser p;
  for (size_t i = 0; i < text.size(); i += piece)
    p.feed(std::string_view(text).substr(i, piece), [&](const net::sse_event& e) {
      out.push_back(e);
      return true;
    });
  return out;
}

} // namespace

TEST(SseFrame, HasIdEventAndData) {
  EXPECT_EQ(sse_frame(3, "done", "{}"), "id: 3\nevent: done\ndata: {}\n\n");
  EXPECT_EQ(sse_frame(1, "x", "a\nb"), "id: 1\nevent: x\ndata: a\ndata: b\n\n");
}

TEST(SseParser, ParsesWhateverTheChunking) {
  std::string text = ": hello\n\nretry: 2000\n\n" + sse_frame(1, "narration", "{\"a\":1}") +
                     sse_frame(2, "done", "x\ny") + "data: plain\r\n\r\n";
  for (size_t piece : {1u, 2u, 3u, 7u, 1000u}) {
    auto ev = parse_in_pieces(text, piece);
    ASSERT_EQ(ev.size(), 3u) << piece;
    EXPECT_EQ(ev[0].id, "1");
    EXPECT_EQ(ev[0].event, "narration");
    EXPECT_EQ(ev[0].data, "{\"a\":1}");
    EXPECT_EQ(ev[1].data, "x\ny");
    EXPECT_EQ(ev[2].event, "message");
    EXPECT_EQ(ev[2].id, "2"); // the last event id carries over
    EXPECT_EQ(ev[2].data, "plain");
  }
}

TEST(SseParser, StopsWhenAsked) {
  net::sse_parser p;
  int seen = 0;
  bool go = p.feed(sse_frame(1, "a", "1") + sse_frame(2, "a", "2"), [&](const net::sse_event&) {
    ++seen;
    return false;
  });
  EXPECT_FALSE(go);
  EXPECT_EQ(seen, 1);
}

TEST(SseParser, CountsComments) {
  net::sse_parser p;
  p.feed(": keep-alive\n\n: keep-alive\n\n", [](const net::sse_event&) { return true; });
  EXPECT_EQ(p.comments(), 2u);
}
