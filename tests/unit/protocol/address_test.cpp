#include "stun/address.hpp"

#include <gtest/gtest.h>

using pinhole::stun::family;
using pinhole::stun::transport_address;

TEST(Address, ParsesAndPrintsIpv4) {
  auto a = transport_address::parse("198.51.100.9:3478");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->fam, family::ipv4);
  EXPECT_EQ(a->port, 3478);
  EXPECT_EQ(a->ip[0], 198);
  EXPECT_EQ(a->to_string(), "198.51.100.9:3478");
}

TEST(Address, ParsesAndPrintsIpv6) {
  auto a = transport_address::parse("[2001:db8::1]:0");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->fam, family::ipv6);
  EXPECT_EQ(a->to_string(), "[2001:db8::1]:0");
}

TEST(Address, RejectsBadInput) {
  for (const char* bad : {"", "1.2.3.4", "1.2.3.4:", "1.2.3.4:65536", "1.2.3.4:-1", "1.2.3.4:12x", "2001:db8::1:3478",
                          "[2001:db8::1]", "[2001:db8::1]3478", "999.1.1.1:1", "host:3478", "[1.2.3.4]:5"}) {
    EXPECT_FALSE(transport_address::parse(bad)) << bad;
  }
}

TEST(Address, SameIpIgnoresPort) {
  auto a = *transport_address::parse("203.0.113.1:1");
  auto b = *transport_address::parse("203.0.113.1:2");
  auto c = *transport_address::parse("203.0.113.2:1");
  EXPECT_TRUE(a.same_ip(b));
  EXPECT_FALSE(a.same_ip(c));
  EXPECT_NE(a, b);
}

TEST(Address, ParseIpAcceptsBrackets) {
  auto a = transport_address::parse_ip("[::1]", 5);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->to_string(), "[::1]:5");
  EXPECT_FALSE(transport_address::parse_ip("nope", 5));
}
