#include "stun/reader.hpp"

#include "stun/crc32.hpp"
#include "stun/errors.hpp"

namespace pinhole::stun {

bool looks_like_stun(bytes_view data) noexcept {
  // RFC 8489 §5: "The most significant 2 bits of every STUN message MUST be
  // zeroes." ... "All STUN messages comprise a 20-byte header".
  return data.size() >= header_size && (std::to_integer<unsigned>(data[0]) & 0xC0U) == 0U;
}

std::error_code message_view::parse(bytes_view data, message_view& out) noexcept {
  if (data.size() < header_size) return errc::truncated;
  if ((std::to_integer<unsigned>(data[0]) & 0xC0U) != 0U) return errc::not_stun;
  const std::size_t length = load_u16(data.data() + 2);
  // RFC 8489 §5: "Since all STUN attributes are padded to a multiple of 4
  // bytes, the last 2 bits of this field are always zero."
  if ((length & 3U) != 0U) return errc::bad_length;
  if (header_size + length > data.size()) return errc::truncated;
  // One message per datagram: trailing bytes mean this is not a STUN message.
  if (header_size + length < data.size()) return errc::bad_length;

  // Results are gathered in scalars (an integrity attribute's offset, 0 =
  // absent) and stored field by field on success: copying a just-written
  // message_view or std::optional stalls on store forwarding and cost more
  // than the rest of parsing a plain Binding request.
  bool has_fingerprint = false;
  std::size_t integrity = 0;
  std::size_t integrity_sha256 = 0;

  std::size_t pos = header_size;
  while (pos < data.size()) {
    if (data.size() - pos < attribute_header_size) return errc::attribute_overflow;
    const std::uint16_t type = load_u16(data.data() + pos);
    const std::size_t len = load_u16(data.data() + pos + 2);
    // RFC 8489 §14: the value is padded to a multiple of 4 bytes; the padded
    // value must fit inside the message.
    if (padded(len) > data.size() - pos - attribute_header_size) return errc::attribute_overflow;
    if (type == attr::fingerprint) {
      if (len != 4) return errc::bad_attribute_length;
      // RFC 8489 §14.7: "When present, the FINGERPRINT attribute MUST be the
      // last attribute in the message".
      if (pos + attribute_header_size + 4 != data.size()) return errc::attribute_after_fingerprint;
      // RFC 8489 §14.7: "The value of the attribute is computed as the CRC-32
      // of the STUN message up to (but excluding) the FINGERPRINT attribute
      // itself, XOR'ed with the 32-bit value 0x5354554e".
      const std::uint32_t want = crc32(data.first(pos)) ^ fingerprint_xor;
      if (load_u32(data.data() + pos + attribute_header_size) != want) return errc::bad_fingerprint;
      has_fingerprint = true;
    } else if (type == attr::message_integrity && integrity == 0 && integrity_sha256 == 0) {
      // RFC 8489 §14.5: HMAC-SHA1 output is 20 bytes.
      if (len != 20) return errc::bad_attribute_length;
      integrity = pos;
    } else if (type == attr::message_integrity_sha256 && integrity_sha256 == 0) {
      // RFC 8489 §14.6: "The value will be at least 16 bytes and at most 32
      // bytes" and "MUST be a positive multiple of 4".
      if (len < 16 || len > 32 || (len & 3U) != 0U) return errc::bad_attribute_length;
      integrity_sha256 = pos;
    }
    pos += attribute_header_size + padded(len);
  }
  out.data_ = data;
  out.type_ = load_u16(data.data());
  out.has_cookie_ = load_u32(data.data() + 4) == magic_cookie;
  out.has_fingerprint_ = has_fingerprint;
  const auto at = [data](std::size_t p) noexcept {
    return raw_attribute{load_u16(data.data() + p),
                         data.subspan(p + attribute_header_size, load_u16(data.data() + p + 2)), p};
  };
  out.integrity_.reset();
  out.integrity_sha256_.reset();
  if (integrity != 0) out.integrity_.emplace(at(integrity));
  if (integrity_sha256 != 0) out.integrity_sha256_.emplace(at(integrity_sha256));
  return {};
}

std::size_t message_view::skip_ignored(std::size_t pos) const noexcept {
  // Skip attributes that a receiver must ignore: everything after
  // MESSAGE-INTEGRITY except MESSAGE-INTEGRITY-SHA256/FINGERPRINT, and after
  // MESSAGE-INTEGRITY-SHA256 everything except FINGERPRINT.
  while (pos < data_.size()) {
    const std::uint16_t type = load_u16(data_.data() + pos);
    const bool after_mi = integrity_ && pos > integrity_->offset;
    const bool after_mi256 = integrity_sha256_ && pos > integrity_sha256_->offset;
    const bool allowed = type == attr::fingerprint || (type == attr::message_integrity_sha256 && !after_mi256) ||
                         (!after_mi && !after_mi256);
    if (allowed) return pos;
    pos += attribute_header_size + padded(load_u16(data_.data() + pos + 2));
  }
  return data_.size();
}

message_view::iterator::iterator(const message_view* m, std::size_t pos) noexcept : msg_(m), pos_(pos) { load(); }

void message_view::iterator::load() noexcept {
  if (msg_ == nullptr || pos_ >= msg_->data_.size()) return;
  const auto* p = msg_->data_.data() + pos_;
  const std::size_t len = load_u16(p + 2);
  cur_ = raw_attribute{load_u16(p), msg_->data_.subspan(pos_ + attribute_header_size, len), pos_};
}

message_view::iterator& message_view::iterator::operator++() noexcept {
  pos_ = msg_->skip_ignored(pos_ + attribute_header_size + padded(cur_.value.size()));
  load();
  return *this;
}

message_view::iterator message_view::begin() const noexcept { return {this, skip_ignored(header_size)}; }
message_view::iterator message_view::end() const noexcept { return {this, data_.size()}; }

std::optional<raw_attribute> message_view::find(std::uint16_t type) const noexcept {
  for (const auto& a : *this) {
    if (a.type == type) return a;
  }
  return std::nullopt;
}

}  // namespace pinhole::stun
