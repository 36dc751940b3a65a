// Zero-copy STUN message reader over std::span. parse() validates the header
// and walks every attribute once (bounds, padding, FINGERPRINT placement and
// value); afterwards attributes are visited lazily without further checks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <system_error>

#include "stun/constants.hpp"

namespace pinhole::stun {

using bytes_view = std::span<const std::byte>;

struct raw_attribute {
  std::uint16_t type = 0;
  bytes_view value;        // exactly `length` bytes, padding excluded
  std::size_t offset = 0;  // offset of the attribute header within the message
};

class message_view {
 public:
  // Validates `data` as one complete STUN message (one UDP datagram).
  static std::error_code parse(bytes_view data, message_view& out) noexcept;

  std::uint16_t type() const noexcept { return type_; }
  msg_class cls() const noexcept { return type_class(type_); }
  std::uint16_t method_bits() const noexcept { return type_method_bits(type_); }
  // RFC 3489 messages carry a 128-bit transaction ID instead of the cookie.
  bool classic() const noexcept { return !has_cookie_; }
  // Bytes 4..19: magic cookie + 96-bit transaction ID (or the classic 128-bit ID).
  std::span<const std::byte, 16> cookie_and_id() const noexcept { return data_.subspan<4, 16>(); }
  std::span<const std::byte, 12> transaction_id() const noexcept { return data_.subspan<8, 12>(); }
  bytes_view bytes() const noexcept { return data_; }
  std::size_t size() const noexcept { return data_.size(); }

  // Position (attribute offset) of the first MESSAGE-INTEGRITY(-SHA256) and
  // FINGERPRINT, if present.
  std::optional<raw_attribute> integrity() const noexcept { return integrity_; }
  std::optional<raw_attribute> integrity_sha256() const noexcept { return integrity_sha256_; }
  bool has_fingerprint() const noexcept { return has_fingerprint_; }

  class iterator {
   public:
    using value_type = raw_attribute;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    const raw_attribute& operator*() const noexcept { return cur_; }
    const raw_attribute* operator->() const noexcept { return &cur_; }
    iterator& operator++() noexcept;
    iterator operator++(int) noexcept {
      auto t = *this;
      ++*this;
      return t;
    }
    friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.pos_ == b.pos_; }

   private:
    friend class message_view;
    iterator(const message_view* m, std::size_t pos) noexcept;
    void load() noexcept;
    const message_view* msg_ = nullptr;
    std::size_t pos_ = 0;
    raw_attribute cur_{};
  };

  // Attributes a receiver processes, in order. RFC 8489 §14.5: "With the
  // exception of the MESSAGE-INTEGRITY-SHA256 and FINGERPRINT attributes, which
  // appear after MESSAGE-INTEGRITY, agents MUST ignore all other attributes
  // that follow MESSAGE-INTEGRITY." The same holds after MESSAGE-INTEGRITY-SHA256
  // (§14.6) for everything but FINGERPRINT.
  iterator begin() const noexcept;
  iterator end() const noexcept;

  // First processed occurrence of `type`. RFC 8489 §14: "only the first
  // occurrence needs to be processed by a receiver".
  std::optional<raw_attribute> find(std::uint16_t type) const noexcept;

 private:
  std::size_t skip_ignored(std::size_t pos) const noexcept;

  bytes_view data_;
  std::uint16_t type_ = 0;
  bool has_cookie_ = false;
  bool has_fingerprint_ = false;
  std::optional<raw_attribute> integrity_;
  std::optional<raw_attribute> integrity_sha256_;
};

// Big-endian helpers shared by the codec.
inline std::uint16_t load_u16(const std::byte* p) noexcept {
  return static_cast<std::uint16_t>((std::to_integer<unsigned>(p[0]) << 8U) | std::to_integer<unsigned>(p[1]));
}
inline std::uint32_t load_u32(const std::byte* p) noexcept {
  return (std::to_integer<std::uint32_t>(p[0]) << 24U) | (std::to_integer<std::uint32_t>(p[1]) << 16U) |
         (std::to_integer<std::uint32_t>(p[2]) << 8U) | std::to_integer<std::uint32_t>(p[3]);
}
inline void store_u16(std::byte* p, std::uint16_t v) noexcept {
  p[0] = static_cast<std::byte>(v >> 8U);
  p[1] = static_cast<std::byte>(v & 0xFFU);
}
inline void store_u32(std::byte* p, std::uint32_t v) noexcept {
  p[0] = static_cast<std::byte>(v >> 24U);
  p[1] = static_cast<std::byte>((v >> 16U) & 0xFFU);
  p[2] = static_cast<std::byte>((v >> 8U) & 0xFFU);
  p[3] = static_cast<std::byte>(v & 0xFFU);
}
constexpr std::size_t padded(std::size_t n) noexcept { return (n + 3U) & ~std::size_t{3}; }

// Cheap pre-check for demultiplexing (RFC 8489 §6 / RFC 7983): could this
// datagram be STUN at all? Used to drop non-STUN traffic without a full parse.
bool looks_like_stun(bytes_view data) noexcept;

}  // namespace pinhole::stun
