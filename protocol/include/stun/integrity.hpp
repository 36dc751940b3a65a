// MESSAGE-INTEGRITY (HMAC-SHA1) and MESSAGE-INTEGRITY-SHA256 computation and
// verification, plus RFC 8489 key derivation.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string_view>
#include <system_error>

#include "stun/reader.hpp"

namespace pinhole::stun {

// HMAC over a message prefix that ends right before the integrity attribute.
// The prefix's header length field is used as written; callers that build a
// message set it to cover the integrity attribute first.
std::array<std::byte, 20> hmac_sha1_message(bytes_view prefix, std::span<const std::byte> key) noexcept;
std::array<std::byte, 32> hmac_sha256_message(bytes_view prefix, std::span<const std::byte> key) noexcept;

// Verifies every integrity attribute the message carries with `key`.
// RFC 8489 §9.1.3: errc::integrity_missing when none is present,
// errc::integrity_mismatch when a value does not match.
std::error_code verify_integrity(const message_view& m, std::span<const std::byte> key) noexcept;

// Short-term credential key: RFC 8489 §9.1.1 "key = OpaqueString(password)".
// pinhole accepts passwords as given (ASCII passwords are unchanged by
// OpaqueString).
inline std::span<const std::byte> short_term_key(std::string_view password) noexcept {
  return std::as_bytes(std::span<const char>(password.data(), password.size()));
}
// Long-term credential key: RFC 8489 §9.2.2
// "key = MD5(username ":" OpaqueString(realm) ":" OpaqueString(password))".
std::array<std::byte, 16> long_term_key(std::string_view username, std::string_view realm,
                                        std::string_view password) noexcept;

// Constant-time comparison for MACs.
bool equal_constant_time(std::span<const std::byte> a, std::span<const std::byte> b) noexcept;

}  // namespace pinhole::stun
