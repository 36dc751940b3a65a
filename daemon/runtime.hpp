// The immutable state the workers read per batch: the effective config and
// the handler's view of it. A reload publishes a new one atomically; workers
// never lock.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "acl.hpp"
#include "config.hpp"
#include "handler.hpp"
#include "rate_limiter.hpp"
#include "stun/address.hpp"

namespace pinhole::daemon {

// A bound listening address and its RFC 5780 role.
struct listener {
  stun::transport_address bound;  // as bound: real port, possibly wildcard IP
  socket_role role = socket_role::single;
  std::string name;  // bound.to_string(), for logs and metrics
};

struct runtime_state {
  config cfg;
  handler_config handler;  // string_views/spans point into cfg
  acl allow;               // empty = everyone
  // Shared by all workers (lock-free); null when off. Kept across a reload
  // that leaves rate_limit unchanged, so a reload does not reset the buckets.
  std::shared_ptr<rate_limiter> per_source;
  std::shared_ptr<global_limiter> global;
  // Drain mode past its grace: every datagram is read, counted
  // dropped_draining and not answered.
  bool drop_all = false;
};

// Builds the runtime state for `cfg` with the listeners as actually bound
// (RFC 5780 role addresses use the advertised IPs when configured). `cfg`
// must be valid. `previous` (may be null) donates its limiters when the
// rate_limit settings are unchanged. `drop_all` sets runtime_state::drop_all.
std::shared_ptr<const runtime_state> make_runtime_state(const config& cfg, const std::vector<listener>& listeners,
                                                        const runtime_state* previous = nullptr, bool drop_all = false);

// The published state. libstdc++'s atomic<shared_ptr> load takes a lock bit
// and bumps the shared reference count: two read-modify-writes on one cache
// line that every worker would contend for on every wakeup. So workers keep
// their own copy (a `state_cache`) and only reload it when the version, a
// plain counter that only a reload writes, has moved.
class state_ref {
 public:
  std::shared_ptr<const runtime_state> load() const noexcept { return ptr_.load(std::memory_order_acquire); }
  void store(std::shared_ptr<const runtime_state> s) noexcept {
    ptr_.store(std::move(s), std::memory_order_release);
    version_.fetch_add(1, std::memory_order_release);  // after the pointer: a new version implies the new state
  }
  std::uint64_t version() const noexcept { return version_.load(std::memory_order_acquire); }

 private:
  std::atomic<std::shared_ptr<const runtime_state>> ptr_;
  std::atomic<std::uint64_t> version_{0};
};

// One worker's view of a state_ref: get() is one relaxed-cost load of the
// version while nothing changes. Holds the previous state until its next
// get() after a reload.
class state_cache {
 public:
  explicit state_cache(const state_ref& ref) noexcept : ref_(ref) {}
  const runtime_state& get() noexcept {
    const std::uint64_t v = ref_.version();
    if (v != version_ || !state_) {
      state_ = ref_.load();
      version_ = v;
    }
    return *state_;
  }

 private:
  const state_ref& ref_;
  std::shared_ptr<const runtime_state> state_;
  std::uint64_t version_ = 0;
};

}  // namespace pinhole::daemon
