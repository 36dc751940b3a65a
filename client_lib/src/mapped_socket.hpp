// One mapped UDP socket on the port manager's Asio thread: it runs RFC 8489
// client transactions (transaction.hpp) towards STUN servers. Two models:
// - library-owned: it owns the file descriptor, reads it and hands every
//   datagram that is not an answer to its transactions to the application;
// - application-owned (attach_socket): it never reads nor closes the
//   descriptor, only sends from it; the application passes in the answers
//   (deliver()), recognised by transaction ID through a txid_registry.
// Not thread-safe: every member is used on the io_context's single thread.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

#include "address_conv.hpp"
#include "binding.hpp"
#include "pinhole/options.hpp"
#include "stun_demux.hpp"
#include "transaction.hpp"

namespace pinhole::client {

namespace asio = boost::asio;

struct socket_counters {
  std::atomic<std::uint64_t> requests_sent{0};
  std::atomic<std::uint64_t> responses_ok{0};
  std::atomic<std::uint64_t> responses_rejected{0};
};

// The long-term challenges (RFC 8489 §9.2) seen per server, so that later
// requests to it carry REALM/NONCE at once instead of each paying the 401
// round trip. Shared by the sockets of one manager; io thread only.
using challenge_cache = std::map<ip_endpoint, long_term, endpoint_less>;

struct binding_params {
  ip_endpoint server;
  transaction_options tx;
  std::optional<credentials> auth;
  bool fingerprint = true;
  // With auth: where long-term challenges are remembered (may be null: then
  // a challenge is still answered, but only within this request).
  std::shared_ptr<challenge_cache> challenges;
  // The transaction fails with errc::timeout at this time at the latest
  // (this server's share of the call budget).
  clock::time_point give_up = clock::time_point::max();
};

class mapped_socket : public std::enable_shared_from_this<mapped_socket> {
 public:
  // `ec` empty and `result` the validated reply (success or error response),
  // or `ec` = timeout / server_unreachable / socket_error / shutting_down.
  // Always invoked later through the io_context, never from inside a call.
  using completion = std::function<void(std::error_code ec, const binding_result& result)>;
  using datagram_fn = std::function<void(const ip_endpoint& from, std::span<const std::byte> data)>;

  // Library-owned: takes ownership of `fd` (bound, non-blocking, RECVERR
  // on). `rx` is a receive buffer shared by all sockets of the
  // (single-threaded) manager. With `app_reads` the socket is
  // application-owned instead: `fd` is only sent from, the transactions are
  // registered there under `owner`, and the answers come through deliver().
  mapped_socket(asio::io_context& io, int fd, ip_endpoint local, std::span<std::byte> rx, socket_counters& counters,
                txid_registry* app_reads = nullptr, std::uint64_t owner = 0);
  ~mapped_socket();
  mapped_socket(const mapped_socket&) = delete;
  mapped_socket& operator=(const mapped_socket&) = delete;

  void start();
  void binding(const binding_params& p, completion done);
  std::error_code send(std::span<const std::byte> data, const ip_endpoint& to) noexcept;
  // A datagram the application read from an application-owned socket. True
  // if it belonged to one of the pending transactions (then it was used,
  // or rejected by validation); never passed to the datagram handler.
  bool deliver(std::span<const std::byte> data, const ip_endpoint& from);
  // Fails pending transactions with errc::shutting_down and closes the fd
  // (library-owned only; an application-owned fd stays open).
  void close();

  void set_datagram_handler(datagram_fn f) { on_datagram_ = std::move(f); }
  // Transactions other than this socket's Bindings (TURN, turn_client.cpp)
  // on an application-owned socket: their answers come back through
  // handle_datagram, which must know the IDs. No-ops when library-owned.
  void track(const txid_t& id) {
    if (app_reads_ != nullptr) app_reads_->add(id, local_, owner_);
  }
  void untrack(const txid_t& id) {
    if (app_reads_ != nullptr) app_reads_->finish(id);
  }
  int native_handle() noexcept { return fd_; }
  bool application_owned() const noexcept { return app_reads_ != nullptr; }
  const ip_endpoint& local() const noexcept { return local_; }
  ip_family family() const noexcept { return local_.family; }
  bool closed() const noexcept { return closed_; }
  std::size_t pending() const noexcept { return pending_.size(); }
  // Replies that carried one of our transaction IDs but failed validation.
  unsigned rejected() const noexcept { return rejected_; }

 private:
  struct pending_tx {
    explicit pending_tx(asio::io_context& io, const transaction_options& o, expectation e)
        : tx(o, std::move(e)), timer(io) {}
    transaction tx;
    std::vector<std::byte> request;
    asio::steady_timer timer;
    completion done;
  };

  // One request; on a 401/438 challenge (with credentials) it tries again
  // with the challenge, at most `retries_left` more times.
  void start_binding(const binding_params& p, completion done, std::optional<long_term> challenge, int retries_left);
  void arm_receive();
  void on_readable();
  // True if the datagram was an answer (accepted or rejected) to a pending transaction.
  bool dispatch(std::span<const std::byte> data, const ip_endpoint& from);
  void advance(const std::shared_ptr<pending_tx>& p, transaction::step s);
  void arm_timer(const std::shared_ptr<pending_tx>& p);
  void finish(const std::shared_ptr<pending_tx>& p);

  asio::io_context& io_;
  asio::ip::udp::socket sock_;  // library-owned only
  int fd_ = -1;
  txid_registry* app_reads_ = nullptr;
  std::uint64_t owner_ = 0;
  ip_endpoint local_;
  std::span<std::byte> rx_;
  socket_counters& counters_;
  std::vector<std::shared_ptr<pending_tx>> pending_;
  datagram_fn on_datagram_;
  bool closed_ = false;
  unsigned rejected_ = 0;
};

}  // namespace pinhole::client
