// Per-worker, per-listener packet counters. Each worker thread writes only its
// own cache-line-aligned block (relaxed single-writer updates, no contention);
// readers sum all blocks. Nothing here allocates after construction.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace pinhole::daemon {

enum class counter : std::uint8_t {
  received,              // datagrams read from the socket
  answered,              // Binding success responses sent
  error_400,
  error_401,
  error_420,
  error_other,
  dropped_malformed,     // not STUN / truncated / bad FINGERPRINT / oversized
  dropped_indication,
  dropped_response,
  dropped_rate_limited,
  dropped_acl,
  send_failed,
  bytes_in,
  bytes_out,
  count_
};
inline constexpr std::size_t counter_count = static_cast<std::size_t>(counter::count_);
std::string_view to_string(counter c) noexcept;

struct alignas(64) counter_block {
  std::array<std::atomic<std::uint64_t>, counter_count> v{};

  void add(counter c, std::uint64_t n = 1) noexcept {
    auto& slot = v[static_cast<std::size_t>(c)];
    // Single writer: a relaxed load+store is enough and avoids a locked RMW.
    slot.store(slot.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::uint64_t get(counter c) const noexcept { return v[static_cast<std::size_t>(c)].load(std::memory_order_relaxed); }
};

using counter_values = std::array<std::uint64_t, counter_count>;

// blocks[worker * listeners + listener]
class counter_table {
 public:
  counter_table(std::size_t workers, std::size_t listeners) : listeners_(listeners), blocks_(workers * listeners) {}
  counter_block& at(std::size_t worker, std::size_t listener) noexcept { return blocks_[worker * listeners_ + listener]; }
  std::size_t listeners() const noexcept { return listeners_; }
  // Sum over workers for one listener, or over everything.
  counter_values listener_total(std::size_t listener) const noexcept;
  counter_values total() const noexcept;

 private:
  std::size_t listeners_;
  std::vector<counter_block> blocks_;
};

}  // namespace pinhole::daemon
