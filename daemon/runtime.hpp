// The immutable state the workers read per batch: the effective config and
// the handler's view of it. A reload publishes a new one atomically; workers
// never lock.
#pragma once

#include <array>
#include <atomic>
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
  std::string name;               // bound.to_string(), for logs and metrics
};

struct runtime_state {
  config cfg;
  handler_config handler;  // string_views/spans point into cfg
  acl allow;               // empty = everyone
  // Shared by all workers (lock-free); null when off. Kept across a reload
  // that leaves rate_limit unchanged, so a reload does not reset the buckets.
  std::shared_ptr<rate_limiter> per_source;
  std::shared_ptr<global_limiter> global;
};

// Builds the runtime state for `cfg` with the listeners as actually bound
// (RFC 5780 role addresses use the advertised IPs when configured). `cfg`
// must be valid. `previous` (may be null) donates its limiters when the
// rate_limit settings are unchanged.
std::shared_ptr<const runtime_state> make_runtime_state(const config& cfg, const std::vector<listener>& listeners,
                                                        const runtime_state* previous = nullptr);

class state_ref {
 public:
  std::shared_ptr<const runtime_state> load() const noexcept { return ptr_.load(std::memory_order_acquire); }
  void store(std::shared_ptr<const runtime_state> s) noexcept { ptr_.store(std::move(s), std::memory_order_release); }

 private:
  std::atomic<std::shared_ptr<const runtime_state>> ptr_;
};

// listen_spec (config) -> transport_address (codec).
stun::transport_address to_address(const listen_spec& l) noexcept;

}  // namespace pinhole::daemon
