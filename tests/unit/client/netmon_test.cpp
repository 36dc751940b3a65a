// netmon_parse: crafted rtnetlink datagrams, well-formed and broken.
#include "netmon.hpp"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <vector>

using pinhole::client::netmon_parse;

namespace {

// Appends one message of `type` whose payload is `body` (NLMSG_ALIGN'ed).
template <class T>
void add(std::vector<std::byte>& out, std::uint16_t type, const T& body, std::size_t extra = 0) {
  nlmsghdr h{};
  h.nlmsg_len = static_cast<std::uint32_t>(NLMSG_LENGTH(sizeof(T) + extra));
  h.nlmsg_type = type;
  const auto at = out.size();
  out.resize(at + NLMSG_ALIGN(h.nlmsg_len));
  std::memcpy(out.data() + at, &h, sizeof h);
  std::memcpy(out.data() + at + NLMSG_HDRLEN, &body, sizeof body);
}

rtmsg route(std::uint8_t dst_len, std::uint8_t table = RT_TABLE_MAIN, std::uint8_t type = RTN_UNICAST) {
  rtmsg r{};
  r.rtm_family = AF_INET;
  r.rtm_dst_len = dst_len;
  r.rtm_table = table;
  r.rtm_type = type;
  return r;
}

}  // namespace

TEST(Netmon, CountsLinksAddressesRoutes) {
  std::vector<std::byte> d;
  add(d, RTM_NEWLINK, ifinfomsg{});
  add(d, RTM_DELADDR, ifaddrmsg{}, 8);  // with an attribute after the struct
  add(d, RTM_NEWADDR, ifaddrmsg{});
  add(d, RTM_DELROUTE, route(0));
  add(d, RTM_NEWROUTE, route(24));
  const auto s = netmon_parse(d);
  EXPECT_EQ(s.links, 1U);
  EXPECT_EQ(s.addresses, 2U);
  EXPECT_EQ(s.routes, 2U);
  EXPECT_EQ(s.default_routes, 1U);
  EXPECT_EQ(s.malformed, 0U);
  EXPECT_TRUE(s.changed());
}

TEST(Netmon, IgnoresLocalBroadcastAndClonedRoutes) {
  std::vector<std::byte> d;
  add(d, RTM_NEWROUTE, route(32, RT_TABLE_LOCAL, RTN_LOCAL));
  add(d, RTM_NEWROUTE, route(32, RT_TABLE_MAIN, RTN_BROADCAST));
  auto cloned = route(32);
  cloned.rtm_flags = RTM_F_CLONED;
  add(d, RTM_NEWROUTE, cloned);
  add(d, RTM_NEWNEIGH, ndmsg{});
  nlmsghdr done{};
  add(d, NLMSG_DONE, done);
  const auto s = netmon_parse(d);
  EXPECT_EQ(s.routes, 0U);
  EXPECT_EQ(s.ignored, 5U);
  EXPECT_EQ(s.malformed, 0U);
  EXPECT_FALSE(s.changed());
}

TEST(Netmon, OverrunIsAChange) {
  std::vector<std::byte> d;
  nlmsgerr e{};
  e.error = -ENOBUFS;
  add(d, NLMSG_ERROR, e);
  const auto s = netmon_parse(d);
  EXPECT_TRUE(s.overrun);
  EXPECT_TRUE(s.changed());
  std::vector<std::byte> ack;
  nlmsgerr ok{};
  add(ack, NLMSG_ERROR, ok);
  EXPECT_FALSE(netmon_parse(ack).changed());
}

TEST(Netmon, EmptyDatagram) {
  const auto s = netmon_parse({});
  EXPECT_FALSE(s.changed());
  EXPECT_EQ(s.malformed, 0U);
}

TEST(Netmon, LengthBeyondTheDatagramStops) {
  std::vector<std::byte> d;
  add(d, RTM_NEWLINK, ifinfomsg{});
  nlmsghdr h{};
  std::memcpy(&h, d.data(), sizeof h);
  h.nlmsg_len = 4096;  // claims more than there is
  std::memcpy(d.data(), &h, sizeof h);
  const auto s = netmon_parse(d);
  EXPECT_EQ(s.malformed, 1U);
  EXPECT_EQ(s.links, 0U);
}

TEST(Netmon, LengthShorterThanHeaderStops) {
  std::vector<std::byte> d;
  add(d, RTM_NEWLINK, ifinfomsg{});
  add(d, RTM_NEWLINK, ifinfomsg{});
  nlmsghdr h{};
  std::memcpy(&h, d.data(), sizeof h);
  h.nlmsg_len = 3;  // would loop forever if taken as the step
  std::memcpy(d.data(), &h, sizeof h);
  const auto s = netmon_parse(d);
  EXPECT_EQ(s.malformed, 1U);
  EXPECT_EQ(s.links, 0U);
}

TEST(Netmon, PayloadShorterThanItsTypeIsMalformed) {
  std::vector<std::byte> d;
  add(d, RTM_NEWADDR, ifaddrmsg{});
  nlmsghdr h{};
  std::memcpy(&h, d.data(), sizeof h);
  h.nlmsg_len = NLMSG_HDRLEN + 2;  // an ifaddrmsg needs 8
  std::memcpy(d.data(), &h, sizeof h);
  d.resize(NLMSG_HDRLEN + 2);
  const auto s = netmon_parse(d);
  EXPECT_EQ(s.malformed, 1U);
  EXPECT_EQ(s.addresses, 0U);
}

TEST(Netmon, EveryTruncationIsDefined) {
  // A real burst cut at every length: the messages wholly inside count,
  // a cut one is malformed, nothing is read past the end (ASan).
  std::vector<std::byte> d;
  add(d, RTM_DELADDR, ifaddrmsg{}, 16);
  add(d, RTM_DELROUTE, route(0));
  add(d, RTM_NEWLINK, ifinfomsg{}, 20);
  for (std::size_t n = 0; n <= d.size(); ++n) {
    std::vector<std::byte> cut(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(n));
    const auto s = netmon_parse(cut);
    EXPECT_LE(s.addresses + s.routes + s.links, 3U) << n;
    if (n == d.size()) {
      EXPECT_EQ(s.addresses + s.routes + s.links, 3U);
      EXPECT_EQ(s.malformed, 0U);
    }
    if (n > 0 && n < NLMSG_HDRLEN) {
      EXPECT_EQ(s.malformed, 1U) << n;
    }
  }
}

TEST(Netmon, GarbageNeverCrashes) {
  std::vector<std::byte> d(257);
  std::uint32_t x = 12345;
  for (int round = 0; round < 2000; ++round) {
    for (auto& b : d) {
      x = x * 1103515245U + 12345U;
      b = static_cast<std::byte>(x >> 24);
    }
    (void)netmon_parse(std::span<const std::byte>(d).first(x % d.size()));
  }
  SUCCEED();
}
