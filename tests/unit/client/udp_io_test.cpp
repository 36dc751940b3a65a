// Socket helpers over real loopback sockets, including ICMP port unreachable
// reported through IP_RECVERR.
#include "udp_io.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <array>

using namespace pinhole;
using namespace pinhole::client;

namespace {

struct sock {
  int fd = -1;
  explicit sock(const char* local, ip_family fam = ip_family::v4) {
    std::error_code ec;
    fd = open_udp(fam, ec);
    EXPECT_GE(fd, 0) << ec.message();
    EXPECT_FALSE(bind_udp(fd, *ip_endpoint::parse(local)));
  }
  ~sock() { ::close(fd); }
  ip_endpoint local() const { return *local_endpoint(fd); }
};

received wait_receive(int fd, std::span<std::byte> buf) {
  pollfd p{fd, POLLIN, 0};
  ::poll(&p, 1, 2000);
  return receive_udp(fd, buf);
}

}  // namespace

TEST(UdpIo, SendAndReceiveOnLoopback) {
  sock a("127.0.0.1:0"), b("127.0.0.1:0");
  const std::array<std::byte, 3> msg{std::byte{1}, std::byte{2}, std::byte{3}};
  ASSERT_FALSE(send_udp(a.fd, msg, b.local()));
  std::array<std::byte, 64> buf{};
  const auto r = wait_receive(b.fd, buf);
  ASSERT_EQ(r.kind, received::datagram);
  EXPECT_EQ(r.size, 3U);
  EXPECT_EQ(r.peer, a.local());
  EXPECT_EQ(receive_udp(b.fd, buf).kind, received::would_block);
}

TEST(UdpIo, Ipv6Loopback) {
  sock a("[::1]:0", ip_family::v6), b("[::1]:0", ip_family::v6);
  const std::array<std::byte, 1> msg{std::byte{9}};
  ASSERT_FALSE(send_udp(a.fd, msg, b.local()));
  std::array<std::byte, 64> buf{};
  const auto r = wait_receive(b.fd, buf);
  ASSERT_EQ(r.kind, received::datagram);
  EXPECT_EQ(r.peer.family, ip_family::v6);
}

TEST(UdpIo, PortUnreachableNamesTheDestination) {
  ip_endpoint closed;
  {
    sock gone("127.0.0.1:0");
    closed = gone.local();
  }  // nobody listens there any more
  sock a("127.0.0.1:0");
  const std::array<std::byte, 4> msg{};
  ASSERT_FALSE(send_udp(a.fd, msg, closed));
  std::array<std::byte, 64> buf{};
  const auto r = wait_receive(a.fd, buf);
  ASSERT_EQ(r.kind, received::unreachable);
  EXPECT_EQ(r.peer, closed);
  EXPECT_EQ(r.ec, std::errc::connection_refused);
  EXPECT_EQ(receive_udp(a.fd, buf).kind, received::would_block);  // queue drained
}

TEST(UdpIo, RouteSourceTowardsLoopback) {
  const auto src = route_source(*ip_endpoint::parse("127.0.0.1:3478"));
  ASSERT_TRUE(src);
  EXPECT_EQ(src->ip_string(), "127.0.0.1");
  EXPECT_EQ(src->port, 0);
}

TEST(UdpIo, AdoptedSocketMustBeBoundUdp) {
  std::error_code ec;
  const int fd = open_udp(ip_family::v4, ec);
  ip_family fam = ip_family::v6;
  EXPECT_TRUE(prepare_adopted(fd, fam));  // not bound yet
  ASSERT_FALSE(bind_udp(fd, *ip_endpoint::parse("127.0.0.1:0")));
  EXPECT_FALSE(prepare_adopted(fd, fam));
  EXPECT_EQ(fam, ip_family::v4);
  ::close(fd);
  EXPECT_TRUE(prepare_adopted(-1, fam));
}
