#include "stun/turn.hpp"

#include <array>

#include "stun/errors.hpp"

namespace pinhole::stun {

message_writer& add_requested_transport(message_writer& w, std::uint8_t protocol) noexcept {
  // RFC 8656 §18.6: "The value of this attribute is 4 bytes with the
  // following format: Protocol (8 bits), RFFU (24 bits)".
  const std::array<std::byte, 4> v{std::byte{protocol}, std::byte{0}, std::byte{0}, std::byte{0}};
  return w.add_raw(attr::requested_transport, v);
}

message_writer& add_channel_number(message_writer& w, std::uint16_t channel) noexcept {
  std::array<std::byte, 4> v{};
  store_u16(v.data(), channel);
  return w.add_raw(attr::channel_number, v);
}

message_writer& add_data(message_writer& w, std::span<const std::byte> data) noexcept {
  return w.add_raw(attr::data, data);
}

std::error_code decode_lifetime(const raw_attribute& a, std::uint32_t& seconds) noexcept {
  // RFC 8656 §18.2: "The value portion of this attribute is 4 bytes long".
  if (a.value.size() != 4) return errc::bad_attribute_length;
  seconds = load_u32(a.value.data());
  return {};
}

std::error_code decode_channel_number(const raw_attribute& a, std::uint16_t& channel) noexcept {
  // RFC 8656 §18.1: "The value portion of this attribute is 4 bytes long and
  // consists of a 16-bit unsigned integer followed by a two-octet RFFU
  // (Reserved For Future Use) field, which MUST be set to 0 on transmission
  // and MUST be ignored on reception."
  if (a.value.size() != 4) return errc::bad_attribute_length;
  const auto ch = load_u16(a.value.data());
  if (!valid_channel(ch)) return errc::bad_attribute_value;
  channel = ch;
  return {};
}

std::error_code decode_requested_transport(const raw_attribute& a, std::uint8_t& protocol) noexcept {
  if (a.value.size() != 4) return errc::bad_attribute_length;
  protocol = std::to_integer<std::uint8_t>(a.value[0]);
  return {};
}

}  // namespace pinhole::stun
