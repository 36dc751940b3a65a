// udp_socket: opening and adopting listener sockets, and sockaddr conversion.
#include "udp_socket.hpp"

#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/un.h>
#include <unistd.h>

namespace pd = pinhole::daemon;
using pinhole::stun::transport_address;

namespace {

int int_option(int fd, int level, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  EXPECT_EQ(::getsockopt(fd, level, name, &v, &len), 0);
  return v;
}

struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

TEST(UdpSocket, BoundSocketGetsItsPortAndNoPktinfo) {
  fd_guard s;
  transport_address bound;
  ASSERT_FALSE(pd::open_udp_socket(*transport_address::parse("127.0.0.1:0"), {}, s.fd, bound));
  EXPECT_NE(bound.port, 0);
  EXPECT_EQ(bound.to_string().rfind("127.0.0.1:", 0), 0U);
  EXPECT_EQ(int_option(s.fd, IPPROTO_IP, IP_PKTINFO), 0);  // bound to one address: not needed
  EXPECT_NE(::fcntl(s.fd, F_GETFL) & O_NONBLOCK, 0);
  EXPECT_NE(::fcntl(s.fd, F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_EQ(int_option(s.fd, SOL_SOCKET, SO_REUSEPORT), 1);
}

TEST(UdpSocket, WildcardSocketsReportTheAddressReached) {
  fd_guard v4, v6;
  transport_address b4, b6;
  ASSERT_FALSE(pd::open_udp_socket(*transport_address::parse("0.0.0.0:0"), {}, v4.fd, b4));
  EXPECT_EQ(int_option(v4.fd, IPPROTO_IP, IP_PKTINFO), 1);
  ASSERT_FALSE(pd::open_udp_socket(*transport_address::parse("[::]:0"), {}, v6.fd, b6));
  EXPECT_EQ(int_option(v6.fd, IPPROTO_IPV6, IPV6_RECVPKTINFO), 1);
  EXPECT_EQ(int_option(v6.fd, IPPROTO_IPV6, IPV6_V6ONLY), 1);  // so 0.0.0.0 and [::] share a port
}

TEST(UdpSocket, ReusePortLetsWorkersShareAnAddress) {
  fd_guard a, b;
  transport_address ba, bb;
  ASSERT_FALSE(pd::open_udp_socket(*transport_address::parse("127.0.0.1:0"), {}, a.fd, ba));
  ASSERT_FALSE(pd::open_udp_socket(ba, {}, b.fd, bb));
  EXPECT_EQ(ba, bb);
}

TEST(UdpSocket, BindFailureIsAnErrorCodeAndLeaksNothing) {
  fd_guard c;
  transport_address bc;
  // 192.0.2.1 (TEST-NET-1) is not an address of this host.
  const auto ec = pd::open_udp_socket(*transport_address::parse("192.0.2.1:3478"), {}, c.fd, bc);
  EXPECT_EQ(ec, std::errc::address_not_available);
  EXPECT_EQ(c.fd, -1);
}

TEST(UdpSocket, AdoptMakesAnInheritedSocketUsable) {
  for (const char* at : {"0.0.0.0", "127.0.0.1"}) {
    fd_guard s;
    s.fd = ::socket(AF_INET, SOCK_DGRAM, 0);  // blocking, as systemd may hand it over
    sockaddr_in a{};
    a.sin_family = AF_INET;
    ASSERT_EQ(::inet_pton(AF_INET, at, &a.sin_addr), 1);
    ASSERT_EQ(::bind(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    transport_address bound;
    ASSERT_FALSE(pd::adopt_udp_socket(s.fd, bound)) << at;
    EXPECT_NE(bound.port, 0) << at;
    EXPECT_NE(::fcntl(s.fd, F_GETFL) & O_NONBLOCK, 0) << at;
    EXPECT_EQ(int_option(s.fd, IPPROTO_IP, IP_PKTINFO), pd::is_wildcard(bound) ? 1 : 0) << at;
  }
}

TEST(UdpSocket, AdoptRejectsWhatIsNotASocket) {
  fd_guard f;
  f.fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  transport_address bound;
  EXPECT_TRUE(pd::adopt_udp_socket(f.fd, bound));
}

TEST(UdpSocket, SockaddrRoundTripsAndWildcards) {
  for (const char* text : {"192.0.2.1:3478", "[2001:db8::1]:5349", "0.0.0.0:0", "[::]:9"}) {
    const auto a = *transport_address::parse(text);
    sockaddr_storage ss;
    const socklen_t len = pd::to_sockaddr(a, ss);
    EXPECT_EQ(len, a.fam == pinhole::stun::family::ipv4 ? sizeof(sockaddr_in) : sizeof(sockaddr_in6)) << text;
    transport_address back;
    ASSERT_TRUE(pd::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), back)) << text;
    EXPECT_EQ(back, a) << text;
  }
  EXPECT_TRUE(pd::is_wildcard(*transport_address::parse("0.0.0.0:1")));
  EXPECT_TRUE(pd::is_wildcard(*transport_address::parse("[::]:1")));
  EXPECT_FALSE(pd::is_wildcard(*transport_address::parse("[::1]:1")));
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  transport_address out;
  EXPECT_FALSE(pd::from_sockaddr(reinterpret_cast<const sockaddr*>(&un), out));
}
