// The one IP address + UDP port type of pinhole (daemon, client library,
// tools): its text forms and IPv4-mapped IPv6 helpers. Socket-free; the
// sockaddr conversions are in stun/sockaddr.hpp. The client's public
// pinhole::ip_endpoint converts to and from it in client_lib/src/address_conv.hpp.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace pinhole::stun {

// RFC 8489 §14.1: "The address family can take on the following values:
// 0x01:IPv4 0x02:IPv6". The only family encoding inside pinhole; AF_INET /
// AF_INET6 appear only at the sockaddr boundary (stun/sockaddr.hpp).
enum class family : std::uint8_t { ipv4 = 0x01, ipv6 = 0x02 };

// Whether text forms must carry ":port".
enum class port_rule : std::uint8_t { required, optional };

struct transport_address {
  family fam = family::ipv4;
  std::array<std::uint8_t, 16> ip{};  // IPv4 uses the first 4 bytes, network order, rest zero
  std::uint16_t port = 0;

  static transport_address v4(std::array<std::uint8_t, 4> a, std::uint16_t port) noexcept;
  static transport_address v6(const std::array<std::uint8_t, 16>& a, std::uint16_t port) noexcept;
  static transport_address any(family f, std::uint16_t port = 0) noexcept;  // 0.0.0.0 / ::

  std::size_t ip_size() const noexcept { return fam == family::ipv4 ? 4U : 16U; }
  std::span<const std::uint8_t> ip_bytes() const noexcept { return {ip.data(), ip_size()}; }
  bool same_ip(const transport_address& o) const noexcept;
  bool is_unspecified() const noexcept;  // 0.0.0.0 / ::
  bool is_loopback() const noexcept;     // 127.0.0.0/8 / ::1
  friend bool operator==(const transport_address&, const transport_address&) noexcept = default;

  // IPv4-mapped IPv6 (::ffff:a.b.c.d, RFC 4291 §2.5.5.2), what a dual-stack
  // IPv6 socket reports for IPv4 peers.
  bool is_v4_mapped() const noexcept;
  transport_address unmap_v4() const noexcept;  // ::ffff:a.b.c.d -> a.b.c.d; others unchanged
  transport_address map_v4() const noexcept;    // a.b.c.d -> ::ffff:a.b.c.d; others unchanged

  // "192.0.2.1", "2001:db8::1" (RFC 5952 form, as inet_ntop writes it).
  std::string ip_string() const;
  // The same text, NUL-terminated, into `out` without allocating; false (and
  // "" when out is not empty) if it does not fit. 46 bytes always do.
  bool ip_text(std::span<char> out) const noexcept;
  // "192.0.2.1:3478" / "[2001:db8::1]:3478"; for logs and tests (allocates).
  std::string to_string() const;

  // "192.0.2.1:3478", "[2001:db8::1]:3478"; with port_rule::optional also
  // "192.0.2.1", "[2001:db8::1]" and "2001:db8::1" (port 0). The port is 1-5
  // decimal digits, at most 65535. Brackets are for IPv6 only; no zone
  // ("%eth0"), no host names, no white space. std::nullopt on any error.
  static std::optional<transport_address> parse(std::string_view text, port_rule rule = port_rule::required);
  // Just an IP literal: "192.0.2.1", "2001:db8::1", no brackets.
  static std::optional<transport_address> parse_literal(std::string_view ip, std::uint16_t port = 0);
  // An IP literal that may be bracketed ("[::1]"), with the given port.
  static std::optional<transport_address> parse_ip(std::string_view ip, std::uint16_t port);
};

}  // namespace pinhole::stun
