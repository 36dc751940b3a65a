// The Binding request handler: a pure function from (request bytes, source,
// the socket it arrived on) to response bytes and where to send them. No
// sockets, no heap allocation, no exceptions; testable byte for byte.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <system_error>

#include "stun/address.hpp"

namespace pinhole::daemon {

// RFC 5780 §4 roles of the four sockets of a behaviour-discovery server:
// Primary/Alternate IP x Primary/Alternate port. `single` is a socket that is
// not part of such a quad (plain Binding service, e.g. an extra IPv6 listener).
enum class socket_role : std::uint8_t { pp = 0, pa = 1, ap = 2, aa = 3, single = 4 };

constexpr socket_role flip(socket_role r, bool change_ip, bool change_port) noexcept {
  if (r == socket_role::single) return r;
  const auto v = static_cast<unsigned>(r) ^ (change_ip ? 2U : 0U) ^ (change_port ? 1U : 0U);
  return static_cast<socket_role>(v);
}

// The role as RFC 5780 §4 writes it (logs, /metrics labels).
constexpr const char* role_name(socket_role r) noexcept {
  switch (r) {
    case socket_role::pp: return "PP";
    case socket_role::pa: return "PA";
    case socket_role::ap: return "AP";
    case socket_role::aa: return "AA";
    case socket_role::single: break;
  }
  return "single";
}

struct handler_config {
  std::string_view software;  // SOFTWARE attribute; empty = omitted
  // RFC 5780: advertised address of each role's socket (index = role), used
  // for RESPONSE-ORIGIN and OTHER-ADDRESS. Only meaningful when rfc5780 is set.
  bool rfc5780 = false;
  std::array<stun::transport_address, 4> role_address{};
  // Short-term credentials required for every Binding request.
  bool auth_required = false;
  std::string_view username;
  std::span<const std::byte> key;
};

enum class verdict : std::uint8_t {
  success,          // Binding success response in the output buffer
  error_response,   // Binding error response in the output buffer
  drop_malformed,   // not STUN, truncated, bad FINGERPRINT: never answered
  drop_indication,  // indications get no response
  drop_response,    // responses are never answered (no reflection loops)
};

struct handler_result {
  verdict what = verdict::drop_malformed;
  std::uint16_t error_code = 0;  // the STUN error code for error_response
  std::size_t size = 0;          // bytes of response in the output buffer
  socket_role send_from = socket_role::single;
  stun::transport_address destination{};
  std::error_code reason;  // diagnostic: why dropped / why an error
  bool answered() const noexcept { return what == verdict::success || what == verdict::error_response; }
};

// Largest response the handler can build: one UDP datagram over IPv4. A
// PADDING response never exceeds the request's own size, so `out` should be
// at least as large as the largest datagram the caller receives.
inline constexpr std::size_t max_response_size = 65507;

handler_result handle_request(std::span<const std::byte> request, const stun::transport_address& source,
                              socket_role received_on, const handler_config& cfg, std::span<std::byte> out) noexcept;

}  // namespace pinhole::daemon
