#include "stun_demux.hpp"

#include <algorithm>

namespace pinhole::client {

bool is_stun_first_byte(std::span<const std::byte> data) noexcept {
  // RFC 7983 §7: "If the value of the first byte is in the range 0 to 3
  // (inclusive), then the packet is STUN." (RTP/RTCP are 128..191, DTLS
  // 20..63, ZRTP 16..19, TURN channels 64..79.)
  return !data.empty() && std::to_integer<unsigned>(data[0]) <= 3;
}

std::optional<txid_t> stun_transaction_id(std::span<const std::byte> data) noexcept {
  // RFC 8489 §5: "The most significant 2 bits of every STUN message MUST be
  // zeroes", "The Magic Cookie field MUST contain the fixed value 0x2112A442",
  // and the message length excludes the 20-byte header.
  constexpr std::size_t header = 20;
  if (data.size() < header || !is_stun_first_byte(data)) return std::nullopt;
  const auto b = [&](std::size_t i) { return std::to_integer<unsigned>(data[i]); };
  if (b(4) != 0x21 || b(5) != 0x12 || b(6) != 0xA4 || b(7) != 0x42) return std::nullopt;
  const std::size_t length = (b(2) << 8U) | b(3);
  if (length % 4 != 0 || header + length > data.size()) return std::nullopt;
  txid_t id{};
  std::copy(data.begin() + 8, data.begin() + 20, id.begin());
  return id;
}

void txid_registry::add(const txid_t& id, const ip_endpoint& local, std::uint64_t owner) {
  std::lock_guard lk(m_);
  const auto it = entries_.find(id);
  if (it != entries_.end() && it->second.finished) {
    // The same ID again (never in practice: IDs are random): it is pending
    // now, so it must leave the finished queue.
    finished_.erase(std::find(finished_.begin(), finished_.end(), id));
  }
  entries_.insert_or_assign(id, entry{local, owner, false});
}

void txid_registry::finish(const txid_t& id) {
  std::lock_guard lk(m_);
  const auto it = entries_.find(id);
  if (it == entries_.end() || it->second.finished) return;
  it->second.finished = true;
  finished_.push_back(id);
  while (finished_.size() > finished_kept) {
    entries_.erase(finished_.front());
    finished_.pop_front();
  }
}

txid_registry::match txid_registry::find(const txid_t& id, const ip_endpoint& local,
                                         std::uint64_t* owner) const noexcept {
  try {
    std::lock_guard lk(m_);
    const auto it = entries_.find(id);
    if (it == entries_.end()) return match::none;
    const auto& e = it->second;
    if (e.local.family != local.family || e.local.port != local.port) return match::none;
    if (owner != nullptr) *owner = e.owner;
    return e.finished ? match::finished : match::pending;
  } catch (...) {
    return match::none;  // std::mutex::lock failing: treat as not ours
  }
}

std::size_t txid_registry::pending() const {
  std::lock_guard lk(m_);
  return entries_.size() - finished_.size();
}

}  // namespace pinhole::client
