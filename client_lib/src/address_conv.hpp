// Conversions between pinhole::ip_endpoint, the codec's transport_address
// and sockaddr, and an order for endpoints as map keys. Header-only: tiny
// functions used everywhere.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

#include "pinhole/types.hpp"
#include "stun/address.hpp"

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

inline socklen_t to_sockaddr(const ip_endpoint& e, sockaddr_storage& ss) noexcept {
  std::memset(&ss, 0, sizeof ss);
  if (e.family == ip_family::v4) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(e.port);
    std::memcpy(&sin.sin_addr, e.ip.data(), 4);
    std::memcpy(&ss, &sin, sizeof sin);
    return sizeof sin;
  }
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(e.port);
  std::memcpy(&sin6.sin6_addr, e.ip.data(), 16);
  std::memcpy(&ss, &sin6, sizeof sin6);
  return sizeof sin6;
}

// Reads only as many bytes as the family's own struct has, so `sa` may point
// at a plain sockaddr_in (a C caller's) as well as at a sockaddr_storage.
inline bool from_sockaddr(const sockaddr* sa, ip_endpoint& out) noexcept {
  out = ip_endpoint{};
  if (sa == nullptr) return false;
  if (sa->sa_family == AF_INET) {
    sockaddr_in sin{};
    std::memcpy(&sin, sa, sizeof sin);
    out.family = ip_family::v4;
    std::memcpy(out.ip.data(), &sin.sin_addr, 4);
    out.port = ntohs(sin.sin_port);
    return true;
  }
  if (sa->sa_family == AF_INET6) {
    sockaddr_in6 sin6{};
    std::memcpy(&sin6, sa, sizeof sin6);
    out.family = ip_family::v6;
    std::memcpy(out.ip.data(), &sin6.sin6_addr, 16);
    out.port = ntohs(sin6.sin6_port);
    return true;
  }
  return false;
}

inline bool from_sockaddr(const sockaddr_storage& ss, ip_endpoint& out) noexcept {
  return from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), out);
}

}  // namespace pinhole::client
