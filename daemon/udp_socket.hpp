// UDP socket setup for pinholed. Wildcard sockets
// report the local address each datagram reached (IP_PKTINFO /
// IPV6_RECVPKTINFO) so they answer from exactly that address; a socket bound
// to one address needs no control messages.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <system_error>

#include "stun/address.hpp"
#include "stun/sockaddr.hpp"

namespace pinhole::daemon {

struct socket_options {
  bool reuse_port = true;  // one socket per worker on the same address (SO_REUSEPORT)
  // Bind first and enable SO_REUSEPORT only afterwards: the bind fails with
  // EADDRINUSE when any socket (of any user, pinholed's own included) already
  // holds the address, and the sockets bound later with SO_REUSEPORT still
  // join this one. One system call decides, so there is no check-then-bind race.
  bool exclusive = false;
  int receive_buffer = 4 << 20;  // SO_RCVBUF request, bytes (the kernel may cap it)
  int send_buffer = 4 << 20;
};

// Opens a non-blocking UDP socket bound to `addr`. IPv6 sockets are
// IPV6_V6ONLY so "0.0.0.0" and "[::]" can both listen on one port.
// On success `fd` is set and the bound address (real port when addr.port was
// 0) is written to `bound`.
std::error_code open_udp_socket(const stun::transport_address& addr, const socket_options& opt, int& fd,
                                stun::transport_address& bound) noexcept;

// Adopts an already-bound UDP socket (systemd socket activation): clears the
// SO_REUSEADDR systemd sets (so no other user can bind the address from now
// on), enables non-blocking mode (and PKTINFO when it is a wildcard socket),
// grows its receive buffer and reads its bound address.
std::error_code adopt_udp_socket(int fd, stun::transport_address& bound) noexcept;

// Wildcards (is_unspecified), IPv4-mapped IPv6 (is_v4_mapped, unmap_v4,
// map_v4) and the sockaddr conversions are the address type's own:
// stun/address.hpp, stun/sockaddr.hpp.

}  // namespace pinhole::daemon
