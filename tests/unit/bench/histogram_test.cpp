// pinhole-bench's log-linear latency histogram.
#include "histogram.hpp"

#include <gtest/gtest.h>

#include <memory>

using pinhole::bench::histogram;

TEST(Histogram, SmallValuesAreExact) {
  for (std::uint64_t v = 0; v < histogram::sub_count; ++v) {
    EXPECT_EQ(histogram::bucket_of(v), v);
    EXPECT_EQ(histogram::bucket_low(v), v);
    EXPECT_EQ(histogram::bucket_high(v), v);
  }
}

TEST(Histogram, BucketsTileTheRangeWithBoundedRelativeError) {
  // Walk bucket boundaries: every bucket starts right after the previous one
  // ends, and no bucket is wider than 1/64 of its lower bound.
  for (std::size_t i = 1; i < histogram::bucket_count - 1; ++i) {
    const auto lo = histogram::bucket_low(i);
    const auto hi = histogram::bucket_high(i);
    ASSERT_EQ(lo, histogram::bucket_high(i - 1) + 1) << i;
    ASSERT_LE(lo, hi);
    ASSERT_EQ(histogram::bucket_of(lo), i);
    ASSERT_EQ(histogram::bucket_of(hi), i);
    if (lo >= histogram::sub_count) {
      ASSERT_LE(static_cast<double>(hi - lo + 1) / static_cast<double>(lo), 1.0 / 64);
    }
  }
  EXPECT_EQ(histogram::bucket_of(~std::uint64_t{0}), histogram::bucket_count - 1);
}

TEST(Histogram, PercentilesOfAUniformRange) {
  auto h = std::make_unique<histogram>();
  for (std::uint64_t v = 1; v <= 100000; ++v) h->record(v);
  EXPECT_EQ(h->count(), 100000U);
  EXPECT_EQ(h->min(), 1U);
  EXPECT_EQ(h->max(), 100000U);
  EXPECT_NEAR(h->mean(), 50000.5, 1e-6);
  // Reported as the top of the bucket: never below the true value, at most 1/64 above.
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const double exact = q * 100000;
    const auto got = static_cast<double>(h->percentile(q));
    EXPECT_GE(got, exact) << q;
    EXPECT_LE(got, exact * (1 + 1.0 / 64)) << q;
  }
  EXPECT_EQ(h->percentile(1.0), 100000U);
  EXPECT_EQ(h->percentile(0.0), 1U);
}

TEST(Histogram, PercentileNeverExceedsMaxAndEmptyIsZero) {
  auto h = std::make_unique<histogram>();
  EXPECT_EQ(h->percentile(0.99), 0U);
  EXPECT_EQ(h->mean(), 0.0);
  h->record(1000);
  EXPECT_EQ(h->percentile(0.5), 1000U);
  EXPECT_EQ(h->percentile(0.999), 1000U);
}

TEST(Histogram, OutlierShowsOnlyInTheTail) {
  auto h = std::make_unique<histogram>();
  for (int i = 0; i < 999; ++i) h->record(50'000);  // 50 us
  h->record(10'000'000);                            // one 10 ms stall
  EXPECT_LE(h->percentile(0.99), 50'000U * 65 / 64);
  EXPECT_EQ(h->percentile(0.9999), 10'000'000U);
}

TEST(Histogram, MergeAndReset) {
  auto a = std::make_unique<histogram>();
  auto b = std::make_unique<histogram>();
  a->record(10);
  b->record(5);
  b->record(1'000'000);
  a->merge(*b);
  EXPECT_EQ(a->count(), 3U);
  EXPECT_EQ(a->min(), 5U);
  EXPECT_EQ(a->max(), 1'000'000U);
  a->reset();
  EXPECT_EQ(a->count(), 0U);
  EXPECT_EQ(a->max(), 0U);
}
