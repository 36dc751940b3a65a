// Text forms of the settings' value types; see config_values.hpp.
#include "config_values.hpp"

#include <algorithm>
#include <charconv>
#include <system_error>

namespace pinhole::daemon {

namespace {

bool all_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

bool parse_ip(std::string_view text, stun::transport_address& out) {
  const auto parsed = stun::transport_address::parse_literal(text);
  if (!parsed) return false;
  out = *parsed;
  return true;
}

bool parse_listen(std::string_view text, listen_spec& out) {
  const auto addr = stun::transport_address::parse(text);
  if (!addr) return false;
  out.text = std::string(text);
  out.addr = *addr;
  return true;
}

bool parse_prefix(std::string_view text, ip_prefix& out) {
  const auto slash = text.find('/');
  const auto parsed = stun::transport_address::parse_literal(text.substr(0, slash));
  if (!parsed) return false;
  const auto& ip = parsed->ip;
  const unsigned max_len = parsed->fam == stun::family::ipv4 ? 32U : 128U;
  unsigned len = max_len;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3 || !all_digits(digits)) return false;
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), len);
    if (ec != std::errc{} || ptr != digits.data() + digits.size() || len > max_len) return false;
  }
  // Host bits must be zero: "198.51.100.1/24" is almost always a typo.
  for (unsigned bit = len; bit < max_len; ++bit) {
    if ((ip[bit / 8U] & (0x80U >> (bit % 8U))) != 0U) return false;
  }
  out.family = parsed->fam;
  out.ip = ip;
  out.length = len;
  return true;
}

bool utf8_length(std::string_view s, std::size_t& chars) {
  chars = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80U) {
      n = 1;
      cp = c;
    } else if ((c & 0xE0U) == 0xC0U) {
      n = 2;
      cp = c & 0x1FU;
    } else if ((c & 0xF0U) == 0xE0U) {
      n = 3;
      cp = c & 0x0FU;
    } else if ((c & 0xF8U) == 0xF0U) {
      n = 4;
      cp = c & 0x07U;
    } else
      return false;
    if (i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0U) != 0x80U) return false;
      cp = (cp << 6U) | (cc & 0x3FU);
    }
    if ((n == 2 && cp < 0x80U) || (n == 3 && cp < 0x800U) || (n == 4 && (cp < 0x10000U || cp > 0x10FFFFU)) ||
        (cp >= 0xD800U && cp <= 0xDFFFU)) {
      return false;
    }
    i += n;
    ++chars;
  }
  return true;
}

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20U || u == 0x7FU;
  });
}

// Control characters, ASCII (C0, DEL) and C1 (U+0080-U+009F, UTF-8 C2 80-C2 9F):
// RFC 8265's OpaqueString profile (required for USERNAME and the password by
// RFC 8489 §14.3 and §9.1.1) disallows them, NUL included.
bool has_control_text(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    if (u < 0x20U || u == 0x7FU) return true;
    if (u == 0xC2U && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80U &&
        static_cast<unsigned char>(s[i + 1]) <= 0x9FU) {
      return true;
    }
  }
  return false;
}

}  // namespace pinhole::daemon
