#include "latency.hpp"

#include "counters.hpp"

namespace pinhole::daemon {

void latency_histogram::observe(std::uint64_t ns, std::uint64_t n) noexcept {
  std::size_t i = 0;
  while (i < latency_bounds_ns.size() && ns > latency_bounds_ns[i]) ++i;
  single_writer_add(buckets[i], n);
  single_writer_add(sum_ns, ns * n);
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
