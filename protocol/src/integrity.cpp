#include "stun/integrity.hpp"

#include <cstring>

#include "stun/errors.hpp"
#include "stun/hmac.hpp"
#include "stun/md5.hpp"
#include "stun/sha1.hpp"
#include "stun/sha256.hpp"

namespace pinhole::stun {
namespace {

// HMAC of header-with-adjusted-length + attributes[20, end). RFC 8489 §14.5:
// "the length field of the STUN message header is adjusted to point to the end
// of the MESSAGE-INTEGRITY attribute" before computing the HMAC.
template <class Hash>
typename Hash::digest mac_over(bytes_view message, std::size_t end, std::size_t length_field,
                               std::span<const std::byte> key) noexcept {
  std::byte header[header_size];
  std::memcpy(header, message.data(), header_size);
  store_u16(header + 2, static_cast<std::uint16_t>(length_field));
  hmac<Hash> h(key);
  h.update(std::span<const std::byte>(header, header_size));
  h.update(message.subspan(header_size, end - header_size));
  return h.finish();
}

}  // namespace

std::array<std::byte, 20> hmac_sha1_message(bytes_view prefix, std::span<const std::byte> key) noexcept {
  return mac_over<sha1>(prefix, prefix.size(), load_u16(prefix.data() + 2), key);
}

std::array<std::byte, 32> hmac_sha256_message(bytes_view prefix, std::span<const std::byte> key) noexcept {
  return mac_over<sha256>(prefix, prefix.size(), load_u16(prefix.data() + 2), key);
}

bool equal_constant_time(std::span<const std::byte> a, std::span<const std::byte> b) noexcept {
  if (a.size() != b.size()) return false;
  unsigned diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= std::to_integer<unsigned>(a[i] ^ b[i]);
  return diff == 0;
}

std::error_code verify_integrity(const message_view& m, std::span<const std::byte> key) noexcept {
  const auto mi = m.integrity();
  const auto mi256 = m.integrity_sha256();
  if (!mi && !mi256) return errc::integrity_missing;
  if (mi) {
    const std::size_t end = mi->offset;
    const auto mac = mac_over<sha1>(m.bytes(), end, end + 24 - header_size, key);
    if (!equal_constant_time(mac, mi->value)) return errc::integrity_mismatch;
  }
  if (mi256) {
    const std::size_t end = mi256->offset;
    const std::size_t attr_len = attribute_header_size + mi256->value.size();
    const auto mac = mac_over<sha256>(m.bytes(), end, end + attr_len - header_size, key);
    // RFC 8489 §14.6: the value may be truncated to its first 16..32 bytes.
    if (!equal_constant_time(std::span<const std::byte>(mac).first(mi256->value.size()), mi256->value)) {
      return errc::integrity_mismatch;
    }
  }
  return {};
}

std::array<std::byte, 16> long_term_key(std::string_view username, std::string_view realm,
                                        std::string_view password) noexcept {
  const auto as_bytes = [](std::string_view s) { return std::as_bytes(std::span<const char>(s.data(), s.size())); };
  const std::byte colon{':'};
  md5 h;
  h.update(as_bytes(username));
  h.update(std::span<const std::byte>(&colon, 1));
  h.update(as_bytes(realm));
  h.update(std::span<const std::byte>(&colon, 1));
  h.update(as_bytes(password));
  return h.finish();
}

}  // namespace pinhole::stun
