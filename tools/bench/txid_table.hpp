// Transaction IDs that carry their own bookkeeping, and the preallocated
// table of requests in flight. A 96-bit transaction ID is
//   run nonce (32 bits) | socket index (16 bits) | sequence number (48 bits)
// so a response is matched to its request with one array index, and a
// response to some other run or client is recognised by the nonce.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace pinhole::bench {

struct txid_fields {
  std::uint32_t nonce = 0;
  std::uint16_t socket = 0;
  std::uint64_t seq = 0;  // 48 bits
};

void encode_txid(const txid_fields& f, std::span<std::byte, 12> out) noexcept;
txid_fields decode_txid(std::span<const std::byte, 12> id) noexcept;

// Ring of the last `capacity` (a power of two) requests: send time and
// whether an answer came. Single-threaded; no allocation after construction.
class txid_table {
 public:
  explicit txid_table(std::size_t capacity);

  enum class match : std::uint8_t {
    first,      // the first valid answer to a request in the table
    duplicate,  // that request was already answered
    unknown,    // never sent, or so old its slot was reused
  };

  void sent(std::uint64_t seq, std::uint64_t t_ns) noexcept;
  // On `first`, sets `t_sent_ns` to the request's send time.
  match answer(std::uint64_t seq, std::uint64_t& t_sent_ns) noexcept;

  // Sent (still in the table) and not answered yet.
  bool pending(std::uint64_t seq) const noexcept {
    const entry& e = entries_[seq & mask_];
    return e.seq_plus_one == seq + 1 && (e.t_ns & answered_bit) == 0;
  }

  std::size_t capacity() const noexcept { return entries_.size(); }

 private:
  struct entry {
    std::uint64_t seq_plus_one = 0;  // 0 = empty
    std::uint64_t t_ns = 0;          // high bit: answered
  };
  static constexpr std::uint64_t answered_bit = std::uint64_t{1} << 63;
  std::vector<entry> entries_;
  std::size_t mask_;
};

}  // namespace pinhole::bench
