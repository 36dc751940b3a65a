// turn_allocation's timing decisions (the state machine runs against coturn
// and a scripted server in tests/integration/client_turn_test.cpp).
#include "turn_client.hpp"

#include <gtest/gtest.h>

using pinhole::client::turn_allocation;
using namespace std::chrono_literals;

TEST(TurnClient, RefreshAtHalfTheLifetime) {
  EXPECT_EQ(turn_allocation::refresh_interval(600), 300s);
  EXPECT_EQ(turn_allocation::refresh_interval(60), 30s);
  EXPECT_EQ(turn_allocation::refresh_interval(2), 1s);
}

TEST(TurnClient, AbsurdLifetimesAreClamped) {
  EXPECT_EQ(turn_allocation::refresh_interval(1), 1s);  // never a busy loop
  EXPECT_EQ(turn_allocation::refresh_interval(0), 1s);
  EXPECT_EQ(turn_allocation::refresh_interval(0xFFFFFFFFU), 300s);  // days: refreshed as if 600 s
}

TEST(TurnClient, TurnUris) {
  pinhole::ip_endpoint e;
  ASSERT_FALSE(pinhole::client::parse_turn_uri("turn:192.0.2.1", e));
  EXPECT_EQ(e.to_string(), "192.0.2.1:3478");
  ASSERT_FALSE(pinhole::client::parse_turn_uri("turn:192.0.2.1:5349?transport=udp", e));
  EXPECT_EQ(e.port, 5349);
  ASSERT_FALSE(pinhole::client::parse_turn_uri("turn:[2001:db8::1]:3479", e));
  EXPECT_EQ(e.to_string(), "[2001:db8::1]:3479");
  ASSERT_FALSE(pinhole::client::parse_turn_uri("turn:localhost:3480", e));
  EXPECT_EQ(e.port, 3480);
  EXPECT_TRUE(pinhole::client::parse_turn_uri("stun:192.0.2.1", e));
  EXPECT_TRUE(pinhole::client::parse_turn_uri("turn:", e));
  EXPECT_TRUE(pinhole::client::parse_turn_uri("turn:192.0.2.1?transport=tcp", e));
  EXPECT_TRUE(pinhole::client::parse_turn_uri("turn:host:99999", e));
}
