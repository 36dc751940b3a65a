#include "stun/attributes.hpp"

#include <algorithm>

#include "stun/constants.hpp"
#include "stun/errors.hpp"
#include "stun/limits.hpp"

namespace pinhole::stun {
namespace {

std::error_code decode_plain(const raw_attribute& a, transport_address& out) noexcept {
  const auto v = a.value;
  // RFC 8489 §14.1: 8 bits of zero, 8-bit family, 16-bit port, then 32 bits
  // (IPv4) or 128 bits (IPv6) of address.
  if (v.size() < 4) return errc::bad_attribute_length;
  const auto fam = std::to_integer<std::uint8_t>(v[1]);
  std::size_t ip_len = 0;
  if (fam == static_cast<std::uint8_t>(family::ipv4)) {
    ip_len = 4;
  } else if (fam == static_cast<std::uint8_t>(family::ipv6)) {
    ip_len = 16;
  } else {
    return errc::bad_address_family;
  }
  if (v.size() != 4 + ip_len) return errc::bad_attribute_length;
  transport_address r;
  r.fam = static_cast<family>(fam);
  r.port = load_u16(v.data() + 2);
  for (std::size_t i = 0; i < ip_len; ++i) r.ip[i] = std::to_integer<std::uint8_t>(v[4 + i]);
  out = r;
  return {};
}

}  // namespace

std::error_code decode_address(const raw_attribute& a, transport_address& out) noexcept { return decode_plain(a, out); }

std::error_code decode_xor_address(const raw_attribute& a, std::span<const std::byte, 16> cookie_and_id,
                                   transport_address& out) noexcept {
  transport_address r;
  if (auto ec = decode_plain(a, r)) return ec;
  // RFC 8489 §14.2: "X-Port is computed by XOR'ing the mapped port with the
  // most significant 16 bits of the magic cookie." ... for IPv6 "X-Address is
  // computed by XOR'ing the mapped IP address with the concatenation of the
  // magic cookie and the 96-bit transaction ID."
  r.port = static_cast<std::uint16_t>(r.port ^ (magic_cookie >> 16U));
  for (std::size_t i = 0; i < r.ip_size(); ++i) {
    r.ip[i] = static_cast<std::uint8_t>(r.ip[i] ^ std::to_integer<std::uint8_t>(cookie_and_id[i]));
  }
  out = r;
  return {};
}

std::error_code decode_error_code(const raw_attribute& a, error_code_value& out) noexcept {
  const auto v = a.value;
  // RFC 8489 §14.8: 21 reserved bits, 3-bit class (3..6), 8-bit number (0..99),
  // then a reason phrase "as long as ... 763 bytes when decoding them".
  if (v.size() < 4 || v.size() > 4 + limits::reason_decode_bytes) return errc::bad_attribute_length;
  const unsigned cls = std::to_integer<unsigned>(v[2]) & 0x07U;
  const unsigned num = std::to_integer<unsigned>(v[3]);
  if (cls < 3 || cls > 6 || num > 99) return errc::bad_attribute_value;
  out.code = static_cast<std::uint16_t>(cls * 100U + num);
  out.reason = std::string_view(reinterpret_cast<const char*>(v.data() + 4), v.size() - 4);
  return {};
}

std::error_code decode_change_request(const raw_attribute& a, change_request_value& out) noexcept {
  if (a.value.size() != 4) return errc::bad_attribute_length;
  const std::uint32_t flags = load_u32(a.value.data());
  // RFC 5780 §7.2: "A: This is the "change IP" flag." (0x4) "B: This is the
  // "change port" flag." (0x2); the rest is unused and ignored.
  out.change_ip = (flags & 0x4U) != 0;
  out.change_port = (flags & 0x2U) != 0;
  return {};
}

std::error_code decode_response_port(const raw_attribute& a, std::uint16_t& port) noexcept {
  // RFC 5780 §7.5: "a 16-bit value representing the port ... followed by 2
  // bytes of padding".
  if (a.value.size() != 4) return errc::bad_attribute_length;
  port = load_u16(a.value.data());
  return {};
}

std::error_code decode_unknown_attributes(const raw_attribute& a, std::span<std::uint16_t> out,
                                          std::size_t& count) noexcept {
  if (a.value.size() % 2 != 0) return errc::bad_attribute_length;
  count = a.value.size() / 2;
  const std::size_t n = std::min(count, out.size());
  for (std::size_t i = 0; i < n; ++i) out[i] = load_u16(a.value.data() + 2 * i);
  return {};
}

std::error_code decode_text(const raw_attribute& a, std::size_t max_bytes, std::string_view& out) noexcept {
  if (a.value.size() > max_bytes) return errc::bad_attribute_length;
  out = std::string_view(reinterpret_cast<const char*>(a.value.data()), a.value.size());
  return {};
}

bool known_attribute(std::uint16_t type) noexcept {
  // RESPONSE-ADDRESS (RFC 3489) is deliberately not understood: honouring it
  // would let anyone aim our responses at a third party, so a request that
  // requires it gets 420 instead.
  switch (type) {
    case attr::mapped_address:
    case attr::change_request:
    case attr::source_address:
    case attr::changed_address:
    case attr::username:
    case attr::message_integrity:
    case attr::error_code:
    case attr::unknown_attributes:
    case attr::realm:
    case attr::nonce:
    case attr::message_integrity_sha256:
    case attr::password_algorithm:
    case attr::userhash:
    case attr::xor_mapped_address:
    case attr::padding:
    case attr::response_port: return true;
    default: return !comprehension_required(type);  // optional attributes are always "understood" (ignored)
  }
}

}  // namespace pinhole::stun
