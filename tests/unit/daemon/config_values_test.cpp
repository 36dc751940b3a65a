// Unit tests for the settings' value types (daemon/config_values.cpp).
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <limits>
#include <string>
#include <vector>

#include "config.hpp"
#include "config_test_util.hpp"

namespace pinhole::daemon {
namespace {

using namespace test;  // NOLINT

// ---- address helpers ----

TEST(ConfigParse, ListenForms) {
  listen_spec s;
  ASSERT_TRUE(parse_listen("192.0.2.1:80", s));
  EXPECT_EQ(s.addr.fam, stun::family::ipv4);
  EXPECT_EQ(s.addr.port, 80);
  EXPECT_EQ(s.addr.ip[0], 192);
  EXPECT_EQ(s.addr.ip[3], 1);
  EXPECT_EQ(s.addr.ip[4], 0);
  ASSERT_TRUE(parse_listen("[2001:db8::1]:3478", s));
  EXPECT_EQ(s.addr.fam, stun::family::ipv6);
  EXPECT_EQ(s.addr.ip[0], 0x20);
  EXPECT_EQ(s.addr.ip[1], 0x01);
  EXPECT_EQ(s.addr.ip[15], 1);
  EXPECT_EQ(s.text, "[2001:db8::1]:3478");
  ASSERT_TRUE(parse_listen("[::ffff:192.0.2.1]:1", s));
  EXPECT_EQ(s.addr.fam, stun::family::ipv6);
  for (const char* bad : {"",
                          ":",
                          "1.2.3.4",
                          "1.2.3.4:",
                          "1.2.3.4:x",
                          "1.2.3.4:+80",
                          "1.2.3.4:-1",
                          "1.2.3.4:123456",
                          "1.2.3.4:99999",
                          "256.1.1.1:80",
                          "1.2.3:80",
                          "01.2.3.4:80",
                          " 1.2.3.4:80",
                          "1.2.3.4 :80",
                          "host:80",
                          "::1:3478",
                          "[::1]",
                          "[::1]3478",
                          "[::1]:",
                          "[1.2.3.4]:80",
                          "[fe80::1%eth0]:80",
                          "[::1:80",
                          "::1]:80",
                          "[]:80"}) {
    EXPECT_FALSE(parse_listen(bad, s)) << bad;
  }
}

TEST(ConfigParse, Prefixes) {
  ip_prefix p;
  ASSERT_TRUE(parse_prefix("198.51.100.0/24", p));
  EXPECT_EQ(p.family, stun::family::ipv4);
  EXPECT_EQ(p.length, 24U);
  ASSERT_TRUE(parse_prefix("2001:db8::/32", p));
  EXPECT_EQ(p.family, stun::family::ipv6);
  EXPECT_EQ(p.length, 32U);
  ASSERT_TRUE(parse_prefix("192.0.2.7", p));
  EXPECT_EQ(p.length, 32U);
  ASSERT_TRUE(parse_prefix("::1", p));
  EXPECT_EQ(p.length, 128U);
  ASSERT_TRUE(parse_prefix("0.0.0.0/0", p));
  EXPECT_EQ(p.length, 0U);
  ASSERT_TRUE(parse_prefix("::/0", p));
  for (const char* bad : {"", "/24", "10.0.0.0/", "10.0.0.0/33", "10.0.0.1/8", "2001:db8::1/32", "::/129",
                          "10.0.0.0/+8", "10.0.0.0/8/8", "10.0.0.0/ 8", "example.com/8"}) {
    EXPECT_FALSE(parse_prefix(bad, p)) << bad;
  }
}

// A setting is parsed once, when assigned; text that does not parse is kept
// (validate() names it) but not valid().
TEST(ConfigParse, ParsedSettingsKeepTextAndValue) {
  const ip_setting v6 = "2001:db8::1";
  ASSERT_TRUE(v6.valid());
  EXPECT_EQ(v6.value().fam, stun::family::ipv6);
  EXPECT_EQ(v6.value().ip[0], 0x20);
  EXPECT_EQ(v6.text(), "2001:db8::1");

  const ip_setting bad = "192.0.2.300";
  EXPECT_FALSE(bad.valid());
  EXPECT_FALSE(bad.empty());
  EXPECT_EQ(bad.text(), "192.0.2.300");

  ip_setting unset;
  EXPECT_TRUE(unset.empty());
  EXPECT_FALSE(unset.valid());
  EXPECT_EQ(unset, "");

  const endpoint_setting m = "[::1]:9641";
  ASSERT_TRUE(m.valid());
  EXPECT_EQ(m.value().addr.port, 9641);
  EXPECT_FALSE(endpoint_setting("127.0.0.1").valid());

  const prefix_setting p = "198.51.100.0/24";
  ASSERT_TRUE(p.valid());
  EXPECT_EQ(p.value().length, 24U);
  EXPECT_FALSE(prefix_setting("198.51.100.1/24").valid());  // host bits set

  // Equal by text: "::1" and "0::1" are different settings as written.
  EXPECT_EQ(ip_setting("::1"), ip_setting("::1"));
  EXPECT_FALSE(ip_setting("::1") == ip_setting("0::1"));
  unset = "192.0.2.1";
  EXPECT_TRUE(unset.valid());
  unset.clear();
  EXPECT_TRUE(unset.empty());
}

}  // namespace
}  // namespace pinhole::daemon
