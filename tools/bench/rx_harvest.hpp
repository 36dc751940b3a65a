// Reads the answers pinhole-bench's XDP receiver stamped into its ring
// (xdp_receiver.hpp), in sequence order, while the run goes on: a cursor
// walks from the oldest request not yet accounted for. An answered one is
// handed to the caller with its receive time. An unanswered one stops the
// walk while it may still be answered; it is given up (lost) once it is
// `horizon` requests behind the newest, or when the run ends. Requests never
// sent (a refused sendmmsg) are stepped over. Pure: no BPF, testable on a
// plain array.
#pragma once

#include <cstdint>
#include <span>

#include "xdp/bench_rx_abi.h"

namespace pinhole::bench {

class rx_harvest {
 public:
  // `horizon` must not exceed ring.size() (a slot is reused after that many).
  rx_harvest(std::span<const pb_rx_entry> ring, std::uint64_t horizon) noexcept : ring_(ring), horizon_(horizon) {}

  // Accounts for the requests [cursor, next): on_answer(seq, rx_ns) for each
  // answered one; was_sent(seq) tells whether seq left at all. `final`: the
  // run is over, give up on every unanswered one. Returns the cursor.
  template <class WasSent, class OnAnswer>
  std::uint64_t collect(std::uint64_t next, bool final, WasSent&& was_sent, OnAnswer&& on_answer) noexcept {
    while (cursor_ < next) {
      const pb_rx_entry& e = ring_[cursor_ & (ring_.size() - 1)];
      if (__atomic_load_n(&e.seq_plus_one, __ATOMIC_ACQUIRE) == cursor_ + 1) {
        on_answer(cursor_, __atomic_load_n(&e.rx_ns, __ATOMIC_RELAXED));
      } else if (!final && next - cursor_ < horizon_ && was_sent(cursor_)) {
        break;  // may still come
      }
      ++cursor_;
    }
    return cursor_;
  }

  std::uint64_t cursor() const noexcept { return cursor_; }

 private:
  std::span<const pb_rx_entry> ring_;
  std::uint64_t horizon_;
  std::uint64_t cursor_ = 0;
};

}  // namespace pinhole::bench
