// Per-worker, per-listener packet counters. Each worker thread writes only its
// own cache-line-aligned block (relaxed single-writer updates, no contention);
// readers sum all blocks. Listeners come and go on reload: each has its own
// set of blocks, and a removed listener's totals are folded into the
// registry's "retired" sums so the all-listener totals never go backwards.
// Nothing on the packet path allocates.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

namespace pinhole::daemon {

enum class counter : std::uint8_t {
  received,  // datagrams read from the socket
  answered,  // Binding success responses sent
  error_400,
  error_401,
  error_420,
  error_other,
  dropped_malformed,  // not STUN / truncated / bad FINGERPRINT / oversized
  dropped_indication,
  dropped_response,
  dropped_rate_limited,  // per-source-IP limit
  dropped_global_limit,  // global response-rate cap
  dropped_acl,
  dropped_draining,  // drain mode past its grace (SIGUSR1)
  send_failed,
  bytes_in,
  bytes_out,
  count  // the number of counters, not a counter
};
inline constexpr std::size_t counter_count = static_cast<std::size_t>(counter::count);
std::string_view to_string(counter c) noexcept;

// Adds to a counter only one thread writes (readers on other threads load
// it relaxed): a relaxed load+store is enough and avoids a locked RMW.
inline void single_writer_add(std::atomic<std::uint64_t>& a, std::uint64_t n = 1) noexcept {
  a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

struct alignas(64) counter_block {
  std::array<std::atomic<std::uint64_t>, counter_count> v{};

  void add(counter c, std::uint64_t n = 1) noexcept { single_writer_add(v[static_cast<std::size_t>(c)], n); }
  std::uint64_t get(counter c) const noexcept { return v[static_cast<std::size_t>(c)].load(std::memory_order_relaxed); }
};

using counter_values = std::array<std::uint64_t, counter_count>;

// One counter's value in a snapshot.
inline std::uint64_t get(const counter_values& v, counter c) noexcept { return v[static_cast<std::size_t>(c)]; }

// One listener's blocks, one per worker.
class listener_counters {
 public:
  explicit listener_counters(std::size_t workers) : blocks_(workers) {}
  counter_block& at(std::size_t worker) noexcept { return blocks_[worker]; }
  counter_values total() const noexcept;

 private:
  std::vector<counter_block> blocks_;
};

// All listeners' counters. add()/retire() run on the control thread (startup,
// reload); total() may be called from any thread.
class counter_registry {
 public:
  explicit counter_registry(std::size_t workers) : workers_(workers) {}
  std::shared_ptr<listener_counters> add();
  // The listener is gone: keep its counts in the totals, stop tracking it.
  void retire(const std::shared_ptr<listener_counters>& c);
  counter_values total() const;

 private:
  std::size_t workers_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<listener_counters>> live_;
  counter_values retired_{};
};

}  // namespace pinhole::daemon
