// The port manager: the libpinhole counterpart of the Windows RTC API's
// IRTCPortManager (KB 826283). Thread-safe; every blocking call returns within
// options::call_timeout (default 2 s) and never calls back into the caller.
//
// Two socket models, both first-class:
//
// Library-owned (get_mapping, start_listen, adopt_socket). The library opens
// (or, for adopt_socket, takes over) the socket and is its only reader: its
// internal thread receives every datagram, keeps its own STUN answers and
// hands everything else to options::on_datagram. The application sends with
// send() or sendto() on mapping::native_handle, from any thread, including
// from inside on_datagram/on_event. The application must NOT recv() on
// native_handle: the library's thread reads the same socket, so each
// datagram goes to one reader or the other at random (media lost, keep-alive
// answers stolen). It must not close it either: release_mapping() does.
//
// Application-owned (attach_socket). For stacks that keep their own socket
// and receive loop (pjsip, baresip/libre, oRTP, GStreamer, WebRTC). The
// library never reads the socket and never closes it; it only sends from it
// (Binding requests for the mapping and its keep-alives, and the punch of
// update_remote_address). The stack keeps reading it and passes every
// datagram whose first byte is 0..3 (RFC 7983: STUN) to handle_datagram(),
// which returns true when it was the library's and false when the stack
// should process it itself (its own STUN/ICE, for example). Datagrams with
// any other first byte (RTP/RTCP 128..191, DTLS 20..63, SIP text) need not
// be offered at all. detach_socket() ends it; the descriptor stays the
// application's. No ICMP errors are seen on such a socket (the library does
// not set IP_RECVERR on it), so a dead server is noticed by timeout only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <system_error>

#include "pinhole/errors.hpp"
#include "pinhole/export.h"
#include "pinhole/options.hpp"
#include "pinhole/types.hpp"

namespace pinhole {

namespace detail {
struct port_manager_access;  // how the library itself builds a port_manager (not installed)
}  // namespace detail

struct port_manager_stats {
  std::size_t mappings = 0;   // handed out (GetMapping/adopt/attach), not released
  std::size_t prewarmed = 0;  // ready in the cache
  std::size_t listens = 0;
  std::uint64_t requests_sent = 0;        // Binding requests incl. retransmissions
  std::uint64_t responses_ok = 0;         // validated success responses
  std::uint64_t responses_rejected = 0;   // replies dropped by validation
  std::uint64_t keepalives = 0;           // keep-alive transactions completed
  std::uint64_t server_list_updates = 0;  // DNS re-resolutions that changed the server list
  std::size_t attached = 0;               // application-owned sockets (attach_socket), included in `mappings`
  std::uint64_t keepalives_skipped = 0;   // skipped for the application's traffic (skip_keepalive_on_traffic)
  std::uint64_t network_changes = 0;      // network changes acted on (monitor or network_changed())
};

// What handle_datagram (the unwrapping overload) found a datagram to be.
enum class datagram_kind : std::uint8_t {
  application = 0,  // not the library's: process it as read (media, SIP, the stack's own STUN)
  library = 1,      // the library's (STUN/TURN answers, relay traffic with nothing to deliver): drop it
  relayed = 2,      // relayed data (ChannelData or a Data indication) unwrapped: see relayed_datagram
};

// A datagram a peer sent to a relayed mapping, unwrapped: `payload` points
// into the buffer given to handle_datagram (no copy).
struct relayed_datagram {
  ip_endpoint peer;
  std::span<const std::byte> payload;
};

class PINHOLE_API port_manager {
 public:
  // Starts the internal thread, resolves the server names (getaddrinfo,
  // SRV) on a thread of its own and pre-warms once a server is known.
  // Returns within options::call_timeout even while DNS hangs. A name that
  // does not resolve yet (no network at start) is not an error: it is looked
  // up again in the background (every 2 s at most) and, until some server
  // is known, calls fail with errc::no_server_resolved. Returns nullptr and
  // sets `ec` only for a bad configuration (invalid_argument: an entry that
  // does not parse, a bad port range or budget; no_servers: none given).
  static std::unique_ptr<port_manager> create(options opts, std::error_code& ec) noexcept;
  ~port_manager();
  port_manager(const port_manager&) = delete;
  port_manager& operator=(const port_manager&) = delete;

  // GetMapping: a new mapping for a stream of `type` towards `remote` (its
  // family picks IPv4/IPv6; port may be 0). Served from the pre-warmed cache
  // when possible, otherwise one STUN transaction bounded by call_timeout.
  std::error_code get_mapping(const ip_endpoint& remote, port_type type, mapping& out) noexcept;
  std::error_code get_mapping(std::string_view remote_address, port_type type, mapping& out) noexcept;

  // UpdateRemoteAddress: the remote of the mapping (internal, external)
  // changed. Sends a punch packet (a STUN Binding indication) from the mapped
  // socket to `remote` so address-dependent filters open, then re-checks the
  // mapping with the server. `remote.port` 0 = punch to the remote IP at the
  // mapping's external port number. `updated` (optional) gets the mapping
  // after the re-check; a change is also reported as event mapping_changed.
  // A mapping is identified by `internal`; `external` may be the current
  // external address or one it had before a rebinding (mapping_changed), so
  // the pair the application was handed keeps working. {0.0.0.0:0} or
  // {[::]:0} as `external` means "whatever it is now". Same for ReleaseMapping.
  std::error_code update_remote_address(const ip_endpoint& remote, const ip_endpoint& internal,
                                        const ip_endpoint& external, mapping* updated = nullptr) noexcept;

  // ReleaseMapping: stop keep-alives, close the socket, forget the mapping.
  // (An attached, application-owned socket is forgotten but not closed,
  // like detach_socket.) Works from inside the callbacks.
  std::error_code release_mapping(const ip_endpoint& internal, const ip_endpoint& external) noexcept;

  // StartListen/StopListen: a SIP listen port for incoming calls whose
  // external address goes in the Contact header. Reference-counted: the socket
  // lives until every StartListen is matched by StopListen and no SIP mapping
  // handed out by GetMapping still uses it. Port 0 picks one from the SIP range.
  std::error_code start_listen(const ip_endpoint& internal, mapping& out) noexcept;
  std::error_code stop_listen(const ip_endpoint& internal) noexcept;  // works from the callbacks

  // GetPortRange.
  std::error_code get_port_range(port_type type, port_range& out) const noexcept;

  // Library-owned, ownership transferred: an already-bound UDP socket of
  // the application becomes the library's, exactly as if get_mapping had
  // opened it. The library makes it non-blocking, reads it (datagrams reach
  // options::on_datagram) and closes it on release_mapping. The descriptor
  // is taken whatever the result: on failure the library has closed it.
  // The application keeps sending on it (or with send()) and never reads
  // or closes it. To keep reading the socket yourself, use attach_socket.
  std::error_code adopt_socket(native_handle_type fd, port_type type, const ip_endpoint& remote, mapping& out) noexcept;

  // Application-owned: maps the application's bound UDP socket `fd`
  // without taking it. The library never reads it and never closes it (not
  // on detach, release, failure or destruction of the port manager); it
  // leaves its flags alone and sends from it with MSG_DONTWAIT.
  //
  // The first Binding transaction runs during this call and its answer
  // arrives on the application's socket. Both orders work, without telling
  // the library which:
  // - the application's receive loop already runs on another thread and
  //   passes the answer to handle_datagram(); or
  // - nobody reads the socket yet: while it waits, attach_socket looks at
  //   the head of the socket's queue with MSG_PEEK (never consuming
  //   anything) and takes the answer from there. The answer stays queued;
  //   when the receive loop starts it reads it and handle_datagram() says
  //   true (it was the library's), so nothing is lost or misread.
  //   Limitation: MSG_PEEK sees only the first queued datagram, so if other
  //   traffic arrives before the answer while nobody reads, the call times
  //   out; start the receive loop first when peers may already send.
  // `out.native_handle` is `fd`. Errors: invalid_argument (not a bound UDP
  // socket), address_in_use (already attached), and those of get_mapping.
  // With options::relay_attached_sockets the mapping may be relayed (TURN,
  // as for get_mapping): the receive loop then uses the unwrapping
  // handle_datagram overload below, and sends to peers with send().
  std::error_code attach_socket(native_handle_type fd, port_type type, const ip_endpoint& remote,
                                mapping& out) noexcept;

  // For application-owned sockets: the stack's receive loop calls this with
  // each datagram it read whose first byte is 0..3 (RFC 7983 STUN range;
  // calling it with any datagram is fine too, others return false at once).
  // `local` is the attached socket's internal endpoint (mapping::internal;
  // its family and port are what count). Returns true if the datagram was
  // the library's STUN: an answer to one of its transactions on that socket
  // (also a late duplicate of one already answered). Returns false for
  // everything else, including STUN Binding requests and indications from
  // peers and the stack's own STUN/ICE answers: the stack processes those.
  // Any thread, including the library's callbacks; never blocks; no
  // allocation unless the datagram is the library's.
  bool handle_datagram(const ip_endpoint& local, const ip_endpoint& from, std::span<const std::byte> data) noexcept;

  // The same for every datagram of an application-owned socket, relayed
  // mappings included (options::relay_attached_sockets): pass each one read
  // whose first byte is 0..3 (STUN) or 64..79 (TURN ChannelData, RFC 7983).
  // Returns datagram_kind::relayed for data a peer sent through the relay
  // (ChannelData on a channel of the mapping, or a Data indication from a
  // peer with a permission, coming from the TURN server): `out.peer` is the
  // peer and `out.payload` the data, inside `data`. library for the rest of
  // the relay's and STUN's traffic (also malformed or unpermitted relay
  // messages: dropped), application otherwise. The bool overload above does
  // not unwrap (relayed data is `false` there). Any thread; never blocks;
  // no allocation unless the datagram is an answer to the library.
  // Sending to a peer through the relay: send(), which wraps.
  datagram_kind handle_datagram(const ip_endpoint& local, const ip_endpoint& from, std::span<const std::byte> data,
                                relayed_datagram& out) noexcept;

  // Ends attach_socket: stops keep-alives, forgets the mapping, never
  // closes the descriptor. unknown_mapping if `internal` is not attached,
  // invalid_argument for a library-owned mapping (use release_mapping).
  // Works from the callbacks.
  std::error_code detach_socket(const ip_endpoint& internal) noexcept;

  // Sends `data` from the mapped socket identified by `internal`: a plain
  // sendto() on the caller's thread (any thread, including from inside
  // on_datagram and on_event), never waiting for the library's thread.
  // Works for every handed-out mapping, listening socket and attached socket.
  std::error_code send(const ip_endpoint& internal, const ip_endpoint& to, std::span<const std::byte> data) noexcept;

  port_manager_stats stats() const noexcept;

  // The application learnt that the network changed (a VPN came up, the
  // OS said so, the user switched Wi-Fi): re-check every mapping now, as
  // the network monitor does by itself (options::monitor_network). Returns
  // at once; the results come as events. Any thread, also the callbacks.
  void network_changed() noexcept;
  // Port mapping (options::port_mapping): the current state of the mapping
  // whose internal endpoint is `internal` (origin, lease end);
  // unknown_mapping if there is none. Works from the callbacks.
  std::error_code mapping_info(const ip_endpoint& internal, mapping& out) noexcept;
  // Probes the gateways again now, in the background (a network change:
  // the network monitor calls this). Thread-safe, never waits.
  void reprobe_gateways() noexcept;
  // True if the mapping bound to `internal` is relayed (mapping::relayed()).
  // Any thread; no allocation.
  bool is_relayed(const ip_endpoint& internal) const noexcept;

 private:
  friend struct detail::port_manager_access;
  struct impl;
  explicit port_manager(std::unique_ptr<impl> p) noexcept;
  std::unique_ptr<impl> impl_;
};

// The name used by the Windows RTC API.
using PortManager = port_manager;

}  // namespace pinhole
