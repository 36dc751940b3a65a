// Thin non-blocking UDP socket helpers shared by the Asio-driven port manager
// and the blocking NAT-discovery client. ICMP errors are reported per
// destination through IP_RECVERR / IPV6_RECVERR so an unreachable server is
// detected at once instead of after the 39.5 s transaction timeout.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <system_error>

#include "pinhole/types.hpp"

namespace pinhole::client {

// socket(AF_INET/AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC) with
// IP(V6)_RECVERR on (IPv6 sockets are IPV6_V6ONLY). -1 and `ec` on failure.
int open_udp(ip_family fam, std::error_code& ec) noexcept;
// Enables non-blocking mode and RECVERR on a socket the application owned.
std::error_code prepare_adopted(int fd, ip_family& fam) noexcept;
std::error_code bind_udp(int fd, const ip_endpoint& local) noexcept;
std::optional<ip_endpoint> local_endpoint(int fd) noexcept;
std::error_code send_udp(int fd, std::span<const std::byte> data, const ip_endpoint& to) noexcept;

struct received {
  enum kind_t { datagram, unreachable, would_block, error } kind = would_block;
  std::size_t size = 0;  // datagram
  ip_endpoint peer;      // datagram: source; unreachable: the destination that bounced
  std::error_code ec;    // unreachable/error: why
};
// One non-blocking receive. ICMP errors are read from the error queue.
received receive_udp(int fd, std::span<std::byte> buffer) noexcept;

// The source address the kernel would use towards `to` (connect() on a
// throw-away UDP socket; nothing is sent).
std::optional<ip_endpoint> route_source(const ip_endpoint& to) noexcept;

}  // namespace pinhole::client
