// NAT-PMP (RFC 6886) messages: the external-address and UDP mapping
// requests the client sends and the answers it accepts. Pure encode/decode,
// no sockets, no allocation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>

#include "portmap_wire.hpp"

namespace pinhole::client::portmap {

inline constexpr std::size_t natpmp_address_request_size = 2;
inline constexpr std::size_t natpmp_map_request_size = 12;
inline constexpr std::size_t natpmp_address_response_size = 12;
inline constexpr std::size_t natpmp_map_response_size = 16;

enum class natpmp_op : std::uint8_t { external_address = 0, map_udp = 1, map_tcp = 2 };

// RFC 6886 §3.5 result codes.
enum class natpmp_result : std::uint16_t {
  success = 0,
  unsupported_version = 1,
  refused = 2,  // "Not Authorized/Refused"
  network_failure = 3,
  out_of_resources = 4,
  unsupported_opcode = 5,
};

struct natpmp_map_request {
  std::uint16_t internal_port = 0;
  std::uint16_t suggested_external_port = 0;
  std::uint32_t lifetime = 0;  // seconds; 0 deletes (§3.4)
};

struct natpmp_response {
  natpmp_op op = natpmp_op::external_address;
  natpmp_result result = natpmp_result::success;
  std::uint32_t epoch = 0;                    // Seconds Since Start of Epoch
  std::array<std::uint8_t, 4> external_ip{};  // external_address answers
  std::uint16_t internal_port = 0;            // map answers
  std::uint16_t external_port = 0;
  std::uint32_t lifetime = 0;
};

// Both return the message size; `out` must hold it.
std::size_t encode_natpmp_address_request(std::span<std::byte, natpmp_address_request_size> out) noexcept;
std::size_t encode_natpmp_map_request(const natpmp_map_request& r,
                                      std::span<std::byte, natpmp_map_request_size> out) noexcept;

// Decodes an answer to a request with opcode `asked`. A result code other
// than success is a successful decode (look at `result`); the error code
// says the datagram is no answer at all.
std::error_code decode_natpmp_response(std::span<const std::byte> in, natpmp_op asked, natpmp_response& out) noexcept;

}  // namespace pinhole::client::portmap
