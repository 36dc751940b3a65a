#include "histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace pinhole::bench {

std::size_t histogram::bucket_of(std::uint64_t value) noexcept {
  if (value < sub_count) return static_cast<std::size_t>(value);
  // value = mantissa << shift with mantissa in [2^sub_bits, 2^(sub_bits+1)).
  const unsigned top = 63U - static_cast<unsigned>(std::countl_zero(value));
  const unsigned shift = top - sub_bits;
  const std::uint64_t mantissa = value >> shift;
  return static_cast<std::size_t>(shift * sub_count + mantissa);
}

std::uint64_t histogram::bucket_low(std::size_t index) noexcept {
  if (index < sub_count) return index;
  const std::uint64_t shift = index / sub_count - 1;
  const std::uint64_t mantissa = index % sub_count + sub_count;
  return mantissa << shift;
}

std::uint64_t histogram::bucket_high(std::size_t index) noexcept {
  if (index + 1 >= bucket_count) return ~std::uint64_t{0};
  return bucket_low(index + 1) - 1;
}

void histogram::record(std::uint64_t value) noexcept {
  ++counts_[bucket_of(value)];
  ++count_;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += static_cast<double>(value);
}

void histogram::merge(const histogram& other) noexcept {
  for (std::size_t i = 0; i < bucket_count; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

void histogram::reset() noexcept { *this = histogram{}; }

double histogram::mean() const noexcept { return count_ == 0 ? 0.0 : sum_ / static_cast<double>(count_); }

std::uint64_t histogram::percentile(double q) const noexcept {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < bucket_count; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(bucket_high(i), max_);
  }
  return max_;
}

}  // namespace pinhole::bench
