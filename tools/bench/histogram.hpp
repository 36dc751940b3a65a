// A log-linear latency histogram in the spirit of HdrHistogram: values below
// 2^sub_bits are counted exactly, larger ones in 2^sub_bits linear buckets
// per power of two (relative error below 1/64 with sub_bits = 6). Fixed
// memory, no allocation after construction, O(1) record.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace pinhole::bench {

class histogram {
 public:
  static constexpr unsigned sub_bits = 6;
  static constexpr std::uint64_t sub_count = std::uint64_t{1} << sub_bits;
  // Every 64-bit value has a bucket.
  static constexpr std::size_t bucket_count = (64 - sub_bits + 1) * sub_count;

  void record(std::uint64_t value) noexcept;
  void merge(const histogram& other) noexcept;
  void reset() noexcept;

  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t min() const noexcept { return count_ == 0 ? 0 : min_; }
  std::uint64_t max() const noexcept { return max_; }
  double mean() const noexcept;

  // The smallest recorded-bucket value v such that at least q (0..1] of all
  // values are <= v, reported as the highest value of v's bucket (never above
  // max()). 0 when empty.
  std::uint64_t percentile(double q) const noexcept;

  // Bucket arithmetic, public for tests.
  static std::size_t bucket_of(std::uint64_t value) noexcept;
  static std::uint64_t bucket_low(std::size_t index) noexcept;
  static std::uint64_t bucket_high(std::size_t index) noexcept;

 private:
  std::array<std::uint64_t, bucket_count> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t min_ = ~std::uint64_t{0};
  std::uint64_t max_ = 0;
  double sum_ = 0;
};

}  // namespace pinhole::bench
