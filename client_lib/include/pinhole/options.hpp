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
//
// The default initial RTO is 250 ms, below the RFC's "SHOULD be greater
// than or equal to 500 ms": the port manager's transactions are interactive
// (a call waits for them) and bounded by options::call_timeout, so a request
// is sent at most ~log2(budget / rto) + 1 times per server per call (four
// with the defaults), and a server that does not answer is failed over
// within the budget instead of being retried for the RFC's 39.5 s. 250 ms
// leaves room for three transmissions per server when two servers share the
// 2 s budget, so one lost request or answer no longer fails the call. Set
// 500 ms for the RFC's recommended value on slow or congested links.
struct transaction_options {
  std::chrono::milliseconds rto{250};  // initial RTO
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

// A TURN server (RFC 8656) for relayed mappings: "turn:IP[:PORT]",
// "turn:[v6][:PORT]" or "turn:host[:PORT]" (port 3478 by default; host
// names are looked up once, at creation), with its long-term credential
// (the 401 challenge and 438 Stale Nonce are handled as for STUN servers).
struct turn_server {
  std::string uri;
  std::string username;
  std::string password;
};

struct options {
  // Tried in order, failing over on timeout/ICMP. Forms: "IP", "IP:PORT",
  // "[v6]:PORT", "host", "host:PORT". A host name without a port is looked up
  // as _stun._udp.host (SRV) first when `use_srv`, then A/AAAA on 3478.
  // Names that do not resolve yet (no network at start) do not fail create():
  // they are looked up again in the background until they resolve; until
  // some server is known, calls fail with errc::no_server_resolved.
  //
  // Failover: a call's budget is shared by the servers still to try (the
  // first of two gets half, and so on), so a server that never answers
  // costs part of one call, not all of it. A server that timed out or
  // bounced is then tried only after the healthy ones (event
  // server_unreachable) and re-probed in the background after 5 s, 10 s,
  // 20 s, ... (at most 5 min) until it answers (event server_recovered).
  std::vector<std::string> servers{"127.0.0.1:3478"};
  bool use_srv = true;
  transaction_options transaction{};
  // Upper bound for GetMapping / UpdateRemoteAddress / ReleaseMapping /
  // StartListen / StopListen / attach_socket / create(). Also the budget of
  // one keep-alive check (shared by the servers it tries).
  std::chrono::milliseconds call_timeout{2000};
  // A keep-alive check of every mapping this often. Worst case from the
  // moment the server stops answering to event mapping_lost:
  //   keepalive_interval + call_timeout   (25 s + 2 s = 27 s by default)
  // and, once a server answers again, to mapping_restored: at most the next
  // re-probe of that server (see `servers`) or the next keep-alive,
  // whichever comes first, plus one round trip.
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
  // Explicit port mappings requested from the gateway (pcp, natpmp, upnp),
  // tried in this order; empty = off. The default gateways are probed with
  // every listed protocol in parallel at creation and on reprobe_gateways()
  // (bounded by portmap_timeout; UPnP discovery by portmap_upnp_timeout),
  // and what answered is remembered. GetMapping then asks the first
  // protocol that answered for a mapping of its socket, checks the external
  // address against the STUN server's view (a gateway behind another NAT
  // reports a useless address: then the STUN mapping is used), renews the
  // lease at half-life and deletes it on ReleaseMapping and destruction.
  // `mapping::origin` says what made a mapping. (mapping_origin::stun in
  // the list is ignored: STUN is always the fallback.)
  std::vector<mapping_origin> port_mapping{mapping_origin::pcp, mapping_origin::natpmp, mapping_origin::upnp};
  // Gateways to ask instead of the default routes' next hops ("IP" or
  // "IP:PORT", port 5351 by default; UPnP always uses SSDP discovery).
  std::vector<std::string> portmap_gateways;
  std::chrono::milliseconds portmap_timeout{250};
  // UPnP-IGD (libminiupnpc, on a worker thread of its own): how long a probe
  // round (and so the first GetMapping) waits for the UPnP discovery. The
  // discovery itself goes on in the background and its answer is cached
  // when it comes: an SSDP search with libminiupnpc 2.2.4 takes at least
  // 1 s (it rounds MX up to 1 s and waits all of it, measured 1.05 s with
  // an IGD answering at once), so with this default (the PCP/NAT-PMP
  // round's 250 ms: UPnP makes no call wait longer than before) the first
  // GetMapping after creation (or after a network change) uses PCP,
  // NAT-PMP or STUN, and UPnP from the next one on. Set it to 1500 or more
  // where UPnP is the only gateway protocol and the first mapping must be
  // explicit (the first GetMapping then waits up to that long when no IGD
  // answers, and needs a call_timeout to match). Also
  // the budget of one AddPortMapping sequence, and what destruction waits
  // at most for the DeletePortMapping calls. UPnP maps IPv4 only
  // (WANIPConnection); the lease asked for is portmap_lifetime (a permanent
  // one when the IGD answers 725 OnlyPermanentLeasesSupported).
  std::chrono::milliseconds portmap_upnp_timeout{250};
  std::uint32_t portmap_lifetime = 7200;  // seconds asked for (RFC 6886 §3.3 recommends 7200)
  event_handler on_event;
  // Library-owned sockets only (GetMapping, StartListen, adopt_socket): the
  // datagrams the library read that are not its own STUN.
  datagram_handler on_datagram;
  // (Appended after the callbacks: existing members keep their offsets.)
  // Network changes (Linux: rtnetlink link, address and route
  // notifications, IPv4 and IPv6; elsewhere off). Within ~150 ms of a change
  // (one re-check per burst of notifications) plus one round trip, every
  // mapping is re-checked instead of waiting for its next keep-alive (up to
  // keepalive_interval + call_timeout): event network_changed, then
  // mapping_changed (another NAT in front now) or mapping_lost. A
  // library-owned mapping whose local address is gone is re-bound to the
  // address the kernel now routes from (same port if free); its
  // mapping_changed then carries the new internal address too, and the old
  // one still names it. An application-owned (attach_socket) one is
  // reported lost. The pre-warmed cache is emptied and refilled.
  // port_manager::network_changed() does the same on the application's
  // word (with or without the monitor).
  bool monitor_network = true;
  // Skip a mapping's keep-alive while the application's own traffic through
  // port_manager::send() (pinhole_send) on its socket keeps the NAT binding
  // fresh: the keep-alive comes keepalive_interval after the last such
  // datagram (RFC 4787 REQ-6: outbound traffic refreshes a binding). Saves
  // the radio wake-ups of idle STUN on phones. Datagrams sent on
  // native_handle directly are not seen and do not count. The cost: a
  // mapping that the NAT re-maps while media flows is noticed at the next
  // network change or the next keep-alive after the traffic stops, not at
  // the next interval. Off by default.
  bool skip_keepalive_on_traffic = false;
  // Keep-alive interval of explicit port mappings (PCP, NAT-PMP, UPnP),
  // whose NAT binding needs no refresh traffic: their check only looks for
  // a change. Never shorter than keepalive_interval.
  std::chrono::milliseconds explicit_keepalive_interval{300000};
  // (Appended last: the members above keep their offsets.)
  // Relays (RFC 8656 TURN over UDP), tried in order. GetMapping returns a
  // relayed mapping (mapping::origin turn) when a TURN server is configured
  // and no direct mapping can work: the NAT is destination-dependent
  // (errc::destination_dependent_mapping) or no STUN server answers. The
  // STUN attempt then gets the first half of call_timeout, the relay the
  // rest. With `prefer_relay` every GetMapping is relayed at once.
  // Allocation errors: errc::wrong_credentials (441, or a 401 again),
  // allocation_mismatch (437), unsupported_transport (442),
  // allocation_quota_reached (486), insufficient_capacity (508).
  std::vector<turn_server> turn_servers;
  bool prefer_relay = false;
  // LIFETIME asked for in Allocate/Refresh (RFC 8656 default 600 s); the
  // allocation is refreshed at half of the shorter of this and what the
  // server grants.
  std::chrono::seconds turn_lifetime{600};
  // Relays for application-owned sockets (attach_socket) too, under the same
  // rules as GetMapping. Off by default: the application's receive loop must
  // then hand every datagram from the TURN server (ChannelData, first byte
  // 64..79, and STUN) to the handle_datagram overload that unwraps relayed
  // data, and send through port_manager::send(), which wraps it.
  bool relay_attached_sockets = false;
};

}  // namespace pinhole
