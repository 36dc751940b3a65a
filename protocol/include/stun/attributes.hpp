// Typed decoders for the attributes pinhole understands. Each takes a
// raw_attribute from message_view and checks its length and values.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <system_error>

#include "stun/address.hpp"
#include "stun/reader.hpp"

namespace pinhole::stun {

// MAPPED-ADDRESS, RESPONSE-ORIGIN, OTHER-ADDRESS, ALTERNATE-SERVER and the
// RFC 3489 SOURCE-/CHANGED-/RESPONSE-ADDRESS share this plain encoding.
std::error_code decode_address(const raw_attribute& a, transport_address& out) noexcept;
// XOR-MAPPED-ADDRESS (and XOR-PEER/RELAYED forms): needs the header's cookie+ID.
std::error_code decode_xor_address(const raw_attribute& a, std::span<const std::byte, 16> cookie_and_id,
                                   transport_address& out) noexcept;

struct error_code_value {
  std::uint16_t code = 0;   // 300..699
  std::string_view reason;  // UTF-8 reason phrase, points into the message
};
std::error_code decode_error_code(const raw_attribute& a, error_code_value& out) noexcept;

struct change_request_value {
  bool change_ip = false;
  bool change_port = false;
};
// RFC 5780 §7.2 CHANGE-REQUEST: 32 bits, "A" (0x4) change IP, "B" (0x2) change port.
std::error_code decode_change_request(const raw_attribute& a, change_request_value& out) noexcept;
// RFC 5780 §7.5 RESPONSE-PORT: 16-bit port followed by 2 bytes of padding.
std::error_code decode_response_port(const raw_attribute& a, std::uint16_t& port) noexcept;
// UNKNOWN-ATTRIBUTES: a list of 16-bit types. `out` receives up to out.size()
// entries; `count` is the number present in the attribute.
std::error_code decode_unknown_attributes(const raw_attribute& a, std::span<std::uint16_t> out,
                                          std::size_t& count) noexcept;
// SOFTWARE / USERNAME / REALM / NONCE: UTF-8 text with a length limit.
std::error_code decode_text(const raw_attribute& a, std::size_t max_bytes, std::string_view& out) noexcept;

// Is `type` an attribute that pinholed's Binding handler understands?
bool known_attribute(std::uint16_t type) noexcept;

}  // namespace pinhole::stun
