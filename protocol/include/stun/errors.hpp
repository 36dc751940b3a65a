// Error codes of the STUN codec. Every decode/encode failure is one of these,
// returned as std::error_code; the codec never throws.
#pragma once

#include <system_error>

namespace pinhole::stun {

enum class errc {
  ok = 0,
  truncated,           // datagram shorter than the 20-byte header or than its length field
  not_stun,            // top two bits set: not a STUN message (RFC 8489 §6)
  bad_length,          // length not a multiple of 4, or trailing bytes after the message
  attribute_overflow,  // an attribute's (padded) length runs past the message
  attribute_after_fingerprint,
  bad_fingerprint,       // FINGERPRINT present but the CRC does not match
  bad_attribute_length,  // attribute value has a length its type does not allow
  bad_address_family,    // address family other than 0x01/0x02
  bad_attribute_value,   // value out of range (error class, reserved bits, ...)
  integrity_missing,
  integrity_mismatch,
  buffer_too_small,   // writer: caller buffer cannot hold the message
  message_too_large,  // writer: message would exceed the 16-bit length field
  not_found,          // attribute not present
  value_too_long,     // writer: a text attribute beyond its RFC 8489 limit (stun/limits.hpp)
};

const std::error_category& stun_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), stun_category()}; }

}  // namespace pinhole::stun

template <>
struct std::is_error_code_enum<pinhole::stun::errc> : std::true_type {};
