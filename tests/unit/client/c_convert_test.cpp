// c_convert.cpp: the C ABI's plain structs from the C++ value types.
#include "c_convert.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

using namespace pinhole;

TEST(CConvert, AddressesAsTextUnsetAsEmpty) {
  char buf[PINHOLE_ADDRESS_LEN];
  std::memset(buf, 'x', sizeof buf);
  c_api::format(*ip_endpoint::parse("203.0.113.254:61000"), buf);
  EXPECT_STREQ(buf, "203.0.113.254");
  c_api::format(*ip_endpoint::parse("[2001:db8:ffff:ffff:ffff:ffff:ffff:ffff]:1"), buf);
  EXPECT_STREQ(buf, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
  c_api::format(ip_endpoint{}, buf);
  EXPECT_STREQ(buf, "");
  c_api::format(ip_endpoint::any(ip_family::v4, 5060), buf);  // bound to any, with a port: not "unset"
  EXPECT_STREQ(buf, "0.0.0.0");
  pinhole_endpoint e;
  c_api::fill(*ip_endpoint::parse("[::1]:3478"), e);
  EXPECT_STREQ(e.address, "::1");
  EXPECT_EQ(e.port, 3478);
}

TEST(CConvert, MappingAndErrors) {
  mapping m;
  m.internal = *ip_endpoint::parse("198.18.0.10:40000");
  m.external = *ip_endpoint::parse("203.0.113.254:40000");
  m.native_handle = 12;
  pinhole_mapping c;
  std::memset(&c, 0x55, sizeof c);
  c_api::fill(m, c);
  EXPECT_STREQ(c.internal_address, "198.18.0.10");
  EXPECT_STREQ(c.external_address, "203.0.113.254");
  EXPECT_EQ(c.internal_port, 40000);
  EXPECT_EQ(c.external_port, 40000);
  EXPECT_EQ(c.native_handle, 12);
  EXPECT_EQ(c_api::to_c({}), PINHOLE_OK);
  EXPECT_EQ(c_api::to_c(make_error_code(errc::destination_dependent_mapping)), PINHOLE_E_DESTINATION_DEPENDENT_MAPPING);
  EXPECT_EQ(c_api::to_c(std::make_error_code(std::errc::permission_denied)), PINHOLE_E_SOCKET_ERROR);
  EXPECT_EQ(c_api::to_c(make_error_code(errc::out_of_memory)), PINHOLE_E_OUT_OF_MEMORY);
  ip_endpoint out;
  EXPECT_TRUE(c_api::parse("2001:db8::1", 9, out));
  EXPECT_EQ(out.family, ip_family::v6);
  EXPECT_EQ(out.port, 9);
  EXPECT_FALSE(c_api::parse("2001:db8::1:9", 9, out) && out.family == ip_family::v4);
  EXPECT_FALSE(c_api::parse(nullptr, 1, out));
  EXPECT_FALSE(c_api::parse("host.example", 1, out));
}

TEST(CConvert, SockaddrsOfBothFamilies) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(5004);
  ::inet_pton(AF_INET, "198.18.0.10", &in.sin_addr);
  ip_endpoint e;
  ASSERT_TRUE(c_api::parse(reinterpret_cast<const sockaddr*>(&in), e));
  EXPECT_EQ(e, *ip_endpoint::parse("198.18.0.10:5004"));
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(3478);
  ::inet_pton(AF_INET6, "2001:db8::1", &in6.sin6_addr);
  ASSERT_TRUE(c_api::parse(reinterpret_cast<const sockaddr*>(&in6), e));
  EXPECT_EQ(e, *ip_endpoint::parse("[2001:db8::1]:3478"));
  sockaddr other{};
  other.sa_family = AF_UNIX;
  EXPECT_FALSE(c_api::parse(&other, e));
  EXPECT_FALSE(c_api::parse(static_cast<const sockaddr*>(nullptr), e));
}
