// The connection and stream caps' counting, alone.
#include "net/conn_limits.hpp"

#include <gtest/gtest.h>

using rbee::net::conn_limits;

TEST(ConnLimits, PerClientAndInAll) {
  conn_limits l({5, 2, 3, 1});
  EXPECT_TRUE(l.admit("a"));
  EXPECT_TRUE(l.admit("a"));
  EXPECT_FALSE(l.admit("a")); // per client
  EXPECT_TRUE(l.admit("b"));
  EXPECT_TRUE(l.admit("b"));
  EXPECT_TRUE(l.admit("c"));
  EXPECT_FALSE(l.admit("d")); // in all
  EXPECT_EQ(l.connections(), 5);
  l.leave("c", false);
  EXPECT_TRUE(l.admit("d"));
}

TEST(ConnLimits, AStreamMovesOutOfTheConnections) {
  conn_limits l({2, 2, 3, 1});
  ASSERT_TRUE(l.admit("a"));
  ASSERT_TRUE(l.admit("a"));
  EXPECT_TRUE(l.to_stream("a"));
  EXPECT_EQ(l.connections(), 1);
  EXPECT_EQ(l.streams(), 1);
  EXPECT_TRUE(l.admit("a"));     // the stream no longer counts as a connection
  EXPECT_FALSE(l.to_stream("a")); // one stream per client
  EXPECT_EQ(l.connections(), 2);
  l.leave("a", true);
  EXPECT_TRUE(l.to_stream("a"));
  l.leave("a", true);
  l.leave("a", false);
  EXPECT_EQ(l.connections(), 0);
  EXPECT_EQ(l.streams(), 0);
  l.leave("nobody", false); // harmless
  EXPECT_EQ(l.connections(), 0);
}
