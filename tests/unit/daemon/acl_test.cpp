// The client allow-list: prefix matching for IPv4, IPv6 and IPv4-mapped IPv6.
#include "acl.hpp"
#include "outcome_util.hpp"

#include <gtest/gtest.h>

using namespace pinhole::daemon;
using pinhole::stun::transport_address;

namespace {

transport_address ip(const char* text) { return *transport_address::parse_ip(text, 3478); }

acl make(std::vector<prefix_setting> prefixes) {
  acl a;
  std::string error;
  EXPECT_TRUE(succeeded(acl::build(prefixes, a), error)) << error;
  return a;
}

}  // namespace

TEST(Acl, EmptyAllowsEveryone) {
  const acl a;
  EXPECT_TRUE(a.empty());
  EXPECT_TRUE(a.allows(ip("192.0.2.1")));
  EXPECT_TRUE(a.allows(ip("2001:db8::1")));
}

TEST(Acl, Ipv4Prefixes) {
  const acl a = make({"198.51.100.0/24", "10.0.0.0/8", "192.0.2.7"});
  EXPECT_EQ(a.size(), 3U);
  EXPECT_TRUE(a.allows(ip("198.51.100.0")));
  EXPECT_TRUE(a.allows(ip("198.51.100.255")));
  EXPECT_FALSE(a.allows(ip("198.51.101.0")));
  EXPECT_TRUE(a.allows(ip("10.255.1.2")));
  EXPECT_FALSE(a.allows(ip("11.0.0.0")));
  EXPECT_TRUE(a.allows(ip("192.0.2.7")));  // bare IP = /32
  EXPECT_FALSE(a.allows(ip("192.0.2.8")));
  EXPECT_FALSE(a.allows(ip("2001:db8::1")));  // no IPv6 prefix listed: IPv6 denied
}

TEST(Acl, Ipv6PrefixesAcrossThe64BitBoundary) {
  const acl a = make({"2001:db8::/32", "2001:db8:ffff:ffff:ffff:ff00::/88", "fe80::1"});
  EXPECT_TRUE(a.allows(ip("2001:db8::1")));
  EXPECT_TRUE(a.allows(ip("2001:db8:1234::")));
  EXPECT_FALSE(a.allows(ip("2001:db9::1")));
  EXPECT_TRUE(a.allows(ip("fe80::1")));
  EXPECT_FALSE(a.allows(ip("fe80::2")));
  EXPECT_FALSE(a.allows(ip("198.51.100.1")));

  const acl b = make({"2001:db8:0:0:8000::/65"});
  EXPECT_TRUE(b.allows(ip("2001:db8::8000:0:0:1")));
  EXPECT_FALSE(b.allows(ip("2001:db8::7fff:0:0:1")));
}

TEST(Acl, ZeroLengthPrefixAllowsTheWholeFamily) {
  const acl a = make({"0.0.0.0/0"});
  EXPECT_TRUE(a.allows(ip("203.0.113.9")));
  EXPECT_FALSE(a.allows(ip("::1")));
  const acl b = make({"::/0"});
  EXPECT_TRUE(b.allows(ip("2001:db8::9")));
}

TEST(Acl, Ipv4MappedSourcesAreCheckedAsIpv4) {
  const acl a = make({"127.0.0.0/8"});
  EXPECT_TRUE(a.allows(ip("::ffff:127.0.0.1")));
  EXPECT_FALSE(a.allows(ip("::ffff:192.0.2.1")));
}

TEST(Acl, RejectsBadPrefixesAndKeepsTheOldList) {
  acl a = make({"192.0.2.0/24"});
  std::string error;
  EXPECT_FALSE(succeeded(acl::build({"192.0.2.1/24"}, a), error));  // host bits set
  EXPECT_NE(error.find("config: allow:"), std::string::npos) << error;
  EXPECT_EQ(a.size(), 1U);
  EXPECT_FALSE(succeeded(acl::build({"not-an-ip"}, a), error));
  EXPECT_FALSE(succeeded(acl::build({"10.0.0.0/33"}, a), error));
}
