// PCP (RFC 6887) MAP requests and responses, IPv4 and IPv6. Pure
// encode/decode, no sockets, no allocation. Only the MAP opcode is used:
// it asks for a NAT mapping (IPv4) or, where there is no NAT, for a
// firewall pinhole (IPv6, RFC 6887 §11: the external address then equals
// the internal one).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>

#include "pinhole/types.hpp"
#include "portmap_wire.hpp"

namespace pinhole::client::portmap {

inline constexpr std::uint8_t pcp_version = 2;
inline constexpr std::size_t pcp_header_size = 24;
inline constexpr std::size_t pcp_map_size = 36;
inline constexpr std::size_t pcp_map_request_size = pcp_header_size + pcp_map_size;  // 60
inline constexpr std::size_t pcp_max_message = 1100;
inline constexpr std::uint8_t pcp_op_announce = 0;
inline constexpr std::uint8_t pcp_op_map = 1;
inline constexpr std::uint8_t ip_proto_udp = 17;

// RFC 6887 §7.4 result codes.
enum class pcp_result : std::uint8_t {
  success = 0,
  unsupp_version = 1,
  not_authorized = 2,
  malformed_request = 3,
  unsupp_opcode = 4,
  unsupp_option = 5,
  malformed_option = 6,
  network_failure = 7,
  no_resources = 8,
  unsupp_protocol = 9,
  user_ex_quota = 10,
  cannot_provide_external = 11,
  address_mismatch = 12,
  excessive_remote_peers = 13,
};
// §7.4: long-lifetime errors describe the configuration; short-lifetime
// ones (7, 8, 10, 13) a transient state worth retrying later.
bool pcp_transient(pcp_result r) noexcept;

using pcp_nonce = std::array<std::uint8_t, 12>;

struct pcp_map_request {
  std::uint32_t lifetime = 0;  // seconds; 0 deletes
  ip_endpoint client;          // the source address of the request (port unused)
  pcp_nonce nonce{};
  std::uint8_t protocol = ip_proto_udp;
  std::uint16_t internal_port = 0;
  // Suggested external address and port; unspecified = no preference
  // (all-zeros IPv4-mapped for an IPv4 mapping, :: for IPv6).
  ip_endpoint suggested;
};

struct pcp_map_response {
  pcp_result result = pcp_result::success;
  std::uint32_t lifetime = 0;
  std::uint32_t epoch = 0;
  pcp_nonce nonce{};
  std::uint8_t protocol = 0;
  std::uint16_t internal_port = 0;
  ip_endpoint external;  // assigned external address and port
};

// Returns pcp_map_request_size.
std::size_t encode_pcp_map_request(const pcp_map_request& r, std::span<std::byte, pcp_map_request_size> out) noexcept;

// ANNOUNCE (§14.1): a header only, lifetime 0. The probe: any PCP server
// answers it (with its epoch) without creating state.
std::size_t encode_pcp_announce(const ip_endpoint& client, std::span<std::byte, pcp_header_size> out) noexcept;

// Decodes a MAP response and checks that it answers `asked` (nonce,
// protocol, internal port). An error result code decodes fine (look at
// `result`); an error code means the datagram must be dropped.
std::error_code decode_pcp_map_response(std::span<const std::byte> in, const pcp_map_request& asked,
                                        pcp_map_response& out) noexcept;

// The result code and version of any PCP-looking answer (also one to
// another opcode, or a version-negotiation UNSUPP_VERSION).
struct pcp_header {
  std::uint8_t version = 0;
  std::uint8_t opcode = 0;
  pcp_result result = pcp_result::success;
  std::uint32_t lifetime = 0;
  std::uint32_t epoch = 0;
};
std::error_code decode_pcp_header(std::span<const std::byte> in, pcp_header& out) noexcept;

// IPv4-mapped IPv6 (::ffff:a.b.c.d) for IPv4, the address itself for IPv6.
std::array<std::uint8_t, 16> pcp_address(const ip_endpoint& e) noexcept;
ip_endpoint from_pcp_address(std::span<const std::byte, 16> a, std::uint16_t port) noexcept;

}  // namespace pinhole::client::portmap
