#include "net/http_error.hpp"

#include <gtest/gtest.h>

using namespace rbee;

TEST(HttpError, StatusForEveryCode) {
  EXPECT_EQ(net::status_for(errc::bad_request), 400u);
  EXPECT_EQ(net::status_for(errc::unauthorized), 401u);
  EXPECT_EQ(net::status_for(errc::forbidden), 403u);
  EXPECT_EQ(net::status_for(errc::job_not_found), 404u);
  EXPECT_EQ(net::status_for(errc::payload_too_large), 413u);
  EXPECT_EQ(net::status_for(errc::invalid_value), 422u);
  EXPECT_EQ(net::status_for(errc::hive_lost), 503u);
  EXPECT_EQ(net::status_for(errc::not_implemented), 501u);
  for (int c = 1; c <= static_cast<int>(errc::internal); ++c) {
    auto s = net::status_for(static_cast<errc>(c));
    EXPECT_GE(s, 400u) << c;
    EXPECT_LT(s, 600u) << c;
    EXPECT_STRNE(net::reason_for(s), "") << c;
  }
}
