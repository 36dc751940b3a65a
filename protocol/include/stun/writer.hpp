// Builds a STUN message in place in a caller-provided buffer. Errors are
// sticky: the first failure (buffer too small, ...) is kept, later calls do
// nothing, and error() reports it once at the end. No heap allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <system_error>

#include "stun/address.hpp"
#include "stun/constants.hpp"
#include "stun/errors.hpp"

namespace pinhole::stun {

class message_writer {
 public:
  explicit message_writer(std::span<std::byte> buffer) noexcept : buf_(buffer) {}

  // Header with the given cookie+transaction ID (16 bytes, copied verbatim so
  // classic RFC 3489 IDs round-trip).
  message_writer& begin(std::uint16_t type, std::span<const std::byte, 16> cookie_and_id) noexcept;
  // Header with the magic cookie and a 96-bit transaction ID.
  message_writer& begin(std::uint16_t type, std::span<const std::byte, 12> transaction_id) noexcept;

  message_writer& add_raw(std::uint16_t type, std::span<const std::byte> value) noexcept;
  // USERNAME, REALM, NONCE and SOFTWARE beyond their RFC 8489 limits
  // (stun/limits.hpp) are refused with errc::value_too_long.
  message_writer& add_text(std::uint16_t type, std::string_view text) noexcept;
  message_writer& add_u32(std::uint16_t type, std::uint32_t value) noexcept;
  message_writer& add_address(std::uint16_t type, const transport_address& a) noexcept;
  message_writer& add_xor_address(std::uint16_t type, const transport_address& a) noexcept;
  message_writer& add_error_code(std::uint16_t code, std::string_view reason) noexcept;
  message_writer& add_unknown_attributes(std::span<const std::uint16_t> types) noexcept;
  message_writer& add_change_request(bool change_ip, bool change_port) noexcept;
  message_writer& add_response_port(std::uint16_t port) noexcept;
  message_writer& add_padding(std::size_t length) noexcept;
  // RFC 8489 §14.5 / §14.6: HMAC over the message so far, with the header
  // length covering the integrity attribute itself.
  message_writer& add_message_integrity(std::span<const std::byte> key) noexcept;
  message_writer& add_message_integrity_sha256(std::span<const std::byte> key) noexcept;
  // RFC 8489 §14.7: must be the last attribute.
  message_writer& add_fingerprint() noexcept;

  std::error_code error() const noexcept { return err_; }
  std::size_t size() const noexcept { return err_ ? 0 : len_; }
  std::span<const std::byte> bytes() const noexcept { return buf_.first(size()); }

 private:
  // Reserves an attribute header + padded value; returns the value pointer or
  // nullptr (and records the error).
  std::byte* reserve(std::uint16_t type, std::size_t value_len) noexcept;
  void set_length(std::size_t body) noexcept;

  std::span<std::byte> buf_;
  std::size_t len_ = 0;
  std::error_code err_;
};

}  // namespace pinhole::stun
