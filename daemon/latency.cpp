#include "latency.hpp"

namespace pinhole::daemon {
namespace {

void bump(std::atomic<std::uint64_t>& a, std::uint64_t n) noexcept {
  a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);  // single writer
}

}  // namespace

void latency_histogram::observe(std::uint64_t ns, std::uint64_t n) noexcept {
  std::size_t i = 0;
  while (i < latency_bounds_ns.size() && ns > latency_bounds_ns[i]) ++i;
  bump(buckets[i], n);
  bump(sum_ns, ns * n);
}

void latency_snapshot::add(const latency_histogram& h) noexcept {
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < cumulative.size(); ++i) {
    running += h.buckets[i].load(std::memory_order_relaxed);
    cumulative[i] += running;
  }
  sum_ns += h.sum_ns.load(std::memory_order_relaxed);
  count += running;  // the +Inf bucket: consistent with the buckets by construction
}

}  // namespace pinhole::daemon
