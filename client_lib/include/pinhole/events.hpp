// Asynchronous notifications from the port manager's keep-alive machinery.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <system_error>

#include "pinhole/types.hpp"

namespace pinhole {

// Every "bad news" event has its "good news" counterpart: server_unreachable
// is followed by server_recovered once that server answers again (a
// background re-probe or any transaction), mapping_lost by mapping_restored
// once a keep-alive confirms the mapping again (`current` has it; if the
// external address changed meanwhile, mapping_changed follows too).
// Values are stable: new ones are appended.
enum class event_type {
  mapping_changed,     // a keep-alive saw a different external address; `current` has it
  mapping_lost,        // no server confirmed the mapping any more (all failed over)
  server_unreachable,  // a STUN server stopped answering (timeout/ICMP); failing over
  server_recovered,    // a server reported unreachable answers again
  mapping_restored,    // a mapping reported lost is confirmed again
  // The host's network changed (options::monitor_network or
  // port_manager::network_changed()); every mapping is being re-checked,
  // mapping_changed / mapping_lost follow where it matters. Only `type` is set.
  network_changed,
};

PINHOLE_API const char* to_string(event_type t) noexcept;

struct event {
  event_type type = event_type::mapping_changed;
  mapping current;                // the mapping after the change (server_unreachable/_recovered: unset)
  ip_endpoint previous_external;  // mapping_changed: the external address before
  ip_endpoint server;             // the server concerned
  std::error_code error;          // mapping_lost / server_unreachable: why
};

// Called on the library's internal thread. It must not block. From it (and
// from the datagram handler) the calls that complete at once work: send(),
// release_mapping(), stop_listen(), detach_socket(), handle_datagram().
// The ones that wait for the network (get_mapping, update_remote_address,
// start_listen, attach_socket, adopt_socket) return errc::would_deadlock.
using event_handler = std::function<void(const event&)>;

// Datagrams arriving on a library-owned socket (GetMapping, StartListen,
// adopt_socket) that are not answers to the library's own STUN transactions
// (media, SIP, punch packets). Internal thread too; answering with send()
// from inside it is fine. Application-owned sockets (attach_socket) never
// come here: the application reads those itself.
using datagram_handler =
    std::function<void(const mapping& m, const ip_endpoint& from, std::span<const std::byte> data)>;

}  // namespace pinhole
