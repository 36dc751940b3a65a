#include "stun/address.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace pinhole::stun {

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

bool transport_address::same_ip(const transport_address& o) const noexcept {
  return fam == o.fam && std::memcmp(ip.data(), o.ip.data(), ip_size()) == 0;
}

std::string transport_address::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(fam == family::ipv4 ? AF_INET : AF_INET6, ip.data(), text, sizeof text);
  std::string out;
  if (fam == family::ipv6) {
    out.append("[").append(text).append("]");
  } else {
    out.append(text);
  }
  return out.append(":").append(std::to_string(port));
}

std::optional<transport_address> transport_address::parse_ip(std::string_view ip_text, std::uint16_t p) {
  if (ip_text.size() >= 2 && ip_text.front() == '[' && ip_text.back() == ']') {
    ip_text = ip_text.substr(1, ip_text.size() - 2);
  }
  const std::string s(ip_text);
  transport_address r;
  r.port = p;
  if (inet_pton(AF_INET, s.c_str(), r.ip.data()) == 1) {
    r.fam = family::ipv4;
    return r;
  }
  if (inet_pton(AF_INET6, s.c_str(), r.ip.data()) == 1) {
    r.fam = family::ipv6;
    return r;
  }
  return std::nullopt;
}

std::optional<transport_address> transport_address::parse(std::string_view text) {
  std::string_view host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
    host = text.substr(0, close + 1);
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) return std::nullopt;  // bare IPv6 needs []
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  const auto* end = port_text.data() + port_text.size();
  const auto [ptr, ec] = std::from_chars(port_text.data(), end, port);
  if (port_text.empty() || ec != std::errc{} || ptr != end || port > 65535) return std::nullopt;
  auto r = parse_ip(host, static_cast<std::uint16_t>(port));
  // IPv6 needs brackets to separate the port; IPv4 must not have them.
  if (r && (r->fam == family::ipv6) != (host.front() == '[')) return std::nullopt;
  return r;
}

}  // namespace pinhole::stun
