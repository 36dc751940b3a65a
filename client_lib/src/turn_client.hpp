// One TURN allocation (RFC 8656 over UDP) on a mapped socket, on the port
// manager's io thread: Allocate with long-term credentials (401 challenge,
// 438 Stale Nonce), Refresh at half the granted lifetime, CreatePermission
// and ChannelBind per peer (renewed every 4 minutes: permissions last 300 s,
// channels 600 s), unwrapping of ChannelData and Data indications from the
// server, and deallocation (Refresh with LIFETIME 0). Requests are
// retransmitted like RFC 8489 §6.2.1 client transactions.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

#include "mapped_socket.hpp"
#include "relay_directory.hpp"
#include "turn_message.hpp"

namespace pinhole::client {

// A configured TURN server (options::turn_servers), resolved.
struct turn_target {
  ip_endpoint server;
  credentials auth;
};
// "turn:host[:port][?transport=udp]" (RFC 7065); names through getaddrinfo.
std::error_code parse_turn_uri(std::string_view uri, ip_endpoint& out);
std::error_code parse_turn_servers(const std::vector<turn_server>& in, std::vector<turn_target>& out);

struct turn_config {
  ip_endpoint server;
  credentials auth;
  std::uint32_t lifetime = 600;
  transaction_options tx;
  bool fingerprint = true;
  ip_family relay_family = ip_family::v4;
  std::shared_ptr<challenge_cache> challenges;  // shared per manager (may be null)
};

class turn_allocation : public std::enable_shared_from_this<turn_allocation> {
 public:
  using done_fn = std::function<void(std::error_code)>;
  // The allocation was lost (a Refresh failed): why.
  using lost_fn = std::function<void(std::error_code)>;

  turn_allocation(asio::io_context& io, std::shared_ptr<mapped_socket> sock, turn_config cfg, relay_directory& routes,
                  const ip_endpoint& internal);
  ~turn_allocation();
  turn_allocation(const turn_allocation&) = delete;
  turn_allocation& operator=(const turn_allocation&) = delete;

  void allocate(clock::time_point deadline, done_fn done);
  // CreatePermission, then ChannelBind for `peer` (done after the permission:
  // until the channel is bound, Send indications carry the data).
  void permit(const ip_endpoint& peer, clock::time_point deadline, done_fn done);
  void on_lost(lost_fn f) { lost_ = std::move(f); }

  enum class rx { not_turn, consumed, data };
  // A datagram the socket read. `data`: a relayed datagram from `peer`
  // (payload points into `datagram`). `consumed`: the server's, nothing to
  // deliver (a response, a malformed or unpermitted relay message).
  rx on_datagram(const ip_endpoint& from, std::span<const std::byte> datagram, ip_endpoint& peer,
                 std::span<const std::byte>& payload) noexcept;
  // Sends Refresh LIFETIME 0 once (no wait for the answer) and stops.
  void deallocate();

  bool allocated() const noexcept { return allocated_; }
  const ip_endpoint& relayed() const noexcept { return relayed_; }
  const ip_endpoint& server() const noexcept { return cfg_.server; }
  unsigned refreshes() const noexcept { return refreshes_; }
  // The interval the next Refresh is sent after, from a granted lifetime:
  // half of it, within [1 s, 300 s] (an absurd lifetime is not trusted).
  static std::chrono::milliseconds refresh_interval(std::uint32_t lifetime) noexcept;

 private:
  using reply_fn = std::function<void(std::error_code, const turn_reply&)>;
  struct pending {
    explicit pending(asio::io_context& io) : timer(io) {}
    turn_request req;
    std::vector<std::byte> bytes;
    turn_expectation expect;
    asio::steady_timer timer;
    clock::duration rto{};
    unsigned sent = 0;
    clock::time_point give_up;
    reply_fn done;
    int challenges_left = max_challenge_retries;
    bool tracked = false;  // req.txid is in the socket's registry (application-owned)
  };
  void request(turn_request r, clock::time_point deadline, reply_fn done);
  void transmit(const std::shared_ptr<pending>& p);
  void complete(const std::shared_ptr<pending>& p, std::error_code ec, const turn_reply& r);
  bool answer(const ip_endpoint& from, std::span<const std::byte> datagram);
  void schedule_refresh(std::uint32_t lifetime);
  void refresh();
  void schedule_permissions();
  void bind_channel(const ip_endpoint& peer, clock::time_point deadline);
  std::optional<long_term> known_challenge() const;

  asio::io_context& io_;
  std::shared_ptr<mapped_socket> sock_;
  turn_config cfg_;
  relay_directory& routes_;
  ip_endpoint internal_;
  ip_endpoint relayed_;
  bool allocated_ = false;
  bool stopped_ = false;
  unsigned refreshes_ = 0;
  std::optional<long_term> challenge_;
  struct peer_state {
    ip_endpoint peer;
    std::uint16_t channel = 0;    // bound channel, 0 while none
    std::uint16_t requested = 0;  // ChannelBind sent: the server may use it before we read its answer
  };
  std::vector<peer_state> peers_;
  std::uint16_t next_channel_ = 0x4000;
  std::vector<std::shared_ptr<pending>> pending_;
  asio::steady_timer refresh_timer_;
  asio::steady_timer permission_timer_;
  lost_fn lost_;
};

}  // namespace pinhole::client
