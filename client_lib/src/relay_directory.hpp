// Relayed mappings (TURN) by internal endpoint, readable from any thread:
// port_manager::send() on a relayed mapping wraps the datagram here, on the
// caller's thread, as ChannelData when the peer has a bound channel and as a
// Send indication otherwise, and sends it to the TURN server. The io thread
// (turn_client) adds routes and channels and removes a route before its
// socket is closed, under the lock a sender holds (as socket_directory).
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
  void set_channel(const ip_endpoint& internal, const ip_endpoint& peer, std::uint16_t channel);
  // std::nullopt if `internal` is not relayed (the caller sends directly);
  // otherwise the result of the wrapped send. No allocation: the media path.
  std::optional<std::error_code> send(const ip_endpoint& internal, const ip_endpoint& to,
                                      std::span<const std::byte> data) const noexcept;
  // Bytes a datagram of `n` bytes to `to` becomes on the wire (0 if not relayed).
  std::size_t wrapped_size(const ip_endpoint& internal, const ip_endpoint& to, std::size_t n) const noexcept;

 private:
  struct channel {
    ip_endpoint peer;
    std::uint16_t number = 0;
  };
  struct route {
    int fd = -1;
    ip_endpoint server;
    std::array<channel, max_channels> channels{};
    std::uint16_t find(const ip_endpoint& peer) const noexcept;
  };
  mutable std::shared_mutex m_;
  std::map<ip_endpoint, route, endpoint_less> routes_;
};

}  // namespace pinhole::client
