// pinholed's server: binds the listeners (the configured list plus the RFC
// 5780 quad PP/PA/AP/AA), one SO_REUSEPORT socket per listener per worker,
// and runs the workers. A reload adds and removes listeners without touching
// the sockets of the ones that stay. Socket-level only; signals, systemd,
// metrics and privileges live in service.cpp.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "config.hpp"
#include "counters.hpp"
#include "latency.hpp"
#include "outcome.hpp"
#include "runtime.hpp"
#include "worker.hpp"

namespace pinhole::daemon {

// How many listeners server::bind() opens for `cfg` (the RFC 5780 quad plus
// the listen addresses that are not part of it); each gets one socket per worker.
std::size_t planned_listeners(const config& cfg);

class server {
 public:
  explicit server(const config& cfg);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds every listener for every worker. On failure the outcome carries the
  // one-line message (code: the socket's errno, or nothing_to_listen);
  // address_in_use() then tells whether another process already serves one
  // of the addresses (refused unless cfg.share_port).
  outcome bind();
  bool address_in_use() const noexcept { return in_use_; }
  // Uses sockets handed over by systemd (socket activation) instead of
  // binding; each is shared by all workers (the kernel gives each datagram
  // to one reader). Takes ownership of the descriptors.
  outcome adopt(std::span<const int> fds);

  void start();
  void stop();

  // Applies a new config without a restart. Listeners that appear in both
  // configs keep their sockets (no datagram to them is lost); new ones are
  // bound first (any bind failure rejects the whole reload), removed ones are
  // closed last. Everything the workers read (ACL, limits, credentials,
  // SOFTWARE, coalesce_us, ...) is swapped atomically. "workers" and "batch" changes need a
  // restart and are kept at their running values; under socket activation the
  // listeners are systemd's and stay. Fails (validate()'s outcome, or a bind's)
  // if `cfg` is invalid or a new listener cannot be bound; the old config then stays.
  outcome reload(const config& cfg);

  const std::vector<listener>& listeners() const noexcept { return listeners_; }
  const counter_registry& counters() const noexcept { return *counters_; }
  // Counters of listeners()[i], summed over workers.
  counter_values listener_totals(std::size_t i) const noexcept { return entries_[i].counters->total(); }
  latency_snapshot latency() const noexcept;
  // Readiness events and coalescing polls (coalesce_us), summed over workers.
  struct activity {
    std::uint64_t wakeups = 0;
    std::uint64_t polls = 0;
  };
  activity worker_activity() const noexcept;
  std::size_t worker_count() const noexcept { return workers_.size(); }
  std::shared_ptr<const runtime_state> state() const noexcept { return state_.load(); }
  const config& effective_config() const noexcept { return cfg_; }
  bool socket_activated() const noexcept { return adopted_; }

  // Drain mode past its grace: while set, the workers read every datagram,
  // count it dropped_draining and answer none. Published like a reload
  // (limiter buckets kept); survives reloads until cleared.
  void set_dropping(bool on);
  bool dropping() const noexcept { return dropping_; }

  // Worker liveness: true if every worker ran the heartbeat posted by the
  // previous call (the first call only posts and returns true). Call it
  // periodically from one thread.
  bool check_workers();

 private:
  struct entry {
    listener info;
    stun::transport_address wanted;  // as configured (port may be 0)
    std::shared_ptr<listener_counters> counters;
  };
  std::size_t worker_target() const noexcept;
  void create_workers(std::size_t n);
  void attach(const entry& e, const std::vector<int>& fds);

  config cfg_;
  bool adopted_ = false;
  bool in_use_ = false;
  bool dropping_ = false;
  std::vector<entry> entries_;
  std::vector<listener> listeners_;  // entries_[i].info, for the accessor
  std::unique_ptr<counter_registry> counters_;
  state_ref state_;
  std::vector<std::unique_ptr<worker>> workers_;
  std::vector<std::uint64_t> last_beats_;
};

}  // namespace pinhole::daemon
