// Shared pieces of the two port-mapping wire formats (NAT-PMP, RFC 6886,
// and PCP, RFC 6887): big-endian field access over byte spans and the
// decoders' error codes. Socket-free and allocation-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>

namespace pinhole::client::portmap {

// Why a datagram from a gateway was not accepted as an answer.
enum class wire_errc {
  ok = 0,
  too_short = 1,     // shorter than the fixed part of the message
  too_long = 2,      // PCP: over 1100 octets
  bad_length = 3,    // PCP: not a multiple of 4 octets
  not_response = 4,  // R bit clear / NAT-PMP opcode below 128
  bad_version = 5,   // neither the version asked nor a version-negotiation answer
  bad_opcode = 6,    // an answer to another request
  bad_option = 7,    // PCP: an option overruns the message
  mismatch = 8,      // nonce, protocol or internal port differ from the request
  bad_address = 9,   // an external address that cannot be right (unspecified on success)
};

const std::error_category& wire_category() noexcept;
inline std::error_code make_error_code(wire_errc e) noexcept { return {static_cast<int>(e), wire_category()}; }

inline constexpr std::uint16_t server_port = 5351;  // both protocols
inline constexpr std::uint16_t client_port = 5350;  // announcements (multicast)

inline std::uint16_t get16(std::span<const std::byte> b, std::size_t at) noexcept {
  return static_cast<std::uint16_t>((std::to_integer<unsigned>(b[at]) << 8) | std::to_integer<unsigned>(b[at + 1]));
}
inline std::uint32_t get32(std::span<const std::byte> b, std::size_t at) noexcept {
  return (std::uint32_t{get16(b, at)} << 16) | get16(b, at + 2);
}
inline void put16(std::span<std::byte> b, std::size_t at, std::uint16_t v) noexcept {
  b[at] = std::byte(v >> 8);
  b[at + 1] = std::byte(v & 0xff);
}
inline void put32(std::span<std::byte> b, std::size_t at, std::uint32_t v) noexcept {
  put16(b, at, static_cast<std::uint16_t>(v >> 16));
  put16(b, at + 2, static_cast<std::uint16_t>(v & 0xffff));
}

}  // namespace pinhole::client::portmap

template <>
struct std::is_error_code_enum<pinhole::client::portmap::wire_errc> : std::true_type {};
