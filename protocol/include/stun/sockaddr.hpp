// transport_address <-> the kernel's sockaddr_in / sockaddr_in6: the one
// place pinhole converts between the two (daemon, client library, tools).
// Plain data conversion, no socket calls, so it lives with the address type
// in protocol/ (which stays free of sockets; the codec never includes this).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include "stun/address.hpp"

namespace pinhole::stun {

// AF_INET / AF_INET6.
int address_family(family f) noexcept;

// Writes `a` into `out` (zeroed first) and returns the length to pass to
// bind/connect/sendto. sin6_scope_id and sin6_flowinfo are 0: transport_address
// has no zone (STUN attributes carry none either).
socklen_t to_sockaddr(const transport_address& a, sockaddr_storage& out) noexcept;

// Reads only as many bytes as the family's own struct has, so `sa` may point
// at a plain sockaddr_in (a C caller's) as well as at a sockaddr_storage.
// false (and `out` reset) for a null pointer or another family; a scope id is
// dropped.
bool from_sockaddr(const sockaddr* sa, transport_address& out) noexcept;
bool from_sockaddr(const sockaddr_storage& ss, transport_address& out) noexcept;

}  // namespace pinhole::stun
