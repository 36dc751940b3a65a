#include "stun/writer.hpp"

#include <algorithm>
#include <cstring>

#include "stun/crc32.hpp"
#include "stun/integrity.hpp"
#include "stun/limits.hpp"
#include "stun/reader.hpp"

namespace pinhole::stun {

message_writer& message_writer::begin(std::uint16_t type, std::span<const std::byte, 16> cookie_and_id) noexcept {
  err_ = {};
  len_ = 0;
  if (buf_.size() < header_size) {
    err_ = errc::buffer_too_small;
    return *this;
  }
  // RFC 8489 §5: "The most significant 2 bits of every STUN message MUST be zeroes."
  store_u16(buf_.data(), static_cast<std::uint16_t>(type & 0x3FFFU));
  store_u16(buf_.data() + 2, 0);
  std::memcpy(buf_.data() + 4, cookie_and_id.data(), 16);
  len_ = header_size;
  return *this;
}

message_writer& message_writer::begin(std::uint16_t type, std::span<const std::byte, 12> transaction_id) noexcept {
  std::byte cid[16];
  store_u32(cid, magic_cookie);
  std::memcpy(cid + 4, transaction_id.data(), 12);
  return begin(type, std::span<const std::byte, 16>(cid, 16));
}

void message_writer::set_length(std::size_t body) noexcept {
  store_u16(buf_.data() + 2, static_cast<std::uint16_t>(body));
}

std::byte* message_writer::reserve(std::uint16_t type, std::size_t value_len) noexcept {
  if (err_) return nullptr;
  if (len_ < header_size) {
    err_ = errc::buffer_too_small;  // begin() was not called
    return nullptr;
  }
  const std::size_t need = attribute_header_size + padded(value_len);
  if (value_len > 0xFFFFU || len_ + need - header_size > 0xFFFCU) {
    err_ = errc::message_too_large;
    return nullptr;
  }
  if (buf_.size() - len_ < need) {
    err_ = errc::buffer_too_small;
    return nullptr;
  }
  std::byte* p = buf_.data() + len_;
  store_u16(p, type);
  store_u16(p + 2, static_cast<std::uint16_t>(value_len));
  // RFC 8489 §14: "The padding bits MUST be set to zero on sending". Zero the
  // value's last 32-bit word with one fixed-size store (a variable-length
  // memset is a libc call); every caller writes the value over it afterwards.
  if ((value_len & 3U) != 0U) std::memset(p + attribute_header_size + padded(value_len) - 4, 0, 4);
  len_ += need;
  set_length(len_ - header_size);
  return p + attribute_header_size;
}

message_writer& message_writer::add_raw(std::uint16_t type, std::span<const std::byte> value) noexcept {
  if (std::byte* p = reserve(type, value.size()); p != nullptr && !value.empty()) {
    std::memcpy(p, value.data(), value.size());
  }
  return *this;
}

message_writer& message_writer::add_text(std::uint16_t type, std::string_view text) noexcept {
  // The limits of stun/limits.hpp: USERNAME "fewer than 509 bytes" (RFC 8489
  // §14.3); REALM, NONCE, SOFTWARE "fewer than 128 characters" (§14.9,
  // §14.10, §14.14). A longer value is refused, not cut.
  if (const auto limit = limits::text_limit_of(type); limit && !limits::within(*limit, text)) {
    if (!err_) err_ = errc::value_too_long;
    return *this;
  }
  return add_raw(type, std::as_bytes(std::span<const char>(text.data(), text.size())));
}

message_writer& message_writer::add_u32(std::uint16_t type, std::uint32_t value) noexcept {
  if (std::byte* p = reserve(type, 4)) store_u32(p, value);
  return *this;
}

message_writer& message_writer::add_address(std::uint16_t type, const transport_address& a) noexcept {
  const bool v4 = a.fam == family::ipv4;
  if (std::byte* p = reserve(type, v4 ? 8U : 20U)) {
    p[0] = std::byte{0};
    p[1] = static_cast<std::byte>(a.fam);
    store_u16(p + 2, a.port);
    // Fixed-size copies compile to one or two moves.
    if (v4) {
      std::memcpy(p + 4, a.ip.data(), 4);
    } else {
      std::memcpy(p + 4, a.ip.data(), 16);
    }
  }
  return *this;
}

message_writer& message_writer::add_xor_address(std::uint16_t type, const transport_address& a) noexcept {
  if (err_ || len_ < header_size) return add_address(type, a);
  // RFC 8489 §14.2: port XOR the cookie's top 16 bits; address XOR the cookie
  // (IPv4) or the cookie followed by the transaction ID (IPv6), i.e. XOR the
  // header bytes 4.. that begin() already wrote.
  const bool v4 = a.fam == family::ipv4;
  const std::size_t n = v4 ? 4U : 16U;
  if (std::byte* p = reserve(type, 4 + n)) {
    p[0] = std::byte{0};
    p[1] = static_cast<std::byte>(a.fam);
    store_u16(p + 2, static_cast<std::uint16_t>(a.port ^ (magic_cookie >> 16U)));
    const std::byte* key = buf_.data() + 4;
    for (std::size_t i = 0; i < n; ++i) p[4 + i] = static_cast<std::byte>(a.ip[i]) ^ key[i];
  }
  return *this;
}

message_writer& message_writer::add_error_code(std::uint16_t code, std::string_view reason) noexcept {
  // RFC 8489 §14.8: class 3..6, number 0..99; reason "MUST be fewer than 128
  // characters (which can be as long as 509 bytes when encoding them ...)".
  if (code < 300 || code > 699) {
    if (!err_) err_ = errc::bad_attribute_value;
    return *this;
  }
  reason = reason.substr(0, std::min(reason.size(), limits::reason_encode_bytes));
  if (std::byte* p = reserve(attr::error_code, 4 + reason.size())) {
    p[0] = std::byte{0};
    p[1] = std::byte{0};
    p[2] = static_cast<std::byte>(code / 100U);
    p[3] = static_cast<std::byte>(code % 100U);
    if (!reason.empty()) std::memcpy(p + 4, reason.data(), reason.size());
  }
  return *this;
}

message_writer& message_writer::add_unknown_attributes(std::span<const std::uint16_t> types) noexcept {
  if (std::byte* p = reserve(attr::unknown_attributes, 2 * types.size())) {
    for (std::size_t i = 0; i < types.size(); ++i) store_u16(p + 2 * i, types[i]);
  }
  return *this;
}

message_writer& message_writer::add_change_request(bool change_ip, bool change_port) noexcept {
  return add_u32(attr::change_request, (change_ip ? 0x4U : 0U) | (change_port ? 0x2U : 0U));
}

message_writer& message_writer::add_response_port(std::uint16_t port) noexcept {
  if (std::byte* p = reserve(attr::response_port, 4)) {
    store_u16(p, port);
    store_u16(p + 2, 0);
  }
  return *this;
}

message_writer& message_writer::add_padding(std::size_t length) noexcept {
  if (std::byte* p = reserve(attr::padding, length)) std::memset(p, 0, length);
  return *this;
}

message_writer& message_writer::add_message_integrity(std::span<const std::byte> key) noexcept {
  if (std::byte* p = reserve(attr::message_integrity, 20)) {
    // The header length already covers the attribute (set by reserve), which
    // is exactly what RFC 8489 §14.5 asks the HMAC input to carry.
    const auto mac = hmac_sha1_message(buf_.first(len_ - 24), key);
    std::memcpy(p, mac.data(), mac.size());
  }
  return *this;
}

message_writer& message_writer::add_message_integrity_sha256(std::span<const std::byte> key) noexcept {
  if (std::byte* p = reserve(attr::message_integrity_sha256, 32)) {
    const auto mac = hmac_sha256_message(buf_.first(len_ - 36), key);
    std::memcpy(p, mac.data(), mac.size());
  }
  return *this;
}

message_writer& message_writer::add_fingerprint() noexcept {
  if (std::byte* p = reserve(attr::fingerprint, 4)) {
    const std::uint32_t crc = crc32(buf_.first(len_ - 8)) ^ fingerprint_xor;
    store_u32(p, crc);
  }
  return *this;
}

}  // namespace pinhole::stun
