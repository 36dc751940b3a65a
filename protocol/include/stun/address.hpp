// A socket-free transport address (IP + port) as carried in STUN attributes.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace pinhole::stun {

// RFC 8489 §14.1: family 0x01 is IPv4, 0x02 is IPv6.
enum class family : std::uint8_t { ipv4 = 0x01, ipv6 = 0x02 };

struct transport_address {
  family fam = family::ipv4;
  std::array<std::uint8_t, 16> ip{};  // IPv4 uses the first 4 bytes, network order
  std::uint16_t port = 0;

  static transport_address v4(std::array<std::uint8_t, 4> a, std::uint16_t port) noexcept;
  static transport_address v6(const std::array<std::uint8_t, 16>& a, std::uint16_t port) noexcept;

  std::size_t ip_size() const noexcept { return fam == family::ipv4 ? 4U : 16U; }
  std::span<const std::uint8_t> ip_bytes() const noexcept { return {ip.data(), ip_size()}; }
  bool same_ip(const transport_address& o) const noexcept;
  friend bool operator==(const transport_address&, const transport_address&) noexcept = default;

  // "192.0.2.1:3478" / "[2001:db8::1]:3478"; for logs and tests (allocates).
  std::string to_string() const;
  // Parses the same forms; std::nullopt on error. Port required.
  static std::optional<transport_address> parse(std::string_view text);
  // Parses just an IP literal ("192.0.2.1", "2001:db8::1") with the given port.
  static std::optional<transport_address> parse_ip(std::string_view ip, std::uint16_t port);
};

}  // namespace pinhole::stun
