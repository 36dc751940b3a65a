// Event names.
#include "pinhole/events.hpp"

#include <gtest/gtest.h>

using namespace pinhole;

TEST(Events, Names) {
  EXPECT_STREQ(to_string(event_type::mapping_changed), "mapping_changed");
  EXPECT_STREQ(to_string(event_type::mapping_lost), "mapping_lost");
  EXPECT_STREQ(to_string(event_type::server_unreachable), "server_unreachable");
}
