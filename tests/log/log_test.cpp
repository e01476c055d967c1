// One named logger per component, one level for all: a level set later reaches the
// loggers made before it, a logger made later starts at it, a name it does not know
// means info, and "off" means off.
#include "log/log.hpp"

#include <gtest/gtest.h>
#include <spdlog/logger.h>

using namespace rbee;

TEST(Logging, OneLevelForEveryComponent) {
  auto queen = logging::get("queen");
  ASSERT_NE(queen, nullptr);
  EXPECT_EQ(logging::get("queen"), queen); // one per name
  logging::set_level("warn");
  EXPECT_EQ(queen->level(), spdlog::level::warn);
  auto later = logging::get("test-later");
  EXPECT_EQ(later->level(), spdlog::level::warn);
  logging::set_level("debug");
  EXPECT_EQ(queen->level(), spdlog::level::debug);
  EXPECT_EQ(later->level(), spdlog::level::debug);
  logging::set_level("shouting");
  EXPECT_EQ(queen->level(), spdlog::level::info);
  logging::set_level("off");
  EXPECT_EQ(later->level(), spdlog::level::off);
  logging::set_level("info");
}
