#include "txid_table.hpp"

#include <bit>
#include <stdexcept>

namespace pinhole::bench {

void encode_txid(const txid_fields& f, std::span<std::byte, 12> out) noexcept {
  for (std::size_t i = 0; i < 4; ++i) out[i] = static_cast<std::byte>((f.nonce >> (24 - 8 * i)) & 0xFFU);
  out[4] = static_cast<std::byte>(f.socket >> 8);
  out[5] = static_cast<std::byte>(f.socket & 0xFFU);
  for (std::size_t i = 0; i < 6; ++i) out[6 + i] = static_cast<std::byte>((f.seq >> (40 - 8 * i)) & 0xFFU);
}

txid_fields decode_txid(std::span<const std::byte, 12> id) noexcept {
  txid_fields f;
  for (std::size_t i = 0; i < 4; ++i) f.nonce = (f.nonce << 8) | std::to_integer<std::uint32_t>(id[i]);
  f.socket = static_cast<std::uint16_t>((std::to_integer<unsigned>(id[4]) << 8) | std::to_integer<unsigned>(id[5]));
  for (std::size_t i = 0; i < 6; ++i) f.seq = (f.seq << 8) | std::to_integer<std::uint64_t>(id[6 + i]);
  return f;
}

txid_table::txid_table(std::size_t capacity) : entries_(capacity), mask_(capacity - 1) {
  if (capacity == 0 || !std::has_single_bit(capacity))
    throw std::invalid_argument("txid_table: capacity must be a power of two");
}

void txid_table::sent(std::uint64_t seq, std::uint64_t t_ns) noexcept {
  entry& e = entries_[seq & mask_];
  e.seq_plus_one = seq + 1;
  e.t_ns = t_ns & ~answered_bit;
}

txid_table::match txid_table::answer(std::uint64_t seq, std::uint64_t& t_sent_ns) noexcept {
  entry& e = entries_[seq & mask_];
  if (e.seq_plus_one != seq + 1) return match::unknown;
  if ((e.t_ns & answered_bit) != 0) return match::duplicate;
  t_sent_ns = e.t_ns;
  e.t_ns |= answered_bit;
  return match::first;
}

}  // namespace pinhole::bench
