// UDP socket setup and address conversion for pinholed. Wildcard sockets
// report the local address each datagram reached (IP_PKTINFO /
// IPV6_RECVPKTINFO) so they answer from exactly that address; a socket bound
// to one address needs no control messages.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <system_error>

#include "stun/address.hpp"

namespace pinhole::daemon {

struct socket_options {
  bool reuse_port = true;       // one socket per worker on the same address (SO_REUSEPORT)
  int receive_buffer = 4 << 20;  // SO_RCVBUF request, bytes (the kernel may cap it)
  int send_buffer = 4 << 20;
};

// Opens a non-blocking UDP socket bound to `addr`. IPv6 sockets are
// IPV6_V6ONLY so "0.0.0.0" and "[::]" can both listen on one port.
// On success `fd` is set and the bound address (real port when addr.port was
// 0) is written to `bound`.
std::error_code open_udp_socket(const stun::transport_address& addr, const socket_options& opt, int& fd,
                                stun::transport_address& bound) noexcept;

// Adopts an already-bound UDP socket (systemd socket activation): enables
// non-blocking mode (and PKTINFO when it is a wildcard socket), grows its
// receive buffer and reads its bound address.
std::error_code adopt_udp_socket(int fd, stun::transport_address& bound) noexcept;

bool is_wildcard(const stun::transport_address& a) noexcept;

// sockaddr <-> transport_address.
socklen_t to_sockaddr(const stun::transport_address& a, sockaddr_storage& out) noexcept;
bool from_sockaddr(const sockaddr* sa, stun::transport_address& out) noexcept;

}  // namespace pinhole::daemon
