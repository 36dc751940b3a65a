// The one place the public pinhole::ip_endpoint meets pinhole's address type
// (stun::transport_address, protocol/include/stun/address.hpp): conversions
// both ways, sockaddr via the address type's own (stun/sockaddr.hpp), and an
// order for endpoints as map keys. Header-only: tiny functions used everywhere.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include "pinhole/types.hpp"
#include "stun/address.hpp"
#include "stun/sockaddr.hpp"

namespace pinhole::client {

inline ip_endpoint from_stun(const stun::transport_address& a) noexcept {
  ip_endpoint e;
  e.family = a.fam == stun::family::ipv4 ? ip_family::v4 : ip_family::v6;
  e.ip = a.ip;
  e.port = a.port;
  return e;
}

// Any strict order will do (family, address, port): for std::map keys.
struct endpoint_less {
  bool operator()(const ip_endpoint& a, const ip_endpoint& b) const noexcept {
    if (a.family != b.family) return a.family < b.family;
    if (a.ip != b.ip) return a.ip < b.ip;
    return a.port < b.port;
  }
};

inline stun::transport_address to_stun(const ip_endpoint& e) noexcept {
  stun::transport_address a;
  a.fam = e.family == ip_family::v4 ? stun::family::ipv4 : stun::family::ipv6;
  a.ip = e.ip;
  a.port = e.port;
  return a;
}

inline std::optional<ip_endpoint> from_stun(const std::optional<stun::transport_address>& a) {
  if (!a) return std::nullopt;
  return from_stun(*a);
}

inline int address_family(ip_family f) noexcept {
  return stun::address_family(f == ip_family::v4 ? stun::family::ipv4 : stun::family::ipv6);
}

inline socklen_t to_sockaddr(const ip_endpoint& e, sockaddr_storage& ss) noexcept {
  return stun::to_sockaddr(to_stun(e), ss);
}

// Reads only as many bytes as the family's own struct has (see stun::from_sockaddr).
inline bool from_sockaddr(const sockaddr* sa, ip_endpoint& out) noexcept {
  stun::transport_address a;
  const bool ok = stun::from_sockaddr(sa, a);
  out = ok ? from_stun(a) : ip_endpoint{};
  return ok;
}

inline bool from_sockaddr(const sockaddr_storage& ss, ip_endpoint& out) noexcept {
  return from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), out);
}

}  // namespace pinhole::client
