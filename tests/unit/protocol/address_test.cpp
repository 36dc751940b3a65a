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

TEST(Address, ParsePortRuleOptional) {
  using pinhole::stun::port_rule;
  const auto a = transport_address::parse("192.0.2.1", port_rule::optional);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->port, 0);
  EXPECT_EQ(a->fam, family::ipv4);
  for (const char* text : {"::1", "[::1]"}) {
    const auto b = transport_address::parse(text, port_rule::optional);
    ASSERT_TRUE(b) << text;
    EXPECT_TRUE(b->is_loopback()) << text;
    EXPECT_EQ(b->port, 0) << text;
  }
  EXPECT_EQ(transport_address::parse("[2001:db8::7]:65535", port_rule::optional)->port, 65535);
  EXPECT_FALSE(transport_address::parse("192.0.2.1"));
  EXPECT_FALSE(transport_address::parse("[::1]"));
}

TEST(Address, RejectsBadTextEitherRule) {
  using pinhole::stun::port_rule;
  for (const char* bad : {"",
                          ":",
                          "1.2.3.4:",
                          "1.2.3.4:x",
                          "1.2.3.4:+80",
                          "1.2.3.4:-1",
                          "1.2.3.4:123456",
                          "1.2.3.4:99999",
                          "1.2.3.4:000080",
                          "256.1.1.1:80",
                          "1.2.3:80",
                          "01.2.3.4:80",
                          " 1.2.3.4:80",
                          "1.2.3.4 :80",
                          "1.2.3.4:80 ",
                          "host:80",
                          "[::1",
                          "[::1]:",
                          "[::1]3478",
                          "[1.2.3.4]:80",
                          "[fe80::1%eth0]:80",
                          "fe80::1%eth0",
                          "::1]:80",
                          "[]:80",
                          "[[::1]]:80",
                          "1111:2222:3333:4444:5555:6666:7777:8888:9999"}) {
    EXPECT_FALSE(transport_address::parse(bad)) << bad;
    EXPECT_FALSE(transport_address::parse(bad, port_rule::optional)) << bad;
  }
  const std::string long_text(100, '1');
  EXPECT_FALSE(transport_address::parse(long_text, port_rule::optional));
  EXPECT_FALSE(transport_address::parse("[" + long_text + "]:1"));
}

TEST(Address, ParseLiteralTakesNoBracketsOrPort) {
  EXPECT_EQ(transport_address::parse_literal("2001:db8::1")->fam, family::ipv6);
  EXPECT_EQ(transport_address::parse_literal("198.51.100.1", 7)->to_string(), "198.51.100.1:7");
  for (const char* bad : {"", "[::1]", "1.2.3.4:5", "::1%lo", "nope"}) {
    EXPECT_FALSE(transport_address::parse_literal(bad)) << bad;
  }
}

TEST(Address, FormatsInCanonicalForm) {
  // RFC 5952 §4: leading zeros dropped, longest zero run as "::", lower case.
  EXPECT_EQ(transport_address::parse("[2001:0DB8:0:0:0:0:0:1]:1")->to_string(), "[2001:db8::1]:1");
  EXPECT_EQ(transport_address::parse("[::ffff:192.0.2.1]:2")->ip_string(), "::ffff:192.0.2.1");
  EXPECT_EQ(transport_address::any(family::ipv6, 9).to_string(), "[::]:9");
  EXPECT_EQ(transport_address::any(family::ipv4).to_string(), "0.0.0.0:0");
  // Every formatted address parses back to itself.
  for (const char* text : {"0.0.0.0:0", "255.255.255.255:65535", "[::]:1", "[fe80::1]:2", "[2001:db8:1:2:3:4:5:6]:3"}) {
    const auto a = transport_address::parse(text);
    ASSERT_TRUE(a) << text;
    EXPECT_EQ(a->to_string(), text);
    EXPECT_EQ(transport_address::parse(a->to_string()), a) << text;
  }
}

TEST(Address, Predicates) {
  EXPECT_TRUE(transport_address::any(family::ipv4).is_unspecified());
  EXPECT_TRUE(transport_address::any(family::ipv6).is_unspecified());
  EXPECT_FALSE(transport_address::parse("[::1]:1")->is_unspecified());
  EXPECT_TRUE(transport_address::parse("127.0.0.2:1")->is_loopback());
  EXPECT_FALSE(transport_address::parse("10.0.0.1:1")->is_loopback());
  EXPECT_FALSE(transport_address::parse("[::2]:1")->is_loopback());
  EXPECT_FALSE(transport_address::parse("10.0.0.1:1")->same_ip(*transport_address::parse("[::1]:1")));
}

TEST(Address, V4MappedConverts) {
  const auto mapped = *transport_address::parse("[::ffff:192.0.2.7]:3478");
  const auto v4 = *transport_address::parse("192.0.2.7:3478");
  EXPECT_TRUE(mapped.is_v4_mapped());
  EXPECT_EQ(mapped.unmap_v4(), v4);
  EXPECT_EQ(v4.map_v4(), mapped);
  EXPECT_EQ(v4.unmap_v4(), v4);
  EXPECT_FALSE(v4.is_v4_mapped());
  // ::ffff:0:a.b.c.d is the IPv4-translated form (RFC 2765), not mapped.
  for (const char* text : {"[2001:db8::1]:1", "[::1]:1", "[::]:1", "[::ffff:0:192.0.2.7]:1", "[::192.0.2.7]:1"}) {
    const auto a = *transport_address::parse(text);
    EXPECT_FALSE(a.is_v4_mapped()) << text;
    EXPECT_EQ(a.unmap_v4(), a) << text;
    EXPECT_EQ(a.map_v4(), a) << text;
  }
}
