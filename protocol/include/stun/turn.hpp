// TURN (RFC 8656) attributes on top of the STUN codec: encoders that append
// to a message_writer and decoders that check a raw_attribute's length and
// reserved bits. No sockets, no heap allocation.
#pragma once

#include <cstdint>
#include <span>
#include <system_error>

#include "stun/address.hpp"
#include "stun/constants.hpp"
#include "stun/reader.hpp"
#include "stun/writer.hpp"

namespace pinhole::stun {

// Message types of the TURN methods.
inline constexpr std::uint16_t allocate_request = make_type(method::allocate, msg_class::request);  // 0x0003
inline constexpr std::uint16_t allocate_success = make_type(method::allocate, msg_class::success);  // 0x0103
inline constexpr std::uint16_t allocate_error = make_type(method::allocate, msg_class::error);      // 0x0113
inline constexpr std::uint16_t refresh_request = make_type(method::refresh, msg_class::request);    // 0x0004
inline constexpr std::uint16_t create_permission_request =
    make_type(method::create_permission, msg_class::request);                                               // 0x0008
inline constexpr std::uint16_t channel_bind_request = make_type(method::channel_bind, msg_class::request);  // 0x0009
inline constexpr std::uint16_t send_indication = make_type(method::send, msg_class::indication);            // 0x0016
inline constexpr std::uint16_t data_indication = make_type(method::data, msg_class::indication);            // 0x0017

// RFC 8656 §12: "0x4000 through 0x4FFF: These values are the allowed channel
// numbers (4096 possible values)."
inline constexpr std::uint16_t channel_min = 0x4000;
inline constexpr std::uint16_t channel_max = 0x4FFF;
constexpr bool valid_channel(std::uint16_t ch) noexcept { return ch >= channel_min && ch <= channel_max; }

// RFC 8656 §18.6: "This specification only allows the use of code point 17
// (User Datagram Protocol)."
inline constexpr std::uint8_t transport_udp = 17;

// REQUESTED-TRANSPORT: protocol (8 bits) then 24 bits RFFU.
message_writer& add_requested_transport(message_writer& w, std::uint8_t protocol) noexcept;
// CHANNEL-NUMBER: 16-bit number then "a two-octet RFFU ... which MUST be set
// to 0 on transmission" (§18.1).
message_writer& add_channel_number(message_writer& w, std::uint16_t channel) noexcept;
// DATA: the application data, padded like any attribute value.
message_writer& add_data(message_writer& w, std::span<const std::byte> data) noexcept;

// LIFETIME (§18.2): "a 32-bit unsigned integral value representing the number
// of seconds remaining until expiration".
std::error_code decode_lifetime(const raw_attribute& a, std::uint32_t& seconds) noexcept;
// CHANNEL-NUMBER: errc::bad_attribute_value for a number outside 0x4000-0x4FFF.
std::error_code decode_channel_number(const raw_attribute& a, std::uint16_t& channel) noexcept;
std::error_code decode_requested_transport(const raw_attribute& a, std::uint8_t& protocol) noexcept;

}  // namespace pinhole::stun
