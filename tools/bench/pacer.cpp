#include "pacer.hpp"

namespace pinhole::bench {
namespace {
constexpr std::uint64_t ns_per_s = 1'000'000'000;
}

std::uint64_t pacer::time_of(std::uint64_t i) const noexcept {
  if (rate_ == 0) return start_;
  // ceil(i * 1e9 / rate) without overflowing for any realistic i and rate.
  const std::uint64_t whole = (i / rate_) * ns_per_s;
  const std::uint64_t part = ((i % rate_) * ns_per_s + rate_ - 1) / rate_;
  return start_ + whole + part;
}

std::uint64_t pacer::due(std::uint64_t now_ns) const noexcept {
  if (rate_ == 0) return unlimited;
  if (now_ns < start_) return 0;
  const std::uint64_t e = now_ns - start_;
  // floor(e * rate / 1e9) + 1: request 0 is due at start itself.
  return (e / ns_per_s) * rate_ + ((e % ns_per_s) * rate_) / ns_per_s + 1;
}

std::uint64_t pacer::total_in(std::uint64_t window_ns) const noexcept {
  if (rate_ == 0) return unlimited;
  if (window_ns == 0) return 0;
  // Requests with time_of(i) < start + window.
  return due(start_ + window_ns - 1);
}

}  // namespace pinhole::bench
