// Relayed mappings (TURN) by internal endpoint, readable from any thread:
// port_manager::send() on a relayed mapping wraps the datagram here, on the
// caller's thread, as ChannelData when the peer has a bound channel and as a
// Send indication otherwise, and sends it to the TURN server. unwrap() is
// the way back, for both socket models: the io thread's receive path of
// library-owned sockets (turn_allocation::on_datagram) and
// port_manager::handle_datagram on the application's thread. The io thread
// (turn_client) adds routes, permissions and channels and removes a route
// before its socket is closed, under the lock a sender holds (as
// socket_directory).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <shared_mutex>
#include <span>
#include <system_error>

#include "address_conv.hpp"
#include "pinhole/types.hpp"

namespace pinhole::client {

class relay_directory {
 public:
  static constexpr std::size_t max_channels = 8;  // per mapping; more peers use Send indications

  void add(const ip_endpoint& internal, int fd, const ip_endpoint& server);
  void remove(const ip_endpoint& internal);
  bool contains(const ip_endpoint& internal) const noexcept;
  // A ChannelBind was sent: the server may relay the peer's data on the
  // channel before we read its answer (received, never sent on).
  void expect_channel(const ip_endpoint& internal, const ip_endpoint& peer, std::uint16_t channel);
  // The ChannelBind succeeded: data to the peer goes in ChannelData.
  void set_channel(const ip_endpoint& internal, const ip_endpoint& peer, std::uint16_t channel);
  // A permission is being installed for the peer's IP (RFC 8656 §9): its
  // Data indications are delivered.
  void permit(const ip_endpoint& internal, const ip_endpoint& peer);

  enum class unwrapped {
    not_relayed,  // `internal` has no relay: not ours to judge
    not_turn,     // not from the TURN server: the application's (direct traffic)
    control,      // a STUN message from the server that is not a Data indication (a response)
    dropped,      // the server's, but nothing to deliver: malformed, unbound channel, no permission
    data,         // relayed data from `peer`; `payload` points into `datagram`
  };
  // The ChannelData or Data indication `datagram` that `from` sent to the
  // relayed mapping `internal`. Any thread; no allocation.
  unwrapped unwrap(const ip_endpoint& internal, const ip_endpoint& from, std::span<const std::byte> datagram,
                   ip_endpoint& peer, std::span<const std::byte>& payload) const noexcept;
  // std::nullopt if `internal` is not relayed (the caller sends directly);
  // otherwise the result of the wrapped send. No allocation: the media path.
  std::optional<std::error_code> send(const ip_endpoint& internal, const ip_endpoint& to,
                                      std::span<const std::byte> data) const noexcept;
  // Bytes a datagram of `n` bytes to `to` becomes on the wire (0 if not relayed).
  std::size_t wrapped_size(const ip_endpoint& internal, const ip_endpoint& to, std::size_t n) const noexcept;

 private:
  static constexpr std::size_t max_permissions = 16;  // per mapping; more peers are not delivered
  struct channel {
    ip_endpoint peer;
    std::uint16_t number = 0;
    bool bound = false;  // false: requested, receive only (RFC 8656 §12.1)
  };
  struct route {
    int fd = -1;
    ip_endpoint server;
    std::array<channel, max_channels> channels{};
    std::array<ip_endpoint, max_permissions> permissions{};
    std::size_t permitted = 0;
    std::uint16_t find(const ip_endpoint& peer) const noexcept;  // a bound channel, 0 if none
    void put(const ip_endpoint& peer, std::uint16_t number, bool bound) noexcept;
  };
  // `internal` itself, or else the route of the same family and port (the
  // application may name its socket by its wildcard address). Under m_.
  const route* find_route(const ip_endpoint& internal) const noexcept;
  mutable std::shared_mutex m_;
  std::map<ip_endpoint, route, endpoint_less> routes_;
};

}  // namespace pinhole::client
