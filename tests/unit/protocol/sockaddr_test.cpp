#include "stun/sockaddr.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/un.h>

#include <cstring>

using pinhole::stun::family;
using pinhole::stun::transport_address;
namespace stun = pinhole::stun;

TEST(Sockaddr, RoundTrips) {
  for (const char* text : {"192.0.2.1:3478", "[2001:db8::1]:5349", "0.0.0.0:0", "[::]:9", "[::ffff:192.0.2.1]:1",
                           "255.255.255.255:65535"}) {
    const auto a = *transport_address::parse(text);
    sockaddr_storage ss;
    std::memset(&ss, 0xab, sizeof ss);
    const socklen_t len = stun::to_sockaddr(a, ss);
    EXPECT_EQ(len, a.fam == family::ipv4 ? sizeof(sockaddr_in) : sizeof(sockaddr_in6)) << text;
    EXPECT_EQ(ss.ss_family, stun::address_family(a.fam)) << text;
    transport_address back;
    ASSERT_TRUE(stun::from_sockaddr(ss, back)) << text;
    EXPECT_EQ(back, a) << text;
  }
}

TEST(Sockaddr, WritesWhatTheKernelReads) {
  sockaddr_storage ss;
  stun::to_sockaddr(*transport_address::parse("198.51.100.7:3478"), ss);
  sockaddr_in sin;
  std::memcpy(&sin, &ss, sizeof sin);
  EXPECT_EQ(sin.sin_family, AF_INET);
  EXPECT_EQ(ntohs(sin.sin_port), 3478);
  char text[INET_ADDRSTRLEN] = {};
  ASSERT_NE(inet_ntop(AF_INET, &sin.sin_addr, text, sizeof text), nullptr);
  EXPECT_STREQ(text, "198.51.100.7");

  stun::to_sockaddr(*transport_address::parse("[2001:db8::5]:1"), ss);
  sockaddr_in6 sin6;
  std::memcpy(&sin6, &ss, sizeof sin6);
  EXPECT_EQ(sin6.sin6_family, AF_INET6);
  EXPECT_EQ(sin6.sin6_scope_id, 0U);
  EXPECT_EQ(sin6.sin6_flowinfo, 0U);
  char text6[INET6_ADDRSTRLEN] = {};
  ASSERT_NE(inet_ntop(AF_INET6, &sin6.sin6_addr, text6, sizeof text6), nullptr);
  EXPECT_STREQ(text6, "2001:db8::5");
}

TEST(Sockaddr, ReadsAPlainSockaddrIn) {
  // A C caller's sockaddr_in, not a sockaddr_storage: only its own bytes are read.
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(5060);
  ASSERT_EQ(inet_pton(AF_INET, "203.0.113.9", &sin.sin_addr), 1);
  transport_address a;
  ASSERT_TRUE(stun::from_sockaddr(reinterpret_cast<const sockaddr*>(&sin), a));
  EXPECT_EQ(a.to_string(), "203.0.113.9:5060");
  EXPECT_EQ(a.ip[4], 0);  // the rest of the 16 bytes stays zero
}

TEST(Sockaddr, DropsTheScopeId) {
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(9);
  sin6.sin6_scope_id = 2;
  ASSERT_EQ(inet_pton(AF_INET6, "fe80::1", &sin6.sin6_addr), 1);
  transport_address a;
  ASSERT_TRUE(stun::from_sockaddr(reinterpret_cast<const sockaddr*>(&sin6), a));
  EXPECT_EQ(a.to_string(), "[fe80::1]:9");
}

TEST(Sockaddr, RefusesOtherFamiliesAndNull) {
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  transport_address out = *transport_address::parse("192.0.2.1:1");
  EXPECT_FALSE(stun::from_sockaddr(reinterpret_cast<const sockaddr*>(&un), out));
  EXPECT_EQ(out, transport_address{});
  EXPECT_FALSE(stun::from_sockaddr(nullptr, out));
  EXPECT_EQ(stun::address_family(family::ipv4), AF_INET);
  EXPECT_EQ(stun::address_family(family::ipv6), AF_INET6);
}
