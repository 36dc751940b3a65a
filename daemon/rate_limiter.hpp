// Abuse control on the per-packet path: a per-source-IP limiter and a global
// response-rate cap, both GCRA (the "virtual scheduling" form of a token
// bucket: one timestamp per source instead of tokens + last-update).
//
// Per-source table: fixed memory chosen at construction, 8-way
// set-associative, one 64-byte cache line per set, one 64-bit word per source
// (16-bit tag + 48-bit theoretical arrival time in 16 ns units). No allocation
// per packet or per new source. The table is shared by all workers and
// updated with one relaxed compare-and-swap, because the kernel's
// SO_REUSEPORT hash covers the source *port* too (one client IP using several
// ports lands on several workers) and because socket-activated sockets are
// read by every worker: per-worker tables would multiply the allowed rate by
// the worker count.
//
// Eviction: a new source replaces the slot of its set with the least "debt"
// (theoretical arrival time closest to or before now). A slot whose TAT is in
// the past carries no state at all (its bucket is full), so eviction is exact
// as long as fewer than 8 sources of one set are being limited at once.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "stun/address.hpp"

namespace pinhole::daemon {

// The identity rate limits and ACLs apply to: an IPv4 address (also when it
// arrives IPv4-mapped on a dual-stack IPv6 socket), or an IPv6 /64, the
// smallest prefix an end site normally gets (RFC 6177 §2 recommends /48 to
// /64 per site), so one host cannot escape by rotating interface IDs.
struct source_key {
  std::uint64_t value = 0;
  bool ipv6 = false;
  friend bool operator==(const source_key&, const source_key&) = default;
};
source_key key_of(const stun::transport_address& a) noexcept;

// CLOCK_MONOTONIC in nanoseconds (vDSO; about 20 ns).
std::uint64_t monotonic_ns() noexcept;

class rate_limiter {
 public:
  static constexpr std::size_t ways = 8;  // slots per set = one cache line

  // rate: sustained requests/s per source (> 0). burst: how many may arrive
  // back to back from an idle source (0 = default_burst(rate)). table_size:
  // sources tracked, rounded up to a power-of-two number of 8-slot sets.
  // seed keys the slot hash so sources cannot be chosen to collide.
  rate_limiter(double rate, double burst, std::uint32_t table_size, std::uint64_t seed);

  // True if a request from `key` at `now_ns` is within its limit (and
  // charges it); false if it must be dropped. Lock-free, no allocation.
  bool allow(source_key key, std::uint64_t now_ns) noexcept;

  // One second of traffic, but at least 10: ICE agents behind one NAT send
  // several Binding requests at once (one per candidate base and server).
  static double default_burst(double rate) noexcept;

  std::size_t slots() const noexcept { return sets_ * ways; }
  std::size_t memory_bytes() const noexcept { return sets_ * sizeof(set); }
  // memory_bytes() of a limiter built with this table_size (no allocation).
  static std::size_t table_bytes(std::uint32_t table_size) noexcept;
  double burst() const noexcept { return burst_; }

 private:
  struct alignas(64) set {
    std::array<std::atomic<std::uint64_t>, ways> slot{};
  };
  std::uint64_t hash(source_key key) const noexcept;

  std::uint64_t interval_;  // T: units (16 ns) between requests at the sustained rate
  std::uint64_t limit_;     // burst * T: how far the TAT may run ahead of now
  double burst_;
  std::size_t sets_;  // power of two
  std::uint64_t seed_[2];
  std::unique_ptr<set[]> table_;
};

// One GCRA shared by all workers: caps the total response rate.
class global_limiter {
 public:
  // rate: responses/s (> 0); burst: 0 = one tenth of a second of traffic, at
  // least 32 (so one full recvmmsg batch passes).
  global_limiter(double rate, double burst);

  // Grants up to `n` responses at `now_ns`; returns how many (0..n). One CAS.
  std::uint32_t acquire(std::uint64_t now_ns, std::uint32_t n) noexcept;
  // Returns `n` unused grants.
  void release(std::uint32_t n) noexcept;

 private:
  std::uint64_t interval_;
  std::uint64_t limit_;
  alignas(64) std::atomic<std::uint64_t> tat_{0};
};

}  // namespace pinhole::daemon
