// ip_endpoint text forms and port-type helpers.
#include "pinhole/types.hpp"

#include <gtest/gtest.h>

using namespace pinhole;

TEST(IpEndpoint, ParsesAndPrintsBothFamilies) {
  const auto v4 = ip_endpoint::parse("192.0.2.1:3478");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->family, ip_family::v4);
  EXPECT_EQ(v4->port, 3478);
  EXPECT_EQ(v4->to_string(), "192.0.2.1:3478");
  const auto v6 = ip_endpoint::parse("[2001:db8::1]:5");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->family, ip_family::v6);
  EXPECT_EQ(v6->to_string(), "[2001:db8::1]:5");
  EXPECT_EQ(v6->ip_string(), "2001:db8::1");
}

TEST(IpEndpoint, PortIsOptionalOnlyWhenAllowed) {
  EXPECT_FALSE(ip_endpoint::parse("192.0.2.1"));
  EXPECT_FALSE(ip_endpoint::parse("::1"));
  const auto a = ip_endpoint::parse("192.0.2.1", true);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->port, 0);
  const auto b = ip_endpoint::parse("::1", true);
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->is_loopback());
  EXPECT_TRUE(ip_endpoint::parse("[::1]", true));
}

TEST(IpEndpoint, RejectsGarbage) {
  for (const char* bad : {"", "1.2.3.4:", "1.2.3.4:65536", "1.2.3:4", "[::1", "[::1]:", "host:1", "1.2.3.4:x"}) {
    EXPECT_FALSE(ip_endpoint::parse(bad, true)) << bad;
  }
}

TEST(IpEndpoint, Predicates) {
  EXPECT_TRUE(ip_endpoint::any(ip_family::v4).is_unspecified());
  EXPECT_TRUE(ip_endpoint::any(ip_family::v6).is_unspecified());
  EXPECT_TRUE(ip_endpoint::parse("127.0.0.2:1")->is_loopback());
  EXPECT_FALSE(ip_endpoint::parse("10.0.0.1:1")->is_loopback());
  EXPECT_TRUE(ip_endpoint::parse("10.0.0.1:1")->same_ip(*ip_endpoint::parse("10.0.0.1:2")));
  EXPECT_FALSE(ip_endpoint::parse("10.0.0.1:1")->same_ip(*ip_endpoint::parse("[::1]:1")));
}

TEST(PortType, NamesPartnersAndRange) {
  EXPECT_STREQ(to_string(port_type::audio_rtp), "AUDIO_RTP");
  EXPECT_STREQ(to_string(port_type::sip), "SIP");
  EXPECT_EQ(static_cast<int>(port_type::video_rtcp), 3);
  EXPECT_EQ(rtcp_partner(port_type::audio_rtp), port_type::audio_rtcp);
  EXPECT_EQ(rtcp_partner(port_type::video_rtp), port_type::video_rtcp);
  EXPECT_FALSE(rtcp_partner(port_type::sip));
  EXPECT_TRUE(is_rtcp(port_type::video_rtcp));
  EXPECT_FALSE(is_rtcp(port_type::audio_rtp));
  EXPECT_TRUE(port_type_from_int(4));
  EXPECT_FALSE(port_type_from_int(5));
  EXPECT_FALSE(port_type_from_int(-1));
}
