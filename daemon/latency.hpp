// Per-worker histogram of request processing time for the metrics endpoint.
// Measured per recvmmsg batch, from the moment recvmmsg returned to the
// moment sendmmsg returned, and recorded once for every datagram of the
// batch: the time a request spends inside pinholed, not in kernel queues.
// Single writer (the worker), relaxed atomics, fixed buckets, no allocation.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace pinhole::daemon {

// Upper bounds (le) in nanoseconds, Prometheus-style cumulative buckets.
inline constexpr std::array<std::uint64_t, 12> latency_bounds_ns = {1000,   2500,   5000,   10000,   25000,   50000,
                                                                    100000, 250000, 500000, 1000000, 2500000, 10000000};

struct alignas(64) latency_histogram {
  // Non-cumulative counts per bucket; the last one is +Inf.
  std::array<std::atomic<std::uint64_t>, latency_bounds_ns.size() + 1> buckets{};
  std::atomic<std::uint64_t> sum_ns{0};

  // `n` requests each took `ns`.
  void observe(std::uint64_t ns, std::uint64_t n) noexcept;
};

// A summed copy of several histograms, cumulative as Prometheus wants.
struct latency_snapshot {
  std::array<std::uint64_t, latency_bounds_ns.size() + 1> cumulative{};  // last = +Inf = count
  std::uint64_t sum_ns = 0;
  std::uint64_t count = 0;

  void add(const latency_histogram& h) noexcept;
};

}  // namespace pinhole::daemon
