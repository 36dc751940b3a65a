// Configuration of the port manager and of STUN client transactions.
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "pinhole/events.hpp"
#include "pinhole/types.hpp"

namespace pinhole {

// RFC 8489 §6.2.1 retransmission parameters.
struct transaction_options {
  std::chrono::milliseconds rto{500};  // initial RTO, 500 ms by default
  unsigned rc = 7;                     // "Rc SHOULD be configurable and SHOULD have a default of 7"
  unsigned rm = 16;                    // "Rm SHOULD be configurable and SHOULD have a default of 16"
};

// Credentials for servers that require them. Requests start as short-term
// (RFC 8489 §9.1: USERNAME and MESSAGE-INTEGRITY keyed with the password).
// A server using long-term credentials answers 401 with REALM and NONCE;
// the request is then repeated with USERNAME, REALM, NONCE and
// MESSAGE-INTEGRITY keyed with MD5(username ":" realm ":" password)
// (§9.2), the challenge is remembered per server, and a 438 Stale Nonce is
// retried with the new nonce. Successful responses must carry a valid
// MESSAGE-INTEGRITY with the key in use; the same challenge twice means the
// credentials are wrong (errc::integrity_failure). Passwords are used as
// given (OpaqueString leaves ASCII unchanged); SHA-256 password algorithms
// and USERHASH (§9.2.1) are not offered.
struct credentials {
  std::string username;
  std::string password;
};

struct options {
  // Tried in order, failing over on timeout/ICMP. Forms: "IP", "IP:PORT",
  // "[v6]:PORT", "host", "host:PORT". A host name without a port is looked up
  // as _stun._udp.host (SRV) first when `use_srv`, then A/AAAA on 3478.
  std::vector<std::string> servers{"127.0.0.1:3478"};
  bool use_srv = true;
  transaction_options transaction{};
  // Upper bound for GetMapping / UpdateRemoteAddress / ReleaseMapping /
  // StartListen / StopListen.
  std::chrono::milliseconds call_timeout{500};
  std::chrono::milliseconds keepalive_interval{25000};
  // Server names (not IP literals) are resolved again this often, in the
  // background, so a long-lived manager follows DNS changes; after a
  // transaction found every server dead, again soon (1/30 of this, between
  // 0.1 and 10 s). A failed lookup keeps the servers known. 0 = resolve only
  // at creation. (The C API uses the default.)
  std::chrono::milliseconds dns_refresh{300000};
  // Per RTC_PORT_TYPE (index = port_type value). {0,0} = kernel's choice.
  std::array<port_range, port_type_count> port_ranges{};
  // Bind RTP on an even port and reserve port+1 for the RTCP mapping asked
  // for next with the same remote (RFC 3550 §11).
  bool rtp_rtcp_pairs = false;
  // Mappings kept ready per port type (IPv4), so GetMapping is served from
  // the cache without waiting for the network.
  std::array<unsigned, port_type_count> prewarm{};
  // Local addresses to bind. Unspecified ("0.0.0.0"/"::") means: the source
  // address the kernel routes towards the STUN server.
  std::string bind_ipv4 = "0.0.0.0";
  std::string bind_ipv6 = "::";
  std::optional<credentials> auth;
  bool fingerprint = true;  // add FINGERPRINT to requests
  // When the server offers an alternate address (RFC 5780 OTHER-ADDRESS),
  // GetMapping also asks it from the same socket. If the NAT maps the socket
  // to another external address for that destination, the mapping is
  // destination-dependent (a symmetric NAT): the address the server saw would
  // mislead any other peer, so GetMapping fails with
  // errc::destination_dependent_mapping instead (`out` still shows what was
  // seen, with destination_dependent set). Costs one round trip, only with
  // RFC 5780 servers. Pre-warmed mappings are checked the same way when they
  // are made; behind a destination-dependent NAT none is kept ready.
  bool check_destination_dependence = true;
  event_handler on_event;
  datagram_handler on_datagram;
};

}  // namespace pinhole
