// udp_socket: opening and adopting listener sockets, and sockaddr conversion.
#include "udp_socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
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
    EXPECT_EQ(int_option(s.fd, IPPROTO_IP, IP_PKTINFO), bound.is_unspecified() ? 1 : 0) << at;
  }
}

TEST(UdpSocket, AdoptRejectsWhatIsNotASocket) {
  fd_guard f;
  f.fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  transport_address bound;
  EXPECT_TRUE(pd::adopt_udp_socket(f.fd, bound));
}

namespace {

// A plain socket as another process would make it: `reuse_addr` /
// `reuse_port` set before bind. Returns the fd (bound) or -1 with errno.
int other_socket(const transport_address& at, bool reuse_addr, bool reuse_port) {
  const int fd = ::socket(pinhole::stun::address_family(at.fam), SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const int on = 1;
  if (reuse_addr) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (reuse_port) ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
  sockaddr_storage ss;
  const socklen_t len = pinhole::stun::to_sockaddr(at, ss);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    const int err = errno;
    ::close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

}  // namespace

// SO_REUSEADDR on a UDP socket lets ANY user bind the same address and port
// and receive the traffic; pinholed's sockets never carry it, so a socket
// with SO_REUSEADDR (the thief's) is refused.
TEST(UdpSocket, NoSoReuseAddrSoNobodyElseCanBindTheAddress) {
  for (const char* at : {"127.0.0.1:0", "0.0.0.0:0", "[::1]:0"}) {
    for (const bool exclusive : {false, true}) {
      fd_guard s;
      transport_address bound;
      pd::socket_options opt;
      opt.exclusive = exclusive;
      ASSERT_FALSE(pd::open_udp_socket(*transport_address::parse(at), opt, s.fd, bound)) << at;
      EXPECT_EQ(int_option(s.fd, SOL_SOCKET, SO_REUSEADDR), 0) << at;
      EXPECT_EQ(int_option(s.fd, SOL_SOCKET, SO_REUSEPORT), 1) << at;
      errno = 0;
      fd_guard thief;
      thief.fd = other_socket(bound, true, false);
      EXPECT_EQ(thief.fd, -1) << at << " exclusive " << exclusive;
      EXPECT_EQ(errno, EADDRINUSE) << at;
    }
  }
}

// The exclusive first socket refuses an address some socket already holds,
// even one of the same user with SO_REUSEPORT (a second pinholed), and the
// worker sockets bound after it still share its address.
TEST(UdpSocket, ExclusiveBindRefusesAnAddressAlreadyServedAndStillShares) {
  fd_guard running;
  running.fd = other_socket(*transport_address::parse("127.0.0.1:0"), false, true);
  ASSERT_GE(running.fd, 0);
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  ASSERT_EQ(::getsockname(running.fd, reinterpret_cast<sockaddr*>(&ss), &len), 0);
  transport_address taken;
  ASSERT_TRUE(pinhole::stun::from_sockaddr(ss, taken));

  pd::socket_options excl;
  excl.exclusive = true;
  fd_guard refused;
  transport_address b;
  EXPECT_EQ(pd::open_udp_socket(taken, excl, refused.fd, b), std::errc::address_in_use);
  EXPECT_EQ(refused.fd, -1);
  fd_guard shared;  // non-exclusive (share_port): joins the running one
  EXPECT_FALSE(pd::open_udp_socket(taken, {}, shared.fd, b));

  fd_guard first, second;
  transport_address b1, b2;
  ASSERT_FALSE(pd::open_udp_socket(*transport_address::parse("127.0.0.1:0"), excl, first.fd, b1));
  ASSERT_FALSE(pd::open_udp_socket(b1, {}, second.fd, b2));  // the next worker's socket
  EXPECT_EQ(b1, b2);
  fd_guard plain;
  plain.fd = other_socket(b1, false, false);
  EXPECT_EQ(plain.fd, -1);
}

// systemd binds its sockets with SO_REUSEADDR; adopting one clears it, so a
// process of another user can no longer bind the address (and take the
// datagrams) once pinholed runs.
TEST(UdpSocket, AdoptClearsSoReuseAddr) {
  for (const char* at : {"127.0.0.1:0", "[::]:0"}) {
    fd_guard s;
    s.fd = other_socket(*transport_address::parse(at), true, false);
    ASSERT_GE(s.fd, 0);
    ASSERT_EQ(int_option(s.fd, SOL_SOCKET, SO_REUSEADDR), 1);
    transport_address bound;
    ASSERT_FALSE(pd::adopt_udp_socket(s.fd, bound)) << at;
    EXPECT_EQ(int_option(s.fd, SOL_SOCKET, SO_REUSEADDR), 0) << at;
    fd_guard thief;
    thief.fd = other_socket(bound, true, false);
    EXPECT_EQ(thief.fd, -1) << at;
  }
}
