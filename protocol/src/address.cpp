#include "stun/address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace pinhole::stun {
namespace {

constexpr std::array<std::uint8_t, 12> v4_mapped_prefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// 1-5 decimal digits, at most 65535 (from_chars alone would take "0003478").
std::optional<std::uint16_t> parse_port(std::string_view text) noexcept {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end || value > 65535U) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

}  // namespace

transport_address transport_address::v4(std::array<std::uint8_t, 4> a, std::uint16_t p) noexcept {
  transport_address r;
  r.fam = family::ipv4;
  std::memcpy(r.ip.data(), a.data(), 4);
  r.port = p;
  return r;
}

transport_address transport_address::v6(const std::array<std::uint8_t, 16>& a, std::uint16_t p) noexcept {
  transport_address r;
  r.fam = family::ipv6;
  r.ip = a;
  r.port = p;
  return r;
}

transport_address transport_address::any(family f, std::uint16_t p) noexcept {
  transport_address r;
  r.fam = f;
  r.port = p;
  return r;
}

bool transport_address::same_ip(const transport_address& o) const noexcept {
  return fam == o.fam && std::memcmp(ip.data(), o.ip.data(), ip_size()) == 0;
}

bool transport_address::is_unspecified() const noexcept {
  const auto b = ip_bytes();
  return std::all_of(b.begin(), b.end(), [](std::uint8_t x) { return x == 0; });
}

bool transport_address::is_loopback() const noexcept {
  if (fam == family::ipv4) return ip[0] == 127;
  return std::all_of(ip.begin(), ip.begin() + 15, [](std::uint8_t x) { return x == 0; }) && ip[15] == 1;
}

bool transport_address::is_v4_mapped() const noexcept {
  return fam == family::ipv6 && std::equal(v4_mapped_prefix.begin(), v4_mapped_prefix.end(), ip.begin());
}

transport_address transport_address::unmap_v4() const noexcept {
  if (!is_v4_mapped()) return *this;
  return v4({ip[12], ip[13], ip[14], ip[15]}, port);
}

transport_address transport_address::map_v4() const noexcept {
  if (fam != family::ipv4) return *this;
  std::array<std::uint8_t, 16> a{};
  std::copy(v4_mapped_prefix.begin(), v4_mapped_prefix.end(), a.begin());
  std::memcpy(a.data() + 12, ip.data(), 4);
  return v6(a, port);
}

bool transport_address::ip_text(std::span<char> out) const noexcept {
  if (out.empty()) return false;
  const auto size = static_cast<socklen_t>(std::min<std::size_t>(out.size(), INET6_ADDRSTRLEN));
  if (inet_ntop(fam == family::ipv4 ? AF_INET : AF_INET6, ip.data(), out.data(), size) != nullptr) return true;
  out[0] = '\0';
  return false;
}

std::string transport_address::ip_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  ip_text(text);
  return text;
}

std::string transport_address::to_string() const {
  std::string out = fam == family::ipv6 ? "[" + ip_string() + "]" : ip_string();
  return out.append(":").append(std::to_string(port));
}

std::optional<transport_address> transport_address::parse_literal(std::string_view text, std::uint16_t p) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN] = {};  // inet_pton needs a terminator
  std::copy(text.begin(), text.end(), buf);
  transport_address r;
  r.port = p;
  if (inet_pton(AF_INET, buf, r.ip.data()) == 1) return r;
  r.fam = family::ipv6;
  if (inet_pton(AF_INET6, buf, r.ip.data()) == 1) return r;
  return std::nullopt;
}

std::optional<transport_address> transport_address::parse_ip(std::string_view text, std::uint16_t p) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  return parse_literal(text, p);
}

std::optional<transport_address> transport_address::parse(std::string_view text, port_rule rule) {
  std::string_view host = text;
  std::string_view port_text;
  bool has_port = false;
  const bool bracketed = !text.empty() && text.front() == '[';
  if (bracketed) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    const auto rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return std::nullopt;
    has_port = !rest.empty();
    if (has_port) port_text = rest.substr(1);
  } else if (const auto colon = text.find(':'); colon != std::string_view::npos && text.rfind(':') == colon) {
    host = text.substr(0, colon);  // exactly one colon: IPv4:port
    port_text = text.substr(colon + 1);
    has_port = true;
  }
  if (!has_port && rule == port_rule::required) return std::nullopt;
  std::uint16_t port = 0;
  if (has_port) {
    const auto p = parse_port(port_text);
    if (!p) return std::nullopt;
    port = *p;
  }
  auto r = parse_literal(host, port);
  // Brackets are for IPv6 only (RFC 3986 §3.2.2 IP-literal); a bare IPv6
  // with a port would be ambiguous and is never split at its last colon.
  if (r && bracketed && r->fam != family::ipv6) return std::nullopt;
  return r;
}

}  // namespace pinhole::stun
