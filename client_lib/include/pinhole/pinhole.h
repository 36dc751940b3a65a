/* C ABI of libpinhole (libpinhole.so.0). Opaque handles, plain structs,
 * integer error codes. Compiles as C99 and as C++; nothing throws.
 *
 * THREADING
 *   - Every function may be called from any thread; a port manager is
 *     thread-safe. A pinhole_options object is not: build it on one thread,
 *     then hand it to pinhole_port_manager_create (which copies it).
 *   - The event and datagram callbacks run on the library's single internal
 *     thread, one at a time, never from inside a call the application made.
 *     They must not block. From a callback, the calls that complete at once
 *     work: pinhole_send, pinhole_release_mapping, pinhole_stop_listen,
 *     pinhole_detach_socket, pinhole_handle_datagram, pinhole_get_stats.
 *     The calls that wait for the network (pinhole_get_mapping,
 *     pinhole_update_remote_address, pinhole_start_listen,
 *     pinhole_attach_socket, pinhole_adopt_socket) return
 *     PINHOLE_E_WOULD_DEADLOCK there: queue them to another thread.
 *   - Pointers handed to a callback are valid only until it returns.
 *   - pinhole_port_manager_free waits for a running callback to finish; do not
 *     call it from a callback.
 *
 * TWO SOCKET MODELS
 *   Library-owned (pinhole_get_mapping, pinhole_start_listen,
 *   pinhole_adopt_socket): the library opens (or takes over) the socket and
 *   is its only reader; what is not its own STUN reaches the datagram
 *   callback. Send with pinhole_send or sendto() on mapping.native_handle;
 *   never recv() on it, never close it (pinhole_release_mapping does).
 *   Application-owned (pinhole_attach_socket): the RTP/SIP stack keeps its
 *   socket and its receive loop. The library only sends from it (Binding
 *   requests, keep-alives, punches), never reads or closes it. The stack
 *   hands every datagram whose first byte is 0..3 (RFC 7983: STUN) to
 *   pinhole_handle_datagram and drops it when that returns 1.
 *   pinhole_detach_socket ends it; the descriptor stays the application's.
 *
 * ABI RULES
 *   Options are an opaque object with setters, so new options are new
 *   functions. Structs the library fills for the caller (pinhole_stats) start
 *   with a `size` field the caller sets to sizeof; structs the library hands
 *   to callbacks (pinhole_event) carry the size the library filled. Fields are
 *   only ever appended. Enums only gain values at the end. */
#ifndef PINHOLE_H
#define PINHOLE_H

#include <stddef.h>
#include <stdint.h>

#include "pinhole/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Same values as pinhole::errc. */
typedef enum pinhole_errc {
  PINHOLE_OK = 0,
  PINHOLE_E_INVALID_ARGUMENT = 1,
  PINHOLE_E_TIMEOUT = 2,
  PINHOLE_E_SERVER_UNREACHABLE = 3,
  PINHOLE_E_BAD_RESPONSE = 4,
  PINHOLE_E_SERVER_ERROR = 5,
  PINHOLE_E_INTEGRITY_FAILURE = 6,
  PINHOLE_E_UNKNOWN_MAPPING = 7,
  PINHOLE_E_NOT_LISTENING = 8,
  PINHOLE_E_NO_PORT_AVAILABLE = 9,
  PINHOLE_E_ADDRESS_IN_USE = 10,
  PINHOLE_E_FAMILY_NOT_SUPPORTED = 11,
  PINHOLE_E_RESOLVE_FAILED = 12,
  PINHOLE_E_NO_SERVERS = 13,
  PINHOLE_E_SOCKET_ERROR = 14,
  PINHOLE_E_SHUTTING_DOWN = 15,
  PINHOLE_E_WOULD_DEADLOCK = 16,
  PINHOLE_E_NO_ALTERNATE_SERVER = 17,
  PINHOLE_E_DESTINATION_DEPENDENT_MAPPING = 18,
  PINHOLE_E_NO_SERVER_RESOLVED = 19, /* no server name resolved yet (retrying in the background) */
  /* TURN allocations (RFC 8656). */
  PINHOLE_E_ALLOCATION_MISMATCH = 20,      /* 437: the server has no such allocation */
  PINHOLE_E_WRONG_CREDENTIALS = 21,        /* 441, or the password was refused (401 again) */
  PINHOLE_E_UNSUPPORTED_TRANSPORT = 22,    /* 442 */
  PINHOLE_E_ALLOCATION_QUOTA_REACHED = 23, /* 486 */
  PINHOLE_E_INSUFFICIENT_CAPACITY = 24,    /* 508 */
  PINHOLE_E_OUT_OF_MEMORY = 100
} pinhole_errc;

/* RTC_PORT_TYPE. */
typedef enum pinhole_port_type {
  PINHOLE_PORT_AUDIO_RTP = 0,
  PINHOLE_PORT_AUDIO_RTCP = 1,
  PINHOLE_PORT_VIDEO_RTP = 2,
  PINHOLE_PORT_VIDEO_RTCP = 3,
  PINHOLE_PORT_SIP = 4
} pinhole_port_type;

typedef struct pinhole_port_manager pinhole_port_manager;

/* Text form of an IPv6 address: INET6_ADDRSTRLEN. */
#define PINHOLE_ADDRESS_LEN 46

/* Addresses are text: "192.0.2.1" or "2001:db8::1"; ports host order. */
typedef struct pinhole_mapping {
  char internal_address[PINHOLE_ADDRESS_LEN];
  uint16_t internal_port;
  char external_address[PINHOLE_ADDRESS_LEN];
  uint16_t external_port;
  int native_handle; /* library-owned model: owned by the library, send from it;
                        application-owned model: the application's socket */
} pinhole_mapping;

typedef struct pinhole_endpoint {
  char address[PINHOLE_ADDRESS_LEN]; /* "" when unset */
  uint16_t port;
} pinhole_endpoint;

/* ---- events ----------------------------------------------------------- */

typedef enum pinhole_event_type {
  /* A keep-alive saw a different external address (the NAT lost its state,
   * rebooted, or re-mapped). `mapping` has the new one, `previous_external`
   * the old one. Re-advertise it: SIP re-INVITE / UPDATE with the new SDP. */
  PINHOLE_EVENT_MAPPING_CHANGED = 0,
  /* No server confirms the mapping any more (every server failed over).
   * `error` says why. The external address may still work; the application
   * may keep the call and ask again later. */
  PINHOLE_EVENT_MAPPING_LOST = 1,
  /* The STUN server `server` stopped answering (timeout/ICMP); the library
   * fails over to the next one. Informational. */
  PINHOLE_EVENT_SERVER_UNREACHABLE = 2,
  /* A server reported unreachable answers again. Informational. */
  PINHOLE_EVENT_SERVER_RECOVERED = 3,
  /* A mapping reported lost is confirmed again (`mapping` has it; if its
   * external address changed meanwhile, MAPPING_CHANGED follows too). */
  PINHOLE_EVENT_MAPPING_RESTORED = 4,
  /* The host's network changed (the rtnetlink monitor, or
   * pinhole_network_changed); every mapping is being re-checked and
   * MAPPING_CHANGED / MAPPING_LOST follow where it matters. Only `type` is
   * set. A MAPPING_CHANGED after it may carry a new internal address too
   * (a mapping re-bound because its local address went away). */
  PINHOLE_EVENT_NETWORK_CHANGED = 5
} pinhole_event_type;

typedef struct pinhole_event {
  size_t size; /* sizeof(pinhole_event) as the library filled it: a field
                  lies past what the library knows iff its offset >= size */
  pinhole_event_type type;
  pinhole_port_type port_type;        /* of `mapping`; meaningless for server events */
  pinhole_mapping mapping;            /* the mapping after the change */
  pinhole_endpoint previous_external; /* MAPPING_CHANGED: before the change */
  pinhole_endpoint server;            /* the STUN server concerned */
  pinhole_errc error;                 /* MAPPING_LOST / SERVER_UNREACHABLE: why */
  int system_error;                   /* errno value when error is PINHOLE_E_SOCKET_ERROR, else 0 */
} pinhole_event;

/* Library thread; see THREADING. `ev` is valid only during the call. */
typedef void (*pinhole_event_cb)(void* user, const pinhole_event* ev);

/* Datagrams arriving on a library-owned mapped socket that are not answers
 * to the library's own STUN transactions (RTP, RTCP, SIP, punch packets).
 * Library thread; all pointers valid only during the call. */
typedef void (*pinhole_datagram_cb)(void* user, const pinhole_mapping* m, const pinhole_endpoint* from,
                                    const uint8_t* data, size_t len);

/* ---- options ---------------------------------------------------------- */

typedef struct pinhole_options pinhole_options;

/* Defaults are those of pinhole::options (options.hpp, which explains
 * them): server "127.0.0.1:3478", SRV on, RFC 8489 Rc 7 and Rm 16 with the
 * library's initial RTO, the library's call timeout, keep-alive 25 s, DNS
 * refresh 5 min, no port ranges, no RTP/RTCP pairs, no pre-warming, bind
 * 0.0.0.0 and ::, no credentials, FINGERPRINT on, destination-dependence
 * check on.
 * Returns NULL when out of memory. */
PINHOLE_API pinhole_options* pinhole_options_new(void);
PINHOLE_API void pinhole_options_free(pinhole_options* o); /* NULL is fine */

/* Every setter returns PINHOLE_E_INVALID_ARGUMENT for a NULL object or a value
 * out of range (and changes nothing), PINHOLE_E_OUT_OF_MEMORY, or PINHOLE_OK. */

/* The first add_server replaces the default list; later ones append. Forms:
 * "IP", "IP:PORT", "[v6]:PORT", "host", "host:PORT" (tried in order). */
PINHOLE_API pinhole_errc pinhole_options_add_server(pinhole_options* o, const char* server);
PINHOLE_API pinhole_errc pinhole_options_clear_servers(pinhole_options* o);
/* A host name without a port: look up _stun._udp.host (SRV) first. */
PINHOLE_API pinhole_errc pinhole_options_set_use_srv(pinhole_options* o, int on);
/* RFC 8489 §6.2.1: initial RTO (ms, > 0), Rc (>= 1), Rm (>= 1). A call's
 * budget (call timeout) is shared by the servers still to try. */
PINHOLE_API pinhole_errc pinhole_options_set_rto_ms(pinhole_options* o, uint32_t ms);
PINHOLE_API pinhole_errc pinhole_options_set_rc(pinhole_options* o, uint32_t rc);
PINHOLE_API pinhole_errc pinhole_options_set_rm(pinhole_options* o, uint32_t rm);
/* Upper bound of every blocking call and of one keep-alive check (ms, > 0). */
PINHOLE_API pinhole_errc pinhole_options_set_call_timeout_ms(pinhole_options* o, uint32_t ms);
/* Keep-alive interval of every mapping (ms, > 0). */
PINHOLE_API pinhole_errc pinhole_options_set_keepalive_ms(pinhole_options* o, uint32_t ms);
/* Re-resolve server names this often (ms); 0 = only at creation. */
PINHOLE_API pinhole_errc pinhole_options_set_dns_refresh_ms(pinhole_options* o, uint32_t ms);
/* Local port range for a port type; 0,0 = the kernel's choice. */
PINHOLE_API pinhole_errc pinhole_options_set_port_range(pinhole_options* o, pinhole_port_type type, uint16_t min_port,
                                                        uint16_t max_port);
/* RTP on an even port, port+1 reserved for the RTCP mapping asked for next
 * with the same remote (RFC 3550 §11). */
PINHOLE_API pinhole_errc pinhole_options_set_rtp_rtcp_pairs(pinhole_options* o, int on);
/* Mappings kept ready (IPv4) for a port type. */
PINHOLE_API pinhole_errc pinhole_options_set_prewarm(pinhole_options* o, pinhole_port_type type, uint32_t count);
/* Local addresses to bind ("0.0.0.0"/"::" = the source the kernel routes
 * towards the STUN server). */
PINHOLE_API pinhole_errc pinhole_options_set_bind_ipv4(pinhole_options* o, const char* address);
PINHOLE_API pinhole_errc pinhole_options_set_bind_ipv6(pinhole_options* o, const char* address);
/* STUN short-term credentials, upgraded to long-term on a 401 with REALM and
 * NONCE (RFC 8489 §9). username NULL removes them. */
PINHOLE_API pinhole_errc pinhole_options_set_credentials(pinhole_options* o, const char* username,
                                                         const char* password);
/* Add FINGERPRINT to requests. */
PINHOLE_API pinhole_errc pinhole_options_set_fingerprint(pinhole_options* o, int on);
/* Ask an RFC 5780 server's alternate address too; fail GetMapping with
 * PINHOLE_E_DESTINATION_DEPENDENT_MAPPING behind a symmetric NAT. */
PINHOLE_API pinhole_errc pinhole_options_set_check_destination_dependence(pinhole_options* o, int on);
/* Follow network changes (Linux rtnetlink; on by default): re-check every
 * mapping within ~150 ms of a link, address or route change instead of at
 * its next keep-alive. See options::monitor_network in options.hpp. */
PINHOLE_API pinhole_errc pinhole_options_set_monitor_network(pinhole_options* o, int on);
/* Skip a keep-alive while the application's own pinhole_send traffic on
 * that socket keeps the NAT binding fresh (off by default; saves radio
 * wake-ups on phones). See options::skip_keepalive_on_traffic. */
PINHOLE_API pinhole_errc pinhole_options_set_skip_keepalive_on_traffic(pinhole_options* o, int on);
/* Keep-alive interval of explicit port mappings (PCP, NAT-PMP, UPnP); never
 * shorter than the keep-alive interval. 0: PINHOLE_E_INVALID_ARGUMENT. */
PINHOLE_API pinhole_errc pinhole_options_set_explicit_keepalive_ms(pinhole_options* o, uint32_t ms);
/* NULL cb removes the callback. `user` is passed back unchanged. */
PINHOLE_API pinhole_errc pinhole_options_set_event_callback(pinhole_options* o, pinhole_event_cb cb, void* user);
PINHOLE_API pinhole_errc pinhole_options_set_datagram_callback(pinhole_options* o, pinhole_datagram_cb cb, void* user);
/* TURN relays (RFC 8656 over UDP), tried in order: "turn:host[:port]" with
 * its long-term credential. GetMapping returns a relayed mapping when no
 * direct one can work (symmetric NAT, STUN unreachable), or always with
 * prefer_relay. Relayed mappings send with pinhole_send (wrapped for the
 * relay) and receive through the datagram callback (unwrapped); see
 * pinhole_mapping_is_relayed. */
PINHOLE_API pinhole_errc pinhole_options_add_turn_server(pinhole_options* o, const char* uri, const char* username,
                                                         const char* password);
PINHOLE_API pinhole_errc pinhole_options_set_prefer_relay(pinhole_options* o, int on);
/* LIFETIME asked for in Allocate/Refresh, seconds (default 600). */
PINHOLE_API pinhole_errc pinhole_options_set_turn_lifetime_s(pinhole_options* o, uint32_t seconds);
/* Relays for attached (application-owned) sockets too (default off): the
 * receive loop then passes every datagram whose first byte is 0..3 or 64..79
 * to pinhole_handle_datagram_relayed, and sends with pinhole_send. */
PINHOLE_API pinhole_errc pinhole_options_set_relay_attached_sockets(pinhole_options* o, int on);

/* ---- the port manager ------------------------------------------------- */

/* Starts the library thread and resolves the server names in the
 * background; returns within the call timeout even while DNS hangs. `o` may
 * be NULL for the defaults; it is copied and may be freed right after. A
 * name that does not resolve yet is not an error: it is retried, and until
 * some server is known calls fail with PINHOLE_E_NO_SERVER_RESOLVED. Fails
 * (NULL, error in *err if err != NULL) only for a bad configuration
 * (PINHOLE_E_INVALID_ARGUMENT, PINHOLE_E_NO_SERVERS) or out of resources. */
PINHOLE_API pinhole_port_manager* pinhole_port_manager_create(const pinhole_options* o, pinhole_errc* err);
/* Stops keep-alives, closes the library's sockets, joins its thread. */
PINHOLE_API void pinhole_port_manager_free(pinhole_port_manager* pm);

/* GetMapping: a new mapping for a stream of `type` towards remote_address
 * (an IP, or IP:port; its family picks IPv4/IPv6). */
PINHOLE_API pinhole_errc pinhole_get_mapping(pinhole_port_manager* pm, const char* remote_address,
                                             pinhole_port_type type, pinhole_mapping* out);
/* UpdateRemoteAddress. remote_port 0: punch to the remote IP at the external
 * port number. A change of the mapping is reported as MAPPING_CHANGED. */
PINHOLE_API pinhole_errc pinhole_update_remote_address(pinhole_port_manager* pm, const char* remote_address,
                                                       uint16_t remote_port, const char* internal_address,
                                                       uint16_t internal_port, const char* external_address,
                                                       uint16_t external_port);
/* ReleaseMapping: at hang-up; stops keep-alives and closes the socket
 * (an attached socket is only forgotten). For this call and
 * pinhole_update_remote_address a mapping is identified by its internal
 * address; the external one may be the current one, one it had before a
 * MAPPING_CHANGED, or "0.0.0.0"/"::" with port 0 for "whatever it is now". */
PINHOLE_API pinhole_errc pinhole_release_mapping(pinhole_port_manager* pm, const char* internal_address,
                                                 uint16_t internal_port, const char* external_address,
                                                 uint16_t external_port);
PINHOLE_API pinhole_errc pinhole_start_listen(pinhole_port_manager* pm, const char* internal_address,
                                              uint16_t internal_port, pinhole_mapping* out);
PINHOLE_API pinhole_errc pinhole_stop_listen(pinhole_port_manager* pm, const char* internal_address,
                                             uint16_t internal_port);
PINHOLE_API pinhole_errc pinhole_get_port_range(pinhole_port_manager* pm, pinhole_port_type type, uint16_t* min_port,
                                                uint16_t* max_port);
/* Library-owned, ownership transferred: an already-bound UDP socket becomes
 * the library's, as if pinhole_get_mapping had opened it; it reads it
 * (datagrams reach the datagram callback) and closes it on release. The
 * descriptor is taken whatever the result: on failure it is closed. */
PINHOLE_API pinhole_errc pinhole_adopt_socket(pinhole_port_manager* pm, int fd, pinhole_port_type type,
                                              const char* remote_address, pinhole_mapping* out);
/* Sends from the mapped socket bound to internal_address:port: a plain
 * sendto() on the caller's thread (also from inside the callbacks). Works
 * for library-owned, listening and attached sockets. */
PINHOLE_API pinhole_errc pinhole_send(pinhole_port_manager* pm, const char* internal_address, uint16_t internal_port,
                                      const char* to_address, uint16_t to_port, const void* data, size_t len);

/* 1 if the mapping bound to internal_address:port is relayed through a
 * TURN server (its external address is the relayed address), 0 if it is not
 * or there is no such mapping. Any thread. */
PINHOLE_API int pinhole_mapping_is_relayed(pinhole_port_manager* pm, const char* internal_address,
                                           uint16_t internal_port);

/* ---- the application-owned model -------------------------------------- */

struct sockaddr; /* <sys/socket.h>; pass a sockaddr_in or sockaddr_in6 */

/* Maps the application's bound UDP socket `fd` towards remote_address
 * without taking it: the library never reads it and never closes it (not on
 * detach, release, failure or pinhole_port_manager_free) and sends from it
 * with MSG_DONTWAIT. The first Binding response arrives on the application's
 * socket: either its receive loop already runs and hands it to
 * pinhole_handle_datagram, or nobody reads yet and the library peeks at the
 * queue (MSG_PEEK, consuming nothing). out->native_handle is fd. Blocking
 * (call timeout). PINHOLE_E_ADDRESS_IN_USE: already attached. */
PINHOLE_API pinhole_errc pinhole_attach_socket(pinhole_port_manager* pm, int fd, pinhole_port_type type,
                                               const char* remote_address, pinhole_mapping* out);
/* The stack's receive loop: every datagram it read from an attached socket
 * whose first byte is 0..3 (RFC 7983 STUN; any datagram is accepted).
 * `local` is the attached socket's address (mapping internal address and
 * port), `from` the sender's. Returns 1 when it was the library's STUN (an
 * answer to one of its transactions on that socket): drop it. Returns 0 for
 * anything else, including peers' Binding requests and the stack's own
 * STUN/ICE: the stack processes those. Any thread; never blocks; does not
 * allocate unless the datagram is the library's. */
PINHOLE_API int pinhole_handle_datagram(pinhole_port_manager* pm, const struct sockaddr* local,
                                        const struct sockaddr* from, const void* data, size_t len);
struct sockaddr_storage; /* <sys/socket.h> */
/* pinhole_handle_datagram for relayed attached sockets too
 * (pinhole_options_set_relay_attached_sockets): pass every datagram whose
 * first byte is 0..3 (STUN) or 64..79 (TURN ChannelData, RFC 7983).
 * Returns 0: the application's, process it as read; 1: the library's
 * (STUN/TURN answers, relay messages with nothing to deliver), drop it;
 * 2: data a peer sent through the relay, unwrapped: its bytes are
 * (const char*)data + *payload_offset, *payload_len long, and *peer (may be
 * NULL) gets the peer's address. Send to the peer with pinhole_send (it
 * wraps). Any thread; never blocks; no allocation unless it is an answer. */
PINHOLE_API int pinhole_handle_datagram_relayed(pinhole_port_manager* pm, const struct sockaddr* local,
                                                const struct sockaddr* from, const void* data, size_t len,
                                                struct sockaddr_storage* peer, size_t* payload_offset,
                                                size_t* payload_len);
/* Ends pinhole_attach_socket: keep-alives stop, the mapping is forgotten, the
 * descriptor stays open. PINHOLE_E_UNKNOWN_MAPPING: not attached;
 * PINHOLE_E_INVALID_ARGUMENT: a library-owned mapping (use
 * pinhole_release_mapping). */
PINHOLE_API pinhole_errc pinhole_detach_socket(pinhole_port_manager* pm, const char* internal_address,
                                               uint16_t internal_port);

/* The application learnt that the network changed (like
 * pjsua_handle_ip_change): re-check every mapping now, as the monitor does
 * by itself. Returns at once; results come as events. Any thread, also the
 * callbacks. NULL pm is ignored. */
PINHOLE_API void pinhole_network_changed(pinhole_port_manager* pm);

typedef struct pinhole_stats {
  size_t size;        /* in: sizeof(pinhole_stats) of the caller; out: bytes filled */
  uint64_t mappings;  /* handed out, not released */
  uint64_t prewarmed; /* ready in the cache */
  uint64_t listens;
  uint64_t requests_sent;       /* Binding requests incl. retransmissions */
  uint64_t responses_ok;        /* validated success responses */
  uint64_t responses_rejected;  /* replies dropped by validation */
  uint64_t keepalives;          /* keep-alive transactions completed */
  uint64_t server_list_updates; /* DNS re-resolutions that changed the list */
  uint64_t attached;            /* application-owned sockets, included in `mappings` */
  uint64_t keepalives_skipped;  /* skipped for the application's own traffic */
  uint64_t network_changes;     /* network changes acted on */
} pinhole_stats;

/* Fills min(out->size, what the library knows) bytes and sets out->size to
 * that. out->size smaller than offsetof(pinhole_stats, mappings) +
 * sizeof(uint64_t): PINHOLE_E_INVALID_ARGUMENT. */
PINHOLE_API pinhole_errc pinhole_get_stats(pinhole_port_manager* pm, pinhole_stats* out);

/* ---- port mapping (PCP, NAT-PMP, UPnP-IGD) ------------------------------
 * By default GetMapping first asks the gateway for an explicit mapping
 * (PCP, then NAT-PMP, then UPnP-IGD), verified against the STUN server; see options.hpp
 * (options::port_mapping) for the whole behaviour. */
typedef enum pinhole_mapping_origin {
  PINHOLE_ORIGIN_STUN = 0,
  PINHOLE_ORIGIN_PCP = 1,
  PINHOLE_ORIGIN_NATPMP = 2,
  PINHOLE_ORIGIN_UPNP = 3,
  PINHOLE_ORIGIN_TURN = 4 /* a TURN relay (pinhole_mapping_is_relayed) */
} pinhole_mapping_origin;
/* The protocols to try, in order; count 0 turns port mapping off. */
PINHOLE_API pinhole_errc pinhole_options_set_port_mapping(pinhole_options* o, const pinhole_mapping_origin* order,
                                                          size_t count);
/* Adds a gateway to ask ("IP" or "IP:PORT") instead of the default routes;
 * NULL clears the list. */
PINHOLE_API pinhole_errc pinhole_options_add_portmap_gateway(pinhole_options* o, const char* address);
/* Lease asked for (s, > 0; default 7200) and the probe timeout (ms, > 0; default 250). */
PINHOLE_API pinhole_errc pinhole_options_set_portmap_lifetime(pinhole_options* o, uint32_t seconds);
PINHOLE_API pinhole_errc pinhole_options_set_portmap_timeout_ms(pinhole_options* o, uint32_t ms);
/* How the mapping with this internal address was made and, for an explicit
 * mapping, when its lease ends (ms since the Unix epoch; 0 for STUN).
 * Either output may be NULL. */
PINHOLE_API pinhole_errc pinhole_get_mapping_origin(pinhole_port_manager* pm, const char* internal_address,
                                                    uint16_t internal_port, pinhole_mapping_origin* origin,
                                                    int64_t* lease_end_unix_ms);
/* Probes the gateways again now (after a network change); never waits. */
PINHOLE_API pinhole_errc pinhole_reprobe_gateways(pinhole_port_manager* pm);
PINHOLE_API const char* pinhole_mapping_origin_name(pinhole_mapping_origin o); /* never NULL */
/* UPnP-IGD (PINHOLE_ORIGIN_UPNP): how long a probe round waits for the
 * UPnP discovery (ms, > 0; default 250; the discovery takes >= 1 s with
 * libminiupnpc and is cached when it ends, see options::portmap_upnp_timeout),
 * the budget of one AddPortMapping sequence, and what destruction waits for
 * the DeletePortMapping calls. */
PINHOLE_API pinhole_errc pinhole_options_set_portmap_upnp_timeout_ms(pinhole_options* o, uint32_t ms);

/* Static English text; never NULL. */
PINHOLE_API const char* pinhole_strerror(pinhole_errc e);
PINHOLE_API const char* pinhole_event_type_name(pinhole_event_type t); /* never NULL */
/* "0.1.0": the library's version (not the SONAME). */
PINHOLE_API const char* pinhole_version(void);

/* ---- deprecated ------------------------------------------------------- */

/* Deprecated: pinhole_config cannot grow without breaking the ABI. Kept
 * unchanged for binaries built against libpinhole 0.1; use pinhole_options
 * and pinhole_port_manager_create. */
typedef struct pinhole_config {
  const char* const* servers; /* "host[:port]" entries; NULL/0 = "127.0.0.1:3478" */
  size_t server_count;
  uint32_t call_timeout_ms; /* 0 = the library's default (options.hpp) */
  uint32_t keepalive_ms;    /* 0 = the library's default */
  uint32_t rto_ms;          /* 0 = the library's default */
} pinhole_config;

/* Deprecated: see pinhole_port_manager_create. `config` may be NULL for
 * defaults. On failure returns NULL and stores the error in *err. */
PINHOLE_API pinhole_port_manager* pinhole_port_manager_new(const pinhole_config* config, pinhole_errc* err);

#ifdef __cplusplus
}
#endif

#endif /* PINHOLE_H */
