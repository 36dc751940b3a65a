// Port ranges and even/odd RTP/RTCP pairs, with a fake bind and with real
// sockets.
#include "port_allocator.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <set>

#include "pinhole/errors.hpp"
#include "udp_io.hpp"

using namespace pinhole;
using namespace pinhole::client;

namespace {
std::error_code in_use() { return std::make_error_code(std::errc::address_in_use); }
}  // namespace

TEST(PortAllocator, WalksTheRangeFromTheStartSkippingPortsInUse) {
  std::set<std::uint16_t> busy{5001, 5002};
  std::vector<std::uint16_t> tried;
  std::uint16_t got = 0;
  ASSERT_FALSE(allocate_port(
      {5000, 5003}, 1,
      [&](std::uint16_t p) {
        tried.push_back(p);
        return busy.count(p) != 0 ? in_use() : std::error_code{};
      },
      got));
  EXPECT_EQ(got, 5003);
  EXPECT_EQ(tried, (std::vector<std::uint16_t>{5001, 5002, 5003}));
}

TEST(PortAllocator, WrapsAroundAndReportsExhaustion) {
  std::vector<std::uint16_t> tried;
  std::uint16_t got = 0;
  EXPECT_EQ(allocate_port(
                {7000, 7002}, 2,
                [&](std::uint16_t p) {
                  tried.push_back(p);
                  return in_use();
                },
                got),
            errc::no_port_available);
  EXPECT_EQ(tried, (std::vector<std::uint16_t>{7002, 7000, 7001}));
}

TEST(PortAllocator, OtherBindErrorsStopTheSearch) {
  int calls = 0;
  std::uint16_t got = 0;
  const auto ec = allocate_port(
      {7000, 7100}, 0,
      [&](std::uint16_t) {
        ++calls;
        return std::make_error_code(std::errc::address_not_available);
      },
      got);
  EXPECT_EQ(ec, std::errc::address_not_available);
  EXPECT_EQ(calls, 1);
}

TEST(PortAllocator, AnyRangeLetsTheKernelChoose) {
  std::vector<std::uint16_t> tried;
  std::uint16_t got = 1;
  ASSERT_FALSE(allocate_port(
      {}, 99,
      [&](std::uint16_t p) {
        tried.push_back(p);
        return std::error_code{};
      },
      got));
  EXPECT_EQ(tried, std::vector<std::uint16_t>{0});
}

TEST(PortAllocator, InvalidRangesAreRejected) {
  std::uint16_t got = 0;
  auto ok = [](std::uint16_t) { return std::error_code{}; };
  EXPECT_EQ(allocate_port({10, 5}, 0, ok, got), errc::invalid_argument);
  EXPECT_EQ(allocate_port({0, 5}, 0, ok, got), errc::invalid_argument);
  EXPECT_FALSE(validate_range({}));
  EXPECT_FALSE(validate_range({1, 1}));
}

TEST(PortAllocator, PairsUseEvenPortsWithTheOddOneInRange) {
  std::vector<std::uint16_t> tried;
  std::uint16_t got = 0;
  // 6001..6006: even candidates with p+1 in range are 6002 and 6004.
  ASSERT_FALSE(allocate_pair(
      {6001, 6006}, 0,
      [&](std::uint16_t p) {
        tried.push_back(p);
        return p == 6002 ? in_use() : std::error_code{};
      },
      got));
  EXPECT_EQ(got, 6004);
  EXPECT_EQ(tried, (std::vector<std::uint16_t>{6002, 6004}));
  EXPECT_EQ(allocate_pair(
                {6001, 6002}, 0, [](std::uint16_t) { return std::error_code{}; }, got),
            errc::no_port_available);
}

TEST(PortAllocator, PairsWithAnyRangeUseTheDynamicPorts) {
  std::uint16_t got = 0;
  ASSERT_FALSE(allocate_pair(
      {}, 12345, [](std::uint16_t) { return std::error_code{}; }, got));
  EXPECT_EQ(got % 2, 0);
  EXPECT_GE(got, dynamic_ports.min);
  EXPECT_LT(got, dynamic_ports.max);
}

TEST(PortAllocator, RealSocketsSkipAPortThatIsTaken) {
  // Occupy one port of a two-port range; the allocator must land on the other.
  std::error_code ec;
  const int holder = open_udp(ip_family::v4, ec);
  ASSERT_GE(holder, 0);
  ASSERT_FALSE(bind_udp(holder, *ip_endpoint::parse("127.0.0.1:0")));
  const auto taken = local_endpoint(holder)->port;
  const port_range r = taken < 65535 ? port_range{taken, static_cast<std::uint16_t>(taken + 1)}
                                     : port_range{static_cast<std::uint16_t>(taken - 1), taken};
  int fd = -1;
  std::uint16_t got = 0;
  const auto res = allocate_port(
      r, taken == r.min ? 0U : 1U,
      [&](std::uint16_t p) {
        fd = open_udp(ip_family::v4, ec);
        auto e = bind_udp(fd, *ip_endpoint::parse_ip("127.0.0.1", p));
        if (e) {
          ::close(fd);
          fd = -1;
        }
        return e;
      },
      got);
  if (res == errc::no_port_available) GTEST_SKIP() << "neighbouring port also busy";
  ASSERT_FALSE(res);
  EXPECT_NE(got, taken);
  EXPECT_EQ(local_endpoint(fd)->port, got);
  ::close(fd);
  ::close(holder);
}
