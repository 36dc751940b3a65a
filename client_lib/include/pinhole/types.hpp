// Value types of the port-manager API: port types, IP endpoints, mappings,
// port ranges. Mirrors RTC_PORT_TYPE and the address/port quadruple of the
// Windows RTC API port manager.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "pinhole/export.h"

namespace pinhole {

// RTC_PORT_TYPE values.
enum class port_type : std::uint8_t { audio_rtp = 0, audio_rtcp = 1, video_rtp = 2, video_rtcp = 3, sip = 4 };
inline constexpr std::size_t port_type_count = 5;

PINHOLE_API const char* to_string(port_type t) noexcept;
PINHOLE_API std::optional<port_type> port_type_from_int(int value) noexcept;
// RTCP partner of an RTP type and vice versa; std::nullopt for SIP.
PINHOLE_API std::optional<port_type> rtcp_partner(port_type rtp) noexcept;
PINHOLE_API bool is_rtcp(port_type t) noexcept;

enum class ip_family : std::uint8_t { v4 = 4, v6 = 6 };

// An IP address and UDP port. IPv4 uses the first 4 bytes of `ip` in
// network order.
struct PINHOLE_API ip_endpoint {
  ip_family family = ip_family::v4;
  std::array<std::uint8_t, 16> ip{};
  std::uint16_t port = 0;

  std::size_t ip_size() const noexcept { return family == ip_family::v4 ? 4U : 16U; }
  bool same_ip(const ip_endpoint& o) const noexcept;
  bool is_unspecified() const noexcept;  // 0.0.0.0 / ::
  bool is_loopback() const noexcept;
  friend bool operator==(const ip_endpoint&, const ip_endpoint&) noexcept = default;

  std::string ip_string() const;  // "192.0.2.1", "2001:db8::1"
  std::string to_string() const;  // "192.0.2.1:3478", "[2001:db8::1]:3478"
  // "1.2.3.4:5", "[::1]:5", and with allow_no_port also "1.2.3.4", "::1" (port 0).
  static std::optional<ip_endpoint> parse(std::string_view text, bool allow_no_port = false);
  static std::optional<ip_endpoint> parse_ip(std::string_view ip, std::uint16_t port);
  static ip_endpoint any(ip_family f, std::uint16_t port = 0) noexcept;
};

// The OS socket handle (a file descriptor on POSIX).
using native_handle_type = int;

// How a mapping's external address was made: the NAT's mapping seen by a
// STUN server, a port mapping the gateway made (PCP RFC 6887, NAT-PMP
// RFC 6886, UPnP-IGD), or a TURN relay (RFC 8656): the relayed transport
// address on the TURN server, reachable by every peer the mapping has a
// permission for.
enum class mapping_origin : std::uint8_t { stun = 0, pcp = 1, natpmp = 2, upnp = 3, turn = 4 };
PINHOLE_API const char* to_string(mapping_origin o) noexcept;

// What GetMapping returns: where the app binds/sends from (internal) and what
// it advertises in SIP Contact / SDP (external).
struct mapping {
  port_type type = port_type::sip;
  ip_endpoint internal;
  ip_endpoint external;
  ip_endpoint server;  // the STUN server that reported `external`
  // Send from it. Library-owned: never recv() on it, never close it.
  // Application-owned (attach_socket): the application's own descriptor.
  native_handle_type native_handle = -1;
  bool behind_nat = true;              // false when external == internal
  bool destination_dependent = false;  // the NAT gave another external address towards the alternate server
  // turn: `external` is the relayed address and `server` the TURN server.
  // Its datagrams go through the library: port_manager::send() wraps them,
  // the datagram callback gets them unwrapped (from = the peer). Sending
  // with sendto() on native_handle bypasses the relay.
  mapping_origin origin = mapping_origin::stun;
  bool relayed() const noexcept { return origin == mapping_origin::turn; }
  // An explicit mapping (pcp, natpmp, upnp): when the gateway's lease ends
  // unless renewed (the library renews it at half-life). Epoch otherwise.
  std::chrono::system_clock::time_point lease_end{};
};

// An inclusive port range; {0, 0} lets the kernel choose.
struct port_range {
  std::uint16_t min = 0;
  std::uint16_t max = 0;
  bool any() const noexcept { return min == 0 && max == 0; }
  friend bool operator==(const port_range&, const port_range&) noexcept = default;
};

}  // namespace pinhole
