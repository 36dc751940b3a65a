// RFC 8489 length limits of the text attributes, in one place: the writer
// refuses values beyond them (message_writer::add_text), the decoders and
// pinholed's config check against the same numbers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "stun/constants.hpp"

namespace pinhole::stun::limits {

// RFC 8489 §14.3: USERNAME "MUST contain a UTF-8-encoded [RFC3629] sequence
// of fewer than 509 bytes".
inline constexpr std::size_t username_bytes = 508;
// RFC 8489 §14.9 (REALM), §14.10 (NONCE), §14.14 (SOFTWARE): "fewer than 128
// characters (which can be as long as 763 bytes)".
inline constexpr std::size_t text_chars = 127;
inline constexpr std::size_t text_bytes = 763;
// RFC 8489 §14.8: the ERROR-CODE reason phrase "MUST be a UTF-8-encoded
// [RFC3629] sequence of fewer than 128 characters (which can be as long as
// 509 bytes when encoding them or 763 bytes when decoding them)".
inline constexpr std::size_t reason_chars = 127;
inline constexpr std::size_t reason_encode_bytes = 509;
inline constexpr std::size_t reason_decode_bytes = 763;

struct text_limit {
  std::size_t bytes = 0;
  std::size_t chars = 0;  // code points; 0 = bytes only
};

// The limit of a text attribute, or std::nullopt for types with none here.
constexpr std::optional<text_limit> text_limit_of(std::uint16_t type) noexcept {
  switch (type) {
    case attr::username: return text_limit{username_bytes, 0};
    case attr::realm:
    case attr::nonce:
    case attr::software: return text_limit{text_bytes, text_chars};
    default: return std::nullopt;
  }
}

// UTF-8 code points, counted as the bytes that are not continuation bytes
// (10xxxxxx); no validation.
constexpr std::size_t utf8_chars(std::string_view s) noexcept {
  std::size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0U) != 0x80U ? 1U : 0U;
  return n;
}

constexpr bool within(const text_limit& l, std::string_view s) noexcept {
  return s.size() <= l.bytes && (l.chars == 0 || utf8_chars(s) <= l.chars);
}

}  // namespace pinhole::stun::limits
