// One socket the port manager maps, and its explicit state. The lifecycle
// (slot_state) changes only through slot::enter, which checks it against the
// one transition table in slot.cpp; how the mapping was made (mapping_origin)
// and whether it is currently confirmed (mapping_health) are separate axes.
//
//   open_slot (RTCP next to RTP)          open_slot / wrap (adopt, attach)
//        |                                      |
//        v                                      v
//    reserved --take_reserved_rtcp-------->  mapping --refill-----------> pooled
//                                            |     |                        |
//                                   hand_out |     | start_listen           | hand_out
//                                            v     v                        | (GetMapping
//                                    handed_out   listening                 |  from the cache)
//                                        ^                                  |
//                                        +----------------------------------+
//
//   any state --destroy--> released (terminal; late callbacks stop there)
//
// Orthogonal to the lifecycle: health (unknown -> confirmed <-> lost, moved
// by slot::learn and the re-checks) and origin (how `external` was made,
// which decides how it is re-checked).
#pragma once

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "mapped_socket.hpp"
#include "pinhole/types.hpp"
#include "portmap_manager.hpp"
#include "turn_client.hpp"

namespace pinhole::client {

enum class slot_state : std::uint8_t {
  reserved,    // an RTCP port bound next to its RTP port; no Binding yet
  mapping,     // the first Binding (and destination check) in flight
  pooled,      // mapped, waiting in the pre-warmed cache
  handed_out,  // the application's: GetMapping, adopt, attach
  listening,   // StartListen's socket; GetMapping(SIP) may share it
  released,    // destroyed: late callbacks see it and do nothing
};

enum class mapping_health : std::uint8_t {
  unknown,    // no Binding answered yet: `external` means nothing
  confirmed,  // the first Binding or the last check saw it
  lost,       // mapping_lost reported (handed out or listening), not confirmed since
};

// Who owns the descriptor: the library reads and closes it; an
// application-owned one (attach_socket) is only sent from.
enum class socket_owner : std::uint8_t { library, application };

// True if `from` may become `to` (the table in slot.cpp).
bool transition_allowed(slot_state from, slot_state to) noexcept;
std::string_view to_string(slot_state s) noexcept;

struct slot {
  explicit slot(asio::io_context& io) : keepalive(io), budget(io) {}
  std::uint64_t id = 0;
  port_type type = port_type::sip;
  std::shared_ptr<mapped_socket> sock;
  ip_endpoint internal;
  ip_endpoint external;
  ip_endpoint server;
  ip_endpoint remote;
  slot_state state = slot_state::mapping;
  // How `external` was made (pinhole::mapping_origin, types.hpp), and so how
  // it is re-checked (manager_core::recheck dispatches on it): stun by a
  // Binding, pcp/natpmp from `lease`, turn from `relay`.
  mapping_origin origin = mapping_origin::stun;
  mapping_health health = mapping_health::unknown;
  socket_owner owned_by = socket_owner::library;
  bool checking = false;                  // a keep-alive check is in flight
  bool destination_dependent = false;     // GetMapping's check saw another external address there
  int listen_refs = 0;                    // StartListen count
  int use_refs = 0;                       // GetMapping(SIP) sharing the listen socket
  std::optional<ip_endpoint> listen_key;  // the address StartListen was called with
  std::optional<ip_endpoint> other;       // the server's OTHER-ADDRESS (RFC 5780), if it has one
  // External addresses this mapping had before a rebinding (mapping_changed),
  // newest last, at most a few: the application may still name it by them.
  std::vector<ip_endpoint> former_externals;
  // Internal addresses before a re-bind after a network change
  // (network_change.cpp): still names of this mapping.
  std::vector<ip_endpoint> former_internals;
  std::shared_ptr<turn_allocation> relay;  // relayed mapping (turn_mapping.cpp)
  std::uint64_t rtcp_reserved = 0;         // id of the reserved RTCP slot (pairs)
  std::uint64_t owner = 0;                 // for a reserved RTCP slot: its RTP slot
  // An explicit mapping from the gateway (portmap_hooks.cpp). It holds the
  // NAT binding by itself: keep-alives use options::explicit_keepalive_interval.
  std::optional<portmap_lease> lease;
  asio::steady_timer keepalive;
  asio::steady_timer budget;  // call deadline of the operation in progress

  // Moves to `to`; returns the state left. Asserts the transition is in the
  // table. manager_core::enter is the one caller: it keeps the counters in step.
  slot_state enter(slot_state to) noexcept;
  bool released() const noexcept { return state == slot_state::released; }
  bool mapped() const noexcept { return health != mapping_health::unknown; }
  bool lost() const noexcept { return health == mapping_health::lost; }
  bool attached() const noexcept { return owned_by == socket_owner::application; }
  // The application knows this mapping, so its changes are reported as events.
  bool visible() const noexcept { return state == slot_state::handed_out || state == slot_state::listening; }
  // Handed out, or a listen port (listening, or still being mapped for the
  // StartListen call that will announce it): a change must reach the application.
  bool announced() const noexcept { return state == slot_state::handed_out || listen_key.has_value(); }
  bool known_as(const ip_endpoint& ext) const {
    if (ext.port == 0 && ext.is_unspecified()) return true;  // "any": identified by internal alone
    return ext == external ||
           std::find(former_externals.begin(), former_externals.end(), ext) != former_externals.end();
  }
  // A new external address from `how`; keeps the old one in former_externals.
  // Returns true if there was a confirmed one before and it differs.
  bool learn(const ip_endpoint& mapped, const ip_endpoint& from_server, mapping_origin how);
  // `external` becomes `to` (a lease renewed at another address); the old
  // one is kept in former_externals. Health and origin stay.
  void move_external(const ip_endpoint& to);
};

}  // namespace pinhole::client
