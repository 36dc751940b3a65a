// Asynchronous notifications from the port manager's keep-alive machinery.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <system_error>

#include "pinhole/types.hpp"

namespace pinhole {

enum class event_type {
  mapping_changed,     // a keep-alive saw a different external address; `current` has it
  mapping_lost,        // no server confirmed the mapping any more (all failed over)
  server_unreachable,  // a STUN server stopped answering (timeout/ICMP); failing over
};

PINHOLE_API const char* to_string(event_type t) noexcept;

struct event {
  event_type type = event_type::mapping_changed;
  mapping current;             // the mapping after the change (for server_unreachable: unset)
  ip_endpoint previous_external;  // mapping_changed: the external address before
  ip_endpoint server;          // the server concerned
  std::error_code error;       // mapping_lost / server_unreachable: why
};

// Called on the library's internal thread. It must not block; calling the
// port manager's blocking functions from it returns errc::would_deadlock.
using event_handler = std::function<void(const event&)>;

// Datagrams arriving on a mapped socket that are not answers to the library's
// own STUN transactions (media, SIP, punch packets). Internal thread too.
using datagram_handler =
    std::function<void(const mapping& m, const ip_endpoint& from, std::span<const std::byte> data)>;

}  // namespace pinhole
