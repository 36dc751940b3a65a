// port_type helpers and ip_endpoint text forms.
#include "pinhole/types.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace pinhole {

const char* to_string(port_type t) noexcept {
  switch (t) {
    case port_type::audio_rtp: return "AUDIO_RTP";
    case port_type::audio_rtcp: return "AUDIO_RTCP";
    case port_type::video_rtp: return "VIDEO_RTP";
    case port_type::video_rtcp: return "VIDEO_RTCP";
    case port_type::sip: return "SIP";
  }
  return "?";
}

std::optional<port_type> port_type_from_int(int value) noexcept {
  if (value < 0 || value >= static_cast<int>(port_type_count)) return std::nullopt;
  return static_cast<port_type>(value);
}

std::optional<port_type> rtcp_partner(port_type rtp) noexcept {
  switch (rtp) {
    case port_type::audio_rtp: return port_type::audio_rtcp;
    case port_type::audio_rtcp: return port_type::audio_rtp;
    case port_type::video_rtp: return port_type::video_rtcp;
    case port_type::video_rtcp: return port_type::video_rtp;
    case port_type::sip: return std::nullopt;
  }
  return std::nullopt;
}

bool is_rtcp(port_type t) noexcept { return t == port_type::audio_rtcp || t == port_type::video_rtcp; }

bool ip_endpoint::same_ip(const ip_endpoint& o) const noexcept {
  return family == o.family && std::equal(ip.begin(), ip.begin() + static_cast<std::ptrdiff_t>(ip_size()), o.ip.begin());
}

bool ip_endpoint::is_unspecified() const noexcept {
  return std::all_of(ip.begin(), ip.begin() + static_cast<std::ptrdiff_t>(ip_size()), [](std::uint8_t b) { return b == 0; });
}

bool ip_endpoint::is_loopback() const noexcept {
  if (family == ip_family::v4) return ip[0] == 127;
  return std::all_of(ip.begin(), ip.begin() + 15, [](std::uint8_t b) { return b == 0; }) && ip[15] == 1;
}

std::string ip_endpoint::ip_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(family == ip_family::v4 ? AF_INET : AF_INET6, ip.data(), buf, sizeof buf);
  return buf;
}

std::string ip_endpoint::to_string() const {
  const auto p = std::to_string(port);
  return family == ip_family::v4 ? ip_string() + ":" + p : "[" + ip_string() + "]:" + p;
}

std::optional<ip_endpoint> ip_endpoint::parse_ip(std::string_view text, std::uint16_t port) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN] = {};
  std::copy(text.begin(), text.end(), buf);
  ip_endpoint e;
  e.port = port;
  if (::inet_pton(AF_INET, buf, e.ip.data()) == 1) {
    e.family = ip_family::v4;
    return e;
  }
  if (::inet_pton(AF_INET6, buf, e.ip.data()) == 1) {
    e.family = ip_family::v6;
    return e;
  }
  return std::nullopt;
}

std::optional<ip_endpoint> ip_endpoint::parse(std::string_view text, bool allow_no_port) {
  std::string_view host = text;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    const auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port_text = rest.substr(1);
      if (port_text.empty()) return std::nullopt;
    }
  } else if (const auto colon = text.rfind(':'); colon != std::string_view::npos && text.find(':') == colon) {
    host = text.substr(0, colon);  // exactly one colon: IPv4:port
    port_text = text.substr(colon + 1);
    if (port_text.empty()) return std::nullopt;
  }
  std::uint16_t port = 0;
  if (!port_text.empty()) {
    const auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || ptr != port_text.data() + port_text.size()) return std::nullopt;
  } else if (!allow_no_port) {
    return std::nullopt;
  }
  return parse_ip(host, port);
}

ip_endpoint ip_endpoint::any(ip_family f, std::uint16_t port) noexcept {
  ip_endpoint e;
  e.family = f;
  e.port = port;
  return e;
}

const char* to_string(mapping_origin o) noexcept {
  switch (o) {
    case mapping_origin::stun: return "stun";
    case mapping_origin::pcp: return "pcp";
    case mapping_origin::natpmp: return "natpmp";
    case mapping_origin::upnp: return "upnp";
  }
  return "unknown";
}

}  // namespace pinhole
