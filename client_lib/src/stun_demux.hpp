// Application-owned sockets (port_manager::attach_socket): the application
// reads the socket and hands the library what may be its STUN. This file
// decides, without the io thread and without allocating, whether a datagram
// is an answer to one of the library's transactions on such a socket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <span>

#include "binding.hpp"
#include "pinhole/types.hpp"

namespace pinhole::client {

// RFC 7983 §7 first-byte demultiplexing.
bool is_stun_first_byte(std::span<const std::byte> data) noexcept;
// The transaction ID of a datagram that has a STUN header (RFC 8489 §5:
// two zero bits, the magic cookie, a length that fits); nullopt otherwise.
std::optional<txid_t> stun_transaction_id(std::span<const std::byte> data) noexcept;

// Transaction IDs the library has in flight on application-owned sockets,
// and the last few finished ones (a retransmitted request can be answered
// twice; the second answer is still the library's, not media). Written on
// the io thread, read from any thread (the application's receive loop).
class txid_registry {
 public:
  enum class match { none, pending, finished };
  static constexpr std::size_t finished_kept = 1024;

  void add(const txid_t& id, const ip_endpoint& local, std::uint64_t owner);
  void finish(const txid_t& id);
  // `local` must be the socket the transaction was sent from (same family
  // and port); `owner` gets the slot that sent it.
  match find(const txid_t& id, const ip_endpoint& local, std::uint64_t* owner = nullptr) const noexcept;
  std::size_t pending() const;

 private:
  struct entry {
    ip_endpoint local;
    std::uint64_t owner = 0;
    bool finished = false;
  };
  mutable std::mutex m_;
  std::map<txid_t, entry> entries_;
  std::deque<txid_t> finished_;  // oldest first; trimmed to finished_kept
};

}  // namespace pinhole::client
