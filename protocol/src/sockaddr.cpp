#include "stun/sockaddr.hpp"

#include <cstring>

namespace pinhole::stun {

int address_family(family f) noexcept { return f == family::ipv4 ? AF_INET : AF_INET6; }

socklen_t to_sockaddr(const transport_address& a, sockaddr_storage& out) noexcept {
  std::memset(&out, 0, sizeof out);
  if (a.fam == family::ipv4) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(a.port);
    std::memcpy(&sin.sin_addr, a.ip.data(), 4);
    std::memcpy(&out, &sin, sizeof sin);
    return sizeof sin;
  }
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(a.port);
  std::memcpy(&sin6.sin6_addr, a.ip.data(), 16);
  std::memcpy(&out, &sin6, sizeof sin6);
  return sizeof sin6;
}

bool from_sockaddr(const sockaddr* sa, transport_address& out) noexcept {
  out = transport_address{};
  if (sa == nullptr) return false;
  if (sa->sa_family == AF_INET) {
    sockaddr_in sin{};
    std::memcpy(&sin, sa, sizeof sin);
    std::memcpy(out.ip.data(), &sin.sin_addr, 4);
    out.port = ntohs(sin.sin_port);
    return true;
  }
  if (sa->sa_family == AF_INET6) {
    sockaddr_in6 sin6{};
    std::memcpy(&sin6, sa, sizeof sin6);
    out.fam = family::ipv6;
    std::memcpy(out.ip.data(), &sin6.sin6_addr, 16);
    out.port = ntohs(sin6.sin6_port);
    return true;
  }
  return false;
}

bool from_sockaddr(const sockaddr_storage& ss, transport_address& out) noexcept {
  return from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), out);
}

}  // namespace pinhole::stun
