// RFC 8489 §6.2.1 client transaction over UDP as a pure state machine: no
// sockets, no clock of its own. The owner calls start(now), on_timer(now)
// when deadline() has passed and on_datagram(...) for each datagram received;
// each returns what to do next. Unit tests drive it with a fake clock.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <span>
#include <system_error>

#include "binding.hpp"
#include "pinhole/options.hpp"

namespace pinhole::client {

using clock = std::chrono::steady_clock;

class transaction {
 public:
  enum class step {
    send,    // (re)transmit the request now, then wait for deadline()
    wait,    // nothing to do until deadline() or a datagram
    done,    // result() holds a validated response (success or error)
    failed,  // error() says why: timeout, server_unreachable
  };

  transaction(const transaction_options& opts, expectation expect) noexcept;

  step start(clock::time_point now) noexcept;
  step on_timer(clock::time_point now) noexcept;
  // Validates and, if it belongs to this transaction, completes it. Datagrams
  // that are not ours (other transaction ID, other source, not STUN) leave
  // the transaction waiting; a matching but invalid reply is dropped too
  // (counted in rejected()), so a forged reply cannot end it.
  step on_datagram(std::span<const std::byte> data, const ip_endpoint& from) noexcept;
  // ICMP unreachable for the server's address: RFC 8489 §6.2.1 lets the
  // client fail the transaction on a "hard ICMP error".
  step on_unreachable() noexcept;
  // Gives up now (call budget exceeded, mapping released).
  void cancel(std::error_code why) noexcept;
  // Fails with errc::timeout at `t` at the latest, whatever Rc and Rm would
  // still allow: this server's share of a call budget. Set before start().
  void limit(clock::time_point t) noexcept { limit_ = t; }

  bool finished() const noexcept { return state_ == state::done || state_ == state::failed; }
  clock::time_point deadline() const noexcept { return limit_ < deadline_ ? limit_ : deadline_; }
  unsigned transmissions() const noexcept { return sent_; }
  unsigned rejected() const noexcept { return rejected_; }
  const binding_result& result() const noexcept { return result_; }
  std::error_code error() const noexcept { return error_; }
  const expectation& expected() const noexcept { return expect_; }

 private:
  enum class state { idle, waiting, done, failed };

  transaction_options opts_;
  expectation expect_;
  state state_ = state::idle;
  unsigned sent_ = 0;
  unsigned rejected_ = 0;
  clock::duration rto_{};
  clock::time_point deadline_{};
  clock::time_point limit_ = clock::time_point::max();
  binding_result result_{};
  std::error_code error_{};
};

}  // namespace pinhole::client
