// Default gateways from the text of /proc/net/route and /proc/net/ipv6_route
// (the formats of Linux's fib_route_seq_show and ipv6_route_native_seq_show).
#include "gateways.hpp"

#include <gtest/gtest.h>

using namespace pinhole;
using namespace pinhole::client;

TEST(Gateways, Ipv4DefaultRouteLowestMetricFirst) {
  const char* text =
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
      "eth0\t00000000\t010012C6\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
      "eth0\t000012C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
      "wlan0\t00000000\t FE7100CB\t0003\t0\t0\t50\t00000000\t0\t0\t0\n"
      "eth1\t00000000\t020012C6\t0001\t0\t0\t10\t00000000\t0\t0\t0\n"  // no RTF_GATEWAY
      "junk line\n";
  const auto gw = parse_ipv4_routes(text);
  ASSERT_EQ(gw.size(), 2U);
  EXPECT_EQ(gw[0].ip_string(), "203.0.113.254");
  EXPECT_EQ(gw[1].ip_string(), "198.18.0.1");
}

TEST(Gateways, Ipv6DefaultRouteSkipsLinkLocal) {
  const char* text =
      "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
      "fe800000000000000000000000000001 00000400 00000001 00000000 00450003 eth0\n"
      "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
      "20010db8000100000000000000000001 00000064 00000001 00000000 00450003 eth0\n"
      "20010db8000100000000000000000000 40 00000000000000000000000000000000 00 "
      "00000000000000000000000000000000 00000100 00000001 00000000 00000001 eth0\n";
  const auto gw = parse_ipv6_routes(text);
  ASSERT_EQ(gw.size(), 1U);
  EXPECT_EQ(gw[0].ip_string(), "2001:db8:1::1");
}

TEST(Gateways, EmptyAndGarbage) {
  EXPECT_TRUE(parse_ipv4_routes("").empty());
  EXPECT_TRUE(parse_ipv6_routes("zz").empty());
  EXPECT_TRUE(parse_ipv4_routes("eth0 00000000 XYZ 0003 0 0 0 00000000\n").empty());
}
