// Heap allocation counting for the micro-benchmarks: alloc_count.cpp replaces
// the global operator new/delete of the benchmark binary, so every
// allocation made anywhere in the measured code is seen.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>

namespace pinhole::bench {

// Allocations made by this process so far (all threads).
std::uint64_t allocations() noexcept;

// Measures the allocations of a benchmark loop: construct before the loop,
// call report() after it; adds the "allocs/op" counter.
class alloc_probe {
 public:
  alloc_probe() noexcept : start_(allocations()) {}
  void report(benchmark::State& state) const {
    const auto n = static_cast<double>(allocations() - start_);
    state.counters["allocs/op"] = benchmark::Counter(n, benchmark::Counter::kAvgIterations);
  }

 private:
  std::uint64_t start_;
};

}  // namespace pinhole::bench
