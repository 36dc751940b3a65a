// port_type helpers; ip_endpoint's text forms and predicates (the address type's).
#include "pinhole/types.hpp"

#include "address_conv.hpp"

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

// The text forms and predicates are the address type's (stun/address.hpp).
using client::from_stun;
using client::to_stun;

bool ip_endpoint::same_ip(const ip_endpoint& o) const noexcept { return to_stun(*this).same_ip(to_stun(o)); }

bool ip_endpoint::is_unspecified() const noexcept { return to_stun(*this).is_unspecified(); }

bool ip_endpoint::is_loopback() const noexcept { return to_stun(*this).is_loopback(); }

std::string ip_endpoint::ip_string() const { return to_stun(*this).ip_string(); }

std::string ip_endpoint::to_string() const { return to_stun(*this).to_string(); }

std::optional<ip_endpoint> ip_endpoint::parse_ip(std::string_view text, std::uint16_t port) {
  return from_stun(stun::transport_address::parse_ip(text, port));
}

std::optional<ip_endpoint> ip_endpoint::parse(std::string_view text, bool allow_no_port) {
  return from_stun(
      stun::transport_address::parse(text, allow_no_port ? stun::port_rule::optional : stun::port_rule::required));
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
    case mapping_origin::turn: return "turn";
  }
  return "unknown";
}

}  // namespace pinhole
