// Event names.
#include "pinhole/events.hpp"

#include <gtest/gtest.h>

using namespace pinhole;

TEST(Events, Names) {
  EXPECT_STREQ(to_string(event_type::mapping_changed), "mapping_changed");
  EXPECT_STREQ(to_string(event_type::mapping_lost), "mapping_lost");
  EXPECT_STREQ(to_string(event_type::server_unreachable), "server_unreachable");
  EXPECT_STREQ(to_string(event_type::server_recovered), "server_recovered");
  EXPECT_STREQ(to_string(event_type::mapping_restored), "mapping_restored");
  EXPECT_EQ(static_cast<int>(event_type::mapping_restored), 4);  // appended: values stay stable
  EXPECT_STREQ(to_string(event_type::network_changed), "network_changed");
  EXPECT_EQ(static_cast<int>(event_type::network_changed), 5);
}
