// Conversions between the C ABI's plain structs (pinhole.h) and the C++
// value types. None allocates: the datagram callback runs them per packet.
#pragma once

#include <cstring>
#include <system_error>

#include "pinhole/errors.hpp"
#include "pinhole/events.hpp"
#include "pinhole/pinhole.h"
#include "pinhole/types.hpp"

struct sockaddr;

namespace pinhole::c_api {

inline pinhole_errc to_c(const std::error_code& ec) noexcept {
  if (!ec) return PINHOLE_OK;
  if (ec.category() == client_category()) return static_cast<pinhole_errc>(ec.value());
  return PINHOLE_E_SOCKET_ERROR;
}

// "192.0.2.1" / "2001:db8::1" (optionally in brackets) and a port.
inline bool parse(const char* ip, std::uint16_t port, ip_endpoint& out) noexcept {
  if (ip == nullptr) return false;
  const auto e = ip_endpoint::parse_ip(ip, port);  // no allocation
  if (!e) return false;
  out = *e;
  return true;
}

// A sockaddr_in / sockaddr_in6 the caller owns; false for other families.
bool parse(const sockaddr* sa, ip_endpoint& out) noexcept;

// Writes the address text ("" for a default-constructed endpoint with port 0
// and unspecified IPv4, which is how the C++ side says "unset").
void format(const ip_endpoint& e, char (&out)[PINHOLE_ADDRESS_LEN]) noexcept;
void fill(const ip_endpoint& e, pinhole_endpoint& out) noexcept;
void fill(const mapping& m, pinhole_mapping& out) noexcept;
void fill(const event& e, pinhole_event& out) noexcept;

}  // namespace pinhole::c_api
