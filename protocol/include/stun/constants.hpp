// STUN wire constants: header layout, message types, attribute registry.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pinhole::stun {

// RFC 8489 §5: "The magic cookie field MUST contain the fixed value 0x2112A442".
inline constexpr std::uint32_t magic_cookie = 0x2112A442U;
inline constexpr std::size_t header_size = 20;
inline constexpr std::size_t attribute_header_size = 4;
inline constexpr std::size_t transaction_id_size = 12;
// RFC 8489 §6.1: the message size must not exceed the path MTU; we accept
// whatever arrives in one UDP datagram but never build more than this.
inline constexpr std::size_t max_message_size = 65535 - 8 - 20;  // UDP payload over IPv4
// RFC 8489 §14.7: FINGERPRINT value is CRC-32 "XOR'ed with the 32-bit value 0x5354554e".
inline constexpr std::uint32_t fingerprint_xor = 0x5354554EU;

// RFC 8656 §17 adds the TURN methods: "0x003: Allocate ... 0x004: Refresh
// ... 0x006: Send ... 0x007: Data ... 0x008: CreatePermission ... 0x009:
// ChannelBind".
enum class method : std::uint16_t {
  binding = 0x001,
  allocate = 0x003,
  refresh = 0x004,
  send = 0x006,
  data = 0x007,
  create_permission = 0x008,
  channel_bind = 0x009,
};
enum class msg_class : std::uint8_t { request = 0, indication = 1, success = 2, error = 3 };

// RFC 8489 §5: the class bits C1 C0 sit at bits 8 and 4 of the 14-bit type,
// interleaved with the 12 method bits M11..M0.
constexpr std::uint16_t make_type(method m, msg_class c) noexcept {
  const auto mv = static_cast<std::uint16_t>(m);
  const auto cv = static_cast<std::uint16_t>(c);
  return static_cast<std::uint16_t>((mv & 0x000FU) | ((mv & 0x0070U) << 1U) | ((mv & 0x0F80U) << 2U) |
                                    ((cv & 0x1U) << 4U) | ((cv & 0x2U) << 7U));
}
constexpr std::uint16_t type_method_bits(std::uint16_t t) noexcept {
  return static_cast<std::uint16_t>((t & 0x000FU) | ((t & 0x00E0U) >> 1U) | ((t & 0x3E00U) >> 2U));
}
constexpr msg_class type_class(std::uint16_t t) noexcept {
  return static_cast<msg_class>(((t & 0x0010U) >> 4U) | ((t & 0x0100U) >> 7U));
}

inline constexpr std::uint16_t binding_request = make_type(method::binding, msg_class::request);        // 0x0001
inline constexpr std::uint16_t binding_indication = make_type(method::binding, msg_class::indication);  // 0x0011
inline constexpr std::uint16_t binding_success = make_type(method::binding, msg_class::success);        // 0x0101
inline constexpr std::uint16_t binding_error = make_type(method::binding, msg_class::error);            // 0x0111

namespace attr {
// RFC 8489 §18.3 (and RFC 3489 §11.2 for the classic ones, RFC 5780 §7).
inline constexpr std::uint16_t mapped_address = 0x0001;
inline constexpr std::uint16_t response_address = 0x0002;  // RFC 3489 only
inline constexpr std::uint16_t change_request = 0x0003;    // RFC 5780 / RFC 3489
inline constexpr std::uint16_t source_address = 0x0004;    // RFC 3489 only
inline constexpr std::uint16_t changed_address = 0x0005;   // RFC 3489 only
inline constexpr std::uint16_t username = 0x0006;
inline constexpr std::uint16_t message_integrity = 0x0008;
inline constexpr std::uint16_t error_code = 0x0009;
inline constexpr std::uint16_t unknown_attributes = 0x000A;
inline constexpr std::uint16_t realm = 0x0014;
inline constexpr std::uint16_t nonce = 0x0015;
inline constexpr std::uint16_t message_integrity_sha256 = 0x001C;
inline constexpr std::uint16_t password_algorithm = 0x001D;
inline constexpr std::uint16_t userhash = 0x001E;
inline constexpr std::uint16_t xor_mapped_address = 0x0020;
inline constexpr std::uint16_t padding = 0x0026;        // RFC 5780
inline constexpr std::uint16_t response_port = 0x0027;  // RFC 5780
inline constexpr std::uint16_t password_algorithms = 0x8002;
inline constexpr std::uint16_t alternate_domain = 0x8003;
inline constexpr std::uint16_t software = 0x8022;
inline constexpr std::uint16_t alternate_server = 0x8023;
inline constexpr std::uint16_t fingerprint = 0x8028;
inline constexpr std::uint16_t response_origin = 0x802B;  // RFC 5780
inline constexpr std::uint16_t other_address = 0x802C;    // RFC 5780
// RFC 8656 §18 (TURN).
inline constexpr std::uint16_t channel_number = 0x000C;
inline constexpr std::uint16_t lifetime = 0x000D;
inline constexpr std::uint16_t xor_peer_address = 0x0012;
inline constexpr std::uint16_t data = 0x0013;
inline constexpr std::uint16_t xor_relayed_address = 0x0016;
inline constexpr std::uint16_t requested_address_family = 0x0017;
inline constexpr std::uint16_t even_port = 0x0018;
inline constexpr std::uint16_t requested_transport = 0x0019;
inline constexpr std::uint16_t dont_fragment = 0x001A;
inline constexpr std::uint16_t reservation_token = 0x0022;
}  // namespace attr

// RFC 8489 §14: "Attributes with type values between 0x0000 and 0x7FFF are
// comprehension-required attributes".
constexpr bool comprehension_required(std::uint16_t type) noexcept { return type < 0x8000U; }

}  // namespace pinhole::stun
