// Text forms of the settings' value types; see config_values.hpp.
#include "config_values.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <system_error>

namespace pinhole::daemon {

namespace {

bool all_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

bool parse_ip(std::string_view text, int& family, std::array<std::uint8_t, 16>& ip) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return false;
  const std::string s(text);  // inet_pton needs a terminator
  std::array<std::uint8_t, 16> buf{};
  if (s.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, s.c_str(), buf.data()) != 1) return false;
    family = AF_INET;
  } else {
    if (inet_pton(AF_INET6, s.c_str(), buf.data()) != 1) return false;
    family = AF_INET6;
  }
  ip = buf;
  return true;
}

bool parse_ip(std::string_view text, ip_address& out) { return parse_ip(text, out.family, out.ip); }

bool parse_listen(std::string_view text, listen_spec& out) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return false;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (host.find(':') == std::string_view::npos) return false;  // brackets are for IPv6 only
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return false;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return false;  // unbracketed IPv6
  }
  if (port.empty() || port.size() > 5 || !all_digits(port)) return false;
  unsigned value = 0;
  const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || ptr != port.data() + port.size() || value > 65535U) return false;
  int fam = 0;
  std::array<std::uint8_t, 16> ip{};
  if (!parse_ip(host, fam, ip)) return false;
  out.text = std::string(text);
  out.family = fam;
  out.ip = ip;
  out.port = static_cast<std::uint16_t>(value);
  return true;
}

bool parse_prefix(std::string_view text, ip_prefix& out) {
  const auto slash = text.find('/');
  const std::string_view addr = text.substr(0, slash);
  int fam = 0;
  std::array<std::uint8_t, 16> ip{};
  if (!parse_ip(addr, fam, ip)) return false;
  const unsigned max_len = fam == AF_INET ? 32U : 128U;
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
  out.family = fam;
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
    if (c < 0x80U) { n = 1; cp = c; }
    else if ((c & 0xE0U) == 0xC0U) { n = 2; cp = c & 0x1FU; }
    else if ((c & 0xF0U) == 0xE0U) { n = 3; cp = c & 0x0FU; }
    else if ((c & 0xF8U) == 0xF0U) { n = 4; cp = c & 0x07U; }
    else return false;
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
