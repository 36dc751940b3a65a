// Open-loop send schedule: request i is due at start + i / rate, whatever
// happened to the requests before it (no waiting for answers, so a slow
// server cannot slow the offered load down). Integer arithmetic, no drift.
#pragma once

#include <cstdint>
#include <limits>

namespace pinhole::bench {

class pacer {
 public:
  // rate: requests per second; 0 = unlimited (everything is always due).
  pacer(std::uint64_t rate, std::uint64_t start_ns) noexcept : rate_(rate), start_(start_ns) {}

  std::uint64_t rate() const noexcept { return rate_; }
  std::uint64_t start() const noexcept { return start_; }

  // Scheduled send time of request i (0-based).
  std::uint64_t time_of(std::uint64_t i) const noexcept;
  // How many requests are due at `now_ns`: the number of i with time_of(i) <= now.
  std::uint64_t due(std::uint64_t now_ns) const noexcept;
  // Requests in a sending window of `window_ns` at this rate (the total of a
  // run of that length): due(start + window) minus the one at the end.
  std::uint64_t total_in(std::uint64_t window_ns) const noexcept;

  static constexpr std::uint64_t unlimited = std::numeric_limits<std::uint64_t>::max();

 private:
  std::uint64_t rate_;
  std::uint64_t start_;
};

}  // namespace pinhole::bench
