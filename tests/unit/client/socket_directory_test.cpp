// socket_directory: send() from any thread through the descriptor of a
// handed-out mapping, over real loopback sockets.
#include "socket_directory.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <array>

#include "pinhole/errors.hpp"
#include "udp_io.hpp"

using namespace pinhole;
using namespace pinhole::client;

namespace {

int bound_socket() {
  std::error_code ec;
  const int fd = open_udp(ip_family::v4, ec);
  if (fd >= 0 && bind_udp(fd, *ip_endpoint::parse("127.0.0.1:0"))) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool receives(int fd, const ip_endpoint& from) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 2000) <= 0) return false;
  std::array<std::byte, 64> buf{};
  const auto r = receive_udp(fd, buf);
  return r.kind == received::datagram && r.peer == from;
}

}  // namespace

TEST(SocketDirectory, SendsFromTheRegisteredDescriptor) {
  const int mine = bound_socket();
  const int peer = bound_socket();
  ASSERT_GE(mine, 0);
  ASSERT_GE(peer, 0);
  const auto internal = *local_endpoint(mine);
  socket_directory d;
  const std::array<std::byte, 4> data{std::byte{0x80}};
  EXPECT_EQ(d.send(internal, *local_endpoint(peer), data), errc::unknown_mapping);
  d.add(internal, mine);
  EXPECT_TRUE(d.contains(internal));
  ASSERT_FALSE(d.send(internal, *local_endpoint(peer), data));
  EXPECT_TRUE(receives(peer, internal));
  EXPECT_EQ(d.send(internal, *ip_endpoint::parse("[::1]:9"), data), errc::family_not_supported);
  d.remove(internal);
  EXPECT_FALSE(d.contains(internal));
  EXPECT_EQ(d.send(internal, *local_endpoint(peer), data), errc::unknown_mapping);
  ::close(mine);
  ::close(peer);
}

TEST(SocketDirectory, AFailingSendIsASocketError) {
  const int mine = bound_socket();
  const auto internal = *local_endpoint(mine);
  socket_directory d;
  d.add(internal, mine);
  ::close(mine);  // what remove-before-close prevents; here only to make sendto fail
  const std::array<std::byte, 4> data{};
  EXPECT_EQ(d.send(internal, *ip_endpoint::parse("127.0.0.1:9"), data), errc::socket_error);
  d.remove(internal);
}
