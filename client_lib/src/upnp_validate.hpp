// Validation of what an Internet Gateway Device answered (through
// libminiupnpc, which parses the XML but checks no value): a hostile or
// broken IGD must never produce a wrong mapping. Pure functions on the raw
// text, unit-tested with hostile answers.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <system_error>

#include "pinhole/types.hpp"
#include "upnp_backend.hpp"

namespace pinhole::client::upnp {

// The longest lease asked for or believed: WANIPConnection:2 (IGDv2)
// allows PortMappingLeaseDuration up to 604800 s (one week).
inline constexpr std::uint32_t max_lease = 604800;

// The IGD is usable: found as an IGD (status 1 or 2), with a control URL
// and a WANIPConnection / WANPPPConnection service, and our LAN address
// parses as IPv4.
bool usable(const igd& g) noexcept;
// NewExternalIPAddress: a unicast IPv4 address in dotted-quad form. Not
// 0.0.0.0 (an IGD without a WAN address), not loopback, multicast or
// broadcast. Private and reserved addresses pass: the STUN check (or
// nothing else) says whether peers can use them.
std::optional<ip_endpoint> parse_external_ip(std::string_view text);
// A port number in decimal, 1..65535, nothing else around it.
std::optional<std::uint16_t> parse_port(std::string_view text);
// A lease in seconds (decimal, 0 = permanent), clamped to max_lease.
std::optional<std::uint32_t> parse_lease(std::string_view text);
// GetSpecificPortMappingEntry confirms the mapping we asked for: enabled,
// to exactly this internal client and port.
bool confirms(const entry& e, const ip_endpoint& internal_client, std::uint16_t internal_port);
// The IGD's HTTP endpoint from its control URL ("http://IPv4[:port]/...",
// port 80 by default): the gateway reported beside PCP's and NAT-PMP's.
std::optional<ip_endpoint> url_endpoint(std::string_view url);
// An IGD error (UPnP code > 0, libminiupnpc error < 0) as errc:
// server_error for UPnP error codes, bad_response for a reply that did not
// parse, timeout for an HTTP failure.
std::error_code to_error(int upnp_result) noexcept;

}  // namespace pinhole::client::upnp
